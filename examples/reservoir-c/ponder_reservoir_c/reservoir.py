"""The coupling of reservoir.c to ponder: two small callbacks and a :class:`ponder.sandbox.Sandbox` around the binary.

Every particle has a folder made from ``template/`` (``state.txt``: the
storage at t0, 20 mm). For the interval ``[t0, t1]`` the sandbox calls
:func:`write_inputs`, runs ``bin/reservoir`` in the folder, and calls
:func:`read_outputs`. The program rewrites ``state.txt`` in place, so it is
listed in ``modified`` (each particle gets its own copy).

The stochastic twin, ``bin/reservoir_noisy`` (reservoir_noisy.c), is coupled
the same way by :func:`write_noisy_inputs` and :func:`noisy_reservoir`: it
takes sub-steps of :data:`DT` days with a log-normal rainfall error in each,
drawn from the seed the sandbox gives every particle and interval.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ponder.sandbox import sandbox

HERE = Path(__file__).resolve().parent
BINARY = HERE / "bin" / "reservoir"
NOISY_BINARY = HERE / "bin" / "reservoir_noisy"
#: the noisy program's sub-step, days: the ``step(dt = 0.25)`` of examples/reservoir/reservoir.model
DT = 0.25
TEMPLATE = HERE / "template"


def write_inputs(folder: Path, theta, consts, t0: float, t1: float, seed: int) -> None:
    """``params.txt``: ``k t0 t1 rain``, the rain rate held over the interval being ``rain(t0)`` (the model's
    ``input rain (interpolate = constant)``: a data row's rain lasts until the next row). ``repr`` writes each float
    so that C reads it back exactly. The program is deterministic: ``seed`` is not needed."""
    rain = consts["rain"](t0)
    (folder / "params.txt").write_text(f"{theta['k']!r} {t0!r} {t1!r} {rain!r}\n")


def read_outputs(folder: Path) -> dict[str, float]:
    """``{"Q": discharge at t1}`` from ``discharge.txt``."""
    return {"Q": float((folder / "discharge.txt").read_text())}


def write_noisy_inputs(folder: Path, theta, consts, t0: float, t1: float, seed: int) -> None:
    """``params.txt``: ``k sigma_rain dt n seed``, then the rain rate of each of the ``n`` sub-steps of
    ``[t0, t1]``, ``rain(t0 + i dt)`` (a sub-step sees the rain at its start, as a ``step`` block's ``t``).
    ``seed`` (drawn by the sandbox from the run's generator) makes the program's rainfall errors."""
    n = round((t1 - t0) / DT)
    if abs(n * DT - (t1 - t0)) > 1e-9 * max(1.0, abs(t1)):
        raise ValueError(f"[{t0}, {t1}] is not a whole number of sub-steps of {DT} days")
    rain = np.atleast_1d(consts["rain"](t0 + DT * np.arange(n)))
    lines = [f"{theta['k']!r} {theta['sigma_rain']!r} {DT!r} {n} {int(seed)}"] + [repr(float(r)) for r in rain]
    (folder / "params.txt").write_text("\n".join(lines) + "\n")


def linear_reservoir(**options):
    """The sandbox around the compiled program (``options`` go to :func:`ponder.sandbox.sandbox`, e.g. ``jobs``)."""
    if not BINARY.exists():
        raise FileNotFoundError(f"{BINARY} is not built yet: run `python -m ponder_reservoir_c.build` "
                                "(it compiles reservoir.c with the system C compiler)")
    settings = {"deterministic": True, "modified": ["state.txt"], "parameters": ["k", "rain"], "timeout": 10.0,
                **options}
    return sandbox(TEMPLATE, [str(BINARY)], write_inputs, read_outputs, outputs=["Q"], **settings)


def noisy_reservoir(**options):
    """The sandbox around the compiled stochastic program (``options`` go to :func:`ponder.sandbox.sandbox`)."""
    if not NOISY_BINARY.exists():
        raise FileNotFoundError(f"{NOISY_BINARY} is not built yet: run `python -m ponder_reservoir_c.build` "
                                "(it compiles reservoir.c and reservoir_noisy.c with the system C compiler)")
    settings = {"deterministic": False, "modified": ["state.txt"], "parameters": ["k", "sigma_rain", "rain"],
                "timeout": 10.0, **options}
    return sandbox(TEMPLATE, [str(NOISY_BINARY)], write_noisy_inputs, read_outputs, outputs=["Q"], **settings)
