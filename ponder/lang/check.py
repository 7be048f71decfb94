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

from ponder.lang import ir
from ponder.lang import syntax as ast
from ponder.lang.errors import ModelError, Span, did_you_mean, one_of
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
            raise ModelError(
                "a file holds one model", models[1].span, hint=f"the model is already named `{models[0].name}`"
            )
        return models[0].name if models else self.default_name

    def _single(self, decls, kinds, what: str) -> None:
        found = [d for d in decls if isinstance(d, kinds)]
        if len(found) > 1:
            first = found[0].span
            raise ModelError(
                f"the model has more than one {what}",
                found[1].span,
                hint=f"the first one is on line {first.line}; merge them into one",
            )

    # ------------------------------------------------------------ names
    def _declare(self, name: str, kind: str, size: int, span: Span) -> None:
        if name in RESERVED:
            raise ModelError(
                f"`{name}` is reserved", span, hint="`t` is the time, `dt` the step length; choose another name"
            )
        if name in self.globals:
            prev = self.globals[name]
            raise ModelError(
                f"`{name}` is declared twice",
                span,
                hint=f"it is already a {prev.kind} on line {prev.span.line}",
            )
        self.globals[name] = _Symbol(kind, size, span)
        self.spans[name] = span

    def _undefined(self, name: str, span: Span, scope: dict[str, _Symbol], later: dict[str, Span] | None = None):
        if later and name in later:
            where = later[name]
            return ModelError(
                f"`{name}` is used before it is defined",
                span,
                hint=f"`{name}` is drawn or assigned on line {where.line}; move that line above this use",
            )
        if name in self.distributions:
            return ModelError(
                f"`{name}` is a distribution, not a value",
                span,
                hint=f"draw from it with `x ~ {name}(...)`",
            )
        if name in self.functions:
            return ModelError(f"`{name}` is a function", span, hint=f"call it: `{name}(...)`")
        return ModelError(
            f"undefined name `{name}`",
            span,
            hint=did_you_mean(name, list(scope) + ["t", "dt"]),
        )

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
            raise ModelError(
                f"a vector size must be a whole number of at least 1, not {value:g}",
                expr.span,
                hint="write a size such as `[3]`, or a `const` that holds one",
            )
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
                raise ModelError(
                    f"the prior of `{d.name}` is the discrete distribution `{prior.name}`",
                    d.prior.name_span,
                    hint="parameters are continuous; use a continuous prior such as `Uniform` or `Gamma`",
                )
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
                raise ModelError(
                    f"`{block}` has no option `{opt.name}`",
                    opt.span,
                    hint=did_you_mean(opt.name, allowed) or f"options are {one_of(allowed)}",
                )
            if opt.name in values:
                raise ModelError(f"option `{opt.name}` is given twice", opt.span)
            kind = allowed[opt.name]
            if kind == "name":
                if isinstance(opt.value, ast.Name):
                    values[opt.name] = opt.value.name
                elif isinstance(opt.value, str):
                    values[opt.name] = opt.value
                else:
                    raise ModelError(f"option `{opt.name}` takes a name", opt.span)
            else:
                if isinstance(opt.value, str):
                    raise ModelError(f"option `{opt.name}` takes a number, not a string", opt.span)
                value = self._constant(opt.value, f"option `{opt.name}`")
                if not value > 0:
                    raise ModelError(f"option `{opt.name}` must be positive, not {value:g}", opt.value.span)
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
            raise ModelError(f"unknown ODE solver `{solver}`", span, hint="use `rk45` (adaptive) or `rk4` (fixed step)")
        if solver == "rk4" and "dt" not in opts:
            raise ModelError("the `rk4` solver needs a step: `ode(solver = rk4, dt = 0.01)`", block.span)
        body = self._block(block.body, self._dynamics_scope(), in_ode=True)
        derived = {s.target.name for s in body if isinstance(s, ir.Deriv)}
        if not derived:
            raise ModelError(
                "this `ode` block has no derivative", block.span, hint="write one line `d(x) = ...` per state"
            )
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
                raise ModelError(
                    "an `ode` block is deterministic: it cannot draw random numbers",
                    stmt.span,
                    hint="use a `step` block for stochastic dynamics",
                )
            dist = self._dist(stmt.dist, scope.symbols, allow_time=True, later=later)
            target, new = self._target(stmt.target, scope, later, allow_new=True, op="~")
            return ir.Sample(target, dist, new)
        if isinstance(stmt, ast.Assign):
            value = self._expr(stmt.value, scope.symbols, allow_time=True, later=later, what="a value")
            if in_ode and stmt.target.name in scope.symbols and scope.symbols[stmt.target.name].kind == "state":
                raise ModelError(
                    f"in an `ode` block the state `{stmt.target.name}` changes only through `d({stmt.target.name}) = ...`",
                    stmt.target.span,
                    hint=f"write `d({stmt.target.name}) = ...` for its rate of change",
                )
            target, new = self._target(stmt.target, scope, later, allow_new=stmt.op == "=", op=stmt.op)
            if new:
                return ir.Let(target.name, value)
            return ir.Set(target, stmt.op, value)
        if isinstance(stmt, ast.Derivative):
            sym = scope.symbols.get(stmt.target.name)
            if sym is not None and sym.kind in ("param", "const"):
                raise ModelError(
                    f"`{stmt.target.name}` is a {'parameter' if sym.kind == 'param' else 'constant'}, and only states have derivatives",
                    stmt.target.span,
                    hint="declare the quantity with `state NAME = ...` to integrate it",
                )
            if sym is None or sym.kind != "state":
                raise ModelError(
                    f"`d({stmt.target.name})` needs a state",
                    stmt.target.span,
                    hint=did_you_mean(stmt.target.name, [k for k, v in scope.symbols.items() if v.kind == "state"])
                    or "declare it with `state NAME = ...`",
                )
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
                raise ModelError(
                    f"the loop `{stmt.var} in {start}..{stop}` never runs",
                    stmt.span,
                    hint="the end is exclusive: `0..K` runs 0, 1, ..., K-1",
                )
            if stmt.var in scope.symbols or stmt.var in RESERVED:
                raise ModelError(f"the loop variable `{stmt.var}` hides another name", stmt.var_span,
                                 hint="choose a name that is not used elsewhere, such as `i`")
            inner = scope.child()
            inner.symbols[stmt.var] = _Symbol("loop", 0, stmt.var_span, (start, stop))
            body = self._block(stmt.body, inner, in_ode)
            return ir.Loop(stmt.var, start, stop, body)
        raise AssertionError(f"unknown statement {stmt!r}")

    def _loop_bound(self, expr: ast.Expr) -> int:
        value = self._constant(expr, "a loop bound")
        if value != math.floor(value):
            raise ModelError(f"a loop bound must be a whole number, not {value:g}", expr.span)
        return int(value)

    def _target(self, target: ast.Target, scope: _Scope, later, allow_new: bool, op: str):
        sym = scope.symbols.get(target.name)
        if sym is None:
            if target.name in RESERVED:
                raise ModelError(f"`{target.name}` cannot be assigned", target.span,
                                 hint="`t` and `dt` are set by ponder")
            if not allow_new:
                hint = (
                    f"`{target.name}` is not defined yet; start with `{target.name} = ...`"
                    if op in ("+=", "-=", "*=", "/=") and target.name not in later
                    else None
                )
                err = self._undefined(target.name, target.name_span, scope.symbols,
                                      {k: v for k, v in later.items() if k != target.name})
                if hint and err.message.startswith("undefined"):
                    err.hint = did_you_mean(target.name, scope.symbols) or hint
                raise err
            if target.index is not None:
                raise ModelError(
                    f"`{target.name}` is not a vector",
                    target.span,
                    hint="locals are scalars; declare vectors with `state NAME[K] = ...`",
                )
            scope.symbols[target.name] = _Symbol("local", 0, target.span)
            return ir.Ref("local", target.name), True
        if sym.kind in ("param", "const"):
            raise ModelError(
                f"cannot assign to the {'parameter' if sym.kind == 'param' else 'constant'} `{target.name}`",
                target.name_span,
                hint="parameters and constants are fixed during a run; use a `state` or a local",
            )
        if sym.kind == "loop":
            raise ModelError(f"cannot assign to the loop variable `{target.name}`", target.name_span)
        index = self._index(target.name, sym, target.index, target.span, scope.symbols, later)
        return ir.Ref(sym.kind, target.name, index), False

    # ------------------------------------------------------------ observations
    def _observations(self, decls: list[ast.ObserveDecl]) -> tuple[ir.Observation, ...]:
        out, seen = [], {}
        scope = {k: v for k, v in self.globals.items()}
        for d in decls:
            if d.column in seen:
                raise ModelError(
                    f"column `{d.column}` is observed twice",
                    d.column_span,
                    hint=f"its error model is already given on line {seen[d.column].line}",
                )
            if d.column == "time":
                raise ModelError("`time` is the time column, not an observation", d.column_span)
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
                        raise ModelError(
                            f"a replicate can only override a `const`, and `{o.name}` is not one",
                            o.name_span,
                            hint=did_you_mean(o.name, consts) or (f"constants are {one_of(consts)}" if consts else "declare it with `const`"),
                        )
                    if o.name in self.size_consts:
                        raise ModelError(
                            f"`{o.name}` fixes a size, a loop bound or a step length, so a replicate cannot change it",
                            o.name_span,
                            hint=f"it is used on line {self.size_consts[o.name].line}",
                        )
                    if o.name in overrides:
                        raise ModelError(f"`{o.name}` is overridden twice", o.name_span)
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
                    raise ModelError(f"`{s.key}` is set twice", s.key_span)
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
            raise ModelError(f"`{key}` must be a whole number, not {value:g}", expr.span)
        return int(value)

    # ------------------------------------------------------------ expressions
    def _dist(self, call: ast.DistCall, scope, allow_time: bool, later=None) -> ir.Dist:
        dist = self.distributions.get(call.name)
        if dist is None:
            if call.name in self.functions:
                raise ModelError(
                    f"`{call.name}` is a function, not a distribution",
                    call.name_span,
                    hint="after `~` comes a distribution such as `Normal(mu, sigma)`",
                )
            raise ModelError(
                f"unknown distribution `{call.name}`",
                call.name_span,
                hint=did_you_mean(call.name, self.distributions) or f"distributions are {one_of(self.distributions, 30)}",
            )
        if len(call.args) != dist.arity:
            raise ModelError(
                f"`{call.name}` takes {dist.arity} argument{'s' if dist.arity != 1 else ''}, not {len(call.args)}",
                call.span,
                hint=f"`{call.name}({', '.join(dist.params)})`",
            )
        args = []
        for arg, pname, bounds in zip(call.args, dist.params, dist.param_bounds):
            value = self._expr(arg, scope, allow_time=allow_time, later=later, what="an argument")
            literal = _literal(value)
            if literal is not None and not bounds.contains(literal):
                raise ModelError(
                    f"`{pname}` of `{call.name}` must be in {bounds.describe()}, not {literal:g}",
                    arg.span,
                    hint=f"`{call.name}({', '.join(dist.params)})`",
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
                    raise ModelError(f"`{e.name}` cannot be used in {what}", e.span,
                                     hint="time is only known in states, dynamics and observations")
                return ir.Ref("time" if e.name == "t" else "dt", e.name)
            sym = scope.get(e.name)
            if sym is None:
                if e.name in self.declared:
                    return self._not_here(e.name, e.span, what)
                raise self._undefined(e.name, e.span, scope, later)
            if sym.size:
                raise ModelError(
                    f"`{e.name}` is a vector of {sym.size} values",
                    e.span,
                    hint=f"pick one value with an index: `{e.name}[i]`",
                )
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
                    raise ModelError(
                        f"`{e.name}` is a distribution, not a function",
                        e.name_span,
                        hint=f"draw from it on its own line: `x ~ {e.name}(...)`",
                    )
                raise ModelError(
                    f"unknown function `{e.name}`",
                    e.name_span,
                    hint=did_you_mean(e.name, self.functions) or f"functions are {one_of(self.functions, 30)}",
                )
            if not fn.accepts(len(e.args)):
                raise ModelError(
                    f"`{e.name}` takes {fn.describe_arity()}, not {len(e.args)}", e.span
                )
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
            raise ModelError(f"the state `{name}` cannot be used in {what}", span,
                             hint="priors and constants cannot depend on states")
        if kind == "param" and name in self.globals:
            raise ModelError(f"the parameter `{name}` cannot be used in {what}", span,
                             hint="constants are fixed numbers; parameters are only known at run time")
        raise ModelError(
            f"`{name}` is used before it is declared",
            span,
            hint=f"`{name}` is declared on line {decl_span.line}; declare it above this line",
        )

    def _index(self, name: str, sym: _Symbol, index: ast.Expr | None, span: Span, scope, later) -> ir.IExpr | None:
        if index is None:
            if sym.size:
                raise ModelError(
                    f"`{name}` is a vector of {sym.size} values", span, hint=f"pick one with an index: `{name}[i]`"
                )
            return None
        if not sym.size:
            raise ModelError(f"`{name}` is not a vector", span, hint="only `param`s and `state`s declared with `[K]` take an index")
        value = self._expr(index, scope, allow_time=False, what="an index", later=later)
        lo, hi = _index_range(value, scope, index.span)
        if lo < 0 or hi >= sym.size:
            shown = f"{lo}" if lo == hi else f"{lo}..{hi}"
            raise ModelError(
                f"index {shown} is out of range for `{name}`, which has {sym.size} values",
                index.span,
                hint=f"indices run from 0 to {sym.size - 1}",
            )
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
            raise ModelError(f"an index must be a whole number, not {expr.value:g}", span)
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
    raise ModelError(
        "an index must be built from whole numbers and loop variables",
        span,
        hint="write `x[i]`, `x[i + 1]` or `x[2]` with `i` from `for i in 0..K`",
    )


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
            raise ModelError("this constant overflows", span) from None
    raise AssertionError(expr)
