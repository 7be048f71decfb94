"""Seeds: every random stream is derived from the run seed by a fixed key.

``stream(seed, *key)`` gives the ``SeedSequence`` for, say, (iteration,
walker, replicate), so the numbers a task draws depend on what the task is,
never on which worker runs it or when it finishes.
"""

from __future__ import annotations

import threading

import numpy as np

_PCG64_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645
_MASK_128 = (1 << 128) - 1
_this_thread = threading.local()


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


def pcg64_state(seq: np.random.SeedSequence) -> dict:
    """The state ``numpy.random.PCG64(seq)`` starts in, computed without building one.

    numpy seeds PCG64 with four words of ``seq.generate_state``: a 128-bit
    initial state and a 128-bit stream, then (O'Neill's ``srandom``) sets
    inc = 2 stream + 1, steps, adds the initial state and steps again; a
    step is state <- state * multiplier + inc (mod 2^128).
    """
    a, b, c, d = (int(v) for v in seq.generate_state(4, np.uint64))
    initial, stream_id = (a << 64) | b, (c << 64) | d
    inc = ((stream_id << 1) | 1) & _MASK_128
    state = (inc + initial) & _MASK_128  # the first step from state 0 gives inc
    state = (state * _PCG64_MULTIPLIER + inc) & _MASK_128
    return {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}


def thread_generator(seed) -> np.random.Generator:
    """The numbers of ``generator(seed)`` from this thread's one reusable generator, reset to that state.

    For estimators that draw inside one call of a compiled kernel: Numba
    unboxes a generator it has seen before without the ctypes set-up a new
    one needs, which cost more than a small particle filter's arithmetic.
    The generator is reset by the next call in the same thread, so do not
    keep it.
    """
    rng = getattr(_this_thread, "rng", None)
    if rng is None:
        rng = _this_thread.rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = pcg64_state(seed_sequence(seed))
    return rng
