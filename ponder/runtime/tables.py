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


def read_text(path: Path, display: str | None = None, span: Span | None = None,
              source: Source | None = None) -> str:
    """The text of a UTF-8 file, a leading byte-order mark dropped: model, data and input files.

    A file that cannot be read is a ModelError naming it and the OS's reason,
    at ``span`` in ``source`` (the line that names the file) when given; a
    file that is not UTF-8 is a ModelError located at its first bad byte.
    """
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        reason = (err.strerror or type(err).__name__).lower()
        raise messages.file_unreadable(name, reason, err.errno or 0, span, source) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        shown = raw.decode("utf-16", errors="replace")
        raise messages.file_is_utf16(name, Span.point(1, 1), _excerpt(name, shown.lstrip("\ufeff"), 1))
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        where, bad = _position(raw, err.start)
        line_text = raw[raw.rfind(b"\n", 0, err.start) + 1:].split(b"\n", 1)[0].decode("utf-8", errors="replace")
        excerpt = _excerpt(name, line_text, where.line)
        if err.reason == "unexpected end of data":
            raise messages.file_ends_inside_character(name, where, excerpt) from None
        raise messages.file_not_utf8(name, bad, where, excerpt) from None
    if "\0" in text:
        where, _ = _position(raw, raw.index(b"\0"))
        line_text = text.split("\n")[where.line - 1].replace("\0", "\ufffd")
        raise messages.file_has_nul_byte(name, where, _excerpt(name, line_text, where.line))
    return text


def _position(raw: bytes, offset: int) -> tuple[Span, int]:
    """The span of the byte at ``offset`` of ``raw`` (valid UTF-8 before it), and that byte."""
    start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8")) + 1
    return Span.point(line, column), raw[offset]


def _excerpt(name: str, line_text: str, line: int) -> Source:
    """A Source holding only ``line_text`` (its first 120 characters, escaped), as line ``line``."""
    shown = "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in line_text.split("\n", 1)[0][:120])
    return Source(name, "\n" * (line - 1) + shown)


def read_table(path: Path, display: str | None = None, span: Span | None = None,
               source: Source | None = None) -> Table:
    """Read a numeric CSV file; non-numeric cells are ModelErrors located in the file.

    ``span`` in ``source``: the line naming the file, where an unreadable file is reported.
    """
    text = read_text(path, display, span, source)
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
