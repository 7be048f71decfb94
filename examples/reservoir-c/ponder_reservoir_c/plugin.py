"""Registers ``simulator reservoir_c.linear`` and ``reservoir_c.noisy``: the compiled reservoir.c and
reservoir_noisy.c, each in a sandbox (a folder per particle).

``$PONDER_RESERVOIR_C_JOBS`` (default 1) is how many particles' programs each sandbox runs at once (the
sandbox's ``jobs``; the results do not depend on it).
"""

import os

from ponder.plugins.hookspecs import hookimpl


def jobs() -> int:
    """``$PONDER_RESERVOIR_C_JOBS`` as a whole number >= 1 (1 when unset)."""
    text = os.environ.get("PONDER_RESERVOIR_C_JOBS", "").strip() or "1"
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"PONDER_RESERVOIR_C_JOBS must be a whole number >= 1, not {text!r}")
    return value


@hookimpl
def ponder_add_simulators(registry):
    from ponder_reservoir_c.reservoir import linear_reservoir, noisy_reservoir

    registry.add("reservoir_c.linear", linear_reservoir(jobs=jobs()),
                 "a linear reservoir in C (reservoir.c), run in a folder per particle by ponder.sandbox")
    registry.add("reservoir_c.noisy", noisy_reservoir(jobs=jobs()),
                 "the linear reservoir with a log-normal rainfall error per 6-hour sub-step, in C "
                 "(reservoir_noisy.c, stochastic: the particle filter), run by ponder.sandbox")
