"""The target a sampler sees: a log density on unconstrained space, in batches.

For unconstrained parameters z (one row per walker or chain) the target is

    log p(z | y) = log L(theta(z)) + log prior(theta(z)) + log|d theta / d z| + const,

with theta(z) from :mod:`ponder.stdlib.transforms`. ``evaluate`` takes a
batch of rows with their seed keys, skips rows outside the prior's support,
splits the rest into (row, replicate) likelihood tasks, hands them to the
executor longest first, and reassembles the results in row and replicate
order. Each task's random numbers come from ``stream(seed, 1, *key,
replicate)``, so results are the same on every executor.

Adaptive tuning (the particle filter's particle number) is done here,
centrally: each estimator's ``adaptation`` (the likelihood contract,
:mod:`ponder.runtime.likelihoods.contract`) is updated once per batch from
the median of the batch's variance estimates, and its value is passed to
every task explicitly. With several datasets the ``replicates`` plugin
orders the tasks, keys their random numbers and combines their
log-likelihoods, as it does for ``ponder loglik``.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numba
import numpy as np

from ponder.lang import ir
from ponder.lang import messages
from ponder.runtime.estimate import Estimate
from ponder.runtime.evaluation import EVAL_KEYS
from ponder.runtime.likelihoods.contract import adaptation_of, capabilities_of
from ponder.runtime.likelihoods.select import build_estimators, make_combiner
from ponder.runtime.priors import PriorDraws
from ponder.runtime.problem import ProblemSpec, load_problem
from ponder.runtime.seeds import stream
from ponder.stdlib.transforms import Transform, from_unconstrained, to_unconstrained

# evaluation arrays that start blank and are filled from the tasks' results
_FILLED_BY_TASKS = ("particles", "ess_min", "pointwise", "ess", "trajectory")


@dataclass(frozen=True)
class EstimatorSpec:
    """What a worker process needs to rebuild the estimators (picklable, small)."""

    problem: ProblemSpec
    likelihood: str
    options: tuple[tuple[str, object], ...]


_WORKER_ESTIMATORS: dict[EstimatorSpec, list] = {}


def _estimators_for(spec: EstimatorSpec) -> list:
    found = _WORKER_ESTIMATORS.get(spec)
    if found is None:
        found = build_estimators(load_problem(spec.problem), spec.likelihood, dict(spec.options))
        _WORKER_ESTIMATORS[spec] = found
    return found


def evaluate_task(task):
    """Worker entry point: one replicate's likelihood at one parameter vector."""
    spec, replicate, theta, seed, particles, trajectory = task
    estimator = _estimators_for(spec)[replicate]
    if particles is None:
        est = estimator.estimate(theta, seed, trajectory)
    else:
        est = estimator.estimate(theta, seed, trajectory, particles=particles)
    d = est.diagnostics
    ess = d.get("ess")
    if "ess_min" in d:
        ess_min = d["ess_min"]
    else:
        ess_min = float(np.min(ess)) if ess is not None and len(ess) else math.nan
    return (
        est.loglik,
        est.pointwise,
        est.trajectory,
        int(d.get("particles", 1)),
        float(d.get("variance_times_n", math.nan)),
        float(ess_min),
        ess,
        int(d.get("simulator_steps", 0)),
        int(d.get("simulator_failures", 0)),
    )


