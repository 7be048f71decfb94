"""Small statistics used to report likelihood estimates."""

from __future__ import annotations

import math

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
