"""Run records -> ArviZ InferenceData.

Everything is first gathered into one nested dict ``{group: {variable:
array}}`` (:func:`results_dict`), following the ArviZ schema: sample groups have dims
``(chain, draw, ...)``, ``*_data`` groups have none.

:mod:`ponder.runtime.arviz_io` makes the ArviZ object of the installed
ArviZ (0.23 InferenceData or 1.x DataTree). Groups: ``posterior`` (parameters; latent states at the observation times
when the likelihood samples them), ``sample_stats`` (``lp`` = log prior +
log-likelihood, ``log_likelihood``, ``acceptance_rate``, ``particles``,
``pf_ess_min``), ``log_likelihood`` (per observation time; with several
datasets one variable over ``observation``, all replicates' times one after
another, with coordinates ``replicate`` and ``time``, so ``az.loo`` and
``az.waic`` see every observation),
``posterior_predictive`` (simulated observations, one path per draw),
``observed_data``, ``constant_data``, and the ``warmup_*`` twins.
``sample_stats`` also holds, for particle filters, ``loglik_sd`` (the
delta-method sd of the estimate), ``pf_ess`` (ESS per observation time),
``failed_estimates`` (cumulative count of proposals whose estimate
collapsed) and, for the ensemble, ``resets`` (cumulative stuck-walker
resets).
"""

from __future__ import annotations

import json
import math

import numpy as np

from ponder.lang import ir, messages
from ponder.runtime import arviz_io
from ponder.runtime.data import Dataset
from ponder.runtime.kernels import link
from ponder.runtime.seeds import generator

#: The format of the results files this ponder writes (attribute ``ponder_format``), the one it reads.
RESULTS_FORMAT = 1


def _suffix(model, r: int) -> str:
    return "" if len(model.datasets) == 1 else f"_r{r}"


def _param_arrays(model, theta: np.ndarray) -> dict:
    """theta (chain, draw, slots) -> {name: (chain, draw[, K])}."""
    out = {}
    for p in model.ir.params:
        block = theta[..., p.offset:p.offset + p.width]
        out[p.name] = block[..., 0] if p.size == 0 else block
    return out


def derived_arrays(model, theta: np.ndarray, dims: dict | None = None, coords: dict | None = None) -> dict:
    """The derived quantities of every draw: theta (..., slots) -> {name: (...[, K])}, from the model's constants.

    They use the first dataset's constants (a replicate's overrides do not apply).
    """
    if not model.ir.derived:
        return {}
    flat = np.ascontiguousarray(theta.reshape(-1, theta.shape[-1]), dtype=float)
    out = np.empty((flat.shape[0], model.ir.n_derived))
    model.kernels.derived_rows(flat, model.consts(), out)
    arrays = {}
    for d in model.ir.derived:
        block = out[:, d.offset:d.offset + d.width].reshape(theta.shape[:-1] + d.shape)
        arrays[d.name] = block
        if d.shape and dims is not None:
            dims[d.name] = [f"{d.name}_dim"]
            coords[f"{d.name}_dim"] = np.arange(d.shape[0])
    return arrays


