"""The records a library of the language is made of: distributions and math functions.

The checker and the code generator read every distribution and function
from a :class:`Library` they are given; they never import one. ponder's own
(:mod:`ponder.stdlib`) and a plugin's register the same records through the
``ponder_add_distributions`` and ``ponder_add_functions`` hooks, and the
plugin manager hands the merged library to the compiler.

A **distribution** (:class:`Distribution`) has

* ``params`` -- argument names in call order, and ``param_bounds``, the
  :class:`Interval` each argument must lie in; the checker rejects literal
  arguments outside it (``Normal(0, -1)``);
* ``ordered`` -- pairs of arguments that must be in order (:class:`Ordered`:
  ``Uniform``'s ``lower < upper``); the checker rejects constant arguments
  out of order (``Uniform(1, 1)``), and a run names the prior whose
  arguments, computed from other parameters, break a bound or an order;
* ``logpdf(x, *args)`` -- a Numba function (``numba.njit``, a module global
  of an importable module) returning the log density (log mass for discrete
  families): ``-inf`` outside the support (and at non-integers for discrete
  families) and for invalid arguments, ``nan`` if ``x`` or an argument is
  nan, and never raising;
* ``sample(rng, *args)`` -- a Numba function drawing one value from an
  explicit ``numpy.random.Generator``; ``nan`` for invalid arguments;
* ``support(*args)`` -- a Numba function returning ``(lower, upper)``, the
  closed hull of the support (parameters map to unconstrained space from
  these bounds). Observed data are checked against it before a run, with
  ``nan`` for the arguments not known from the data (a state, a
  parameter): an end that depends on such an argument must then be ``nan``
  (as arithmetic makes it), an end that does not is checked;
* ``scipy(*args)`` -- the frozen ``scipy.stats`` twin, for tests and
  residual checks; ``discrete`` -- whether values are integers.

A **multivariate** distribution (``arg_shapes`` given) has a vector value
of some length K: each argument's entry in ``arg_shapes`` says what it is
(``""`` a number, ``"K"`` a vector of K, ``"KK"`` a K x K matrix), and
then ``logpdf(x, *args)`` takes the value ``x`` as a 1-D float64 array,
vector arguments as 1-D and matrix arguments as 2-D arrays, and
``sample(rng, out, *args)`` writes a draw into the 1-D array ``out``
(NaNs for invalid arguments). ``support(*args)`` gives the bounds of every
element.

A **function** (:class:`Function`) has a Numba implementation ``impl``
(float64 arguments, a float64 result, never raising) and a NumPy twin for
the tests; ``min_arity``/``max_arity`` bound its number of arguments
(``max_arity`` None: any number).

All arguments and values are float64.

A **simulator** is an external model (Python, Numba, or a program) that a
``.model`` names with ``simulator NAME`` in place of ``step``/``ode``; its
runtime contract is :mod:`ponder.runtime.simulators.contract`. The checker
reads only what it declares: ``capabilities`` (a
:class:`SimulatorCapabilities`), and optionally ``output_names`` and
``parameters``.
"""

from __future__ import annotations

import hashlib
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

INF = math.inf


