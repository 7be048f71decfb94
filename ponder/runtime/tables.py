"""CSV tables: numeric columns read from a file, with where each cell came from (for located errors).

A table is a CSV with a header row; empty cells, ``NA``, ``NaN`` and ``.``
are missing values (NaN). Data files (:mod:`ponder.runtime.data`) and input
files (:mod:`ponder.runtime.inputs`) are read with :func:`read_table`.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ponder.lang import messages
from ponder.lang.errors import Source, Span

MISSING = {"", "na", "nan", ".", "n/a", "null"}


@dataclass(frozen=True)
class Table:
    """A CSV read into named float columns, with where each cell came from."""

    source: Source
    header: tuple[str, ...]
    header_line: int
    columns: dict[str, np.ndarray]
    lines: tuple[int, ...]  # file line of each data row


def read_table(path: Path, display: str | None = None) -> Table:
    """Read a numeric CSV file; non-numeric cells are ModelErrors located in the file."""
    text = path.read_text(encoding="utf-8-sig")
    source = Source(display or str(path), text)
    rows = list(csv.reader(io.StringIO(text)))
    line_numbers = _row_lines(text)
    rows_with_lines = [(r, line_numbers[i]) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not rows_with_lines:
        raise messages.data_file_empty(Span.point(1, 1), source)
    header_row, header_line = rows_with_lines[0]
    header = tuple(c.strip() for c in header_row)
    seen = {}
    for j, name in enumerate(header):
        col = _column_of(text, header_line, j)
        if not name:
            raise messages.data_column_without_name(Span.point(header_line, col), source)
        if name in seen:
            raise messages.data_column_twice(name, Span.point(header_line, col, len(name)), source)
        seen[name] = j
    data = rows_with_lines[1:]
    if not data:
        raise messages.data_without_rows(Span.point(header_line, 1), source)
    values = np.full((len(data), len(header)), np.nan)
    for i, (row, line) in enumerate(data):
        if len(row) != len(header):
            raise messages.data_row_length(len(row), len(header), Span.point(line, 1, len(source.line(line))), source)
        for j, cell in enumerate(row):
            token = cell.strip()
            if token.lower() in MISSING:
                continue
            try:
                value = float(token)
            except ValueError:
                col = _column_of(text, line, j)
                raise messages.data_not_a_number(token, header[j], Span.point(line, col, len(cell)), source) from None
            if math.isinf(value):
                col = _column_of(text, line, j)
                raise messages.data_not_finite(token, Span.point(line, col, len(cell)), source)
            values[i, j] = value
    columns = {name: values[:, j] for j, name in enumerate(header)}
    return Table(source, header, header_line, columns, tuple(line for _, line in data))


def _row_lines(text: str) -> list[int]:
    """The 1-based line where each CSV record starts (quoted newlines are rare)."""
    reader = csv.reader(io.StringIO(text))
    lines, last = [], 0
    for _ in reader:
        lines.append(last + 1)
        last = reader.line_num
    return lines


def _column_of(text: str, line: int, field_index: int) -> int:
    """1-based character column where field ``field_index`` starts on ``line``."""
    raw = text.splitlines()[line - 1] if line - 1 < len(text.splitlines()) else ""
    col, field_no, quoted = 1, 0, False
    for k, ch in enumerate(raw):
        if field_no == field_index:
            return k + 1 + (len(raw[k:]) - len(raw[k:].lstrip()))
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            field_no += 1
    return col if field_index == 0 else len(raw) + 1
