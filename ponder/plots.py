"""Figures of a run's results (``ponder plot RESULTS.nc``).

Every figure is built from the ArviZ ``InferenceData`` of ``ponder run``
as a ``matplotlib.figure.Figure`` made without pyplot, so nothing global
changes and notebooks keep their backend:

>>> from ponder.runtime.results import read_results
>>> idata = read_results("results.nc")
>>> fig = ponder.plots.figure(idata, "pair", truth={"drift": 0.2})
>>> ponder.plots.write_figures(idata, "figures", formats=("png", "pdf"))

Kinds: ``trace`` (draws and marginals against the prior), ``pair``,
``predictive`` (data against the posterior predictive), ``latent``
(sampled state trajectories), ``pf`` (particle-filter diagnostics),
``sampler`` (acceptance, resets, the tempering schedule and evidence) and
``qq`` (standardised residuals at the MAP draw against N(0, 1)).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

KINDS = ("trace", "pair", "predictive", "latent", "pf", "sampler", "qq")
WIDTH = 10.0  # inches
DPI = 110
MAX_TRACE_ROWS = 16
MAX_PAIR_PARAMS = 8
MAX_PAIR_POINTS = 2000
MAX_PANELS = 12
PRIOR_DRAWS = 20000
POSTERIOR, PRIOR, DATA, TRUTH = "C0", "C1", "black", "C3"


# ---------------------------------------------------------------- public API
def figure_kinds() -> tuple[str, ...]:
    """Every registered figure kind: the built-in :data:`KINDS`, then plugins'."""
    from ponder.plugins.manager import plugins

    return tuple(plugins().figures.entries)


def builtin_figure(kind: str):
    """The drawing function of a built-in kind, in the figure hook's form ``draw(idata, truth=None, model=None)``."""
    draw = _DRAW[kind]
    return lambda idata, truth=None, model=None: draw(idata, truth or {}, model)


def figure(idata, kind: str, truth: dict | None = None, model=None) -> Figure | None:
    """The figure ``kind`` of ``idata``; None when the results have nothing for it."""
    from ponder.plugins.manager import plugins

    registry = plugins().figures
    if kind not in registry:
        raise ValueError(f"unknown figure kind {kind!r}; kinds are {', '.join(registry.entries)}")
    return registry.get(kind)(idata, truth=truth or {}, model=model)


def write_figures(idata, out_dir, kinds=None, formats=("png",), truth=None, model=None) -> list[Path]:
    """Write ``{kind}.{format}`` into ``out_dir`` for every kind that applies; returns the paths."""
    known = figure_kinds()
    kinds = list(known if kinds is None else kinds)
    for kind in kinds:
        if kind not in known:
            raise ValueError(f"unknown figure kind {kind!r}; kinds are {', '.join(known)}")
    if model is None and (set(kinds) & {"trace", "qq"} or set(kinds) - set(KINDS)):
        model = model_of(idata)  # rebuilt once, not once per figure
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in kinds:
        fig = figure(idata, kind, truth, model)
        if fig is None:
            continue
        for fmt in formats:
            path = out / f"{kind}.{fmt}"
            fig.savefig(path, format=fmt, dpi=DPI)
            written.append(path)
    return written


def model_of(idata):
    """The model of a run: compiled from the source stored in its results, with the data stored there.

    Nothing is read from disk: the observed data, each replicate's constants
    and the inputs come from the results
    (:func:`ponder.runtime.results.stored_datasets`), so the figures show
    the data the run used, and a results file whose source names some file
    (``data "/etc/passwd"``) cannot make a figure or a report read it.
    """
    from ponder.model import Model
    from ponder.runtime.problem import compile_model
    from ponder.runtime.results import stored_datasets

    attrs = idata.posterior.attrs
    name = str(attrs.get("model_name", ""))
    compiled = compile_model(str(attrs.get("model_source", "")), str(attrs.get("model_path", "<results>")),
                             default_name=name if name.isidentifier() else "model")
    datasets = stored_datasets(idata, compiled.ir)
    model = Model(compiled, datasets, Path.cwd(), str(attrs.get("model_path", "")))
    # every replicate stored its inputs, those of `input NAME from "file"` too: the model's files are never read
    model.__dict__["_file_inputs"] = datasets[0].inputs if datasets else {}
    return model


