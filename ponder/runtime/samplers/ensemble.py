"""The affine-invariant ensemble sampler (Goodman and Weare 2010; emcee).

W walkers are split into two halves. Each half moves in turn, every walker
of it against walkers of the other half (already updated), so the W/2
likelihood evaluations of a half run in parallel on the executor.

* stretch move: z' = z_j + Z (z_k - z_j) with Z ~ g(Z) ~ 1/sqrt(Z) on
  [1/a, a] (``a = 2``), accepted with probability min(1, Z^(d-1) p(z')/p(z_k));
* differential-evolution move (``de`` = fraction of iterations that use it):
  z' = z_k + gamma (z_i - z_j) + 1e-5 e, gamma = 2.38 / sqrt(2 d), e ~ N(0, I)
  (ter Braak 2006), accepted with probability min(1, p(z')/p(z_k)).

Walkers started from a wide prior can be stranded far from the mode, where
no stretch through another walker lands anywhere better. During warm-up
(``prune``, on by default) every 25 iterations, walkers whose log density is
more than ``max(10, 2 d)`` below the ensemble's median are moved onto a
randomly chosen walker from the better half, plus a small jitter, and
re-evaluated (Hou et al. 2012 prune the same way). Warm-up draws are
discarded, so this does not touch the sampling phase.

With a particle-filter likelihood a walker can be stuck on a lucky
over-estimate. SPUX's remedy, ``reset = R``: after R consecutive rejections
the walker's likelihood is estimated afresh at its current position (the
new estimate replaces the old). This changes the target slightly (the chain
is no longer exactly pseudo-marginal), which is why it is off by default.
"""

from __future__ import annotations

import math

import numpy as np

from ponder.lang import messages
from ponder.plugins.options import Option
from ponder.runtime.samplers.base import accept_rows, log_accept
from ponder.runtime.seeds import generator
from ponder.runtime.evaluation import EVAL_KEYS


class EnsembleSampler:
    name = "ensemble"
    options = (
        Option("a", float, 2.0, "stretch scale (above 1)", minimum=1.0, above=1.0),
        Option("de", float, 0.0, "fraction of differential-evolution moves", minimum=0.0, maximum=1.0),
        Option("reset", int, 0, "re-estimate a walker's likelihood after this many rejections in a row (0: off)",
               minimum=0),
        Option("prune", int, 1, "move stranded walkers during warm-up (1) or not (0)", minimum=0, maximum=1),
    )

    def __init__(self, target, chains: int | None = None, a: float = 2.0, de: float = 0.0, reset: int = 0,
                 prune: int = 1, **options):
        if options:
            raise messages.unknown_option(f"the `{self.name}` sampler", next(iter(options)),
                                          (o.name for o in self.options), own_check=True)
        self.target = target
        d = target.dim
        walkers = chains or max(16, 4 * d)
        if walkers < 4 or walkers % 2:
            raise messages.ensemble_walkers(walkers)
        if not a > 1:
            raise messages.stretch_scale_too_small(a)
        if not 0 <= de <= 1:
            raise messages.de_fraction_out_of_range(de)
        self.walkers = walkers
        self.a = float(a)
        self.de = float(de)
        self.reset = int(reset)
        self.prune = bool(prune)

    def start(self) -> dict:
        state = self.target.initial(self.walkers)
        state["accept"] = np.ones(self.walkers)
        state["stuck"] = np.zeros(self.walkers, dtype=np.int64)
        state["resets"] = np.zeros(self.walkers, dtype=np.int64)
        state["pruned"] = np.zeros(1)  # walkers moved by the last pruning
        state["pruned_total"] = np.zeros(2)  # walkers moved by all prunings, and the number of prunings
        return state

    def step(self, state: dict, iteration: int, warmup: bool) -> dict:
        w, d = self.walkers, self.target.dim
        half = w // 2
        groups = (np.arange(half), np.arange(half, w))
        for g in (0, 1):
            active, others = groups[g], groups[1 - g]
            rng = generator(self.target.seed, 0, iteration, g)
            z = state["z"]
            use_de = self.de > 0 and rng.random() < self.de
            if use_de:
                pairs = np.array([rng.choice(others, size=2, replace=False) for _ in active])
                gamma = 2.38 / math.sqrt(2 * d)
                proposal = z[active] + gamma * (z[pairs[:, 0]] - z[pairs[:, 1]]) + 1e-5 * rng.standard_normal((half, d))
                log_jump = np.zeros(half)
            else:
                partners = others[rng.integers(0, len(others), size=half)]
                stretch = ((self.a - 1.0) * rng.random(half) + 1.0) ** 2 / self.a
                proposal = z[partners] + stretch[:, None] * (z[active] - z[partners])
                log_jump = (d - 1) * np.log(stretch)
            evaluation = self.target.evaluate(proposal, [(iteration + 1, int(k), 0) for k in active], adapt=warmup)
            accepted, prob = log_accept(log_jump + evaluation["logpost"] - state["logpost"][active], rng)
            accept_rows(state, active, proposal, evaluation, accepted)
            state["accept"][active] = prob
            state["stuck"][active] = np.where(accepted, 0, state["stuck"][active] + 1)
        if self.reset > 0:
            self._reset_stuck(state, iteration)
        if warmup and self.prune and iteration % 25 == 24:
            self._prune(state, iteration)
        return state

    def _prune(self, state: dict, iteration: int) -> None:
        logpost = state["logpost"]
        finite = np.isfinite(logpost)
        median = np.median(np.where(finite, logpost, -np.inf))
        stranded = np.flatnonzero(~finite | (logpost < median - max(10.0, 2.0 * self.target.dim)))
        good = np.flatnonzero(finite & (logpost >= median))
        moved = len(stranded) if len(good) else 0
        state["pruned"][0] = moved
        state["pruned_total"] += (moved, 1)
        if not len(stranded) or not len(good):
            return
        rng = generator(self.target.seed, 0, iteration, 2)
        spread = np.std(state["z"][good], axis=0) + 1e-12
        sources = good[rng.integers(0, len(good), size=len(stranded))]
        proposal = state["z"][sources] + 1e-2 * spread * rng.standard_normal((len(stranded), self.target.dim))
        evaluation = self.target.evaluate(proposal, [(iteration + 1, int(k), 2) for k in stranded])
        accept_rows(state, stranded, proposal, evaluation, np.isfinite(evaluation["logpost"]))

    def _reset_stuck(self, state: dict, iteration: int) -> None:
        stuck = np.flatnonzero(state["stuck"] >= self.reset)
        if not len(stuck):
            return
        evaluation = self.target.evaluate(state["z"][stuck], [(iteration + 1, int(k), 1) for k in stuck])
        ok = np.isfinite(evaluation["logpost"])
        for key in EVAL_KEYS:
            state[key][stuck[ok]] = evaluation[key][ok]
        state["stuck"][stuck] = 0
        state["resets"][stuck[ok]] += 1

    def warmup_settled(self, state: dict) -> bool:
        """No walker was stranded at the last pruning (or pruning is off)."""
        return not self.prune or state["pruned"][0] == 0

    def run_attrs(self, state: dict) -> dict:
        """The pruning counts, for the run's warnings: walkers moved at the last pruning and at all of them."""
        return {"pruned_last": int(state["pruned"][0]), "pruned_walkers": int(state["pruned_total"][0]),
                "prunings": int(state["pruned_total"][1])}

    def end_warmup(self, state: dict) -> dict:
        return state
