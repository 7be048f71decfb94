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

import itertools
import math
from dataclasses import dataclass, field

from ponder.lang import ir, messages
from ponder.lang import syntax as ast
from ponder.lang.errors import ModelError, Span
from ponder.lang.fold import fold
from ponder.lang.library import Library, simulator_capabilities
from ponder.lang.limits import recursion_room
from ponder.lang.lower import PREDEFINED, VECTOR_FUNCTIONS, Checked, ExprLowering, lower

RESERVED = {"t", "dt", "time"}
#: Limits checked when a model is checked (documented in the README): a vector's length, a loop bound.
MAX_VECTOR_SIZE = 1_000_000
MAX_LOOP_BOUND = 2**31 - 1
#: ``input NAME (interpolate = ...)``: the default first
INTERPOLATIONS = ("linear", "constant")
#: The ``ode(solver = ...)`` names: the kernel's integrator for each is ``<name>_integrate``
#: (:mod:`ponder.stdlib.ode`); ``stiff`` names the stiff solver.
ODE_SOLVERS = ("rk45", "rk4", "rodas4")
ODE_SOLVER_ALIASES = {"stiff": "rodas4"}


def check(program: ast.Program, library: Library, default_name: str = "model") -> ir.ModelIR:
    """Check ``program`` against the distributions and functions of ``library`` and return its IR.

    The two passes: :func:`check_program`, then :func:`~ponder.lang.lower.lower`.
    Raises ModelError on the first mistake.
    """
    checked = check_program(program, library, default_name)
    with recursion_room():
        return lower(program, checked)


def check_program(program: ast.Program, library: Library, default_name: str = "model") -> Checked:
    """Check ``program`` against ``library``; return what lowering needs. Raises ModelError on the first mistake."""
    try:
        with recursion_room():
            return _Checker(program, library, default_name).run()
    except ModelError as err:
        raise err.with_source(program.source) from None


#: What each kind of declaration sees: constants (and sizes, steps, t0), priors, derived quantities, initial states.
_SCOPES = {
    "const": ("const",),
    "prior": ("const", "param"),
    "derived": ("const", "param", "derived"),
    "state": ("const", "param", "state", "input", "derived"),
}