def simulation_figure(dataset) -> Figure:
    """A simulated ``xarray.Dataset`` (``Model.simulate``): one panel per variable against time."""
    names = [v for v in dataset.data_vars if "time" in dataset[v].dims]
    fig, axes = _panels(len(names), 2.6)
    times = dataset["time"].values
    for ax, name in zip(axes, names):
        values = dataset[name].values
        ax.plot(times, values.reshape(len(times), -1), lw=1.2, marker="." if len(times) <= 60 else None)
        ax.set_xlabel("time")
        ax.set_ylabel(name)
        ax.set_title(name)
    seed = dataset.attrs.get("seed")
    what = "simulation" + (f" (seed {seed})" if seed is not None else "")
    fig.suptitle(f"{dataset.attrs.get('model', '')}: {what}", fontsize=13)
    return fig


# ---------------------------------------------------------------- shared helpers
def _new_figure(height: float, width: float = WIDTH) -> Figure:
    return Figure(figsize=(width, max(height, 3.0)), dpi=DPI, layout="constrained")


def _title(fig: Figure, idata, what: str) -> None:
    name = idata.posterior.attrs.get("model_name", "")
    fig.suptitle(f"{name}: {what}" if name else what, fontsize=13)


def _panels(n: int, row_height: float, ncols: int = 2, width: float = WIDTH) -> tuple[Figure, list]:
    """A figure with ``n`` axes in rows of ``ncols`` (one column when n is 1)."""
    ncols = 1 if n == 1 else ncols
    nrows = math.ceil(n / ncols)
    fig = _new_figure(row_height * nrows + 0.6, width)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def _group(idata, name: str):
    from ponder.runtime.arviz_io import group

    return group(idata, name)


def _is_timed(da) -> bool:
    return any(str(d).startswith("time") for d in da.dims)


def _flat(values: np.ndarray) -> np.ndarray:
    """(chain, draw, ...) -> (chain * draw, ...)."""
    return values.reshape((-1,) + values.shape[2:])


def _elements(ds, timed: bool = False) -> list[tuple[str, str, int | None]]:
    """(label, variable, index) of every element of the parameters (or, if ``timed``, the states) in ``ds``.

    Parameters have dims (chain, draw[, NAME_dim]), states (chain, draw, time[, NAME_dim]).
    """
    out = []
    for name, da in ds.data_vars.items():
        if _is_timed(da) != timed:
            continue
        if da.ndim == (3 if timed else 2):
            out.append((name, name, None))
        else:
            out.extend((f"{name}[{i}]", name, i) for i in range(da.shape[-1]))
    return out


def _element(values: np.ndarray, index: int | None) -> np.ndarray:
    return values if index is None else values[..., index]


def _along_run(idata, group: str, name: str) -> tuple[np.ndarray | None, int]:
    """Values of ``name`` (chain, iteration, ...) with the warm-up first, and the warm-up length."""
    main, warm = _group(idata, group), _group(idata, "warmup_" + group)
    if main is None or name not in main:
        return None, 0
    values = main[name].values
    if warm is None or name not in warm or warm[name].shape[1] == 0:
        return values, 0
    return np.concatenate([warm[name].values, values], axis=1), warm[name].shape[1]


def _iteration_axis(ax, n_warmup: int, label: bool = True) -> None:
    """An x-axis of iterations with the warm-up shaded and a line at its end."""
    ax.margins(x=0)
    if label:
        ax.set_xlabel("iteration (shaded: warm-up)" if n_warmup else "iteration")
    if n_warmup > 0:
        ax.axvspan(-0.5, n_warmup - 0.5, color="grey", alpha=0.08, linewidth=0)
        ax.axvline(n_warmup - 0.5, color="grey", linestyle=":", linewidth=1)


def _truth_of(truth: dict, name: str, index: int | None) -> float | None:
    label = name if index is None else f"{name}[{index}]"
    if label in truth:
        return float(truth[label])
    if name not in truth:
        return None
    values = np.asarray(truth[name], dtype=float).reshape(-1)
    return float(values[0 if index is None else index]) if (index or 0) < values.size else None


