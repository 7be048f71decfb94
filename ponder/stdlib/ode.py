"""The ODE solvers of ``ode { }`` blocks: classical RK4 and adaptive Dormand–Prince 5(4).

Both solvers integrate ``dy/dt = f(t, y)`` in place from ``t0`` to ``t1``,
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

**Why source text.** Numba caches a compiled function across processes
only when the functions it calls are module globals, not arguments (a
solver taking ``rhs`` as an argument makes the kernel that passes it
uncacheable). So the solvers cannot be compiled once here against every
model's ``rhs``: the code generator copies them into each model's kernel
module, next to the ``rhs`` it generates, where the module's own ``jit``
(``numba.njit(cache=True, nogil=True, error_model="numpy")``) compiles them.
This module is their one definition. The functions here are plain Python
(no decorator) and :data:`SOURCE` is their text read back with
:func:`inspect.getsource`, each with ``@jit`` in front; it reaches the code
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


#: The solvers' source as the code generator emits it into a kernel module.
SOURCE = "\n\n".join("@jit\n" + inspect.getsource(fn) for fn in (rk4_integrate, rk45_integrate))
