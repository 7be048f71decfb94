"""The inference-method contract: whole-run algorithms that are not iteration-by-iteration MCMC.

Neural simulation-based inference, ABC-SMC, iterated filtering and tempered
SMC run in rounds of their own, not in the sampler loop. A method plugin
registers a factory with ``registry.add(name, factory, description)`` in
``ponder_add_methods``; :func:`ponder.runtime.methods.run_method` builds and
runs it:

``factory(problem, executor, seed, **options)``
    ``problem`` is a :class:`ponder.runtime.problem.Problem` (compiled model,
    datasets, ``consts(dataset)``, the kernels); ``executor`` maps picklable
    tasks over workers (:class:`ponder.runtime.executors.Executor`);
    ``seed`` is the run's seed. ``options`` come converted to the types the
    factory declares in ``options = (Option(...), ...)``.
``run(rounds: Rounds, progress) -> MethodResult``
    the whole run. Between rounds the method saves its state, a dict of
    plain arrays, with ``rounds.save(r, state)``; at the start it asks
    ``rounds.resume()`` for ``(r, state)`` of the last saved round (or None)
    and continues from there, so an interrupted run resumes by round.
    ``progress(done, total, text)`` reports progress (may be called often).

Random numbers: round ``r``'s come from
``ponder.runtime.seeds.generator(seed, 4, r, ...)`` (namespace 4 is the
methods'), so results never depend on the executor.

The :class:`MethodResult` holds draws of the flat parameter vector
``theta`` with shape (chains, draws, n_params) -- weighted draws are
resampled to equal weights by the method, or carry ``log_weights`` --
sample statistics of the same leading shape, and attributes (plain values,
e.g. ``log_evidence``). The runtime turns it into ponder's results (the same
groups and attributes as a sampler's run), so ``ponder summary``, ``plot``
and ``report`` read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import numpy as np


@dataclass
class MethodResult:
    """What a method returns: draws of theta (chains, draws, n_params), their statistics, attributes."""

    theta: np.ndarray
    sample_stats: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)
    log_weights: np.ndarray | None = None


@runtime_checkable
class Rounds(Protocol):
    """Round checkpoints of one method run."""

    def save(self, round_index: int, state: dict) -> None:
        """Keep ``state`` (plain arrays) as the state after round ``round_index``."""

    def resume(self) -> tuple[int, dict] | None:
        """The last saved (round, state), or None for a fresh run."""


@runtime_checkable
class InferenceMethod(Protocol):
    """A whole-run inference algorithm (see the module docstring)."""

    def run(self, rounds: Rounds, progress: Callable[[int, int, str], None]) -> MethodResult:
        """Run to the end (or from the last saved round) and return the draws."""
