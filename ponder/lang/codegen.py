"""Generate the Numba kernels of a checked model as Python source.

The module this emits (one per model, cached on disk by
:mod:`ponder.lang.cache`) holds ``numba.njit(cache=True)`` kernels that work
on all particles at once. Particles are rows of a float64 array ``X`` of
shape (N, n_states); parameters are a flat float64 vector ``theta``;
constants a float64 vector ``consts`` (replicates override some of them).

Kernels (the compiled-model contract of DESIGN.md §3):

``compute_consts(overrides, out)``
    base constant values, with ``overrides[i]`` used where it is not NaN.
``prior_logpdf(theta, consts) -> float``, ``prior_logpdf_rows(theta, consts, out)``
(each row's, -inf where a slot is not finite), ``prior_sample(rng, consts, out)``,
``prior_support(theta, consts, lower, upper)``
    the prior; ``prior_support`` gives each parameter slot's support given
    the earlier parameters (the runtime's unconstrained transforms use it).
``init(theta, consts, t0, X, rng)``
    initial states of every particle.
``advance(theta, consts, X, t0, t1, rng)``
    move every particle from ``t0`` to ``t1``: unit steps, ``dt`` sub-steps
    or an ODE solve; accumulators restart from their initial value.
``obs_logpdf(theta, consts, X, t, y, out)``
    ``out[n]`` = sum over observed columns ``j`` with ``y[j]`` not NaN of
    the error model's log density, for particle ``n`` at time ``t``.
``obs_logpdf_cols(theta, consts, X, t, y, out)``
    the same per column: ``out[n, j]`` (0 where ``y[j]`` is NaN).
``obs_sample(theta, consts, X, t, rng, out)``
    simulated observations, ``out[n, j]``.
``obs_args(theta, consts, X, t, out)``
    the error model's arguments, ``out[n, j, k]`` = argument ``k`` of column
    ``j``'s distribution (residual checks evaluate its CDF with SciPy).

Safety: only names that passed the grammar's identifier pattern, each with a
kind prefix (``p_`` parameter, ``c_`` constant, ``s_`` state, ``l_`` local,
``i_`` loop variable), only ``repr`` of finite floats and ints, and only
names from the stdlib registries are ever written into the source. User
strings (file names, infer values) never reach it. A model with an ``ode``
block also gets the library's ODE solvers (:attr:`Library.ode_solvers`,
ponder's :mod:`ponder.stdlib.ode`) copied in verbatim: they call the
generated ``rhs``, a module global, so Numba can cache them.
"""

from __future__ import annotations

import math
import re

from ponder.lang import ir
from ponder.lang.library import Library, python_function
from ponder.lang.limits import recursion_room

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
CODEGEN_VERSION = "7"


def _ident(prefix: str, name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"refusing to emit a non-identifier: {name!r}")
    return prefix + name


def _num(value: float) -> str:
    value = float(value)
    if math.isinf(value):  # the predefined `inf`
        return "math.inf" if value > 0 else "(-math.inf)"
    if not math.isfinite(value):
        raise ValueError(f"refusing to emit a non-finite literal: {value!r}")
    return repr(value)


