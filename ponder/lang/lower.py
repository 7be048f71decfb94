"""Lower a checked syntax tree to the IR (:mod:`ponder.lang.ir`): the second of the two passes.

:func:`ponder.lang.check.check_program` checks a :class:`~ponder.lang.syntax.Program`
and returns a :class:`Checked`: what each name refers to, which targets
define a new local, and every size, loop bound and constant folded to a
number. :func:`lower` then translates the tree node by node: declarations
in the order of their kind (constants, parameters, states, dynamics,
observations, data), with the flat offsets of parameters and states and
whether the model is deterministic. It checks nothing a user could get
wrong and raises no :class:`~ponder.lang.errors.ModelError`: a node the
checking pass did not resolve is a bug (``AssertionError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Union

from ponder.lang import ir
from ponder.lang import syntax as ast
from ponder.lang.errors import Span

#: The syntax nodes that name something: their kind is resolved by the check.
Reference = Union[ast.Name, ast.Index, ast.Target]


@dataclass(frozen=True)
class Checked:
    """What the checking pass established about one program: everything lowering needs besides the tree.

    Syntax nodes are frozen dataclasses compared by value (their spans
    included), so they key the tables below.
    """

    name: str  #: the model's name (``model NAME`` or the default)
    sizes: Mapping[str, int]  #: each parameter, constant and state: 0 for a scalar, else its length
    const_values: Mapping[str, float]  #: each constant's value, in declaration order
    kinds: Mapping[Reference, str]  #: each checked name: param, const, state, local, loop, time or dt (``ir.Ref.kind``)
    new_locals: frozenset[ast.Target]  #: the targets of ``=`` and ``~`` that define a new local
    loops: Mapping[ast.For, tuple[int, int]]  #: each loop's bounds ``(start, stop)``
    t0: float
    options: Mapping[str, object]  #: the dynamics block's options, defaults filled in (empty without one)
    overrides: Mapping[ast.ReplicateDecl, tuple[tuple[str, float], ...]]  #: each replicate's constants
    infer: tuple[tuple[str, object], ...]  #: the ``infer`` settings, values folded (``ir.ModelIR.infer``)
    spans: dict[str, Span]  #: ``ir.ModelIR.spans``: each declared name, ``observe:COL``, ``infer:KEY``, ...


def lower(program: ast.Program, checked: Checked) -> ir.ModelIR:
    """The IR of ``program``, which :func:`~ponder.lang.check.check_program` returned ``checked`` for."""
    return _Lower(checked).model(program)


class _Lower:
    def __init__(self, checked: Checked):
        self.checked = checked

    def model(self, program: ast.Program) -> ir.ModelIR:
        decls = program.declarations
        c = self.checked
        consts = tuple(ir.Const(d.name, i, self.expr(d.value))
                       for i, d in enumerate(d for d in decls if isinstance(d, ast.ConstDecl)))
        params, offset = [], 0
        for d in decls:
            if isinstance(d, ast.ParamDecl):
                params.append(ir.Param(d.name, self._size(d.name), offset, self.dist(d.prior)))
                offset += params[-1].width
        states, offset = [], 0
        for d in decls:
            if isinstance(d, ast.StateDecl):
                init = None if d.init is None else self.expr(d.init)
                init_dist = None if d.init_dist is None else self.dist(d.init_dist)
                states.append(ir.State(d.name, self._size(d.name), offset, init, init_dist, d.is_accum))
                offset += states[-1].width
        dynamics = None
        for d in decls:
            if isinstance(d, ast.StepBlock):
                dynamics = ir.StepDynamics(c.options["dt"], self.block(d.body))
            elif isinstance(d, ast.OdeBlock):
                opts = c.options
                dynamics = ir.OdeDynamics(opts["solver"], opts["dt"], opts["rtol"], opts["atol"], opts["max_steps"],
                                          self.block(d.body))
        draws = dynamics is not None and any(isinstance(n, ir.Sample) for n in ir.walk(dynamics))
        return ir.ModelIR(
            name=c.name,
            params=tuple(params),
            consts=consts,
            const_values=tuple(c.const_values[k.name] for k in consts),
            states=tuple(states),
            t0=c.t0,
            dynamics=dynamics,
            observations=tuple(ir.Observation(d.column, self.dist(d.dist))
                               for d in decls if isinstance(d, ast.ObserveDecl)),
            datasets=tuple(self.dataset(d) for d in decls if isinstance(d, (ast.DataDecl, ast.ReplicateDecl))),
            infer=c.infer,
            deterministic=all(s.init_dist is None for s in states) and not draws,
            source=program.source,
            spans=c.spans,
        )

    def _size(self, name: str) -> int:
        assert name in self.checked.sizes, f"lowering `{name}`, which the check did not declare"
        return self.checked.sizes[name]

    def _kind(self, node: Reference) -> str:
        kind = self.checked.kinds.get(node)
        assert kind is not None, f"lowering a name the check did not resolve: {node!r}"
        return kind

    def dataset(self, d: ast.DataDecl | ast.ReplicateDecl) -> ir.DatasetSpec:
        is_glob = any(ch in d.path for ch in "*?[")
        if isinstance(d, ast.DataDecl):
            return ir.DatasetSpec(d.path, (), d.span, is_glob)
        overrides = self.checked.overrides.get(d)
        assert overrides is not None, f"lowering a replicate the check did not see: {d!r}"
        return ir.DatasetSpec(d.path, overrides, d.span, is_glob)

    # ------------------------------------------------------------ statements
    def block(self, stmts: tuple[ast.Statement, ...]) -> tuple[ir.IStmt, ...]:
        return tuple(self.statement(s) for s in stmts)

    def statement(self, s: ast.Statement) -> ir.IStmt:
        if isinstance(s, ast.Draw):
            return ir.Sample(self.target(s.target), self.dist(s.dist), s.target in self.checked.new_locals)
        if isinstance(s, ast.Assign):
            value = self.expr(s.value)
            if s.target in self.checked.new_locals:
                assert s.op == "=" and self._kind(s.target) == "local"
                return ir.Let(s.target.name, value)
            return ir.Set(self.target(s.target), s.op, value)
        if isinstance(s, ast.Derivative):
            return ir.Deriv(self.target(s.target), self.expr(s.value))
        if isinstance(s, ast.If):
            return ir.IfS(self.expr(s.cond), self.block(s.then), self.block(s.orelse) if s.orelse is not None else ())
        if isinstance(s, ast.For):
            bounds = self.checked.loops.get(s)
            assert bounds is not None, f"lowering a loop the check did not see: {s!r}"
            return ir.Loop(s.var, bounds[0], bounds[1], self.block(s.body))
        raise AssertionError(f"unknown statement {s!r}")

    def target(self, t: ast.Target) -> ir.Ref:
        return ir.Ref(self._kind(t), t.name, None if t.index is None else self.expr(t.index))

    # ------------------------------------------------------------ expressions
    def dist(self, call: ast.DistCall) -> ir.Dist:
        return ir.Dist(call.name, tuple(self.expr(a) for a in call.args))

    def expr(self, e: ast.Expr) -> ir.IExpr:
        if isinstance(e, ast.Number):
            return ir.Num(e.value)
        if isinstance(e, ast.Name):
            return ir.Ref(self._kind(e), e.name)
        if isinstance(e, ast.Index):
            return ir.Ref(self._kind(e), e.name, self.expr(e.index))
        if isinstance(e, ast.Call):
            return ir.Apply(e.name, tuple(self.expr(a) for a in e.args))
        if isinstance(e, ast.Unary):
            return ir.Op(e.op, (self.expr(e.operand),))
        if isinstance(e, ast.Binary):
            return ir.Op(e.op, (self.expr(e.left), self.expr(e.right)))
        if isinstance(e, ast.IfExpr):
            return ir.Cond(self.expr(e.cond), self.expr(e.then), self.expr(e.orelse))
        raise AssertionError(f"unknown expression {e!r}")
