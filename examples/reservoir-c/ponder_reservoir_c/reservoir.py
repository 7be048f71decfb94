"""The coupling of reservoir.c to ponder: two small callbacks and a :class:`ponder.sandbox.Sandbox` around the binary.

Every particle has a folder made from ``template/`` (``state.txt``: the
storage at t0, 20 mm). For the interval ``[t0, t1]`` the sandbox calls
:func:`write_inputs`, runs ``bin/reservoir`` in the folder, and calls
:func:`read_outputs`. The program rewrites ``state.txt`` in place, so it is
listed in ``modified`` (each particle gets its own copy).
"""

from __future__ import annotations

from pathlib import Path

from ponder.sandbox import sandbox

HERE = Path(__file__).resolve().parent
BINARY = HERE / "bin" / "reservoir"
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


def linear_reservoir(**options):
    """The sandbox around the compiled program (``options`` go to :func:`ponder.sandbox.sandbox`, e.g. ``jobs``)."""
    if not BINARY.exists():
        raise FileNotFoundError(f"{BINARY} is not built yet: run `python -m ponder_reservoir_c.build` "
                                "(it compiles reservoir.c with the system C compiler)")
    settings = {"deterministic": True, "modified": ["state.txt"], "parameters": ["k", "rain"], "timeout": 10.0,
                **options}
    return sandbox(TEMPLATE, [str(BINARY)], write_inputs, read_outputs, outputs=["Q"], **settings)
