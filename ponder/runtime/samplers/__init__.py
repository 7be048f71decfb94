"""Samplers: ``ensemble`` (affine-invariant ensemble), ``mh`` (random-walk Metropolis, PMMH),
``pt`` (non-reversible parallel tempering with the evidence).

The sampler contract (what a plugin's sampler implements)::

    class MySampler:
        name = "my"
        def __init__(self, target, chains=None, **options): ...
        def start(self) -> dict[str, np.ndarray]: ...          # the initial state
        def step(self, state, iteration, warmup) -> dict: ...  # one iteration
        def end_warmup(self, state) -> dict: ...               # optional
        def step_block(self, state, first, count, warmup) -> dict: ...  # optional

``step_block`` runs up to ``count`` iterations from ``first`` in one call
(in place on ``state``; the runtime then records, copies and checkpoints
once per block, so a block should take a fraction of a second) and returns,
for each recorded key, an array (iterations run, recorded rows, ...). Its
results must not depend on how the iterations are cut into blocks.

The state is a dict of plain arrays whose first axis is the chain (or
walker). It must hold ``z`` (positions in unconstrained space), the target's
evaluation arrays for the current positions (``Target.evaluate`` returns
them: ``logpost``, ``loglik``, ``logprior``, ``particles``, ``ess_min``,
``pointwise``, ``trajectory``) and ``accept`` (the acceptance probability of
the last move); the runtime records these every iteration and checkpoints
the whole dict, so anything else a sampler needs between iterations (scales,
covariances, counters) goes in the dict too. Optional: ``recorded_rows``
(the rows recorded as chains; ``pt`` records only its b = 1 replica),
``run_attrs(state) -> dict`` (extra result attributes, e.g. the evidence).
Random numbers come from
``ponder.runtime.seeds.generator(target.seed, 0, iteration, ...)`` (a
generator used across iterations, like ``pt``'s per round, keeps its state
in the state dict).
"""

from ponder.runtime.samplers.base import accept_rows
from ponder.runtime.samplers.ensemble import EnsembleSampler
from ponder.runtime.samplers.metropolis import MetropolisSampler
from ponder.runtime.samplers.tempering import ParallelTempering

__all__ = ["EnsembleSampler", "MetropolisSampler", "ParallelTempering", "accept_rows"]
