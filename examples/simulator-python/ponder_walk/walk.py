"""SPUX's random walk as two external simulators: one over all particles at once, one per particle.

The walker starts at ``origin`` and each time unit steps ``+stepsize`` with
probability ``(1 + drift) / 2``, else ``-stepsize`` -- the dynamics of
``examples/randomwalk/randomwalk.model``, here as the Python code a user
might already have.
"""

from __future__ import annotations

import numpy as np

import ponder


class RandomWalk:
    """All particles at once: the state is the array of positions."""

    output_names = ("position",)
    parameters = ("origin", "drift", "stepsize")
    capabilities = ponder.SimulatorCapabilities(deterministic=False, thread_safe=True, vectorised=True)

    def init(self, theta, consts, n, rng):
        return {"position": np.full(n, float(theta["origin"])), "stepsize": float(consts["stepsize"])}

    def advance(self, state, t0, t1, theta, rng):
        x, h = state["position"], state["stepsize"]
        for _ in range(int(round(t1 - t0))):
            u = rng.uniform(-1.0, 1.0, x.shape[0])
            x = x + np.where(u < theta["drift"], h, -h)
        state["position"] = x
        return state

    def outputs(self, state):
        return {"position": state["position"]}


def init_walker(theta, consts, rng):
    """One walker at t0."""
    return {"position": float(theta["origin"]), "stepsize": float(consts["stepsize"])}


def step_walker(x, t0, t1, theta, rng):
    """One walker from t0 to t1, one time unit at a time (changed in place)."""
    for _ in range(int(round(t1 - t0))):
        x["position"] += x["stepsize"] if rng.uniform(-1.0, 1.0) < theta["drift"] else -x["stepsize"]
    return x


per_particle_walk = ponder.per_particle(step_walker, init_walker, outputs=("position",),
                                        parameters=("origin", "drift", "stepsize"))