def results_dict(model, target, settings, records: dict, n_iter: int, warmup: int, sampler) -> dict:
    """The nested dict of groups and variables, plus dims and coords."""
    thin = max(int(settings.thin), 1)

    def phase(key, warm: bool):
        arr = records[key][:warmup] if warm else records[key][warmup:n_iter:thin]
        return np.swapaxes(arr, 0, 1)  # (chain, draw, ...)

    groups: dict[str, dict] = {}
    dims, coords = _coords(model)
    extra_coords: dict[str, dict] = {}  # group -> non-dimension coordinates {name: (dim, values)}
    offsets = np.cumsum([0] + [ds.n_times for ds in model.datasets])

    for warm in (False, True) if warmup > 0 else (False,):
        prefix = "warmup_" if warm else ""
        z = phase("z", warm)
        if z.shape[1] == 0:
            continue
        theta, _ = target.to_theta(z.reshape(-1, z.shape[-1]))
        theta = theta.reshape(z.shape)
        post = _param_arrays(model, theta)
        post.update(derived_arrays(model, theta, dims, coords))
        traj = phase("trajectory", warm)
        if np.isfinite(traj).any():
            for r, _ in enumerate(model.datasets):
                sl = traj[:, :, offsets[r]:offsets[r + 1]]
                for s in model.ir.states:
                    name = s.name + _suffix(model, r)
                    post[name] = sl[..., s.offset] if s.size == 0 else sl[..., s.offset:s.offset + s.size]
                    dims[name] = ["time" + _suffix(model, r)] + ([f"{s.name}_dim"] if s.size else [])
                    if s.size:
                        coords[f"{s.name}_dim"] = np.arange(s.size)
        groups[prefix + "posterior"] = post
        loglik = phase("loglik", warm)
        stats = {
            "lp": loglik + phase("logprior", warm),
            "log_likelihood": loglik,
            "loglik_sd": phase("loglik_sd", warm),
            "acceptance_rate": phase("accept", warm),
            "particles": phase("particles", warm),
            "pf_ess_min": phase("ess_min", warm),
        }
        for key in ("failed_estimates", "resets"):
            if key in records:
                stats[key] = phase(key, warm)
        ess = phase("ess", warm)
        if np.isfinite(ess).any():
            for r, _ in enumerate(model.datasets):
                name = "pf_ess" + _suffix(model, r)
                stats[name] = ess[:, :, offsets[r]:offsets[r + 1]]
                dims[name] = ["time" + _suffix(model, r)]
        groups[prefix + "sample_stats"] = stats
        if not warm:
            pointwise = phase("pointwise", warm)
            name = "_".join(model.observed_names) or "observations"
            if len(model.datasets) == 1:
                groups["log_likelihood"] = {name: pointwise}
                dims[name] = ["time"]
            else:  # one variable over all observation times of all replicates, as az.loo and az.waic want
                groups["log_likelihood"] = {name: pointwise}
                dims[name] = ["observation"]
                coords["observation"] = np.arange(pointwise.shape[-1])
                extra_coords["log_likelihood"] = {
                    "replicate": ("observation", np.repeat(np.arange(len(model.datasets)), np.diff(offsets))),
                    "time": ("observation", np.concatenate([ds.times for ds in model.datasets])),
                }
            groups["posterior_predictive"] = _predictive(model, target, theta, dims)
    groups["observed_data"], groups["constant_data"] = _data_groups(model, dims, coords)
    return {"groups": groups, "dims": dims, "coords": coords, "extra_coords": extra_coords}


def _data_groups(model, dims: dict, coords: dict) -> tuple[dict, dict]:
    """``observed_data`` and ``constant_data`` of every dataset (dims added to ``dims``)."""
    observed, constant = {}, {}
    for r, ds in enumerate(model.datasets):
        for j, col in enumerate(ds.columns):
            observed[col + _suffix(model, r)] = ds.values[:, j]
            dims[col + _suffix(model, r)] = ["time" + _suffix(model, r)]
        values = model.consts(ds)
        for c in model.ir.consts:
            name = c.name + _suffix(model, r)
            constant[name] = np.array(values[c.offset:c.offset + c.width]).reshape(c.shape)
            if c.shape:
                dims[name] = [f"{c.name}_dim{k}" for k in range(len(c.shape))]
        for name, series in ds.inputs.items():  # each input at its own times
            key = name + _suffix(model, r)
            constant[key] = series.values
            dims[key] = [f"{key}_time"]
            coords[f"{key}_time"] = series.times
    return observed, constant


def _coords(model) -> tuple[dict, dict]:
    """The dims of vector parameters and the time coordinates of every dataset."""
    dims, coords = {}, {}
    for r, ds in enumerate(model.datasets):
        coords["time" + _suffix(model, r)] = ds.times
    for p in model.ir.params:
        if p.size:
            dims[p.name] = [f"{p.name}_dim"]
            coords[f"{p.name}_dim"] = np.arange(p.size)
    return dims, coords