class _Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.depth = 0

    def __call__(self, line: str = "") -> None:
        self.lines.append("    " * self.depth + line if line else "")

    def indent(self):
        writer = self

        class _Indent:
            def __enter__(self):
                writer.depth += 1

            def __exit__(self, *exc):
                writer.depth -= 1

        return _Indent()

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class _Context:
    """How references are spelled inside one kernel."""

    def __init__(self, model: ir.ModelIR, states: str = "locals", particle: str = "n"):
        self.model = model
        self.params = {p.name: p for p in model.params}
        self.const_decls = {c.name: c for c in model.consts}
        self.input_decls = {i.name: i for i in model.inputs}
        self.state_decls = {s.name: s for s in model.states}
        self.states = states  # "locals" (X row loaded into s_ names), "row" (X[n, k]), "y" (ode vector)
        self.particle = particle
        #: lines that must run before the line being written: the loops of ``Reduce`` nodes (see _line)
        self.pre: list[str] = []
        self.reductions = 0
        #: work arrays of multivariate arguments, allocated once at the top of the kernel (see _kernel_top)
        self.scratch: list[tuple[str, tuple[int, ...]]] = []

    def whole(self, ref_kind: str, name: str, size: int) -> str:
        """The slice of a whole vector parameter or state (the value of a multivariate draw)."""
        if ref_kind == "param":
            return f"theta[{self.params[name].offset}:{self.params[name].offset + size}]"
        s = self.state_decls[name]
        if self.states == "y":
            return f"y[{s.offset}:{s.offset + size}]"
        return f"X[{self.particle}, {s.offset}:{s.offset + size}]"

    def const(self, ref: ir.Ref) -> str:
        c = self.const_decls[ref.name]
        if not c.shape:
            return _ident("c_", ref.name)
        if ref.column is not None:
            return f"consts[{c.offset} + {emit_index(ref.index)} * {c.shape[1]} + {emit_index(ref.column)}]"
        return f"consts[{c.offset} + {emit_index(ref.index)}]"

    def input(self, ref: ir.Ref) -> str:
        i = self.input_decls[ref.name]
        mode = 0 if i.interpolate == "linear" else 1
        return f"input_at(consts, {self.model.n_const_slots + i.index}, v_t, {mode})"

    def param(self, ref: ir.Ref) -> str:
        p = self.params[ref.name]
        if p.size == 0:
            return _ident("p_", ref.name)
        return f"theta[{p.offset} + {emit_index(ref.index)}]"

    def state(self, ref: ir.Ref) -> str:
        s = self.state_decls[ref.name]
        if self.states == "y":
            return f"y[{s.offset}]" if s.size == 0 else f"y[{s.offset} + {emit_index(ref.index)}]"
        if s.size == 0:
            if self.states == "row":
                return f"X[{self.particle}, {s.offset}]"
            return _ident("s_", ref.name)
        return f"X[{self.particle}, {s.offset} + {emit_index(ref.index)}]"


def _loop_var(name: str) -> str:
    """A loop variable: the user's ``i`` is ``i_i``; lowering's own (vector operations, digits) ``q_1``."""
    return f"q_{int(name)}" if name.isdigit() else _ident("i_", name)


def emit_index(expr: ir.IExpr) -> str:
    """An integer index expression (whole numbers, loop variables, + - *)."""
    if isinstance(expr, ir.Num):
        return str(int(expr.value))
    if isinstance(expr, ir.Ref) and expr.kind == "loop":
        return _loop_var(expr.name)
    if isinstance(expr, ir.Op) and len(expr.args) == 1:
        return f"(-{emit_index(expr.args[0])})"
    if isinstance(expr, ir.Op) and expr.op in ("+", "-", "*"):
        return f"({emit_index(expr.args[0])} {expr.op} {emit_index(expr.args[1])})"
    raise ValueError(f"not an index expression: {expr!r}")


def emit_value(expr: ir.IExpr, ctx: _Context) -> str:
    """A float-valued expression."""
    if ir.is_boolean(expr):
        return f"(1.0 if {emit_cond(expr, ctx)} else 0.0)"
    if isinstance(expr, ir.Num):
        return _num(expr.value)
    if isinstance(expr, ir.Ref):
        if expr.kind == "param":
            return ctx.param(expr)
        if expr.kind == "const":
            return ctx.const(expr)
        if expr.kind == "input":
            return ctx.input(expr)
        if expr.kind == "state":
            return ctx.state(expr)
        if expr.kind == "local":
            return _ident("l_", expr.name)
        if expr.kind == "loop":
            return f"float({_loop_var(expr.name)})"
        if expr.kind == "time":
            return "v_t"
        if expr.kind == "dt":
            return "v_dt"
        raise ValueError(expr.kind)
    if isinstance(expr, ir.Apply):
        args = ", ".join(emit_value(a, ctx) for a in expr.args)
        return f"{_ident('fn_', expr.fn)}({args})"
    if isinstance(expr, ir.Op):
        if len(expr.args) == 1:
            return f"(-{emit_value(expr.args[0], ctx)})"
        if expr.op in ("+", "-", "*", "/"):
            return _emit_chain(expr, ctx)
        a, b = (emit_value(x, ctx) for x in expr.args)
        if expr.op == "^":
            return f"fn_pow({a}, {b})"
        raise ValueError(expr.op)
    if isinstance(expr, ir.Cond):
        return f"({emit_value(expr.then, ctx)} if {emit_cond(expr.cond, ctx)} else {emit_value(expr.orelse, ctx)})"
    if isinstance(expr, ir.Reduce):
        return _emit_reduce(expr, ctx)
    raise ValueError(expr)


_CHAIN = {"+": "add", "-": "add", "*": "mul", "/": "mul"}


