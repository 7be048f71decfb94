"""The ``summary`` statistics of a model, of simulated observations and of its data.

Simulation-based methods (ABC, neural SBI) compare datasets through a few
numbers. A model declares them::

    summary y_mean = mean(y)
    summary y_q90  = quantile(y, 0.9)
    summary y_acf  = log1p(acf(y, 1))

and :func:`summarise` computes them for many simulated datasets at once,
:func:`observed_summaries` for the model's own data. Each statistic is over
the times of one replicate, one observed column, skipping missing values
(NaN: a missing observation, or the padding after a shorter replicate's last
time). With x_1 .. x_n the non-missing values of a series, in time order, and
x̄ their mean:

* ``mean``: x̄; ``sum``: Σ x_t; ``min``, ``max``;
* ``sd``: the sample standard deviation sqrt(Σ (x_t - x̄)² / (n - 1));
* ``quantile(y, q)``: NumPy's default (linear) quantile, the value at
  position (n - 1) q of the sorted values, interpolated between neighbours;
* ``acf(y, k)``: the autocorrelation at lag k as ``statsmodels.tsa.acf``
  defines it, Σ_{t=1}^{n-k} (x_t - x̄)(x_{t+k} - x̄) / Σ_{t=1}^{n} (x_t - x̄)²,
  over the non-missing values (a missing value is dropped, so the lag counts
  observed values, as statsmodels' ``missing="drop"``);
* ``log1p(STAT(...))``: log(1 + STAT).

A statistic that is undefined for a series is NaN: any of them with no value,
``sd`` with one, ``acf`` with at most k values or all of them equal.

>>> s = summarise(model, model.simulate_batch(draws, seed=1))   # (M, R, S)
>>> observed_summaries(model)                                   # (R, S)

(:func:`like_data` first makes the simulated values missing where the data's are.)
"""

from __future__ import annotations

import warnings

import numpy as np

from ponder.lang import ir, messages


def summary_names(model) -> list[str]:
    """The names of the model's ``summary`` declarations, in the order of the last axis of :func:`summarise`."""
    return [s.name for s in model.ir.summaries]


def summarise(model, y) -> np.ndarray:
    """The model's summaries of simulated observations ``y``: an array (M, R, S).

    ``y`` has shape (M, R, T, C): M datasets, R replicates, T times and the
    columns of ``model.ir.observed_columns``, NaN where a value is missing
    (or after a shorter replicate's last time), as
    :meth:`ponder.Model.simulate_batch` returns it; for a model with one
    replicate (M, T, C) is taken as (M, 1, T, C). S is the number of
    ``summary`` declarations, in file order. Raises a ModelError if the model
    declares none.
    """
    summaries = model.ir.summaries
    if not summaries:
        raise messages.no_summaries(model.ir.name)
    y = np.asarray(y, dtype=float)
    n_columns, n_replicates = len(model.ir.observed_columns), len(model.datasets)
    if y.ndim == 3 and n_replicates <= 1:
        y = y[:, np.newaxis]
    if y.ndim != 4 or y.shape[3] != n_columns or (n_replicates and y.shape[1] != n_replicates):
        expected = f"(M, {n_replicates or 'R'}, T, {n_columns})"
        raise messages.summary_data_shape(expected, str(tuple(y.shape)))
    out = np.empty(y.shape[:2] + (len(summaries),))
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN series: NaN is the answer, not a warning
        for s, summary in enumerate(summaries):
            value = statistic(summary, y[..., summary.column_index])
            out[..., s] = np.log1p(value) if summary.log1p else value
    return out


def observed_summaries(model) -> np.ndarray:
    """The model's summaries of its own datasets: an array (R, S), one row per replicate."""
    if not model.ir.summaries:
        raise messages.no_summaries(model.ir.name)
    datasets = list(model.datasets)
    if not datasets:
        return np.empty((0, len(model.ir.summaries)))
    longest = max(len(ds.times) for ds in datasets)
    y = np.full((1, len(datasets), longest, len(model.ir.observed_columns)), np.nan)
    for r, ds in enumerate(datasets):
        y[0, r, :len(ds.times)] = ds.values
    return summarise(model, y)[0]


