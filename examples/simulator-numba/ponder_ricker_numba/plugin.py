"""Registers the Ricker simulator: ``simulator ricker_numba.ricker``."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_simulators(registry):
    from ponder_ricker_numba.ricker import RickerNumba

    registry.add("ricker_numba.ricker", RickerNumba(), "pomp's stochastic Ricker map (Numba kernels)")