class Target:
    """Log posterior in unconstrained space, evaluated in batches through an executor."""

    def __init__(self, model, likelihood: str, options: dict, executor, seed):
        self.model = model
        self.seed = seed
        self.executor = executor
        self.estimators = build_estimators(model, likelihood, options)
        self.likelihood = getattr(self.estimators[0], "name", likelihood)
        self.combiner = make_combiner(model, self.estimators) if len(self.estimators) > 1 else None
        self.spec = EstimatorSpec(model.spec, likelihood, tuple(sorted(options.items())))
        _WORKER_ESTIMATORS[self.spec] = self.estimators
        self.adaptations = [adaptation_of(e) for e in self.estimators]
        #: every dataset's likelihood is exact (samplers may re-evaluate freely; slice samplers apply)
        self.exact = all(capabilities_of(e).exact for e in self.estimators)
        #: every estimator may run on threads at once (executor contract: ``permit_threads``)
        self.thread_safe = all(capabilities_of(e).thread_safe for e in self.estimators)
        permit = getattr(executor, "permit_threads", None)
        if permit is not None:
            permit(self.thread_safe)
        #: (module, function) of one Numba log-likelihood all estimators share, or None (likelihood contract)
        self.compiled_loglik = _common(getattr(e, "compiled_loglik", None) for e in self.estimators)
        self.names = model.param_slot_names
        self._evaluations = [0]  # shared with the copies of :meth:`with_seed`
        #: [particle outputs read, failed] of an external simulator over the run (shared with the copies)
        self.simulator_counts = [0, 0]
        #: False while the run holds the particle numbers where they are (the first block of an adaptive warm-up)
        self.adapting = True
        self.dim = len(self.names)
        self.consts = model.consts()
        self.times = [ds.times for ds in model.datasets]
        self.offsets = np.cumsum([0] + [len(t) for t in self.times])  # each replicate's columns in pointwise
        self.n_states = model.ir.n_states
        self._blanks: dict[int, dict[str, np.ndarray]] = {}
        #: (lower, upper) support of every slot when it does not depend on other parameters, else None
        self.fixed_bounds = None if _prior_depends_on_params(model.ir) else self._bounds(np.zeros(self.dim))
        #: the unconstrained transform for fixed bounds, else None (bounds are then found row by row)
        self.transform = Transform(*self.fixed_bounds) if self.fixed_bounds is not None else None

    # ------------------------------------------------------------ transforms
    @property
    def evaluations(self) -> int:
        """Rows evaluated so far (likelihood estimates over all replicates), by this target and its copies."""
        return self._evaluations[0]

    @evaluations.setter
    def evaluations(self, value: int) -> None:
        self._evaluations[0] = int(value)

    def with_seed(self, seed: int) -> "Target":
        """The same target drawing its random numbers from ``seed`` instead (an independent chain of a sampler
        that runs several); the estimators, their adaptive particle numbers and the evaluation count are shared."""
        import copy

        twin = copy.copy(self)
        twin.seed = seed
        return twin

    def _bounds(self, theta: np.ndarray):
        lower, upper = np.empty(self.dim), np.empty(self.dim)
        self.model.kernels.prior_support(theta, self.consts, lower, upper)
        return lower, upper

    def to_theta(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """theta and log|Jacobian| for each row of z."""
        z = np.atleast_2d(z)
        if self.transform is not None:
            return self.transform.from_unconstrained(z)
        theta = np.empty_like(z)
        logj = np.zeros(len(z))
        for m, row in enumerate(z):
            # bounds of slot i may depend on earlier slots: fill in order
            x, lj = np.empty(self.dim), np.empty(self.dim)
            for i in range(self.dim):
                lower, upper = self._bounds(x)
                x[i], lj[i] = (v[0] for v in from_unconstrained(row[i:i + 1], lower[i:i + 1], upper[i:i + 1]))
            theta[m] = x
            logj[m] = lj.sum()
        return theta, logj

    def to_z(self, theta: np.ndarray) -> np.ndarray:
        theta = np.atleast_2d(theta)
        if self.transform is not None:
            return self.transform.to_unconstrained(theta)
        out = np.empty_like(theta)
        for m, row in enumerate(theta):
            out[m] = to_unconstrained(row, *self._bounds(row))
        return out

    def log_prior(self, theta: np.ndarray) -> float:
        return float(self.model.kernels.prior_logpdf(np.ascontiguousarray(theta, dtype=float), self.consts))

    # ------------------------------------------------------------ evaluation
    def particles(self) -> list[int | None]:
        """Each dataset's current particle number (None where the likelihood adapts nothing)."""
        return [a.particles if a is not None else None for a in self.adaptations]

    def lock_adaptations(self) -> None:
        """End of warm-up: freeze every adaptation."""
        for adaptation in self.adaptations:
            if adaptation is not None:
                adaptation.lock()

    def adaptation_states(self) -> list:
        return [a.get_state() if a is not None else None for a in self.adaptations]

    def restore_adaptations(self, states: list) -> None:
        for adaptation, saved in zip(self.adaptations, states):
            if adaptation is not None:
                adaptation.set_state(saved)

    def evaluate(self, z: np.ndarray, keys: list[tuple[int, ...]], adapt: bool = False,
                 adapt_rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Evaluate rows of ``z``; ``keys[m]`` names row m's random numbers.

        With ``adapt`` the rows' variance estimates update the particle
        numbers: all rows', or those where the boolean ``adapt_rows`` is true.
        """
        z = np.atleast_2d(np.asarray(z, dtype=float))
        theta, logj = self.to_theta(z)
        m_rows = len(z)
        logprior = np.empty(m_rows)
        self.model.kernels.prior_logpdf_rows(theta, self.consts, logprior)
        valid = np.isfinite(logprior) & np.isfinite(logj)
        rows = np.flatnonzero(valid)
        self._evaluations[0] += len(rows)
        n_particles = self.particles()
        replicates = len(self.estimators)
        # task k is (row rows[k // replicates], replicate k % replicates); its numbers come from its key path
        if replicates > 1:  # the combiner's keys and order (longest first); results put back in task order
            combiner = self.combiner
            tasks = [(self.spec, r, theta[m], combiner.replicate_seed((self.seed, 1, *keys[m]), r), n_particles[r],
                      True) for m in rows for r in range(replicates)]
            first = combiner.order()
            order = [i * replicates + r for r in first for i in range(len(rows))]
            results = [None] * len(tasks)
            for k, res in zip(order, self.executor.map(evaluate_task, [tasks[k] for k in order])):
                results[k] = res
        else:
            tasks = [(self.spec, 0, theta[m], (self.seed, 1, *keys[m], 0), n_particles[0], True) for m in rows]
            results = list(self.executor.map(evaluate_task, tasks))
        for res in results:
            self.simulator_counts[0] += res[7]
            self.simulator_counts[1] += res[8]
        out = {k: v.copy() for k, v in self._blank(m_rows).items() if k in _FILLED_BY_TASKS}
        loglik, variance = np.zeros(m_rows), np.zeros(m_rows)
        variances = []
        row_list = rows.tolist()
        for r in range(replicates):
            found = results[r::replicates]  # (loglik, pointwise, trajectory, particles, var_n, ess_min, ess)
            if not found:
                variances.append([])
                continue
            span = slice(self.offsets[r], self.offsets[r + 1])
            for key, k in (("pointwise", 1), ("trajectory", 2), ("ess", 6)):
                array = out[key]
                for m, res in zip(row_list, found):  # row by row: faster than np.stack for a few rows
                    if res[k] is not None:  # a collapsed filter has no path, an exact likelihood no ESS
                        array[m, span] = res[k]
            numbers = np.array([(res[0], res[3], res[4], res[5]) for res in found])
            _add_replicate(rows, numbers, r == 0, loglik, out["particles"], variance, out["ess_min"])
            var_n = numbers[:, 2]
            variances.append(var_n if adapt_rows is None else var_n[adapt_rows[rows]])
        if replicates > 1 and len(row_list):  # the combiner's log-likelihood of each row
            for i, m in enumerate(row_list):
                parts = [Estimate(res[0], res[1]) for res in results[i * replicates:(i + 1) * replicates]]
                loglik[m] = self.combiner.combine(parts).loglik
        out["logprior"] = logprior
        for key in ("loglik", "loglik_sd", "logpost", "failed"):
            out[key] = np.empty(m_rows, dtype=np.int64 if key == "failed" else float)
        _finish_rows(valid, loglik, variance, logprior, logj, out["loglik"], out["loglik_sd"], out["logpost"],
                     out["failed"])
        if adapt and self.adapting:
            for adaptation, values in zip(self.adaptations, variances):
                finite = [float(v) for v in values if math.isfinite(v)]
                if adaptation is not None and finite:
                    adaptation.update(statistics.median(finite))  # as np.median, a tenth of the time on a few rows
        return out

    def empty(self, rows: int) -> dict[str, np.ndarray]:
        """Evaluation arrays for ``rows`` rows, filled with 'nothing yet'."""
        return {k: v.copy() for k, v in self._blank(rows).items()}

    def _blank(self, rows: int) -> dict[str, np.ndarray]:
        blank = self._blanks.get(rows)
        if blank is None:
            t_total = sum(len(t) for t in self.times)
            blank = {
                "logpost": np.full(rows, -math.inf),
                "loglik": np.full(rows, -math.inf),
                "logprior": np.full(rows, -math.inf),
                "particles": np.zeros(rows, dtype=np.int64),
                "ess_min": np.full(rows, math.nan),
                "loglik_sd": np.full(rows, math.nan),
                "pointwise": np.full((rows, t_total), math.nan),
                "ess": np.full((rows, t_total), math.nan),
                "trajectory": np.full((rows, t_total, self.n_states), math.nan),
            }
            if len(self._blanks) < 8:  # samplers ask for a few sizes, again and again
                self._blanks[rows] = blank
        return blank

    def initial(self, rows: int, tries: int = 100) -> dict[str, np.ndarray]:
        """Rows drawn from the prior with a finite posterior density (redrawn up to ``tries`` times)."""
        state = self.empty(rows)
        state["z"] = np.zeros((rows, self.dim))
        state["failed_estimates"] = np.zeros(rows, dtype=np.int64)  # cumulative, counted by accept_rows
        pending = np.arange(rows)
        prior = PriorDraws(self.model, self.consts)  # names a prior whose arguments cannot be drawn
        for attempt in range(tries):
            draws = np.empty((len(pending), self.dim))
            for k, m in enumerate(pending):
                rng = np.random.default_rng(stream(self.seed, 3, m, attempt))
                self.model.kernels.prior_sample(rng, self.consts, draws[k:k + 1])
            prior.check(draws)
            z = self.to_z(draws)
            ok_z = np.all(np.isfinite(z), axis=1)
            ev = self.evaluate(np.where(ok_z[:, None], z, 0.0), [(0, int(m), attempt) for m in pending])
            good = ok_z & np.isfinite(ev["logpost"])
            for k in np.flatnonzero(good):
                m = pending[k]
                state["z"][m] = z[k]
                for key in EVAL_KEYS:
                    state[key][m] = ev[key][k]
            pending = pending[~good]
            if not len(pending):
                return state
        raise prior.failure() or messages.no_starting_points(tries)


@numba.njit(cache=True, nogil=True)
def _add_replicate(rows, numbers, first, loglik, particles, variance, ess_min):
    """Add one replicate's (loglik, particles, var_n, ess_min) of each row in ``rows`` to the rows' totals."""
    for j in range(rows.shape[0]):
        m = rows[j]
        loglik[m] += numbers[j, 0]
        n = int(numbers[j, 1])
        particles[m] += n
        variance[m] += numbers[j, 2] / max(n, 1)
        if first or numbers[j, 3] < ess_min[m]:  # as Python's min(previous, new): nan stays unless it comes second
            ess_min[m] = numbers[j, 3]


@numba.njit(cache=True, nogil=True)
def _finish_rows(valid, loglik, variance, logprior, logj, out_loglik, out_sd, out_logpost, failed):
    """Per row: the log-likelihood (-inf if not valid or nan), its delta-method sd, the log posterior, failure."""
    for m in range(valid.shape[0]):
        value = loglik[m] if valid[m] and loglik[m] == loglik[m] else -math.inf
        out_loglik[m] = value
        failed[m] = 1 if valid[m] and not math.isfinite(value) else 0
        out_sd[m] = math.sqrt(variance[m])  # nan for exact likelihoods
        out_logpost[m] = value + logprior[m] + logj[m] if valid[m] else -math.inf


def _prior_depends_on_params(model: ir.ModelIR) -> bool:
    priors = tuple(p.prior for p in model.params)
    return any(isinstance(node, ir.Ref) and node.kind == "param" for node in ir.walk(priors))


def _common(values):
    """The one value all of ``values`` share, or None (also when any is None)."""
    values = list(values)
    return values[0] if values and values[0] is not None and all(v == values[0] for v in values) else None
