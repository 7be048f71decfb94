"""Check a syntax tree and lower it to the IR (:mod:`ponder.lang.ir`).

The checks, in the order a reader meets them in a file: one model name, one
dynamics block, names declared once and used after they are declared,
parameters and constants never assigned, locals drawn or defined before use,
distributions and functions that exist with the right number of arguments,
literal arguments inside their allowed ranges, vector sizes and indices that
are whole numbers within bounds. (``infer`` settings are checked by the runtime.) The
first mistake raises :class:`~ponder.lang.errors.ModelError` with its span.
Data files are checked later, when they are read (:mod:`ponder.runtime.data`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ponder.lang import ir, messages
from ponder.lang import syntax as ast
from ponder.lang.errors import ModelError, Span
from ponder.lang.library import Library, python_function

RESERVED = {"t", "dt", "time"}
def check(program: ast.Program, library: Library, default_name: str = "model") -> ir.ModelIR:
    """Check ``program`` against the distributions and functions of ``library`` and return its IR.

    Raises ModelError on the first mistake.
    """
    try:
        return _Checker(program, library, default_name).run()
    except ModelError as err:
        raise err.with_source(program.source) from None


@dataclass
class _Symbol:
    kind: str  # param, const, state, local, loop
    size: int  # 0 for scalars
    span: Span
    loop_range: tuple[int, int] | None = None


@dataclass
class _Scope:
    """Names visible at one point of a block, innermost last."""

    symbols: dict[str, _Symbol] = field(default_factory=dict)

    def child(self) -> "_Scope":
        return _Scope(dict(self.symbols))


class _Checker:
    def __init__(self, program: ast.Program, library: Library, default_name: str):
        self.program = program
        self.distributions = library.distributions
        self.functions = library.functions
        self.default_name = default_name
        self.globals: dict[str, _Symbol] = {}
        self.const_values: dict[str, float] = {}
        self.size_consts: dict[str, Span] = {}  # consts baked into sizes and steps
        self.spans: dict[str, Span] = {}

    # ------------------------------------------------------------ driver
    def run(self) -> ir.ModelIR:
        decls = self.program.declarations
        name = self._model_name(decls)
        self._single(decls, (ast.StepBlock, ast.OdeBlock), "dynamics block (`step` or `ode`)")
        self._single(decls, ast.T0Decl, "`t0`")
        self._single(decls, ast.InferBlock, "`infer` block")
        self.declared = {
            d.name: ("param" if isinstance(d, ast.ParamDecl) else "const" if isinstance(d, ast.ConstDecl) else "state", d.name_span)
            for d in decls
            if isinstance(d, (ast.ParamDecl, ast.ConstDecl, ast.StateDecl))
        }

        consts = self._consts([d for d in decls if isinstance(d, ast.ConstDecl)])
        params = self._params([d for d in decls if isinstance(d, ast.ParamDecl)])
        states = self._states([d for d in decls if isinstance(d, ast.StateDecl)])
        t0 = 0.0
        for d in decls:
            if isinstance(d, ast.T0Decl):
                t0 = self._constant(d.value, "`t0`")
        dynamics = None
        deterministic = all(s.init_dist is None for s in states)
        for d in decls:
            if isinstance(d, ast.StepBlock):
                dynamics = self._step(d)
                deterministic = deterministic and not _has_draw(dynamics.body)
            elif isinstance(d, ast.OdeBlock):
                dynamics = self._ode(d, states)
        observations = self._observations([d for d in decls if isinstance(d, ast.ObserveDecl)])
        datasets = self._datasets(decls)
        infer = self._infer([d for d in decls if isinstance(d, ast.InferBlock)])
        return ir.ModelIR(
            name=name,
            params=params,
            consts=consts,
            const_values=tuple(self.const_values[c.name] for c in consts),
            states=states,
            t0=t0,
            dynamics=dynamics,
            observations=observations,
            datasets=datasets,
            infer=infer,
            deterministic=deterministic,
            source=self.program.source,
            spans=self.spans,
        )

    def _model_name(self, decls) -> str:
        models = [d for d in decls if isinstance(d, ast.ModelDecl)]
        if len(models) > 1:
            raise messages.more_than_one_model(models[1].span, models[0].name)
        return models[0].name if models else self.default_name

    def _single(self, decls, kinds, what: str) -> None:
        found = [d for d in decls if isinstance(d, kinds)]
        if len(found) > 1:
            raise messages.more_than_one_block(what, found[1].span, found[0].span)

    # ------------------------------------------------------------ names
    def _declare(self, name: str, kind: str, size: int, span: Span) -> None:
        if name in RESERVED:
            raise messages.reserved_name(name, span)
        if name in self.globals:
            prev = self.globals[name]
            raise messages.declared_twice(name, span, prev.kind, prev.span)
        self.globals[name] = _Symbol(kind, size, span)
        self.spans[name] = span

    def _undefined(self, name: str, span: Span, scope: dict[str, _Symbol], later: dict[str, Span] | None = None,
                   updated: bool = False) -> ModelError:
        """The error for a name not in ``scope``; ``updated``: it is the target of ``+=`` etc., not defined later."""
        if later and name in later:
            return messages.used_before_defined(name, span, later[name])
        if name in self.distributions:
            return messages.distribution_as_value(name, span)
        if name in self.functions:
            return messages.function_as_value(name, span)
        if updated:
            return messages.undefined_name(name, span, scope, updated=True)
        return messages.undefined_name(name, span, list(scope) + ["t", "dt"])

    # ------------------------------------------------------------ constants
    def _consts(self, decls: list[ast.ConstDecl]) -> tuple[ir.Const, ...]:
        out = []
        for d in decls:
            scope = {k: v for k, v in self.globals.items() if v.kind == "const"}
            value = self._expr(d.value, scope, allow_time=False, what="a constant")
            self._declare(d.name, "const", 0, d.name_span)
            self.const_values[d.name] = _evaluate(value, self.const_values, d.value.span, self.functions)
            out.append(ir.Const(d.name, len(out), value))
        return tuple(out)

    def _constant(self, expr: ast.Expr, what: str) -> float:
        """Evaluate an expression of literals and constants now (sizes, steps, t0)."""
        scope = {k: v for k, v in self.globals.items() if v.kind == "const"}
        value = self._expr(expr, scope, allow_time=False, what=what)
        for name in _const_names(value):
            self.size_consts.setdefault(name, expr.span)
        return _evaluate(value, self.const_values, expr.span, self.functions)

    def _size(self, expr: ast.Expr | None) -> int:
        if expr is None:
            return 0
        value = self._constant(expr, "a vector size")
        if value != math.floor(value) or value < 1:
            raise messages.bad_vector_size(value, expr.span)
        return int(value)

    # ------------------------------------------------------------ parameters
    def _params(self, decls: list[ast.ParamDecl]) -> tuple[ir.Param, ...]:
        out, offset = [], 0
        for d in decls:
            size = self._size(d.size)
            scope = {k: v for k, v in self.globals.items() if v.kind in ("const", "param")}
            prior = self._dist(d.prior, scope, allow_time=False)
            dist = self.distributions[prior.name]
            if dist.discrete:
                raise messages.discrete_prior(d.name, prior.name, d.prior.name_span)
            self._declare(d.name, "param", size, d.name_span)
            out.append(ir.Param(d.name, size, offset, prior))
            offset += max(size, 1)
        return tuple(out)

    # ------------------------------------------------------------ states
    def _states(self, decls: list[ast.StateDecl]) -> tuple[ir.State, ...]:
        out, offset = [], 0
        for d in decls:
            size = self._size(d.size)
            scope = {k: v for k, v in self.globals.items() if v.kind in ("const", "param", "state")}
            if d.init_dist is not None:
                init, init_dist = None, self._dist(d.init_dist, scope, allow_time=True)
            else:
                init, init_dist = self._expr(d.init, scope, allow_time=True, what="an initial value"), None
            self._declare(d.name, "state", size, d.name_span)
            out.append(ir.State(d.name, size, offset, init, init_dist, d.is_accum))
            offset += max(size, 1)
        return tuple(out)

    # ------------------------------------------------------------ dynamics
    def _options(self, options: tuple[ast.Option, ...], allowed: dict[str, str], block: str) -> dict:
        values: dict[str, object] = {}
        for opt in options:
            if opt.name not in allowed:
                raise messages.unknown_block_option(block, opt.name, opt.span, allowed)
            if opt.name in values:
                raise messages.block_option_twice(opt.name, opt.span)
            kind = allowed[opt.name]
            if kind == "name":
                if isinstance(opt.value, ast.Name):
                    values[opt.name] = opt.value.name
                elif isinstance(opt.value, str):
                    values[opt.name] = opt.value
                else:
                    raise messages.block_option_takes_name(opt.name, opt.span)
            else:
                if isinstance(opt.value, str):
                    raise messages.block_option_takes_number(opt.name, opt.span)
                value = self._constant(opt.value, f"option `{opt.name}`")
                if not value > 0:
                    raise messages.block_option_not_positive(opt.name, value, opt.value.span)
                values[opt.name] = value
        return values

    def _step(self, block: ast.StepBlock) -> ir.StepDynamics:
        opts = self._options(block.options, {"dt": "number"}, "step")
        body = self._block(block.body, self._dynamics_scope(), in_ode=False)
        return ir.StepDynamics(float(opts.get("dt", 1.0)), body)

    def _ode(self, block: ast.OdeBlock, states: tuple[ir.State, ...]) -> ir.OdeDynamics:
        opts = self._options(
            block.options,
            {"solver": "name", "dt": "number", "rtol": "number", "atol": "number", "max_steps": "number"},
            "ode",
        )
        solver = str(opts.get("solver", "rk45"))
        if solver not in ("rk45", "rk4"):
            span = next(o.span for o in block.options if o.name == "solver")
            raise messages.unknown_ode_solver(solver, span)
        if solver == "rk4" and "dt" not in opts:
            raise messages.rk4_needs_step(block.span)
        body = self._block(block.body, self._dynamics_scope(), in_ode=True)
        derived = {s.target.name for s in body if isinstance(s, ir.Deriv)}
        if not derived:
            raise messages.ode_without_derivative(block.span)
        return ir.OdeDynamics(
            solver=solver,
            dt=float(opts.get("dt", 0.01)),
            rtol=float(opts.get("rtol", 1e-6)),
            atol=float(opts.get("atol", 1e-9)),
            max_steps=int(opts.get("max_steps", 100000)),
            body=body,
        )

    def _dynamics_scope(self) -> _Scope:
        return _Scope({k: v for k, v in self.globals.items()})

    def _block(self, stmts, scope: _Scope, in_ode: bool) -> tuple[ir.IStmt, ...]:
        later = _definitions(stmts)
        out = []
        for stmt in stmts:
            out.append(self._statement(stmt, scope, in_ode, later))
        return tuple(out)

    def _statement(self, stmt, scope: _Scope, in_ode: bool, later: dict[str, Span]) -> ir.IStmt:
        if isinstance(stmt, ast.Draw):
            if in_ode:
                raise messages.draw_in_ode(stmt.span)
            dist = self._dist(stmt.dist, scope.symbols, allow_time=True, later=later)
            target, new = self._target(stmt.target, scope, later, allow_new=True, op="~")
            return ir.Sample(target, dist, new)
        if isinstance(stmt, ast.Assign):
            value = self._expr(stmt.value, scope.symbols, allow_time=True, later=later, what="a value")
            if in_ode and stmt.target.name in scope.symbols and scope.symbols[stmt.target.name].kind == "state":
                raise messages.state_assigned_in_ode(stmt.target.name, stmt.target.span)
            target, new = self._target(stmt.target, scope, later, allow_new=stmt.op == "=", op=stmt.op)
            if new:
                return ir.Let(target.name, value)
            return ir.Set(target, stmt.op, value)
        if isinstance(stmt, ast.Derivative):
            sym = scope.symbols.get(stmt.target.name)
            if sym is not None and sym.kind in ("param", "const"):
                raise messages.derivative_of_fixed(stmt.target.name, sym.kind, stmt.target.span)
            if sym is None or sym.kind != "state":
                states = [k for k, v in scope.symbols.items() if v.kind == "state"]
                raise messages.derivative_needs_state(stmt.target.name, stmt.target.span, states)
            target, _ = self._target(stmt.target, scope, later, allow_new=False, op="d")
            value = self._expr(stmt.value, scope.symbols, allow_time=True, later=later, what="a derivative")
            return ir.Deriv(target, value)
        if isinstance(stmt, ast.If):
            cond = self._expr(stmt.cond, scope.symbols, allow_time=True, later=later, what="a condition")
            then_scope = scope.child()
            then = self._block(stmt.then, then_scope, in_ode)
            else_scope = scope.child()
            orelse = self._block(stmt.orelse, else_scope, in_ode) if stmt.orelse is not None else ()
            if stmt.orelse is not None:
                # A local defined on both branches is defined after the `if`.
                for name in set(then_scope.symbols) & set(else_scope.symbols) - set(scope.symbols):
                    if then_scope.symbols[name].kind == "local":
                        scope.symbols[name] = then_scope.symbols[name]
            return ir.IfS(cond, then, orelse)
        if isinstance(stmt, ast.For):
            start = self._loop_bound(stmt.start)
            stop = self._loop_bound(stmt.stop)
            if stop <= start:
                raise messages.loop_never_runs(stmt.var, start, stop, stmt.span)
            if stmt.var in scope.symbols or stmt.var in RESERVED:
                raise messages.loop_variable_hides_name(stmt.var, stmt.var_span)
            inner = scope.child()
            inner.symbols[stmt.var] = _Symbol("loop", 0, stmt.var_span, (start, stop))
            body = self._block(stmt.body, inner, in_ode)
            return ir.Loop(stmt.var, start, stop, body)
        raise AssertionError(f"unknown statement {stmt!r}")

    def _loop_bound(self, expr: ast.Expr) -> int:
        value = self._constant(expr, "a loop bound")
        if value != math.floor(value):
            raise messages.not_a_whole_number("a loop bound", value, expr.span)
        return int(value)

    def _target(self, target: ast.Target, scope: _Scope, later, allow_new: bool, op: str):
        sym = scope.symbols.get(target.name)
        if sym is None:
            if target.name in RESERVED:
                raise messages.cannot_assign_time(target.name, target.span)
            if not allow_new:
                updated = op in ("+=", "-=", "*=", "/=") and target.name not in later
                raise self._undefined(target.name, target.name_span, scope.symbols,
                                      {k: v for k, v in later.items() if k != target.name}, updated=updated)
            if target.index is not None:
                raise messages.not_a_vector(target.name, target.span, local=True)
            scope.symbols[target.name] = _Symbol("local", 0, target.span)
            return ir.Ref("local", target.name), True
        if sym.kind in ("param", "const"):
            raise messages.cannot_assign_fixed(target.name, sym.kind, target.name_span)
        if sym.kind == "loop":
            raise messages.cannot_assign_loop_variable(target.name, target.name_span)
        index = self._index(target.name, sym, target.index, target.span, scope.symbols, later)
        return ir.Ref(sym.kind, target.name, index), False

    # ------------------------------------------------------------ observations
    def _observations(self, decls: list[ast.ObserveDecl]) -> tuple[ir.Observation, ...]:
        out, seen = [], {}
        scope = {k: v for k, v in self.globals.items()}
        for d in decls:
            if d.column in seen:
                raise messages.column_observed_twice(d.column, d.column_span, seen[d.column])
            if d.column == "time":
                raise messages.time_is_not_an_observation(d.column_span)
            seen[d.column] = d.span
            self.spans["observe:" + d.column] = d.column_span
            out.append(ir.Observation(d.column, self._dist(d.dist, scope, allow_time=True)))
        return tuple(out)

    # ------------------------------------------------------------ data
    def _datasets(self, decls) -> tuple[ir.DatasetSpec, ...]:
        out = []
        for d in decls:
            if isinstance(d, ast.DataDecl):
                out.append(ir.DatasetSpec(d.path, (), d.span, _is_glob(d.path)))
            elif isinstance(d, ast.ReplicateDecl):
                overrides = {}
                for o in d.overrides:
                    sym = self.globals.get(o.name)
                    if sym is None or sym.kind != "const":
                        consts = [k for k, v in self.globals.items() if v.kind == "const"]
                        raise messages.override_not_a_constant(o.name, o.name_span, consts)
                    if o.name in self.size_consts:
                        raise messages.override_of_a_size(o.name, o.name_span, self.size_consts[o.name])
                    if o.name in overrides:
                        raise messages.overridden_twice(o.name, o.name_span)
                    overrides[o.name] = self._constant(o.value, "an override")
                out.append(ir.DatasetSpec(d.path, tuple(overrides.items()), d.span, _is_glob(d.path)))
        return tuple(out)

    # ------------------------------------------------------------ infer
    def _infer(self, blocks: list[ast.InferBlock]) -> tuple[tuple[str, object], ...]:
        """The ``infer`` settings as plain values: a word, a number, or a range ``(lo, hi)``.

        Which keys exist and what each takes is the runtime's to say (run
        settings and the declared options of samplers and likelihoods:
        :mod:`ponder.runtime.settings`), with the key's span kept in
        ``spans["infer:KEY"]`` for its messages.
        """
        out: dict[str, object] = {}
        for block in blocks:
            for s in block.settings:
                if s.key in out:
                    raise messages.setting_twice(s.key, s.key_span)
                out[s.key] = self._infer_value(s)
                self.spans["infer:" + s.key] = s.key_span
                self.spans["infer-value:" + s.key] = s.span
        return tuple(out.items())

    def _infer_value(self, s: ast.InferSetting):
        if s.kind == "string":
            return s.value
        if s.kind == "expr" and isinstance(s.value, ast.Name) and s.value.name not in self.const_values:
            return s.value.name
        if s.kind == "range":
            return tuple(self._whole(v, s.key) for v in s.value)
        value = self._constant(s.value, f"`{s.key}`")
        return int(value) if math.isfinite(value) and value == math.floor(value) and abs(value) < 2**63 else value

    def _whole(self, expr: ast.Expr, key: str) -> int:
        value = self._constant(expr, f"`{key}`")
        if value != math.floor(value):
            raise messages.not_a_whole_number(f"`{key}`", value, expr.span)
        return int(value)

    # ------------------------------------------------------------ expressions
    def _dist(self, call: ast.DistCall, scope, allow_time: bool, later=None) -> ir.Dist:
        dist = self.distributions.get(call.name)
        if dist is None:
            if call.name in self.functions:
                raise messages.function_as_distribution(call.name, call.name_span)
            raise messages.unknown_distribution(call.name, call.name_span, self.distributions)
        if len(call.args) != dist.arity:
            raise messages.distribution_arity(call.name, dist.params, len(call.args), call.span)
        args = []
        for arg, pname, bounds in zip(call.args, dist.params, dist.param_bounds):
            value = self._expr(arg, scope, allow_time=allow_time, later=later, what="an argument")
            literal = _literal(value)
            if literal is not None and not bounds.contains(literal):
                raise messages.argument_out_of_range(
                    pname, call.name, bounds.describe(), literal, dist.params, arg.span
                )
            args.append(value)
        return ir.Dist(call.name, tuple(args))

    def _expr(self, e: ast.Expr, scope, allow_time: bool, what: str = "a value", later=None) -> ir.IExpr:
        rec = lambda x: self._expr(x, scope, allow_time, what, later)  # noqa: E731
        if isinstance(e, ast.Number):
            return ir.Num(e.value)
        if isinstance(e, ast.Name):
            if e.name in ("t", "dt"):
                if not allow_time:
                    raise messages.time_not_allowed(e.name, what, e.span)
                return ir.Ref("time" if e.name == "t" else "dt", e.name)
            sym = scope.get(e.name)
            if sym is None:
                if e.name in self.declared:
                    return self._not_here(e.name, e.span, what)
                raise self._undefined(e.name, e.span, scope, later)
            if sym.size:
                raise messages.vector_needs_index(e.name, sym.size, e.span)
            return ir.Ref(sym.kind, e.name)
        if isinstance(e, ast.Index):
            sym = scope.get(e.name)
            if sym is None:
                if e.name in self.declared:
                    return self._not_here(e.name, e.name_span, what)
                raise self._undefined(e.name, e.name_span, scope, later)
            index = self._index(e.name, sym, e.index, e.span, scope, later)
            return ir.Ref(sym.kind, e.name, index)
        if isinstance(e, ast.Call):
            fn = self.functions.get(e.name)
            if fn is None:
                if e.name in self.distributions:
                    raise messages.distribution_as_function(e.name, e.name_span)
                raise messages.unknown_function(e.name, e.name_span, self.functions)
            if not fn.accepts(len(e.args)):
                raise messages.function_arity(e.name, fn.describe_arity(), len(e.args), e.span)
            return ir.Apply(e.name, tuple(rec(a) for a in e.args))
        if isinstance(e, ast.Unary):
            return ir.Op(e.op, (rec(e.operand),))
        if isinstance(e, ast.Binary):
            return ir.Op(e.op, (rec(e.left), rec(e.right)))
        if isinstance(e, ast.IfExpr):
            return ir.Cond(rec(e.cond), rec(e.then), rec(e.orelse))
        raise AssertionError(f"unknown expression {e!r}")

    def _not_here(self, name: str, span: Span, what: str):
        kind, decl_span = self.declared[name]
        if kind == "state":
            raise messages.state_not_allowed(name, what, span)
        if kind == "param" and name in self.globals:
            raise messages.parameter_not_allowed(name, what, span)
        raise messages.used_before_declared(name, span, decl_span)

    def _index(self, name: str, sym: _Symbol, index: ast.Expr | None, span: Span, scope, later) -> ir.IExpr | None:
        if index is None:
            if sym.size:
                raise messages.vector_needs_index(name, sym.size, span, target=True)
            return None
        if not sym.size:
            raise messages.not_a_vector(name, span)
        value = self._expr(index, scope, allow_time=False, what="an index", later=later)
        lo, hi = _index_range(value, scope, index.span)
        if lo < 0 or hi >= sym.size:
            raise messages.index_out_of_range(name, lo, hi, sym.size, index.span)
        return value


# ------------------------------------------------------------ helpers
def _is_glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def _literal(expr: ir.IExpr) -> float | None:
    if isinstance(expr, ir.Num):
        return expr.value
    if isinstance(expr, ir.Op) and expr.op == "-" and len(expr.args) == 1 and isinstance(expr.args[0], ir.Num):
        return -expr.args[0].value
    return None


def _const_names(expr: ir.IExpr) -> set[str]:
    if isinstance(expr, ir.Ref):
        return {expr.name} if expr.kind == "const" else set()
    children = ()
    if isinstance(expr, (ir.Apply, ir.Op)):
        children = expr.args
    elif isinstance(expr, ir.Cond):
        children = (expr.cond, expr.then, expr.orelse)
    out: set[str] = set()
    for c in children:
        out |= _const_names(c)
    return out


def _index_range(expr: ir.IExpr, scope, span: Span) -> tuple[int, int]:
    """The smallest and largest value an index can take, or a ModelError.

    Indices are whole numbers and loop variables combined with ``+ - *``,
    so their range is known before the model runs and generated kernels
    never index out of bounds.
    """
    if isinstance(expr, ir.Num):
        if expr.value != math.floor(expr.value):
            raise messages.not_a_whole_number("an index", expr.value, span)
        return int(expr.value), int(expr.value)
    if isinstance(expr, ir.Ref) and expr.kind == "loop":
        lo, hi = scope[expr.name].loop_range
        return lo, hi - 1
    if isinstance(expr, ir.Op) and expr.op == "-" and len(expr.args) == 1:
        lo, hi = _index_range(expr.args[0], scope, span)
        return -hi, -lo
    if isinstance(expr, ir.Op) and expr.op in ("+", "-", "*") and len(expr.args) == 2:
        a = _index_range(expr.args[0], scope, span)
        b = _index_range(expr.args[1], scope, span)
        if expr.op == "+":
            return a[0] + b[0], a[1] + b[1]
        if expr.op == "-":
            return a[0] - b[1], a[1] - b[0]
        products = [x * y for x in a for y in b]
        return min(products), max(products)
    raise messages.index_not_static(span)


def _definitions(stmts) -> dict[str, Span]:
    """Names that a block defines (drawn or assigned with `=`), with their spans."""
    out: dict[str, Span] = {}
    for s in stmts:
        if isinstance(s, (ast.Draw, ast.Assign)) and (isinstance(s, ast.Draw) or s.op == "="):
            out.setdefault(s.target.name, s.target.span)
    return out


def _has_draw(stmts) -> bool:
    for s in stmts:
        if isinstance(s, ir.Sample):
            return True
        if isinstance(s, ir.IfS) and (_has_draw(s.then) or _has_draw(s.orelse)):
            return True
        if isinstance(s, ir.Loop) and _has_draw(s.body):
            return True
    return False


_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b != 0 else math.copysign(math.inf, a) if a != 0 else math.nan,
    "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b),
    ">": lambda a, b: float(a > b),
    ">=": lambda a, b: float(a >= b),
    "==": lambda a, b: float(a == b),
    "!=": lambda a, b: float(a != b),
    "and": lambda a, b: float(bool(a) and bool(b)),
    "or": lambda a, b: float(bool(a) or bool(b)),
}


def _evaluate(expr: ir.IExpr, consts: dict[str, float], span: Span, functions) -> float:
    """Evaluate a constant expression in Python (no ``eval``: a tree walk); ``a ^ b`` is ``pow(a, b)``."""
    if isinstance(expr, ir.Num):
        return expr.value
    if isinstance(expr, ir.Ref):
        return consts[expr.name]
    if isinstance(expr, ir.Apply):
        args = [_evaluate(a, consts, span, functions) for a in expr.args]
        return float(python_function(functions[expr.fn].impl)(*args))
    if isinstance(expr, ir.Cond):
        return _evaluate(expr.then if _evaluate(expr.cond, consts, span, functions) else expr.orelse, consts, span, functions)
    if isinstance(expr, ir.Op):
        args = [_evaluate(a, consts, span, functions) for a in expr.args]
        if len(args) == 1:
            return -args[0] if expr.op == "-" else float(not args[0])
        try:
            if expr.op == "^":
                return float(python_function(functions["pow"].impl)(*args))
            return float(_BINARY[expr.op](*args))
        except OverflowError:
            raise messages.constant_overflows(span) from None
    raise AssertionError(expr)