@dataclass(frozen=True)
class Interval:
    """A real interval; ``lo_open``/``hi_open`` say whether an end is excluded."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def contains(self, value: float) -> bool:
        above = value > self.lo if self.lo_open else value >= self.lo
        below = value < self.hi if self.hi_open else value <= self.hi
        return above and below

    def describe(self) -> str:
        left = "(" if self.lo_open or self.lo == -INF else "["
        right = ")" if self.hi_open or self.hi == INF else "]"
        return f"{left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"


def _fmt(v: float) -> str:
    if v == INF:
        return "inf"
    if v == -INF:
        return "-inf"
    return f"{v:g}"


REAL = Interval(-INF, INF, True, True)
POSITIVE = Interval(0.0, INF, True, True)
NONNEGATIVE = Interval(0.0, INF, False, True)
UNIT = Interval(0.0, 1.0)
OPEN_UNIT = Interval(0.0, 1.0, True, True)
#: The whole real line including its ends (bounds of truncation points).
EXTENDED_REAL = Interval(-INF, INF)
#: Success probabilities that must be positive (``Geometric``).
POSITIVE_UNIT = Interval(0.0, 1.0, lo_open=True)


@dataclass(frozen=True)
class Ordered:
    """Arguments ``lower`` and ``upper`` (names of a distribution's ``params``) must satisfy
    ``lower < upper``, or ``lower <= upper`` when not ``strict``."""

    lower: str
    upper: str
    strict: bool = True

    def holds(self, lower: float, upper: float) -> bool:
        return lower < upper if self.strict else lower <= upper

    def describe(self) -> str:
        return f"{self.lower} {'<' if self.strict else '<='} {self.upper}"


@dataclass(frozen=True)
class Distribution:
    """One distribution family; see the module docstring for each field."""

    name: str
    params: tuple[str, ...]
    param_bounds: tuple[Interval, ...]
    logpdf: Callable
    sample: Callable
    support: Callable
    scipy: Callable
    discrete: bool = False
    doc: str = ""
    #: per argument: "" a number, "K" a vector, "KK" a matrix; empty for a scalar family
    arg_shapes: tuple[str, ...] = ()
    #: whether it can be a parameter's prior (False: needs a transform ponder does not have, e.g. a simplex)
    prior_ok: bool = True
    #: pairs of arguments that must be in order (:class:`Ordered`)
    ordered: tuple[Ordered, ...] = ()

    def __post_init__(self):
        for order in self.ordered:
            for name in (order.lower, order.upper):
                if name not in self.params:
                    raise ValueError(f"`{self.name}` orders `{name}`, which is not one of its params {self.params}")

    @property
    def arity(self) -> int:
        return len(self.params)

    @property
    def multivariate(self) -> bool:
        """True when the value is a vector (see ``arg_shapes``)."""
        return bool(self.arg_shapes)

    def implementations(self) -> tuple[Callable, ...]:
        return (self.logpdf, self.sample, self.support)


@dataclass(frozen=True)
class Function:
    """One math function: its name in the language and its implementations."""

    name: str
    min_arity: int
    max_arity: int | None
    impl: Callable
    numpy: Callable
    doc: str = ""

    def accepts(self, n_args: int) -> bool:
        return n_args >= self.min_arity and (self.max_arity is None or n_args <= self.max_arity)

    def describe_arity(self) -> str:
        if self.max_arity == self.min_arity:
            return f"{self.min_arity} argument" + ("s" if self.min_arity != 1 else "")
        if self.max_arity is None:
            return f"{self.min_arity} or more arguments"
        return f"{self.min_arity} to {self.max_arity} arguments"

    def implementations(self) -> tuple[Callable, ...]:
        return (self.impl,)


def python_function(fn: Callable) -> Callable:
    """The plain Python function behind a Numba dispatcher (or ``fn`` itself)."""
    return getattr(fn, "py_func", fn)


@dataclass(frozen=True)
class SimulatorCapabilities:
    """What a simulator declares it can do (:mod:`ponder.runtime.simulators.contract` says what each means)."""

    deterministic: bool = False
    thread_safe: bool = False
    vectorised: bool = True


def simulator_capabilities(simulator) -> SimulatorCapabilities:
    """The declared capabilities of ``simulator`` (none declared: stochastic, not thread-safe, vectorised)."""
    return getattr(simulator, "capabilities", None) or SimulatorCapabilities()


@dataclass(frozen=True)
class Library:
    """The distributions and functions a model may use, and where each comes from.

    ``origins`` maps a name to the plugin (package and version) that
    registered it; with the text of the modules that implement each entry it
    makes :attr:`digest`, which is part of every kernel's cache key, so
    changing a plugin's code recompiles the models that were built with it.

    ``simulators`` maps registered names to external simulators; the
    modules of those with Numba kernels (``numba_kernels``) are part of
    :attr:`digest`, as the kernels are compiled into the models' own.

    ``ode_solvers`` is the Python source of the ODE solvers
    (``rk4_integrate``, ``rk45_integrate``) that the code generator copies
    into the kernel module of every model with an ``ode`` block, where they
    call the module's generated ``rhs`` (the standard library's is
    :data:`ponder.stdlib.ode.SOURCE`); empty: ODE models cannot be compiled
    against this library. It is part of :attr:`digest` too.
    """

    distributions: Mapping[str, Distribution]
    functions: Mapping[str, Function]
    origins: Mapping[str, str] = field(default_factory=dict)
    ode_solvers: str = ""
    simulators: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        clash = set(self.distributions) & set(self.functions)
        if clash:
            raise ValueError(f"`{sorted(clash)[0]}` is both a distribution and a function")

    @property
    def digest(self) -> str:
        cached = self.__dict__.get("_digest")
        if cached is None:
            h = hashlib.sha256()
            modules = set()
            for kind, table in (("dist", self.distributions), ("fn", self.functions)):
                for name in sorted(table):
                    entry = table[name]
                    impls = [python_function(f) for f in entry.implementations()]
                    modules.update(f.__module__ for f in impls)
                    where = ",".join(f"{f.__module__}.{f.__name__}" for f in impls)
                    h.update(f"{kind} {name} {self.origins.get(name, '')} {where}\n".encode())
            for name in sorted(self.simulators):  # Numba simulators' kernels are compiled into the model's
                kernels = getattr(self.simulators[name], "numba_kernels", None)
                if kernels is not None:
                    impls = [python_function(f) for f in kernels]
                    modules.update(f.__module__ for f in impls)
                    h.update(f"simulator {name} {','.join(f'{f.__module__}.{f.__name__}' for f in impls)}\n".encode())
            for module in sorted(modules):
                h.update(module.encode() + b"\n" + _module_text(module) + b"\n")
            # and the files beside them: Numba compiles a helper module's code (stdlib/discrete.py) into its callers
            for path in _sibling_files(modules):
                h.update(path.name.encode() + b"\n" + _file_bytes(path) + b"\n")
            h.update(b"ode_solvers\n" + self.ode_solvers.encode())
            cached = h.hexdigest()[:24]
            object.__setattr__(self, "_digest", cached)
        return cached


def _sibling_files(modules) -> list:
    """The ``.py`` files in the package folders of ``modules``, sorted: the same list whatever is imported.

    A top-level module (no package) has no siblings: its folder may be ``site-packages`` itself.
    """
    folders = set()
    for module in (m for m in modules if "." in m):
        path = getattr(sys.modules.get(module), "__file__", None)
        if path:
            folders.add(Path(path).resolve().parent)
    files = []
    for folder in sorted(folders):
        try:
            files.extend(sorted(p for p in folder.glob("*.py") if p.is_file()))
        except OSError:
            continue
    return files


def _file_bytes(path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


def _module_text(module: str) -> bytes:
    path = getattr(sys.modules.get(module), "__file__", None)
    return _file_bytes(path) if path else b""
