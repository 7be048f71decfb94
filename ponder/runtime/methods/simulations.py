"""What simulation-based methods share: the data as features, and the features of datasets simulated on the executor.

A method compares simulated datasets with the data through *features*: the
model's ``summary`` statistics when it declares them (``features =
summaries``; simulated values are masked where the data have none, so a
statistic runs over the same times), or every observed value, the missing
ones left out (``raw``). Simulations run as tasks of :data:`CHUNK`
datasets on the executor (:func:`ponder.runtime.batch.simulate_batch` in
each), keyed by the method's seed and a key path, so they are the same on
every executor.
"""

from __future__ import annotations

import math

import numpy as np

from ponder.lang import messages
from ponder.runtime.seeds import generator

#: datasets per simulation task handed to the executor
CHUNK = 64

_WORKER_PROBLEMS: dict = {}


def simulate_chunk(task):
    """Worker entry point: the observations simulated from ``thetas``, datasets ``first``... of the batch."""
    from ponder.runtime.batch import simulate_batch
    from ponder.runtime.problem import load_problem

    spec, thetas, seed, first = task
    problem = _WORKER_PROBLEMS.get(spec)
    if problem is None:
        problem = _WORKER_PROBLEMS[spec] = load_problem(spec)
    return simulate_batch(problem, thetas, seed, threads=1, first=first)


class Simulations:
    """The data's features and simulated features of ``problem`` for the method ``method`` (see the module
    docstring); ``features``: ``summaries``, ``raw`` or ``auto`` (summaries when the model declares them)."""

    def __init__(self, problem, executor, seed: int, method: str, features: str = "auto"):
        if not problem.datasets:
            raise messages.no_observation_times()
        declared = bool(getattr(problem.ir, "summaries", ()))
        if features == "summaries" and not declared:
            raise messages.method_needs_summaries(method)
        self.problem, self.executor, self.seed = problem, executor, int(seed)
        self.kind = "summaries" if features == "summaries" or (features == "auto" and declared) else "raw"
        data = observed_array(problem)
        self.mask = np.isfinite(data).reshape(-1)
        self.observed = self.features(data)[0]
        _WORKER_PROBLEMS[problem.spec] = problem
        permit = getattr(executor, "permit_threads", None)
        if permit is not None:
            permit(True)  # the simulation kernels run on threads (a Python simulator locks if it must)

    def features(self, y: np.ndarray) -> np.ndarray:
        """(M, features) of simulated (M, R, T, C) observations."""
        if self.kind == "summaries":
            from ponder.runtime.summaries import like_data, summarise

            return summarise(self.problem, like_data(self.problem, y)).reshape(len(y), -1)
        return y.reshape(len(y), -1)[:, self.mask]

    def simulate(self, thetas: np.ndarray, *key: int) -> np.ndarray:
        """The features of one dataset simulated from each row of ``thetas``; ``key`` names the batch's numbers."""
        seed = int(generator(self.seed, 4, *key).integers(2**62))
        tasks = [(self.problem.spec, thetas[i:i + CHUNK], seed, i) for i in range(0, len(thetas), CHUNK)]
        parts = self.executor.map(simulate_chunk, tasks)
        return self.features(np.concatenate(parts)) if parts else np.empty((0, self.observed.size))


def observed_array(problem) -> np.ndarray:
    """The data as (1, R, T, C), NaN where a value is missing or a replicate has fewer times."""
    longest = max(ds.n_times for ds in problem.datasets)
    out = np.full((len(problem.datasets), longest, len(problem.ir.observed_columns)), math.nan)
    for r, ds in enumerate(problem.datasets):
        out[r, :ds.n_times] = ds.values
    return out[None]
