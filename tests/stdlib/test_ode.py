"""Tests of the ODE solvers (:mod:`ponder.stdlib.ode`) against SciPy's ``solve_ivp``.

The solvers are source text that each kernel module compiles against its
own ``rhs``; here :func:`solvers` compiles a copy of that same text against a
test ``rhs``. Each test right-hand side has the kernels' signature
``rhs(t, y, dy, theta, consts)``; ``counted_decay`` also counts its calls in
``consts[0]``.
"""

import functools
import math

import numba
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import ponder
from ponder.plugins.manager import plugins
from ponder.stdlib import BUILTIN_LIBRARY, ode


@functools.lru_cache
def solvers(rhs):
    """``(rk4_integrate, rk45_integrate)`` compiled against the Numba function ``rhs``, as in a kernel module."""
    namespace = {"math": math, "np": np, "jit": numba.njit(nogil=True, error_model="numpy"), "rhs": rhs}
    exec(ode.SOURCE, namespace)
    return namespace["rk4_integrate"], namespace["rk45_integrate"]


@numba.njit
def decay(t, y, dy, theta, consts):
    dy[0] = -theta[0] * y[0]


@numba.njit
def oscillator(t, y, dy, theta, consts):
    dy[0] = y[1]
    dy[1] = -theta[0] ** 2 * y[0]


@numba.njit
def lotka_volterra(t, y, dy, theta, consts):
    dy[0] = theta[0] * y[0] - theta[1] * y[0] * y[1]
    dy[1] = theta[3] * y[0] * y[1] - theta[2] * y[1]


@numba.njit
def counted_decay(t, y, dy, theta, consts):
    consts[0] += 1.0
    dy[0] = -theta[0] * y[0]


@numba.njit
def blow_up(t, y, dy, theta, consts):
    dy[0] = y[0] * y[0]  # y = 1 / (1 - t) from y(0) = 1: infinite at t = 1


# name: (rhs, theta, y0, t1), all from t0 = 0
PROBLEMS = {
    "decay": (decay, [0.7], [1.0], 5.0),
    "oscillator": (oscillator, [2.0], [1.0, 0.0], 10.0),
    "lotka_volterra": (lotka_volterra, [1.0, 0.1, 1.5, 0.075], [10.0, 5.0], 15.0),
}
NO_CONSTS = np.zeros(0)


def reference(name):
    """``y(t1)`` of problem ``name`` from SciPy's DOP853 at tolerances far below the ones tested."""
    rhs, theta, y0, t1 = PROBLEMS[name]
    theta = np.array(theta)

    def f(t, y):
        dy = np.empty(len(y))
        rhs.py_func(t, y, dy, theta, NO_CONSTS)
        return dy

    solution = solve_ivp(f, (0.0, t1), y0, method="DOP853", rtol=1e-13, atol=1e-13)
    assert solution.success
    return solution.y[:, -1]


def solve(name, solver, *options):
    """``(ok, y(t1))`` of problem ``name`` from ``solver`` (``"rk4"`` or ``"rk45"``) with ``options`` after ``y``."""
    rhs, theta, y0, t1 = PROBLEMS[name]
    rk4, rk45 = solvers(rhs)
    y = np.array(y0)
    ok = (rk4 if solver == "rk4" else rk45)(np.array(theta), NO_CONSTS, 0.0, t1, y, *options)
    return ok, y


