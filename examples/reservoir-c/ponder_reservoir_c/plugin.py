"""Registers ``simulator reservoir_c.linear``: the compiled reservoir.c in a sandbox (a folder per particle)."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_simulators(registry):
    from ponder_reservoir_c.reservoir import linear_reservoir

    registry.add("reservoir_c.linear", linear_reservoir(),
                 "a linear reservoir in C (reservoir.c), run in a folder per particle by ponder.sandbox")