def _model_attrs(model, seed, seconds: float, settings: dict) -> dict:
    """Attributes every results file carries: who made it, from which model and settings."""
    from ponder.version import __version__

    return {
        "ponder_format": RESULTS_FORMAT,
        "inference_library": "ponder",
        "inference_library_version": __version__,
        "model_name": model.name,
        "model_path": str(model.path),
        "model_base_dir": str(model.base_dir),  # absolute: where the model's data paths start
        "model_source": model.source,
        # each replicate's data file, relative to model_base_dir where it lies below it (figures name panels by them)
        "datasets": json.dumps([_relative(ds.path, model.base_dir) for ds in model.datasets]),
        "seed": str(seed),
        "settings": json.dumps(settings, default=str),
        "sampling_time": float(seconds),
    }


def _relative(path, base) -> str:
    import os

    try:
        return os.path.relpath(str(path), str(base)) if str(path) else ""
    except ValueError:  # another drive (Windows)
        return str(path)


def method_results(model, method: str, result, seed, seconds: float, settings: dict):
    """The ArviZ results of an inference method's :class:`~ponder.runtime.methods.contract.MethodResult`."""
    dims, coords = _coords(model)
    theta = np.asarray(result.theta, dtype=float)
    stats = {k: np.asarray(v) for k, v in result.sample_stats.items()}
    if result.log_weights is not None:
        stats["log_weight"] = np.asarray(result.log_weights, dtype=float)
    groups = {"posterior": {**_param_arrays(model, theta), **derived_arrays(model, theta, dims, coords)},
              "sample_stats": stats}
    groups["observed_data"], groups["constant_data"] = _data_groups(model, dims, coords)
    attrs = {**_model_attrs(model, seed, seconds, settings), "method": method, "sampler": method,
             "iterations_done": int(theta.shape[1]), "warmup": 0, "partial": 0}
    for key, value in result.attrs.items():
        attrs[key] = value if isinstance(value, (int, float, str)) else json.dumps(value)
    return arviz_io.from_groups(groups, coords, dims, attrs, warmup=False)


def _predictive(model, target, theta: np.ndarray, dims: dict) -> dict:
    """Observations simulated at the data's times for every posterior draw."""
    loops = link(model.compiled)
    chains, draws = theta.shape[:2]
    out = {}
    for r, ds in enumerate(model.datasets):
        consts = model.consts(ds)
        sims = np.empty((chains, draws, ds.n_times, len(ds.columns)))
        states = np.empty((ds.n_times, model.ir.n_states))
        for c in range(chains):
            rng = generator(target.seed, 2, r, c)  # one stream per replicate and chain, draws in order
            for d in range(draws):
                loops.simulate_run(theta[c, d], consts, model.ir.t0, ds.times, rng, states, sims[c, d])
        for j, col in enumerate(ds.columns):
            out[col + _suffix(model, r)] = sims[..., j]
            dims[col + _suffix(model, r)] = ["time" + _suffix(model, r)]
    return out


def build_inference_data(model, target, settings, records, n_iter, warmup, sampler, seconds, partial=False,
                         state=None, plan=None):
    """The ArviZ results of a run (InferenceData, or a DataTree with ArviZ 1.x: :mod:`ponder.runtime.arviz_io`)."""
    from ponder.runtime.settings import settings_dict

    spec = results_dict(model, target, settings, records, n_iter, warmup, sampler)
    groups = spec["groups"]
    particles = target.particles()
    attrs = {
        **_model_attrs(model, settings.seed, seconds, settings_dict(settings)),
        "sampler": settings.sampler,
        "likelihood": target.likelihood,
        "iterations_done": int(n_iter),
        "warmup": int(warmup),
        "partial": int(bool(partial)),
        "final_particles": json.dumps(particles),
        "resources": json.dumps(_resources(settings, seconds, target.executor)),
        "target_rhat": float(settings.target_rhat),
        "target_ess": float(settings.target_ess),
        "likelihood_evaluations": int(target.evaluations),
        **_simulator_attrs(target),
    }
    if plan is not None:
        attrs["stopped"] = plan.stopped or "interrupted"
        attrs["until_converged"] = int(plan.until_converged)
        attrs["warmup_cut"] = int(plan.warmup_cut)
    extra = getattr(sampler, "run_attrs", None)
    if extra is not None and state is not None:
        for key, value in extra(state).items():
            attrs[key] = value if isinstance(value, (int, float, str)) else json.dumps(value)
    return arviz_io.from_groups(groups, spec["coords"], spec["dims"], attrs, warmup > 0, spec["extra_coords"])


