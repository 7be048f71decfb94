"""The ODE solvers of ``ode { }`` blocks: classical RK4, adaptive Dormand–Prince 5(4) and stiff Rodas4.

The solvers integrate ``dy/dt = f(t, y)`` in place from ``t0`` to ``t1``,
calling ``rhs(t, y, dy, theta, consts)``, which writes ``f(t, y)`` into
``dy``. They return True on success, False when the solve failed (the
kernel then sets the particle's states to NaN, which makes its likelihood
-inf).

**rk4** (``rk4_integrate``, ``ode(solver = rk4, dt = h)``), the classical
fourth-order Runge–Kutta method with a fixed step::

    k1 = f(t,       y)
    k2 = f(t + h/2, y + h/2 k1)
    k3 = f(t + h/2, y + h/2 k2)
    k4 = f(t + h,   y + h k3)
    y  <- y + h/6 (k1 + 2 k2 + 2 k3 + k4)

The span is cut into ``n = max(ceil((t1 - t0)/h - 1e-9), 1)`` equal steps of
``(t1 - t0)/n <= h`` (the ``1e-9`` keeps a span that is a whole number of
steps up to rounding from taking one more). The global error is O(h^4). It
always returns True; a solution that blows up is left as inf or NaN.

**rk45** (``rk45_integrate``, the default solver), the Dormand–Prince 5(4)
pair (Hairer, Nørsett and Wanner, *Solving Ordinary Differential Equations
I*, II.4 and II.5). Butcher tableau (``c | A``, then the weights ``b`` of the
fifth-order solution that is kept, ``b*`` of the embedded fourth-order one)::

    0    |
    1/5  | 1/5
    3/10 | 3/40        9/40
    4/5  | 44/45       -56/15       32/9
    8/9  | 19372/6561  -25360/2187  64448/6561  -212/729
    1    | 9017/3168   -355/33      46732/5247  49/176   -5103/18656
    1    | 35/384      0            500/1113    125/192  -2187/6784    11/84
    -----+------------------------------------------------------------------------
    b    | 35/384      0            500/1113    125/192  -2187/6784    11/84     0
    b*   | 5179/57600  0            7571/16695  393/640  -92097/339200 187/2100  1/40

The last stage is evaluated at the new solution, so it is the next step's
first stage ("first same as last": six evaluations of ``f`` per step). With
``e = h * sum_j (b_j - b*_j) k_j`` (the coefficients
``71/57600, 0, -71/16695, 71/1920, -17253/339200, 22/525, -1/40``) the error
of a step is the root mean square::

    err = sqrt(1/m * sum_i (e_i / (atol + rtol * max(|y_i|, |y5_i|)))^2)

with ``y`` the state before and ``y5`` after the step. Step-size control:

* ``err <= 1``: accept the step and scale ``h`` by
  ``min(5, max(0.2, 0.9 * err^(-1/5)))`` (by 5 when ``err == 0``);
* ``err > 1``: reject it and retry with ``h`` scaled by ``max(0.2, 0.9 * err^(-1/5))``;
* ``err`` not finite (the trial step overflowed): retry with ``h / 5``.

The first step is ``min(h0, t1 - t0)`` (``h0`` is the block's ``dt``) and a
step never passes ``t1``. The solve succeeds once ``t1 - t <= 1e-12 *
max(1, |t1|)``. It fails (returns False) when ``h`` falls below ``1e-14 *
max(1, |t|)`` or when ``max_steps`` trial steps, accepted and rejected
together, do not reach ``t1``; ``y`` then holds the solution at the last
accepted time. A span ``t1 <= t0`` leaves ``y`` as it is.

**rodas4** (``rodas4_integrate``, ``ode(solver = stiff)`` or ``ode(solver =
rodas4)``), for stiff systems: the Rosenbrock method RODAS of Hairer and
Wanner (*Solving Ordinary Differential Equations II*, 2nd ed., IV.7 and
VI.4), six stages, order 4 with an embedded order-3 solution, stiffly
accurate and L-stable. Its steps are limited by accuracy, not by the
fastest time scale, at the price of a Jacobian and an LU factorisation per
step: for a system that is not stiff, rk45 is cheaper. Every stage solves a
linear system with the one matrix ``W = I / (h gamma) - J``::

    W k_i = f(t + c_i h, y + sum_{j<i} a_ij k_j) + 1/h sum_{j<i} c_ij k_j + h d_i f_t    (i = 1..6)

with ``J = df/dy`` and ``f_t = df/dt`` at ``(t, y)``, in the book's
transformed variables (no matrix-vector products). The embedded solution is
the argument of stage 6, ``y3 = y + sum_{j<=4} a_5j k_j + k5``; the solution
kept is ``y4 = y3 + k6``, and ``k6`` is the error estimate. The coefficients
are those of Hairer and Wanner's code ``rodas.f`` (subroutine ``RODCOE``,
``METH = 1``; also Numerical Recipes, 3rd ed., 17.5, ``StepperRoss``)::

    gamma = 0.25
    c = (0, 0.386, 0.21, 0.63, 1, 1)
    d = (0.25, -0.1043, 0.1035, -0.3620000000000023e-01, 0, 0)
    a_21 = 1.544
    a_31 = 0.9466785280815826   a_32 = 0.2557011698983284
    a_41 = 3.314825187068521    a_42 = 2.896124015972201    a_43 = 0.9986419139977817
    a_51 = 1.221224509226641    a_52 = 6.019134481288629    a_53 = 12.53708332932087
    a_54 = -0.6878860361058950  (a_6j = a_5j for j <= 4, a_65 = 1)
    c_21 = -5.6688
    c_31 = -2.430093356833875   c_32 = -0.2063599157091915
    c_41 = -0.1073529058151375  c_42 = -9.594562251023355   c_43 = -20.47028614809616
    c_51 = 7.496443313967647    c_52 = -10.24680431464352   c_53 = -33.99990352819905
    c_54 = 11.70890893206160
    c_61 = 8.083246795921522    c_62 = -7.981132988064893   c_63 = -31.52159432874371
    c_64 = 16.31930543123136    c_65 = -6.058818238834054

*Jacobian.* Once per accepted step, at the step's ``(t, y)``, by forward
differences of ``rhs``: ``J[:, j] = (f(t, y + delta_j e_j) - f(t, y)) /
delta_j`` with ``delta_j = sqrt(eps) * max(|y_j|, 1e-5)`` and ``f_t = (f(t +
delta_t, y) - f(t, y)) / delta_t`` with ``delta_t = sqrt(eps) * max(|t|,
1)`` (``eps = 2^-52``; each increment is taken as it is represented,
``(y_j + delta_j) - y_j``). ``f(t, y)`` is also stage 1's. A rejected step
is retried from the same ``(t, y)``, so it reuses ``J``, ``f`` and ``f_t``
and only refactors ``W`` for the new ``h``. An accepted step costs ``m + 7``
calls of ``rhs`` (``m`` states), a rejected one 5.

*Linear algebra.* ``W`` is factored in place by Gaussian elimination with
partial pivoting (``ode_lu_factor``) and each stage's system solved by
forward and back substitution (``ode_lu_solve``): plain loops, no LAPACK,
all work arrays allocated once per call. A zero or non-finite pivot counts
as a non-finite error.

*Error and step size.* ``err`` is rk45's scaled RMS norm with ``e = k6``
(``y`` before, ``y4`` after the step). The embedded solution is of order 3,
so the exponent is ``1/4``:

* ``err <= 1``: accept the step and scale ``h`` by
  ``min(6, max(0.2, 0.9 * err^(-1/4)))`` (by 6 when ``err == 0``), but by
  at most 1 right after a rejection (the bounds of Numerical Recipes'
  ``StepperRoss``, without its predictive controller);
* ``err > 1``: reject it and retry with ``h`` scaled by ``max(0.2, 0.9 * err^(-1/4))``;
* ``err`` not finite (an overflow, or ``W`` singular): retry with ``h / 5``.

The first step, the end of the span, the failures (``h`` below ``1e-14 *
max(1, |t|)``, or ``max_steps`` trial steps not enough, after which ``y``
holds the solution at the last accepted time) and an empty span are as for
rk45.

**Why source text.** Numba caches a compiled function across processes
only when the functions it calls are module globals, not arguments (a
solver taking ``rhs`` as an argument makes the kernel that passes it
uncacheable). So the solvers cannot be compiled once here against every
model's ``rhs``: the code generator copies them into each model's kernel
module, next to the ``rhs`` it generates, where the module's own ``jit``
(``numba.njit(cache=True, nogil=True, error_model="numpy")``) compiles them.
This module is their one definition. The functions here are plain Python
(no decorator) and :data:`SOURCE` is their text (the three solvers and
rodas4's LU helpers) read back with :func:`inspect.getsource`, each with
``@jit`` in front; it reaches the code
generator as :attr:`ponder.lang.library.Library.ode_solvers`, since
``ponder.lang`` does not import the standard library. The code uses only
``math``, ``np`` and ``rhs``, names every kernel module has. To run a solver
outside a kernel (tests), execute :data:`SOURCE` in a namespace that holds
those names and a Numba ``rhs``.
"""