@pytest.mark.parametrize("name", PROBLEMS)
def test_rk45_matches_solve_ivp_at_tight_tolerances(name):
    ok, y = solve(name, "rk45", 0.01, 1e-10, 1e-13, 100_000)
    assert ok
    np.testing.assert_allclose(y, reference(name), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", PROBLEMS)
def test_rk45_meets_its_tolerances(name):
    # rtol and atol bound each step's local error; over a long span the global
    # error at t1 may be a few times the tolerance, and it shrinks with it
    ref = reference(name)
    errors = []
    for rtol in (1e-6, 1e-8, 1e-10):
        atol = rtol * 1e-3
        ok, y = solve(name, "rk45", 0.01, rtol, atol, 100_000)
        assert ok
        error = np.abs(y - ref)
        assert np.all(error <= 10 * (atol + rtol * np.abs(ref)))
        errors.append(error.max())
    assert errors[0] > errors[1] > errors[2]


@pytest.mark.parametrize("name", PROBLEMS)
def test_rk4_matches_solve_ivp_at_a_small_step(name):
    ok, y = solve(name, "rk4", 0.001)
    assert ok
    np.testing.assert_allclose(y, reference(name), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", PROBLEMS)
def test_rk4_error_shrinks_as_h_to_the_fourth(name):
    ref = reference(name)
    errors = [np.abs(solve(name, "rk4", h)[1] - ref).max() for h in (0.05, 0.025, 0.0125)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders > 3.8) & (orders < 4.2)), orders


@pytest.mark.parametrize("span, h, n_steps", [(1.0, 0.1, 10), (0.3, 0.1, 3), (0.35, 0.1, 4), (0.05, 0.1, 1)])
def test_rk4_takes_equal_steps_of_at_most_h(span, h, n_steps):
    rk4, _ = solvers(counted_decay)
    calls, y = np.zeros(1), np.ones(1)
    assert rk4(np.array([0.7]), calls, 0.0, span, y, h)
    assert calls[0] == 4 * n_steps
    # n equal steps of span / n: the error is that of RK4 at that step
    step = span / n_steps
    per_step = 1 - 0.7 * step + (0.7 * step) ** 2 / 2 - (0.7 * step) ** 3 / 6 + (0.7 * step) ** 4 / 24
    assert y[0] == pytest.approx(per_step ** n_steps, rel=1e-14)


def test_an_empty_span_leaves_y_unchanged():
    rk4, rk45 = solvers(counted_decay)
    theta = np.array([0.7])
    calls, y = np.zeros(1), np.array([3.0])
    assert rk4(theta, calls, 2.0, 2.0, y, 0.1)
    assert y[0] == 3.0 and calls[0] == 4  # one step of length 0
    for t1 in (2.0, 1.0):  # rk45 returns at once, also when t1 < t0
        calls, y = np.zeros(1), np.array([3.0])
        assert rk45(theta, calls, 2.0, t1, y, 0.01, 1e-6, 1e-9, 100)
        assert y[0] == 3.0 and calls[0] == 0


def test_rk45_fails_when_max_steps_trial_steps_do_not_reach_t1():
    _, rk45 = solvers(counted_decay)
    theta, t1 = np.array([0.7]), 5.0

    def run(max_steps):
        calls, y = np.zeros(1), np.ones(1)
        ok = rk45(theta, calls, 0.0, t1, y, 0.01, 1e-6, 1e-9, max_steps)
        return ok, y[0], calls[0]

    ok, unlimited, calls = run(100_000)
    assert ok
    steps = (calls - 1) / 6  # first same as last: one evaluation, then six per trial step
    assert steps == int(steps) and steps > 5
    steps = int(steps)
    assert run(steps) == (True, unlimited, calls)  # exactly enough: the same steps, the same result
    ok, partial, calls_short = run(steps - 1)
    assert not ok and calls_short == 1 + 6 * (steps - 1)
    # y is the solution at the last accepted time, short of t1
    assert math.exp(-0.7 * t1) < partial < 1.0
    assert not run(1)[0]


def test_a_solution_that_blows_up():
    rk4, rk45 = solvers(blow_up)
    y = np.ones(1)
    assert not rk45(NO_CONSTS, NO_CONSTS, 0.0, 2.0, y, 0.01, 1e-6, 1e-9, 100_000)  # the step size collapses
    y = np.ones(1)
    assert rk4(NO_CONSTS, NO_CONSTS, 0.0, 2.0, y, 0.01)  # rk4 never reports failure ...
    assert not np.isfinite(y[0])  # ... it leaves the overflow in y


def test_kernel_modules_carry_the_one_definition():
    assert BUILTIN_LIBRARY.ode_solvers == ode.SOURCE
    assert plugins().library.ode_solvers == ode.SOURCE
    model = ponder.loads("param k ~ LogNormal(0, 1)\nstate x = 1\node(rtol = 1e-7) { d(x) = -k * x }")
    assert ode.SOURCE in model.compiled.code
    # the model's kernel computes exactly what the copy compiled here does
    ds = model.simulate({"k": 0.7}, times=[0, 2.5])
    _, rk45 = solvers(decay)
    y = np.ones(1)
    assert rk45(np.array([0.7]), NO_CONSTS, 0.0, 2.5, y, 0.01, 1e-7, 1e-9, 100_000)
    assert ds["x"].values[-1] == y[0]
