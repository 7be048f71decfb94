"""Evaluate an IR expression (:mod:`ponder.lang.ir`) in Python, as the kernels would compute it.

The checker folds constants with it (``1/0``, ``2 * K``), and the runtime
evaluates with it what it can know before a run: a prior's arguments at a
draw of the parameters, an error model's arguments at a data row (its
constants, inputs and time). What a name stands for is the caller's to say,
through ``ref``; a name whose value is not known (a state, while the data
are read) makes the whole expression unknown, ``None``::

    fold(expr, lambda ref, index, column: values.get(ref.name), library.functions)

``a ^ b`` is the library's ``pow``; comparisons and ``and``/``or`` give 1.0
or 0.0; ``x / 0`` is ``inf``, ``-inf`` or ``nan``, never an exception. A
value too large for a float raises :class:`OverflowError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from ponder.lang import ir
from ponder.lang.library import Function, python_function

#: ``ref(node, index, column)``: the value of a name (``index``/``column``: its element, folded), or None if unknown.
RefValue = Callable[[ir.Ref, "int | None", "int | None"], "float | None"]


def fold(e: ir.IExpr, ref: RefValue, functions: Mapping[str, Function], loops: dict | None = None) -> float | None:
    """The value of ``e``, or None where it depends on a name ``ref`` does not know.

    ``loops`` holds the values of reduction variables (``sum(w)`` is a
    :class:`~ponder.lang.ir.Reduce` over one).
    """
    loops = loops or {}

    def rec(x: ir.IExpr) -> float | None:
        return fold(x, ref, functions, loops)

    if isinstance(e, ir.Num):
        return e.value
    if isinstance(e, ir.Ref):
        if e.kind == "loop":
            return float(loops[e.name]) if e.name in loops else None
        index = column = None
        for part, name in ((e.index, "index"), (e.column, "column")):
            if part is not None:
                value = rec(part)
                if value is None or not math.isfinite(value):
                    return None
                index, column = (int(value), column) if name == "index" else (index, int(value))
        return ref(e, index, column)
    if isinstance(e, ir.Reduce):
        total = 0.0 if e.op == "+" else 1.0
        for i in range(e.size):
            item = fold(e.body, ref, functions, {**loops, e.var: i})
            if item is None:
                return None
            total = total + item if e.op == "+" else total * item
        return total
    if isinstance(e, ir.Cond):
        cond = rec(e.cond)
        return None if cond is None else rec(e.then if cond else e.orelse)
    args = [rec(a) for a in e.args]
    if any(a is None for a in args):
        return None
    if isinstance(e, ir.Apply):
        return float(python_function(functions[e.fn].impl)(*args))
    if isinstance(e, ir.Op) and len(args) == 1:
        return -args[0] if e.op == "-" else float(not args[0])
    if isinstance(e, ir.Op):
        if e.op == "^":
            return float(python_function(functions["pow"].impl)(*args))
        return float(BINARY[e.op](*args))
    raise AssertionError(e)


BINARY = {
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
