"""Lower a checked syntax tree to the IR (:mod:`ponder.lang.ir`): the second of the two passes.

:func:`ponder.lang.check.check_program` checks a :class:`~ponder.lang.syntax.Program`
and returns a :class:`Checked`: what each name refers to, the shape of every
vector-valued expression, which targets define a new local, and every size,
loop bound and constant folded to a number. :func:`lower` then translates the
tree node by node: declarations in the order of their kind (constants,
parameters, inputs, states, dynamics, observations, derived quantities,
summaries, data), with the flat offsets of parameters, constants and states
and whether the model is deterministic. It checks nothing a user could get wrong and
raises no :class:`~ponder.lang.errors.ModelError`: a node the checking pass
did not resolve is a bug (``AssertionError``).

What lowering removes from the language, so code generation never sees it:

* **functions** (``fn``) are inlined at each call, their arguments and
  locals substituted;
* **derived quantities** are inlined where the model uses them, and each
  one's elements are kept for the kernel that computes them per draw;
* **vector expressions** become scalar ones: ``x = a + w`` on a vector state
  is a loop over its elements, ``sum``/``prod``/``mean``/``dot`` become
  :class:`~ponder.lang.ir.Reduce` nodes, ``length`` a number;
* a top-level ``for`` over ``observe`` lines becomes one observation per
  value (data column ``y_0``, ``y_1``, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Union

from ponder.lang import ir
from ponder.lang import syntax as ast
from ponder.lang.errors import Span

#: The syntax nodes that name something: their kind is resolved by the check.
Reference = Union[ast.Name, ast.Index, ast.Target, ast.Call]

#: Values of the predefined names (``kind == "number"``), where no declaration hides them.
PREDEFINED = {"pi": math.pi, "e": math.e, "inf": math.inf}

#: Built-in functions of vectors: name -> number of arguments.
VECTOR_FUNCTIONS = {"sum": 1, "prod": 1, "mean": 1, "dot": 2, "length": 1}


@dataclass(frozen=True)
class Checked:
    """What the checking pass established about one program: everything lowering needs besides the tree.

    Syntax nodes are frozen dataclasses compared by value (their spans
    included), so they key the tables below.
    """

    name: str  #: the model's name (``model NAME`` or the default)
    sizes: Mapping[str, int]  #: each parameter, constant and state: 0 for a scalar, else its length
    shapes: Mapping[object, tuple[int, ...]]  #: each vector- or matrix-valued expression and declared name
    const_values: Mapping[str, tuple[float, ...]]  #: each constant's elements (one for a number), in order
    kinds: Mapping[Reference, str]  #: each checked name: param, const, state, local, loop, time, dt, input, derived, fnarg, number, fn
    new_locals: frozenset[ast.Target]  #: the targets of ``=`` and ``~`` that define a new local
    loops: Mapping[ast.For, tuple[int, int]]  #: each loop's bounds ``(start, stop)``
    t0: float
    options: Mapping[str, object]  #: the dynamics block's options, defaults filled in (empty without one)
    overrides: Mapping[ast.ReplicateDecl, tuple[tuple[str, float], ...]]  #: each replicate's constants
    replicate_inputs: Mapping[ast.ReplicateDecl, tuple[tuple[str, str], ...]]  #: each replicate's input files
    infer: tuple[tuple[str, object], ...]  #: the ``infer`` settings, values folded (``ir.ModelIR.infer``)
    spans: dict[str, Span]  #: ``ir.ModelIR.spans``: each declared name, ``observe:COL``, ``infer:KEY``, ...
    functions: Mapping[str, ast.FnDecl]  #: the model's ``fn`` definitions
    derived: Mapping[str, ast.DerivedDecl]  #: the model's ``derived`` quantities, in order
    inputs: tuple[tuple[str, str, str | None], ...]  #: ``(name, interpolate, path)`` of each ``input``
    observations: tuple[tuple[str, ast.ObserveDecl, tuple[tuple[str, int], ...], int], ...]  #: (column, decl, loop values, K)
    #: each ``summary``: (name, statistic, data column, the statistic's other arguments, log1p), in file order
    summaries: tuple[tuple[str, str, str, tuple[float, ...], bool], ...] = ()
    warnings: tuple = ()  #: :class:`~ponder.lang.errors.ModelWarning`s, in file order
    #: each multivariate distribution call: the length K of its value, and its ``arg_shapes``
    multivariate: Mapping[ast.DistCall, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    #: the external simulator: name, deterministic, compiled (Numba kernels), what those read, their output order
    simulator: tuple[str, bool, bool, tuple[str, ...], tuple[str, ...]] | None = None


def lower(program: ast.Program, checked: Checked) -> ir.ModelIR:
    """The IR of ``program``, which :func:`~ponder.lang.check.check_program` returned ``checked`` for."""
    return _Lower(checked).model(program)


class ExprLowering:
    """Lower checked expressions to IR: functions and derived quantities inlined, vectors made scalar.

    ``kinds`` and ``shapes`` are the check's tables (read as the check fills
    them in: it lowers constants to fold them), ``functions`` and ``derived``
    its definitions by name.
    """

    def __init__(self, kinds, shapes, functions, derived):
        self.kinds = kinds
        self.shapes = shapes
        self.functions = functions
        self.derived = derived
        self._fresh = 0

    def fresh(self) -> str:
        """A loop variable no user name can be: digits only (code generation spells it ``q_<digits>``)."""
        self._fresh += 1
        return str(self._fresh)

    def shape(self, e) -> tuple[int, ...]:
        return self.shapes.get(e, ())

    def _kind(self, node) -> str:
        kind = self.kinds.get(node)
        assert kind is not None, f"lowering a name the check did not resolve: {node!r}"
        return kind

    def elements(self, e: ast.Expr, shape: tuple[int, ...], env=None) -> tuple[ir.IExpr, ...]:
        """Every element of a vector- or matrix-valued ``e``, row-major, at static indices."""
        if not shape:
            return (self.expr(e, (), env),)
        if len(shape) == 1:
            return tuple(self.expr(e, (ir.Num(float(i)),), env) for i in range(shape[0]))
        return tuple(self.expr(e, (ir.Num(float(i)), ir.Num(float(j))), env)
                     for i in range(shape[0]) for j in range(shape[1]))

    def expr(self, e: ast.Expr, idx: tuple[ir.IExpr, ...] = (), env: Mapping[str, ir.IExpr] | None = None) -> ir.IExpr:
        """The IR of ``e``; for a vector- or matrix-valued ``e``, of its element ``idx``."""
        env = env or {}
        rec = lambda x: self.expr(x, idx if self.shape(x) else (), env)  # noqa: E731
        if isinstance(e, ast.Number):
            return ir.Num(e.value)
        if isinstance(e, ast.Name):
            kind = self._kind(e)
            if kind == "number":
                return ir.Num(PREDEFINED[e.name])
            if kind in ("fnarg", "loop") and e.name in env:
                value = env[e.name]  # an argument's IR, or a loop variable's value (a top-level `for`)
                return ir.Num(float(value)) if isinstance(value, int) else value
            if kind == "derived":
                return self.expr(self.derived[e.name].value, idx, {})
            if kind in ("time", "dt"):
                return ir.Ref(kind, e.name)
            return self._ref(kind, e.name, idx)
        if isinstance(e, ast.Index):
            kind = self._kind(e)
            first = self.expr(e.index, (), env)
            rest = (self.expr(e.column, (), env),) if e.column is not None else ()
            if kind == "derived":
                return self.expr(self.derived[e.name].value, (first,) + rest + idx, {})
            return self._ref(kind, e.name, (first,) + rest + idx)
        if isinstance(e, ast.Vector):
            assert idx and isinstance(idx[0], ir.Num), "vector literals are only lowered at static indices"
            return self.expr(e.items[int(idx[0].value)], idx[1:], env)
        if isinstance(e, ast.Call):
            kind = self.kinds.get(e)
            if kind == "vector":
                return self._vector_call(e, env)
            if kind == "fn":
                return self._inline(e, idx, env)
            return ir.Apply(e.name, tuple(rec(a) for a in e.args))
        if isinstance(e, ast.Unary):
            return ir.Op(e.op, (rec(e.operand),))
        if isinstance(e, ast.Binary):
            return ir.Op(e.op, (rec(e.left), rec(e.right)))
        if isinstance(e, ast.IfExpr):
            return ir.Cond(rec(e.cond), rec(e.then), rec(e.orelse))
        raise AssertionError(f"unknown expression {e!r}")

    @staticmethod
    def _ref(kind: str, name: str, idx: tuple[ir.IExpr, ...]) -> ir.Ref:
        return ir.Ref(kind, name, idx[0] if idx else None, idx[1] if len(idx) > 1 else None)

    def _vector_call(self, e: ast.Call, env) -> ir.IExpr:
        shape = self.shape(e.args[0])
        if e.name == "length":
            return ir.Num(float(shape[0]))
        if e.name == "dot":
            var = self.fresh()
            i = (ir.Ref("loop", var),)
            return ir.Reduce("+", var, shape[0], ir.Op("*", (self.expr(e.args[0], i, env), self.expr(e.args[1], i, env))))
        total = self._reduce("*" if e.name == "prod" else "+", e.args[0], shape, env)
        if e.name == "mean":
            return ir.Op("/", (total, ir.Num(float(math.prod(shape)))))
        return total

    def _reduce(self, op: str, arg: ast.Expr, shape: tuple[int, ...], env) -> ir.IExpr:
        names = [self.fresh() for _ in shape]
        body = self.expr(arg, tuple(ir.Ref("loop", v) for v in names), env)
        for var, size in reversed(list(zip(names, shape))):
            body = ir.Reduce(op, var, size, body)
        return body

    def _inline(self, e: ast.Call, idx, env) -> ir.IExpr:
        fn = self.functions[e.name]
        inner = {name: self.expr(arg, idx if self.shape(arg) else (), env) for name, arg in zip(fn.args, e.args)}
        for name, value, _span in fn.locals:
            inner[name] = self.expr(value, (), inner)
        return self.expr(fn.body, (), inner)


class _Lower:
    def __init__(self, checked: Checked):
        self.checked = checked
        self.exprs = ExprLowering(checked.kinds, checked.shapes, checked.functions, checked.derived)

    def model(self, program: ast.Program) -> ir.ModelIR:
        decls = program.declarations
        c = self.checked
        consts, offset = [], 0
        for d in decls:
            if isinstance(d, ast.ConstDecl):
                shape = c.shapes.get(d.name, ())
                elements = self.exprs.elements(d.value, shape) if shape else ()
                value = elements[0] if shape else self.expr(d.value)
                consts.append(ir.Const(d.name, offset, value, shape, elements))
                offset += consts[-1].width
        params, offset = [], 0
        for d in decls:
            if isinstance(d, ast.ParamDecl):
                params.append(ir.Param(d.name, self._size(d.name), offset, self.dist(d.prior)))
                offset += params[-1].width
        states, offset = [], 0
        outputs = [d.name for d in decls if isinstance(d, ast.OutputDecl)]
        if c.simulator is not None and c.simulator[2]:
            outputs = list(c.simulator[4])  # a compiled simulator's columns, in its order
        for name in outputs:  # set by the simulator: no initial value of its own
            states.append(ir.State(name, self._size(name), offset, None, None, False))
            offset += states[-1].width
        for d in decls:
            if isinstance(d, ast.StateDecl):
                init = None if d.init is None else self.expr(d.init, True)
                init_dist = None if d.init_dist is None else self.dist(d.init_dist)
                elements = self.exprs.elements(d.init, (self._size(d.name),)) if c.shapes.get(d.init) else ()
                states.append(ir.State(d.name, self._size(d.name), offset, elements[0] if elements else init,
                                       init_dist, d.is_accum, elements))
                offset += states[-1].width
        dynamics = None if c.simulator is None else ir.SimulatorDynamics(*c.simulator[:4])
        for d in decls:
            if isinstance(d, ast.StepBlock):
                dynamics = ir.StepDynamics(c.options["dt"], self.block(d.body))
            elif isinstance(d, ast.OdeBlock):
                opts = c.options
                dynamics = ir.OdeDynamics(opts["solver"], opts["dt"], opts["rtol"], opts["atol"], opts["max_steps"],
                                          self.block(d.body))
        derived, offset = [], 0
        for name, d in c.derived.items():
            shape = c.shapes.get(name, ())
            derived.append(ir.Derived(name, shape, offset, self.exprs.elements(d.value, shape)))
            offset += derived[-1].width
        draws = dynamics is not None and any(isinstance(n, ir.Sample) for n in ir.walk(dynamics))
        observations = tuple(ir.Observation(column, self.dist(d.dist, dict(env)), size)
                             for column, d, env, size in c.observations)
        columns = [column for o in observations for column in o.columns]
        summaries = tuple(ir.Summary(name, stat, column, columns.index(column), args, log1p)
                          for name, stat, column, args, log1p in c.summaries)
        return ir.ModelIR(
            name=c.name,
            params=tuple(params),
            consts=tuple(consts),
            const_values=tuple(v for k in consts for v in c.const_values[k.name]),
            states=tuple(states),
            t0=c.t0,
            dynamics=dynamics,
            observations=observations,
            datasets=tuple(self.dataset(d) for d in decls if isinstance(d, (ast.DataDecl, ast.ReplicateDecl))),
            infer=c.infer,
            deterministic=(all(s.init_dist is None for s in states) and not draws
                           and (c.simulator is None or c.simulator[1])),
            inputs=tuple(ir.Input(name, i, interp, path) for i, (name, interp, path) in enumerate(c.inputs)),
            derived=tuple(derived),
            summaries=summaries,
            source=program.source,
            spans=c.spans,
            warnings=c.warnings,
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
        return ir.DatasetSpec(d.path, overrides, d.span, is_glob, self.checked.replicate_inputs.get(d, ()))

    # ------------------------------------------------------------ statements
    def block(self, stmts: tuple[ast.Statement, ...]) -> tuple[ir.IStmt, ...]:
        return tuple(self.statement(s) for s in stmts)

    def statement(self, s: ast.Statement) -> ir.IStmt:
        if isinstance(s, ast.Draw) and s.dist in self.checked.multivariate:  # one draw of a whole vector
            return ir.Sample(self.target(s.target), self.dist(s.dist), False)
        if isinstance(s, (ast.Draw, ast.Assign, ast.Derivative)):
            shape = self.checked.shapes.get(s.target, ())
            if shape:  # a whole vector: one statement per element, in a loop
                var = self.exprs.fresh()
                i = (ir.Ref("loop", var),)
                return ir.Loop(var, 0, shape[0], (self._element_statement(s, i),))
            return self._element_statement(s, ())
        if isinstance(s, ast.If):
            return ir.IfS(self.expr(s.cond), self.block(s.then), self.block(s.orelse) if s.orelse is not None else ())
        if isinstance(s, ast.For):
            bounds = self.checked.loops.get(s)
            assert bounds is not None, f"lowering a loop the check did not see: {s!r}"
            return ir.Loop(s.var, bounds[0], bounds[1], self.block(s.body))
        raise AssertionError(f"unknown statement {s!r}")

    def _element_statement(self, s, idx: tuple[ir.IExpr, ...]) -> ir.IStmt:
        """``s`` for element ``idx`` of its (vector) target, or ``s`` itself for a scalar one."""
        target = self.target(s.target, idx)
        value = (lambda e: self.exprs.expr(e, idx if self.checked.shapes.get(e) else ()))  # noqa: E731
        if isinstance(s, ast.Draw):
            dist = ir.Dist(s.dist.name, tuple(value(a) for a in s.dist.args))
            return ir.Sample(target, dist, s.target in self.checked.new_locals)
        if isinstance(s, ast.Derivative):
            return ir.Deriv(target, value(s.value))
        if s.target in self.checked.new_locals:
            assert s.op == "=" and self._kind(s.target) == "local"
            return ir.Let(s.target.name, value(s.value))
        return ir.Set(target, s.op, value(s.value))

    def target(self, t: ast.Target, idx: tuple[ir.IExpr, ...] = ()) -> ir.Ref:
        index = self.expr(t.index) if t.index is not None else (idx[0] if idx else None)
        return ir.Ref(self._kind(t), t.name, index)

    # ------------------------------------------------------------ expressions
    def dist(self, call: ast.DistCall, env=None) -> ir.Dist:
        if call in self.checked.multivariate:
            k, arg_shapes = self.checked.multivariate[call]
            args = []
            for arg, want in zip(call.args, arg_shapes):
                if not want:
                    args.append(self.exprs.expr(arg, (), env))
                    continue
                shape = (k,) if want == "K" else (k, k)
                if not self.checked.shapes.get(arg):  # one number for every element
                    args.append(ir.Elements(shape, (self.exprs.expr(arg, (), env),) * math.prod(shape)))
                else:
                    args.append(ir.Elements(shape, self.exprs.elements(arg, shape, env)))
            return ir.Dist(call.name, tuple(args), k)
        return ir.Dist(call.name, tuple(self.exprs.expr(a, (), env) for a in call.args))

    def expr(self, e: ast.Expr, vector_ok: bool = False) -> ir.IExpr:
        """A number-valued expression (``vector_ok``: a vector one stands for its first element; see elements)."""
        if vector_ok and self.checked.shapes.get(e):
            return self.exprs.expr(e, (ir.Num(0.0),))
        return self.exprs.expr(e)
