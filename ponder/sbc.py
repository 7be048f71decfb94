"""Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari and Gelman 2018): is a sampler calibrated?

For each of M datasets ``m``: draw parameters from the prior, θ̃_m ~ p(θ);
simulate data from them, ỹ_m ~ p(y | θ̃_m), at the model's own observation
times, for every replicate (with its constant overrides) and with the
model's data's missing values left missing; run the sampler on ỹ_m; thin
the pooled chains evenly to L draws θ_1..θ_L; and take, for every scalar
parameter (each element of a vector parameter on its own, ``w[0]``, ...),
the rank of the truth among the draws,

    r_m = #{l : θ_l < θ̃_m} + U,   U uniform on {0, .., #{l : θ_l = θ̃_m}}   (ties broken at random).

If the draws come from the exact posterior (and are close to independent),
θ̃_m is one more draw from it, so r_m is uniform on {0, .., L}. A sampler
that is biased puts the truth too often at one end (a sloped histogram), one
that is too narrow at both ends (a U), one that is too wide in the middle.

>>> from ponder.sbc import sbc
>>> result = sbc(model, sampler="mh", datasets=100, draws=100, samples=1000, warmup=500)   # doctest: +SKIP
>>> result.passed, result.p_values                                                         # doctest: +SKIP
>>> result.to_json()        # {"parameters": {name: {"p_value", "coverage"}}, "passed": ...}  # doctest: +SKIP

The statistics, per parameter:

* **ECDF difference** with *simultaneous* 1 - α bands (Säilynoja, Bürkner
  and Vehtari 2022, their simulation method): with z_i = k_i / (L + 1) at K
  points k_i of the rank grid (K = min(L + 1, M)), the count
  x_i = #{m : r_m < k_i} is Binomial(M, z_i) under uniformity; each point's
  two-sided tail probability is t_i = min(1, 2 min(P(X <= x_i), P(X >= x_i)))
  and the statistic is γ = min_i t_i. Its distribution under uniformity is
  simulated (:data:`SIMULATIONS` draws of the multinomial bin counts, fixed
  seed); the band at level 1 - α is the set of counts x with t(x) >= γ_α at
  every point, γ_α the α quantile of the simulated γ, so an ECDF inside the
  band everywhere is exactly γ >= γ_α. The plots show F(z_i) - z_i and the band.
* **Uniformity p-value**: P(γ_uniform <= γ_observed) from the same simulation,
  so a p-value below α and an ECDF leaving the 1 - α band are the same event;
  below the resolution of the simulation it is the Bonferroni bound
  (K - 1) γ, which always holds. (No chi-square on bins: the ECDF test needs
  no choice of bins and sees slopes that bins blur.)
* **Rank histogram** in about M / 5 bins (at most 20), with the pointwise 99%
  band of each bin's Binomial count under uniformity.
* **Coverage** of the central 50, 80 and 95% posterior intervals (quantiles
  of the L draws): the fraction of datasets whose truth falls inside, with the
  binomial standard error sqrt(q (1 - q) / M) at the nominal level q.
* **Verdict**: ``passed`` when no parameter's p-value is below α / P (α = 0.01
  by default, P scalar parameters: a Bonferroni correction, so a calibrated
  sampler fails with probability at most α whatever the number of parameters).

Every random number comes from ``(seed, dataset index, ...)`` through
:func:`ponder.runtime.seeds.stream` -- the prior draw, each replicate's
simulation, the run's seed and the tie-breaking -- so the result does not
depend on the executor, the number of workers, the order datasets finish in
or on the number of datasets asked for (dataset m is the same in a run of
50 and of 100). The datasets run in parallel on the executor; each run
itself is serial. With ``out=DIR`` each finished dataset's ranks are written
at once (``DIR/datasets/NNNNN.json``, atomically) and ``resume=True``
reuses the ones written for the same model, data, settings and seed.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import html
import io
import json
import math
import os
import sys
import threading
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ponder.lang import messages
from ponder.model import Model
from ponder.runtime.problem import ProblemSpec, load_problem
from ponder.runtime.seeds import generator, stream
from ponder.runtime.settings import DEFAULT_SAMPLER

#: central posterior intervals whose coverage is reported, as percentages (the JSON keys)
LEVELS = ("50", "80", "95")
#: draws of the ECDF statistic under uniformity, for the bands and the p-values
SIMULATIONS = 10_000
#: level of the ECDF bands drawn and of the histogram band
BAND_LEVEL, HISTOGRAM_LEVEL = 0.95, 0.99
#: at most this many parameters get a panel in each figure
MAX_PANELS = 24
#: the runs' length when neither the call nor the model's `infer` block says
DEFAULT_SAMPLES = 1000
#: run settings taken from ``sampler_settings`` (the rest are sampler, likelihood or method options)
RUN_SETTINGS = ("samples", "warmup", "chains", "likelihood", "particles", "resampling", "thin")
FORMAT_VERSION = 1


# ---------------------------------------------------------------- statistics
@functools.lru_cache(maxsize=16)
def _ecdf_null(M: int, L: int, simulations: int = SIMULATIONS):
    """The ECDF test's set-up for M ranks on {0..L}: points k, z, the tail table t[i, x] and sorted simulated γ."""
    from scipy import stats

    K = min(L + 1, M)
    k = np.unique(np.round(np.arange(1, K) * (L + 1) / K).astype(np.int64))
    k = k[(k > 0) & (k < L + 1)]
    z = k / (L + 1)
    x = np.arange(M + 1)
    cdf = stats.binom.cdf(x[None, :], M, z[:, None])
    upper = stats.binom.sf(x[None, :] - 1, M, z[:, None])  # P(X >= x)
    tails = np.minimum(1.0, 2.0 * np.minimum(cdf, upper))
    if len(k) == 0:  # L = 0: every rank is 0, there is nothing to test
        return k, z, tails, np.ones(simulations)
    widths = np.diff(np.concatenate([[0.0], z, [1.0]]))
    counts = np.random.default_rng(20220101).multinomial(M, widths / widths.sum(), size=simulations)
    below = np.cumsum(counts, axis=1)[:, :-1]
    gammas = tails[np.arange(len(k))[None, :], below].min(axis=1)
    return k, z, tails, np.sort(gammas)