@dataclass
class _Symbol:
    kind: str  # param, const, state, local, loop, input, derived, fnarg
    size: int  # 0 for scalars, else the length (rows of a matrix)
    span: Span
    loop_range: tuple[int, int] | None = None
    shape: tuple[int, ...] | None = None  # (K,) or (R, C); None: () or (size,)

    def __post_init__(self):
        if self.shape is None:
            self.shape = (self.size,) if self.size else ()


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
        self.simulators = library.simulators
        self.simulator = None  # (name, deterministic) of the model's `simulator`
        self.functions_lib = library.functions
        self.default_name = default_name
        self.globals: dict[str, _Symbol] = {}
        #: the names each kind of declaration may use, by the scopes of _SCOPES
        self.scopes: dict[str, dict[str, _Symbol]] = {scope: {} for scope in _SCOPES}
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
        self.replicate_inputs: dict[ast.ReplicateDecl, tuple[tuple[str, str], ...]] = {}
        self.shapes: dict[object, tuple[int, ...]] = {}
        self.functions: dict[str, ast.FnDecl] = {}
        self.derived: dict[str, ast.DerivedDecl] = {}
        self.inputs: list[tuple[str, str, str | None]] = []
        self.observations: list = []
        self.summaries: list[tuple[str, str, str, tuple[float, ...], bool]] = []
        self.multivariate: dict[ast.DistCall, tuple[int, tuple[str, ...]]] = {}
        self.warnings: list = []
        self.lowering = ExprLowering(self.kinds, self.shapes, self.functions, self.derived)
        self._fn = None  # the `fn` being checked
        # for the warnings: locals defined and read in the dynamics block, states it updates
        self._local_defs: dict[str, Span] = {}
        self._local_reads: set[str] = set()
        self._updated_states: set[str] = set()

    # ------------------------------------------------------------ driver
    def run(self) -> Checked:
        decls = self.program.declarations
        name = self._model_name(decls)
        self._single(decls, (ast.StepBlock, ast.OdeBlock), "dynamics block (`step` or `ode`)")
        self._single(decls, ast.T0Decl, "`t0`")
        self._single(decls, ast.InferBlock, "`infer` block")
        self._single(decls, ast.SimulatorDecl, "`simulator`")
        kinds = {ast.ParamDecl: "param", ast.ConstDecl: "const", ast.StateDecl: "state", ast.InputDecl: "input",
                 ast.DerivedDecl: "derived", ast.FnDecl: "fn", ast.OutputDecl: "state"}
        self.declared = {d.name: (kinds[type(d)], d.name_span) for d in decls if type(d) in kinds}

        self._consts([d for d in decls if isinstance(d, (ast.ConstDecl, ast.FnDecl))])
        self._params([d for d in decls if isinstance(d, ast.ParamDecl)])
        self._derived([d for d in decls if isinstance(d, ast.DerivedDecl)])
        self._inputs([d for d in decls if isinstance(d, ast.InputDecl)])
        self._states([d for d in decls if isinstance(d, ast.StateDecl)])
        self._simulator(decls)
        for d in decls:
            if isinstance(d, ast.T0Decl):
                self.t0 = self._constant(d.value, "`t0`")
        for d in decls:
            if isinstance(d, ast.StepBlock):
                self._step(d)
            elif isinstance(d, ast.OdeBlock):
                self._ode(d)
        self._observations([d for d in decls if isinstance(d, (ast.ObserveDecl, ast.ObserveFor))])
        self._summaries([d for d in decls if isinstance(d, ast.SummaryDecl)])
        self._datasets(decls)
        infer = self._infer([d for d in decls if isinstance(d, ast.InferBlock)])
        self._unused(decls)
        for k, v in self.globals.items():
            if v.shape:
                self.shapes[k] = v.shape
        return Checked(
            name=name,
            sizes={k: v.size for k, v in self.globals.items()},
            shapes=self.shapes,
            const_values=self.const_values,
            kinds=self.kinds,
            new_locals=frozenset(self.new_locals),
            loops=self.loops,
            t0=self.t0,
            options=self.options,
            simulator=self.simulator,
            overrides=self.overrides,
            replicate_inputs=self.replicate_inputs,
            infer=infer,
            spans=self.spans,
            functions=self.functions,
            derived=self.derived,
            inputs=tuple(self.inputs),
            observations=tuple(self.observations),
            summaries=tuple(self.summaries),
            multivariate=self.multivariate,
            warnings=tuple(w.with_source(self.program.source) for w in sorted(
                self.warnings, key=lambda w: (w.span.line, w.span.column) if w.span else (0, 0))),
        )

    def _unused(self, decls) -> None:
        """Warn about parameters, constants, inputs and functions nothing uses."""
        used = {node.name for node, kind in self.kinds.items()
                if kind in ("param", "const", "input", "fn") and hasattr(node, "name")}
        used |= set(self.size_consts)
        if self.simulator is not None:  # what the simulator reads (all of it, unless it says)
            reads = getattr(self.simulators[self.simulator[0]], "parameters", None)
            used |= set(reads) if reads is not None else {d.name for d in decls if hasattr(d, "name")}
        for d in decls:
            kind = {ast.ParamDecl: "param", ast.ConstDecl: "const", ast.InputDecl: "input", ast.FnDecl: "fn"}.get(type(d))
            if kind is not None and d.name not in used:
                self.warnings.append(messages.declared_but_unused(kind, d.name, d.name_span))

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
    def _declare(self, name: str, kind: str, size: int, span: Span, shape: tuple[int, ...] | None = None) -> None:
        if name in RESERVED:
            raise messages.reserved_name(name, span)
        if name in self.globals:
            prev = self.globals[name]
            raise messages.declared_twice(name, span, prev.kind, prev.span)
        if name in self.functions:
            raise messages.declared_twice(name, span, "function", self.functions[name].name_span)
        self.globals[name] = _Symbol(kind, size, span, shape=shape)
        for scope, kinds in _SCOPES.items():  # kept up to date, not rebuilt per declaration (50,000 consts)
            if kind in kinds:
                self.scopes[scope][name] = self.globals[name]
        self.spans[name] = span

    def _undefined(self, name: str, span: Span, scope: dict[str, _Symbol], later: dict[str, Span] | None = None,
                   updated: bool = False) -> ModelError:
        """The error for a name not in ``scope``; ``updated``: it is the target of ``+=`` etc., not defined later."""
        if later and name in later:
            return messages.used_before_defined(name, span, later[name])
        if name in self.distributions:
            return messages.distribution_as_value(name, span)
        if name in self.functions_lib or name in self.functions:
            return messages.function_as_value(name, span)
        if updated:
            return messages.undefined_name(name, span, scope, updated=True)
        return messages.undefined_name(name, span, list(scope) + ["t", "dt"])

    # ------------------------------------------------------------ constants
    def _consts(self, decls: list) -> None:
        """Constants and functions, in file order: each may use the ones above it."""
        for d in decls:
            if isinstance(d, ast.FnDecl):
                self._function(d)
                continue
            scope = self.scopes["const"]
            shape = self._expr(d.value, scope, allow_time=False, what="a constant", vectors=True, literals=True)
            self._declare(d.name, "const", shape[0] if shape else 0, d.name_span, shape)
            if shape:
                self.const_values[d.name] = tuple(
                    self._value(x, d.value.span) for x in self.lowering.elements(d.value, shape))
            else:
                self.const_values[d.name] = (self._evaluate(d.value, d.value.span),)

    def _function(self, d: ast.FnDecl) -> None:
        """``fn name(args) = expr``: pure, of its arguments, constants and the functions above it."""
        if d.name in self.functions or d.name in self.globals:
            first = self.functions[d.name].name_span if d.name in self.functions else self.globals[d.name].span
            raise messages.declared_twice(d.name, d.name_span, "function" if d.name in self.functions else
                                          self.globals[d.name].kind, first)
        if d.name in self.functions_lib or d.name in self.distributions or d.name in VECTOR_FUNCTIONS:
            raise messages.function_shadows_builtin(d.name, d.name_span)
        scope = dict(self.scopes["const"])  # a copy: the arguments and locals are added to it
        for arg, span in zip(d.args, d.arg_spans):
            if arg in scope and scope[arg].kind == "fnarg":
                raise messages.argument_twice(arg, span)
            if arg in RESERVED:
                raise messages.reserved_name(arg, span)
            scope[arg] = _Symbol("fnarg", 0, span)
        self._fn = d
        try:
            for name, value, span in d.locals:
                self._expr(value, scope, allow_time=False, what="a function")
                if name in RESERVED:
                    raise messages.reserved_name(name, span)
                scope[name] = _Symbol("fnarg", 0, span)
            self._expr(d.body, scope, allow_time=False, what="a function")
        finally:
            self._fn = None
        self.functions[d.name] = d
        self.spans["fn:" + d.name] = d.name_span

    def _constant(self, expr: ast.Expr, what: str) -> float:
        """Evaluate an expression of literals and constants now (sizes, steps, t0)."""
        self._expr(expr, self.scopes["const"], allow_time=False, what=what)
        # ir.walk visits any tree of frozen dataclasses, the syntax tree included
        for node in ir.walk(expr):
            if isinstance(node, (ast.Name, ast.Index)) and self.kinds.get(node) == "const":
                self.size_consts.setdefault(node.name, expr.span)
        return self._evaluate(expr, expr.span)

    def _size(self, expr: ast.Expr | None) -> int:
        if expr is None:
            return 0
        value = self._constant(expr, "a vector size")
        if not math.isfinite(value) or value != math.floor(value) or value < 1:
            raise messages.bad_vector_size(value, expr.span)
        if value > MAX_VECTOR_SIZE:
            raise messages.vector_too_long(value, MAX_VECTOR_SIZE, expr.span)
        return int(value)

    # ------------------------------------------------------------ parameters
    def _params(self, decls: list[ast.ParamDecl]) -> None:
        for d in decls:
            size = self._size(d.size)
            scope = self.scopes["prior"]
            self._dist(d.prior, scope, allow_time=False, target=size)
            dist = self.distributions[d.prior.name]
            if dist.discrete:
                raise messages.discrete_prior(d.name, d.prior.name, d.prior.name_span)
            if not dist.prior_ok:
                raise messages.not_a_prior(d.prior.name, d.prior.name_span)
            self._declare(d.name, "param", size, d.name_span)

    # ------------------------------------------------------------ derived quantities
    def _derived(self, decls: list[ast.DerivedDecl]) -> None:
        for d in decls:
            scope = self.scopes["derived"]
            shape = self._expr(d.value, scope, allow_time=False, what="a derived quantity", vectors=True)
            if len(shape) > 1:
                raise messages.derived_matrix(d.name, d.value.span)
            self._declare(d.name, "derived", shape[0] if shape else 0, d.name_span, shape)
            self.derived[d.name] = d
            self.spans["derived:" + d.name] = d.name_span

    # ------------------------------------------------------------ inputs
    def _inputs(self, decls: list[ast.InputDecl]) -> None:
        for d in decls:
            opts = self._options(d.options, {"interpolate": "name"}, "input")
            how = str(opts.get("interpolate", INTERPOLATIONS[0]))
            if how not in INTERPOLATIONS:
                span = next(o.span for o in d.options if o.name == "interpolate")
                raise messages.unknown_interpolation(how, span, INTERPOLATIONS)
            self._declare(d.name, "input", 0, d.name_span)
            self.inputs.append((d.name, how, d.path))
            self.spans["input:" + d.name] = d.name_span

    # ------------------------------------------------------------ states
    def _states(self, decls: list[ast.StateDecl]) -> None:
        for d in decls:
            size = self._size(d.size)
            scope = self.scopes["state"]
            if d.init_dist is not None:
                self._dist(d.init_dist, scope, allow_time=True, target=size)
            else:
                shape = self._expr(d.init, scope, allow_time=True, what="an initial value", vectors=bool(size))
                if shape and shape != (size,):
                    raise messages.shapes_differ(_describe_shape((size,)), _describe_shape(shape), d.init.span)
            self._declare(d.name, "state", size, d.name_span)

    def _simulator(self, decls) -> None:
        """``simulator NAME`` and its ``output`` lines: a registered simulator, no `step`/`ode`/`state`."""
        sim = next((d for d in decls if isinstance(d, ast.SimulatorDecl)), None)
        outputs = [d for d in decls if isinstance(d, ast.OutputDecl)]
        if sim is None:
            if outputs:
                raise messages.output_without_simulator(outputs[0].name, outputs[0].name_span)
            return
        for d in decls:
            if isinstance(d, (ast.StepBlock, ast.OdeBlock)):
                raise messages.simulator_with_dynamics("step" if isinstance(d, ast.StepBlock) else "ode", d.span,
                                                       sim.span)
            if isinstance(d, ast.StateDecl):
                raise messages.state_with_simulator("accum" if d.is_accum else "state", d.name, d.name_span)
        if sim.name not in self.simulators:
            raise messages.unknown_simulator(sim.name, sim.name_span, self.simulators)
        simulator = self.simulators[sim.name]
        if not outputs:
            raise messages.simulator_without_outputs(sim.name, sim.span)
        provided = getattr(simulator, "output_names", None)
        for d in outputs:
            if provided is not None and d.name not in provided:
                raise messages.output_not_provided(d.name, sim.name, d.name_span, provided)
            self._declare(d.name, "state", self._size(d.size), d.name_span)
        reads = tuple(getattr(simulator, "parameters", None) or ())
        for name in reads:
            if self.globals.get(name) is None or self.globals[name].kind not in ("param", "const", "input"):
                raise messages.simulator_needs(sim.name, name, sim.name_span)
        compiled = getattr(simulator, "numba_kernels", None) is not None
        if compiled:  # Numba kernels: numbers in, every output a column of X in the simulator's order
            declared = {d.name for d in outputs}
            missing = [n for n in provided or () if n not in declared]
            if provided is None or missing:
                raise messages.compiled_simulator_outputs(sim.name, sim.span, provided or (), missing)
            for d in outputs:
                if d.size is not None:
                    raise messages.compiled_simulator_reads_numbers(sim.name, d.name, "a vector output", d.name_span)
            for name in reads:
                symbol = self.globals[name]
                if symbol.kind == "input" or symbol.size:
                    what = "an input" if symbol.kind == "input" else "a vector"
                    raise messages.compiled_simulator_reads_numbers(sim.name, name, what, symbol.span)
        self.simulator = (sim.name, bool(simulator_capabilities(simulator).deterministic), compiled,
                          reads if compiled else (), tuple(provided) if compiled else ())

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
                if not math.isfinite(value) or value > MAX_LOOP_BOUND:
                    raise messages.block_option_not_finite(opt.name, value, opt.value.span)
                values[opt.name] = value
        return values

    def _step(self, block: ast.StepBlock) -> None:
        opts = self._options(block.options, {"dt": "number"}, "step")
        self._block(block.body, self._dynamics_scope(), in_ode=False)
        self._dynamics_warnings("step")
        self.options = {"dt": float(opts.get("dt", 1.0))}

    def _dynamics_warnings(self, block: str) -> None:
        """Locals never used and states never updated: the marks of a misspelt state."""
        states = [k for k, v in self.globals.items() if v.kind == "state"]
        for name, span in self._local_defs.items():
            if name not in self._local_reads:
                self.warnings.append(messages.local_never_read(name, span, states))
        for name in states:
            if name not in self._updated_states:
                self.warnings.append(messages.state_never_updated(name, self.globals[name].span, block))

    def _ode(self, block: ast.OdeBlock) -> None:
        opts = self._options(
            block.options,
            {"solver": "name", "dt": "number", "rtol": "number", "atol": "number", "max_steps": "number"},
            "ode",
        )
        solver = ODE_SOLVER_ALIASES.get(str(opts.get("solver", "rk45")), str(opts.get("solver", "rk45")))
        if solver not in ODE_SOLVERS:
            span = next(o.span for o in block.options if o.name == "solver")
            raise messages.unknown_ode_solver(solver, span)
        if solver == "rk4" and "dt" not in opts:
            raise messages.rk4_needs_step(block.span)
        self._block(block.body, self._dynamics_scope(), in_ode=True)
        if not any(isinstance(s, ast.Derivative) for s in ir.walk(block.body)):
            raise messages.ode_without_derivative(block.span)
        self._dynamics_warnings("ode")
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
        given: dict[tuple, Span] = {}  # the derivatives of this block (an `if` branch is a block of its own)
        for stmt in stmts:
            if isinstance(stmt, ast.Derivative):
                key = (stmt.target.name, repr(_strip_spans(stmt.target.index)))
                if key in given:
                    raise messages.derivative_twice(stmt.target.name, stmt.target.span, given[key])
                given[key] = stmt.target.span
            self._statement(stmt, scope, in_ode, later)

    def _statement(self, stmt, scope: _Scope, in_ode: bool, later: dict[str, Span]) -> None:
        if isinstance(stmt, ast.Draw):
            if in_ode:
                raise messages.draw_in_ode(stmt.span)
            shape = self._target_shape(stmt.target, scope)
            self._dist(stmt.dist, scope.symbols, allow_time=True, later=later, shape=shape,
                       target=shape[0] if shape else 0)
            self._target(stmt.target, scope, later, allow_new=True, op="~")
        elif isinstance(stmt, ast.Assign):
            shape = self._target_shape(stmt.target, scope)
            value = self._expr(stmt.value, scope.symbols, allow_time=True, later=later, what="a value",
                               vectors=bool(shape) or stmt.target.name not in scope.symbols)
            if value and stmt.target.name not in scope.symbols:
                raise messages.local_vector(stmt.target.name, stmt.target.span, value[0])
            if value and value != shape:
                raise messages.shapes_differ(_describe_shape(shape), _describe_shape(value), stmt.value.span)
            if in_ode and stmt.target.name in scope.symbols and scope.symbols[stmt.target.name].kind == "state":
                raise messages.state_assigned_in_ode(stmt.target.name, stmt.target.span)
            self._target(stmt.target, scope, later, allow_new=stmt.op == "=", op=stmt.op)
        elif isinstance(stmt, ast.Derivative):
            if not in_ode:
                raise messages.derivative_outside_ode(stmt.span)
            sym = scope.symbols.get(stmt.target.name)
            if sym is not None and sym.kind in ("param", "const"):
                raise messages.derivative_of_fixed(stmt.target.name, sym.kind, stmt.target.span)
            if sym is None or sym.kind != "state":
                states = [k for k, v in scope.symbols.items() if v.kind == "state"]
                raise messages.derivative_needs_state(stmt.target.name, stmt.target.span, states)
            shape = self._target_shape(stmt.target, scope)
            self._target(stmt.target, scope, later, allow_new=False, op="d")
            value = self._expr(stmt.value, scope.symbols, allow_time=True, later=later, what="a derivative",
                               vectors=bool(shape))
            if value and value != shape:
                raise messages.shapes_differ(_describe_shape(shape), _describe_shape(value), stmt.value.span)
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
        if not math.isfinite(value) or value != math.floor(value):
            raise messages.not_a_whole_number("a loop bound", value, expr.span)
        if abs(value) > MAX_LOOP_BOUND:
            raise messages.loop_bound_too_large(value, MAX_LOOP_BOUND, expr.span)
        return int(value)

    def _target_shape(self, target: ast.Target, scope: _Scope) -> tuple[int, ...]:
        """The shape a statement writes: a whole vector state (no index), else a number."""
        sym = scope.symbols.get(target.name)
        if sym is None or target.index is not None or sym.kind != "state":
            return ()
        if sym.shape:
            self.shapes[target] = sym.shape
        return sym.shape

    def _target(self, target: ast.Target, scope: _Scope, later, allow_new: bool, op: str) -> None:
        """Resolve the target of a draw, assignment or derivative; a new name defines a local."""
        if target.column is not None:
            raise messages.matrix_target(target.name, target.span)
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
            if target.name in self.declared:  # an input, function or derived quantity: not assignable
                raise messages.cannot_assign_declared(target.name, self.declared[target.name][0], target.name_span)
            scope.symbols[target.name] = _Symbol("local", 0, target.span)
            self._local_defs.setdefault(target.name, target.name_span)
            self.kinds[target] = "local"
            self.new_locals.add(target)
            return
        if sym.kind in ("param", "const"):
            raise messages.cannot_assign_fixed(target.name, sym.kind, target.name_span)
        if sym.kind in ("input", "derived"):
            raise messages.cannot_assign_declared(target.name, sym.kind, target.name_span)
        if sym.kind == "loop":
            raise messages.cannot_assign_loop_variable(target.name, target.name_span)
        if len(sym.shape) > 1:
            raise messages.matrix_target(target.name, target.span)
        if target.index is not None:
            self._index(target.name, sym, target.index, target.span, scope.symbols, later)
        if sym.kind == "state":
            self._updated_states.add(target.name)
        self.kinds[target] = sym.kind

    # ------------------------------------------------------------ observations
    def _observations(self, decls) -> None:
        """``observe`` lines, and top-level ``for`` loops of them: one data column per observation."""
        self._seen_columns: dict[str, Span] = {}
        scope = {k: v for k, v in self.globals.items()}
        for d in decls:
            self._observation(d, scope, ())

    def _observation(self, d, scope, env: tuple[tuple[str, int], ...]) -> None:
        if isinstance(d, ast.ObserveFor):
            start, stop = self._loop_bound(d.start), self._loop_bound(d.stop)
            if stop <= start:
                raise messages.loop_never_runs(d.var, start, stop, d.span)
            if d.var in scope or d.var in RESERVED:
                raise messages.loop_variable_hides_name(d.var, d.var_span)
            inner = dict(scope)
            inner[d.var] = _Symbol("loop", 0, d.var_span, (start, stop))
            for item in d.body:  # checked once, expanded for every value of the loop variable
                self._observation(item, inner, env + ((d.var, None),))
            return
        if d.column == "time":
            raise messages.time_is_not_an_observation(d.column_span)
        if d.column in self.globals and self.globals[d.column].kind == "input":
            raise messages.observed_input(d.column, d.column_span)
        if d.index is not None:
            self._expr(d.index, scope, allow_time=False, what="an index")
            lo, _ = self._index_range(d.index, scope, d.index.span)
            if lo < 0:
                raise messages.negative_column_index(d.column, lo, d.index.span)
        elif any(value is None for _, value in env):
            raise messages.observe_in_loop_needs_index(d.column, d.column_span, env[-1][0])
        size = self._dist(d.dist, scope, allow_time=True, target=None)
        if size and (d.index is not None or env):
            raise messages.multivariate_observation_indexed(d.dist.name, d.column, d.span)
        if size:  # one observation of `size` columns: COL_0 .. COL_(size-1)
            for k in range(size):
                self._column(f"{d.column}_{k}", d)
            self.observations.append((d.column, d, (), size))
            return
        loop_vars = [name for name, _ in env]
        for values in itertools.product(*[range(*scope[v].loop_range) for v in loop_vars]):
            bound = tuple(zip(loop_vars, values))
            column = d.column
            if d.index is not None:
                column = f"{d.column}_{int(self._evaluate(d.index, d.index.span, dict(bound)))}"
            self._column(column, d)
            self.observations.append((column, d, bound, 0))

    def _column(self, column: str, d: ast.ObserveDecl) -> None:
        if column in self._seen_columns:
            raise messages.column_observed_twice(column, d.column_span, self._seen_columns[column])
        self._seen_columns[column] = d.span
        self.spans.setdefault("observe:" + column, d.column_span)

    # ------------------------------------------------------------ summaries
    def _summaries(self, decls: list[ast.SummaryDecl]) -> None:
        """``summary NAME = STAT(column, ...)`` (or ``log1p`` of one): a statistic of an observed column.

        The column is a name of an ``observe`` line, or ``y[k]`` with a
        whole number ``k`` for the column ``y_k`` of an observation in a
        ``for`` loop (or of a multivariate one); the statistic's other
        arguments are constants, folded here and checked against their ranges.
        """
        columns = list(self._seen_columns)
        seen: dict[str, Span] = {}
        for d in decls:
            if d.name in RESERVED:
                raise messages.reserved_name(d.name, d.name_span)
            if d.name in seen:
                raise messages.declared_twice(d.name, d.name_span, "summary", seen[d.name])
            if d.name in self.globals:
                prev = self.globals[d.name]
                raise messages.declared_twice(d.name, d.name_span, prev.kind, prev.span)
            if d.name in self.functions:
                raise messages.declared_twice(d.name, d.name_span, "function", self.functions[d.name].name_span)
            call, log1p = d.value, False
            if isinstance(call, ast.Call) and call.name == "log1p":
                if len(call.args) != 1:
                    raise messages.summary_arity("log1p", ["STAT(column, ...)"], len(call.args), call.span)
                call, log1p = call.args[0], True
            if not isinstance(call, ast.Call) or call.name == "log1p":
                raise messages.summary_not_a_statistic(call.span, ir.SUMMARY_STATISTICS)
            if call.name not in ir.SUMMARY_STATISTICS:
                raise messages.unknown_summary_statistic(call.name, call.name_span, ir.SUMMARY_STATISTICS)
            params = ("column",) + ir.SUMMARY_STATISTICS[call.name]
            if len(call.args) != len(params):
                raise messages.summary_arity(call.name, params, len(call.args), call.span)
            column = self._summary_column(call.name, call.args[0], columns)
            args = tuple(self._summary_argument(call.name, p, a) for p, a in zip(params[1:], call.args[1:]))
            self.summaries.append((d.name, call.name, column, args, log1p))
            seen[d.name] = d.name_span
            self.spans["summary:" + d.name] = d.name_span

    def _summary_column(self, stat: str, arg: ast.Expr, columns: list[str]) -> str:
        """The data column a summary's first argument names: ``y``, or ``y[k]`` for column ``y_k``."""
        if isinstance(arg, ast.Name):
            column, written = arg.name, arg.name
        elif isinstance(arg, ast.Index):
            k = arg.index.value if isinstance(arg.index, ast.Number) else None
            if arg.column is not None or k is None or k != math.floor(k):
                raise messages.summary_column_index(arg.name, arg.span)
            column, written = f"{arg.name}_{int(k)}", f"{arg.name}[{int(k)}]"
        else:
            raise messages.summary_needs_column(stat, arg.span, columns)
        if column not in columns:
            raise messages.summary_not_observed(written, arg.span, columns)
        return column

    def _summary_argument(self, stat: str, param: str, arg: ast.Expr) -> float:
        """A statistic's number after the column: ``q`` of ``quantile`` in [0, 1], ``lag`` of ``acf`` whole, >= 1."""
        value = self._constant(arg, f"the {'level' if param == 'q' else param} of `{stat}`")
        if param == "q" and not 0 <= value <= 1:
            raise messages.summary_quantile_out_of_range(value, arg.span)
        if param == "lag" and not (math.isfinite(value) and value == math.floor(value) and value >= 1):
            raise messages.summary_bad_lag(value, arg.span)
        return value

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
                own = {}
                for i in d.inputs:
                    sym = self.globals.get(i.name)
                    if sym is None or sym.kind != "input":
                        inputs = [k for k, v in self.globals.items() if v.kind == "input"]
                        raise messages.replicate_input_not_declared(i.name, i.name_span, inputs)
                    if i.path is None:
                        raise messages.replicate_input_needs_file(i.name, i.span)
                    if i.options:
                        raise messages.replicate_input_option(i.name, i.options[0].span)
                    if i.name in own:
                        raise messages.overridden_twice(i.name, i.name_span)
                    own[i.name] = i.path
                self.replicate_inputs[d] = tuple(own.items())

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
    def _dist(self, call: ast.DistCall, scope, allow_time: bool, later=None, shape: tuple[int, ...] = (),
              target: int | None = 0) -> int:
        """Check a distribution call; return the length of its value for a multivariate one, else 0.

        ``shape``: the arguments may be vectors of this shape (elementwise
        draws). ``target``: the length of what the value goes to (0 a
        number; None: an observation, whose length the arguments give).
        """
        dist = self.distributions.get(call.name)
        if dist is None:
            if call.name in self.functions_lib or call.name in self.functions:
                raise messages.function_as_distribution(call.name, call.name_span)
            raise messages.unknown_distribution(call.name, call.name_span, self.distributions)
        if len(call.args) != dist.arity:
            raise messages.distribution_arity(call.name, dist.params, len(call.args), call.span)
        if dist.multivariate:
            return self._multivariate(call, dist, scope, allow_time, later, target)
        known = {}  # the arguments that are constants, by name
        for arg, pname, bounds in zip(call.args, dist.params, dist.param_bounds):
            got = self._expr(arg, scope, allow_time=allow_time, later=later, what="an argument", vectors=bool(shape))
            if got and got != shape:
                raise messages.shapes_differ(_describe_shape(shape), _describe_shape(got), arg.span)
            literal = _literal(arg)
            if literal is None and not got:
                literal = self._constant_value(arg)
            if literal is not None and not bounds.contains(literal):
                raise messages.argument_out_of_range(
                    pname, call.name, bounds.describe(), literal, dist.params, arg.span
                )
            if literal is not None:
                known[pname] = literal
        for order in dist.ordered:
            if order.lower in known and order.upper in known and not order.holds(known[order.lower],
                                                                                   known[order.upper]):
                raise messages.arguments_out_of_order(call.name, order.describe(), order.lower, known[order.lower],
                                                      order.upper, known[order.upper], dist.params, call.span)
        return 0

    def _constant_value(self, e: ast.Expr) -> float | None:
        """The value of a checked expression of numbers and constants (``1/0``, ``2 * K``), else None."""
        for node in ir.walk(e):
            if isinstance(node, (ast.Name, ast.Index)) and self.kinds.get(node) not in ("const", "number"):
                return None
            if isinstance(node, ast.Call) and self.kinds.get(node) == "fn":
                return None  # a model's function may read its arguments only; not worth folding here
        return self._evaluate(e, e.span)

    def _multivariate(self, call: ast.DistCall, dist, scope, allow_time: bool, later, target: int | None) -> int:
        """Check a multivariate distribution's arguments against its ``arg_shapes``; return K."""
        if target == 0:
            raise messages.multivariate_needs_vector(call.name, call.name_span)
        shapes = [self._expr(a, scope, allow_time, "an argument", later, vectors=True) for a in call.args]
        k = target
        for arg, want, got in zip(call.args, dist.arg_shapes, shapes):
            if want and got and k is None:
                k = got[0]
        if k is None:
            raise messages.multivariate_size_unknown(call.name, call.span)
        for arg, pname, want, got in zip(call.args, dist.params, dist.arg_shapes, shapes):
            expected = {"": (), "K": (k,), "KK": (k, k)}[want]
            if got != expected and not (want == "K" and got == ()):  # a number stands for every element
                raise messages.shapes_differ(_describe_shape(expected), _describe_shape(got), arg.span)
        self.multivariate[call] = (k, dist.arg_shapes)
        return k

    def _expr(self, e: ast.Expr, scope, allow_time: bool, what: str = "a value", later=None,
              vectors: bool = False, literals: bool = False) -> tuple[int, ...]:
        """Check an expression in ``scope`` and return its shape: ``()`` a number, ``(K,)`` a vector, ``(R, C)`` a matrix.

        Records what each name refers to and the shape of every vector-valued
        node. Unless ``vectors``, the value must be a number; vector literals
        are allowed only with ``literals`` (constants).
        """
        shape = self._shape(e, scope, allow_time, what, later, literals)
        if shape and not vectors:
            raise self._vector_here(e)
        return shape

    def _vector_here(self, e: ast.Expr) -> ModelError:
        """The error for a vector where a number is needed, pointing at the first vector-valued name."""
        for node in ir.walk(e):
            shape = self.shapes.get(node)
            if shape and isinstance(node, (ast.Name, ast.Index)):
                return messages.vector_needs_index(node.name, shape[0], node.span)
            if shape and isinstance(node, ast.Vector):
                return messages.vector_literal_not_here(node.span)
        return messages.vector_needs_index("this", 0, e.span)

    def _shape(self, e: ast.Expr, scope, allow_time: bool, what: str, later, literals: bool) -> tuple[int, ...]:
        rec = lambda x: self._shape(x, scope, allow_time, what, later, literals)  # noqa: E731
        scalar = lambda x: self._expr(x, scope, allow_time, what, later)  # noqa: E731
        shape: tuple[int, ...] = ()
        if isinstance(e, ast.Number):
            return ()
        if isinstance(e, ast.Name):
            if e.name in ("t", "dt"):
                if not allow_time:
                    raise messages.time_not_allowed(e.name, what, e.span)
                self.kinds[e] = "time" if e.name == "t" else "dt"
                return ()
            sym = scope.get(e.name)
            if sym is None:
                if e.name in PREDEFINED and not (later and e.name in later) and e.name not in self.declared:
                    self.kinds[e] = "number"
                    return ()
                if e.name in self.declared and self.declared[e.name][0] != "fn":
                    self._not_here(e.name, e.span, what)
                raise self._undefined(e.name, e.span, scope, later)
            self.kinds[e] = sym.kind
            if sym.kind == "local":
                self._local_reads.add(e.name)
            shape = sym.shape
        elif isinstance(e, ast.Index):
            sym = scope.get(e.name)
            if sym is None:
                if e.name in self.declared and self.declared[e.name][0] != "fn":
                    self._not_here(e.name, e.name_span, what)
                raise self._undefined(e.name, e.name_span, scope, later)
            shape = self._index(e.name, sym, e.index, e.span, scope, later, e.column)
            self.kinds[e] = sym.kind
        elif isinstance(e, ast.Vector):
            if not literals:
                raise messages.vector_literal_not_here(e.span)
            items = [rec(x) for x in e.items]
            for x, item in zip(e.items, items):
                if item != items[0]:
                    raise messages.ragged_literal(_describe_shape(items[0]), _describe_shape(item), x.span)
            if len(items[0]) > 1:
                raise messages.vector_literal_too_deep(e.span)
            shape = (len(items),) + items[0]
        elif isinstance(e, ast.Call):
            shape = self._call(e, scope, allow_time, what, later, literals)
        elif isinstance(e, ast.Unary):
            shape = rec(e.operand)
        elif isinstance(e, ast.Binary):
            shape = self._broadcast(rec(e.left), rec(e.right), e.span)
        elif isinstance(e, ast.IfExpr):
            scalar(e.cond)
            shape = self._broadcast(rec(e.then), rec(e.orelse), e.span)
        else:
            raise AssertionError(f"unknown expression {e!r}")
        if shape:
            self.shapes[e] = shape
        return shape

    def _call(self, e: ast.Call, scope, allow_time, what, later, literals) -> tuple[int, ...]:
        rec = lambda x: self._shape(x, scope, allow_time, what, later, literals)  # noqa: E731
        if e.name in VECTOR_FUNCTIONS and e.name not in self.functions_lib:
            if len(e.args) != VECTOR_FUNCTIONS[e.name]:
                n = VECTOR_FUNCTIONS[e.name]
                raise messages.function_arity(e.name, f"{n} argument" + ("s" if n != 1 else ""), len(e.args), e.span,
                                              vector=True)
            shapes = [rec(a) for a in e.args]
            for a, shape in zip(e.args, shapes):
                if not shape:
                    raise messages.reduction_of_a_number(e.name, a.span)
            if e.name == "dot" and (len(shapes[0]) != 1 or shapes[0] != shapes[1]):
                raise messages.shapes_differ(_describe_shape(shapes[0]), _describe_shape(shapes[1]), e.span)
            self.kinds[e] = "vector"
            return ()
        user = self.functions.get(e.name)
        if user is not None:
            if len(e.args) != len(user.args):
                n = len(user.args)
                raise messages.function_arity(e.name, f"{n} argument" + ("s" if n != 1 else ""), len(e.args), e.span,
                                              f"{user.name}({', '.join(user.args)})")
            shape = ()
            for a in e.args:
                shape = self._broadcast(shape, rec(a), e.span)
            if shape:
                raise messages.function_of_a_vector(e.name, e.span)
            self.kinds[e] = "fn"
            return ()
        fn = self.functions_lib.get(e.name)
        if fn is None:
            if e.name in self.distributions:
                raise messages.distribution_as_function(e.name, e.name_span)
            if self._fn is not None and e.name == self._fn.name:
                raise messages.recursive_function(e.name, e.name_span)
            if e.name in self.declared and self.declared[e.name][0] == "fn":
                raise messages.used_before_declared(e.name, e.name_span, self.declared[e.name][1])
            raise messages.unknown_function(e.name, e.name_span, list(self.functions_lib) + list(self.functions)
                                            + list(VECTOR_FUNCTIONS))
        if not fn.accepts(len(e.args)):
            raise messages.function_arity(e.name, fn.describe_arity(), len(e.args), e.span)
        shape = ()
        for a in e.args:  # library functions apply elementwise
            shape = self._broadcast(shape, rec(a), e.span)
        return shape

    @staticmethod
    def _broadcast(a: tuple[int, ...], b: tuple[int, ...], span: Span) -> tuple[int, ...]:
        """The shape of an elementwise operation: equal shapes, or a number with anything."""
        if not a or a == b:
            return b
        if not b:
            return a
        raise messages.shapes_differ(_describe_shape(a), _describe_shape(b), span)

    def _not_here(self, name: str, span: Span, what: str):
        """Raise the error for a declared name used where it is not visible."""
        kind, decl_span = self.declared[name]
        if what == "a function" and kind in ("param", "state", "input", "derived"):
            raise messages.not_visible_in_function(name, kind, span, self._fn.name if self._fn else "f")
        if kind == "state":
            raise messages.state_not_allowed(name, what, span)
        if kind in ("param", "derived") and what == "a constant":
            raise messages.constant_uses_parameter(name, kind, span)
        if kind == "derived":
            raise messages.derived_not_allowed(name, what, span)
        if kind in ("param", "derived") and name in self.globals:
            raise messages.parameter_not_allowed(name, what, span)
        if kind == "input":
            raise messages.input_not_allowed(name, what, span)
        raise messages.used_before_declared(name, span, decl_span)

    def _index(self, name: str, sym: _Symbol, index: ast.Expr | None, span: Span, scope, later,
               column: ast.Expr | None = None) -> tuple[int, ...]:
        """Check ``name[index]`` (``name[index, column]``); return the shape of the element (a row of a matrix)."""
        if index is None:
            return sym.shape
        if not sym.shape:
            raise messages.not_a_vector(name, span)
        self._index_value(name, index, sym.shape[0], scope, later)
        if column is None:
            return sym.shape[1:]
        if len(sym.shape) < 2:
            raise messages.not_a_matrix(name, span)
        self._index_value(name, column, sym.shape[1], scope, later)
        return ()

    def _index_value(self, name: str, index: ast.Expr, size: int, scope, later) -> None:
        self._expr(index, scope, allow_time=False, what="an index", later=later)
        lo, hi = self._index_range(index, scope, index.span)
        if lo < 0 or hi >= size:
            raise messages.index_out_of_range(name, lo, hi, size, index.span)

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

    def _evaluate(self, e: ast.Expr, span: Span, env=None) -> float:
        """Fold a checked constant expression (a number) in Python; no ``eval``: its IR is walked."""
        return self._value(self.lowering.expr(e, (), env), span)

    def _value(self, e: ir.IExpr, span: Span) -> float:
        """The value of a lowered constant expression (:func:`ponder.lang.fold.fold`)."""
        def ref(node: ir.Ref, index: int | None, column: int | None) -> float:
            values = self.const_values[node.name]
            if index is None:
                return values[0]
            return values[index if column is None else index * self.globals[node.name].shape[1] + column]

        try:
            value = fold(e, ref, self.functions_lib)
        except OverflowError:
            raise messages.constant_overflows(span) from None
        assert value is not None, e  # every name of a constant expression is a constant
        return value


# ------------------------------------------------------------ helpers
def _literal(expr: ast.Expr) -> float | None:
    """The value of a number written as such (``2``, ``-2``), else None."""
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Unary) and expr.op == "-" and isinstance(expr.operand, ast.Number):
        return -expr.operand.value
    return None


def _describe_shape(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"a {shape[0]}x{shape[1]} matrix"


def _strip_spans(node):
    """A syntax node's content without its spans (two spellings of one index compare equal)."""
    if node is None or isinstance(node, (str, float, int)):
        return node
    if isinstance(node, tuple):
        return tuple(_strip_spans(x) for x in node)
    return (type(node).__name__,) + tuple(_strip_spans(getattr(node, f)) for f in node.__dataclass_fields__
                                          if not f.endswith("span"))


def _definitions(stmts) -> dict[str, Span]:
    """Names that a block defines (drawn or assigned with `=`), with their spans."""
    out: dict[str, Span] = {}
    for s in stmts:
        if isinstance(s, (ast.Draw, ast.Assign)) and (isinstance(s, ast.Draw) or s.op == "="):
            out.setdefault(s.target.name, s.target.span)
    return out