from __future__ import annotations

import inspect
import math

import numpy as np


def rhs(t, y, dy, theta, consts):
    """The right-hand side the solvers call: write ``f(t, y)`` into ``dy``.

    A stand-in; each kernel module generates the model's own ``rhs`` (from
    the ``d(x) = ...`` statements, with the parameters ``theta`` and the
    constants ``consts``) as a module global next to its copy of the solvers.
    """
    raise NotImplementedError("the solvers run inside a kernel module, which defines `rhs`")


def rk4_integrate(theta, consts, t0, t1, y, h):
    """Integrate ``y`` in place from ``t0`` to ``t1`` with classical RK4 steps of at most ``h``; True."""
    n_steps = max(int(math.ceil((t1 - t0) / h - 1e-9)), 1)
    h = (t1 - t0) / n_steps
    m = y.shape[0]
    k1 = np.empty(m)
    k2 = np.empty(m)
    k3 = np.empty(m)
    k4 = np.empty(m)
    tmp = np.empty(m)
    t = t0
    for step in range(n_steps):
        rhs(t, y, k1, theta, consts)
        for i in range(m):
            tmp[i] = y[i] + 0.5 * h * k1[i]
        rhs(t + 0.5 * h, tmp, k2, theta, consts)
        for i in range(m):
            tmp[i] = y[i] + 0.5 * h * k2[i]
        rhs(t + 0.5 * h, tmp, k3, theta, consts)
        for i in range(m):
            tmp[i] = y[i] + h * k3[i]
        rhs(t + h, tmp, k4, theta, consts)
        for i in range(m):
            y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
        t = t0 + (step + 1) * h  # not t += h: no rounding drift over many steps
    return True


