"""The typed syntax tree the parser builds: frozen dataclasses with spans.

The tree says what was written, nothing more; names are not resolved yet
(that is :mod:`ponder.lang.check`'s job).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ponder.lang.errors import Source, Span


def _hash_by_span(node) -> int:
    return hash((type(node), node.span))


def _node(cls):
    """A frozen dataclass hashed by its type and span alone.

    The check and lowering keep tables keyed by nodes; the hash dataclasses
    generate hashes the whole subtree each time, so in a chain of n terms
    every lookup cost O(n) (a sum of 1,900 products took minutes to check).
    Equal nodes have equal spans, so this hash agrees with equality.
    """
    cls = dataclass(frozen=True)(cls)
    cls.__hash__ = _hash_by_span
    return cls


# ------------------------------------------------------------ expressions
@_node
class Number:
    value: float
    text: str
    span: Span


@_node
class Name:
    name: str
    span: Span


@_node
class Index:
    """``name[index]``, or ``name[index, column]`` for a matrix."""

    name: str
    index: "Expr"
    span: Span
    name_span: Span
    column: "Expr | None" = None


@_node
class Vector:
    """A literal ``[a, b, c]``; a matrix is a vector of equally long vectors."""

    items: tuple["Expr", ...]
    span: Span


@_node
class Call:
    name: str
    args: tuple["Expr", ...]
    span: Span
    name_span: Span


@_node
class Unary:
    op: str  # "-", "+", "not"
    operand: "Expr"
    span: Span


@_node
class Binary:
    op: str  # + - * / ^ < <= > >= == != and or
    left: "Expr"
    right: "Expr"
    span: Span


@_node
class IfExpr:
    cond: "Expr"
    then: "Expr"
    orelse: "Expr"
    span: Span


Expr = Union[Number, Name, Index, Vector, Call, Unary, Binary, IfExpr]


@_node
class DistCall:
    """``Dist(arg, ...)`` on the right of ``~``."""

    name: str
    args: tuple[Expr, ...]
    span: Span
    name_span: Span


# ------------------------------------------------------------ statements
@_node
class Target:
    name: str
    index: Expr | None
    span: Span
    name_span: Span
    column: Expr | None = None  # a second index (matrices cannot be assigned: the check says so)


@_node
class Assign:
    target: Target
    op: str  # = += -= *= /=
    value: Expr
    span: Span


@_node
class Draw:
    target: Target
    dist: DistCall
    span: Span


@_node
class If:
    cond: Expr
    then: tuple["Statement", ...]
    orelse: tuple["Statement", ...] | None
    span: Span


@_node
class For:
    var: str
    start: Expr
    stop: Expr
    body: tuple["Statement", ...]
    span: Span
    var_span: Span


@_node
class Derivative:
    target: Target
    value: Expr
    span: Span


Statement = Union[Assign, Draw, If, For, Derivative]


# ------------------------------------------------------------ declarations
@_node
class ModelDecl:
    name: str
    span: Span


@_node
class ParamDecl:
    name: str
    size: Expr | None
    prior: DistCall
    span: Span
    name_span: Span


@_node
class ConstDecl:
    name: str
    value: Expr
    span: Span
    name_span: Span


@_node
class StateDecl:
    """``state x = expr`` (``init``), ``state x ~ Dist`` (``init_dist``) or ``accum``."""

    name: str
    size: Expr | None
    init: Expr | None
    init_dist: DistCall | None
    is_accum: bool
    span: Span
    name_span: Span


@_node
class T0Decl:
    value: Expr
    span: Span


@_node
class Option:
    name: str
    value: Expr | str
    span: Span


@_node
class StepBlock:
    options: tuple[Option, ...]
    body: tuple[Statement, ...]
    span: Span


@_node
class SimulatorDecl:
    """``simulator NAME``: a registered external simulator as the model's dynamics."""

    name: str  # dotted: `hydro.reservoir`
    span: Span
    name_span: Span


@_node
class OutputDecl:
    """``output NAME`` (or ``output NAME[K]``): a value the simulator provides, read like a state."""

    name: str
    size: Expr | None
    span: Span
    name_span: Span


@_node
class OdeBlock:
    options: tuple[Option, ...]
    body: tuple[Statement, ...]
    span: Span


@_node
class ObserveDecl:
    """``observe COL ~ Dist(...)``, or ``observe COL[i] ~ ...`` (data column ``COL_i``) inside a ``for``."""

    column: str
    dist: DistCall
    span: Span
    column_span: Span
    index: Expr | None = None


@_node
class ObserveFor:
    """``for i in a..b { observe ... }`` at the top level: one observation per value of ``i``."""

    var: str
    start: Expr
    stop: Expr
    body: tuple["ObserveDecl | ObserveFor", ...]
    span: Span
    var_span: Span


@_node
class InputDecl:
    """``input NAME [(options)] [from "file.csv"]``: a time series read from data."""

    name: str
    path: str | None
    options: tuple["Option", ...]
    span: Span
    name_span: Span


@_node
class FnDecl:
    """``fn name(args) = expr``, or the block form: ``locals`` (name, value) then ``return body``."""

    name: str
    args: tuple[str, ...]
    arg_spans: tuple[Span, ...]
    locals: tuple[tuple[str, Expr, Span], ...]
    body: Expr
    span: Span
    name_span: Span


@_node
class DerivedDecl:
    name: str
    value: Expr
    span: Span
    name_span: Span


@_node
class SummaryDecl:
    """``summary NAME = STAT(column, ...)``: ``value`` as written (the check says which statistics exist)."""

    name: str
    value: Expr
    span: Span
    name_span: Span


@_node
class DataDecl:
    path: str
    span: Span


@_node
class ReplicateDecl:
    path: str
    overrides: tuple[ConstDecl, ...]
    span: Span
    path_span: Span
    inputs: tuple[InputDecl, ...] = ()


@_node
class InferSetting:
    """``key = value``; ``kind`` is "expr", "range" (``a:b``) or "string"."""

    key: str
    kind: str
    value: Expr | tuple[Expr, Expr] | str
    span: Span
    key_span: Span


@_node
class InferBlock:
    settings: tuple[InferSetting, ...]
    span: Span


Declaration = Union[
    ModelDecl, ParamDecl, ConstDecl, StateDecl, T0Decl, StepBlock, OdeBlock,
    ObserveDecl, ObserveFor, DataDecl, ReplicateDecl, InferBlock, InputDecl, FnDecl, DerivedDecl, SimulatorDecl,
    OutputDecl, SummaryDecl,
]


@dataclass(frozen=True)
class Program:
    """A whole ``.model`` file."""

    declarations: tuple[Declaration, ...]
    source: Source