def _emit_chain(expr: ir.Op, ctx: _Context) -> str:
    """``((a + b) - c) + d`` as ``(a + b - c + d)``: Python's left-to-right order, so the same floats,
    without one parenthesis (and one recursion) per term."""
    rights = []
    node = expr
    while isinstance(node, ir.Op) and len(node.args) == 2 and _CHAIN.get(node.op) == _CHAIN[expr.op]:
        rights.append((node.op, node.args[1]))
        node = node.args[0]
    text = emit_value(node, ctx)
    for op, right in reversed(rights):
        text += f" {op} {emit_value(right, ctx)}"
    return f"({text})"


def _emit_reduce(expr: ir.Reduce, ctx: _Context) -> str:
    """A reduction's loop goes into ``ctx.pre`` (written before the line that uses it); its value is a local.

    The body's own reductions are written inside the loop, so they may use its variable.
    """
    ctx.reductions += 1
    name = f"r_{ctx.reductions}"
    outer, ctx.pre = ctx.pre, []
    body = emit_value(expr.body, ctx)
    inner, ctx.pre = ctx.pre, outer
    ctx.pre.append(f"{name} = {'0.0' if expr.op == '+' else '1.0'}")
    ctx.pre.append(f"for {_loop_var(expr.var)} in range({int(expr.size)}):")
    ctx.pre.extend("    " + line for line in inner)
    ctx.pre.append(f"    {name} {expr.op}= {body}")
    return name


def _line(w: "_Writer", ctx: _Context, text: str) -> None:
    """Write ``text`` after the pending reduction loops its expressions need."""
    for line in ctx.pre:
        w(line)
    ctx.pre.clear()
    w(text)


def emit_cond(expr: ir.IExpr, ctx: _Context) -> str:
    """A boolean expression (conditions of ``if``)."""
    if isinstance(expr, ir.Op) and expr.op in ir.COMPARISONS:
        a, b = (emit_value(x, ctx) for x in expr.args)
        return f"({a} {expr.op} {b})"
    if isinstance(expr, ir.Op) and expr.op in ("and", "or"):
        a, b = (emit_cond(x, ctx) for x in expr.args)
        return f"({a} {expr.op} {b})"
    if isinstance(expr, ir.Op) and expr.op == "not":
        return f"(not {emit_cond(expr.args[0], ctx)})"
    return f"({emit_value(expr, ctx)} != 0.0)"


def _dist_fn(dist: ir.Dist, what: str) -> str:
    return _ident("", f"dist_{dist.name}_{what}")


def _dist_args(dist: ir.Dist, ctx: _Context) -> str:
    return ", ".join(_dist_arg(a, ctx) for a in dist.args)


def _dist_arg(arg: ir.IExpr, ctx: _Context) -> str:
    """A distribution argument: a number, or a vector/matrix (a slice when it is a whole named one, else a work
    array filled element by element before the line that uses it)."""
    if not isinstance(arg, ir.Elements):
        return emit_value(arg, ctx)
    whole = _whole_array(arg, ctx)
    if whole is not None:
        return whole
    name = f"a_{len(ctx.scratch) + 1}_{ctx.reductions}"
    ctx.scratch.append((name, arg.shape))
    for i, item in enumerate(arg.items):
        value = emit_value(item, ctx)
        slot = str(i) if len(arg.shape) == 1 else f"{i // arg.shape[1]}, {i % arg.shape[1]}"
        ctx.pre.append(f"{name}[{slot}] = {value}")
    return name


