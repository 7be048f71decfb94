"""Command arguments shared by the command line and the REPL: NAME=VALUE lists and time grids."""

from __future__ import annotations

from ponder.lang import messages


def parse_params(items: list[str] | None) -> dict[str, list[float] | float]:
    """``["a=1", "v=1,2,3"]`` -> ``{"a": 1.0, "v": [1.0, 2.0, 3.0]}``."""
    out: dict[str, list[float] | float] = {}
    for item in items or []:
        if "=" not in item:
            raise messages.param_needs_name_value(item)
        key, _, raw = item.partition("=")
        key = key.strip()
        try:
            values = [float(v) for v in raw.split(",")]
        except ValueError:
            raise messages.param_not_a_number(raw, item) from None
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
            if step <= 0 or stop < start:
                raise ValueError
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
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw
        out[key.strip()] = value
    return out
