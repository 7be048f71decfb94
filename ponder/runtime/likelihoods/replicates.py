"""Several datasets that share the parameters (``likelihood = replicates``).

One estimator per dataset (each with its replicate's constant overrides);
the log-likelihoods add up, since replicates are independent given the
parameters. Replicate r draws its random numbers from ``stream(seed, r)``
(:meth:`Replicates.replicate_seed`), whatever order the tasks run in. This
is the combiner of the likelihood contract: sampling runs use its
``order``, ``replicate_seed`` and ``combine`` too. Tasks are handed to the executor
longest-first (observation times x particles), so parallel workers finish
together; the sum is always taken in dataset order, so the result does not
depend on the executor either.
"""

from __future__ import annotations

import time

import numpy as np

from ponder.runtime.estimate import Estimate
from ponder.runtime.seeds import stream


class Replicates:
    """Sum of per-dataset estimators."""

    name = "replicates"
    options = ()

    def __init__(self, model, estimators: list):
        self.model = model
        self.estimators = list(estimators)

    def cost(self) -> float:
        return float(sum(e.cost() for e in self.estimators))

    def order(self) -> list[int]:
        """Replicate indices, most expensive first."""
        return sorted(range(len(self.estimators)), key=lambda r: -self.estimators[r].cost())

    def warm_up(self, theta) -> None:
        for e in self.estimators:
            if hasattr(e, "warm_up"):
                e.warm_up(theta)

    def lock(self, particles: int | None = None) -> None:
        for e in self.estimators:
            if hasattr(e, "lock"):
                e.lock(particles)

    @property
    def particles(self) -> int:
        return int(sum(getattr(e, "particles", 1) for e in self.estimators))

    @staticmethod
    def replicate_seed(seed, r: int):
        """The key of replicate ``r``'s random numbers under ``seed``: ``stream(seed, r)``.

        A key path ``(seed, k1, ...)`` stays a (cheaper) key path.
        """
        return seed + (r,) if isinstance(seed, tuple) else stream(seed, r)

    @staticmethod
    def combine(parts: list[Estimate]) -> Estimate:
        """One estimate from one per replicate (in replicate order): the log-likelihoods add up."""
        return Estimate(
            loglik=float(sum(p.loglik for p in parts)),
            pointwise=np.concatenate([p.pointwise for p in parts]),
            trajectory=None,
            diagnostics={
                "particles": int(sum(p.diagnostics.get("particles", 1) for p in parts)),
                "loglik_sd": float(np.sqrt(sum(p.diagnostics.get("loglik_sd", 0.0) ** 2 for p in parts))),
            },
            parts=tuple(parts),
        )

    def estimate(self, theta, seed=None, trajectory: bool = True, map=map) -> Estimate:
        """Estimate every replicate (through ``map``, e.g. an executor's) and add them up."""
        start = time.perf_counter()
        order = self.order()
        seeds = {r: self.replicate_seed(seed, r) for r in order}
        results = list(map(lambda r: self.estimators[r].estimate(theta, seeds[r], trajectory), order))
        parts = [None] * len(order)
        for r, est in zip(order, results):
            parts[r] = est
        combined = self.combine(parts)
        combined.diagnostics["seconds"] = time.perf_counter() - start
        return combined
