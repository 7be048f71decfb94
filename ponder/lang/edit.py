"""Model text as a list of declarations that can be replaced one at a time.

The REPL edits a model by typing declarations: ``param drift ~ Normal(0, 1)``
replaces the declaration of ``drift`` if there is one, else it is inserted
after the last declaration of its kind. :func:`split` cuts model text into
:class:`Piece` objects (each declaration with the comment lines above it),
:func:`merge` applies typed declarations, :func:`join` gives the text back.
Comments and layout of untouched declarations are kept verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass

from ponder.lang import syntax as ast
from ponder.lang.parser import parse

# Where each kind of declaration goes in a tidy model file.
KIND_ORDER = ("model", "param", "const", "state", "t0", "dynamics", "observe", "data", "infer")


@dataclass(frozen=True)
class Piece:
    """One top-level declaration: its identity, the comment lines above it and its own text."""

    key: tuple[str, ...]
    kind: str
    preamble: str
    body: str

    @property
    def text(self) -> str:
        return self.preamble + self.body


def declaration_key(decl) -> tuple[tuple[str, ...], str]:
    """(key, kind): declarations with equal keys replace each other."""
    if isinstance(decl, ast.ModelDecl):
        return ("model",), "model"
    if isinstance(decl, (ast.ParamDecl, ast.ConstDecl, ast.StateDecl)):
        kind = {ast.ParamDecl: "param", ast.ConstDecl: "const", ast.StateDecl: "state"}[type(decl)]
        return ("name", decl.name), kind  # a name means one thing, whatever its kind
    if isinstance(decl, ast.T0Decl):
        return ("t0",), "t0"
    if isinstance(decl, (ast.StepBlock, ast.OdeBlock)):
        return ("dynamics",), "dynamics"
    if isinstance(decl, ast.ObserveDecl):
        return ("observe", decl.column), "observe"
    if isinstance(decl, (ast.DataDecl, ast.ReplicateDecl)):
        return ("data", decl.path), "data"
    if isinstance(decl, ast.InferBlock):
        return ("infer",), "infer"
    raise TypeError(f"unknown declaration {type(decl).__name__}")


def split(text: str, name: str = "<input>") -> tuple[list[Piece], str]:
    """(pieces, trailer): the declarations of ``text`` and what follows the last one.

    Raises :class:`ModelError` for a syntax error.
    """
    program = parse(text, name)
    starts = _line_starts(text)
    decls = program.declarations
    begins = [starts[d.span.line - 1] + d.span.column - 1 for d in decls]
    pieces, cursor = [], 0
    for i, decl in enumerate(decls):
        line_end = text.find("\n", starts[decl.span.end_line - 1])
        end = len(text) if line_end < 0 else line_end + 1  # the whole last line, a trailing comment too
        if i + 1 < len(decls) and begins[i + 1] < end:  # the next declaration shares the line
            end = begins[i + 1]
        line_start = starts[decl.span.line - 1]
        head = line_start if line_start >= cursor else begins[i]
        key, kind = declaration_key(decl)
        pieces.append(Piece(key, kind, text[cursor:head], _with_newline(text[head:end])))
        cursor = end
    return pieces, text[cursor:]


def merge(pieces: list[Piece], new: list[Piece]) -> list[Piece]:
    """``pieces`` with each of ``new`` replacing the piece of the same key, or inserted by kind."""
    out = list(pieces)
    for piece in new:
        same = [i for i, p in enumerate(out) if p.key == piece.key]
        if same:
            old = out[same[0]]
            out[same[0]] = Piece(piece.key, piece.kind, piece.preamble or old.preamble, piece.body)
            continue
        rank = KIND_ORDER.index(piece.kind)
        after = [i for i, p in enumerate(out) if KIND_ORDER.index(p.kind) <= rank]
        out.insert(after[-1] + 1 if after else 0, piece)
    return out


def remove(pieces: list[Piece], name: str) -> tuple[list[Piece], list[Piece]]:
    """(kept, removed): drop the declaration of ``name`` (a parameter, constant, state or observed column)."""
    removed = [p for p in pieces if p.key in (("name", name), ("observe", name))]
    return [p for p in pieces if p not in removed], removed


def join(pieces: list[Piece], trailer: str = "") -> str:
    return "".join(p.text for p in pieces) + trailer


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _with_newline(chunk: str) -> str:
    return chunk if chunk.endswith("\n") else chunk + "\n"
