"""Probability distributions of the ponder language.

A :class:`Distribution` bundles, for one family:

* ``params`` -- argument names in call order, and ``param_bounds``, the
  :class:`Interval` each argument must lie in; the checker rejects literal
  arguments outside it (``Normal(0, -1)``);
* ``logpdf(x, *args)`` -- a Numba function returning the log density (log
  mass for discrete families). It returns ``-inf`` outside the support and
  for invalid arguments, never raises;
* ``sample(rng, *args)`` -- a Numba function drawing one value from an
  explicit ``numpy.random.Generator``; it returns ``nan`` for invalid
  arguments, never raises;
* ``support(*args)`` -- a Numba function returning ``(lower, upper)``, the
  closed hull of the support. The runtime maps parameters to unconstrained
  space from these bounds (see :mod:`ponder.stdlib.transforms`);
* ``scipy(*args)`` -- the frozen ``scipy.stats`` twin, used by the tests;
* ``discrete`` -- whether values are integers.

All arguments and values are float64; integer arguments (``Binomial``'s
``n``) are rounded inside the kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numba
import numpy as np
from scipy import stats

INF = math.inf


@dataclass(frozen=True)
class Interval:
    """A real interval; ``lo_open``/``hi_open`` say whether an end is excluded."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def contains(self, value: float) -> bool:
        above = value > self.lo if self.lo_open else value >= self.lo
        below = value < self.hi if self.hi_open else value <= self.hi
        return above and below

    def describe(self) -> str:
        left = "(" if self.lo_open or self.lo == -INF else "["
        right = ")" if self.hi_open or self.hi == INF else "]"
        return f"{left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"


def _fmt(v: float) -> str:
    if v == INF:
        return "inf"
    if v == -INF:
        return "-inf"
    return f"{v:g}"


REAL = Interval(-INF, INF, True, True)
POSITIVE = Interval(0.0, INF, True, True)
NONNEGATIVE = Interval(0.0, INF, False, True)
UNIT = Interval(0.0, 1.0)
OPEN_UNIT = Interval(0.0, 1.0, True, True)


@dataclass(frozen=True)
class Distribution:
    """One distribution family; see the module docstring for each field."""

    name: str
    params: tuple[str, ...]
    param_bounds: tuple[Interval, ...]
    logpdf: Callable
    sample: Callable
    support: Callable
    scipy: Callable
    discrete: bool = False
    doc: str = ""

    @property
    def arity(self) -> int:
        return len(self.params)


_njit = numba.njit(cache=True, nogil=True)
LOG_2PI = math.log(2.0 * math.pi)


# ---------------------------------------------------------------- Normal
@_njit
def normal_logpdf(x, mu, sigma):
    if not sigma > 0.0:
        return -INF
    z = (x - mu) / sigma
    return -0.5 * z * z - math.log(sigma) - 0.5 * LOG_2PI


@_njit
def normal_sample(rng, mu, sigma):
    if not sigma > 0.0:
        return math.nan
    return mu + sigma * rng.standard_normal()


@_njit
def normal_support(mu, sigma):
    return -INF, INF


Normal = Distribution(
    name="Normal",
    params=("mu", "sigma"),
    param_bounds=(REAL, POSITIVE),
    logpdf=normal_logpdf,
    sample=normal_sample,
    support=normal_support,
    scipy=lambda mu, sigma: stats.norm(mu, sigma),
    doc="Normal with mean mu and standard deviation sigma.",
)


DISTRIBUTIONS: dict[str, Distribution] = {
    d.name: d
    for d in [
        Normal,
    ]
}