def _whole_array(arg: ir.Elements, ctx: _Context) -> str | None:
    """``arg`` as a slice when its elements are exactly one constant, parameter or state in order, else None."""
    first = arg.items[0]
    if not isinstance(first, ir.Ref) or first.kind not in ("const", "param", "state"):
        return None
    for i, item in enumerate(arg.items):
        idx = (i,) if len(arg.shape) == 1 else (i // arg.shape[1], i % arg.shape[1])
        got = (item.index, item.column) if isinstance(item, ir.Ref) else None
        want = (ir.Num(float(idx[0])), ir.Num(float(idx[1])) if len(idx) > 1 else None)
        if not isinstance(item, ir.Ref) or (item.kind, item.name) != (first.kind, first.name) or got != want:
            return None
    size = math.prod(arg.shape)
    if first.kind == "const":
        c = ctx.const_decls[first.name]
        if c.shape != arg.shape:
            return None
        flat = f"consts[{c.offset}:{c.offset + size}]"
        return flat if len(arg.shape) == 1 else f"{flat}.reshape(({arg.shape[0]}, {arg.shape[1]}))"
    decl = ctx.params.get(first.name) if first.kind == "param" else ctx.state_decls.get(first.name)
    if len(arg.shape) != 1 or decl.size != size:
        return None
    return ctx.whole(first.kind, first.name, size)


def _kernel_top(w: "_Writer", ctx: _Context, mark: int) -> None:
    """Insert the allocations of the kernel's work arrays at line ``mark`` (the first line of its body)."""
    lines = [f"    {name} = np.empty({shape if len(shape) > 1 else shape[0]})" for name, shape in ctx.scratch]
    w.lines[mark:mark] = lines
    ctx.scratch.clear()


# ------------------------------------------------------------ statements
def _statements(w: _Writer, stmts, ctx: _Context) -> None:
    if not stmts:
        w("pass")
    for s in stmts:
        if isinstance(s, ir.Let):
            _line(w, ctx, f"{_ident('l_', s.name)} = {emit_value(s.value, ctx)}")
        elif isinstance(s, ir.Set):
            _line(w, ctx, f"{emit_value(s.target, ctx)} {s.op} {emit_value(s.value, ctx)}")
        elif isinstance(s, ir.Sample) and s.dist.size:  # a whole vector state at once
            out = ctx.whole("state", s.target.name, s.dist.size)
            _line(w, ctx, f"{_dist_fn(s.dist, 'sample')}(rng, {out}, {_dist_args(s.dist, ctx)})")
        elif isinstance(s, ir.Sample):
            target = _ident("l_", s.target.name) if s.new_local else emit_value(s.target, ctx)
            _line(w, ctx, f"{target} = {_dist_fn(s.dist, 'sample')}(rng, {_dist_args(s.dist, ctx)})")
        elif isinstance(s, ir.IfS):
            _line(w, ctx, f"if {emit_cond(s.cond, ctx)}:")
            with w.indent():
                _statements(w, s.then, ctx)
            if s.orelse:
                w("else:")
                with w.indent():
                    _statements(w, s.orelse, ctx)
        elif isinstance(s, ir.Loop):
            w(f"for {_loop_var(s.var)} in range({int(s.start)}, {int(s.stop)}):")
            with w.indent():
                _statements(w, s.body, ctx)
        elif isinstance(s, ir.Deriv):
            st = ctx.state_decls[s.target.name]
            slot = f"{st.offset}" if st.size == 0 else f"{st.offset} + {emit_index(s.target.index)}"
            _line(w, ctx, f"dy[{slot}] = {emit_value(s.value, ctx)}")
        else:
            raise ValueError(s)


# ------------------------------------------------------------ module pieces
def _header(model: ir.ModelIR, version: str, library: Library) -> list[str]:
    dists = sorted({d for d in _used_dists(model)})
    lines = [
        f'"""Numba kernels generated by ponder {version} for one model. Do not edit."""',
        "import math",
        "",
        "import numba",
        "import numpy as np",
        "",
    ]
    for name in dists:
        d = library.distributions[name]
        for what, fn in (("logpdf", d.logpdf), ("sample", d.sample), ("support", d.support)):
            lines.append(_import_line(fn, f"dist_{_ident('', name)}_{what}"))
    for name in sorted(set(_used_functions(model)) | {"pow"}):  # `^` is pow
        lines.append(_import_line(library.functions[name].impl, _ident("fn_", name)))
    lines += [
        "",
        f"N_PARAMS = {model.n_params}",
        f"N_STATES = {model.n_states}",
        f"N_CONSTS = {model.n_const_slots}",
        f"N_INPUTS = {len(model.inputs)}",
        f"N_DERIVED = {model.n_derived}",
        f"N_OBS = {len(model.observed_columns)}",
        "",
        'jit = numba.njit(cache=True, nogil=True, error_model="numpy")',
        "",
    ]
    if model.inputs:
        lines += _INPUT_AT.splitlines() + [""]
    return lines


#: Interpolation of an input at time ``t``, emitted into modules of models with inputs. The
#: constants vector holds, at ``consts[slot]``, where the input's table starts: ``n``, then
#: ``n`` increasing times, then ``n`` values. ``mode`` 0 is linear interpolation, 1 the last
#: value at or before ``t`` (the runtime checks that the table covers every ``t`` the model needs;
#: outside it the end values hold).
_INPUT_AT = '''
@jit
def input_at(consts, slot, t, mode):
    start = int(consts[slot])
    n = int(consts[start])
    times = start + 1
    values = start + 1 + n
    if t <= consts[times]:
        return consts[values]
    if t >= consts[times + n - 1]:
        return consts[values + n - 1]
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if consts[times + mid] <= t:
            lo = mid
        else:
            hi = mid
    if mode == 1:
        return consts[values + lo]
    t0 = consts[times + lo]
    t1 = consts[times + hi]
    w = (t - t0) / (t1 - t0)
    return consts[values + lo] + w * (consts[values + hi] - consts[values + lo])
'''.strip("\n")


def _import_line(fn, alias: str) -> str:
    """``from MODULE import NAME as alias`` for a library implementation (module and name validated)."""
    py = python_function(fn)
    module = ".".join(_ident("", part) for part in py.__module__.split("."))
    return f"from {module} import {_ident('', py.__name__)} as {alias}"


def _used_dists(model: ir.ModelIR):
    return {node.name for node in ir.walk(model) if isinstance(node, ir.Dist)}


def _used_functions(model: ir.ModelIR):
    return {node.fn for node in ir.walk(model) if isinstance(node, ir.Apply)}


def _load_params(w: _Writer, model: ir.ModelIR) -> None:
    for p in model.params:
        if p.size == 0:
            w(f"{_ident('p_', p.name)} = theta[{p.offset}]")


def _load_consts(w: _Writer, model: ir.ModelIR) -> None:
    for c in model.consts:
        if not c.shape:
            w(f"{_ident('c_', c.name)} = consts[{c.offset}]")


def _load_states(w: _Writer, model: ir.ModelIR, source: str = "X[n, {}]") -> None:
    for s in model.states:
        if s.size == 0:
            w(f"{_ident('s_', s.name)} = {source.format(s.offset)}")


def _store_states(w: _Writer, model: ir.ModelIR) -> None:
    for s in model.states:
        if s.size == 0:
            w(f"X[n, {s.offset}] = {_ident('s_', s.name)}")


def _compute_consts(w: _Writer, model: ir.ModelIR) -> None:
    ctx = _Context(model)
    w("@jit")
    w("def compute_consts(overrides, out):")
    with w.indent():
        w("consts = out  # vector constants are read back from where they were written")
        for c in model.consts:
            if c.shape:
                for k, element in enumerate(c.elements):
                    _line(w, ctx, f"out[{c.offset + k}] = {emit_value(element, ctx)}")
                    w(f"if overrides[{c.offset + k}] == overrides[{c.offset + k}]:")
                    with w.indent():
                        w(f"out[{c.offset + k}] = overrides[{c.offset + k}]")
                continue
            name = _ident("c_", c.name)
            _line(w, ctx, f"{name} = {emit_value(c.value, ctx)}")
            w(f"if overrides[{c.offset}] == overrides[{c.offset}]:")
            with w.indent():
                w(f"{name} = overrides[{c.offset}]")
            w(f"out[{c.offset}] = {name}")
    w("")


def _prior(w: _Writer, model: ir.ModelIR) -> None:
    ctx = _Context(model)
    w("@jit")
    w("def prior_logpdf(theta, consts):")
    mark = len(w.lines)
    with w.indent():
        _load_consts(w, model)
        _load_params(w, model)
        w("lp = 0.0")
        for p in model.params:
            args = _dist_args(p.prior, ctx)
            fn = _dist_fn(p.prior, "logpdf")
            if p.prior.size:
                _line(w, ctx, f"lp += {fn}({ctx.whole('param', p.name, p.size)}, {args})")
            elif p.size == 0:
                _line(w, ctx, f"lp += {fn}({_ident('p_', p.name)}, {args})")
            else:
                _line(w, ctx, f"for k in range({p.size}):")
                with w.indent():
                    w(f"lp += {fn}(theta[{p.offset} + k], {args})")
        w("return lp")
    _kernel_top(w, ctx, mark)
    w("")
    w("@jit")
    w("def prior_logpdf_rows(theta, consts, out):")
    with w.indent():
        w("for row in range(theta.shape[0]):")
        with w.indent():
            w("ok = True")
            w("for k in range(theta.shape[1]):")
            with w.indent():
                w("ok = ok and math.isfinite(theta[row, k])")
            w("out[row] = prior_logpdf(theta[row], consts) if ok else -math.inf")
    w("")
    w("@jit")
    w("def prior_sample(rng, consts, out):")
    mark = len(w.lines)
    with w.indent():
        _load_consts(w, model)
        w("for row in range(out.shape[0]):")
        with w.indent():
            w("theta = out[row]")
            if not model.params:
                w("pass")
            for p in model.params:
                args = _dist_args(p.prior, ctx)
                fn = _dist_fn(p.prior, "sample")
                if p.prior.size:
                    _line(w, ctx, f"{fn}(rng, {ctx.whole('param', p.name, p.size)}, {args})")
                elif p.size == 0:
                    _line(w, ctx, f"{_ident('p_', p.name)} = {fn}(rng, {args})")
                    w(f"theta[{p.offset}] = {_ident('p_', p.name)}")
                else:
                    _line(w, ctx, f"for k in range({p.size}):")
                    with w.indent():
                        w(f"theta[{p.offset} + k] = {fn}(rng, {args})")
    _kernel_top(w, ctx, mark)
    w("")
    w("@jit")
    w("def prior_support(theta, consts, lower, upper):")
    mark = len(w.lines)
    with w.indent():
        _load_consts(w, model)
        _load_params(w, model)
        if not model.params:
            w("pass")
        for p in model.params:
            _line(w, ctx, f"lo, hi = {_dist_fn(p.prior, 'support')}({_dist_args(p.prior, ctx)})")
            w(f"for k in range({p.width}):")
            with w.indent():
                w(f"lower[{p.offset} + k] = lo")
                w(f"upper[{p.offset} + k] = hi")
    _kernel_top(w, ctx, mark)
    w("")


def _init(w: _Writer, model: ir.ModelIR) -> None:
    ctx = _Context(model)
    w("@jit")
    w("def init(theta, consts, t0, X, rng):")
    mark = len(w.lines)
    with w.indent():
        _load_params(w, model)
        _load_consts(w, model)
        w("v_t = t0")
        w("for n in range(X.shape[0]):")
        with w.indent():
            if not model.states:
                w("pass")
            for s in model.states:
                if s.init is None and s.init_dist is None and not s.init_elements:  # a simulator's output
                    for k in range(s.width):
                        w(f"X[n, {s.offset + k}] = math.nan")
                    continue
                if s.init_dist is not None and s.init_dist.size:
                    out = ctx.whole("state", s.name, s.size)
                    _line(w, ctx, f"{_dist_fn(s.init_dist, 'sample')}(rng, {out}, {_dist_args(s.init_dist, ctx)})")
                    continue
                if s.init_elements:
                    for k, element in enumerate(s.init_elements):
                        _line(w, ctx, f"X[n, {s.offset + k}] = {emit_value(element, ctx)}")
                    continue
                if s.init_dist is not None:
                    value = f"{_dist_fn(s.init_dist, 'sample')}(rng, {_dist_args(s.init_dist, ctx)})"
                else:
                    value = emit_value(s.init, ctx)
                if s.size == 0:
                    _line(w, ctx, f"{_ident('s_', s.name)} = {value}")
                    w(f"X[n, {s.offset}] = {_ident('s_', s.name)}")
                else:
                    _line(w, ctx, f"for k in range({s.size}):")
                    with w.indent():
                        w(f"X[n, {s.offset} + k] = {value}")
    _kernel_top(w, ctx, mark)
    w("")


def _reset_accums(w: _Writer, model: ir.ModelIR, ctx: _Context, target: str) -> None:
    for s in model.states:
        if not s.is_accum:
            continue
        if s.init_elements:
            for k, element in enumerate(s.init_elements):
                slot = f"{s.offset + k}"
                _line(w, ctx, f"{'X[n, ' + slot + ']' if target == 'locals' else target.format(slot)} = "
                              f"{emit_value(element, ctx)}")
            continue
        value = emit_value(s.init, ctx)
        if s.size == 0:
            _line(w, ctx, f"{target.format(s.offset) if target != 'locals' else _ident('s_', s.name)} = {value}")
        else:
            _line(w, ctx, f"for k in range({s.size}):")
            with w.indent():
                slot = f"{s.offset} + k"
                w(f"{'X[n, ' + slot + ']' if target == 'locals' else target.format(slot)} = {value}")


def _advance_step(w: _Writer, model: ir.ModelIR, dyn: ir.StepDynamics) -> None:
    # Particle outer, steps inner, with the states read and written in place
    # (X[n, k]) rather than copied into locals for the interval. A state in a
    # local is live across the draws' calls into the bit generator; x86-64
    # has no callee-saved float registers, so LLVM spills it, and for the
    # loop-carried value its allocator emits store / reload / store to one
    # stack slot per step: two store-to-load round trips on the state's
    # dependency chain instead of one (random walk: 6.1 vs 4.3 ns per step,
    # filter 1.5x slower than a hand-written one). In place, an update is one
    # load and one store of the row; the arithmetic and draw order are the
    # same (bit-identical results), and with no calls in the step body LLVM
    # promotes the row to registers as before.
    ctx = _Context(model, states="row")
    w("@jit")
    w("def advance(theta, consts, X, t0, t1, rng):")
    mark = len(w.lines)
    with w.indent():
        _load_params(w, model)
        _load_consts(w, model)
        w(f"v_dt = {_num(dyn.dt)}")
        w("n_sub = int(round((t1 - t0) / v_dt))")
        w("for n in range(X.shape[0]):")
        with w.indent():
            w("v_t = t0")
            _reset_accums(w, model, ctx, "X[n, {}]")
            w("for k_sub in range(n_sub):")
            with w.indent():
                w("v_t = t0 + k_sub * v_dt")
                _statements(w, dyn.body, ctx)
    _kernel_top(w, ctx, mark)
    w("")


def _advance_static(w: _Writer, model: ir.ModelIR) -> None:
    ctx = _Context(model)
    w("@jit")
    w("def advance(theta, consts, X, t0, t1, rng):")
    with w.indent():
        _load_params(w, model)
        _load_consts(w, model)
        w("v_t = t0")
        w("for n in range(X.shape[0]):")
        with w.indent():
            _load_states(w, model)
            _reset_accums(w, model, ctx, "locals")
            _store_states(w, model)
            w("pass")
    w("")


def _advance_ode(w: _Writer, model: ir.ModelIR, dyn: ir.OdeDynamics, library: Library) -> None:
    if not library.ode_solvers:
        raise ValueError("the library has no ODE solvers (Library.ode_solvers) to compile an `ode` block with")
    ctx = _Context(model, states="y")
    w("@jit")
    w("def rhs(v_t, y, dy, theta, consts):")
    with w.indent():
        _load_params(w, model)
        _load_consts(w, model)
        w("v_dt = 0.0")
        w("for i in range(dy.shape[0]):")
        with w.indent():
            w("dy[i] = 0.0")
        _statements(w, dyn.body, ctx)
    w("")
    w("")
    w.lines.extend(library.ode_solvers.splitlines())  # rk4_integrate, rk45_integrate: they call rhs
    w("")
    w("@jit")
    w("def advance(theta, consts, X, t0, t1, rng):")
    with w.indent():
        _load_params(w, model)
        _load_consts(w, model)
        w("v_t = t0")
        w("y = np.empty(X.shape[1])")
        w("for n in range(X.shape[0]):")
        with w.indent():
            w("for i in range(X.shape[1]):")
            with w.indent():
                w("y[i] = X[n, i]")
            _reset_accums(w, model, _Context(model, states="y"), "y[{}]")
            if dyn.solver == "rk4":
                w(f"ok = rk4_integrate(theta, consts, t0, t1, y, {_num(dyn.dt)})")
            else:  # the adaptive solvers: rk45, rodas4
                w(
                    f"ok = {_ident('', dyn.solver)}_integrate(theta, consts, t0, t1, y, {_num(dyn.dt)}, "
                    f"{_num(dyn.rtol)}, {_num(dyn.atol)}, {int(dyn.max_steps)})"
                )
            w("for i in range(X.shape[1]):")
            with w.indent():
                w("X[n, i] = y[i] if ok else math.nan")
    w("")


def _observations(w: _Writer, model: ir.ModelIR) -> None:
    ctx = _Context(model)
    signatures = {
        "obs_logpdf": "theta, consts, X, t, y, out",
        "obs_logpdf_cols": "theta, consts, X, t, y, out",
        "obs_sample": "theta, consts, X, t, rng, out",
        "obs_args": "theta, consts, X, t, out",
    }
    starts = [sum(o.width for o in model.observations[:i]) for i in range(len(model.observations))]
    for kernel, args in signatures.items():
        w("@jit")
        w(f"def {kernel}({args}):")
        mark = len(w.lines)
        with w.indent():
            _load_params(w, model)
            _load_consts(w, model)
            w("v_t = t")
            w("v_dt = 0.0")
            w("for n in range(X.shape[0]):")
            with w.indent():
                _load_states(w, model)
                if kernel == "obs_logpdf":
                    w("acc = 0.0")
                for j, obs in zip(starts, model.observations):
                    if obs.size:
                        _multivariate_observation(w, ctx, kernel, j, obs)
                        continue
                    args_ = _dist_args(obs.dist, ctx)
                    if kernel == "obs_args":
                        for k, a in enumerate(obs.dist.args):
                            _line(w, ctx, f"out[n, {j}, {k}] = {emit_value(a, ctx)}")
                        continue
                    if kernel == "obs_sample":
                        _line(w, ctx, f"out[n, {j}] = {_dist_fn(obs.dist, 'sample')}(rng, {args_})")
                        continue
                    _line(w, ctx, f"y_{j} = y[{j}]")
                    w(f"if y_{j} == y_{j}:")
                    with w.indent():
                        value = f"{_dist_fn(obs.dist, 'logpdf')}(y_{j}, {args_})"
                        w(f"acc += {value}" if kernel == "obs_logpdf" else f"out[n, {j}] = {value}")
                    if kernel == "obs_logpdf_cols":
                        w("else:")
                        with w.indent():
                            w(f"out[n, {j}] = 0.0")
                if kernel == "obs_logpdf":
                    w("out[n] = acc")
                elif not model.observations:
                    w("pass")
        _kernel_top(w, ctx, mark)
        w("")


def _multivariate_observation(w: _Writer, ctx: _Context, kernel: str, j: int, obs: ir.Observation) -> None:
    """Columns ``j`` .. ``j + K - 1`` observed jointly; skipped when any of them is missing.

    Its log density goes to the first column of ``obs_logpdf_cols`` (0 in the others); ``obs_args``
    leaves its columns alone (residual checks take one family per column).
    """
    k = obs.size
    if kernel == "obs_args":
        w("pass")
        return
    args_ = _dist_args(obs.dist, ctx)
    if kernel == "obs_sample":
        _line(w, ctx, f"{_dist_fn(obs.dist, 'sample')}(rng, out[n, {j}:{j + k}], {args_})")
        return
    _line(w, ctx, f"ok_{j} = True")
    w(f"for q in range({j}, {j + k}):")
    with w.indent():
        w(f"ok_{j} = ok_{j} and y[q] == y[q]")
    if kernel == "obs_logpdf_cols":
        w(f"for q in range({j}, {j + k}):")
        with w.indent():
            w("out[n, q] = 0.0")
    w(f"if ok_{j}:")
    with w.indent():
        value = f"{_dist_fn(obs.dist, 'logpdf')}(y[{j}:{j + k}], {args_})"
        w(f"acc += {value}" if kernel == "obs_logpdf" else f"out[n, {j}] = {value}")


def _derived(w: _Writer, model: ir.ModelIR) -> None:
    """``derived_rows(thetas, consts, out)``: ``out[r]`` = the derived quantities of draw ``thetas[r]``."""
    ctx = _Context(model)
    w("@jit")
    w("def derived_rows(thetas, consts, out):")
    with w.indent():
        _load_consts(w, model)
        w("for row in range(thetas.shape[0]):")
        with w.indent():
            w("theta = thetas[row]")
            _load_params(w, model)
            if not model.derived:
                w("pass")
            for d in model.derived:
                for k, element in enumerate(d.elements):
                    _line(w, ctx, f"out[row, {d.offset + k}] = {emit_value(element, ctx)}")
    w("")


def _simulator_kernels(w: _Writer, model: ir.ModelIR, simulator) -> None:
    """``init``/``advance`` calling a simulator's Numba kernels with ``p``, the values of what it reads."""
    sim_init, sim_advance = simulator.numba_kernels
    w(_import_line(sim_init, "sim_init"))
    w(_import_line(sim_advance, "sim_advance"))
    w("")
    params = {p.name: p for p in model.params}
    consts = {c.name: c for c in model.consts}
    reads = model.dynamics.reads

    def fill() -> None:
        w(f"p = np.empty({len(reads)})")
        for k, name in enumerate(reads):
            source = f"theta[{params[name].offset}]" if name in params else f"consts[{consts[name].offset}]"
            w(f"p[{k}] = {source}")

    w("@jit")
    w("def init(theta, consts, t0, X, rng):")
    with w.indent():
        fill()
        w("sim_init(p, t0, X, rng)")
    w("")
    w("@jit")
    w("def advance(theta, consts, X, t0, t1, rng):")
    with w.indent():
        fill()
        w("sim_advance(p, X, t0, t1, rng)")
    w("")


def generate(model: ir.ModelIR, version: str, library: Library) -> str:
    """Python source of the kernel module for ``model``, calling ``library``'s implementations."""
    with recursion_room():
        return _generate(model, version, library)


def _generate(model: ir.ModelIR, version: str, library: Library) -> str:
    w = _Writer()
    w.lines.extend(_header(model, version, library))
    _compute_consts(w, model)
    _prior(w, model)
    if isinstance(model.dynamics, ir.SimulatorDynamics) and model.dynamics.compiled:
        _simulator_kernels(w, model, library.simulators[model.dynamics.name])
        _observations(w, model)
        _derived(w, model)
        return w.text()
    _init(w, model)
    if isinstance(model.dynamics, ir.StepDynamics):
        _advance_step(w, model, model.dynamics)
    elif isinstance(model.dynamics, ir.OdeDynamics):
        _advance_ode(w, model, model.dynamics, library)
    else:
        _advance_static(w, model)
    _observations(w, model)
    _derived(w, model)
    return w.text()