def rk45_integrate(theta, consts, t0, t1, y, h0, rtol, atol, max_steps):
    """Integrate ``y`` in place from ``t0`` to ``t1`` with adaptive Dormand-Prince 5(4) steps.

    ``h0`` is the first step; each step keeps the error estimate within
    ``atol + rtol * |y|`` (RMS over the components). True when ``t1`` is
    reached, False when the step size underflows or ``max_steps`` trial
    steps are not enough.
    """
    m = y.shape[0]
    k1 = np.empty(m)
    k2 = np.empty(m)
    k3 = np.empty(m)
    k4 = np.empty(m)
    k5 = np.empty(m)
    k6 = np.empty(m)
    k7 = np.empty(m)
    tmp = np.empty(m)
    y5 = np.empty(m)
    t = t0
    span = t1 - t0
    if span <= 0.0:
        return True
    h = min(h0, span)
    rhs(t, y, k1, theta, consts)
    for step in range(max_steps):
        if t1 - t <= 1e-12 * max(1.0, abs(t1)):
            return True
        if t + h > t1:
            h = t1 - t
        # stages 2 to 6: rows 2 to 6 of the tableau
        for i in range(m):
            tmp[i] = y[i] + h * (1.0 / 5.0) * k1[i]
        rhs(t + h / 5.0, tmp, k2, theta, consts)
        for i in range(m):
            tmp[i] = y[i] + h * (3.0 / 40.0 * k1[i] + 9.0 / 40.0 * k2[i])
        rhs(t + 3.0 * h / 10.0, tmp, k3, theta, consts)
        for i in range(m):
            tmp[i] = y[i] + h * (44.0 / 45.0 * k1[i] - 56.0 / 15.0 * k2[i] + 32.0 / 9.0 * k3[i])
        rhs(t + 4.0 * h / 5.0, tmp, k4, theta, consts)
        for i in range(m):
            tmp[i] = y[i] + h * (19372.0 / 6561.0 * k1[i] - 25360.0 / 2187.0 * k2[i]
                                 + 64448.0 / 6561.0 * k3[i] - 212.0 / 729.0 * k4[i])
        rhs(t + 8.0 * h / 9.0, tmp, k5, theta, consts)
        for i in range(m):
            tmp[i] = y[i] + h * (9017.0 / 3168.0 * k1[i] - 355.0 / 33.0 * k2[i] + 46732.0 / 5247.0 * k3[i]
                                 + 49.0 / 176.0 * k4[i] - 5103.0 / 18656.0 * k5[i])
        rhs(t + h, tmp, k6, theta, consts)
        # the fifth-order solution (weights b), and stage 7 at it
        for i in range(m):
            y5[i] = y[i] + h * (35.0 / 384.0 * k1[i] + 500.0 / 1113.0 * k3[i] + 125.0 / 192.0 * k4[i]
                                - 2187.0 / 6784.0 * k5[i] + 11.0 / 84.0 * k6[i])
        rhs(t + h, y5, k7, theta, consts)
        # error estimate: weights b - b*, scaled RMS norm
        err = 0.0
        for i in range(m):
            e = h * (71.0 / 57600.0 * k1[i] - 71.0 / 16695.0 * k3[i] + 71.0 / 1920.0 * k4[i]
                     - 17253.0 / 339200.0 * k5[i] + 22.0 / 525.0 * k6[i] - 1.0 / 40.0 * k7[i])
            scale = atol + rtol * max(abs(y[i]), abs(y5[i]))
            err += (e / scale) ** 2
        err = math.sqrt(err / max(m, 1))
        if not math.isfinite(err):
            h *= 0.2
            if h < 1e-14 * max(1.0, abs(t)):
                return False
            continue
        if err <= 1.0:
            t += h
            for i in range(m):
                y[i] = y5[i]
                k1[i] = k7[i]  # first same as last
            factor = 5.0 if err == 0.0 else min(5.0, max(0.2, 0.9 * err ** -0.2))
        else:
            factor = max(0.2, 0.9 * err ** -0.2)
        h *= factor
        if h < 1e-14 * max(1.0, abs(t)):
            return False
    return t1 - t <= 1e-12 * max(1.0, abs(t1))