def _bands(ax, times: np.ndarray, draws: np.ndarray) -> None:
    """Median line and 50% / 90% bands of ``draws`` (n, T) over ``times``."""
    with np.errstate(all="ignore"):
        q = np.nanquantile(draws, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(times, q[0], q[4], color=POSTERIOR, alpha=0.18, linewidth=0, label="90%")
    ax.fill_between(times, q[1], q[3], color=POSTERIOR, alpha=0.35, linewidth=0, label="50%")
    ax.plot(times, q[2], color=POSTERIOR, linewidth=1.5, label="median")


def _times(da) -> np.ndarray:
    """The observation times of a variable with a ``time`` (or ``time_rR``) dim."""
    dim = next(str(d) for d in da.dims if str(d).startswith("time"))
    return np.asarray(da[dim].values, dtype=float)


def _n_replicates(idata) -> int:
    """How many datasets the run had: 1, or the number of ``_rR`` suffixes of its observed data."""
    observed = _group(idata, "observed_data")
    found = [_split_replicate(str(n))[1] for n in (observed.data_vars if observed is not None else ())]
    return max([r for r in found if r is not None], default=-1) + 1 or 1


def _stored_dataset_names(idata) -> list[str] | None:
    """The data files of the run's replicates, from the ``datasets`` attribute (a JSON list) when the results have it."""
    value = idata.posterior.attrs.get("datasets")
    try:
        names = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    return [str(n) for n in names] if isinstance(names, (list, tuple)) else None


def replicate_labels(idata, model=None) -> list[str]:
    """A label per replicate: its data file's name (with as many parent folders as tell them apart).

    The names come from the results' ``datasets`` attribute, else from
    ``model`` when it has as many datasets; without either, ``replicate R``.
    """
    n = _n_replicates(idata)
    names = _stored_dataset_names(idata)
    if names is None and model is not None and len(getattr(model, "datasets", ())) == n:
        names = [getattr(ds, "name", None) for ds in model.datasets]
    if names is None or len(names) != n or not all(names):
        return [f"replicate {r}" for r in range(n)]
    return _shortest_unique([Path(str(name)).parts for name in names])


def _shortest_unique(parts: list[tuple[str, ...]]) -> list[str]:
    """Each path's shortest ending that no other path shares (``a/x.csv``, ``b/x.csv``, ``y.csv``)."""
    out = []
    for i, mine in enumerate(parts):
        others = [p for j, p in enumerate(parts) if j != i]
        k = next((k for k in range(1, len(mine)) if all(p[-k:] != mine[-k:] for p in others)), len(mine))
        out.append(str(Path(*mine[-k:])))
    return out


# ---------------------------------------------------------------- trace
def _trace(idata, truth, model):
    elements = _elements(idata.posterior)
    if not elements:
        return None
    model = model if model is not None else model_of(idata)
    exact = prior_densities(model)
    prior = None
    if any(name in model.param_names and name not in exact for _, name, _ in elements):
        prior = model.prior_sample(PRIOR_DRAWS, seed=0)  # a KDE of draws where the marginal is not known exactly
    shown = elements[:MAX_TRACE_ROWS]
    fig = _new_figure(1.9 * len(shown) + 0.8)
    axes = fig.subplots(len(shown), 2, squeeze=False, gridspec_kw={"width_ratios": [2, 1]})
    for k, (label, name, index) in enumerate(shown):
        values, n_warmup = _along_run(idata, "posterior", name)
        draws, mark = _element(values, index), _truth_of(truth, name, index)
        _trace_panel(axes[k, 0], draws, n_warmup, label, mark, last=k == len(shown) - 1)
        if exact.get(name) is not None:
            prior_density = exact[name]
        elif prior is not None and name in prior:
            prior_draws = _element(prior[name], index)
            prior_density = lambda x, d=prior_draws: _density(d, x)
        else:
            prior_density = None
        _marginal_panel(axes[k, 1], draws[:, n_warmup:].ravel(), prior_density, label, mark)
    axes[0, 1].legend(fontsize=8, loc="best", framealpha=0.8)
    more = f" (first {len(shown)} of {len(elements)})" if len(shown) < len(elements) else ""
    _title(fig, idata, f"traces and marginal posteriors{more}")
    return fig


def _trace_panel(ax, draws: np.ndarray, n_warmup: int, label: str, truth: float | None, last: bool) -> None:
    alpha = max(0.15, min(0.7, 4.0 / draws.shape[0]))
    for chain in draws:
        ax.plot(chain, linewidth=0.6, alpha=alpha)
    _iteration_axis(ax, n_warmup, label=last)
    _fit_ylim(ax, draws[:, n_warmup:], truth)
    if truth is not None:
        ax.axhline(truth, color=TRUTH, linewidth=1.2)
    ax.set_ylabel(label)


def _marginal_panel(ax, draws: np.ndarray, prior, label: str, truth: float | None) -> None:
    """The posterior's KDE and ``prior(x)``, the prior's marginal density (None: not drawn)."""
    draws = draws[np.isfinite(draws)]
    lo, hi = _padded_range(np.append(draws, [] if truth is None else [truth]), 0.1)
    x = np.linspace(lo, hi, 200)
    density = _density(draws, x)
    ax.fill_between(x, density, color=POSTERIOR, alpha=0.35, linewidth=0)
    ax.plot(x, density, color=POSTERIOR, linewidth=1.5, label="posterior")
    if prior is not None:
        ax.plot(x, prior(x), color=PRIOR, linestyle="--", linewidth=1.5, label="prior")
    if truth is not None:
        ax.axvline(truth, color=TRUTH, linewidth=1.2, label="truth")
    ax.set_xlim(lo, hi)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(label)
    ax.set_yticks([])


def prior_densities(model) -> dict:
    """``{name: density}`` for the parameters whose prior's marginal density is known exactly.

    ``density(x)`` is the prior density of one element at the points ``x``
    (the elements of a vector parameter are iid). It is known when the
    prior is a univariate, continuous distribution whose arguments are
    numbers and constants only (``LogNormal(log(10), 1)``, ``Uniform(0, K)``);
    a prior with an argument that is another parameter (a hierarchical
    prior), a model's own ``fn``, or a multivariate or discrete law is left
    out (the trace figure then draws a KDE of prior draws).
    """
    out = {}
    library = getattr(model, "library", None)
    if library is None:
        return out
    values = _const_blocks(model)
    for p in model.ir.params:
        dist = library.distributions.get(p.prior.name)
        if dist is None or p.prior.size or getattr(dist, "discrete", False) or getattr(dist, "multivariate", False):
            continue
        try:
            args = [_constant(a, values, library) for a in p.prior.args]
        except (_NotConstant, ArithmeticError, ValueError, IndexError, TypeError):
            continue
        out[p.name] = _density_of(dist, args)
    return out


def _const_blocks(model) -> dict:
    """``{name: (values, shape)}`` of the constants: the model's own values, without a replicate's overrides
    (the prior uses those)."""
    values = np.asarray(model.ir.const_values, dtype=float)
    return {c.name: (values[c.offset:c.offset + c.width], c.shape) for c in model.ir.consts}


def _density_of(dist, args: list[float]):
    logpdf = dist.logpdf

    def density(x):
        with np.errstate(all="ignore"):
            return np.exp([float(logpdf(float(v), *args)) for v in np.asarray(x, dtype=float).ravel()])

    return density


class _NotConstant(Exception):
    """An expression that reads a parameter (or anything else that is not a number or a constant)."""


def _constant(e, consts: dict, library) -> float:
    """The value of a prior argument made of numbers, constants and library functions (the IR is walked, never run)."""
    from ponder.lang import ir
    from ponder.lang.library import python_function

    rec = lambda x: _constant(x, consts, library)
    if isinstance(e, ir.Num):
        return float(e.value)
    if isinstance(e, ir.Ref) and e.kind == "const" and e.name in consts:
        block, shape = consts[e.name]
        k = 0 if e.index is None else int(rec(e.index))
        if e.column is not None:
            k = k * shape[1] + int(rec(e.column))
        return float(block[k])
    if isinstance(e, ir.Apply) and e.fn in library.functions:
        return float(python_function(library.functions[e.fn].impl)(*[rec(a) for a in e.args]))
    if isinstance(e, ir.Cond):
        return rec(e.then if rec(e.cond) else e.orelse)
    if isinstance(e, ir.Op) and len(e.args) == 1 and e.op == "-":
        return -rec(e.args[0])
    if isinstance(e, ir.Op) and e.op == "^" and "pow" in library.functions:
        return float(python_function(library.functions["pow"].impl)(rec(e.args[0]), rec(e.args[1])))
    if isinstance(e, ir.Op) and len(e.args) == 2 and e.op in _ARITHMETIC:
        return float(_ARITHMETIC[e.op](rec(e.args[0]), rec(e.args[1])))
    raise _NotConstant(e)


_ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}


