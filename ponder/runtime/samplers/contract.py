"""The sampler contract: what a sampler plugin implements and what the runtime guarantees.

A sampler plugin registers a factory (usually the class) with
``registry.add(name, factory, description)`` in ``ponder_add_samplers``;
``factory(target, chains=None, **options)`` builds the sampler for one run.
``target`` is a :class:`ponder.runtime.target.Target`: ``dim``, ``names``,
``seed``, ``initial(rows)``, ``evaluate(z, keys, adapt=False)``,
``empty(rows)``, and what fast explorers need -- ``exact`` (every
likelihood is exact), ``transform`` (the fixed unconstrained transform, or
None when prior bounds depend on other parameters), ``compiled_loglik``,
``estimators``, ``model``. ``options`` come coerced to the types the
factory declares in ``options = (Option(...), ...)``
(:mod:`ponder.plugins.options`).

Required: ``start() -> state`` and ``step(state, iteration, warmup) ->
state``. The **state** is a dict of plain arrays whose first axis is the
chain (or walker or replica). It holds ``z`` (positions in unconstrained
space), the target's evaluation arrays for them (:data:`EVAL_KEYS`, as
``Target.evaluate`` returns them) and ``accept`` (the acceptance
probability of the last move); the runtime records :func:`record_keys`
every iteration and checkpoints the whole dict, so anything else a sampler
needs between iterations (scales, covariances, counters, a packed random
generator) goes in the dict too. A run resumed from a checkpoint must then
continue bit-identically.

Random numbers: iteration ``i``'s come from
``ponder.runtime.seeds.generator(target.seed, 0, i, ...)`` (namespace 0 is
the sampler's); ``evaluate``'s keys name the likelihood's numbers (namespace
1), so draws never depend on the executor.

Optional members, all part of the contract:

``step_block(state, first, count, warmup) -> records``
    up to ``count`` iterations from ``first`` in one call, in place on
    ``state``; returns, for each recorded key, an array (iterations run,
    recorded rows, ...). Results must not depend on how iterations are cut
    into blocks.
``end_warmup(state) -> state``
    called once, before the first sampling iteration (the runtime has
    locked the likelihoods' adaptations just before).
``warmup_settled(state) -> bool``
    asked at the end of each block of an adaptive warm-up (no ``--warmup``):
    False while the sampler is still repairing its start (``ensemble``:
    walkers were pruned at the last pruning; ``mh``: a stuck chain was moved
    at the last window's end); the warm-up then goes on
    (:mod:`ponder.runtime.plan`).
``plan(samples, warmup) -> (samples, warmup)``
    the iteration counts this sampler will run for the counts asked for
    (``warmup`` None: the sampler's default) -- parallel tempering rounds
    both to its rounds of 2^r scans, and to sample on after its last round
    the runtime asks its plan for more samples. Without it: ``samples``,
    and an adaptive warm-up unless ``warmup`` is given.
``recorded_rows``
    the state rows recorded as chains (default all; ``pt`` records its b = 1
    replica).
``progress_notes(state) -> list[str]``
    lines to print once under the progress bar (``pt``: one per finished
    round).
``run_attrs(state) -> dict``
    extra result attributes (``pt``: the evidence and its round table; ``ensemble``: its pruning counts).
``options``
    the declared options (class attribute).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ponder.runtime.evaluation import EVAL_KEYS

#: The state's arrays recorded every iteration.
RECORD_KEYS = ("z",) + EVAL_KEYS + ("accept",)
#: Recorded too when the sampler's state has them.
OPTIONAL_RECORD_KEYS = ("failed_estimates", "resets")


def record_keys(state: dict) -> tuple[str, ...]:
    """The state's arrays recorded every iteration."""
    return RECORD_KEYS + tuple(k for k in OPTIONAL_RECORD_KEYS if k in state)


@runtime_checkable
class Sampler(Protocol):
    """An iteration-by-iteration sampler (see the module docstring for the optional members)."""

    def start(self) -> dict:
        """The initial state."""

    def step(self, state: dict, iteration: int, warmup: bool) -> dict:
        """One iteration; returns the new state."""


def plan_of(sampler, samples: int, warmup: int | None) -> tuple[int, int]:
    """The (samples, warmup) a sampler will run for the counts asked for."""
    plan = getattr(sampler, "plan", None)
    if plan is not None:
        samples, warmup = plan(samples, warmup)
    return int(samples), int(samples if warmup is None else warmup)
