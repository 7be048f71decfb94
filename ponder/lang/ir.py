"""The checked model: the intermediate representation code generation reads.

Every name in the IR is resolved (a :class:`Ref` says whether it is a
parameter, constant, state, local, loop variable, ``t`` or ``dt``), every
size and loop bound is a known integer and every distribution and function
exists with the right number of arguments. The IR carries no source spans, so
it hashes the same whatever the layout of the file: the compile cache is
keyed by :meth:`ModelIR.kernel_key`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Iterator, Union

from ponder.lang.errors import Source, Span


# ------------------------------------------------------------ expressions
@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    """A resolved name. ``kind``: param, const, state, local, loop, time, dt."""

    kind: str
    name: str
    index: "IExpr | None" = None


@dataclass(frozen=True)
class Apply:
    """A call of a stdlib math function."""

    fn: str
    args: tuple["IExpr", ...]


@dataclass(frozen=True)
class Op:
    """Unary (``-``, ``not``) or binary (``+ - * / ^ < <= > >= == != and or``)."""

    op: str
    args: tuple["IExpr", ...]


@dataclass(frozen=True)
class Cond:
    cond: "IExpr"
    then: "IExpr"
    orelse: "IExpr"


IExpr = Union[Num, Ref, Apply, Op, Cond]

COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
LOGICAL = ("and", "or", "not")


def is_boolean(expr: IExpr) -> bool:
    """True for comparisons and logical operations (values 0/1)."""
    return isinstance(expr, Op) and (expr.op in COMPARISONS or expr.op in LOGICAL)


@dataclass(frozen=True)
class Dist:
    """A distribution call ``Name(args)`` resolved against the stdlib."""

    name: str
    args: tuple[IExpr, ...]


# ------------------------------------------------------------ statements
@dataclass(frozen=True)
class Let:
    """Define a new local variable."""

    name: str
    value: IExpr


@dataclass(frozen=True)
class Set:
    """Update a state or an existing local; ``op`` is = += -= *= /=."""

    target: Ref
    op: str
    value: IExpr


@dataclass(frozen=True)
class Sample:
    """``target ~ dist``; ``new_local`` when the draw defines a local."""

    target: Ref
    dist: Dist
    new_local: bool


@dataclass(frozen=True)
class IfS:
    cond: IExpr
    then: tuple["IStmt", ...]
    orelse: tuple["IStmt", ...]


@dataclass(frozen=True)
class Loop:
    var: str
    start: int
    stop: int
    body: tuple["IStmt", ...]


@dataclass(frozen=True)
class Deriv:
    """``d(state) = value`` in an ``ode`` block."""

    target: Ref
    value: IExpr


IStmt = Union[Let, Set, Sample, IfS, Loop, Deriv]


# ------------------------------------------------------------ declarations
@dataclass(frozen=True)
class Param:
    """An inferred parameter; vector parameters (size > 0) are iid."""

    name: str
    size: int  # 0 for a scalar
    offset: int  # first slot in the flat parameter vector
    prior: Dist

    @property
    def width(self) -> int:
        return max(self.size, 1)


@dataclass(frozen=True)
class Const:
    name: str
    offset: int
    value: IExpr


@dataclass(frozen=True)
class State:
    name: str
    size: int
    offset: int
    init: IExpr | None
    init_dist: Dist | None
    is_accum: bool

    @property
    def width(self) -> int:
        return max(self.size, 1)


@dataclass(frozen=True)
class Observation:
    column: str
    dist: Dist


@dataclass(frozen=True)
class StepDynamics:
    """Transitions in sub-steps of length ``dt`` (1 for ``step { }``)."""

    dt: float
    body: tuple[IStmt, ...]


@dataclass(frozen=True)
class OdeDynamics:
    """A vector field integrated by ``solver`` (``rk45`` adaptive or ``rk4``)."""

    solver: str
    dt: float  # fixed step for rk4; first trial step for rk45
    rtol: float
    atol: float
    max_steps: int
    body: tuple[IStmt, ...]


@dataclass(frozen=True)
class DatasetSpec:
    """A ``data`` or ``replicate`` declaration, before the files are read."""

    pattern: str
    overrides: tuple[tuple[str, float], ...]
    span: Span
    is_glob: bool


@dataclass(frozen=True)
class ModelIR:
    name: str
    params: tuple[Param, ...]
    consts: tuple[Const, ...]
    const_values: tuple[float, ...]  # base values, before replicate overrides
    states: tuple[State, ...]
    t0: float
    dynamics: StepDynamics | OdeDynamics | None
    observations: tuple[Observation, ...]
    datasets: tuple[DatasetSpec, ...]
    infer: tuple[tuple[str, object], ...]
    deterministic: bool
    source: Source = field(compare=False, repr=False)
    spans: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_params(self) -> int:
        return sum(p.width for p in self.params)

    @property
    def n_states(self) -> int:
        return sum(s.width for s in self.states)

    @property
    def param_slot_names(self) -> list[str]:
        """One name per slot of the flat parameter vector: ``a``, ``v[0]``, ..."""
        out = []
        for p in self.params:
            out.extend([p.name] if p.size == 0 else [f"{p.name}[{i}]" for i in range(p.size)])
        return out

    @property
    def state_slot_names(self) -> list[str]:
        out = []
        for s in self.states:
            out.extend([s.name] if s.size == 0 else [f"{s.name}[{i}]" for i in range(s.size)])
        return out

    def kernel_key(self, salt: str) -> str:
        """Hash of everything the kernels depend on, plus ``salt`` (versions)."""
        payload = repr(
            (self.params, self.consts, self.states, self.dynamics, self.observations)
        )
        return hashlib.sha256((salt + "\n" + payload).encode()).hexdigest()[:24]


# ------------------------------------------------------------ traversal
def walk(node) -> Iterator:
    """Every IR node under ``node`` (itself included), parents before children, in field order.

    ``node`` may be any IR dataclass or a tuple of them; spans, sources and
    plain values are not visited. Analyses filter what they need::

        used = {n.fn for n in walk(model) if isinstance(n, Apply)}
    """
    stack = [node]
    while stack:  # an explicit stack: deep expressions must not hit Python's recursion limit
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(reversed(item))
        elif is_dataclass(item) and not isinstance(item, (Source, Span, DatasetSpec)):
            yield item
            children = [getattr(item, f.name) for f in fields(item) if f.compare]
            stack.extend(reversed([c for c in children if isinstance(c, tuple) or is_dataclass(c)]))


# ------------------------------------------------------------ printing
_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4, "!=": 4,
               "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "^": 8}


def format_expr(expr: IExpr, parent: int = 0) -> str:
    """Model-language text of an IR expression (for summaries and ``--show ir``)."""
    if isinstance(expr, Num):
        v = expr.value
        return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)
    if isinstance(expr, Ref):
        return expr.name if expr.index is None else f"{expr.name}[{format_expr(expr.index)}]"
    if isinstance(expr, Apply):
        return f"{expr.fn}({', '.join(format_expr(a) for a in expr.args)})"
    if isinstance(expr, Cond):
        text = f"if {format_expr(expr.cond)} then {format_expr(expr.then)} else {format_expr(expr.orelse)}"
        return f"({text})" if parent else text
    if isinstance(expr, Op):
        if len(expr.args) == 1:
            prec = _PRECEDENCE["neg" if expr.op == "-" else "not"]
            sep = " " if expr.op == "not" else ""
            text = f"{expr.op}{sep}{format_expr(expr.args[0], prec)}"
        else:
            prec = _PRECEDENCE[expr.op]
            right = prec + (0 if expr.op == "^" else 1)
            left = prec + (1 if expr.op == "^" else 0)
            text = f"{format_expr(expr.args[0], left)} {expr.op} {format_expr(expr.args[1], right)}"
        return f"({text})" if prec < parent else text
    raise ValueError(expr)


def format_dist(dist: Dist) -> str:
    return f"{dist.name}({', '.join(format_expr(a) for a in dist.args)})"