def _padded_range(values: np.ndarray, pad: float) -> tuple[float, float]:
    """min and max of the finite ``values``, widened by ``pad`` of their range on each side."""
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    width = (hi - lo) or abs(lo) or 1.0
    return lo - pad * width, hi + pad * width


def _fit_ylim(ax, values: np.ndarray, truth: float | None = None) -> None:
    """y-range of the sampling phase (and the truth), so far-off warm-up values do not flatten it."""
    if np.isfinite(values).any():
        ax.set_ylim(*_padded_range(np.append(values.ravel(), [] if truth is None else [truth]), 0.15))


def _density(samples: np.ndarray, x: np.ndarray) -> np.ndarray:
    samples = samples[np.isfinite(samples)]
    if samples.size < 2 or np.ptp(samples) == 0:
        return np.zeros_like(x)
    return stats.gaussian_kde(samples)(x)


# ---------------------------------------------------------------- pair
def _pair(idata, truth, model):
    every = _elements(idata.posterior)
    elements = every[:MAX_PAIR_PARAMS]
    if len(elements) < 2:
        return None
    columns = [_flat(_element(idata.posterior[name].values, index)) for _, name, index in elements]
    step = max(1, math.ceil(columns[0].size / MAX_PAIR_POINTS))
    columns = [c[::step] for c in columns]
    marks = [_truth_of(truth, name, index) for _, name, index in elements]
    n = len(elements)
    fig = _new_figure(WIDTH * (0.95 if n > 2 else 0.6))
    axes = fig.subplots(n, n, squeeze=False, sharex="col")
    bins = min(30, max(10, int(math.sqrt(columns[0].size))))
    for i in range(n):
        for j in range(n):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                ax.hist(columns[i], bins=bins, color=POSTERIOR, alpha=0.6)
                ax.set_yticks([])
            else:
                ax.scatter(columns[j], columns[i], s=10, alpha=0.4, color=POSTERIOR, linewidths=0)
                if marks[i] is not None:
                    ax.axhline(marks[i], color=TRUTH, linewidth=1)
            if marks[j] is not None:
                ax.axvline(marks[j], color=TRUTH, linewidth=1)
            if i == n - 1:
                ax.set_xlabel(elements[j][0])
            else:
                ax.tick_params(labelbottom=False)
            if j == 0 and i > 0:
                ax.set_ylabel(elements[i][0])
            elif i != j:
                ax.tick_params(labelleft=False)
    given = [f"{label}={m:g}" for (label, _, _), m in zip(elements, marks) if m is not None]
    more = f" of the first {n} of {len(every)} parameters" if n < len(every) else ""
    _title(fig, idata, f"pairwise posterior{more}" + (f" (lines: truth {', '.join(given)})" if given else ""))
    return fig


