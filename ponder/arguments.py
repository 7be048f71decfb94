"""Command arguments shared by the command line and the REPL: NAME=VALUE lists and time grids.

Limits (checked here, before any work, so that a mistake is a message and
not minutes of allocation or a MemoryError): at most :data:`MAX_TIMES`
simulated times (``--times``) and :data:`MAX_PARTICLES` particles (``--particles``
and the particle filter's ``particles`` option: every particle array holds
N x states x 8 bytes, so 2**24 particles of 8 states take 1 GiB per array).
"""

from __future__ import annotations

import math

from ponder.lang import messages
from ponder.runtime.settings import MAX_PARTICLES, check_particles  # noqa: F401 (the run's limits, re-exported)

#: the most times ``--times START:STOP:STEP`` may make (10**7 float64 times are 80 MB, per column)
MAX_TIMES = 10**7


def parse_params(items: list[str] | None, flag: str = "--param") -> dict[str, list[float] | float]:
    """``["a=1", "v=1,2,3"]`` -> ``{"a": 1.0, "v": [1.0, 2.0, 3.0]}``; ``flag`` names the flag in messages."""
    out: dict[str, list[float] | float] = {}
    for item in items or []:
        if "=" not in item:
            if flag == "--param":
                raise messages.param_needs_name_value(item)
            raise messages.flag_needs_name_value(flag, item)
        key, _, raw = item.partition("=")
        key = key.strip()
        try:
            values = [float(v) for v in raw.split(",")]
        except ValueError:
            if flag == "--param":
                raise messages.param_not_a_number(raw, item) from None
            raise messages.flag_value_not_a_number(flag, raw, item) from None
        out[key] = values[0] if len(values) == 1 else values
    return out


def parse_times(spec: str):
    """``START:STOP:STEP`` (STOP included when on the grid) or ``t1,t2,...``, as a float array."""
    import numpy as np

    try:
        if ":" in spec:
            parts = [float(p) for p in spec.split(":")]
            if len(parts) == 2:
                parts.append(1.0)
            start, stop, step = parts
            if not all(math.isfinite(p) for p in parts) or step <= 0 or stop < start:
                raise ValueError
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count > MAX_TIMES:
                raise messages.too_many_times(spec, float(count), MAX_TIMES)
            n = int(np.floor((stop - start) / step + 1e-9)) + 1
            return np.round(start + step * np.arange(n), 12)
        return np.array([float(p) for p in spec.split(",")])
    except ValueError:
        raise messages.bad_time_grid(spec) from None


def format_number(value: float) -> str:
    """CSV text of a value: integers without `.0`, NaN as an empty cell, else round-trip floats."""
    if value != value:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def parse_sampler_options(items: list[str] | None) -> dict:
    """``["a=2.5", "reset=20"]`` -> ``{"a": 2.5, "reset": 20}`` (numbers stay numbers)."""
    out = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise messages.option_needs_name_value(item)
        if not raw.strip():
            raise messages.option_without_value(item)
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw
        out[key.strip()] = value
    return out


def checkpoint_seconds(text: str) -> float:
    """``--checkpoint-every SECONDS``: a finite number above 0 (argparse's ``type``)."""
    try:
        seconds = float(text)
    except ValueError:
        raise messages.checkpoint_every_invalid(text) from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise messages.checkpoint_every_invalid(text)
    return seconds
