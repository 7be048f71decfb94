"""Seeds: every random stream is derived from the run seed by a fixed key.

``stream(seed, *key)`` gives the ``SeedSequence`` for, say, (iteration,
walker, replicate), so the numbers a task draws depend on what the task is,
never on which worker runs it or when it finishes.
"""

from __future__ import annotations

import numpy as np


def seed_sequence(seed) -> np.random.SeedSequence:
    """A SeedSequence from an int, a SeedSequence, a key path ``(seed, k1, k2, ...)``, or None.

    A key path is what the sampling runtime hands to likelihood estimators:
    it costs nothing to make, and only estimators that draw random numbers
    turn it into a SeedSequence (equal to ``stream(seed, k1, k2, ...)``).
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, tuple):
        return stream(*seed)
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"a seed must be a non-negative integer, not {seed!r}")
    return np.random.SeedSequence(seed)


def stream(seed, *key: int) -> np.random.SeedSequence:
    """The child of ``seed`` at ``key`` (a path of non-negative integers)."""
    if isinstance(seed, (int, np.integer)) and seed >= 0:
        # same as seed_sequence(seed) followed by the spawn key, one construction cheaper
        return np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key))
    root = seed_sequence(seed)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + tuple(int(k) for k in key))


def generator(seed, *key: int) -> np.random.Generator:
    """A ``numpy.random.Generator`` on ``stream(seed, *key)``."""
    return np.random.default_rng(stream(seed, *key) if key else seed_sequence(seed))
