"""Resampling schemes for particle filters, as Numba functions.

Each scheme takes normalised weights ``w`` (summing to 1), a
``numpy.random.Generator`` and an output array ``out`` of N ancestor indices,
and fills ``out`` so that index ``i`` appears ``N * w[i]`` times in
expectation. ``systematic`` (one uniform, lowest variance in practice) is the
default; ``stratified`` draws one uniform per stratum; ``multinomial`` draws
N independent categorical indices (sorted uniforms, O(N)); ``residual`` keeps
``floor(N w_i)`` copies deterministically and draws the rest multinomially.
See Douc, Cappé and Moulines (2005) for the comparison.
"""

from __future__ import annotations

import numba
import numpy as np

_njit = numba.njit(cache=True, nogil=True)

SCHEMES = ("systematic", "stratified", "multinomial", "residual")


@_njit
def _invert(w, positions, out):
    """For sorted positions in [0, 1), the index whose cumulative weight covers each."""
    n = out.shape[0]
    m = w.shape[0]
    cumulative = w[0]
    j = 0
    for i in range(n):
        while positions[i] >= cumulative and j < m - 1:
            j += 1
            cumulative += w[j]
        out[i] = j


@_njit
def systematic(w, rng, out):
    n = out.shape[0]
    u = rng.random()
    positions = (np.arange(n) + u) / n
    _invert(w, positions, out)


@_njit
def stratified(w, rng, out):
    n = out.shape[0]
    positions = (np.arange(n) + rng.random(n)) / n
    _invert(w, positions, out)


@_njit
def _sorted_uniforms(n, rng):
    # Sorted uniforms in O(n) from normalised exponential spacings.
    e = -np.log(rng.random(n + 1))
    c = np.cumsum(e)
    return c[:n] / c[n]


@_njit
def multinomial(w, rng, out):
    _invert(w, _sorted_uniforms(out.shape[0], rng), out)


@_njit
def residual(w, rng, out):
    n = out.shape[0]
    m = w.shape[0]
    k = 0
    residue = np.empty(m)
    for i in range(m):
        copies = int(np.floor(n * w[i]))
        for _ in range(copies):
            out[k] = i
            k += 1
        residue[i] = n * w[i] - copies
    rest = n - k
    if rest > 0:
        total = residue.sum()
        if total <= 0.0:
            for i in range(k, n):
                out[i] = out[i - k] if k > 0 else 0
            return
        residue /= total
        tail = np.empty(rest, dtype=np.int64)
        _invert(residue, _sorted_uniforms(rest, rng), tail)
        out[k:] = tail


@_njit
def resample(scheme, w, rng, out):
    """Dispatch on the scheme number (index into SCHEMES)."""
    if scheme == 0:
        systematic(w, rng, out)
    elif scheme == 1:
        stratified(w, rng, out)
    elif scheme == 2:
        multinomial(w, rng, out)
    else:
        residual(w, rng, out)
