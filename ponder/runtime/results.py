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

from ponder.runtime import arviz_io
from ponder.runtime.kernels import link
from ponder.runtime.seeds import generator


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
        "resources": json.dumps(_resources(settings, seconds)),
        "target_rhat": float(settings.target_rhat),
        "target_ess": float(settings.target_ess),
        "likelihood_evaluations": int(target.evaluations),
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


def _resources(settings, seconds: float) -> dict:
    """Where and with what the run ran, for reports."""
    import os
    import platform
    import time

    import numba

    out = {
        "wall_seconds": float(seconds),
        "cpu_seconds_main_process": time.process_time(),
        "executor": getattr(settings.executor, "name", settings.executor),
        "workers": settings.workers,
        "cpu_count": os.cpu_count(),
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    try:
        import resource

        scale = 1024 if platform.system() != "Darwin" else 1  # ru_maxrss is KiB on Linux, bytes on macOS
        out["peak_memory_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    except ImportError:  # pragma: no cover - Windows
        pass
    return out


def read_results(path) -> "object":
    """InferenceData from a results file; a ModelError (not a traceback) when it is not one."""
    from pathlib import Path

    from ponder.lang import messages

    path = Path(path)
    if not path.is_file():
        raise messages.results_file_not_found(path)
    try:
        idata = arviz_io.read(path)
    except Exception as exc:
        raise messages.not_a_results_file(path, type(exc).__name__) from None
    if "posterior" not in arviz_io.group_names(idata):
        raise messages.results_without_posterior(path)
    return idata


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
