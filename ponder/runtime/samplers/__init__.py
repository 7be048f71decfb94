"""Samplers: ``ensemble`` (affine-invariant ensemble), ``mh`` (random-walk Metropolis, PMMH).

The sampler contract (what a plugin's sampler implements)::

    class MySampler:
        name = "my"
        def __init__(self, target, chains=None, **options): ...
        def start(self) -> dict[str, np.ndarray]: ...          # the initial state
        def step(self, state, iteration, warmup) -> dict: ...  # one iteration
        def end_warmup(self, state) -> dict: ...               # optional

The state is a dict of plain arrays whose first axis is the chain (or
walker). It must hold ``z`` (positions in unconstrained space), the target's
evaluation arrays for the current positions (``Target.evaluate`` returns
them: ``logpost``, ``loglik``, ``logprior``, ``particles``, ``ess_min``,
``pointwise``, ``trajectory``) and ``accept`` (the acceptance probability of
the last move); the runtime records these every iteration and checkpoints
the whole dict, so anything else a sampler needs between iterations (scales,
covariances, counters) goes in the dict too. Random numbers come from
``ponder.runtime.seeds.generator(target.seed, 0, iteration, ...)``.
"""

from ponder.runtime.samplers.base import accept_rows
from ponder.runtime.samplers.ensemble import EnsembleSampler
from ponder.runtime.samplers.metropolis import MetropolisSampler

__all__ = ["EnsembleSampler", "MetropolisSampler", "accept_rows"]
