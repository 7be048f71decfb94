"""Inputs (covariates, forcing): time series a model reads at any ``t``.

``input rain`` reads column ``rain`` of each dataset's CSV (at the data's
times); ``input rain from "rain.csv"`` reads it from a CSV with its own
``time`` column; a ``replicate "f.csv" { input rain from "rain_f.csv" }``
gives one dataset its own file. Between the times of a series the kernels
interpolate (``linear``, the default, or ``constant``: the last value at or
before ``t``; see ``input_at`` in :mod:`ponder.lang.codegen`).

An input must have no missing values, strictly increasing times, and cover
every time the model needs: from ``t0`` to the last observation (or the last
simulated time). Each mistake is a :class:`~ponder.lang.errors.ModelError`
located in the file.

The kernels find an input's table in the constants vector they already
take (one per dataset): after the model's constants come one slot per input
holding where its table starts, then the tables, each ``n``, the ``n``
times, the ``n`` values (:func:`pack`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ponder.lang import ir, messages
from ponder.lang.errors import Span
from ponder.runtime.tables import _column_of, path_kind, read_table


@dataclass(frozen=True)
class InputSeries:
    """One input's values at its times, and where they were read (for messages)."""

    name: str
    times: np.ndarray
    values: np.ndarray
    where: str  # the file, for messages
    first_line: int = 0  # file lines of the first and last rows (0: unknown)
    last_line: int = 0


def from_table(name: str, table, times: np.ndarray, where: str) -> InputSeries:
    """Column ``name`` of a data table read as an input at ``times`` (every value present)."""
    values = table.columns[name]
    col = table.header.index(name)
    for i, v in enumerate(values):
        if np.isnan(v):
            raise messages.input_value_missing(name, Span.point(table.lines[i], _column(table, i, col)), table.source)
    return InputSeries(name, np.asarray(times, float).copy(), values.copy(), where, table.lines[0], table.lines[-1])


def read_file(name: str, path: Path, display: str, span: Span | None, model_source) -> InputSeries:
    """Read input ``name`` from its own CSV file (columns ``time`` and ``name``)."""
    if path_kind(path, display, span, model_source) != "file":
        raise messages.input_file_not_found(name, display, span, model_source)
    table = read_table(path, display, span, model_source)
    for column in ("time", name):
        if column not in table.columns:
            raise messages.input_file_without_column(
                column, Span.point(table.header_line, 1, len(table.source.line(table.header_line))), table.header,
                table.source)
    times = table.columns["time"]
    tcol = table.header.index("time")
    for i, t in enumerate(times):
        if np.isnan(t):
            raise messages.data_time_missing(Span.point(table.lines[i], _column(table, i, tcol)), table.source)
        if i and t <= times[i - 1]:
            raise messages.data_times_not_increasing(
                t, times[i - 1], Span.point(table.lines[i], _column(table, i, tcol), len(str(t))), table.source)
    return from_table(name, table, times, display)


def check_covers(series: InputSeries, t0: float, t_end: float, span: Span | None, model_source) -> None:
    """The series must cover ``[t0, t_end]``: the model reads the input at every time in it."""
    if series.times[0] > t0 or series.times[-1] < t_end:
        raise messages.input_does_not_cover(series.name, series.where, float(series.times[0]),
                                            float(series.times[-1]), t0, t_end, span, model_source)


def load_for_dataset(model: ir.ModelIR, table, times: np.ndarray, where: str, base_dir: Path,
                     own_files: tuple[tuple[str, str], ...] = (), cache: dict | None = None) -> dict:
    """Every input of ``model`` for one dataset: its own files, the model's files, or the data's columns."""
    out = {}
    own = dict(own_files)
    for inp in model.inputs:
        span = model.spans.get("input:" + inp.name)
        path = own.get(inp.name, inp.path)
        if path is None:
            if table is None or inp.name not in table.columns:
                raise messages.input_column_missing(inp.name, where, table.header if table is not None else (),
                                                    span, model.source)
            series = from_table(inp.name, table, times, where)
        else:
            full = Path(path) if Path(path).is_absolute() else base_dir / path
            key = (inp.name, str(full))
            if cache is not None and key in cache:
                series = cache[key]
            else:
                series = read_file(inp.name, full, _display(full), span, model.source)
                if cache is not None:
                    cache[key] = series
        if len(times):
            check_covers(series, model.t0, float(times[-1]), span, model.source)
        out[inp.name] = series
    return out


def values_at(series: InputSeries, times: np.ndarray, interpolate: str) -> np.ndarray:
    """The input at ``times`` as the kernels read it: linear interpolation, or the last value at or before t."""
    times = np.asarray(times, dtype=float)
    if interpolate == "linear":
        return np.interp(times, series.times, series.values)
    index = np.clip(np.searchsorted(series.times, times, side="right") - 1, 0, len(series.times) - 1)
    return series.values[index]


def pack(model: ir.ModelIR, inputs: dict) -> np.ndarray:
    """The inputs' part of the constants vector: one start slot per input, then each table."""
    base = model.n_const_slots
    pointers = np.empty(len(model.inputs))
    tables = []
    start = base + len(model.inputs)
    for inp in model.inputs:
        series = inputs[inp.name]
        pointers[inp.index] = start
        table = np.concatenate([[float(len(series.times))], series.times, series.values])
        tables.append(table)
        start += len(table)
    return np.concatenate([pointers] + tables) if tables else pointers


def _column(table, row: int, field_index: int) -> int:
    return _column_of(table.source.text, table.lines[row], field_index)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
