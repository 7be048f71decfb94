"""The likelihood loops of a model whose dynamics are an external Python simulator.

They are the loops of :mod:`ponder.runtime.templates.filters` (``direct_run``,
``pf_run``, ``simulate_run``), with the same arguments and results, written
in Python around the simulator contract (:mod:`ponder.runtime.simulators.contract`):
the simulator moves the particles, the model's generated kernels weight
them (``obs_logpdf``), Numba's resampling picks the ancestors. So the
particle filter's estimator, its adaptive particle number, trajectories,
replicates, samplers, checkpoints and executors work on such a model as on
any other. :func:`link_simulator` builds them for one compiled model.

A particle whose outputs are not finite (its run failed) gets weight zero.
:meth:`SimulatorLoops.last_run_counts` says, for the calling thread's last
run, how many particle outputs were read and how many of them had failed;
the estimators report them as the diagnostics ``simulator_steps`` and
``simulator_failures``.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from ponder.lang import ir
from ponder.runtime.simulators.contract import capabilities_of, close_state, resample_state


class InputSeries:
    """An input of one dataset as a function of time: ``series(t)`` (``t`` a number or an array).

    ``linear`` interpolates between the table's times, ``constant`` takes
    the last value at or before ``t``; outside the table the end values hold
    (as the generated kernels' ``input_at``).
    """

    def __init__(self, times: np.ndarray, values: np.ndarray, interpolate: str):
        self.times, self.values, self.interpolate = times, values, interpolate

    def __call__(self, t):
        if self.interpolate == "linear":
            out = np.interp(t, self.times, self.values)
        else:
            i = np.clip(np.searchsorted(self.times, t, side="right") - 1, 0, len(self.times) - 1)
            out = self.values[i]
        return float(out) if np.ndim(out) == 0 else out

    def __repr__(self):
        return f"InputSeries({len(self.times)} times, {self.interpolate})"


def named_params(model: ir.ModelIR, theta: np.ndarray) -> dict:
    """``{name: value}`` of the flat parameter vector (a vector parameter: an array)."""
    return {p.name: float(theta[p.offset]) if p.size == 0 else np.array(theta[p.offset:p.offset + p.size])
            for p in model.params}


def named_consts(model: ir.ModelIR, consts: np.ndarray) -> dict:
    """``{name: value}`` of the constants vector: numbers, arrays, and each input as an :class:`InputSeries`."""
    out = {}
    for c in model.consts:
        if c.shape:
            out[c.name] = np.array(consts[c.offset:c.offset + c.width]).reshape(c.shape)
        else:
            out[c.name] = float(consts[c.offset])
    for i in model.inputs:
        slot = model.n_const_slots + i.index
        if slot >= consts.shape[0]:
            continue  # no data to read the inputs from (the prior's kernels)
        start = int(consts[slot])
        n = int(consts[start])
        out[i.name] = InputSeries(np.array(consts[start + 1:start + 1 + n]),
                                  np.array(consts[start + 1 + n:start + 1 + 2 * n]), i.interpolate)
    return out


class SimulatorLoops:
    """``direct_run``, ``pf_run`` and ``simulate_run`` of one model around its Python simulator."""

    #: the loops run in Python: samplers that scan inside Numba cannot call them
    in_numba = False

    def __init__(self, model: ir.ModelIR, kernels, simulator):
        from ponder.runtime.resampling import resample  # Numba's: loaded when a likelihood is built

        self.model = model
        self.kernels = kernels
        self.simulator = simulator
        self._resample = resample
        self._n_states = model.n_states
        # a simulator that is not thread-safe runs one estimate at a time in this process
        self._lock = None if capabilities_of(simulator).thread_safe else threading.Lock()
        self._counts = threading.local()  # each thread's last run: (outputs read, failed)

    def last_run_counts(self) -> tuple[int, int]:
        """(particle outputs read, those that failed) in this thread's last run of a loop."""
        return getattr(self._counts, "last", (0, 0))

    def _count(self, steps: int, failed: int) -> None:
        self._counts.last = (steps, failed)

    # ------------------------------------------------------------ the simulator's values as the kernels' rows
    def _rows(self, state, n: int, out: np.ndarray) -> int:
        """Fill ``out`` with the simulator's outputs (NaN rows where a particle failed); how many failed."""
        values = self.simulator.outputs(state)
        for s in self.model.states:
            try:
                v = np.asarray(values[s.name], dtype=float)
            except KeyError:
                raise RuntimeError(f"the simulator `{self.model.dynamics.name}` gave no output `{s.name}` "
                                   f"(it gave {sorted(values)})") from None
            out[:, s.offset:s.offset + s.width] = v.reshape(n, s.width)
        bad = ~np.isfinite(out).all(axis=1)
        if bad.any():
            out[bad] = math.nan
            return int(bad.sum())
        return 0

    def _run(self, body):
        if self._lock is None:
            return body()
        with self._lock:
            return body()

    def _start(self, theta, consts, n, rng):
        """The named parameters and the simulator's first state (both local to one estimate: threads share self)."""
        named = named_params(self.model, theta)
        return named, self.simulator.init(named, named_consts(self.model, consts), n, rng)

    # ------------------------------------------------------------ the loops
    def direct_run(self, theta, consts, t0, times, Y, pointwise, states, rng):
        """Exact log-likelihood of a deterministic simulator (one particle); see ``filters.direct_run``."""
        def body():
            X = np.empty((1, self._n_states))
            named, state = self._start(theta, consts, 1, rng)
            failed = 0
            try:
                total, t_prev = 0.0, t0
                for k in range(times.shape[0]):
                    if times[k] > t_prev:
                        state = self.simulator.advance(state, float(t_prev), float(times[k]), named, rng)
                    failed += self._rows(state, 1, X)
                    self.kernels.obs_logpdf_cols(theta, consts, X, times[k], Y[k], pointwise[k:k + 1])
                    row = pointwise[k]
                    row[np.isnan(row)] = -math.inf
                    total += float(row.sum())
                    states[k] = X[0]
                    t_prev = times[k]
                self._count(times.shape[0], failed)
                return total
            finally:
                close_state(self.simulator, state)
        return self._run(body)

    def pf_run(self, theta, consts, t0, times, Y, n_particles, scheme, ess_threshold, rng,
               increments, ess, unique, trajectory, trace):
        """Bootstrap particle filter around the simulator; see ``filters.pf_run`` (same arguments and results)."""
        return self._run(lambda: self._pf(theta, consts, t0, times, Y, n_particles, scheme, ess_threshold, rng,
                                          increments, ess, unique, trajectory, trace))

    def _pf(self, theta, consts, t0, times, Y, n, scheme, ess_threshold, rng, increments, ess, unique,
            trajectory, trace):
        T = times.shape[0]
        X = np.empty((n, self._n_states))
        lp = np.empty(n)
        logw = np.zeros(n)
        idx = np.empty(n, dtype=np.int64)
        history = np.empty((T, n, self._n_states)) if trace else None
        ancestors = np.empty((T, n), dtype=np.int64) if trace else None
        loglik, t_prev, log_total_prev = 0.0, t0, math.log(n)
        w = np.full(n, 1.0 / n)
        named, state = self._start(theta, consts, n, rng)
        failed = 0
        try:
            for k in range(T):
                if times[k] > t_prev:
                    state = self.simulator.advance(state, float(t_prev), float(times[k]), named, rng)
                failed += self._rows(state, n, X)
                self._count((k + 1) * n, failed)
                self.kernels.obs_logpdf(theta, consts, X, times[k], Y[k], lp)
                logw = logw + lp
                logw[np.isnan(logw)] = -math.inf
                top = logw.max()
                if top == -math.inf:
                    increments[k] = -math.inf
                    increments[k + 1:] = math.nan
                    ess[k:] = 0.0
                    unique[k:] = 0
                    return -math.inf, k
                w = np.exp(logw - top)
                total = w.sum()
                log_total = top + math.log(total)
                increments[k] = log_total - log_total_prev
                loglik += increments[k]
                w /= total
                ess[k] = 1.0 / float(np.dot(w, w))
                if trace:
                    history[k] = X
                if ess[k] < ess_threshold * n:
                    self._resample(scheme, w, rng, idx)
                    unique[k] = len(np.unique(idx))
                    state = resample_state(self.simulator, state, idx)
                    logw = np.zeros(n)
                    log_total_prev = math.log(n)
                    if trace:
                        ancestors[k] = idx
                else:
                    unique[k] = n
                    log_total_prev = log_total
                    if trace:
                        ancestors[k] = np.arange(n)
                t_prev = times[k]
            if trace and T > 0:  # one final particle by its weight, then its ancestors back
                u = rng.random()
                b = min(int(np.searchsorted(np.cumsum(w), u, side="right")), n - 1)
                for k in range(T - 1, -1, -1):
                    trajectory[k] = history[k, b]
                    if k > 0:
                        b = ancestors[k - 1, b]
            return loglik, -1
        finally:
            close_state(self.simulator, state)

    def simulate_run(self, theta, consts, t0, times, rng, states, obs):
        """One simulated path: outputs and observations at ``times``; see ``filters.simulate_run``."""
        def body():
            X = np.empty((1, self._n_states))
            named, state = self._start(theta, consts, 1, rng)
            failed = 0
            try:
                t_prev = t0
                for k in range(times.shape[0]):
                    if times[k] > t_prev:
                        state = self.simulator.advance(state, float(t_prev), float(times[k]), named, rng)
                    failed += self._rows(state, 1, X)
                    self._count(k + 1, failed)
                    states[k] = X[0]
                    self.kernels.obs_sample(theta, consts, X, times[k], rng, obs[k:k + 1])
                    t_prev = times[k]
            finally:
                close_state(self.simulator, state)
        self._run(body)


def simulator_counts(loops) -> dict:
    """The diagnostics ``simulator_steps`` and ``simulator_failures`` of the calling thread's last run of
    ``loops``; none for the loops of a model without an external simulator."""
    counts = getattr(loops, "last_run_counts", None)
    if counts is None:
        return {}
    steps, failed = counts()
    return {"simulator_steps": steps, "simulator_failures": failed}


def link_simulator(compiled, simulator) -> SimulatorLoops:
    """The loops of ``compiled`` (a model with ``simulator NAME``) around ``simulator``."""
    return SimulatorLoops(compiled.ir, compiled.kernels, simulator)