def ecdf_statistic(ranks: np.ndarray, draws: int) -> float:
    """γ = min_i t_i of M ranks on {0..draws} (see the module docstring): small means non-uniform."""
    ranks = np.asarray(ranks, dtype=np.int64)
    k, _, tails, _ = _ecdf_null(len(ranks), int(draws))
    if len(k) == 0:
        return 1.0
    below = (ranks[:, None] < k[None, :]).sum(axis=0)
    return float(tails[np.arange(len(k)), below].min())


def uniformity_p_value(ranks: np.ndarray, draws: int) -> float:
    """P(γ <= γ_observed) for uniform ranks, by simulation, or the Bonferroni bound (K - 1) γ when smaller."""
    ranks = np.asarray(ranks, dtype=np.int64)
    k, _, _, gammas = _ecdf_null(len(ranks), int(draws))
    gamma = ecdf_statistic(ranks, draws)
    simulated = (1 + np.searchsorted(gammas, gamma, side="right")) / (1 + len(gammas))
    return float(min(1.0, simulated, max(len(k), 1) * gamma))


def ecdf_band(M: int, draws: int, level: float = BAND_LEVEL) -> dict:
    """The simultaneous ``level`` band of the ECDF of M uniform ranks on {0..draws}.

    Returns ``z`` (the points), ``gamma`` (the band's γ_α) and ``lower``,
    ``upper``: the band of the ECDF values F(z_i), as fractions of M.
    """
    _, z, tails, gammas = _ecdf_null(int(M), int(draws))
    gamma = float(gammas[math.floor((1.0 - level) * len(gammas))])
    inside = tails >= gamma  # (points, counts 0..M): an interval of counts at each point
    lower = np.argmax(inside, axis=1)
    upper = M - np.argmax(inside[:, ::-1], axis=1)
    return {"z": z, "gamma": gamma, "lower": lower / M, "upper": upper / M}


