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