# ---------------------------------------------------------------- predictive and latent
def _predictive(idata, truth, model):
    observed, predicted = _group(idata, "observed_data"), _group(idata, "posterior_predictive")
    if observed is None or predicted is None:
        return None
    names = [n for n in observed.data_vars if n in predicted.data_vars]
    if not names:
        return None
    fig, axes = _panels(len(names), 3.0)
    labels = replicate_labels(idata, model)
    for ax, name in zip(axes, names):
        times = _times(predicted[name])
        _bands(ax, times, _flat(predicted[name].values))
        ax.plot(times, observed[name].values, "o", color=DATA, markersize=3, label="data")
        _label_timed(ax, name, labels)
    axes[0].legend(fontsize=8)
    _title(fig, idata, "data and posterior predictive (median, 50% and 90% bands)")
    return fig


def _latent(idata, truth, model):
    observed = _group(idata, "observed_data")
    panels = _elements(idata.posterior, timed=True)
    if not panels:
        return None
    shown = panels[:MAX_PANELS]
    fig, axes = _panels(len(shown), 3.0)
    labels = replicate_labels(idata, model)
    for ax, (label, name, index) in zip(axes, shown):
        da = idata.posterior[name]
        times = _times(da)
        _bands(ax, times, _element(_flat(da.values), index))
        if observed is not None and name in observed and index is None:
            ax.plot(times, observed[name].values, "o", color=DATA, markersize=3, label="data")
        _label_timed(ax, label, labels)
    axes[0].legend(fontsize=8)
    more = f", first {len(shown)} of {len(panels)}" if len(shown) < len(panels) else ""
    _title(fig, idata, f"latent states at the observation times (median, 50% and 90% bands{more})")
    return fig


def _label_timed(ax, name: str, labels: list[str]) -> None:
    """Title (the variable, and its replicate's label from :func:`replicate_labels`) and axis labels."""
    column, replicate = _split_replicate(name)
    if replicate is None:
        title = name
    else:
        title = f"{column}, {labels[replicate] if replicate < len(labels) else f'replicate {replicate}'}"
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("time")
    ax.set_ylabel(column)


def _split_replicate(name: str) -> tuple[str, int | None]:
    """``position_r2`` -> (``position``, 2); a name without the suffix -> (name, None)."""
    match = re.fullmatch(r"(.+)_r(\d+)(\[\d+\])?", name)
    if not match:
        return name, None
    return match.group(1) + (match.group(3) or ""), int(match.group(2))


# ---------------------------------------------------------------- particle filter
def has_particle_filter(idata) -> bool:
    """Whether any replicate's likelihood was a particle filter.

    ``final_particles`` (one entry per replicate, null for an exact
    likelihood) says so; older results without it are judged by the
    recorded particle counts (``particles`` adds up the replicates', 1 for
    an exact likelihood).
    """
    final = idata.posterior.attrs.get("final_particles")
    if final is not None:
        try:
            counts = json.loads(final) if isinstance(final, str) else final
        except ValueError:
            counts = None
        if isinstance(counts, list):
            return any(c is not None for c in counts)
    particles, _ = _along_run(idata, "sample_stats", "particles")
    return particles is not None and np.nanmax(particles, initial=0) > _n_replicates(idata)