def ecdf_difference(ranks: np.ndarray, draws: int, level: float = BAND_LEVEL) -> dict:
    """F(z_i) - z_i of the ranks, with the simultaneous band as differences too.

    Returns ``z``, ``difference``, ``lower``, ``upper`` and the band's ``gamma``.
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    band = ecdf_band(len(ranks), draws, level)
    k = np.round(band["z"] * (draws + 1)).astype(np.int64)
    ecdf = (ranks[:, None] < k[None, :]).mean(axis=0)
    z = band["z"]
    return {"z": z, "difference": ecdf - z, "lower": band["lower"] - z, "upper": band["upper"] - z,
            "gamma": band["gamma"]}


def rank_histogram(ranks: np.ndarray, draws: int, bins: int | None = None, level: float = HISTOGRAM_LEVEL) -> dict:
    """Counts of the ranks in ``bins`` contiguous bins of {0..draws}, with each bin's expected count and
    pointwise ``level`` band under uniformity (Binomial(M, width / (L + 1)) quantiles).

    By default about M / 5 bins (at most 20), preferring a number that divides L + 1 so that every bin holds
    as many ranks (Talts et al.'s advice); otherwise the widths differ by one.
    Returns ``edges`` (bin b holds ranks edges[b] <= r < edges[b + 1]), ``counts``, ``expected``, ``lower``, ``upper``.
    """
    from scipy import stats

    ranks = np.asarray(ranks, dtype=np.int64)
    M = len(ranks)
    if bins is None:
        bins = _bins(M, draws + 1)
    bins = max(1, min(int(bins), draws + 1))
    edges = np.unique(np.round(np.linspace(0, draws + 1, bins + 1)).astype(np.int64))
    counts = np.histogram(ranks, bins=edges)[0] if M else np.zeros(len(edges) - 1, dtype=np.int64)
    p = np.diff(edges) / (draws + 1)
    tail = (1.0 - level) / 2
    return {"edges": edges, "counts": counts, "expected": M * p,
            "lower": stats.binom.ppf(tail, M, p), "upper": stats.binom.ppf(1 - tail, M, p)}


def _bins(M: int, values: int) -> int:
    """About M / 5 bins, at most 20: the divisor of ``values`` (L + 1) nearest to that within a factor 2, if any."""
    target = max(1, min(20, M // 5, values))
    divisors = [b for b in range(max(1, (target + 1) // 2), min(2 * target, values) + 1) if values % b == 0]
    return min(divisors, key=lambda b: (abs(b - target), -b)) if divisors else target


def ranks_of(truth: np.ndarray, draws: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The rank of ``truth`` (P,) among ``draws`` (L, P) per column, ties broken uniformly at random."""
    less = np.sum(draws < truth[None, :], axis=0)
    ties = np.sum(draws == truth[None, :], axis=0)
    return less + rng.integers(0, ties + 1)


# ---------------------------------------------------------------- the result
@dataclass
class SBCResult:
    """Ranks of the truth and interval coverage over M simulated datasets, with the tests on them.

    ``ranks`` (M, P) holds each dataset's rank of each scalar parameter
    (``names``, e.g. ``w[0]``) among ``draws`` posterior draws; ``inside``
    maps "50", "80", "95" to (M, P) booleans: truth within that central
    posterior interval; ``truth`` (M, P) the prior draws.
    """

    names: list[str]
    ranks: np.ndarray
    draws: int
    inside: dict[str, np.ndarray]
    truth: np.ndarray
    seed: int = 0
    alpha: float = 0.01
    settings: dict = field(default_factory=dict)
    model: str = ""

    @property
    def datasets(self) -> int:
        return int(self.ranks.shape[0])

    @property
    def threshold(self) -> float:
        """α / P: a parameter whose p-value is below it fails (Bonferroni over the P parameters)."""
        return self.alpha / max(len(self.names), 1)

    @functools.cached_property
    def p_values(self) -> dict[str, float]:
        """The uniformity p-value of each parameter's ranks (the simultaneous-ECDF test)."""
        return {name: uniformity_p_value(self.ranks[:, j], self.draws) for j, name in enumerate(self.names)}

    @property
    def failed(self) -> list[str]:
        """The parameters whose p-value is below :attr:`threshold`."""
        return [name for name, p in self.p_values.items() if p < self.threshold]

    @property
    def passed(self) -> bool:
        """No parameter's p-value below α / P."""
        return not self.failed

    def coverage(self, name: str) -> dict[str, float]:
        """Fraction of datasets whose truth of ``name`` is inside the central 50, 80 and 95% intervals."""
        j = self.names.index(name)
        return {level: float(np.mean(self.inside[level][:, j])) if self.datasets else math.nan for level in LEVELS}

    def coverage_se(self) -> dict[str, float]:
        """The binomial standard error sqrt(q (1 - q) / M) of a coverage at its nominal level q."""
        return {level: math.sqrt(int(level) / 100 * (1 - int(level) / 100) / max(self.datasets, 1))
                for level in LEVELS}

    def histogram(self, name: str, bins: int | None = None) -> dict:
        """:func:`rank_histogram` of ``name``."""
        return rank_histogram(self.ranks[:, self.names.index(name)], self.draws, bins)

    def ecdf_difference(self, name: str, level: float = BAND_LEVEL) -> dict:
        """:func:`ecdf_difference` of ``name``."""
        return ecdf_difference(self.ranks[:, self.names.index(name)], self.draws, level)

    def to_json(self) -> dict:
        """``{"parameters": {name: {"p_value", "coverage": {"50", "80", "95"}, ...}}, "passed": bool, ...}``.

        Per parameter also ``coverage_se``, ``ranks``, ``truth`` and
        ``inside`` (0/1 per dataset and level); at the top ``datasets``,
        ``draws``, ``seed``, ``alpha``, ``threshold``, ``failed``, ``test``,
        ``settings`` and ``model``. :meth:`from_json` reads it back.
        """
        se = self.coverage_se()
        parameters = {}
        for j, name in enumerate(self.names):
            parameters[name] = {
                "p_value": float(self.p_values[name]),
                "coverage": self.coverage(name),
                "coverage_se": se,
                "ranks": [int(r) for r in self.ranks[:, j]],
                "truth": [float(v) for v in self.truth[:, j]],
                "inside": {level: [int(v) for v in self.inside[level][:, j]] for level in LEVELS},
            }
        return {
            "parameters": parameters, "passed": bool(self.passed), "failed": self.failed,
            "alpha": float(self.alpha), "threshold": float(self.threshold), "datasets": self.datasets,
            "draws": int(self.draws), "seed": int(self.seed), "model": self.model,
            "test": "simultaneous ECDF (Säilynoja et al. 2022), Bonferroni over parameters",
            "settings": self.settings, "format": FORMAT_VERSION,
        }

    @classmethod
    def from_json(cls, data: dict) -> "SBCResult":
        """The result :meth:`to_json` wrote (``DIR/sbc.json``)."""
        params = data["parameters"]
        names = list(params)

        def column(key):
            return np.array([params[n][key] for n in names], dtype=float).T.reshape(-1, len(names))

        inside = {level: np.array([params[n]["inside"][level] for n in names], dtype=bool).T.reshape(-1, len(names))
                  for level in LEVELS}
        return cls(names, column("ranks").astype(np.int64), int(data["draws"]), inside, column("truth"),
                   int(data.get("seed", 0)), float(data.get("alpha", 0.01)), dict(data.get("settings", {})),
                   str(data.get("model", "")))

    def write(self, folder: str | Path) -> list[Path]:
        """``sbc.json`` and the figures (``ranks.png``, ``ecdf.png``) into ``folder``; returns the paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "sbc.json"
        _write_atomically(path, json.dumps(self.to_json(), indent=1, allow_nan=False, default=str))
        return [path] + write_figures(self, folder)


def read_result(path: str | Path) -> SBCResult:
    """An :class:`SBCResult` from ``sbc.json`` (or the folder holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "sbc.json"
    return SBCResult.from_json(json.loads(path.read_text(encoding="utf-8")))


# ---------------------------------------------------------------- running it
@dataclass(frozen=True)
class _Task:
    """What a worker needs for dataset ``index`` (picklable): the model's spec, the run's settings and keys."""

    spec: ProblemSpec
    index: int
    seed: int
    draws: int
    sampler: str | None
    method: str | None
    settings: tuple  # ((name, value), ...) run settings (samples, warmup, ...)
    options: tuple  # ((name, value), ...) sampler, likelihood or method options
    fingerprint: str
    folder: str | None


def sbc(model, sampler: str | None = None, method: str | None = None, datasets: int = 100, draws: int = 100,
        seed: int = 0, executor="serial", workers: int | None = None, out: str | Path | None = None,
        resume: bool = False, progress: Callable[[int, int], Any] | None = None, alpha: float = 0.01,
        **sampler_settings) -> SBCResult:
    """Simulation-based calibration of ``sampler`` (or the inference ``method``) on ``model``.

    ``datasets`` M simulated datasets, ``draws`` L posterior draws per
    dataset thinned evenly from the pooled chains; ``sampler_settings``
    are run settings -- ``samples``, ``warmup`` (every run gets both
    explicitly: the call's, else the model's ``infer`` block's, else
    :data:`DEFAULT_SAMPLES` and as many warm-up iterations), ``chains``,
    ``likelihood``, ``particles``, ``resampling``, ``thin`` -- and sampler
    or likelihood options (``scale=0.5``), or the method's options.
    ``executor`` (a name, or an executor object, then not shut down) runs
    the datasets in parallel, each run being serial; a sampler registered
    only in this process (``register_plugin``) needs ``serial`` or
    ``threads``. ``progress(done, total)`` is called once per finished
    dataset. With ``out`` a folder receives each dataset's ranks as it
    finishes, then ``sbc.json`` and the figures; ``resume`` skips the
    datasets already there. ``alpha`` is the level of the test (split over
    the parameters). Returns an :class:`SBCResult`.
    """
    from ponder.runtime import outputs
    from ponder.runtime.settings import coerce_setting

    if not _is_count(datasets):
        raise messages.sbc_too_few_datasets(datasets)
    if not _is_count(draws):
        raise messages.sbc_too_few_draws(draws)
    datasets, draws = int(datasets), int(draws)
    seed = coerce_setting("seed", seed)
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise messages.sbc_alpha_out_of_range(alpha) from None
    if not 0.0 < alpha < 1.0:
        raise messages.sbc_alpha_out_of_range(alpha)
    if sampler and method:
        raise messages.sbc_sampler_and_method(sampler, method)
    if resume and out is None:
        raise messages.sbc_resume_needs_out()
    if not model.datasets:
        raise messages.sbc_needs_data(model.name)
    sampler, settings, options = _run_settings(model, sampler, method, sampler_settings)
    folder = None
    if out is not None:
        folder = outputs.check_folder(out, "SBC folder")
    fingerprint = _fingerprint(model, sampler, method, settings, options, seed, draws)
    _remember(model)
    base = dict(spec=model.spec, seed=seed, draws=draws, sampler=sampler, method=method,
                settings=tuple(sorted(settings.items())), options=tuple(sorted(options.items())),
                fingerprint=fingerprint, folder=str(folder) if folder is not None else None)
    held = outputs.lock(folder / "sbc.json") if folder is not None else contextlib.nullcontext()
    with held:
        records: dict[int, dict] = {}
        if resume:
            for index in range(datasets):
                found = _read_record(folder, index, fingerprint)
                if found is not None:
                    records[index] = found
        todo = [_Task(index=i, **base) for i in range(datasets) if i not in records]
        own = isinstance(executor, str)
        pool = _make_executor(executor, workers) if own else executor
        try:
            chunk = max(1, int(getattr(pool, "workers", 1) or 1))
            for start in range(0, len(todo), chunk):
                for record in pool.map(_run_dataset, todo[start:start + chunk]):
                    records[record["index"]] = record
                    if progress is not None:
                        progress(len(records), datasets)
        finally:
            if own:
                pool.shutdown()
        result = _result(model, [records[i] for i in range(datasets)], draws, seed, alpha,
                         {"sampler": sampler, "method": method, **settings, "options": options})
        if folder is not None:
            result.write(folder)
    return result


def _make_executor(name: str, workers: int | None):
    from ponder.runtime.executors import make_executor

    return make_executor(name, workers)


def _is_count(value) -> bool:
    """A whole number of at least 1 (an int, or a float with a whole value; not a bool)."""
    return (not isinstance(value, bool) and isinstance(value, (int, np.integer, float)) and math.isfinite(value)
            and value == int(value) and value >= 1)


def _run_settings(model, sampler, method, given: dict) -> tuple[str | None, dict, dict]:
    """(sampler, run settings, options) for the runs, checked here so that a mistake stops SBC before any work."""
    from ponder.plugins.manager import plugins
    from ponder.plugins.options import coerce_options, declared_options
    from ponder.runtime.settings import coerce_setting

    given = {k: v for k, v in given.items() if v is not None}
    if method is not None:
        factory = plugins().methods.get(method)
        coerce_options(declared_options(factory), given, f"the `{method}` method")
        return None, {}, dict(given)
    infer = model.infer_defaults
    sampler = sampler or infer.get("sampler") or DEFAULT_SAMPLER
    factory = plugins().samplers.get(sampler)
    settings = {k: coerce_setting(k, given.pop(k)) for k in RUN_SETTINGS if k in given}
    settings.setdefault("samples", coerce_setting("samples", infer.get("samples") or DEFAULT_SAMPLES))
    warmup = infer.get("warmup")
    settings.setdefault("warmup", coerce_setting("warmup", settings["samples"] if warmup is None else warmup))
    from ponder.runtime.run import resolve_settings, split_options

    resolved = resolve_settings(model, dict(given), sampler=sampler, likelihood=settings.get("likelihood"), seed=0)
    _, for_sampler = split_options(model, resolved)
    coerce_options(declared_options(factory), for_sampler, f"the `{sampler}` sampler")
    return sampler, settings, dict(given)


def _fingerprint(model, sampler, method, settings, options, seed, draws) -> str:
    """What a dataset's ranks depend on: the model, its data's times and values, the runs' settings, seed and L."""
    from ponder.version import __version__

    payload = {
        "format": FORMAT_VERSION, "version": __version__, "source": model.source,
        "data": [hashlib.sha256(ds.times.tobytes() + ds.values.tobytes() + repr(ds.overrides).encode()).hexdigest()
                 for ds in model.datasets],
        "sampler": sampler, "method": method, "settings": settings, "options": options, "seed": seed, "draws": draws,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


#: models by spec in this process: the caller's, and those a worker loaded (compiled once per process)
_MODELS: dict[ProblemSpec, Model] = {}
_MODELS_LOCK = threading.Lock()


def _remember(model) -> None:
    with _MODELS_LOCK:
        _MODELS[model.spec] = model


def _model_for(spec: ProblemSpec) -> Model:
    with _MODELS_LOCK:
        model = _MODELS.get(spec)
        if model is None:
            model = _MODELS[spec] = load_problem(spec, cls=Model)
        return model


def _int_seed(seed: int, *key: int) -> int:
    """An integer seed in [0, 2**63) for ``stream(seed, *key)`` (the API's ``seed=`` arguments take ints)."""
    return int(stream(seed, *key).generate_state(1, np.uint64)[0] >> np.uint64(1))


def simulated_model(model: Model, theta: np.ndarray, seed: int, index: int) -> Model:
    """``model`` with every dataset replaced by data simulated at ``theta`` (same times, missing values, constants)."""
    replaced = []
    for r, ds in enumerate(model.datasets):
        sim = model.simulate(theta, seed=_int_seed(seed, index, 1, r), dataset=r)
        if model.observed_names:
            values = np.column_stack([np.asarray(sim[name].values, dtype=float) for name in model.observed_names])
        else:
            values = np.zeros((ds.n_times, 0))
        values[np.isnan(ds.values)] = np.nan  # the data's missing values stay missing
        replaced.append(dataclasses.replace(ds, values=values))
    simulated = Model(model.compiled, replaced, model.base_dir, model.path, model.infer)
    # A run's Target files its estimators under the model's spec in a process-wide table; datasets running
    # at once in threads must not share an entry, so each thread's simulated models get a spec of their own.
    # (It names no data to load: the runs SBC makes are serial and never rebuild the model from it.)
    tag = f"{model.spec.name} [SBC, thread {threading.get_ident()}]"
    simulated.__dict__["_spec"] = dataclasses.replace(model.spec, name=tag)
    return simulated


def _run_dataset(task: _Task) -> dict:
    """Dataset ``task.index``: prior draw, simulation, run, thinned draws, ranks and coverage (in a worker)."""
    model = _model_for(task.spec)
    prior = model.prior_sample(1, seed=_int_seed(task.seed, task.index, 0))
    theta = model.theta({name: values[0] for name, values in prior.items()})
    data = simulated_model(model, theta, task.seed, task.index)
    run_seed = _int_seed(task.seed, task.index, 2)
    options = dict(task.options)
    if task.method is not None:
        idata = data.run_method(task.method, seed=run_seed, executor="serial", **options)
    else:
        from ponder.runtime.run import sample

        idata = sample(data, sampler_options=options, sampler=task.sampler, executor="serial", seed=run_seed,
                       **dict(task.settings))
    pooled = pooled_draws(model, idata)
    if len(pooled) < task.draws:
        raise messages.sbc_not_enough_posterior_draws(len(pooled), task.draws)
    thinned = pooled[((np.arange(task.draws) + 0.5) * len(pooled) / task.draws).astype(np.int64)]
    ranks = ranks_of(theta, thinned, generator(task.seed, task.index, 3))
    inside = {}
    for level in LEVELS:
        q = int(level) / 100
        lower, upper = np.quantile(thinned, [(1 - q) / 2, (1 + q) / 2], axis=0)
        inside[level] = [int(v) for v in (lower <= theta) & (theta <= upper)]
    record = {"index": task.index, "fingerprint": task.fingerprint, "truth": [float(v) for v in theta],
              "ranks": [int(r) for r in ranks], "inside": inside, "pooled_draws": int(len(pooled))}
    if task.folder is not None:
        _write_atomically(_record_path(Path(task.folder), task.index), json.dumps(record))
    return record


def pooled_draws(model, idata) -> np.ndarray:
    """The posterior draws of every parameter slot, chains one after the other: (chains x draws, P)."""
    from ponder.runtime.arviz_io import group

    post = group(idata, "posterior")
    columns = []
    for p in model.ir.params:
        values = np.asarray(post[p.name].values, dtype=float)
        columns.append(values.reshape(values.shape[0] * values.shape[1], p.width))
    return np.concatenate(columns, axis=1)


def _record_path(folder: Path, index: int) -> Path:
    return folder / "datasets" / f"{index:05d}.json"


def _read_record(folder: Path, index: int, fingerprint: str) -> dict | None:
    """Dataset ``index``'s record in ``folder`` if it is one of this SBC (same fingerprint), else None."""
    path = _record_path(folder, index)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint or record.get("index") != index:
        return None
    return record


def _write_atomically(path: Path, text: str) -> None:
    from ponder.runtime.outputs import scratch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = scratch(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _result(model, records: list[dict], draws: int, seed: int, alpha: float, settings: dict) -> SBCResult:
    P = len(model.param_slot_names)
    ranks = np.array([r["ranks"] for r in records], dtype=np.int64).reshape(-1, P)
    truth = np.array([r["truth"] for r in records], dtype=float).reshape(-1, P)
    inside = {level: np.array([r["inside"][level] for r in records], dtype=bool).reshape(-1, P) for level in LEVELS}
    return SBCResult(list(model.param_slot_names), ranks, draws, inside, truth, seed, alpha, settings, model.name)


# ---------------------------------------------------------------- figures and HTML
def _panels(n: int, title: str):
    from matplotlib.figure import Figure

    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(10.0, max(2.6 * nrows + 0.8, 3.0)), dpi=110, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=13)
    return fig, list(axes[:n])


def _shown(result: SBCResult) -> tuple[list[str], str]:
    names = result.names[:MAX_PANELS]
    more = f" (first {MAX_PANELS} of {len(result.names)} parameters)" if len(result.names) > MAX_PANELS else ""
    return names, more


def _panel_title(result: SBCResult, name: str) -> str:
    p = result.p_values[name]
    mark = "  FAIL" if p < result.threshold else ""
    return f"{name}   p = {p:.2g}{mark}"


def rank_histogram_figure(result: SBCResult):
    """One panel per parameter: the rank histogram with the 99% band of each bin's count under uniformity."""
    names, more = _shown(result)
    fig, axes = _panels(len(names), f"{result.model}: SBC rank histograms, {result.datasets} datasets, "
                                    f"{result.draws} draws{more}")
    for ax, name in zip(axes, names):
        h = result.histogram(name)
        left, width = h["edges"][:-1] - 0.5, np.diff(h["edges"])
        # unequal bins (L + 1 with no divisor near the bin count) are drawn scaled to the mean width
        scale = width.mean() / width
        ax.bar(left, (h["upper"] - h["lower"]) * scale, bottom=h["lower"] * scale, width=width, align="edge",
               color="0.85", edgecolor="none", label=f"{HISTOGRAM_LEVEL:.0%} band (uniform)")
        ax.bar(left, h["counts"] * scale, width=width, align="edge", color="C0", alpha=0.75, edgecolor="white",
               label="ranks")
        ax.axhline(float(np.mean(h["expected"] * scale)), color="0.4", lw=1)
        ax.set_xlim(-0.5, result.draws + 0.5)
        ax.set_title(_panel_title(result, name), fontsize=10, color="C3" if name in result.failed else "black")
        ax.set_xlabel(f"rank of the truth (0..{result.draws})")
        ax.set_ylabel("datasets per bin" if np.all(width == width[0]) else "datasets per bin (scaled to equal bins)")
    if axes:
        axes[0].legend(fontsize=8, loc="lower right")
    return fig


def ecdf_figure(result: SBCResult):
    """One panel per parameter: the ECDF of the fractional ranks minus the uniform CDF, with the simultaneous band."""
    names, more = _shown(result)
    fig, axes = _panels(len(names), f"{result.model}: SBC ECDF difference, simultaneous {BAND_LEVEL:.0%} band"
                                    f"{more}")
    for ax, name in zip(axes, names):
        e = result.ecdf_difference(name)
        z = np.concatenate([[0.0], e["z"], [1.0]])
        ax.fill_between(z, np.concatenate([[0.0], e["lower"], [0.0]]), np.concatenate([[0.0], e["upper"], [0.0]]),
                        step="post", color="0.85", label=f"simultaneous {BAND_LEVEL:.0%} band")
        ax.step(z, np.concatenate([[0.0], e["difference"], [0.0]]), where="post", color="C0", lw=1.5,
                label="ECDF − uniform")
        ax.axhline(0.0, color="0.4", lw=0.8)
        ax.set_xlim(0.0, 1.0)
        ax.set_title(_panel_title(result, name), fontsize=10, color="C3" if name in result.failed else "black")
        ax.set_xlabel("fractional rank")
    if axes:
        axes[0].legend(fontsize=8, loc="lower right")
    return fig


def write_figures(result: SBCResult, folder: str | Path, formats=("png",)) -> list[Path]:
    """``ranks.FORMAT`` and ``ecdf.FORMAT`` of ``result`` into ``folder``; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, draw in (("ranks", rank_histogram_figure), ("ecdf", ecdf_figure)):
        fig = draw(result)
        for fmt in formats:
            path = folder / f"{stem}.{fmt}"
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            fig.savefig(tmp, format=fmt, dpi=110)
            os.replace(tmp, path)
            paths.append(path)
    return paths


def sbc_section_html(result: SBCResult) -> str:
    """An HTML ``<section>`` for a report: the verdict, the table per parameter and both figures (embedded PNG)."""
    se = result.coverage_se()
    head = ["parameter", "p-value"] + [f"{level}% coverage" for level in LEVELS] + ["verdict"]
    rows = []
    for name in result.names:
        cov = result.coverage(name)
        ok = name not in result.failed
        rows.append([name, f"{result.p_values[name]:.3g}"]
                    + [f"{cov[level]:.2f} ± {se[level]:.2f}" for level in LEVELS] + ["ok" if ok else "FAIL"])
    table = ("<table><tr>" + "".join(f"<th>{_escape(h)}</th>" for h in head) + "</tr>"
             + "".join("<tr>" + "".join(f"<td>{_escape(c)}</td>" for c in row) + "</tr>" for row in rows) + "</table>")
    verdict = verdict_line(result)
    settings = ", ".join(f"{k} {v}" for k, v in result.settings.items() if v not in (None, {}, ""))
    parts = [
        '<section id="sbc"><h2>Simulation-based calibration</h2>',
        f'<p class="{"" if result.passed else "warning"}">{_escape(verdict)}</p>',
        f"<p>{result.datasets} datasets from the prior, {result.draws} posterior draws each, seed {result.seed}"
        + (f"; {_escape(settings)}" if settings else "") + ".</p>",
        table,
    ]
    for stem, draw, caption in (
        ("ranks", rank_histogram_figure, f"Rank of the truth among the posterior draws, with the pointwise "
                                         f"{HISTOGRAM_LEVEL:.0%} band of a uniform histogram."),
        ("ecdf", ecdf_figure, f"ECDF of the fractional ranks minus the uniform CDF, with the simultaneous "
                              f"{BAND_LEVEL:.0%} band (Säilynoja et al. 2022)."),
    ):
        buffer = io.BytesIO()
        draw(result).savefig(buffer, format="png", dpi=100)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        parts.append(f'<figure id="sbc-{stem}"><img alt="SBC {stem} figure" src="data:image/png;base64,{data}">'
                     f"<figcaption>{_escape(caption)}</figcaption></figure>")
    parts.append("</section>")
    return "\n".join(parts)


def _escape(text) -> str:
    return html.escape(str(text), quote=True)


def verdict_line(result: SBCResult) -> str:
    """One sentence: passed or failed, with the Bonferroni threshold and the parameters that failed."""
    rule = (f"p-value below {result.alpha:g} / {len(result.names)} = {result.threshold:.2g} "
            f"(Bonferroni), {result.datasets} datasets x {result.draws} draws")
    if result.passed:
        return f"SBC passed: no {rule}"
    return f"SBC FAILED for {', '.join(result.failed)}: {rule}"


# ``ponder.sbc(model, ...)`` calls :func:`sbc` whether ``ponder.sbc`` is this module or the function
class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return sbc(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
