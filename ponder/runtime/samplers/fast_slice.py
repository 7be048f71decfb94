"""Parallel tempering's exploration for exact likelihoods, in one Numba call per scan.

Used when every dataset's estimator is the ``direct`` likelihood and the
prior's support does not depend on other parameters (so the unconstrained
transform has fixed bounds). The batched Python explorer of
:mod:`ponder.runtime.samplers.tempering` then spent more time orchestrating
evaluations than evaluating microsecond likelihoods. This one runs in the
calling process on every executor, so its results are the same for any
executor and number of workers (its uniforms are drawn up front from the
scan's random stream).
"""

from __future__ import annotations

import math

import numpy as np

from ponder.runtime.kernels import link
from ponder.runtime.likelihoods.direct import DirectLikelihood

REAL, LOWER, UPPER, INTERVAL = 0, 1, 2, 3


class FastSlice:
    """Slice sweeps of all tempered replicas at once (see ``templates/explorers.py``)."""

    def __init__(self, target, width: float, max_steps: int = 30):
        lower, upper = target._fixed_bounds
        lo_f, hi_f = np.isfinite(lower), np.isfinite(upper)
        self.kinds = np.where(lo_f & hi_f, INTERVAL, np.where(lo_f, LOWER, np.where(hi_f, UPPER, REAL))).astype(np.int64)
        self.lower, self.upper = np.asarray(lower, float), np.asarray(upper, float)
        estimators = target.estimators
        self.consts = np.ascontiguousarray([e.consts for e in estimators], dtype=float)
        self.times = np.ascontiguousarray(np.concatenate([e.dataset.times for e in estimators]))
        self.values = np.ascontiguousarray(np.concatenate([e.dataset.values for e in estimators]))
        self.offsets = np.cumsum([0] + [e.dataset.n_times for e in estimators]).astype(np.int64)
        self.t0 = float(target.model.ir.t0)
        self.n_states = target.model.ir.n_states
        self.width, self.max_steps = float(width), int(max_steps)
        self.loops = link(target.model.compiled, "explorers")
        self.rng = np.random.default_rng(0)  # the kernels' signature needs one; direct models never draw
        self.evaluations = 0

    @staticmethod
    def applies(target) -> bool:
        return target._fixed_bounds is not None and all(type(e) is DirectLikelihood for e in target.estimators)

    def sweep(self, state: dict, rows: np.ndarray, current: np.ndarray, betas: np.ndarray,
              rng: np.random.Generator) -> None:
        """One slice sweep of every row in ``rows`` (tempered densities ``current``), written into ``state``."""
        m, d = len(rows), self.kinds.shape[0]
        uniforms = rng.random((m, d, 2 + self.max_steps))
        Z = np.ascontiguousarray(state["z"][rows])
        before = Z.copy()
        F = np.ascontiguousarray(current, dtype=float)
        loglik = state["loglik"][rows].copy()
        logprior = state["logprior"][rows].copy()
        logj = np.zeros(m)
        pointwise = np.ascontiguousarray(state["pointwise"][rows])
        states = np.ascontiguousarray(state["trajectory"][rows])
        self.evaluations += self.loops.slice_scan(
            Z, F, np.ascontiguousarray(betas, dtype=float), uniforms, self.width, self.max_steps, self.kinds,
            self.lower, self.upper, self.consts, self.t0, self.times, self.values, self.offsets, self.rng,
            loglik, logprior, logj, pointwise, states,
        )
        moved = np.any(Z != before, axis=1)
        take = rows[moved]
        state["z"][take] = Z[moved]
        state["loglik"][take] = loglik[moved]
        state["logprior"][take] = logprior[moved]
        state["logpost"][take] = loglik[moved] + logprior[moved] + logj[moved]
        state["pointwise"][take] = pointwise[moved]
        state["trajectory"][take] = states[moved]

    def evaluate(self, z: np.ndarray) -> dict:
        """Target.evaluate's result for one row, computed in-process (the beta = 0 replica's prior draws)."""
        T = len(self.times)
        pointwise = np.full((T, self.values.shape[1]), math.nan)
        states = np.full((T, self.n_states), math.nan)
        out = np.empty(3)
        theta = np.empty(len(z))
        self.loops.evaluate(np.ascontiguousarray(z, dtype=float), 1.0, self.kinds, self.lower, self.upper,
                            self.consts, self.t0, self.times, self.values, self.offsets, theta, pointwise, states,
                            self.rng, out)
        self.evaluations += 1
        loglik, logprior, logj = out
        ok = math.isfinite(logprior) and math.isfinite(logj)
        return {
            "logpost": loglik + logprior + logj if ok else -math.inf,
            "loglik": loglik,
            "logprior": logprior,
            "pointwise": pointwise.sum(axis=1),
            "trajectory": states,
        }