def _pf(idata, truth, model):
    particles, n_warmup = _along_run(idata, "sample_stats", "particles")
    if particles is None or not has_particle_filter(idata):
        return None
    stats_ = idata.sample_stats
    panels = {"particles": _pf_particles, "loglik": _pf_loglik}
    if _ess_names(stats_):
        panels["ess"] = lambda ax, idata: _pf_ess(ax, idata, replicate_labels(idata, model))
    elif "pf_ess_min" in stats_:
        panels["ess"] = _pf_ess_min
    if "failed_estimates" in stats_:
        panels["failed"] = _pf_failed
    fig, axes = _panels(len(panels), 2.6)
    for ax, draw in zip(axes, panels.values()):
        draw(ax, idata)
    _title(fig, idata, "particle filter diagnostics")
    return fig


def _pf_particles(ax, idata) -> None:
    values, n_warmup = _along_run(idata, "sample_stats", "particles")
    _chain_summary(ax, values.astype(float), n_warmup, log=True)
    ax.set_ylabel("particles")
    ax.set_title("particles per estimate (mean and range over chains; log scale)", fontsize=10)


def _pf_loglik(ax, idata) -> None:
    loglik, n_warmup = _along_run(idata, "sample_stats", "log_likelihood")
    sd, _ = _along_run(idata, "sample_stats", "loglik_sd")
    iterations = np.arange(loglik.shape[1])
    alpha = max(0.1, min(0.6, 3.0 / loglik.shape[0]))
    for c, chain in enumerate(loglik):
        line, = ax.plot(iterations, chain, linewidth=0.6, alpha=alpha)
        if sd is not None and np.isfinite(sd[c]).any():
            ax.fill_between(iterations, chain - sd[c], chain + sd[c], color=line.get_color(), alpha=alpha / 3,
                            linewidth=0)
    _fit_ylim(ax, loglik[:, n_warmup:])
    _iteration_axis(ax, n_warmup)
    ax.set_ylabel("log-likelihood")
    band = " ± its sd" if sd is not None and np.isfinite(sd).any() else ""
    ax.set_title(f"log-likelihood estimate{band}, per chain", fontsize=10)


def _ess_names(stats_) -> list[str]:
    """``pf_ess``, or ``pf_ess_r0``, ``pf_ess_r1``, ... with several datasets."""
    return [str(n) for n in stats_.data_vars if re.fullmatch(r"pf_ess(_r\d+)?", str(n))]


