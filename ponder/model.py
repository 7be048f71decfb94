"""The Python face of a model: :func:`load`, :func:`loads` and :class:`Model`.

>>> m = ponder.loads('''
... param a ~ Normal(0, 1)
... state x = 0
... step { e ~ Normal(0, 1); x += a + e }
... observe y ~ Normal(x, 0.5)
... ''')
>>> ds = m.simulate({"a": 0.3}, times=range(1, 11), seed=1)   # xarray.Dataset
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from ponder.lang import messages
from ponder.runtime import data as data_mod
from ponder.runtime.problem import Problem, ProblemSpec, load_problem
from ponder.runtime.tables import path_kind, read_text


def load(path: str | Path, data=None, consts: Mapping[str, float] | None = None,
         missing_data_ok: bool = False) -> "Model":
    """Load, check and compile a ``.model`` file and read its datasets.

    ``data`` replaces the model's ``data``/``replicate`` lines: a list of
    files (or glob patterns), each a replicate, relative to the current
    folder; an entry may be a ``(path, {"N": 500})`` pair to override
    constants for that file. ``consts`` overrides constants for every
    dataset, winning over a replicate's own overrides (the prior keeps the
    model's). With ``missing_data_ok`` a data file that does not exist is
    no dataset instead of an error.
    """
    path = Path(path)
    if path_kind(path) != "file":
        nearby = [p.name for p in path.parent.iterdir() if p.suffix == ".model"] if path.parent.is_dir() else []
        raise messages.model_file_not_found(path, nearby)
    text = read_text(path)
    return loads(text, base_dir=path.parent, name=str(path), default_name=path.stem, data=data, consts=consts,
                 missing_data_ok=missing_data_ok)


def loads(text: str, base_dir: str | Path = ".", name: str = "<string>", default_name: str = "model", data=None,
          consts: Mapping[str, float] | None = None, missing_data_ok: bool = False) -> "Model":
    """Like :func:`load`, from model text; the model's data paths are relative to ``base_dir``
    (those of ``data`` to the current folder)."""
    if isinstance(data, (str, Path)):
        data = [data]
    if data is not None:
        data = tuple((str(entry[0]), _overrides(entry[1])) if isinstance(entry, (tuple, list)) else (str(entry), ())
                     for entry in data)
    consts = _overrides(consts)
    spec = ProblemSpec(text, name, str(base_dir), default_name, data=data, consts=consts,
                       missing_data_ok=missing_data_ok)
    return load_problem(spec, cls=Model)


def _overrides(values) -> tuple[tuple[str, float], ...]:
    """``{name: number}`` as the ``((name, value), ...)`` a ProblemSpec keeps."""
    out = []
    for key, value in dict(values or {}).items():
        try:
            out.append((str(key), float(value)))
        except (TypeError, ValueError):
            raise messages.const_not_a_number(str(value), f"{key}={value}") from None
    return tuple(out)


class Model(Problem):
    """A compiled model and its datasets, with the user-facing API: simulate, estimate, sample."""

    def __repr__(self) -> str:
        kind = "deterministic" if self.is_deterministic else "stochastic"
        return (
            f"<ponder.Model {self.name!r}: {kind}, params {self.param_names}, "
            f"observed {self.observed_names}, {len(self.datasets)} dataset(s)>"
        )

    # ------------------------------------------------------------ vectors
    def theta(self, params: Mapping[str, object] | np.ndarray | Iterable[float]) -> np.ndarray:
        """The flat parameter vector from a ``{name: value}`` mapping (or a vector)."""
        if not isinstance(params, Mapping):
            theta = np.asarray(list(params) if not isinstance(params, np.ndarray) else params, dtype=float)
            if theta.shape != (self.ir.n_params,):
                raise messages.parameter_count(self.ir.n_params, theta.size, self.param_slot_names)
            return theta
        unknown = [k for k in params if k not in self.param_names]
        if unknown:
            raise messages.unknown_parameter(unknown[0], self.param_names)
        missing = [p.name for p in self.ir.params if p.name not in params]
        if missing:
            raise messages.parameter_not_given(missing[0], self.param_names)
        theta = np.empty(self.ir.n_params)
        for p in self.ir.params:
            value = np.asarray(params[p.name], dtype=float).reshape(-1)
            if value.size != p.width:
                raise messages.parameter_width(p.name, p.width, value.size, vector=bool(p.size))
            theta[p.offset : p.offset + p.width] = value
        return theta

    def params_dict(self, theta: np.ndarray) -> dict[str, float | np.ndarray]:
        """The inverse of :meth:`theta`."""
        out: dict[str, float | np.ndarray] = {}
        for p in self.ir.params:
            chunk = np.asarray(theta)[..., p.offset : p.offset + p.width]
            out[p.name] = chunk[..., 0] if p.size == 0 else chunk
        return out

    # ------------------------------------------------------------ prior
    def prior_sample(self, n: int, seed: int | None = None) -> dict[str, np.ndarray]:
        """``n`` draws from the prior, as ``{name: array of shape (n,) or (n, K)}``."""
        out = np.empty((int(n), self.ir.n_params))
        self.kernels.prior_sample(_rng(seed), self.consts(), out)
        return self.params_dict(out)

    def log_prior(self, params) -> float:
        """Log prior density at ``params`` (a mapping or a flat vector); -inf outside the support."""
        return float(self.kernels.prior_logpdf(self.theta(params), self.consts()))

    def prior_support(self, params) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper support bound of every parameter slot at ``params``."""
        theta = self.theta(params)
        lower, upper = np.empty_like(theta), np.empty_like(theta)
        self.kernels.prior_support(theta, self.consts(), lower, upper)
        return lower, upper

    # ------------------------------------------------------------ likelihood
    def likelihood(self, likelihood: str = "auto", **options):
        """The estimator ``likelihood`` with ``options``, built once and reused.

        Reusing it matters for the adaptive particle filter, which carries
        its particle number from call to call.
        """
        key = (likelihood, tuple(sorted((k, str(v)) for k, v in options.items())))
        cache = self.__dict__.setdefault("_likelihoods", {})
        if key not in cache:
            from ponder.runtime.likelihoods import make_likelihood

            cache[key] = make_likelihood(self, likelihood, **options)
        return cache[key]

    def estimate(self, params, likelihood: str = "auto", particles=None, seed=None, trajectory: bool = True, **options):
        """A likelihood estimate at ``params``: ``loglik``, ``pointwise``, ``trajectory``, ``diagnostics``.

        ``likelihood`` is ``auto`` (``direct`` if deterministic, else ``pf``),
        ``direct``, ``pf`` or a plugin's name; ``particles`` is N or
        ``"MIN:MAX"`` for the adaptive filter; ``options`` go to the estimator
        (``resampling``, ``ess_threshold``, ``target_sd``).
        """
        if particles is not None:
            options["particles"] = particles
        estimator = self.likelihood(likelihood, **options)
        return estimator.estimate(self.theta(params), seed, trajectory)

    def loglik(self, params, likelihood: str = "auto", particles=None, seed=None, **options) -> float:
        """The log-likelihood (estimate) at ``params`` as a float."""
        return self.estimate(params, likelihood, particles, seed, trajectory=False, **options).loglik

    # ------------------------------------------------------------ residuals
    def standardised_residuals(self, params, replicate: int = 0, seed: int | None = 0,
                               particles: int = 1024) -> np.ndarray:
        """One-step-ahead residuals of the data as N(0, 1) quantiles: (T, n_observed).

        ``z[t, j] = Phi^-1(P(Y[t, j] <= y[t, j] | y[:t], theta))``: the CDF of
        column j's error model averaged over the filter's predictive particles
        at time t (a bootstrap filter; exact for deterministic models),
        randomised between P(Y <= y - 1) and P(Y <= y) for discrete
        families. Under the model these are independent N(0, 1) (the
        probability integral transform), so a Q-Q plot checks the error model.
        NaN where the data are missing or every particle has zero weight, and for the columns
        of a multivariate observation.
        """
        from scipy import stats

        from ponder.runtime.resampling import systematic
        ds = self.datasets[self._replicate(replicate)]
        theta = self.theta(params)
        consts = self.consts(ds)
        k = self.kernels
        n = 1 if self.is_deterministic else int(particles)
        rng = _rng(seed)
        X = np.empty((n, self.ir.n_states))
        k.init(theta, consts, self.ir.t0, X, rng)
        # one family per column; a multivariate observation's columns have none (their residuals stay NaN)
        families = [self.library.distributions[obs.dist.name] if not obs.size else None
                    for obs in self.ir.observations for _ in range(obs.width)]
        args = np.full((n, len(families), max([f.arity for f in families if f is not None], default=1)), np.nan)
        logw = np.empty(n)
        ancestors = np.empty(n, dtype=np.int64)
        u = np.full((ds.n_times, len(families)), np.nan)
        t_prev = self.ir.t0
        for i, t in enumerate(ds.times):
            k.advance(theta, consts, X, t_prev, float(t), rng)
            t_prev = float(t)
            y = np.ascontiguousarray(ds.values[i])
            k.obs_args(theta, consts, X, float(t), args)
            for j, family in enumerate(families):
                if family is not None and np.isfinite(y[j]):
                    frozen = family.scipy(*(args[:, j, a] for a in range(family.arity)))
                    upper = np.mean(frozen.cdf(y[j]))
                    lower = np.mean(frozen.cdf(y[j] - 1)) if family.discrete else upper
                    u[i, j] = lower + rng.random() * (upper - lower)
            k.obs_logpdf(theta, consts, X, float(t), y, logw)
            top = np.max(logw)
            if not np.isfinite(top):
                u[i + 1:] = np.nan
                break
            weights = np.exp(logw - top)
            systematic(weights / weights.sum(), rng, ancestors)
            X = X[ancestors]
        return stats.norm.ppf(np.clip(u, 1e-300, 1.0 - 1e-16))

    def _replicate(self, replicate: int) -> int:
        if not 0 <= replicate < len(self.datasets):
            raise messages.no_such_dataset(replicate, len(self.datasets))
        return replicate

    # ------------------------------------------------------------ sampling
    def sample(
        self,
        sampler: str | None = None,
        likelihood: str | None = None,
        samples: int | None = None,
        warmup: int | None = None,
        chains: int | None = None,
        particles=None,
        executor: str | None = None,
        workers: int | None = None,
        seed: int | None = None,
        out=None,
        resume: bool = False,
        progress: bool = False,
        checkpoint_every: float = 5.0,
        target_rhat: float | None = None,
        target_ess: int | None = None,
        max_time: float | None = None,
        thin: int | None = None,
        **sampler_options,
    ):
        """Sample the posterior; returns ``arviz.InferenceData`` (written to ``out`` if given).

        Unset arguments come from the model's ``infer`` block, then ponder's
        defaults: the ``ensemble`` sampler, ``auto`` likelihood (adaptive
        particle filter ``64:4096`` for stochastic models), the ``auto``
        executor (threads when the estimates take long enough to pay), a warm-up that runs until it settles, and sampling until
        every parameter and derived quantity has R-hat <= ``target_rhat``
        (1.01) and bulk and tail ESS >= ``target_ess`` (400), or
        ``max_time`` seconds (300) are spent -- unless ``samples`` asks for
        exactly that many draws per chain (:mod:`ponder.runtime.plan`).
        ``ponder.runtime.convergence.run_warnings(idata)`` says what did not
        converge. ``sampler_options`` go to the sampler (``a``, ``de``,
        ``reset`` for ``ensemble``; ``scale``, ``target_accept`` for ``mh``).
        """
        from ponder.runtime.run import sample as run_sample

        bar = None
        if progress:
            from ponder.progress import RunProgress

            bar = RunProgress()
        return run_sample(
            self, out=out, resume=resume, progress=bar, checkpoint_every=checkpoint_every,
            sampler_options=sampler_options, sampler=sampler, likelihood=likelihood, samples=samples,
            warmup=warmup, chains=chains, particles=particles, executor=executor, workers=workers, seed=seed,
            target_rhat=target_rhat, target_ess=target_ess, max_time=max_time, thin=thin,
        )

    def run_method(self, method: str, out=None, resume: bool = False, executor: str | None = None,
                   workers: int | None = None, seed: int | None = None, **options):
        """Run the inference method ``method`` (a plugin's whole-run algorithm); returns the ArviZ results.

        ``options`` are the method's declared options (``ponder plugins
        METHOD`` lists them); with ``out``, the rounds done are kept next to
        it and ``resume=True`` continues an interrupted run.
        """
        from ponder.runtime.methods import run_method

        return run_method(self, method, out=out, resume=resume, executor=executor or "auto", workers=workers,
                          seed=seed, options=options)

    def evidence(self, samples: int = 1024, chains: int | None = None, seed: int | None = None, **options):
        """log Z, the log marginal likelihood of the model on its data, by parallel tempering.

        Returns ``(log_z, standard_error, inference_data)``; ``samples`` is
        the number of scans of the last round, ``chains`` the number of
        replicas (default 10); other options as for :meth:`sample`.
        """
        idata = self.sample(sampler="pt", samples=samples, chains=chains, seed=seed, **options)
        attrs = idata.posterior.attrs
        return float(attrs["log_evidence"]), float(attrs["log_evidence_se"]), idata

    # ------------------------------------------------------------ simulation
    def simulate(
        self,
        params,
        times: Iterable[float] | None = None,
        seed: int | None = None,
        dataset: int | None = 0,
        consts: Mapping[str, float] | None = None,
    ) -> "xarray.Dataset":
        """Simulate states and observations at ``times`` (default: the dataset's times).

        ``dataset`` picks the replicate whose constant overrides apply
        (None: the model's constants, with ``consts`` on top; ``times`` then needed).

        Returns an ``xarray.Dataset`` with coordinate ``time``: one variable
        per observed column (named like the column) and one per state; a
        state whose name is also an observed column is named ``<name>_state``;
        and each input at the output times, as the model reads it (attribute
        ``role = "input"``). The same ``seed`` gives the same result.
        """
        theta = self.theta(params)
        ds = self.datasets[dataset] if dataset is not None and dataset < len(self.datasets) else None
        if times is None:
            if ds is None:
                raise messages.no_observation_times()
            times_arr = ds.times
        else:
            times_arr = np.asarray(list(times), dtype=float)
            self._check_times(times_arr)
        from ponder.runtime.kernels import link

        self.check_inputs_cover(ds, float(times_arr[-1]))
        states = np.empty((len(times_arr), self.ir.n_states))
        obs = np.empty((len(times_arr), len(self.ir.observed_columns)))
        link(self.compiled).simulate_run(
            theta, self.consts(ds, consts), self.ir.t0, np.ascontiguousarray(times_arr), _rng(seed), states, obs
        )
        result = self._to_xarray(times_arr, states, obs, seed)
        if self.ir.inputs:
            from ponder.runtime.inputs import values_at

            series = ds.inputs if ds is not None and ds.inputs else self.file_inputs()
            for inp in self.ir.inputs:
                result[inp.name] = ("time", values_at(series[inp.name], times_arr, inp.interpolate))
                result[inp.name].attrs["role"] = "input"
        return result

    def simulate_batch(self, params, seed: int | None = None, threads: int | None = None) -> np.ndarray:
        """One simulated dataset per parameter vector: observations, an array (M, T, C) -- (M, R, T, C) for a model
        with R replicates (NaN after a shorter replicate's last time).

        ``params`` is an array (M, parameter slots) in ``param_slot_names``
        order, or ``{name: array (M,) or (M, K)}`` as :meth:`prior_sample`
        gives. Every replicate of the model's data is simulated at its
        times, with its inputs and constants; columns are ``observed_names``.
        Dataset m, replicate r draws from the stream (seed, m, r), so the
        result does not depend on ``threads`` (default: the usable cores).
        """
        from ponder.runtime.batch import simulate_batch

        if isinstance(params, Mapping):
            columns = {name: np.asarray(value, dtype=float) for name, value in params.items()}
            count = len(next(iter(columns.values()))) if columns else 0
            self.theta({name: value[0] if count else value for name, value in columns.items()})  # names and widths
            thetas = np.empty((count, self.ir.n_params))
            for p in self.ir.params:
                thetas[:, p.offset:p.offset + p.width] = columns[p.name].reshape(count, p.width)
        else:
            thetas = np.asarray(params, dtype=float)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**63))
        out = simulate_batch(self, thetas, int(seed), threads)
        return out[:, 0] if out.shape[1] == 1 else out

    def _check_times(self, times: np.ndarray) -> None:
        if times.ndim != 1 or len(times) == 0:
            raise messages.no_times_given()
        if np.any(np.diff(times) <= 0):
            raise messages.times_not_increasing()
        if times[0] < self.ir.t0:
            raise messages.times_before_t0(times[0], self.ir.t0)
        steps = data_mod.too_many_steps(self.ir, times)
        if steps:
            raise messages.times_too_many_steps(steps, data_mod.MAX_STEPS, self.ir.dynamics.dt)
        if data_mod.first_off_grid(self.ir, times) >= 0:
            raise messages.times_off_grid(self.ir.dynamics.dt)

    def _to_xarray(self, times, states, obs, seed) -> "xarray.Dataset":
        import xarray as xr  # here, not at the top: most commands never build a Dataset

        variables = {}
        for j, name in enumerate(self.observed_names):
            variables[name] = ("time", obs[:, j])
        for s in self.ir.states:
            # renamed when it, or a column the CSV writer makes of it (NAME_k), is an observed column
            clash = s.name in variables or any(f"{s.name}_{k}" in variables for k in range(s.size))
            name = f"{s.name}_state" if clash else s.name
            if s.size == 0:
                variables[name] = ("time", states[:, s.offset])
            else:
                variables[name] = (("time", f"{s.name}_dim"), states[:, s.offset : s.offset + s.size])
        attrs = {"model": self.name}
        if seed is not None:
            attrs["seed"] = int(seed)
        return xr.Dataset(variables, coords={"time": np.asarray(times, dtype=float)}, attrs=attrs)


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed))
