"""How long a run warms up and samples: fixed counts, or until the warm-up settles and the draws converge.

A run's :class:`RunPlan` starts from the settings:

* ``warmup`` given: exactly that many warm-up iterations; not given: the
  warm-up runs in blocks of :data:`WARMUP_BLOCK` iterations, at least
  :data:`MIN_WARMUP`, and ends after the first block at whose end it has
  *settled* (:func:`warmup_settled`): the particle numbers did not change
  during the block, the sampler (through its optional ``warmup_settled``)
  has nothing left to repair, and the log posterior over the last half of
  the warm-up has split R-hat at most :data:`WARMUP_RHAT` across chains (the
  chains have reached the same region). At most half of ``max_time`` goes
  to warm-up.
  Its first :data:`LOCATE` iterations hold adaptive particle numbers at
  their minimum, so the chains climb to the posterior at the cheapest N;
  they adapt from then on. A warm-up of given length holds them for its
  first half, at most :data:`LOCATE` iterations.
* ``samples`` given: exactly that many draws per chain. Not given: a first
  block of :data:`FIRST_SAMPLES`, then, while some parameter or derived
  quantity misses ``target_rhat`` or ``target_ess``
  (:mod:`ponder.runtime.convergence`), more iterations -- as many as the
  diagnostics say are missing (ESS grows with the draws, R-hat - 1 shrinks
  with them), at least a quarter and at most three times the draws so far
  -- until converged or ``max_time`` is spent.

Samplers with a ``plan`` (parallel tempering's rounds of 2^r scans) keep
their own warm-up; extending their sampling asks their plan for more, which
turns the finished sampling round into warm-up.

Every decision but the time budget depends only on the draws, so a run
resumed from a checkpoint makes the same decisions, and a run continued
with ``--resume --samples N`` draws what a run asking for N would have.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ponder.runtime.convergence import diagnose, rhat, unconverged
from ponder.runtime.samplers.contract import plan_of

MIN_WARMUP = 500
WARMUP_BLOCK = 250
#: an adaptive warm-up's first iterations keep the particle numbers at their minimum: far from the posterior an
#: estimate's variance is huge at any N, and adapting there drives N to its maximum while the chains still climb
LOCATE = WARMUP_BLOCK
WARMUP_RHAT = 1.1
FIRST_SAMPLES = 1000
#: a run stopped by its time budget keeps at least this many draws per chain
MIN_SAMPLES = 100
#: the fraction of ``max_time`` the adaptive warm-up may take
WARMUP_SHARE = 0.5


@dataclass
class RunPlan:
    warmup: int
    samples: int
    warmup_settled: bool
    until_converged: bool
    #: why sampling ended: "samples" (as asked), "converged", "max_time"; "" while running
    stopped: str = ""
    #: the adaptive warm-up was ended by the time budget before it settled
    warmup_cut: bool = False
    #: the warm-up's length is adaptive (no ``warmup`` given, no sampler plan)
    adaptive_warmup: bool = False
    #: the warm-up has been ended (the sampler's ``end_warmup``, the likelihoods locked): once per run
    warmup_ended: bool = False
    #: (warmup, samples) before an extension that turned the draws into warm-up (parallel tempering's next round);
    #: what the run keeps if its time runs out before that round's end
    fallback: list | None = None

    @property
    def total(self) -> int:
        return self.warmup + self.samples

    def holds_particles(self, iteration: int) -> bool:
        """Whether ``iteration`` is in the warm-up's first part, where adaptive particle numbers stay at their minimum.

        That part is :data:`LOCATE` iterations of an adaptive warm-up, and at
        most half of a warm-up of given length (``--warmup 300``: 150).
        """
        locate = LOCATE if self.adaptive_warmup else min(LOCATE, self.warmup // 2)
        return iteration < locate

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "RunPlan":
        return cls(**{k: values[k] for k in ("warmup", "samples", "warmup_settled", "until_converged", "stopped")},
                   warmup_cut=bool(values.get("warmup_cut", False)),
                   adaptive_warmup=bool(values.get("adaptive_warmup", False)),
                   warmup_ended=bool(values.get("warmup_ended", False)), fallback=values.get("fallback"))


def initial_plan(sampler, samples: int | None, warmup: int | None) -> RunPlan:
    """The plan for the settings' ``samples`` and ``warmup`` (None: adaptive)."""
    if getattr(sampler, "plan", None) is not None:  # the sampler decides its warm-up
        planned_samples, planned_warmup = plan_of(sampler, samples or FIRST_SAMPLES, warmup)
        return RunPlan(planned_warmup, planned_samples, True, samples is None)
    if warmup is None:
        return RunPlan(MIN_WARMUP, samples or FIRST_SAMPLES, False, samples is None, adaptive_warmup=True)
    return RunPlan(int(warmup), samples or FIRST_SAMPLES, True, samples is None)


def warmup_settled(records: dict, plan: RunPlan, rows_before: list, rows_now: list, sampler, state) -> bool:
    """Whether the warm-up so far (``plan.warmup`` iterations in ``records``) may end (see the module docstring)."""
    if rows_before != rows_now:  # particle numbers still moving
        return False
    settled = getattr(sampler, "warmup_settled", None)
    if settled is not None and not settled(state):
        return False
    half = records["logpost"][plan.warmup // 2:plan.warmup]  # (iterations, chains)
    if half.ndim != 2 or half.shape[1] < 2:
        return True
    value = rhat(half.T)
    return value == value and value <= WARMUP_RHAT


def convergence_of(model, target, records: dict, plan: RunPlan, thin: int) -> list:
    """Diagnostics of every parameter and derived quantity over the sampling draws recorded so far."""
    from ponder.runtime.results import _param_arrays, derived_arrays

    z = np.swapaxes(records["z"][plan.warmup:plan.total:thin], 0, 1)  # (chain, draw, dim)
    theta, _ = target.to_theta(z.reshape(-1, z.shape[-1]))
    theta = theta.reshape(z.shape)
    variables = _param_arrays(model, theta)
    # a derived quantity that is not finite in some draw (log of a negative, 0/0) has no R-hat: it cannot stop the run
    variables.update({k: v for k, v in derived_arrays(model, theta).items() if np.all(np.isfinite(v))})
    return diagnose(variables)


def more_samples(diagnostics: list, samples: int, target_rhat: float, target_ess: float) -> int:
    """How many draws per chain to ask for next, for ``samples`` draws so far that miss the targets."""
    factor = 1.0
    for d in unconverged(diagnostics, target_rhat, target_ess):
        for ess in (d.ess_bulk, d.ess_tail):
            factor = max(factor, target_ess / ess if ess > 0 else 3.0)
        if d.rhat == d.rhat and d.rhat > target_rhat:
            factor = max(factor, (d.rhat - 1.0) / (target_rhat - 1.0))
        elif d.rhat != d.rhat:
            factor = 3.0
    factor = min(max(1.1 * factor, 1.25), 3.0)
    return int(math.ceil(samples * factor))
