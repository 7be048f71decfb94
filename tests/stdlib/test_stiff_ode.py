"""Tests of the stiff ODE solver ``rodas4_integrate`` (:mod:`ponder.stdlib.ode`) against SciPy's Radau.

As in ``test_ode.py``, :func:`solvers` compiles a copy of :data:`ponder.stdlib.ode.SOURCE`
against a test ``rhs`` with the kernels' signature ``rhs(t, y, dy, theta, consts)``.
Compiling the solvers takes seconds per ``rhs``, so the test problems share
one: :func:`problems`, which runs the problem ``consts[1]`` names and counts
its calls in ``consts[0]``. References are SciPy's Radau IIA
(``solve_ivp(method="Radau")``) at tolerances far below the ones tested.
"""

import functools
import math

import numba
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import ponder
from ponder.stdlib import ode
from tests.stdlib.test_ode import blow_up, decay


@functools.lru_cache
def solvers(rhs):
    """The kernel module's namespace (``rodas4_integrate``, ``rk45_integrate``, ...) compiled against ``rhs``."""
    namespace = {"math": math, "np": np, "jit": numba.njit(nogil=True, error_model="numpy"), "rhs": rhs}
    exec(ode.SOURCE, namespace)
    return namespace


@numba.njit
def robertson(t, y, dy, theta, consts):
    """Robertson's chemical kinetics (Hairer & Wanner II, IV.1), rates ``theta = (k1, k2, k3)``."""
    r1 = theta[0] * y[0]
    r2 = theta[2] * y[1] * y[2]
    r3 = theta[1] * y[1] * y[1]
    dy[0] = -r1 + r2
    dy[1] = r1 - r2 - r3
    dy[2] = r3


@numba.njit
def pk(t, y, dy, theta, consts):
    """A four-compartment pharmacokinetic model: gut -> central <-> two peripheral compartments, elimination."""
    ka, k10, k12, k21, k13, k31 = theta[0], theta[1], theta[2], theta[3], theta[4], theta[5]
    dy[0] = -ka * y[0]
    dy[1] = ka * y[0] - (k10 + k12 + k13) * y[1] + k21 * y[2] + k31 * y[3]
    dy[2] = k12 * y[1] - k21 * y[2]
    dy[3] = k13 * y[1] - k31 * y[3]


@numba.njit
def forced(t, y, dy, theta, consts):
    """``dy/dt = -lam (y - cos t)``: stiff for large ``lam = theta[0]``, and not autonomous."""
    dy[0] = -theta[0] * (y[0] - math.cos(t))


RHS = {"robertson": robertson, "pk": pk, "forced": forced, "blow_up": blow_up, "decay": decay}


@numba.njit
def problems(t, y, dy, theta, consts):
    """The right-hand side of problem ``consts[1]`` (an index into :data:`RHS`); counts its calls in ``consts[0]``."""
    consts[0] += 1.0
    which = consts[1]
    if which == 0:
        robertson(t, y, dy, theta, consts)
    elif which == 1:
        pk(t, y, dy, theta, consts)
    elif which == 2:
        forced(t, y, dy, theta, consts)
    elif which == 3:
        blow_up(t, y, dy, theta, consts)
    else:
        decay(t, y, dy, theta, consts)


def solver(name="rodas4_integrate"):
    """The solver ``name`` compiled against :func:`problems`."""
    return solvers(problems)[name]


def counter(problem):
    """``consts`` for :func:`problems`: no calls yet, and the problem's index."""
    return np.array([0.0, list(RHS).index(problem)])


ROBERTSON = np.array([0.04, 3e7, 1e4])
ROBERTSON_Y0 = [1.0, 0.0, 0.0]
# ka = 100 (fast absorption), k12 / k21 = 1000 (fast distribution), a slow deep compartment
PK = np.array([100.0, 0.2, 1000.0, 1.0, 10.0, 0.01])
PK_Y0 = [100.0, 0.0, 0.0, 0.0]
PK_TIMES = [0.0, 0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 48.0]


def radau(problem, theta, y0, times):
    """``y`` at each of ``times`` (the first is t0) from SciPy's Radau at rtol 1e-10, atol 1e-16; rows are times."""
    rhs = RHS[problem].py_func

    def f(t, y):
        dy = np.empty(len(y))
        rhs(t, y, dy, theta, None)
        return dy

    solution = solve_ivp(f, (times[0], times[-1]), y0, method="Radau", t_eval=times, rtol=1e-10, atol=1e-16)
    assert solution.success
    return solution.y.T


