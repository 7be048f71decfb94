"""Small statistics used to report likelihood estimates."""

from __future__ import annotations

import math

import numba
import numpy as np


def log_mean_exp(values) -> float:
    """log(mean(exp(values))), computed without overflow; -inf if all are -inf."""
    v = np.asarray(values, dtype=float)
    top = np.max(v)
    if not np.isfinite(top):
        return float(top)
    return float(top + np.log(np.mean(np.exp(v - top))))


def log_mean_exp_se(values) -> float:
    """Jackknife standard error of :func:`log_mean_exp` (nan for fewer than 2 values).

    Leave-one-out estimates L_(i) = log((sum_j e^{l_j} - e^{l_i}) / (R - 1)),
    se^2 = (R - 1) / R * sum_i (L_(i) - mean L_(.))^2.
    """
    v = np.asarray(values, dtype=float)
    r = v.size
    if r < 2 or not np.isfinite(np.max(v)):
        return math.nan
    top = np.max(v)
    w = np.exp(v - top)
    total = w.sum()
    rest = total - w
    with np.errstate(divide="ignore"):
        loo = top + np.log(rest / (r - 1))
    if not np.all(np.isfinite(loo)):
        return math.inf
    return float(math.sqrt((r - 1) / r * np.sum((loo - loo.mean()) ** 2)))


@numba.njit(cache=True, nogil=True)
def delta_variance(increments, ess, n):
    """The particle filter's delta-method var(log Z) and its smallest ESS.

    var(log Z) ~ sum_k (1 / ESS_k - 1 / N) over the times with a finite
    increment and ESS_k > 0 (nan if there is none). One compiled call: the
    same with NumPy took as long as a small filter.
    """
    total, found, smallest = 0.0, False, math.inf
    for k in range(ess.shape[0]):
        smallest = min(smallest, ess[k])
        if math.isfinite(increments[k]) and ess[k] > 0:
            total += 1.0 / ess[k] - 1.0 / n
            found = True
    return (total if found else math.nan), (smallest if ess.shape[0] else math.nan)