def _simulator_attrs(target) -> dict:
    """An external simulator's particle outputs read and failed over the run (none without a simulator)."""
    steps, failed = target.simulator_counts
    return {"simulator_steps": int(steps), "simulator_failures": int(failed)} if steps else {}


def _resources(settings, seconds: float, executor=None) -> dict:
    """Where and with what the run ran, for reports."""
    import os
    import platform
    import time

    import numba

    out = {
        "wall_seconds": float(seconds),
        "cpu_seconds_main_process": time.process_time(),
        "executor": getattr(settings.executor, "name", settings.executor),
        "workers": getattr(executor, "workers", settings.workers),
        "cpu_count": os.cpu_count(),
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    if getattr(executor, "batches", None) is not None:  # the auto executor: how its batches ran
        out["executor_batches"] = dict(executor.batches)
    try:
        import resource

        scale = 1024 if platform.system() != "Darwin" else 1  # ru_maxrss is KiB on Linux, bytes on macOS
        out["peak_memory_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    except ImportError:  # pragma: no cover - Windows
        pass
    return out


def read_results(path) -> "object":
    """The results in a file ponder wrote; a ModelError (not a traceback) for any other file.

    Every command and the REPL read results through here. The file must be
    netCDF with a posterior, carry ``ponder_format`` = :data:`RESULTS_FORMAT`,
    and have every attribute ponder reads back of the kind ponder writes
    (:data:`ATTRIBUTES`) and its sample groups over (chain, draw)
    (:func:`check_results`).
    """
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise messages.results_file_not_found(path)
    try:
        idata = arviz_io.read(path)
    except Exception as exc:
        raise messages.not_a_results_file(path, type(exc).__name__) from None
    if "posterior" not in arviz_io.group_names(idata):
        raise messages.results_without_posterior(path)
    check_results(idata, path)
    return idata


def _whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _number(value) -> bool:
    return _whole(value) or isinstance(value, (float, np.floating))


def _json(fits):
    """A check of JSON text whose value ``fits``."""
    def check(value) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return bool(fits(json.loads(value)))
        except (ValueError, RecursionError):
            return False
    return check


def _numbers(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)


def _round_table(value) -> bool:
    from ponder.runtime.samplers.tempering import TABLE_COLUMNS

    return (isinstance(value, dict) and value.get("columns") == list(TABLE_COLUMNS)
            and isinstance(value.get("rows"), list)
            and all(_numbers(row) and len(row) == len(TABLE_COLUMNS) for row in value["rows"]))


_TEXT = (lambda v: isinstance(v, str), "text")
_WHOLE = (_whole, "a whole number")
_NUMBER = (_number, "a number")
_FLAG = (lambda v: _whole(v) and int(v) in (0, 1), "0 or 1")
_NUMBERS = (_json(_numbers), "a JSON list of numbers")

#: The attributes ponder reads back from a results file: ``{name: (check, what it must be)}``. Each that is
#: present must pass its check; :data:`REQUIRED` must be present.
ATTRIBUTES = {
    "model_name": _TEXT, "model_source": _TEXT, "model_path": _TEXT, "model_base_dir": _TEXT,
    "datasets": (_json(lambda v: isinstance(v, list) and v and all(isinstance(n, str) for n in v)),
                 "a JSON list of file names"),
    "seed": _TEXT, "sampler": _TEXT, "likelihood": _TEXT, "method": _TEXT, "stopped": _TEXT,
    "settings": (_json(lambda v: isinstance(v, dict) and isinstance(v.get("options") or {}, dict)),
                 "a JSON object of settings"),
    "resources": (_json(lambda v: isinstance(v, dict)), "a JSON object"),
    "final_particles": (_json(lambda v: isinstance(v, list) and all(c is None or _numbers([c]) for c in v)),
                        "a JSON list of particle numbers"),
    "sampling_time": _NUMBER, "target_rhat": _NUMBER, "target_ess": _NUMBER, "likelihood_evaluations": _NUMBER,
    "iterations_done": _WHOLE, "warmup": _WHOLE, "pt_runs": _WHOLE, "simulator_steps": _WHOLE,
    "simulator_failures": _WHOLE,
    "partial": _FLAG, "until_converged": _FLAG, "warmup_cut": _FLAG,
    "log_evidence": _NUMBER, "log_evidence_se": _NUMBER, "pt_barrier": _NUMBER,
    "pt_schedule": _NUMBERS, "pt_swap_rates": _NUMBERS, "log_evidence_chains": _NUMBERS,
    "pt_round_table": (_json(_round_table), "a JSON table of the tempering rounds"),
}
REQUIRED = ("model_name", "model_source", "datasets")

#: The groups with one value per draw: their variables have dims (chain, draw, ...).
SAMPLE_GROUPS = ("posterior", "sample_stats", "log_likelihood", "posterior_predictive", "warmup_posterior",
                 "warmup_sample_stats")


def check_results(idata, path) -> None:
    """Raise a ModelError naming what is wrong unless ``idata`` (read from ``path``) is results ponder wrote:
    its format, the attributes it reads back (:data:`ATTRIBUTES`), the dims of its groups."""
    from ponder.runtime.tables import shown

    attrs = arviz_io.group(idata, "posterior").attrs
    found = attrs.get("ponder_format")
    if found is None:
        raise messages.results_without_format(path, shown(str(attrs.get("inference_library", ""))))
    if not _whole(found) or found < 1:
        raise messages.results_attribute_invalid(path, "ponder_format", "a format number")
    if found > RESULTS_FORMAT:
        raise messages.results_format_newer(path, int(found), RESULTS_FORMAT)
    for name in REQUIRED:
        if name not in attrs:
            raise messages.results_attribute_invalid(path, name, "there")
    for name, (fits, what) in ATTRIBUTES.items():
        if name in attrs and not fits(attrs[name]):
            raise messages.results_attribute_invalid(path, name, what)
    posterior = arviz_io.group(idata, "posterior")
    if not posterior.data_vars:
        raise messages.results_group_invalid(path, "posterior", "has no variables")
    sizes = (posterior.sizes.get("chain"), posterior.sizes.get("draw"))
    for name in SAMPLE_GROUPS:
        group = arviz_io.group(idata, name)
        for var in () if group is None else group.data_vars.values():
            if tuple(var.dims[:2]) != ("chain", "draw"):
                raise messages.results_group_invalid(path, name, "has variables that are not over (chain, draw)")
            if not name.startswith("warmup_") and var.shape[:2] != sizes:
                raise messages.results_group_invalid(path, name, "has other chains or draws than the posterior")
    observed, predicted = arviz_io.group(idata, "observed_data"), arviz_io.group(idata, "posterior_predictive")
    for name, var in () if observed is None else observed.data_vars.items():
        if var.ndim != 1 or not str(var.dims[0]).startswith("time"):
            raise messages.results_group_invalid(path, "observed_data", "has variables that are not over a time")
        if predicted is not None and name in predicted and predicted[name].shape[2:] != var.shape:
            raise messages.results_group_invalid(path, "posterior_predictive", "does not match the observed data")


def stored_datasets(idata, model: ir.ModelIR) -> list[Dataset]:
    """The datasets a run stored in its results, the inverse of :func:`_data_groups`.

    Each replicate's observation times and values come from
    ``observed_data``, its constants (those that differ from the model's are
    its overrides) and its inputs from ``constant_data``, its name from the
    ``datasets`` attribute. Figures and reports of a results file use these,
    never the files its model source names: a results file cannot make
    ponder read (and show) a file.
    """
    from ponder.runtime.inputs import InputSeries

    names = json.loads(arviz_io.group(idata, "posterior").attrs.get("datasets", "[]"))
    observed, constant = arviz_io.group(idata, "observed_data"), arviz_io.group(idata, "constant_data")
    defaults = np.asarray(model.const_values, dtype=float)
    out = []
    for r, name in enumerate(names):
        suffix = "" if len(names) == 1 else f"_r{r}"
        times, columns = None, []
        for column in model.observed_columns:
            var = _stored(observed, column + suffix, "observed data")
            times = _stored_times(model, var, column + suffix) if times is None else times
            if var.shape != times.shape:
                raise messages.results_data_invalid(f"`{column + suffix}` has other times than the other columns")
            columns.append(np.asarray(var.values, dtype=float))
        if times is None:
            raise messages.results_data_invalid("the model observes no column")
        overrides = []
        for c in model.consts:
            if c.shape or constant is None or c.name + suffix not in constant:
                continue
            value = np.asarray(constant[c.name + suffix].values, dtype=float).reshape(-1)
            if value.size != 1:
                raise messages.results_data_invalid(f"the constant `{c.name + suffix}` is not one number")
            if float(value[0]) != defaults[c.offset]:
                overrides.append((c.name, float(value[0])))
        inputs = {}
        for inp in model.inputs:
            var = _stored(constant, inp.name + suffix, "inputs")
            series_times = np.asarray(var[var.dims[0]].values, dtype=float) if var.ndim == 1 else np.empty(0)
            values = np.asarray(var.values, dtype=float)
            if series_times.size == 0 or not (np.all(np.isfinite(values)) and np.all(np.diff(series_times) > 0)):
                raise messages.results_data_invalid(f"the input `{inp.name + suffix}` is not a series over time")
            inputs[inp.name] = InputSeries(inp.name, series_times, values, f"the results' `{inp.name + suffix}`")
        out.append(Dataset(name, "", times, np.column_stack(columns), tuple(model.observed_columns), tuple(overrides),
                           {}, inputs))
    return out


def _stored(group, key: str, what: str):
    """Variable ``key`` of a data group, or a ModelError saying the results lack it."""
    if group is None or key not in group:
        raise messages.results_data_invalid(f"the {what} have no `{key}`")
    return group[key]


def _stored_times(model: ir.ModelIR, var, key: str) -> np.ndarray:
    """The observation times of a stored column, checked as the data's are when read (a step model's kernels
    would otherwise take any number of steps)."""
    from ponder.runtime.data import first_off_grid, too_many_steps

    times = np.asarray(var[var.dims[0]].values, dtype=float) if var.ndim == 1 else np.empty(0)
    if (times.size == 0 or not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0) or times[0] < model.t0
            or too_many_steps(model, times) or first_off_grid(model, times) >= 0):
        raise messages.results_data_invalid(f"the times of `{key}` are not observation times of the model")
    return times


def map_estimate(idata) -> dict[str, float]:
    """The posterior draw with the highest ``lp`` (log prior + log-likelihood)."""
    stats = arviz_io.group(idata, "sample_stats")
    if stats is None or "lp" not in stats:  # an inference method's results need not have lp
        return {}
    lp = stats["lp"].values
    if not np.isfinite(lp).any():
        return {}
    c, d = np.unravel_index(np.nanargmax(np.where(np.isfinite(lp), lp, -math.inf)), lp.shape)
    posterior = arviz_io.group(idata, "posterior")
    return {name: posterior[name].values[c, d] for name in posterior.data_vars}
