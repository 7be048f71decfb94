"""SPUX's random walk as a simulator with Numba kernels (used by tests/runtime/test_simulators.py).

The kernels draw exactly as examples/randomwalk's generated ``advance``
does (particle outer, steps inner, one uniform per step), so the filters
of the two models agree bit for bit.
"""

import numba

import ponder


@numba.njit(cache=True, nogil=True)
def walk_init(p, t0, X, rng):
    for n in range(X.shape[0]):
        X[n, 0] = p[0]


@numba.njit(cache=True, nogil=True)
def walk_advance(p, X, t0, t1, rng):
    drift, h = p[1], p[2]
    for n in range(X.shape[0]):
        for _ in range(int(round(t1 - t0))):
            u = min(-1.0 + 2.0 * rng.uniform(), 1.0)
            X[n, 0] += h if u < drift else -h


class NumbaWalk:
    output_names = ("position",)
    parameters = ("origin", "drift", "stepsize")
    capabilities = ponder.SimulatorCapabilities(thread_safe=True)
    numba_kernels = (walk_init, walk_advance)