def ode_lu_factor(a, piv):
    """LU-factor the square matrix ``a`` in place, with partial pivoting; False when it is singular.

    Doolittle elimination by columns: for each column ``k`` the row with the
    largest ``|a[i, k]|`` (``i >= k``) is swapped to row ``k`` (``piv[k]``
    records it), then the multipliers ``a[i, k] / a[k, k]`` are stored below
    the diagonal and the trailing block updated. ``a`` then holds ``L``
    (unit diagonal, not stored) and ``U``. A zero or non-finite pivot makes
    it return False, leaving ``a`` partly factored.
    """
    m = a.shape[0]
    for k in range(m):
        p = k
        big = abs(a[k, k])
        for i in range(k + 1, m):
            if abs(a[i, k]) > big:
                big = abs(a[i, k])
                p = i
        piv[k] = p
        if not (big > 0.0) or not math.isfinite(big):
            return False
        if p != k:
            for j in range(m):
                tmp = a[k, j]
                a[k, j] = a[p, j]
                a[p, j] = tmp
        inv = 1.0 / a[k, k]
        for i in range(k + 1, m):
            f = a[i, k] * inv
            a[i, k] = f
            if f != 0.0:
                for j in range(k + 1, m):
                    a[i, j] -= f * a[k, j]
    return True


