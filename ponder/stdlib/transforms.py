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

import math

import numba
import numpy as np

# how each slot is mapped (the Numba row functions below take one code per slot)
REAL, LOWER, UPPER, INTERVAL = 0, 1, 2, 3
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


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
    """The maps above for fixed bounds, applied to the rows of a 2-D array in one Numba call.

    Samplers call these in their inner loop, so each slot's kind (real,
    lower-bounded, upper-bounded, interval) is worked out here once.
    """

    def __init__(self, lower, upper):
        self.lower = np.ascontiguousarray(lower, dtype=float)
        self.upper = np.ascontiguousarray(upper, dtype=float)
        self.kinds = slot_kinds(self.lower, self.upper)

    def from_unconstrained(self, z):
        """(x, log|dx/dz| summed over columns) for each row of z."""
        z = np.ascontiguousarray(z, dtype=float)
        x, logj = np.empty_like(z), np.empty(z.shape[0])
        to_theta_rows(z, self.kinds, self.lower, self.upper, x, logj)
        return x, logj

    def to_unconstrained(self, x):
        """z for each row of x (+-inf at the support's ends)."""
        x = np.ascontiguousarray(np.atleast_2d(x), dtype=float)
        z = np.empty_like(x)
        to_z_rows(x, self.kinds, self.lower, self.upper, z)
        return z


def slot_kinds(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """REAL, LOWER, UPPER or INTERVAL for each slot, from its bounds."""
    lo_f, hi_f = np.isfinite(lower), np.isfinite(upper)
    return np.where(lo_f & hi_f, INTERVAL, np.where(lo_f, LOWER, np.where(hi_f, UPPER, REAL))).astype(np.int64)


@_jit
def _log_logistic_scalar(z):
    return -np.logaddexp(0.0, -z)


@_jit
def to_theta(z, kinds, lower, upper, theta):
    """theta(z) of one row for fixed bounds, written to ``theta``; returns log|d theta / d z|."""
    logj = 0.0
    for i in range(z.shape[0]):
        k = kinds[i]
        if k == REAL:
            theta[i] = z[i]
        elif k == LOWER:
            theta[i] = lower[i] + math.exp(z[i])
            logj += z[i]
        elif k == UPPER:
            theta[i] = upper[i] - math.exp(z[i])
            logj += z[i]
        else:
            width = upper[i] - lower[i]
            lp = _log_logistic_scalar(z[i])
            theta[i] = lower[i] + width * math.exp(lp)
            logj += math.log(width) + lp + _log_logistic_scalar(-z[i])
    return logj


@_jit
def to_theta_rows(z, kinds, lower, upper, theta, logj):
    """:func:`to_theta` for each row of z."""
    for m in range(z.shape[0]):
        logj[m] = to_theta(z[m], kinds, lower, upper, theta[m])


@_jit
def to_z(theta, kinds, lower, upper, z):
    """z(theta) of one row for fixed bounds (+-inf at the support's ends), written to ``z``."""
    for i in range(theta.shape[0]):
        k = kinds[i]
        if k == REAL:
            z[i] = theta[i]
        elif k == LOWER:
            z[i] = math.log(theta[i] - lower[i]) if theta[i] > lower[i] else -math.inf
        elif k == UPPER:
            z[i] = math.log(upper[i] - theta[i]) if theta[i] < upper[i] else -math.inf
        else:
            u = (theta[i] - lower[i]) / (upper[i] - lower[i])
            z[i] = math.log(u) - math.log1p(-u) if 0.0 < u < 1.0 else (-math.inf if u <= 0.0 else math.inf)


@_jit
def to_z_rows(theta, kinds, lower, upper, z):
    """:func:`to_z` for each row of theta."""
    for m in range(theta.shape[0]):
        to_z(theta[m], kinds, lower, upper, z[m])