def _pf_ess(ax, idata, labels: list[str]) -> None:
    names = _ess_names(idata.sample_stats)
    for name in names:
        da = idata.sample_stats[name]
        times = _times(da)
        draws = _flat(da.values)
        with np.errstate(all="ignore"):
            q = np.nanquantile(draws, [0.1, 0.5, 0.9], axis=0)
        replicate = _split_replicate(name)[1]
        label = "median" if replicate is None else labels[replicate] if replicate < len(labels) else f"replicate {replicate}"
        line, = ax.plot(times, q[1], linewidth=1.2, label=label)
        ax.fill_between(times, q[0], q[2], color=line.get_color(), alpha=0.2, linewidth=0)
    if len(names) > 1:
        ax.legend(fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("time")
    ax.set_ylabel("ESS")
    ax.set_title("effective sample size per observation (median, 10-90%)", fontsize=10)


def _pf_ess_min(ax, idata) -> None:
    values, n_warmup = _along_run(idata, "sample_stats", "pf_ess_min")
    _chain_summary(ax, values, n_warmup)
    ax.set_ylabel("smallest ESS")
    ax.set_title("smallest ESS over the observations (mean and range over chains)", fontsize=10)


def _pf_failed(ax, idata) -> None:
    total = _total(ax, *_along_run(idata, "sample_stats", "failed_estimates"))
    ax.set_ylabel("failed estimates")
    ax.set_title(f"estimates that were -inf, cumulative over all chains ({total} in all)", fontsize=10)


def _chain_summary(ax, values: np.ndarray, n_warmup: int, log: bool = False) -> None:
    """Mean over chains with the min-max range as a band, against the iteration (``log``: on a log y-axis)."""
    iterations = np.arange(values.shape[1])
    with np.errstate(all="ignore"):
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        ax.fill_between(iterations, low, high, color=POSTERIOR, alpha=0.2, linewidth=0)
        ax.plot(iterations, np.nanmean(values, axis=0), color=POSTERIOR, linewidth=1.2)
    _iteration_axis(ax, n_warmup)
    if not log:
        ax.set_ylim(0, max(ax.get_ylim()[1], 1.0))
        return
    ax.set_yscale("log")  # an adaptive filter's N moves by factors (64, 128, ... 4096)
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size:
        ax.set_ylim(positive.min() / 1.5, positive.max() * 1.5)


def _total(ax, counts: np.ndarray, n_warmup: int) -> int:
    """Draw the sum over chains of cumulative per-chain ``counts`` against the iteration; returns the last."""
    total = counts.sum(axis=0)
    ax.step(np.arange(total.size), total, where="post", color=POSTERIOR)
    _iteration_axis(ax, n_warmup)
    ax.set_ylim(0, max(ax.get_ylim()[1], 1.0))
    ax.yaxis.get_major_locator().set_params(integer=True)
    return int(total[-1]) if total.size else 0


# ---------------------------------------------------------------- sampler
def _sampler(idata, truth, model):
    accept, n_warmup = _along_run(idata, "sample_stats", "acceptance_rate")
    if accept is None:
        return None
    attrs = idata.posterior.attrs
    resets, _ = _along_run(idata, "sample_stats", "resets")
    rows = [["accept", "accept"]]
    if resets is not None:
        rows.append(["resets", "resets"])
    pt = attrs.get("sampler") == "pt" and "pt_schedule" in attrs
    if pt:
        rows += [["schedule", "swaps"], ["barrier", "logz"]]
    fig = _new_figure(2.6 * len(rows) + 0.6)
    axes = fig.subplot_mosaic(rows)
    _acceptance(axes["accept"], accept, n_warmup)
    if resets is not None:
        _resets(axes["resets"], resets, n_warmup)
    if pt:
        _pt_schedule(axes["schedule"], axes["swaps"], attrs)
        _pt_rounds(axes["barrier"], axes["logz"], attrs)
    _title(fig, idata, f"{attrs.get('sampler', 'sampler')} sampler diagnostics")
    return fig


def _acceptance(ax, accept: np.ndarray, n_warmup: int) -> None:
    mean = np.nanmean(accept, axis=0)
    iterations = np.arange(mean.size)
    ax.plot(iterations, mean, color=POSTERIOR, linewidth=0.6, alpha=0.5, label="mean over chains")
    window = max(5, mean.size // 20)
    if mean.size > window:
        rolling = np.convolve(np.nan_to_num(mean), np.ones(window) / window, mode="valid")
        ax.plot(iterations[window - 1:], rolling, color=POSTERIOR, linewidth=1.8,
                label=f"rolling mean ({window} iterations)")
    _iteration_axis(ax, n_warmup)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("acceptance rate")
    ax.set_title("acceptance", fontsize=10)
    ax.legend(fontsize=8, loc="best")


def _resets(ax, resets: np.ndarray, n_warmup: int) -> None:
    total = _total(ax, resets, n_warmup)
    ax.set_ylabel("resets")
    ax.set_title(f"stuck-walker resets, cumulative over all walkers ({total} in all)", fontsize=10)


def _attr_json(attrs, key: str):
    value = attrs.get(key)
    return json.loads(value) if isinstance(value, str) else value


def _pt_schedule(ax_schedule, ax_swaps, attrs) -> None:
    betas = np.asarray(_attr_json(attrs, "pt_schedule"), dtype=float)
    ax_schedule.plot(np.arange(betas.size), betas, "o-", color=POSTERIOR, markersize=4)
    ax_schedule.set_xlabel("replica")
    ax_schedule.set_ylabel("inverse temperature β")
    ax_schedule.set_title("tempering schedule", fontsize=10)
    rates = _attr_json(attrs, "pt_swap_rates")
    if rates is None:
        ax_swaps.text(0.5, 0.5, "no swap rates in these results", ha="center", va="center",
                      transform=ax_swaps.transAxes)
        ax_swaps.set_axis_off()
        return
    rates = np.asarray(rates, dtype=float)
    bars = ax_swaps.bar(np.arange(rates.size) + 0.5, rates, width=0.8, color=POSTERIOR, alpha=0.7)
    ax_swaps.bar_label(bars, fmt="%.2f", fontsize=8)
    ax_swaps.set_xticks(np.arange(rates.size) + 0.5, [f"{i}-{i + 1}" for i in range(rates.size)])
    ax_swaps.set_ylim(0, 1)
    ax_swaps.set_xlabel("replica pair")
    ax_swaps.set_ylabel("swap acceptance")
    ax_swaps.set_title("swap acceptance per pair (last round)", fontsize=10)


def _pt_rounds(ax_barrier, ax_logz, attrs) -> None:
    table = _attr_json(attrs, "pt_round_table") or {"columns": [], "rows": []}
    if not table["rows"]:
        ax_barrier.set_axis_off()
        ax_logz.set_axis_off()
        return
    rows = np.asarray(table["rows"], dtype=float)
    col = {name: rows[:, i] for i, name in enumerate(table["columns"])}
    ax_barrier.plot(col["round"], col["barrier"], "o-", color=POSTERIOR, markersize=4)
    ax_barrier.set_ylim(bottom=0)
    ax_barrier.set_xlabel("round")
    ax_barrier.set_ylabel("barrier Λ")
    ax_barrier.set_title("global communication barrier", fontsize=10)
    se = np.nan_to_num(col["log_Z_se"])
    ax_logz.errorbar(col["round"], col["log_Z"], yerr=se, fmt="o-", color=POSTERIOR, markersize=4, capsize=3)
    last = col["log_Z"][-1]
    spread = max(np.nanmax(np.abs(col["log_Z"][-3:] - last)), 3 * se[-1], 1.0)
    ax_logz.set_ylim(last - 2 * spread, last + 2 * spread)  # the early rounds are far off: zoom on the end
    ax_logz.set_xlabel("round")
    ax_logz.set_ylabel("log Z")
    ax_logz.set_title(f"log evidence ± se (last: {last:.2f} ± {se[-1]:.2f})", fontsize=10)
    for ax in (ax_barrier, ax_logz):
        ax.xaxis.get_major_locator().set_params(integer=True)


# ---------------------------------------------------------------- Q-Q
def _qq(idata, truth, model):
    from ponder.runtime.results import map_estimate

    if _group(idata, "sample_stats") is None or "lp" not in idata.sample_stats:
        return None
    best = map_estimate(idata)
    if not best:
        return None
    model = model if model is not None else model_of(idata)
    params = {name: best[name] for name in model.param_names}
    columns = model.observed_names
    per_replicate = [np.asarray(model.standardised_residuals(params, replicate=r, seed=0), dtype=float)
                     for r in range(len(model.datasets))]
    pooled = np.concatenate([res.reshape(-1, len(columns)) for res in per_replicate])
    ncols = min(len(columns), 3)
    fig, axes = _panels(len(columns), 4.2, ncols, width=min(WIDTH, 4.5 * ncols + 1.5))
    for ax, (j, column) in zip(axes, enumerate(columns)):
        _qq_panel(ax, pooled[:, j], column)
    replicates = f", {len(per_replicate)} replicates" if len(per_replicate) > 1 else ""
    _title(fig, idata, f"Q-Q of residuals at the MAP{replicates}")
    return fig


def _qq_panel(ax, residuals: np.ndarray, column: str) -> None:
    z = np.sort(residuals[np.isfinite(residuals)])
    n = z.size
    if n == 0:
        ax.text(0.5, 0.5, "no finite residuals", ha="center", va="center", transform=ax.transAxes)
        return
    i = np.arange(1, n + 1)
    expected = stats.norm.ppf(stats.beta.ppf(0.5, i, n + 1 - i))
    lower = stats.norm.ppf(stats.beta.ppf(0.025, i, n + 1 - i))
    upper = stats.norm.ppf(stats.beta.ppf(0.975, i, n + 1 - i))
    ax.fill_between(expected, lower, upper, color="grey", alpha=0.25, linewidth=0, label="95% envelope")
    edge = max(np.abs(lower).max(), np.abs(upper).max(), np.abs(z).max()) * 1.05
    ax.plot([-edge, edge], [-edge, edge], color="grey", linewidth=1, label="y = x")
    ax.set_xlim(-edge, edge)
    ax.set_ylim(-edge, edge)
    ax.plot(expected, z, "o", color=POSTERIOR, markersize=3, label="residuals")
    outside = int(np.sum((z < lower) | (z > upper)))
    ax.set_title(f"{column}: {outside} of {n} outside the envelope", fontsize=10)
    ax.set_xlabel("N(0, 1) quantile")
    ax.set_ylabel(f"one-step-ahead residual of {column}")
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper left")


_DRAW = {
    "trace": _trace,
    "pair": _pair,
    "predictive": _predictive,
    "latent": _latent,
    "pf": _pf,
    "sampler": _sampler,
    "qq": _qq,
}