def like_data(model, y) -> np.ndarray:
    """``y`` (M, R, T, C) with NaN wherever the model's data have no value (missing, or after a replicate's last
    time), so that its summaries skip what the data's skip.

    :meth:`ponder.Model.simulate_batch` simulates every column at every
    observation time, also where a data value is missing; masked, a
    simulated dataset's ``sum`` or ``acf`` is over the same times as the
    data's.
    """
    y = np.array(y, dtype=float)
    datasets = list(model.datasets)
    longest = max((len(ds.times) for ds in datasets), default=0)
    if (y.ndim != 4 or y.shape[1] != len(datasets) or y.shape[2] < longest
            or y.shape[3] != len(model.ir.observed_columns)):
        expected = f"(M, {len(datasets)}, T >= {longest}, {len(model.ir.observed_columns)})"
        raise messages.summary_data_shape(expected, str(tuple(y.shape)))
    for r, ds in enumerate(datasets):
        y[:, r, :len(ds.times)][:, np.isnan(ds.values)] = np.nan
        y[:, r, len(ds.times):] = np.nan
    return y


def statistic(summary: ir.Summary, x: np.ndarray) -> np.ndarray:
    """``summary``'s statistic (before any ``log1p``) of each series ``x[..., :]`` over its last axis (time)."""
    stat = summary.stat
    if stat == "mean":
        return np.nanmean(x, axis=-1)
    if stat == "sd":
        return np.nanstd(x, axis=-1, ddof=1)
    if stat == "min":
        return np.nanmin(x, axis=-1)
    if stat == "max":
        return np.nanmax(x, axis=-1)
    if stat == "sum":
        return np.where(np.isnan(x).all(axis=-1), np.nan, np.nansum(x, axis=-1))
    if stat == "quantile":
        return quantile(x, summary.args[0])
    if stat == "acf":
        return autocorrelation(x, int(summary.args[0]))
    raise AssertionError(f"no statistic `{stat}` (the check accepts {sorted(ir.SUMMARY_STATISTICS)})")


def quantile(x: np.ndarray, q: float) -> np.ndarray:
    """``np.nanquantile(x, q, axis=-1)`` (linear), computed for all series at once.

    NumPy's ``nanquantile`` loops in Python over the series when any value is
    missing; here the sorted values (NaN sorts last) are indexed at
    (n - 1) q for each series' own count n.
    """
    ordered = np.sort(x, axis=-1)
    n = np.sum(~np.isnan(x), axis=-1)
    position = np.maximum(n - 1, 0) * q
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, np.maximum(n - 1, 0))
    fraction = position - below
    low = np.take_along_axis(ordered, below[..., np.newaxis], axis=-1)[..., 0]
    high = np.take_along_axis(ordered, above[..., np.newaxis], axis=-1)[..., 0]
    # NumPy's lerp: from the nearer end, so that q = 1 gives the largest value exactly
    value = np.where(fraction >= 0.5, high - (high - low) * (1 - fraction), low + (high - low) * fraction)
    return np.where(n > 0, value, np.nan)


def autocorrelation(x: np.ndarray, lag: int) -> np.ndarray:
    """The lag-``lag`` autocorrelation of each series over its non-missing values (see the module's docstring)."""
    missing = np.isnan(x)
    n = np.sum(~missing, axis=-1)
    # the observed values of each series first, in time order (a stable sort of the missing flags)
    packed = np.take_along_axis(x, np.argsort(missing, axis=-1, kind="stable"), axis=-1)
    centred = packed - (np.nansum(x, axis=-1) / np.maximum(n, 1))[..., np.newaxis]
    lag = min(lag, x.shape[-1])  # a longer lag than the series is NaN below; keeps the slices in range
    products = centred[..., : x.shape[-1] - lag] * centred[..., lag:]  # NaN where t + lag is past the last value
    numerator = np.nansum(products, axis=-1)
    denominator = np.nansum(centred**2, axis=-1)
    defined = (n > lag) & (denominator > 0)
    return np.where(defined, numerator / np.where(defined, denominator, 1.0), np.nan)
