"""Maps between a parameter's support and the whole real line.

Samplers move in unconstrained space, so no proposal ever leaves the
prior's support. The map for each parameter slot follows from its support
``[lower, upper]`` (given by the distribution's ``support`` function):

* (-inf, inf): x = z
* [lo, inf):   x = lo + exp(z)               log|dx/dz| = z
* (-inf, hi]:  x = hi - exp(z)               log|dx/dz| = z
* [lo, hi]:    x = lo + (hi - lo) logistic(z)
               log|dx/dz| = log(hi - lo) + log logistic(z) + log logistic(-z)

A density p(x) becomes p(x(z)) |dx/dz| in z, which is what samplers target.
"""

from __future__ import annotations

import numpy as np


def _log_logistic(z):
    return -np.logaddexp(0.0, -z)


def to_unconstrained(x, lower, upper):
    """z for each x (same shapes as broadcast); +-inf at the support's ends."""
    x, lower, upper = np.broadcast_arrays(np.asarray(x, float), np.asarray(lower, float), np.asarray(upper, float))
    z = np.array(x, dtype=float, copy=True)
    lo_f, hi_f = np.isfinite(lower), np.isfinite(upper)
    with np.errstate(divide="ignore", invalid="ignore"):
        only_lo = lo_f & ~hi_f
        z[only_lo] = np.log(x[only_lo] - lower[only_lo])
        only_hi = ~lo_f & hi_f
        z[only_hi] = np.log(upper[only_hi] - x[only_hi])
        both = lo_f & hi_f
        u = (x[both] - lower[both]) / (upper[both] - lower[both])
        z[both] = np.log(u) - np.log1p(-u)
    return z


def from_unconstrained(z, lower, upper):
    """(x, log|dx/dz|) for each z."""
    z, lower, upper = np.broadcast_arrays(np.asarray(z, float), np.asarray(lower, float), np.asarray(upper, float))
    x = np.array(z, dtype=float, copy=True)
    logj = np.zeros_like(x)
    lo_f, hi_f = np.isfinite(lower), np.isfinite(upper)
    only_lo = lo_f & ~hi_f
    x[only_lo] = lower[only_lo] + np.exp(z[only_lo])
    logj[only_lo] = z[only_lo]
    only_hi = ~lo_f & hi_f
    x[only_hi] = upper[only_hi] - np.exp(z[only_hi])
    logj[only_hi] = z[only_hi]
    both = lo_f & hi_f
    zb = z[both]
    width = upper[both] - lower[both]
    # logistic without overflow, clipped inside the open interval
    x[both] = lower[both] + width * np.exp(_log_logistic(zb))
    logj[both] = np.log(width) + _log_logistic(zb) + _log_logistic(-zb)
    return x, logj


class Transform:
    """The maps above for fixed bounds, set up once and applied to rows of a 2-D array.

    Samplers call these in their inner loop, so the classification of each
    column (real, lower-bounded, upper-bounded, interval) is done here once.
    """

    def __init__(self, lower, upper):
        self.lower = np.asarray(lower, dtype=float)
        self.upper = np.asarray(upper, dtype=float)
        lo_f, hi_f = np.isfinite(self.lower), np.isfinite(self.upper)
        self.only_lo = np.flatnonzero(lo_f & ~hi_f)
        self.only_hi = np.flatnonzero(~lo_f & hi_f)
        self.both = np.flatnonzero(lo_f & hi_f)
        self.width = self.upper[self.both] - self.lower[self.both]
        self.log_width = np.log(self.width)

    def from_unconstrained(self, z):
        """(x, log|dx/dz| summed over columns) for each row of z."""
        z = np.asarray(z, dtype=float)
        x = z.copy()
        logj = np.zeros(z.shape[0])
        if self.only_lo.size:
            zl = z[:, self.only_lo]
            x[:, self.only_lo] = self.lower[self.only_lo] + np.exp(zl)
            logj += zl.sum(axis=1)
        if self.only_hi.size:
            zh = z[:, self.only_hi]
            x[:, self.only_hi] = self.upper[self.only_hi] - np.exp(zh)
            logj += zh.sum(axis=1)
        if self.both.size:
            zb = z[:, self.both]
            lp, lm = _log_logistic(zb), _log_logistic(-zb)
            x[:, self.both] = self.lower[self.both] + self.width * np.exp(lp)
            logj += (self.log_width + lp + lm).sum(axis=1)
        return x, logj

    def to_unconstrained(self, x):
        return to_unconstrained(x, self.lower, self.upper)
