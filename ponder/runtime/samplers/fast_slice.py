"""Parallel tempering's scans for exact likelihoods, a block of them in one Numba call.

Used when every dataset's likelihood is exact and offers a compiled
log-likelihood (``Target.compiled_loglik``, the likelihood contract) and the
prior's support does not depend on other parameters (so the unconstrained
transform ``Target.transform`` has fixed bounds). The batched Python explorer of
:mod:`ponder.runtime.samplers.tempering` then spent more time orchestrating
evaluations than evaluating microsecond likelihoods, and then its
per-scan bookkeeping (prior draw, swaps, stepping stone, records) did. This
one runs whole scans in the calling process on every executor, drawing from
the round's generator in scan order, so its results are the same for any
executor, number of workers and cut of the round into blocks.
"""

from __future__ import annotations

import numpy as np

from ponder.runtime.kernels import link

# the state arrays a scan changes; the other evaluation arrays (particles, ESS, variance) are the same in every
# row for an exact likelihood, so swaps and records can leave them be
MOVING_KEYS = ("z", "logpost", "loglik", "logprior", "pointwise", "trajectory")


class FastSlice:
    """Whole PT scans with slice exploration (see ``templates/explorers.py``)."""

    moving_keys = MOVING_KEYS

    def __init__(self, target, width: float, max_steps: int = 30):
        transform = target.transform
        self.kinds, self.lower, self.upper = transform.kinds, transform.lower, transform.upper
        estimators = target.estimators
        self.consts = np.ascontiguousarray([e.consts for e in estimators], dtype=float)
        self.times = np.ascontiguousarray(np.concatenate([e.dataset.times for e in estimators]))
        self.values = np.ascontiguousarray(np.concatenate([e.dataset.values for e in estimators]))
        self.offsets = np.cumsum([0] + [e.dataset.n_times for e in estimators]).astype(np.int64)
        self.t0 = float(target.model.ir.t0)
        self.n_states = target.model.ir.n_states
        self.width, self.max_steps = float(width), int(max_steps)
        self.loops = link(target.model.compiled, "explorers", loglik=target.compiled_loglik)
        self.rng = np.random.default_rng(0)  # the kernels' signature needs one; direct models never draw
        self.evaluations = 0
        self.target = target

    @staticmethod
    def applies(target) -> bool:
        return target.transform is not None and target.exact and target.compiled_loglik is not None

    def scans(self, state: dict, first: int, count: int, round_start: int, round_length: int, blocks: int,
              rng: np.random.Generator) -> dict:
        """Scans ``first`` ... ``first + count - 1`` (one round's) on ``state``, in place.

        Returns the b = 1 replica's ``z``, ``logpost``, ``loglik``,
        ``logprior``, ``pointwise`` and ``trajectory`` after each scan, each
        of shape (count, 1, ...).
        """
        records = {k: np.empty((count, 1) + state[k].shape[1:]) for k in MOVING_KEYS}
        done = self.loops.pt_scans(
            first, count, round_start, round_length, blocks, rng, state["pt_betas"], self.width, self.max_steps,
            self.kinds, self.lower, self.upper, self.consts, self.t0, self.times, self.values, self.offsets, self.rng,
            state["z"], state["logpost"], state["loglik"], state["logprior"], state["pointwise"],
            state["trajectory"], state["pt_index"], state["pt_reject"], state["pt_swaps"], state["pt_visited_top"],
            state["pt_round_trips"], state["pt_ss_sum"], state["pt_ss_count"],
            *(records[k] for k in MOVING_KEYS),
        )
        self.evaluations += done
        self.target.evaluations += done  # the run's count (checkpointed), as Target.evaluate counts its rows
        return records
