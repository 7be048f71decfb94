"""Check a syntax tree: the first of the two passes from :mod:`ponder.lang.syntax` to :mod:`ponder.lang.ir`.

:func:`check` runs both passes in order: :func:`check_program` (this module)
checks the tree and resolves it, then :func:`ponder.lang.lower.lower` builds
the IR from the tree and what the check established. Every user-facing
check is here; lowering makes none.

The checks, in the order a reader meets them in a file: one model name, one
dynamics block, names declared once and used after they are declared,
parameters and constants never assigned, locals drawn or defined before use,
distributions and functions that exist with the right number of arguments,
literal arguments inside their allowed ranges, vector sizes and indices that
are whole numbers within bounds. (``infer`` settings are checked by the runtime.) The
first mistake raises :class:`~ponder.lang.errors.ModelError` with its span.
Data files are checked later, when they are read (:mod:`ponder.runtime.data`).

On the way the check resolves what lowering needs, returned as a
:class:`~ponder.lang.lower.Checked`: what each name refers to, which
targets define a new local, the size of each declaration, and constants,
sizes, loop bounds, ``t0``, block options, replicate overrides and ``infer``
values folded to numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ponder.lang import ir, messages
from ponder.lang import syntax as ast
from ponder.lang.errors import ModelError, Span
from ponder.lang.library import Library, python_function
from ponder.lang.lower import Checked, lower

RESERVED = {"t", "dt", "time"}


def check(program: ast.Program, library: Library, default_name: str = "model") -> ir.ModelIR:
    """Check ``program`` against the distributions and functions of ``library`` and return its IR.

    The two passes: :func:`check_program`, then :func:`~ponder.lang.lower.lower`.
    Raises ModelError on the first mistake.
    """
    return lower(program, check_program(program, library, default_name))


def check_program(program: ast.Program, library: Library, default_name: str = "model") -> Checked:
    """Check ``program`` against ``library``; return what lowering needs. Raises ModelError on the first mistake."""
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
        # what lowering needs, filled in as the checks meet each node
        self.kinds: dict[object, str] = {}
        self.new_locals: set[ast.Target] = set()
        self.loops: dict[ast.For, tuple[int, int]] = {}
        self.t0 = 0.0
        self.options: dict[str, object] = {}
        self.overrides: dict[ast.ReplicateDecl, tuple[tuple[str, float], ...]] = {}

    # ------------------------------------------------------------ driver
    def run(self) -> Checked:
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

        self._consts([d for d in decls if isinstance(d, ast.ConstDecl)])
        self._params([d for d in decls if isinstance(d, ast.ParamDecl)])
        self._states([d for d in decls if isinstance(d, ast.StateDecl)])
        for d in decls:
            if isinstance(d, ast.T0Decl):
                self.t0 = self._constant(d.value, "`t0`")
        for d in decls:
            if isinstance(d, ast.StepBlock):
                self._step(d)
            elif isinstance(d, ast.OdeBlock):
                self._ode(d)
        self._observations([d for d in decls if isinstance(d, ast.ObserveDecl)])
        self._datasets(decls)
        infer = self._infer([d for d in decls if isinstance(d, ast.InferBlock)])
        return Checked(
            name=name,
            sizes={k: v.size for k, v in self.globals.items()},
            const_values=self.const_values,
            kinds=self.kinds,
            new_locals=frozenset(self.new_locals),
            loops=self.loops,
            t0=self.t0,
            options=self.options,
            overrides=self.overrides,
            infer=infer,
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
    def _consts(self, decls: list[ast.ConstDecl]) -> None:
        for d in decls:
            scope = {k: v for k, v in self.globals.items() if v.kind == "const"}
            self._expr(d.value, scope, allow_time=False, what="a constant")
            self._declare(d.name, "const", 0, d.name_span)
            self.const_values[d.name] = self._evaluate(d.value, d.value.span)

    def _constant(self, expr: ast.Expr, what: str) -> float:
        """Evaluate an expression of literals and constants now (sizes, steps, t0)."""
        scope = {k: v for k, v in self.globals.items() if v.kind == "const"}
        self._expr(expr, scope, allow_time=False, what=what)
        # ir.walk visits any tree of frozen dataclasses, the syntax tree included
        for node in ir.walk(expr):
            if isinstance(node, ast.Name) and self.kinds[node] == "const":
                self.size_consts.setdefault(node.name, expr.span)
        return self._evaluate(expr, expr.span)

    def _size(self, expr: ast.Expr | None) -> int:
        if expr is None:
            return 0
        value = self._constant(expr, "a vector size")
        if value != math.floor(value) or value < 1:
            raise messages.bad_vector_size(value, expr.span)
        return int(value)

    # ------------------------------------------------------------ parameters
    def _params(self, decls: list[ast.ParamDecl]) -> None:
        for d in decls:
            size = self._size(d.size)
            scope = {k: v for k, v in self.globals.items() if v.kind in ("const", "param")}
            self._dist(d.prior, scope, allow_time=False)
            if self.distributions[d.prior.name].discrete:
                raise messages.discrete_prior(d.name, d.prior.name, d.prior.name_span)
            self._declare(d.name, "param", size, d.name_span)

    # ------------------------------------------------------------ states
    def _states(self, decls: list[ast.StateDecl]) -> None:
        for d in decls:
            size = self._size(d.size)
            scope = {k: v for k, v in self.globals.items() if v.kind in ("const", "param", "state")}
            if d.init_dist is not None:
                self._dist(d.init_dist, scope, allow_time=True)
            else:
                self._expr(d.init, scope, allow_time=True, what="an initial value")
            self._declare(d.name, "state", size, d.name_span)

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

    def _step(self, block: ast.StepBlock) -> None:
        opts = self._options(block.options, {"dt": "number"}, "step")
        self._block(block.body, self._dynamics_scope(), in_ode=False)
        self.options = {"dt": float(opts.get("dt", 1.0))}

    def _ode(self, block: ast.OdeBlock) -> None:
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
        self._block(block.body, self._dynamics_scope(), in_ode=True)
        if not any(isinstance(s, ast.Derivative) for s in block.body):
            raise messages.ode_without_derivative(block.span)
        self.options = {
            "solver": solver,
            "dt": float(opts.get("dt", 0.01)),
            "rtol": float(opts.get("rtol", 1e-6)),
            "atol": float(opts.get("atol", 1e-9)),
            "max_steps": int(opts.get("max_steps", 100000)),
        }

    def _dynamics_scope(self) -> _Scope:
        return _Scope({k: v for k, v in self.globals.items()})

    def _block(self, stmts, scope: _Scope, in_ode: bool) -> None:
        later = _definitions(stmts)
        for stmt in stmts:
            self._statement(stmt, scope, in_ode, later)

    def _statement(self, stmt, scope: _Scope, in_ode: bool, later: dict[str, Span]) -> None:
        if isinstance(stmt, ast.Draw):
            if in_ode:
                raise messages.draw_in_ode(stmt.span)
            self._dist(stmt.dist, scope.symbols, allow_time=True, later=later)
            self._target(stmt.target, scope, later, allow_new=True, op="~")
        elif isinstance(stmt, ast.Assign):
            self._expr(stmt.value, scope.symbols, allow_time=True, later=later, what="a value")
            if in_ode and stmt.target.name in scope.symbols and scope.symbols[stmt.target.name].kind == "state":
                raise messages.state_assigned_in_ode(stmt.target.name, stmt.target.span)
            self._target(stmt.target, scope, later, allow_new=stmt.op == "=", op=stmt.op)
        elif isinstance(stmt, ast.Derivative):
            sym = scope.symbols.get(stmt.target.name)
            if sym is not None and sym.kind in ("param", "const"):
                raise messages.derivative_of_fixed(stmt.target.name, sym.kind, stmt.target.span)
            if sym is None or sym.kind != "state":
                states = [k for k, v in scope.symbols.items() if v.kind == "state"]
                raise messages.derivative_needs_state(stmt.target.name, stmt.target.span, states)
            self._target(stmt.target, scope, later, allow_new=False, op="d")
            self._expr(stmt.value, scope.symbols, allow_time=True, later=later, what="a derivative")
        elif isinstance(stmt, ast.If):
            self._expr(stmt.cond, scope.symbols, allow_time=True, later=later, what="a condition")
            then_scope = scope.child()
            self._block(stmt.then, then_scope, in_ode)
            else_scope = scope.child()
            if stmt.orelse is not None:
                self._block(stmt.orelse, else_scope, in_ode)
                # A local defined on both branches is defined after the `if`.
                for name in set(then_scope.symbols) & set(else_scope.symbols) - set(scope.symbols):
                    if then_scope.symbols[name].kind == "local":
                        scope.symbols[name] = then_scope.symbols[name]
        elif isinstance(stmt, ast.For):
            start = self._loop_bound(stmt.start)
            stop = self._loop_bound(stmt.stop)
            if stop <= start:
                raise messages.loop_never_runs(stmt.var, start, stop, stmt.span)
            if stmt.var in scope.symbols or stmt.var in RESERVED:
                raise messages.loop_variable_hides_name(stmt.var, stmt.var_span)
            self.loops[stmt] = (start, stop)
            inner = scope.child()
            inner.symbols[stmt.var] = _Symbol("loop", 0, stmt.var_span, (start, stop))
            self._block(stmt.body, inner, in_ode)
        else:
            raise AssertionError(f"unknown statement {stmt!r}")

    def _loop_bound(self, expr: ast.Expr) -> int:
        value = self._constant(expr, "a loop bound")
        if value != math.floor(value):
            raise messages.not_a_whole_number("a loop bound", value, expr.span)
        return int(value)

    def _target(self, target: ast.Target, scope: _Scope, later, allow_new: bool, op: str) -> None:
        """Resolve the target of a draw, assignment or derivative; a new name defines a local."""
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
            self.kinds[target] = "local"
            self.new_locals.add(target)
            return
        if sym.kind in ("param", "const"):
            raise messages.cannot_assign_fixed(target.name, sym.kind, target.name_span)
        if sym.kind == "loop":
            raise messages.cannot_assign_loop_variable(target.name, target.name_span)
        self._index(target.name, sym, target.index, target.span, scope.symbols, later)
        self.kinds[target] = sym.kind

    # ------------------------------------------------------------ observations
    def _observations(self, decls: list[ast.ObserveDecl]) -> None:
        seen = {}
        scope = {k: v for k, v in self.globals.items()}
        for d in decls:
            if d.column in seen:
                raise messages.column_observed_twice(d.column, d.column_span, seen[d.column])
            if d.column == "time":
                raise messages.time_is_not_an_observation(d.column_span)
            seen[d.column] = d.span
            self.spans["observe:" + d.column] = d.column_span
            self._dist(d.dist, scope, allow_time=True)

    # ------------------------------------------------------------ data
    def _datasets(self, decls) -> None:
        for d in decls:
            if isinstance(d, ast.ReplicateDecl):
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
                self.overrides[d] = tuple(overrides.items())

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
    def _dist(self, call: ast.DistCall, scope, allow_time: bool, later=None) -> None:
        dist = self.distributions.get(call.name)
        if dist is None:
            if call.name in self.functions:
                raise messages.function_as_distribution(call.name, call.name_span)
            raise messages.unknown_distribution(call.name, call.name_span, self.distributions)
        if len(call.args) != dist.arity:
            raise messages.distribution_arity(call.name, dist.params, len(call.args), call.span)
        for arg, pname, bounds in zip(call.args, dist.params, dist.param_bounds):
            self._expr(arg, scope, allow_time=allow_time, later=later, what="an argument")
            literal = _literal(arg)
            if literal is not None and not bounds.contains(literal):
                raise messages.argument_out_of_range(
                    pname, call.name, bounds.describe(), literal, dist.params, arg.span
                )

    def _expr(self, e: ast.Expr, scope, allow_time: bool, what: str = "a value", later=None) -> None:
        """Check an expression in ``scope``, children left to right, and record what each name refers to."""
        rec = lambda x: self._expr(x, scope, allow_time, what, later)  # noqa: E731
        if isinstance(e, ast.Number):
            return
        if isinstance(e, ast.Name):
            if e.name in ("t", "dt"):
                if not allow_time:
                    raise messages.time_not_allowed(e.name, what, e.span)
                self.kinds[e] = "time" if e.name == "t" else "dt"
                return
            sym = scope.get(e.name)
            if sym is None:
                if e.name in self.declared:
                    self._not_here(e.name, e.span, what)
                raise self._undefined(e.name, e.span, scope, later)
            if sym.size:
                raise messages.vector_needs_index(e.name, sym.size, e.span)
            self.kinds[e] = sym.kind
        elif isinstance(e, ast.Index):
            sym = scope.get(e.name)
            if sym is None:
                if e.name in self.declared:
                    self._not_here(e.name, e.name_span, what)
                raise self._undefined(e.name, e.name_span, scope, later)
            self._index(e.name, sym, e.index, e.span, scope, later)
            self.kinds[e] = sym.kind
        elif isinstance(e, ast.Call):
            fn = self.functions.get(e.name)
            if fn is None:
                if e.name in self.distributions:
                    raise messages.distribution_as_function(e.name, e.name_span)
                raise messages.unknown_function(e.name, e.name_span, self.functions)
            if not fn.accepts(len(e.args)):
                raise messages.function_arity(e.name, fn.describe_arity(), len(e.args), e.span)
            for a in e.args:
                rec(a)
        elif isinstance(e, ast.Unary):
            rec(e.operand)
        elif isinstance(e, ast.Binary):
            rec(e.left)
            rec(e.right)
        elif isinstance(e, ast.IfExpr):
            rec(e.cond)
            rec(e.then)
            rec(e.orelse)
        else:
            raise AssertionError(f"unknown expression {e!r}")

    def _not_here(self, name: str, span: Span, what: str):
        """Raise the error for a declared name used where it is not visible."""
        kind, decl_span = self.declared[name]
        if kind == "state":
            raise messages.state_not_allowed(name, what, span)
        if kind == "param" and name in self.globals:
            raise messages.parameter_not_allowed(name, what, span)
        raise messages.used_before_declared(name, span, decl_span)

    def _index(self, name: str, sym: _Symbol, index: ast.Expr | None, span: Span, scope, later) -> None:
        if index is None:
            if sym.size:
                raise messages.vector_needs_index(name, sym.size, span, target=True)
            return
        if not sym.size:
            raise messages.not_a_vector(name, span)
        self._expr(index, scope, allow_time=False, what="an index", later=later)
        lo, hi = self._index_range(index, scope, index.span)
        if lo < 0 or hi >= sym.size:
            raise messages.index_out_of_range(name, lo, hi, sym.size, index.span)

    def _index_range(self, e: ast.Expr, scope, span: Span) -> tuple[int, int]:
        """The smallest and largest value a checked index can take, or a ModelError.

        Indices are whole numbers and loop variables combined with ``+ - *``,
        so their range is known before the model runs and generated kernels
        never index out of bounds.
        """
        if isinstance(e, ast.Number):
            if e.value != math.floor(e.value):
                raise messages.not_a_whole_number("an index", e.value, span)
            return int(e.value), int(e.value)
        if isinstance(e, ast.Name) and self.kinds[e] == "loop":
            lo, hi = scope[e.name].loop_range
            return lo, hi - 1
        if isinstance(e, ast.Unary) and e.op == "-":
            lo, hi = self._index_range(e.operand, scope, span)
            return -hi, -lo
        if isinstance(e, ast.Binary) and e.op in ("+", "-", "*"):
            a = self._index_range(e.left, scope, span)
            b = self._index_range(e.right, scope, span)
            if e.op == "+":
                return a[0] + b[0], a[1] + b[1]
            if e.op == "-":
                return a[0] - b[1], a[1] - b[0]
            products = [x * y for x in a for y in b]
            return min(products), max(products)
        raise messages.index_not_static(span)

    def _evaluate(self, e: ast.Expr, span: Span) -> float:
        """Fold a checked constant expression in Python (no ``eval``: a tree walk); ``a ^ b`` is ``pow(a, b)``."""
        rec = lambda x: self._evaluate(x, span)  # noqa: E731
        if isinstance(e, ast.Number):
            return e.value
        if isinstance(e, ast.Name):
            return self.const_values[e.name]
        if isinstance(e, ast.Call):
            args = [rec(a) for a in e.args]
            return float(python_function(self.functions[e.name].impl)(*args))
        if isinstance(e, ast.IfExpr):
            return rec(e.then if rec(e.cond) else e.orelse)
        if isinstance(e, ast.Unary):
            value = rec(e.operand)
            return -value if e.op == "-" else float(not value)
        if isinstance(e, ast.Binary):
            args = [rec(e.left), rec(e.right)]
            try:
                if e.op == "^":
                    return float(python_function(self.functions["pow"].impl)(*args))
                return float(_BINARY[e.op](*args))
            except OverflowError:
                raise messages.constant_overflows(span) from None
        raise AssertionError(e)


# ------------------------------------------------------------ helpers
def _literal(expr: ast.Expr) -> float | None:
    """The value of a number written as such (``2``, ``-2``), else None."""
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Unary) and expr.op == "-" and isinstance(expr.operand, ast.Number):
        return -expr.operand.value
    return None


def _definitions(stmts) -> dict[str, Span]:
    """Names that a block defines (drawn or assigned with `=`), with their spans."""
    out: dict[str, Span] = {}
    for s in stmts:
        if isinstance(s, (ast.Draw, ast.Assign)) and (isinstance(s, ast.Draw) or s.op == "="):
            out.setdefault(s.target.name, s.target.span)
    return out


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