def ode_lu_solve(a, piv, b):
    """Overwrite ``b`` with the solution ``x`` of ``A x = b``, ``a`` and ``piv`` from :func:`ode_lu_factor`."""
    m = a.shape[0]
    for k in range(m):  # the row swaps, in order, then forward substitution with the unit-diagonal L
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
    for i in range(m):
        s = b[i]
        for j in range(i):
            s -= a[i, j] * b[j]
        b[i] = s
    for i in range(m - 1, -1, -1):  # back substitution with U
        s = b[i]
        for j in range(i + 1, m):
            s -= a[i, j] * b[j]
        b[i] = s / a[i, i]


def rodas4_integrate(theta, consts, t0, t1, y, h0, rtol, atol, max_steps):
    """Integrate ``y`` in place from ``t0`` to ``t1`` with adaptive Rodas4 (Rosenbrock 4(3)) steps, for stiff systems.

    ``h0`` is the first step; each step keeps the error estimate within
    ``atol + rtol * |y|`` (RMS over the components). The Jacobian (and
    ``df/dt``) are finite differences of ``rhs``, once per accepted step.
    True when ``t1`` is reached, False when the step size underflows or
    ``max_steps`` trial steps are not enough.
    """
    # Hairer & Wanner's coefficients (rodas.f, RODCOE with METH = 1)
    gamma = 0.25
    c2 = 0.386
    c3 = 0.21
    c4 = 0.63
    d1 = 0.25
    d2 = -0.1043
    d3 = 0.1035
    d4 = -0.3620000000000023e-01
    a21 = 0.1544000000000000e+01
    a31 = 0.9466785280815826e+00
    a32 = 0.2557011698983284e+00
    a41 = 0.3314825187068521e+01
    a42 = 0.2896124015972201e+01
    a43 = 0.9986419139977817e+00
    a51 = 0.1221224509226641e+01
    a52 = 0.6019134481288629e+01
    a53 = 0.1253708332932087e+02
    a54 = -0.6878860361058950e+00
    c21 = -0.5668800000000000e+01
    c31 = -0.2430093356833875e+01
    c32 = -0.2063599157091915e+00
    c41 = -0.1073529058151375e+00
    c42 = -0.9594562251023355e+01
    c43 = -0.2047028614809616e+02
    c51 = 0.7496443313967647e+01
    c52 = -0.1024680431464352e+02
    c53 = -0.3399990352819905e+02
    c54 = 0.1170890893206160e+02
    c61 = 0.8083246795921522e+01
    c62 = -0.7981132988064893e+01
    c63 = -0.3152159432874371e+02
    c64 = 0.1631930543123136e+02
    c65 = -0.6058818238834054e+01
    m = y.shape[0]
    jac = np.empty((m, m))
    lu = np.empty((m, m))
    piv = np.empty(m, dtype=np.int64)
    f0 = np.empty(m)
    ft = np.empty(m)
    k1 = np.empty(m)
    k2 = np.empty(m)
    k3 = np.empty(m)
    k4 = np.empty(m)
    k5 = np.empty(m)
    k6 = np.empty(m)
    tmp = np.empty(m)
    fy = np.empty(m)
    t = t0
    span = t1 - t0
    if span <= 0.0:
        return True
    sqrt_eps = math.sqrt(2.220446049250313e-16)
    h = min(h0, span)
    fresh = False  # whether f0, jac and ft are those at (t, y)
    rejected = False  # whether the last trial step was rejected
    for step in range(max_steps):
        if t1 - t <= 1e-12 * max(1.0, abs(t1)):
            return True
        if t + h > t1:
            h = t1 - t
        if not fresh:
            # f, the Jacobian df/dy (forward differences, column by column) and df/dt at (t, y)
            rhs(t, y, f0, theta, consts)
            for j in range(m):
                tmp[j] = y[j]
            for j in range(m):
                yj = y[j]
                tmp[j] = yj + sqrt_eps * max(abs(yj), 1e-5)
                delta = tmp[j] - yj  # the increment as represented
                rhs(t, tmp, fy, theta, consts)
                for i in range(m):
                    jac[i, j] = (fy[i] - f0[i]) / delta
                tmp[j] = yj
            tt = t + sqrt_eps * max(abs(t), 1.0)
            delta = tt - t
            rhs(tt, y, fy, theta, consts)
            for i in range(m):
                ft[i] = (fy[i] - f0[i]) / delta
            fresh = True
        # the stages: (I / (h gamma) - J) k_i = f(t + c_i h, y + sum_j a_ij k_j) + sum_j c_ij k_j / h + h d_i df/dt
        for i in range(m):
            for j in range(m):
                lu[i, j] = -jac[i, j]
            lu[i, i] += 1.0 / (h * gamma)
        err = math.nan
        if ode_lu_factor(lu, piv):
            for i in range(m):
                k1[i] = f0[i] + h * d1 * ft[i]
            ode_lu_solve(lu, piv, k1)
            for i in range(m):
                tmp[i] = y[i] + a21 * k1[i]
            rhs(t + c2 * h, tmp, fy, theta, consts)
            for i in range(m):
                k2[i] = fy[i] + h * d2 * ft[i] + c21 * k1[i] / h
            ode_lu_solve(lu, piv, k2)
            for i in range(m):
                tmp[i] = y[i] + a31 * k1[i] + a32 * k2[i]
            rhs(t + c3 * h, tmp, fy, theta, consts)
            for i in range(m):
                k3[i] = fy[i] + h * d3 * ft[i] + (c31 * k1[i] + c32 * k2[i]) / h
            ode_lu_solve(lu, piv, k3)
            for i in range(m):
                tmp[i] = y[i] + a41 * k1[i] + a42 * k2[i] + a43 * k3[i]
            rhs(t + c4 * h, tmp, fy, theta, consts)
            for i in range(m):
                k4[i] = fy[i] + h * d4 * ft[i] + (c41 * k1[i] + c42 * k2[i] + c43 * k3[i]) / h
            ode_lu_solve(lu, piv, k4)
            for i in range(m):
                tmp[i] = y[i] + a51 * k1[i] + a52 * k2[i] + a53 * k3[i] + a54 * k4[i]
            rhs(t + h, tmp, fy, theta, consts)
            for i in range(m):
                k5[i] = fy[i] + (c51 * k1[i] + c52 * k2[i] + c53 * k3[i] + c54 * k4[i]) / h
            ode_lu_solve(lu, piv, k5)
            for i in range(m):
                tmp[i] += k5[i]  # the embedded third-order solution
            rhs(t + h, tmp, fy, theta, consts)
            for i in range(m):
                k6[i] = fy[i] + (c61 * k1[i] + c62 * k2[i] + c63 * k3[i] + c64 * k4[i] + c65 * k5[i]) / h
            ode_lu_solve(lu, piv, k6)
            # the fourth-order solution is tmp + k6; k6 is the error estimate
            err = 0.0
            for i in range(m):
                tmp[i] += k6[i]
                scale = atol + rtol * max(abs(y[i]), abs(tmp[i]))
                err += (k6[i] / scale) ** 2
            err = math.sqrt(err / max(m, 1))
        if not math.isfinite(err):  # an overflow, or I / (h gamma) - J singular
            h *= 0.2
            rejected = True
            if h < 1e-14 * max(1.0, abs(t)):
                return False
            continue
        if err <= 1.0:
            t += h
            for i in range(m):
                y[i] = tmp[i]
            fresh = False
            factor = 6.0 if err == 0.0 else min(6.0, max(0.2, 0.9 * err ** -0.25))
            if rejected:
                factor = min(factor, 1.0)
            rejected = False
        else:
            factor = max(0.2, 0.9 * err ** -0.25)
            rejected = True
        h *= factor
        if h < 1e-14 * max(1.0, abs(t)):
            return False
    return t1 - t <= 1e-12 * max(1.0, abs(t1))


_SOLVERS = (rk4_integrate, rk45_integrate, ode_lu_factor, ode_lu_solve, rodas4_integrate)

#: The solvers' source as the code generator emits it into a kernel module.
SOURCE = "\n\n".join("@jit\n" + inspect.getsource(fn) for fn in _SOLVERS)
