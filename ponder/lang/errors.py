"""User errors, rendered the way a good compiler renders them.

Every mistake in a ``.model`` file, a data file or a command-line argument
raises :class:`ModelError`. Its :meth:`ModelError.render` shows::

    error: undefined name `sigm`
      --> walk.model:12:37
       |
    12 | observe position ~ Normal(position, sigm)
       |                                     ^^^^
       = hint: did you mean `sigma`?
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Span:
    """A region of source text: 1-based line and column, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def point(line: int, column: int, width: int = 1) -> "Span":
        return Span(line, column, line, column + max(width, 1))


@dataclass(frozen=True)
class Source:
    """A named text that spans point into: a model file or a data file."""

    name: str
    text: str

    def line(self, number: int) -> str:
        lines = self.text.splitlines()
        if 1 <= number <= len(lines):
            return lines[number - 1]
        return ""


class ModelError(Exception):
    """A user mistake, located in a source text when the location is known."""

    severity = "error"

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        *,
        hint: str | None = None,
        source: Source | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.source = source

    def with_source(self, source: Source) -> "ModelError":
        """Attach ``source`` if the error has none yet; returns self."""
        if self.source is None:
            self.source = source
        return self

    @property
    def location(self) -> str:
        """``file:line:column``, or the file name alone, or ''."""
        name = self.source.name if self.source else "<input>"
        if self.span is None:
            return name if self.source else ""
        return f"{name}:{self.span.line}:{self.span.column}"

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        """The whole message as plain text (no colours)."""
        out = [f"{self.severity}: {_shorten(self.message)}"]
        if self.location:
            out.append(f"  --> {self.location}")
        if self.span is not None and self.source is not None:
            number = str(self.span.line)
            pad = " " * len(number)
            text = self.source.line(self.span.line).replace("\t", " ")
            start = max(self.span.column, 1)
            if self.span.end_line == self.span.line:
                width = max(self.span.end_column - start, 1)
            else:
                width = max(len(text) - start + 1, 1)
            text, start, width = _around(text, start, width)
            out.append(f"{pad} |")
            out.append(f"{number} | {text}")
            out.append(f"{pad} | " + " " * (start - 1) + "^" * width)
        if self.hint:
            pad = " " * (len(str(self.span.line)) if self.span else 1)
            out.append(f"{pad} = hint: {_shorten(self.hint)}")
        return "\n".join(out)


#: characters of a source line shown under an error; a longer line is cut around the culprit
LINE_SHOWN = 160


def _shorten(text: str) -> str:
    """A message or hint cut to a few lines' worth: one that quotes a name a million characters long is."""
    return text if len(text) <= 4 * LINE_SHOWN else text[:4 * LINE_SHOWN] + "..."


def _around(text: str, start: int, width: int) -> tuple[str, int, int]:
    """The part of a long source ``text`` around columns ``start`` to ``start + width`` (1-based), with ``...``
    where it is cut, and where the culprit is in that part: a generated line can be a million characters long."""
    if len(text) <= LINE_SHOWN:
        return text, start, width
    width = min(width, LINE_SHOWN // 2)
    first = max(min(start - 1 - LINE_SHOWN // 4, len(text) - LINE_SHOWN), 0)
    prefix = "..." if first > 0 else ""
    suffix = "..." if first + LINE_SHOWN < len(text) else ""
    return prefix + text[first:first + LINE_SHOWN] + suffix, start - first + len(prefix), width


class ModelWarning(ModelError):
    """Something that is probably a mistake but not certainly one (an unused name, a state never updated).

    ``ponder check``, ``run`` and the REPL print these; with ``--strict`` or
    ``PONDER_STRICT=1`` the first one is raised as an error instead.
    """

    severity = "warning"

    def as_error(self) -> ModelError:
        return ModelError(self.message, self.span, hint=self.hint, source=self.source)


def located(err: ModelError, span: Span | None, source: Source | None) -> ModelError:
    """The message and hint of ``err``, pointing at ``span`` in ``source`` instead.

    For a value checked away from where it was written (a setting of a
    model's ``infer { }`` block): the check's own message, placed at the value.
    """
    return ModelError(err.message, span, hint=err.hint, source=source)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean `x`?" hint for the closest candidate, or None."""
    candidates = sorted(set(candidates))
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return f"did you mean `{lowered[name.lower()]}`?"
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return None


def one_of(candidates: Iterable[str], limit: int = 12) -> str:
    """`a`, `b` or `c` -- for hints that list what is available."""
    items = [f"`{c}`" for c in sorted(candidates)]
    if len(items) > limit:
        items = items[:limit] + ["..."]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
