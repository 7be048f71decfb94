"""pomp's stochastic Ricker map as a simulator with Numba kernels.

    N[t+1] = r N[t] exp(-c N[t] + e[t]),   e[t] ~ Normal(0, sigma),   N[0] = N0

-- the dynamics of ``examples/ricker/ricker.model``. ponder compiles the two
kernels into the model's generated particle filter, so they run inside
Numba like a ``step`` block written in the language.

The kernels draw exactly as the generated ``advance`` of
``examples/ricker/ricker.model`` does: particles in the outer loop, time
steps of 1 in the inner loop, one ``rng.standard_normal()`` per step, the
noise formed as ``0.0 + sigma * z`` (``ponder.stdlib``'s Normal sampler)
and the update evaluated in the same order of operations. So the particle
filters of the two models agree bit for bit for the same seed.
"""

import math

import numba

import ponder

# p holds the values of `parameters`, in this order (ponder fills it from
# the model's params and consts).
R, SIGMA, C, N0 = 0, 1, 2, 3


@numba.njit(cache=True, nogil=True)
def ricker_init(p, t0, X, rng):
    """Every particle at N0 (column 0 of X is the output N)."""
    for n in range(X.shape[0]):
        X[n, 0] = p[N0]


@numba.njit(cache=True, nogil=True)
def ricker_advance(p, X, t0, t1, rng):
    """Every particle from t0 to t1, one time unit at a time, in place."""
    r, sigma, c = p[R], p[SIGMA], p[C]
    ok = sigma > 0.0 and sigma < math.inf  # as ponder's Normal: an invalid sigma draws NaN
    steps = int(round(t1 - t0))
    for n in range(X.shape[0]):
        for _ in range(steps):
            e = 0.0 + sigma * rng.standard_normal() if ok else math.nan
            x = -c * X[n, 0] + e
            X[n, 0] = r * X[n, 0] * (math.exp(x) if x < 709.782712893384 else math.inf)


class RickerNumba:
    """The simulator object ponder registers: what it reads, what it provides, and its kernels."""

    output_names = ("N",)
    parameters = ("r", "sigma", "c", "N0")
    capabilities = ponder.SimulatorCapabilities(deterministic=False, thread_safe=True)
    numba_kernels = (ricker_init, ricker_advance)
