"""Simulators made from plain per-particle functions: :func:`per_particle`.

    import ponder

    def init(theta, consts, rng):                 # one particle at t0
        return {"position": theta["origin"]}

    def step(x, t0, t1, theta, rng):              # one particle from t0 to t1
        for _ in range(int(round(t1 - t0))):
            x["position"] += 1 if rng.random() < (1 + theta["drift"]) / 2 else -1
        return x

    ponder.register_simulator("walk", ponder.per_particle(step, init, outputs=("position",)))

A per-particle simulator's state is a list of the particles' objects; its
outputs read ``x[name]`` (``x`` a dict) or ``getattr(x, name)``; resampling
deep-copies a particle picked more than once, so ``step`` may change ``x``
in place. It costs a Python call per particle and interval; write the
simulator over all particles at once (the contract of
:mod:`ponder.runtime.simulators.contract`) where that is easy.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ponder.runtime.simulators.contract import SimulatorCapabilities


class PerParticle:
    """The simulator contract over a per-particle ``step(x, t0, t1, theta, rng) -> x``."""

    def __init__(self, step: Callable, init: Callable, outputs: Sequence[str], deterministic: bool = False,
                 thread_safe: bool = False, parameters: Sequence[str] | None = None):
        self.step = step
        self.init_one = init
        self.output_names = tuple(outputs)
        self.capabilities = SimulatorCapabilities(deterministic=deterministic, thread_safe=thread_safe,
                                                  vectorised=False)
        if parameters is not None:
            self.parameters = tuple(parameters)

    def init(self, theta, consts, n, rng):
        return [self.init_one(theta, consts, rng) for _ in range(n)]

    def advance(self, state, t0, t1, theta, rng):
        return [self.step(x, t0, t1, theta, rng) for x in state]

    def outputs(self, state):
        return {name: np.array([_field(x, name) for x in state], dtype=float) for name in self.output_names}


def _field(x, name: str):
    return x[name] if isinstance(x, dict) else getattr(x, name)


def per_particle(step: Callable, init: Callable, outputs: Sequence[str], deterministic: bool = False,
                 thread_safe: bool = False, parameters: Sequence[str] | None = None) -> PerParticle:
    """A simulator from ``step(x, t0, t1, theta, rng) -> x`` and ``init(theta, consts, rng) -> x`` for one particle.

    ``outputs`` names the fields of ``x`` the model may declare with
    ``output NAME``; ``deterministic``: ``step`` draws no random numbers
    (exact likelihood); ``thread_safe``: ``step`` may run in several
    threads at once; ``parameters``: the names of ``theta``/``consts`` it
    reads (checked against the model).
    """
    return PerParticle(step, init, outputs, deterministic, thread_safe, parameters)