def rodas4(problem, theta, y0, times, rtol, atol, h0=1e-6, max_steps=100_000):
    """``(ok, y at each of times, rhs calls)`` from rodas4 called from one time to the next, as a kernel does."""
    solve = solver()
    consts, y = counter(problem), np.array(y0, dtype=float)
    out = [y.copy()]
    ok = True
    for t0, t1 in zip(times[:-1], times[1:]):
        ok = ok and solve(theta, consts, t0, t1, y, h0, rtol, atol, max_steps)
        out.append(y.copy())
    return ok, np.array(out), consts[0]


def within_tolerances(y, ref, rtol, atol, factor=10.0):
    """Whether each ``|y - ref| <= factor * (atol + rtol * |ref|)``.

    The solver keeps each step's local error within ``atol + rtol * |y|``; on
    these dissipative problems the local errors do not grow as they propagate,
    so the global error stays within a small multiple of the tolerance.
    """
    return np.all(np.abs(y - ref) <= factor * (atol + rtol * np.abs(ref)))


@pytest.mark.parametrize("t1", [40.0, 4e5])
def test_robertson_matches_radau(t1):
    times = [0.0, t1]
    ref = radau("robertson", ROBERTSON, ROBERTSON_Y0, times)[-1]
    errors = []
    for rtol in (1e-4, 1e-6, 1e-8):
        atol = rtol * 1e-6  # y2 is at most 3.7e-5: an absolute tolerance below its scale
        ok, y, _ = rodas4("robertson", ROBERTSON, ROBERTSON_Y0, times, rtol, atol)
        assert ok
        assert within_tolerances(y[-1], ref, rtol, atol)
        # the species' total stays 1: the method keeps linear invariants up to rounding
        assert abs(y[-1].sum() - 1.0) < 1e-12
        errors.append(np.max(np.abs(y[-1] - ref) / ref))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-7


def test_a_stiff_pharmacokinetic_model_matches_radau():
    rtol, atol = 1e-8, 1e-10
    ok, y, calls = rodas4("pk", PK, PK_Y0, PK_TIMES, rtol, atol, h0=0.01)
    assert ok
    assert within_tolerances(y, radau("pk", PK, PK_Y0, PK_TIMES), rtol, atol)
    # the fastest rate is about 1000 per hour, yet the steps are far longer than 1/1000 hour
    assert calls < 10_000


def test_robertson_is_far_cheaper_than_rk45():
    rtol, atol = 1e-6, 1e-12
    consts, y = counter("robertson"), np.array(ROBERTSON_Y0)
    # rk45's steps are bounded by stability (|h lambda| <= 3.3, lambda near -1e4), not by accuracy
    assert not solver("rk45_integrate")(ROBERTSON, consts, 0.0, 40.0, y, 1e-6, rtol, atol, 20_000)
    rk45_calls = consts[0]
    assert rk45_calls == 1 + 6 * 20_000
    consts, y = counter("robertson"), np.array(ROBERTSON_Y0)
    assert solver()(ROBERTSON, consts, 0.0, 40.0, y, 1e-6, rtol, atol, 2_000)
    assert consts[0] < 2_000  # calls, let alone steps
    assert consts[0] * 50 < rk45_calls


def test_a_non_autonomous_problem_matches_the_exact_solution():
    lam = 50.0
    times = np.linspace(0.0, 10.0, 21)
    exact = (lam**2 * np.cos(times) + lam * np.sin(times)) / (lam**2 + 1)
    exact += (2.0 - lam**2 / (lam**2 + 1)) * np.exp(-lam * times)  # y(0) = 2
    errors = []
    for rtol in (1e-5, 1e-7, 1e-9):
        atol = rtol * 1e-2
        ok, y, _ = rodas4("forced", np.array([lam]), [2.0], list(times), rtol, atol, h0=0.01)
        assert ok
        assert within_tolerances(y[:, 0], exact, rtol, atol)
        errors.append(np.abs(y[:, 0] - exact).max())
    assert errors[0] > errors[1] > errors[2]


