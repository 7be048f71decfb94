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
import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Iterator, Union

from ponder.lang.errors import Source, Span


# ------------------------------------------------------------ expressions
@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    """A resolved name. ``kind``: param, const, state, local, loop, time, dt, input.

    ``index`` picks an element of a vector (or a row of a matrix constant,
    with ``column`` its column).
    """

    kind: str
    name: str
    index: "IExpr | None" = None
    column: "IExpr | None" = None


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


@dataclass(frozen=True)
class Reduce:
    """``op`` (``+`` or ``*``) of ``body`` over ``var`` = 0 .. size-1: ``sum``, ``prod``, ``dot``, ``mean``."""

    op: str
    var: str
    size: int
    body: "IExpr"


@dataclass(frozen=True)
class Elements:
    """A vector or matrix argument of a multivariate distribution: its elements, row-major."""

    shape: tuple[int, ...]
    items: tuple["IExpr", ...]


IExpr = Union[Num, Ref, Apply, Op, Cond, Reduce, Elements]

COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
LOGICAL = ("and", "or", "not")


def is_boolean(expr: IExpr) -> bool:
    """True for comparisons and logical operations (values 0/1)."""
    return isinstance(expr, Op) and (expr.op in COMPARISONS or expr.op in LOGICAL)


@dataclass(frozen=True)
class Dist:
    """A distribution call ``Name(args)`` resolved against the stdlib; ``size``: K of a multivariate one (else 0)."""

    name: str
    args: tuple[IExpr, ...]
    size: int = 0


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
    """A constant: a number, or a vector/matrix (``shape``) stored row-major from ``offset``."""

    name: str
    offset: int
    value: IExpr  # the first element for a vector or matrix
    shape: tuple[int, ...] = ()
    elements: tuple[IExpr, ...] = ()  # every element, row-major (vectors and matrices)

    @property
    def width(self) -> int:
        return math.prod(self.shape) if self.shape else 1


@dataclass(frozen=True)
class Input:
    """``input NAME``: a time series, interpolated at any ``t`` (``linear`` or ``constant``).

    ``path`` is the file it is read from (None: a column of each dataset);
    at run time the constants vector carries, after the constants, one slot
    per input holding where its table (``n, t_0..t_n-1, v_0..v_n-1``) starts.
    """

    name: str
    index: int
    interpolate: str
    path: str | None


@dataclass(frozen=True)
class Derived:
    """``derived NAME = expr``: computed for every draw; ``elements`` row-major, inlined."""

    name: str
    shape: tuple[int, ...]
    offset: int
    elements: tuple[IExpr, ...]

    @property
    def width(self) -> int:
        return math.prod(self.shape) if self.shape else 1


#: The statistics of ``summary NAME = STAT(column, ...)``: each one's arguments after the column
#: (:mod:`ponder.runtime.summaries` computes them; ``log1p(STAT(...))`` of any of them too).
SUMMARY_STATISTICS = {
    "mean": (), "sd": (), "min": (), "max": (), "sum": (), "quantile": ("q",), "acf": ("lag",),
}


@dataclass(frozen=True)
class Summary:
    """``summary NAME = STAT(column, ...)``, or ``log1p(STAT(...))``: a statistic over the times of one replicate.

    ``column`` is the observed data column, ``column_index`` its place in
    :attr:`ModelIR.observed_columns`; ``args`` the statistic's numbers after
    the column (``q`` of ``quantile``, ``lag`` of ``acf``), in
    :data:`SUMMARY_STATISTICS` order.
    """

    name: str
    stat: str
    column: str
    column_index: int
    args: tuple[float, ...] = ()
    log1p: bool = False

    @property
    def text(self) -> str:
        """The statistic in model-language words: ``log1p(quantile(y, 0.9))``."""
        inner = f"{self.stat}({', '.join([self.column] + [format_expr(Num(a)) for a in self.args])})"
        return f"log1p({inner})" if self.log1p else inner


@dataclass(frozen=True)
class State:
    name: str
    size: int
    offset: int
    init: IExpr | None
    init_dist: Dist | None
    is_accum: bool
    init_elements: tuple[IExpr, ...] = ()  # a vector state's initial value element by element (`state x[3] = w`)

    @property
    def width(self) -> int:
        return max(self.size, 1)


