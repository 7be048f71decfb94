"""CSV tables: numeric columns read from a file, with where each cell came from (for located errors).

A table is a CSV with a header row; empty cells, ``NA``, ``NaN`` and ``.``
are missing values (NaN). Data files (:mod:`ponder.runtime.data`) and input
files (:mod:`ponder.runtime.inputs`) are read with :func:`read_table`.
"""

from __future__ import annotations

import csv
import errno
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ponder.lang import messages
from ponder.lang.errors import Source, Span

MISSING = {"", "na", "nan", ".", "n/a", "null"}

#: The most an error message quotes of a file: a cell or a column name, and a line around the culprit.
#: A data path can name any file (``data "/etc/passwd"``), and messages reach terminals and logs.
TOKEN_CHARS, LINE_CHARS = 32, 100


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
    except (OSError, ValueError) as err:
        raise _refused(name, err, span, source) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        first = raw.decode("utf-16", errors="replace").lstrip("\ufeff")
        raise messages.file_is_utf16(name, *_excerpt(name, first, Span.point(1, 1)))
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        where, bad = _position(raw, err.start)
        line_text = raw[raw.rfind(b"\n", 0, err.start) + 1:].split(b"\n", 1)[0].decode("utf-8", errors="replace")
        excerpt = _excerpt(name, line_text, where)
        if err.reason == "unexpected end of data":
            raise messages.file_ends_inside_character(name, *excerpt) from None
        raise messages.file_not_utf8(name, bad, *excerpt) from None
    if "\0" in text:
        where, _ = _position(raw, raw.index(b"\0"))
        line_text = text.split("\n")[where.line - 1].replace("\0", "\ufffd")
        raise messages.file_has_nul_byte(name, *_excerpt(name, line_text, where))
    return text


def _position(raw: bytes, offset: int) -> tuple[Span, int]:
    """The span of the byte at ``offset`` of ``raw`` (valid UTF-8 before it), and that byte."""
    start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8")) + 1
    return Span.point(line, column), raw[offset]


def _excerpt(name: str, line_text: str, where: Span) -> tuple[Span, Source]:
    """:func:`excerpt_at` of ``line_text``, the line of ``where`` in the file ``name``."""
    return excerpt_at(where, Source(name, "\n" * (where.line - 1) + line_text.split("\n", 1)[0]))


def shown(text: str, limit: int = TOKEN_CHARS) -> str:
    """``text`` as a message may quote it: each character that is not printable (a terminal escape, a bidi
    control, NUL) as U+FFFD, a tab as a space, and at most ``limit`` characters, cut with an ellipsis."""
    safe = "".join(c if c.isprintable() else " " if c == "\t" else "\ufffd" for c in text)
    return safe if len(safe) <= limit else safe[:limit - 1] + "\u2026"


def shown_names(names, limit: int = 12) -> list[str]:
    """Column names as a hint lists them: the first ``limit``, each :func:`shown`, then an ellipsis if there are more."""
    names = list(names)
    return [shown(n) for n in names[:limit]] + (["\u2026"] if len(names) > limit else [])


def excerpt_at(span: Span, source: Source) -> tuple[Span, Source]:
    """What an error at ``span`` in a data file's ``source`` shows: the span's line alone, printable, and of it
    only :data:`LINE_CHARS` characters around the culprit (blanks before them keep the caret and the column).

    The span keeps its line and column (the ``-->`` location is exact); its end is cut to what is shown.
    """
    line = shown(source.line(span.line), 10**9)
    start = 0 if len(line) <= LINE_CHARS else max(0, min(span.column - 1 - LINE_CHARS // 3, len(line) - LINE_CHARS))
    end = min(len(line), start + LINE_CHARS)
    text = (" " * (start - 1) + "\u2026" if start else "") + line[start:end] + ("\u2026" if end < len(line) else "")
    last = span.end_column if span.end_line == span.line else end + 1
    cut = Span(span.line, span.column, span.line, max(min(last, end + 1), span.column + 1))
    return cut, Source(source.name, "\n" * (span.line - 1) + text)


def path_kind(path: Path, display: str | None = None, span: Span | None = None,
              source: Source | None = None) -> str | None:
    """``"file"``, ``"folder"`` or None (nothing there) at ``path``. A name the system refuses (too long, a NUL
    character in it) is a ModelError naming it, at ``span`` in ``source`` when given."""
    try:
        if path.is_file():
            return "file"
        return "folder" if path.is_dir() else None
    except (OSError, ValueError) as err:
        raise _refused(display or str(path), err, span, source) from None


def _refused(name: str, err: Exception, span: Span | None, source: Source | None):
    """The error for a file the system would not open or look at (``err``: its OSError, or the ValueError of a
    name with a NUL character)."""
    if isinstance(err, ValueError):
        return messages.file_unreadable(shown(name, LINE_CHARS), "its name holds a NUL character", errno.EINVAL,
                                        span, source)
    reason = (getattr(err, "strerror", None) or type(err).__name__).lower()
    return messages.file_unreadable(shown(name, LINE_CHARS), reason, getattr(err, "errno", None) or 0, span, source)


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
        raise messages.data_file_empty(*excerpt_at(Span.point(1, 1), source))
    header_row, header_line = rows_with_lines[0]
    header = tuple(c.strip() for c in header_row)
    seen = {}
    for j, name in enumerate(header):
        col = _column_of(text, header_line, j)
        if not name:
            raise messages.data_column_without_name(*excerpt_at(Span.point(header_line, col), source))
        if name in seen:
            raise messages.data_column_twice(shown(name), *excerpt_at(Span.point(header_line, col, len(name)), source))
        seen[name] = j
    data = rows_with_lines[1:]
    if not data:
        raise messages.data_without_rows(*excerpt_at(Span.point(header_line, 1), source))
    values = np.full((len(data), len(header)), np.nan)
    for i, (row, line) in enumerate(data):
        if len(row) != len(header):
            raise messages.data_row_length(len(row), len(header),
                                           *excerpt_at(Span.point(line, 1, len(source.line(line))), source))
        for j, cell in enumerate(row):
            token = cell.strip()
            if token.lower() in MISSING:
                continue
            try:
                value = float(token)
            except ValueError:
                col = _column_of(text, line, j)
                raise messages.data_not_a_number(shown(token), shown(header[j]),
                                                 *excerpt_at(Span.point(line, col, len(cell)), source)) from None
            if math.isinf(value):
                col = _column_of(text, line, j)
                raise messages.data_not_finite(shown(token), *excerpt_at(Span.point(line, col, len(cell)), source))
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
