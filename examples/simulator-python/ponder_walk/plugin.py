"""Registers the walk simulators: ``simulator walk.vectorised`` and ``simulator walk.per_particle``."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_simulators(registry):
    from ponder_walk.walk import RandomWalk, per_particle_walk

    registry.add("walk.vectorised", RandomWalk(), "SPUX's random walk, all particles at once (NumPy)")
    registry.add("walk.per_particle", per_particle_walk, "SPUX's random walk, one Python call per particle")