@dataclass(frozen=True)
class Observation:
    """The error model of data column ``column``, or of ``size`` columns ``column_0`` ... (multivariate)."""

    column: str
    dist: Dist
    size: int = 0

    @property
    def columns(self) -> list[str]:
        return [self.column] if not self.size else [f"{self.column}_{k}" for k in range(self.size)]

    @property
    def width(self) -> int:
        return max(self.size, 1)


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
class SimulatorDynamics:
    """``simulator NAME``: a registered external simulator moves the outputs (``State``s with no initial value).

    ``compiled``: the simulator gives Numba kernels that the generated
    ``init``/``advance`` call with ``p``, the values of ``reads`` (its
    ``parameters``: scalar params and constants, in its order); else the
    loops run in Python around the simulator object.
    """

    name: str
    deterministic: bool
    compiled: bool = False
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetSpec:
    """A ``data`` or ``replicate`` declaration, before the files are read.

    ``inputs``: the replicate's own input files, ``(name, path)``.
    """

    pattern: str
    overrides: tuple[tuple[str, float], ...]
    span: Span
    is_glob: bool
    inputs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ModelIR:
    name: str
    params: tuple[Param, ...]
    consts: tuple[Const, ...]
    const_values: tuple[float, ...]  # base values, before replicate overrides
    states: tuple[State, ...]
    t0: float
    dynamics: StepDynamics | OdeDynamics | SimulatorDynamics | None
    observations: tuple[Observation, ...]
    datasets: tuple[DatasetSpec, ...]
    infer: tuple[tuple[str, object], ...]
    deterministic: bool
    inputs: tuple[Input, ...] = ()
    derived: tuple[Derived, ...] = ()
    #: the ``summary`` declarations, in file order (the kernels do not read them: not in :meth:`kernel_key`)
    summaries: tuple[Summary, ...] = ()
    source: Source = field(compare=False, repr=False, default=None)
    spans: dict = field(default_factory=dict, compare=False, repr=False)
    #: what the check found suspicious (``ModelWarning``s), in file order
    warnings: tuple = field(default=(), compare=False, repr=False)

    @property
    def observed_columns(self) -> list[str]:
        """Every observed data column, in order (a multivariate observation has several)."""
        return [c for o in self.observations for c in o.columns]

    @property
    def n_const_slots(self) -> int:
        """Length of the constants part of the constants vector (vectors and matrices take several slots)."""
        return sum(c.width for c in self.consts)

    @property
    def n_derived(self) -> int:
        return sum(d.width for d in self.derived)

    @property
    def derived_slot_names(self) -> list[str]:
        out = []
        for d in self.derived:
            out.extend([d.name] if not d.shape else [f"{d.name}[{i}]" for i in range(d.width)])
        return out

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
        from ponder.lang.limits import recursion_room

        with recursion_room():  # repr recurses through deep expressions
            payload = repr(
                (self.params, self.consts, self.states, self.dynamics, self.observations, self.inputs, self.derived)
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
    from ponder.lang.limits import recursion_room

    with recursion_room():  # as deep as the parser allows: a chain of terms nests one level per term
        return _format_expr(expr, parent)


def _format_expr(expr: IExpr, parent: int = 0) -> str:
    if isinstance(expr, Num):
        v = expr.value
        return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)
    if isinstance(expr, Ref):
        if expr.kind == "loop" and expr.name.isdigit():  # a loop of a vector operation
            return f"j{expr.name}"
        if expr.index is None:
            return expr.name
        if expr.column is not None:
            return f"{expr.name}[{_format_expr(expr.index)}, {_format_expr(expr.column)}]"
        return f"{expr.name}[{_format_expr(expr.index)}]"
    if isinstance(expr, Reduce):
        return f"{'sum' if expr.op == '+' else 'prod'}({_format_expr(expr.body)} for j{expr.var} in 0..{expr.size})"
    if isinstance(expr, Apply):
        return f"{expr.fn}({', '.join(_format_expr(a) for a in expr.args)})"
    if isinstance(expr, Cond):
        text = f"if {_format_expr(expr.cond)} then {_format_expr(expr.then)} else {_format_expr(expr.orelse)}"
        return f"({text})" if parent else text
    if isinstance(expr, Op):
        if len(expr.args) == 1:
            prec = _PRECEDENCE["neg" if expr.op == "-" else "not"]
            sep = " " if expr.op == "not" else ""
            text = f"{expr.op}{sep}{_format_expr(expr.args[0], prec)}"
        else:
            prec = _PRECEDENCE[expr.op]
            right = prec + (0 if expr.op == "^" else 1)
            left = prec + (1 if expr.op == "^" else 0)
            text = f"{_format_expr(expr.args[0], left)} {expr.op} {_format_expr(expr.args[1], right)}"
        return f"({text})" if prec < parent else text
    raise ValueError(expr)


def format_dist(dist: Dist) -> str:
    return f"{dist.name}({', '.join(format_expr(a) for a in dist.args)})"