def test_a_solution_that_blows_up_fails_fast():
    solve = solver()
    # y = 1 / (1 - t) from y(0) = 1 is infinite at t = 1: the steps shrink until h underflows
    consts, y = counter("blow_up"), np.ones(1)
    assert not solve(np.zeros(0), consts, 0.0, 2.0, y, 0.01, 1e-6, 1e-9, 100_000)
    assert consts[0] < 10_000
    assert np.isfinite(y[0]) and y[0] > 1e3  # the last accepted solution, close to the singularity
    consts, y = counter("blow_up"), np.ones(1)
    assert not solve(np.zeros(0), consts, 0.0, 2.0, y, 0.01, 1e-6, 1e-9, 50)  # out of steps first
    assert 1.0 < y[0] < 1e3


def test_rodas4_fails_when_max_steps_trial_steps_do_not_reach_t1():
    solve = solver()
    theta, t1 = np.array([0.7]), 5.0

    def run(max_steps):
        consts, y = counter("decay"), np.ones(1)
        ok = solve(theta, consts, 0.0, t1, y, 0.01, 1e-6, 1e-9, max_steps)
        return ok, y[0], consts[0]

    ok, unlimited, calls = run(100_000)
    assert ok and unlimited == pytest.approx(math.exp(-0.7 * t1), rel=1e-5)
    needed = next(n for n in range(1, 1000) if run(n)[0])
    assert needed > 5
    assert run(needed) == (True, unlimited, calls)  # exactly enough: the same steps, the same result
    ok, partial, _ = run(needed - 1)
    assert not ok and math.exp(-0.7 * t1) < partial < 1.0  # the solution at the last accepted time
    assert not run(1)[0]
    consts, y = counter("robertson"), np.array(ROBERTSON_Y0)
    assert not solve(ROBERTSON, consts, 0.0, 40.0, y, 1e-6, 1e-6, 1e-12, 3)


def test_an_empty_span_leaves_y_unchanged():
    for t1 in (2.0, 1.0):
        consts, y = counter("decay"), np.array([3.0])
        assert solver()(np.array([0.7]), consts, 2.0, t1, y, 0.01, 1e-6, 1e-9, 100)
        assert y[0] == 3.0 and consts[0] == 0


def test_the_lu_solve_matches_numpy():
    factor, solve = solver("ode_lu_factor"), solver("ode_lu_solve")
    rng = np.random.default_rng(4)
    for m in (1, 2, 5, 9):
        a = rng.normal(size=(m, m))
        if m > 1:
            a[0, 0] = 0.0  # needs a row swap
        b = rng.normal(size=m)
        lu, piv, x = a.copy(), np.empty(m, dtype=np.int64), b.copy()
        assert factor(lu, piv)
        solve(lu, piv, x)
        np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-10, atol=1e-12)
    assert not factor(np.array([[1.0, 2.0], [2.0, 4.0]]), np.empty(2, dtype=np.int64))
    assert not factor(np.zeros((1, 1)), np.empty(1, dtype=np.int64))


PK_MODEL = """
param ka ~ LogNormal(4, 1)
param k10 ~ LogNormal(-1, 1)
param k12 ~ LogNormal(7, 1)
param k21 ~ LogNormal(0, 1)
param k13 ~ LogNormal(2, 1)
param k31 ~ LogNormal(-4, 1)
state gut = 100
state central = 0
state shallow = 0
state deep = 0
ode(solver = {solver}, rtol = 1e-8, atol = 1e-10) {{
    absorbed = ka * gut
    d(gut) = -absorbed
    d(central) = absorbed - (k10 + k12 + k13) * central + k21 * shallow + k31 * deep
    d(shallow) = k12 * central - k21 * shallow
    d(deep) = k13 * central - k31 * deep
}}
observe conc ~ LogNormal(log(central), 0.1)
"""


@pytest.mark.parametrize("solver", ["stiff", "rodas4"])
def test_a_model_with_a_stiff_ode_block(solver):
    model = ponder.loads(PK_MODEL.format(solver=solver))
    assert "ok = rodas4_integrate(theta, consts, t0, t1, y, 0.01, 1e-08, 1e-10, 100000)" in model.compiled.code
    params = dict(zip(["ka", "k10", "k12", "k21", "k13", "k31"], PK))
    ds = model.simulate(params, times=PK_TIMES)
    y = np.column_stack([ds[name].values for name in ("gut", "central", "shallow", "deep")])
    assert within_tolerances(y, radau("pk", PK, PK_Y0, PK_TIMES), 1e-8, 1e-10)
