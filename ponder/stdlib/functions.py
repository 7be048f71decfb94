"""Math functions of the ponder language (the built-in library's; plugins add more).

Each :class:`~ponder.lang.library.Function` has a Numba implementation used by generated kernels
and a NumPy twin used by the tests. ``arity`` is the number of arguments;
``min`` and ``max`` take two or more (``max_arity`` is ``None`` for "any").
``round`` rounds halfway cases away from zero, as Stan and C do.
"""

from __future__ import annotations

import math
import numba
import numpy as np

from ponder.lang.library import Function

_njit = numba.njit(cache=True, nogil=True)


@_njit
def fn_exp(x):
    return math.exp(x) if not x >= 709.782712893384 else math.inf  # `not >=`: NaN stays NaN


@_njit
def fn_log(x):
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -math.inf
    return math.nan


@_njit
def fn_log1p(x):
    if x > -1.0:
        return math.log1p(x)
    if x == -1.0:
        return -math.inf
    return math.nan


@_njit
def fn_expm1(x):
    return math.expm1(x) if not x >= 709.782712893384 else math.inf


@_njit
def fn_sqrt(x):
    return math.sqrt(x) if x >= 0.0 else math.nan


@_njit
def fn_abs(x):
    return abs(x)


@_njit
def fn_pow(x, y):
    if x < 0.0 and y != math.floor(y):
        return math.nan
    if x == 0.0 and y < 0.0:
        return math.inf
    return x**y


@_njit
def fn_min(*xs):
    m = xs[0]
    for x in xs:
        if x < m:
            m = x
    return m


@_njit
def fn_max(*xs):
    m = xs[0]
    for x in xs:
        if x > m:
            m = x
    return m


@_njit
def fn_floor(x):
    return np.floor(x)  # a float: math.floor's integer overflows beyond 2^63


@_njit
def fn_ceil(x):
    return np.ceil(x)


@_njit
def fn_round(x):
    if not math.isfinite(x):
        return x
    if x >= 0.0:
        return np.floor(x + 0.5)
    return -np.floor(-x + 0.5)


@_njit
def fn_sin(x):
    return math.sin(x) if math.isfinite(x) else math.nan


@_njit
def fn_cos(x):
    return math.cos(x) if math.isfinite(x) else math.nan


@_njit
def fn_tanh(x):
    return math.tanh(x)


@_njit
def fn_logistic(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@_njit
def fn_logit(p):
    if p < 0.0 or p > 1.0:
        return math.nan
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    return math.log(p) - math.log1p(-p)


@_njit
def fn_clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def _np_round(x):
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, np.floor(x + 0.5), -np.floor(-x + 0.5))


def _np_pow(x, y):
    with np.errstate(all="ignore"):
        return np.power(np.asarray(x, float), np.asarray(y, float))


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        Function("exp", 1, 1, fn_exp, np.exp, "e to the power x"),
        Function("log", 1, 1, fn_log, np.log, "natural logarithm"),
        Function("log1p", 1, 1, fn_log1p, np.log1p, "log(1 + x), accurate near 0"),
        Function("expm1", 1, 1, fn_expm1, np.expm1, "exp(x) - 1, accurate near 0"),
        Function("sqrt", 1, 1, fn_sqrt, np.sqrt, "square root"),
        Function("abs", 1, 1, fn_abs, np.abs, "absolute value"),
        Function("pow", 2, 2, fn_pow, _np_pow, "x to the power y (same as x ^ y)"),
        Function("min", 2, None, fn_min, lambda *xs: np.minimum.reduce(xs), "smallest argument"),
        Function("max", 2, None, fn_max, lambda *xs: np.maximum.reduce(xs), "largest argument"),
        Function("floor", 1, 1, fn_floor, np.floor, "largest integer <= x"),
        Function("ceil", 1, 1, fn_ceil, np.ceil, "smallest integer >= x"),
        Function("round", 1, 1, fn_round, _np_round, "nearest integer, halves away from zero"),
        Function("sin", 1, 1, fn_sin, np.sin, "sine"),
        Function("cos", 1, 1, fn_cos, np.cos, "cosine"),
        Function("tanh", 1, 1, fn_tanh, np.tanh, "hyperbolic tangent"),
        Function("logistic", 1, 1, fn_logistic, lambda x: 1.0 / (1.0 + np.exp(-np.asarray(x, float))), "1 / (1 + exp(-x))"),
        Function("logit", 1, 1, fn_logit, lambda p: np.log(p) - np.log1p(-np.asarray(p, float)), "log(p / (1 - p))"),
        Function("clamp", 3, 3, fn_clamp, np.clip, "x limited to [lo, hi]"),
    ]
}
