"""The catalogue of user-facing error messages: every text a user reads, in one place.

Like stanc3's ``Semantic_error`` module, each message has one function here,
named for the mistake it reports. A function takes the variable parts of the
message (names, spans, values, the alternatives a hint lists) and returns the
:class:`~ponder.lang.errors.ModelError` with its text and hint; it raises
nothing itself. Call sites read::

    raise messages.unknown_distribution(call.name, call.name_span, library.distributions)

so the code that finds a mistake says *which* mistake it is, and this module
says how it is worded. The rules:

* one function per message; where two places report the same mistake they
  call the same function (an argument chooses between the hints that differ);
* no ``ModelError("...")`` with a text written at a call site, in any module
  converted to the catalogue (``tests/lang/test_messages.py`` checks this and
  that every function here renders);
* spans and sources are passed in: where a message points is the caller's
  business, what it says is this module's;
* this module imports only :mod:`ponder.lang.errors` and the standard
  library, so every layer can use it.

Changing a text here changes what users see; the expected messages in
``tests/lang/bad/*.err`` and many tests pin them.
"""

from __future__ import annotations

import errno
import math
from pathlib import PurePath
from typing import Any, Iterable

from ponder.lang.errors import ModelError, ModelWarning, Source, Span, did_you_mean, one_of


def _fixed(kind: str) -> str:
    """``param`` -> "parameter", anything else (``const``) -> "constant"."""
    return "parameter" if kind == "param" else "constant"


def _signature(name: str, params: Iterable[str]) -> str:
    return f"`{name}({', '.join(params)})`"


# ------------------------------------------------------------ syntax
_CHARACTER_HINTS = {
    "'": 'strings use double quotes: "file.csv"',
    "*": "`**` is written `^`",
    ".": "ranges are written `0..K`",
}

#: Hints for an unexpected token, by the situation the parser recognised.
TOKEN_HINTS = {
    "after_tilde": "expected a distribution after `~`, such as `Normal(0, 1)`",
    "missing_brace": "missing `}` before this line",
    "call_without_parentheses": "a distribution needs its arguments in parentheses, such as `Normal(0, 1)`",
    "param_with_equals": "parameters take a prior with `~`: `param a ~ Normal(0, 1)`",
    "observe_with_equals": "an observation takes its error model with `~`: `observe y ~ Normal(x, sigma)`",
    "two_values": "two values in a row: is an operator or a `,` missing?",
    "double_star": "powers are written `x ^ 2`, not `x ** 2`",
    "elif": "write `else if`",
    "closes_nothing": "nothing is open here for it to close: remove it",
    "declaration": "a declaration starts with `param`, `const`, `state`, `accum`, `step`, `ode`, `observe`, `data`, "
                   "`input`, `fn`, `derived`, `summary`, `replicate`, `infer`, `t0` or `model`",
}


def unexpected_character(char: str, span: Span, source: Source) -> ModelError:
    if char in _CHARACTER_HINTS:
        hint = _CHARACTER_HINTS[char]
    elif char in "!&|":
        hint = "use `not`, `and`, `or` for logic, and `!=` for 'not equal'"
    elif not char.isprintable():
        hint = "an invisible character (it may have come with copied text): delete it"
    elif not char.isascii():
        hint = "names are ASCII letters, digits and `_` (write `sigma`, not `σ`); operators are `+ - * / ^`"
    else:
        hint = "this character means nothing in a model: remove it (comments start with `#`)"
    shown = f"`{char}`" if char.isprintable() else f"U+{ord(char):04X}"
    return ModelError(f"unexpected character {shown}", span, hint=hint, source=source)


def unexpected_end_of_file(span: Span, source: Source, unclosed_brace: bool = False, expected: str = "") -> ModelError:
    """``expected``: what could have come next, as words ("`)` or `,`"), or ''."""
    if unclosed_brace:
        hint = "a `{` is never closed: add `}`"
    else:
        hint = f"expected {expected}" if expected else "the last declaration is cut short: finish it, or remove it"
    return ModelError("unexpected end of file", span, hint=hint, source=source)


def unexpected_token(token: str, span: Span, source: Source, situation: str | None = None,
                     expected: str = "") -> ModelError:
    """``token`` as words ("keyword `then`"); ``situation`` a key of :data:`TOKEN_HINTS`, or None."""
    if situation is not None:
        hint = TOKEN_HINTS[situation]
    else:
        hint = (f"expected {expected}" if expected
                else "this cannot come here: is an operator, a `,` or a bracket missing before it, or is it extra?")
    return ModelError(f"unexpected {token}", span, hint=hint, source=source)


def number_too_large(text: str, span: Span) -> ModelError:
    shown = f"`{text}`" if len(text) <= 40 else f"`{text[:30]}...` ({len(text):,} characters)"
    return ModelError(f"the number {shown} is too large", span,
                      hint="numbers must be finite: at most about 1.8e308")


# ------------------------------------------------------------ names and scopes
def reserved_name(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` is reserved", span, hint="`t` is the time, `dt` the step length; choose another name")


def declared_twice(name: str, span: Span, kind: str, first: Span) -> ModelError:
    """``kind``: what the name already is (``param``, ``const``, ``state``, ``input``, ...), declared at ``first``."""
    article = "an" if kind[:1] in "aeiou" else "a"
    return ModelError(f"`{name}` is declared twice", span, hint=f"it is already {article} {kind} on line {first.line}")


def used_before_defined(name: str, span: Span, definition: Span) -> ModelError:
    return ModelError(
        f"`{name}` is used before it is defined",
        span,
        hint=f"`{name}` is drawn or assigned on line {definition.line}; move that line above this use",
    )


def used_before_declared(name: str, span: Span, declaration: Span) -> ModelError:
    return ModelError(
        f"`{name}` is used before it is declared",
        span,
        hint=f"`{name}` is declared on line {declaration.line}; declare it above this line",
    )


def distribution_as_value(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` is a distribution, not a value", span, hint=f"draw from it with `x ~ {name}(...)`")


def function_as_value(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` is a function", span, hint=f"call it: `{name}(...)`")


def undefined_name(name: str, span: Span, known: Iterable[str], updated: bool = False) -> ModelError:
    """``known``: the names in scope, for "did you mean"; ``updated``: the name is the target of ``+=`` etc."""
    hint = did_you_mean(name, known)
    if updated:
        hint = hint or f"`{name}` is not defined yet; start with `{name} = ...`"
    hint = hint or "declare it with `param`, `const`, `state` or `input`, or assign it in a block above this use"
    return ModelError(f"undefined name `{name}`", span, hint=hint)


def time_not_allowed(name: str, what: str, span: Span) -> ModelError:
    """``t`` or ``dt`` used in ``what`` ("a constant", "an argument")."""
    return ModelError(f"`{name}` cannot be used in {what}", span,
                      hint="time is only known in states, dynamics and observations")


def state_not_allowed(name: str, what: str, span: Span) -> ModelError:
    return ModelError(f"the state `{name}` cannot be used in {what}", span,
                      hint="priors, constants and derived quantities cannot depend on states")


def parameter_not_allowed(name: str, what: str, span: Span) -> ModelError:
    return ModelError(f"the parameter `{name}` cannot be used in {what}", span,
                      hint="constants are fixed numbers; parameters are only known at run time")


def cannot_assign_time(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` cannot be assigned", span, hint="`t` and `dt` are set by ponder")


def cannot_assign_fixed(name: str, kind: str, span: Span) -> ModelError:
    """Assigning to a ``param`` or a ``const`` (``kind``)."""
    return ModelError(
        f"cannot assign to the {_fixed(kind)} `{name}`",
        span,
        hint="parameters and constants are fixed during a run; use a `state` or a local",
    )


def cannot_assign_loop_variable(name: str, span: Span) -> ModelError:
    return ModelError(f"cannot assign to the loop variable `{name}`", span,
                      hint="the loop sets it; assign the value to a local or a state instead")


def loop_variable_hides_name(name: str, span: Span) -> ModelError:
    return ModelError(f"the loop variable `{name}` hides another name", span,
                      hint="choose a name that is not used elsewhere, such as `i`")


# ------------------------------------------------------------ declarations
def more_than_one_model(span: Span, name: str) -> ModelError:
    """A second ``model`` line; ``name`` is the one the first gave."""
    return ModelError("a file holds one model", span, hint=f"the model is already named `{name}`")


def more_than_one_block(what: str, span: Span, first: Span) -> ModelError:
    """A second ``what`` ("`t0`", "`infer` block"); ``first`` is where the first one is."""
    return ModelError(
        f"the model has more than one {what}",
        span,
        hint=f"the first one is on line {first.line}; merge them into one",
    )


def discrete_prior(name: str, distribution: str, span: Span) -> ModelError:
    return ModelError(
        f"the prior of `{name}` is the discrete distribution `{distribution}`",
        span,
        hint="parameters are continuous; use a continuous prior such as `Uniform` or `Gamma`",
    )


def constant_overflows(span: Span) -> ModelError:
    return ModelError("this constant overflows", span,
                      hint="its value is beyond about 1.8e308; write it on a log scale (`log(...)`, `exp(...)`)")


def column_observed_twice(column: str, span: Span, first: Span) -> ModelError:
    return ModelError(
        f"column `{column}` is observed twice",
        span,
        hint=f"its error model is already given on line {first.line}",
    )


def time_is_not_an_observation(span: Span) -> ModelError:
    return ModelError("`time` is the time column, not an observation", span,
                      hint="observe the other columns: `time` says when each row was observed")


def override_not_a_constant(name: str, span: Span, consts: Iterable[str]) -> ModelError:
    consts = list(consts)
    return ModelError(
        f"a replicate can only override a `const`, and `{name}` is not one",
        span,
        hint=did_you_mean(name, consts) or (f"constants are {one_of(consts)}" if consts else "declare it with `const`"),
    )


def override_of_a_size(name: str, span: Span, use: Span) -> ModelError:
    """Overriding a const that a size, loop bound or step length (at ``use``) was computed from."""
    return ModelError(
        f"`{name}` fixes a size, a loop bound or a step length, so a replicate cannot change it",
        span,
        hint=f"it is used on line {use.line}",
    )


def overridden_twice(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` is overridden twice", span, hint="give each override once in a `replicate` block")


def setting_twice(key: str, span: Span) -> ModelError:
    """An ``infer`` setting given twice."""
    return ModelError(f"`{key}` is set twice", span, hint="give each setting of the `infer` block once")


# ------------------------------------------------------------ distributions and functions
def unknown_distribution(name: str, span: Span, known: Iterable[str]) -> ModelError:
    known = list(known)
    return ModelError(
        f"unknown distribution `{name}`",
        span,
        hint=did_you_mean(name, known) or f"distributions are {one_of(known, 30)}",
    )


def function_as_distribution(name: str, span: Span) -> ModelError:
    return ModelError(
        f"`{name}` is a function, not a distribution",
        span,
        hint="after `~` comes a distribution such as `Normal(mu, sigma)`",
    )


def distribution_arity(name: str, params: Iterable[str], given: int, span: Span) -> ModelError:
    """``params``: the distribution's parameter names; ``given``: how many arguments the call has."""
    params = list(params)
    arity = len(params)
    return ModelError(
        f"`{name}` takes {arity} argument{'s' if arity != 1 else ''}, not {given}",
        span,
        hint=_signature(name, params),
    )


def argument_out_of_range(param: str, name: str, allowed: str, value: float, params: Iterable[str],
                          span: Span) -> ModelError:
    """A literal argument ``value`` of distribution ``name`` outside ``allowed`` ("(0, inf)")."""
    return ModelError(
        f"`{param}` of `{name}` must be in {allowed}, not {value:g}",
        span,
        hint=_signature(name, params),
    )


def arguments_out_of_order(name: str, order: str, lower: str, lower_value: float, upper: str, upper_value: float,
                           params: Iterable[str], span: Span) -> ModelError:
    """Constant arguments of distribution ``name`` that break its ``order`` ("lower < upper")."""
    return ModelError(
        f"`{name}` needs {order}, but {lower} = {lower_value:g} and {upper} = {upper_value:g}",
        span,
        hint=_signature(name, params),
    )


def unknown_function(name: str, span: Span, known: Iterable[str]) -> ModelError:
    known = list(known)
    return ModelError(
        f"unknown function `{name}`",
        span,
        hint=did_you_mean(name, known) or f"functions are {one_of(known, 30)}",
    )


def distribution_as_function(name: str, span: Span) -> ModelError:
    return ModelError(
        f"`{name}` is a distribution, not a function",
        span,
        hint=f"draw from it on its own line: `x ~ {name}(...)`",
    )


def function_arity(name: str, arity: str, given: int, span: Span, signature: str | None = None,
                   vector: bool = False) -> ModelError:
    """``arity`` in words ("1 argument", "2 or more arguments"); ``signature``: a model's own function's;
    ``vector``: one of the functions of vectors (``sum``, ``dot``, ...)."""
    if vector:
        hint = "`sum`, `prod`, `mean` and `length` take one vector, `dot` two: `dot(a, b)`"
    elif signature:
        hint = f"it is defined as `fn {signature}`"
    else:
        hint = f"`ponder plugins {name}` describes it"
    return ModelError(f"`{name}` takes {arity}, not {given}", span, hint=hint)


# ------------------------------------------------------------ sizes and indices
def bad_vector_size(value: float, span: Span) -> ModelError:
    return ModelError(
        f"a vector size must be a whole number of at least 1, not {value:g}",  # inf and nan print as such
        span,
        hint="write a size such as `[3]`, or a `const` that holds one",
    )


def not_a_whole_number(what: str, value: float, span: Span) -> ModelError:
    """``what`` ("a loop bound", "an index", "`particles`") is a fraction (or not finite)."""
    example = f", such as {math.floor(value):g}" if math.isfinite(value) else ""
    return ModelError(f"{what} must be a whole number, not {value:g}", span,
                      hint=f"write a whole number{example}, or a `const` that holds one")


def vector_needs_index(name: str, size: int, span: Span, target: bool = False) -> ModelError:
    """A vector used (or, with ``target``, assigned) without an index."""
    pick = "pick one with an index" if target else "pick one value with an index"
    return ModelError(f"`{name}` is a vector of {size} values", span, hint=f"{pick}: `{name}[i]`")


def not_a_vector(name: str, span: Span, local: bool = False) -> ModelError:
    """An index on a scalar; ``local``: on a new local of a block."""
    if local:
        hint = "locals are scalars; declare vectors with `state NAME[K] = ...`"
    else:
        hint = "only `param`s and `state`s declared with `[K]` take an index"
    return ModelError(f"`{name}` is not a vector", span, hint=hint)


def index_out_of_range(name: str, low: int, high: int, size: int, span: Span) -> ModelError:
    """An index that takes values ``low``..``high`` on a vector of ``size``."""
    shown = f"{low}" if low == high else f"{low}..{high}"
    return ModelError(
        f"index {shown} is out of range for `{name}`, which has {size} values",
        span,
        hint=f"indices run from 0 to {size - 1}",
    )


def index_not_static(span: Span) -> ModelError:
    """An index whose range cannot be known before the run."""
    return ModelError(
        "an index must be built from whole numbers and loop variables",
        span,
        hint="write `x[i]`, `x[i + 1]` or `x[2]` with `i` from `for i in 0..K`",
    )


def loop_never_runs(var: str, start: int, stop: int, span: Span) -> ModelError:
    return ModelError(
        f"the loop `{var} in {start}..{stop}` never runs",
        span,
        hint="the end is exclusive: `0..K` runs 0, 1, ..., K-1",
    )


# ------------------------------------------------------------ dynamics
def unknown_block_option(block: str, name: str, span: Span, known: Iterable[str]) -> ModelError:
    """An option of ``step(...)`` or ``ode(...)`` (``block``) that does not exist."""
    known = list(known)
    return ModelError(
        f"`{block}` has no option `{name}`",
        span,
        hint=did_you_mean(name, known) or f"options are {one_of(known)}",
    )


def block_option_twice(name: str, span: Span) -> ModelError:
    return ModelError(f"option `{name}` is given twice", span, hint="give each option once")


def block_option_takes_name(name: str, span: Span) -> ModelError:
    return ModelError(f"option `{name}` takes a name", span, hint=f"write the name alone, such as `{name} = rk45`")


def block_option_takes_number(name: str, span: Span) -> ModelError:
    return ModelError(f"option `{name}` takes a number, not a string", span,
                      hint=f"write the number without quotes, such as `{name} = 0.1`")


def block_option_not_positive(name: str, value: float, span: Span) -> ModelError:
    return ModelError(f"option `{name}` must be positive, not {value:g}", span,
                      hint="a step length, a tolerance or a step count is above 0, such as `dt = 0.1`")


def block_option_not_finite(name: str, value: float, span: Span) -> ModelError:
    return ModelError(f"option `{name}` must be a finite number, not {value:g}", span,
                      hint="a step, a tolerance or a step count is a finite number (at most 2^31 - 1)")


def vector_too_long(value: float, limit: int, span: Span) -> ModelError:
    return ModelError(f"a vector of {value:g} values is longer than ponder allows ({limit:,})", span,
                      hint="every particle holds every state; split the model or use fewer elements")


def loop_bound_too_large(value: float, limit: int, span: Span) -> ModelError:
    return ModelError(f"the loop bound {value:g} is beyond the limit of {limit:,}", span,
                      hint="a loop runs inside every step of every particle; use a vector and `sum(...)`")


def unknown_ode_solver(name: str, span: Span) -> ModelError:
    return ModelError(f"unknown ODE solver `{name}`", span, hint="use `rk45` (adaptive, the default), `rk4` (fixed step) or `stiff` (Rodas4, for stiff systems)")


def rk4_needs_step(span: Span) -> ModelError:
    return ModelError("the `rk4` solver needs a step: `ode(solver = rk4, dt = 0.01)`", span,
                      hint="or use the adaptive `rk45` (the default), which chooses its own steps")


def ode_without_derivative(span: Span) -> ModelError:
    return ModelError("this `ode` block has no derivative", span, hint="write one line `d(x) = ...` per state")


def draw_in_ode(span: Span) -> ModelError:
    return ModelError(
        "an `ode` block is deterministic: it cannot draw random numbers",
        span,
        hint="use a `step` block for stochastic dynamics",
    )


def state_assigned_in_ode(name: str, span: Span) -> ModelError:
    return ModelError(
        f"in an `ode` block the state `{name}` changes only through `d({name}) = ...`",
        span,
        hint=f"write `d({name}) = ...` for its rate of change",
    )


def derivative_of_fixed(name: str, kind: str, span: Span) -> ModelError:
    """``d(NAME)`` of a ``param`` or a ``const`` (``kind``)."""
    return ModelError(
        f"`{name}` is a {_fixed(kind)}, and only states have derivatives",
        span,
        hint="declare the quantity with `state NAME = ...` to integrate it",
    )


def derivative_needs_state(name: str, span: Span, states: Iterable[str]) -> ModelError:
    return ModelError(
        f"`d({name})` needs a state",
        span,
        hint=did_you_mean(name, states) or "declare it with `state NAME = ...`",
    )


# ------------------------------------------------------------ data files
def _impossible(error_model: str) -> str:
    return (f"the error model {error_model} cannot give this value at any parameter value, so no run could "
            "start; correct the value, or use an error model that can give it")


def observed_outside_support(column: str, value: float, distribution: str, bound: float, error_model: str,
                             span: Span, source: Source, below: bool = True) -> ModelError:
    """An observed ``value`` of ``column`` below (``below``) or above ``bound``, an end of what ``distribution``
    gives; ``error_model``: the ``observe`` line and where it is."""
    where = f"below {bound:g}, the least" if below else f"above {bound:g}, the largest"
    return ModelError(f"`{column}` = {value:g} is {where} value `{distribution}` gives", span,
                      hint=_impossible(error_model), source=source)


def observed_not_whole(column: str, value: float, distribution: str, error_model: str, span: Span,
                       source: Source) -> ModelError:
    return ModelError(f"`{column}` = {value:g} is not a whole number, but `{distribution}` gives whole numbers only",
                      span, hint=_impossible(error_model), source=source)


def observations_all_missing(columns: Iterable[str], span: Span, source: Source) -> ModelWarning:
    """Every value of the observed ``columns`` of a data file is missing."""
    columns = list(columns)
    return ModelWarning(f"every observed value in this file is missing ({one_of(columns)})", span, source=source,
                        hint="a run learns nothing from it: on it alone the posterior is the prior")


def _relative_to(base_dir: Any) -> str:
    return f"paths are relative to the model's folder, {base_dir}"


def data_file_empty(span: Span, source: Source) -> ModelError:
    return ModelError("the data file is empty", span, hint="it needs a header row such as `time,y` and data rows",
                      source=source)


def data_column_without_name(span: Span, source: Source) -> ModelError:
    return ModelError("a column has no name", span, source=source,
                      hint="give every column a name in the header row, such as `time,y`")


def data_column_twice(name: str, span: Span, source: Source) -> ModelError:
    return ModelError(f"column `{name}` appears twice", span, source=source,
                      hint="each column appears once in the header: rename or remove one of them")


def data_without_rows(span: Span, source: Source) -> ModelError:
    return ModelError("the data file has a header but no data rows", span, source=source,
                      hint="add rows below the header, one per observation time")


def data_row_length(values: int, columns: int, span: Span, source: Source) -> ModelError:
    return ModelError(f"this row has {values} values but the header has {columns} columns", span, source=source,
                      hint="give every row one value per column; leave a missing value as an empty cell (`1,,3`)")


def data_not_a_number(token: str, column: str, span: Span, source: Source) -> ModelError:
    return ModelError(
        f"`{token}` in column `{column}` is not a number",
        span,
        hint="values must be numbers; write missing values as an empty cell or NA",
        source=source,
    )


def data_not_finite(token: str, span: Span, source: Source) -> ModelError:
    return ModelError(f"`{token}` is not a finite number", span, source=source,
                      hint="values must be finite; write a missing value as an empty cell or NA")


def no_file_matches(pattern: str, span: Span, base_dir: Any, source: Source) -> ModelError:
    return ModelError(f"no file matches `{pattern}`", span, hint=_relative_to(base_dir), source=source)


def data_file_not_found(pattern: Any, span: Span | None = None, base_dir: Any = None, source: Source | None = None,
                        file_name: str = "", nearby: Iterable[str] = ()) -> ModelError:
    """``file_name``: the name looked for; ``nearby``: the files in its folder, for "did you mean".

    A ``data`` line of a model gives its ``span``, ``base_dir`` and ``source``;
    the session's ``:data FILE`` gives the path alone (and gets no hint).
    """
    hint = did_you_mean(file_name, nearby) or (_relative_to(base_dir) if base_dir is not None
                                                else "check the name; a relative path starts from the current folder")
    return ModelError(f"data file `{pattern}` not found", span, hint=hint, source=source)


def data_without_time_column(span: Span, header: Iterable[str], source: Source) -> ModelError:
    header = list(header)
    return ModelError(
        "the data file has no `time` column",
        span,
        hint=did_you_mean("time", header) or f"columns are {', '.join(header)}; add a `time` column",
        source=source,
    )


def data_time_missing(span: Span, source: Source) -> ModelError:
    return ModelError("a time is missing", span, hint="every row needs a time", source=source)


def data_times_not_increasing(time: float, previous: float, span: Span, source: Source) -> ModelError:
    return ModelError(f"times must be strictly increasing, but {time:g} follows {previous:g}", span, source=source,
                      hint="sort the rows by time, and give each time one row")


def data_before_t0(time: float, t0: float, span: Span, source: Source) -> ModelError:
    return ModelError(
        f"the first observation time {time:g} is earlier than t0 = {t0:g}",
        span,
        hint="declare an earlier start with `t0 = ...` in the model",
        source=source,
    )


def data_time_off_grid(time: float, dt: float, t0: float, span: Span, source: Source) -> ModelError:
    return ModelError(
        f"time {time:g} is not a whole number of steps of length {dt:g} after t0 = {t0:g}",
        span,
        hint="observation times must fall on the step grid; change `step(dt = ...)` or the times",
        source=source,
    )


def observed_column_missing(column: str, file: str, span: Span | None, header: Iterable[str],
                            source: Source) -> ModelError:
    """An ``observe`` line (at ``span`` in the model ``source``) whose column the data ``file`` lacks."""
    header = list(header)
    return ModelError(
        f"column `{column}` is observed but the data file `{file}` has no such column",
        span,
        hint=did_you_mean(column, header) or f"its columns are {', '.join(header)}",
        source=source,
    )


# ------------------------------------------------------------ parameters and values (command line, API)
def model_file_not_found(path: Any, nearby: Iterable[str] = ()) -> ModelError:
    """``nearby``: the model files in its folder, for "did you mean"."""
    return ModelError(f"model file `{path}` not found", hint=did_you_mean(PurePath(path).name, nearby))


def parameter_count(expected: int, given: int, slots: Iterable[str]) -> ModelError:
    """A flat parameter vector of the wrong length; ``slots`` names its entries."""
    return ModelError(f"expected {expected} parameter values, got {given}", hint=f"parameters are {', '.join(slots)}")


def unknown_parameter(name: str, known: Iterable[str]) -> ModelError:
    known = list(known)
    return ModelError(
        f"the model has no parameter `{name}`",
        hint=did_you_mean(name, known) or f"parameters are {one_of(known)}",
    )


def unknown_constant(name: str, known: Iterable[str]) -> ModelError:
    """A constant override (``consts(overrides=...)``, a replicate's) for a name that is not a ``const``."""
    known = list(known)
    return ModelError(
        f"the model has no constant `{name}`",
        hint=did_you_mean(name, known) or (f"constants are {one_of(known)}" if known else None),
    )


def parameter_not_given(name: str, known: Iterable[str]) -> ModelError:
    return ModelError(f"no value given for the parameter `{name}`", hint=f"give every parameter: {', '.join(known)}")


def parameter_width(name: str, width: int, given: int, vector: bool) -> ModelError:
    """``given`` values for a parameter of ``width``; ``vector``: it is declared with ``[K]``."""
    return ModelError(
        f"`{name}` takes {width} value{'s' if width > 1 else ''}, got {given}",
        hint=f"write `{name}={','.join(['1.0'] * width)}`" if vector else None,
    )


def param_needs_name_value(item: str) -> ModelError:
    return ModelError(f"`--param {item}` needs the form NAME=VALUE", hint="for example `--param sigma=0.5`")


def param_not_a_number(raw: str, item: str) -> ModelError:
    return ModelError(f"`{raw}` is not a number (in `--param {item}`)", hint="vectors are written `v=1,2,3`")


def no_such_dataset(index: int, count: int) -> ModelError:
    return ModelError(f"there is no dataset {index}", hint=f"the model has {count} dataset(s), numbered from 0")


def no_observation_times() -> ModelError:
    return ModelError(
        "no observation times: the model has no data",
        hint="give times, e.g. `--times 0:100:1`, or add `data \"file.csv\"` to the model",
    )


def no_times_given() -> ModelError:
    return ModelError("give at least one observation time")


def times_not_increasing() -> ModelError:
    return ModelError("observation times must be strictly increasing")


def times_before_t0(time: float, t0: float) -> ModelError:
    return ModelError(f"the first time {time:g} is earlier than t0 = {t0:g}")


def data_too_many_steps(steps: float, limit: int, dt: float, span: Span, source: Source) -> ModelError:
    return ModelError(f"reaching this time takes {steps:.3g} steps of length {dt:g}, more than the limit of {limit:.0e}",
                      span, source=source, hint="use a longer `step(dt = ...)`, or an `ode` block")


def times_too_many_steps(steps: float, limit: int, dt: float) -> ModelError:
    return ModelError(f"the last time takes {steps:.3g} steps of length {dt:g}, more than the limit of {limit:.0e}",
                      hint="use a longer `step(dt = ...)` or fewer times")


def times_off_grid(dt: float) -> ModelError:
    return ModelError(f"times must be whole multiples of the step dt = {dt:g} after t0")


def bad_time_grid(spec: str) -> ModelError:
    return ModelError(
        f"`--times {spec}` is not a time grid", hint="write START:STOP:STEP such as `0:100:1`, or a list `1,2,5`"
    )


def times_and_times_from() -> ModelError:
    return ModelError("give either --times or --times-from, not both")


def times_file_without_time_column(path: Any, source: Source) -> ModelError:
    return ModelError(f"`{path}` has no `time` column", source=source)


def too_few_models() -> ModelError:
    return ModelError("give at least two models to compare")


# ------------------------------------------------------------ run options
_TYPE_NAMES = {int: "a whole number", float: "a number", str: "a word", bool: "true or false"}


def _option(name: str, owner: str) -> str:
    """How an option is named: "option `a` of the `mh` sampler", or "`a`" for a run setting (no owner)."""
    return f"option `{name}` of {owner}" if owner else f"`{name}`"


def option_needs_name_value(item: str) -> ModelError:
    return ModelError(f"`--option {item}` needs the form NAME=VALUE", hint="for example `--option reset=20`")


def option_wrong_type(name: str, owner: str, kind: type, value: Any, description: str) -> ModelError:
    """``value`` is not of the option's type ``kind``; ``description`` (the option's help line) is the hint."""
    return ModelError(f"{_option(name, owner)} takes {_TYPE_NAMES.get(kind, kind.__name__)}, not `{value}`",
                      hint=description)


def option_not_a_choice(name: str, owner: str, value: Any, converted: Any, choices: Iterable[Any],
                        description: str) -> ModelError:
    """``value`` as given, ``converted`` to the option's type, is none of ``choices``."""
    choices = list(choices)
    return ModelError(f"{_option(name, owner)} is one of {one_of(choices)}, not `{value}`",
                      hint=did_you_mean(str(converted), [str(c) for c in choices]) or description)


def option_not_finite(name: str, owner: str, value: Any, description: str) -> ModelError:
    return ModelError(f"{_option(name, owner)} must be finite, not `{value}`", hint=description)


def option_below_minimum(name: str, owner: str, minimum: float, value: Any, description: str) -> ModelError:
    return ModelError(f"{_option(name, owner)} must be at least {minimum:g}, not `{value}`", hint=description)


def option_above_maximum(name: str, owner: str, maximum: float, value: Any, description: str) -> ModelError:
    return ModelError(f"{_option(name, owner)} must be at most {maximum:g}, not `{value}`", hint=description)


#: The hints of the built-in plugins' own check of their keyword arguments (see :func:`unknown_option`), by owner.
_OWN_OPTION_HINTS = {
    "the `ensemble` sampler": "options are a (stretch scale), de (fraction of DE moves), reset, prune (0 or 1)",
    "the `mh` sampler": "options are scale and target_accept",
    "the `pt` sampler": "options are explorer (slice or mh) and slice_width",
}


def unknown_option(owner: str, name: str, known: Iterable[str], own_check: bool = False) -> ModelError:
    """An option ``owner`` ("the `mh` sampler") does not declare.

    ``own_check``: found by a built-in plugin's constructor, called directly
    rather than through the check of its declared options (``known``); the
    hint is then the plugin's own list of its options, if it has one.
    """
    if own_check:
        hint = _OWN_OPTION_HINTS.get(owner)
    else:
        known = list(known)
        hint = ((did_you_mean(name, known) or "") + (f" options are {one_of(known)}" if known else
                                                     f" {owner} takes no options")).strip()
    return ModelError(f"{owner} has no option `{name}`", hint=hint)


def unknown_plugin(kind: str, name: str, known: Iterable[str]) -> ModelError:
    """No ``kind`` (sampler, likelihood, ...) is registered as ``name``."""
    known = list(known)
    return ModelError(
        f"unknown {kind} `{name}`",
        hint=((did_you_mean(name, known) or "") + f" available: {one_of(known)}").strip(),
    )


def none_of_kind_registered(kind: str, name: str) -> ModelError:
    """``name`` asked for, and no ``kind`` (e.g. inference method) is registered at all."""
    return ModelError(f"there is no {kind} `{name}`",
                      hint=f"no {kind} is registered: plugin packages add them (`ponder plugins` lists what is)")


def nothing_registered(name: str, known: Iterable[str]) -> ModelError:
    return ModelError(f"nothing is registered as `{name}`",
                      hint=did_you_mean(name, known) or "`ponder plugins` lists what is")


def unknown_figure_kind(name: str, known: Iterable[str]) -> ModelError:
    known = list(known)
    return ModelError(f"there is no figure kind `{name}`",
                      hint=did_you_mean(name, known) or f"kinds are {one_of(known)}")


def unknown_run_setting(key: str) -> ModelError:
    """A keyword of ``sample(...)`` that is no run setting."""
    return ModelError(f"unknown run setting `{key}`")


def unknown_infer_setting(key: str, span: Span | None, known: Iterable[str], source: Source) -> ModelError:
    """A key of ``infer { }`` that is no run setting and no option of the chosen sampler or likelihood."""
    known = list(known)
    return ModelError(
        f"unknown `infer` setting `{key}`",
        span,
        hint=did_you_mean(key, known) or f"settings are {one_of(known)}",
        source=source,
    )


def repeat_too_small(repeat: int) -> ModelError:
    return ModelError(f"--repeat must be at least 1, not {repeat}")


def bad_command_line(problem: str, prog: str) -> ModelError:
    """argparse's own ``problem`` with a flag or an argument of ``prog``."""
    return ModelError(problem, hint=f"see `{prog} --help`")


# ------------------------------------------------------------ likelihoods
def no_data_no_likelihood(model: str) -> ModelError:
    return ModelError(
        f"the model `{model}` has no data, so there is no likelihood",
        hint='add `data "file.csv"` to the model (make one with `ponder simulate`)',
    )


def no_automatic_likelihood(kind: str) -> ModelError:
    """No registered likelihood is ``auto`` for a ``kind`` ("deterministic", "stochastic") model."""
    return ModelError(f"no registered likelihood is the automatic choice for a {kind} model",
                      hint="name one with --likelihood")


def direct_needs_deterministic(model: str) -> ModelError:
    return ModelError(
        f"the `direct` likelihood needs a deterministic model, and `{model}` draws random numbers",
        hint="use `pf` (a particle filter) or `auto`",
    )


def not_a_particle_number(value: Any) -> ModelError:
    return ModelError(
        f"`{value}` is not a particle number",
        hint="give a whole number such as `1000`, or a range `MIN:MAX` such as `64:4096` for adaptive N",
    )


def unknown_resampling_scheme(name: str, known: Iterable[str]) -> ModelError:
    known = list(known)
    return ModelError(
        f"unknown resampling scheme `{name}`",
        hint=did_you_mean(name, known) or f"schemes are {one_of(known)}",
    )


def ess_threshold_out_of_range(value: float) -> ModelError:
    return ModelError(f"the ESS threshold must be in (0, 1], not {value}")


def target_sd_not_positive(value: float) -> ModelError:
    return ModelError(f"the target standard deviation must be positive, not {value}")


# ------------------------------------------------------------ samplers
def ensemble_walkers(walkers: int) -> ModelError:
    return ModelError(f"the ensemble needs an even number of at least 4 walkers, not {walkers}",
                      hint="set --chains (the number of walkers) to an even number such as 8")


def stretch_scale_too_small(a: float) -> ModelError:
    return ModelError(f"the stretch scale a must be above 1, not {a}")


def de_fraction_out_of_range(de: float) -> ModelError:
    return ModelError(f"de (the fraction of differential-evolution moves) must be in [0, 1], not {de}")


def too_few_chains() -> ModelError:
    return ModelError("the number of chains must be at least 1")


def too_few_replicas() -> ModelError:
    return ModelError("parallel tempering needs at least 2 replicas (--chains)")


def unknown_explorer(name: str) -> ModelError:
    return ModelError(f"unknown explorer `{name}`", hint="use `slice` or `mh`")


def slice_needs_exact_likelihood() -> ModelError:
    return ModelError("the slice explorer needs an exact likelihood",
                      hint="with a particle filter use `--option explorer=mh` (the default)")


def no_starting_points(tries: int) -> ModelError:
    return ModelError(
        f"could not find starting points with a finite posterior density in {tries} prior draws",
        hint="check that the prior covers parameter values that can explain the data, "
        "or give the particle filter more particles",
    )


def _drawn_from(given: str) -> str:
    """Where the values of a prior's arguments came from: other parameters' draws (``given``: "a = 0.3"), or none."""
    if given:
        return f"with {given} drawn from the prior; give the parameters it uses priors that keep it valid"
    return "its arguments depend on no parameter, so no value of it can be drawn"


def prior_argument_out_of_range(param: str, distribution: str, argument: str, allowed: str, value: float,
                                given: str, span: Span, source: Source | None) -> ModelError:
    """The prior of ``param`` computed its ``argument`` = ``value``, outside ``allowed``; ``given``: the other
    parameters' values it was computed from ("" when none)."""
    return ModelError(f"the prior of `{param}` cannot be drawn: `{argument}` of `{distribution}` must be in "
                      f"{allowed}, but is {value:g}", span, hint=_drawn_from(given), source=source)


def prior_arguments_out_of_order(param: str, distribution: str, order: str, lower: str, lower_value: float,
                                 upper: str, upper_value: float, given: str, span: Span,
                                 source: Source | None) -> ModelError:
    """The prior of ``param`` computed arguments that break ``order`` ("lower < upper") of its distribution."""
    return ModelError(f"the prior of `{param}` cannot be drawn: `{distribution}` needs {order}, but {lower} = "
                      f"{lower_value:g} and {upper} = {upper_value:g}", span, hint=_drawn_from(given), source=source)


# ------------------------------------------------------------ runs: executors, checkpoints, results
def mpi_needs_mpi4py() -> ModelError:
    return ModelError(
        "the `mpi` executor needs mpi4py",
        hint="install it with `pip install 'ponder[mpi]'` (mpi4py and the mpich wheel; no system MPI needed)",
    )


def worker_lost(executor: str, how: str, checkpoint: str | None, again: str, resumable: bool = True) -> ModelError:
    """A worker process of the run's executor ended mid-run (exit 1). ``how``: "was killed by SIGKILL", ...;
    ``checkpoint``: the run's checkpoint, None when none was written yet; ``again``: the command; not
    ``resumable``: a command that keeps no checkpoint (``ponder loglik``, the REPL's ``:sample``)."""
    if not resumable:
        hint = f"start it again: {again}"
    elif checkpoint is None:
        hint = f"no checkpoint had been written yet; start the run again: {again}"
    else:
        hint = f"the checkpoint {checkpoint} holds the run up to its last save; continue with: {again} --resume"
    if "SIGKILL" in how:
        hint += " (the system kills processes with SIGKILL when memory runs out: fewer --workers need less)"
    return ModelError(f"the run stopped: a worker process of the `{executor}` executor {how}", hint=hint)


def no_checkpoint_to_resume(path: Any, rounds: bool = False) -> ModelError:
    """``--resume`` with no checkpoint at ``path``; ``rounds``: an inference method's checkpoint of rounds."""
    if rounds:
        what, hint = "round checkpoint", "start without --resume; methods save one next to --out after each round"
    else:
        what, hint = "checkpoint", "a checkpoint is written next to --out while a run goes; start without --resume"
    return ModelError(f"there is no {what} to resume at `{path}`", hint=hint)


def method_needs_summaries(method: str) -> ModelError:
    """A simulation-based method asked to compare summaries, on a model without ``summary`` lines."""
    return ModelError(f"the `{method}` method was asked to use summaries, but the model declares no `summary`",
                      hint="add lines such as `summary m = mean(y)` to the model, or let the method use every "
                      "observed value (raw)")


def method_needs_extra(method: str, extra: str, problem: str) -> ModelError:
    """A method whose optional dependencies are not installed (``problem``: the import error)."""
    return ModelError(f"the `{method}` method needs the `{extra}` extra ({problem})",
                      hint=f"pip install 'ponder[{extra}]' (on a CPU-only machine install torch==2.13.0 first: a "
                      f"bare torch requirement pulls a CUDA build of several GB)")


def npe_too_few_simulations(usable: int, simulated: int) -> ModelError:
    return ModelError(f"only {usable} of {simulated} simulated datasets are usable (the others have missing or "
                      f"infinite values): too few to train on",
                      hint="check the model at prior draws with `ponder simulate`, or narrow the priors")


def abc_budget_below_population(budget: int, population: int) -> ModelError:
    return ModelError(f"a simulation budget of {budget} cannot pay for one population of {population}",
                      hint="raise --option simulations=N (a run needs several populations) or lower "
                      "--option population=N")


def checkpoint_unreadable(path: Any, problem: Any) -> ModelError:
    """``problem``: what reading it raised."""
    return ModelError(f"the checkpoint `{path}` cannot be read ({problem})", hint="delete it and start again")


def checkpoint_damaged(path: Any, problem: Any, iteration: int, kept: Any) -> ModelError:
    """A checkpoint whose bytes after its last good point do not match their checksums; it was cut back to that
    point, and the damaged file is kept as ``kept``."""
    return ModelError(f"the checkpoint `{path}` is damaged ({problem}): last good point at iteration {iteration}",
                      hint=f"`--resume` again continues from iteration {iteration}; the damaged file is kept as "
                      f"`{kept}`")


def checkpoint_of_another_run(path: Any) -> ModelError:
    return ModelError(
        f"the checkpoint `{path}` belongs to a different run",
        hint="resume with the same model, data and settings (seed, sampler, chains, ...), or delete it",
    )


def resume_changes_warmup(warmup: int, asked: int) -> ModelError:
    return ModelError(f"the run being resumed warmed up for {warmup} iterations; `--warmup {asked}` cannot change that "
                      "now", hint=f"leave out --warmup (or give {warmup}), or start a new run")


def resume_fewer_samples(done: int, asked: int) -> ModelError:
    return ModelError(f"the run being resumed has {done} draws per chain already; `--samples {asked}` asks for fewer",
                      hint="give a larger --samples to continue it, or read the results it wrote")


def run_already_finished(samples: int, why: str) -> ModelError:
    reason = {"converged": "it converged", "samples": "it drew the samples asked for"}.get(why, why)
    return ModelError(f"the run being resumed has finished ({samples} draws per chain; {reason})",
                      hint=f"continue it with more draws: `--resume --samples N` with N above {samples}")


def not_an_sbc_result(path: Any, problem: str) -> ModelError:
    return ModelError(f"`{path}` is not the result of `ponder sbc` ({problem})",
                      hint="`ponder sbc MODEL --out DIR` writes DIR/sbc.json; plot and report read it or DIR")


def results_file_not_found(path: Any) -> ModelError:
    return ModelError(f"results file `{path}` not found", hint="`ponder run MODEL --out FILE` writes one")


def not_a_results_file(path: Any, problem: str) -> ModelError:
    """``problem``: the name of the exception reading it raised."""
    return ModelError(f"`{path}` is not a ponder results file ({problem})")


def results_without_posterior(path: Any) -> ModelError:
    return ModelError(f"`{path}` has no posterior group")


def results_without_format(path: Any, made_by: str) -> ModelError:
    """A netCDF file without the ``ponder_format`` attribute; ``made_by``: its ``inference_library`` ('' if none)."""
    if made_by == "ponder":
        what = "was written by an older ponder, before results files had a format"
        hint = "run the model again to write its results anew"
    else:
        what = "is not a ponder results file" + (f" (it was made by {made_by})" if made_by else "")
        hint = "summary, plot and report read the files that `ponder run MODEL --out FILE` writes"
    return ModelError(f"`{path}` {what}: it has no `ponder_format` attribute", hint=hint)


def results_format_newer(path: Any, found: int, supported: int) -> ModelError:
    return ModelError(f"`{path}` was written by a newer ponder (results format {found}; this ponder reads format "
                      f"{supported})", hint="upgrade ponder to read it: `pip install -U ponder`")


def results_attribute_invalid(path: Any, name: str, expected: str) -> ModelError:
    """An attribute of a results file that ponder reads back, not of the kind ponder writes (``expected``)."""
    return ModelError(f"`{path}` is not a results file ponder can read: its attribute `{name}` is not {expected}",
                      hint="ponder does not write it so (was the file changed?); run the model again")


def results_group_invalid(path: Any, group: str, problem: str) -> ModelError:
    return ModelError(f"`{path}` is not a results file ponder can read: its `{group}` group {problem}",
                      hint="ponder does not write it so (was the file changed?); run the model again")


def results_data_invalid(problem: str) -> ModelError:
    """The observed data, constants or inputs stored in results do not fit the model of their source."""
    return ModelError(f"the data stored in the results do not fit their model: {problem}",
                      hint="figures and reports read the data a run stored, never the files its model names; "
                           "run the model again to store them anew")


# ------------------------------------------------------------ the interactive session (ponder.Session, the REPL)
def session_syntax_error(err: ModelError) -> ModelError:
    """Text typed into a session that does not parse: the parser's ``err``, with a hint at what can be typed
    where the parser expected a declaration."""
    what = "type a declaration (param, const, state, step { }, observe, data), or a :command (:help)"
    return ModelError(
        err.message,
        err.span,
        hint=what if err.hint in (None, TOKEN_HINTS["declaration"]) else err.hint,
        source=err.source,
    )


def name_not_declared(name: str, known: Iterable[str]) -> ModelError:
    """``:drop NAME`` of a name the model does not declare; ``known``: the names it does."""
    known = list(known)
    return ModelError(f"the model declares no `{name}`",
                      hint=did_you_mean(name, known) or (f"names are {one_of(known)}" if known else None))


def unquotable_data_path(path: Any) -> ModelError:
    return ModelError(f"cannot name the file `{path}` in model text (it contains a quote or a newline)")


def no_model_yet() -> ModelError:
    return ModelError("there is no model yet",
                      hint="type declarations such as `param a ~ Normal(0, 1)`, or :load FILE")


def session_model_without_data() -> ModelError:
    return ModelError("the model has no data", hint="add data with :data FILE.csv")


def nothing_simulated() -> ModelError:
    return ModelError("nothing simulated yet", hint="run :simulate NAME=VALUE ... first")


def nothing_sampled() -> ModelError:
    return ModelError("nothing sampled yet", hint="run :sample first")


def unknown_figure(kind: str, known: Iterable[str]) -> ModelError:
    """``:plot KIND`` of a kind that is not ``known`` (the session's figures, ``simulation`` included)."""
    known = list(known)
    return ModelError(f"there is no figure `{kind}`", hint=did_you_mean(kind, known) or f"figures are {one_of(known)}")


def nothing_to_show(kind: str) -> ModelError:
    return ModelError(f"the last sample has nothing to show as `{kind}`",
                      hint="latent and pf figures need a particle-filter run")


def no_command() -> ModelError:
    return ModelError("type a command after `:`", hint="`:help` lists them")


def unknown_command(name: str, known: Iterable[str], in_help: bool = False) -> ModelError:
    """``:NAME`` is none of the ``known`` commands; ``in_help``: asked as ``:help NAME`` (no pointer to ``:help``)."""
    hint = did_you_mean(f":{name}", [f":{c}" for c in known])
    if not in_help:
        hint = hint or "`:help` lists the commands"
    return ModelError(f"unknown command `:{name}`", hint=hint)


def command_takes_one_argument(name: str, usage: str) -> ModelError:
    return ModelError(f"`:{name}` takes one argument", hint=f"usage: {usage}")


def command_takes_no_arguments(name: str, usage: str) -> ModelError:
    return ModelError(f"`:{name}` takes no arguments", hint=f"usage: {usage}")


def plot_needs_kind(usage: str) -> ModelError:
    return ModelError("`:plot` needs a figure kind", hint=f"usage: {usage}")


def not_name_value(word: str, usage: str) -> ModelError:
    """A word of a command's ``NAME=VALUE ...`` arguments without ``=``."""
    return ModelError(f"`{word}` is not NAME=VALUE", hint=f"usage: {usage}")


# ------------------------------------------------------------ the language for real models
def observe_matrix(span: Span) -> ModelError:
    return ModelError("an observation takes one index", span,
                      hint="observe a vector of columns with `observe y[i] ~ ...` inside `for i in 0..K { }`")


# ------------------------------------------------------------ datasets and constants given to a command (--data, --const)
def given_data_file_not_found(pattern: Any, cwd: Any, file_name: str, nearby: Iterable[str] = ()) -> ModelError:
    """A file of ``--data`` (or of ``ponder.load(..., data=[...])``) that does not exist; such paths are relative
    to ``cwd``, the current folder, not the model's; ``nearby``: the files in its folder, for "did you mean"."""
    return ModelError(f"data file `{pattern}` (given with --data) not found",
                      hint=did_you_mean(file_name, nearby) or f"--data paths are relative to the current folder, {cwd}")


def given_data_no_match(pattern: Any, cwd: Any) -> ModelError:
    """A ``--data`` glob pattern that matches no file."""
    return ModelError(f"no file matches `{pattern}` (given with --data)",
                      hint=f"--data paths are relative to the current folder, {cwd}")


def const_needs_name_value(item: str) -> ModelError:
    return ModelError(f"`--const {item}` needs the form NAME=VALUE", hint="for example `--const N=500`")


def const_not_a_number(raw: str, item: str) -> ModelError:
    return ModelError(f"`{raw}` is not a number (in `--const {item}`)", hint="a constant takes one number")


def unknown_constant_override(name: str, known: Iterable[str]) -> ModelError:
    """``--const NAME=...`` (or ``consts=`` of ``ponder.load``, or a per-file override) for a name that is not a ``const``."""
    known = list(known)
    listed = f"constants are {one_of(known)}" if known else "the model declares no `const`"
    close = did_you_mean(name, known)
    return ModelError(f"`{name}` is not a constant of the model, so it cannot be overridden",
                      hint=f"{close} {listed}" if close else listed)


def override_of_a_prior_constant(name: str, span: Span, source: Source) -> ModelError:
    """``--const NAME=...`` for a constant a prior depends on (at ``span``): the prior is not per dataset."""
    return ModelError(f"`{name}` is used by a prior, so `--const` cannot change it", span,
                      hint="the prior is shared by every dataset; edit the model's `const` line instead", source=source)


def function_shadows_builtin(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` is already a function or distribution of the library", span,
                      hint="choose another name for your function")


def argument_twice(name: str, span: Span) -> ModelError:
    return ModelError(f"the argument `{name}` is listed twice", span, hint="give each argument its own name")


def recursive_function(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` calls itself", span,
                      hint="functions cannot be recursive; write the repetition with `for` in a block")


def function_of_a_vector(name: str, span: Span) -> ModelError:
    return ModelError(f"the arguments of `{name}` must be numbers", span,
                      hint="pass one element (`v[i]`) or a summary (`sum(v)`)")


def not_visible_in_function(name: str, kind: str, span: Span, function: str = "f") -> ModelError:
    words = {"param": "parameter", "state": "state", "input": "input", "derived": "derived quantity"}
    return ModelError(f"a function cannot use the {words.get(kind, kind)} `{name}`", span,
                      hint=f"functions see only their arguments and constants; add an argument "
                           f"(`fn {function}(..., {name})`) and pass `{name}` where you call it")


def constant_uses_parameter(name: str, kind: str, span: Span) -> ModelError:
    what = "parameter" if kind == "param" else "derived quantity"
    return ModelError(f"a constant cannot use the {what} `{name}`", span,
                      hint="constants are fixed before the run; for a quantity computed from parameters "
                           "write `derived NAME = ...`")


def input_not_allowed(name: str, what: str, span: Span) -> ModelError:
    return ModelError(f"the input `{name}` cannot be used in {what}", span,
                      hint="an input varies with time: use it in initial states, dynamics and observations")


def derived_matrix(name: str, span: Span) -> ModelError:
    return ModelError(f"the derived quantity `{name}` would be a matrix", span,
                      hint="derived quantities are numbers or vectors")


# ------------------------------------------------------------ summaries (`summary NAME = STAT(column, ...)`)
def _observed_list(columns: list[str]) -> str:
    return f"the observed columns are {one_of(columns)}" if columns else "the model observes no column yet"


def summary_not_a_statistic(span: Span, known: Iterable[str]) -> ModelError:
    """The value of a ``summary`` is not one call of a statistic (or ``log1p`` of one)."""
    return ModelError("a summary is one statistic of an observed column", span,
                      hint=f"write `summary NAME = STAT(column, ...)` with STAT {one_of(known)}, "
                           "or `log1p(STAT(column, ...))`")


def unknown_summary_statistic(name: str, span: Span, known: Iterable[str]) -> ModelError:
    known = list(known)
    listed = f"the statistics are {one_of(known)}"
    close = did_you_mean(name, known)
    return ModelError(f"unknown statistic `{name}`", span, hint=f"{close} {listed}" if close else listed)


def summary_arity(stat: str, params: Iterable[str], given: int, span: Span) -> ModelError:
    """``params``: what ``stat`` takes (``column``, ``q``, ...); ``given``: how many arguments the call has."""
    params = list(params)
    n = len(params)
    return ModelError(f"`{stat}` in a summary takes {n} argument{'s' if n != 1 else ''}, not {given}", span,
                      hint=_signature(stat, params))


def summary_needs_column(stat: str, span: Span, columns: Iterable[str]) -> ModelError:
    """The first argument of a statistic is an expression, not the name of an observed column."""
    return ModelError(f"the first argument of `{stat}` must be an observed column", span,
                      hint=f"a summary is computed from the data as observed; {_observed_list(list(columns))}")


def summary_not_observed(name: str, span: Span, columns: Iterable[str]) -> ModelError:
    """``name`` (``y``, or ``y[2]`` as written) is no column of an ``observe`` line."""
    columns = list(columns)
    if f"{name}_0" in columns:
        hint = f"`{name}` is observed element by element: write `{name}[0]` for column `{name}_0`, and so on"
    else:
        close = did_you_mean(name, columns)
        hint = f"{close} {_observed_list(columns)}" if close else _observed_list(columns)
    return ModelError(f"`{name}` is not an observed column", span, hint=hint)


def summary_column_index(name: str, span: Span) -> ModelError:
    """``y[i]`` in a summary with an index that is not a whole number written as such (or two indices)."""
    return ModelError(f"a summary picks an element of `{name}` by one whole number written as such", span,
                      hint=f"write `{name}[0]` for data column `{name}_0`, `{name}[1]` for `{name}_1`, ...")


def summary_quantile_out_of_range(value: float, span: Span) -> ModelError:
    return ModelError(f"the level of `quantile` must be in [0, 1], not {value:g}", span,
                      hint="a fraction, not a percentage: `quantile(y, 0.5)` is the median")


def summary_bad_lag(value: float, span: Span) -> ModelError:
    return ModelError(f"the lag of `acf` must be a whole number of at least 1, not {value:g}", span,
                      hint="`acf(y, 1)` correlates each observed value with the next one, `acf(y, 2)` with the one "
                           "after that")


def no_summaries(model: str) -> ModelError:
    """A simulation-based method asked for summaries of a model that declares none."""
    return ModelError(f"the model `{model}` declares no `summary`", hint="declare the statistics to compare, such as "
                      "`summary y_mean = mean(y)` and `summary y_acf = acf(y, 1)`")


def summary_data_shape(expected: str, got: str) -> ModelError:
    """Observations handed to ``summarise`` of another shape than ``expected`` ("(M, 2, T, 1)")."""
    return ModelError(f"summaries need observations of shape {expected}, not {got}",
                      hint="M datasets, R replicates, T times (NaN where missing) and the observed columns, "
                           "as `Model.simulate_batch` returns them")


def unknown_interpolation(name: str, span: Span, known: Iterable[str]) -> ModelError:
    return ModelError(f"unknown interpolation `{name}`", span,
                      hint=did_you_mean(name, known) or f"use {one_of(known)}")


def shapes_differ(expected: str, got: str, span: Span) -> ModelError:
    """Two shapes in words ("a vector of 3", "a number") that an elementwise operation cannot combine."""
    return ModelError(f"shapes do not match: {expected} and {got}", span,
                      hint="elementwise operations need vectors of the same length, or a number")


def vector_literal_not_here(span: Span) -> ModelError:
    return ModelError("a vector literal can only define a constant", span,
                      hint="name it first: `const w = [1, 2, 3]`, then use `w`")


def ragged_literal(first: str, got: str, span: Span) -> ModelError:
    return ModelError(f"the rows of this literal differ: {first} and {got}", span,
                      hint="every row of a matrix has the same length")


def vector_literal_too_deep(span: Span) -> ModelError:
    return ModelError("literals have at most two levels: a vector `[...]` or a matrix `[[...], [...]]`", span,
                      hint="a matrix is a vector of equally long vectors of numbers: `[[1, 2], [3, 4]]`")


def reduction_of_a_number(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` needs a vector", span,
                      hint="`sum`, `prod`, `mean`, `dot` and `length` take vectors such as `w` or `2 * w`")


def not_a_matrix(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` is a vector, not a matrix", span, hint=f"index it once: `{name}[i]`")


def local_vector(name: str, span: Span, size: int) -> ModelError:
    return ModelError(f"a local holds one number, and this value is a vector of {size}", span,
                      hint=f"declare a vector state for it (`state {name}[{size}] = 0`) or reduce it (`sum(...)`)")


def derivative_outside_ode(span: Span) -> ModelError:
    return ModelError("`d(x) = ...` belongs in an `ode` block", span,
                      hint="in a `step` block, update the state: `x += ...`")


def matrix_target(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` cannot be assigned element by element here", span,
                      hint="only states (vectors) are assigned; matrices are constants")


def cannot_assign_declared(name: str, kind: str, span: Span) -> ModelError:
    words = {"input": "input", "derived": "derived quantity", "fn": "function"}
    return ModelError(f"cannot assign to the {words.get(kind, kind)} `{name}`", span,
                      hint="use another name for the local")


def observed_input(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}` is an input, so it cannot also be observed", span,
                      hint="an input is read from the data as given; observe another column")


def negative_column_index(column: str, low: int, span: Span) -> ModelError:
    return ModelError(f"the column index of `{column}` reaches {low}", span, hint="indices start at 0")


def observe_in_loop_needs_index(column: str, span: Span, var: str) -> ModelError:
    return ModelError(f"inside `for {var} in ...`, `observe {column}` needs an index", span,
                      hint=f"write `observe {column}[{var}] ~ ...` (data columns `{column}_0`, `{column}_1`, ...)")


def replicate_input_not_declared(name: str, span: Span, inputs: Iterable[str]) -> ModelError:
    inputs = list(inputs)
    hint = did_you_mean(name, inputs) or (f"the inputs are {one_of(inputs)}" if inputs
                                          else f"declare it first: `input {name}`")
    return ModelError(f"`{name}` is not an input of the model", span, hint=hint)


def replicate_input_needs_file(name: str, span: Span) -> ModelError:
    return ModelError(f"a replicate gives its input a file: `input {name} from \"file.csv\"`", span,
                      hint="without a file the input is a column of the replicate's own data file: leave it out here")


def replicate_input_option(name: str, span: Span) -> ModelError:
    return ModelError(f"a replicate's input `{name}` takes no options", span,
                      hint=f"interpolation options belong on the model's own `input {name}` line")


def derived_not_allowed(name: str, what: str, span: Span) -> ModelError:
    return ModelError(f"the derived quantity `{name}` cannot be used in {what}", span,
                      hint="priors are declared before derived quantities are computed; write its formula here")


def call_as_target(name: str, span: Span) -> ModelError:
    return ModelError(f"`{name}(...) = ...` is not a statement", span,
                      hint="assign a name (`x = ...`), or write a derivative `d(x) = ...` in an `ode` block")


def input_value_missing(name: str, span: Span, source: Source) -> ModelError:
    return ModelError(f"the input `{name}` has a missing value here", span, source=source,
                      hint="inputs are read at every time the model needs them: fill in every value")


def input_file_not_found(name: str, path: str, span: Span | None, source: Source | None) -> ModelError:
    return ModelError(f"the file of the input `{name}` does not exist: {path}", span, source=source,
                      hint="paths are relative to the model file's folder")


def input_file_without_column(column: str, span: Span, header: Iterable[str], source: Source) -> ModelError:
    return ModelError(f"this input file has no column `{column}`", span, source=source,
                      hint=did_you_mean(column, header) or f"the columns are {one_of(header)}")


def input_does_not_cover(name: str, where: str, first: float, last: float, t0: float, t_end: float,
                         span: Span | None, source: Source | None) -> ModelError:
    return ModelError(
        f"the input `{name}` in {where} runs from t = {first:g} to {last:g}, but the model needs it "
        f"from t = {t0:g} to {t_end:g}", span, source=source,
        hint="give values from t0 (a data row at t0 may leave the observations empty) to the last time")


def input_column_missing(name: str, where: str, header: Iterable[str], span: Span | None,
                         source: Source | None) -> ModelError:
    header = [h for h in header if h != "time"]
    hint = did_you_mean(name, header) or f"add a column `{name}` to {where}, or read it from its own file: " \
                                          f"`input {name} from \"{name}.csv\"`"
    return ModelError(f"the input `{name}` is not a column of {where}", span, source=source, hint=hint)


def input_needs_data(name: str, span: Span | None, source: Source | None) -> ModelError:
    return ModelError(f"the input `{name}` is read from the data, and there is no dataset", span, source=source,
                      hint=f"give its values in a file: `input {name} from \"{name}.csv\"`, or give data "
                           "with `--data FILE`")


def vector_constant_override(name: str) -> ModelError:
    return ModelError(f"the vector constant `{name}` cannot be overridden", hint="override a number constant")


# ------------------------------------------------------------ warnings: probably wrong, not certainly
def local_never_read(name: str, span: Span, states: Iterable[str]) -> ModelWarning:
    """A local assigned in a block and never used: often a misspelt state."""
    hint = did_you_mean(name, states)
    hint = hint.replace("did you mean `", "did you mean the state `") if hint else "use it, or remove the line"
    return ModelWarning(f"the local `{name}` is assigned but never used", span, hint=hint)


def state_never_updated(name: str, span: Span, block: str) -> ModelWarning:
    how = f"`d({name}) = ...`" if block == "ode" else f"`{name} = ...` or `{name} += ...`"
    return ModelWarning(f"the state `{name}` is never updated by the `{block}` block", span,
                        hint=f"it keeps its initial value; update it with {how}, or make it a `const`")


def declared_but_unused(kind: str, name: str, span: Span) -> ModelWarning:
    words = {"param": "parameter", "const": "constant", "input": "input", "fn": "function"}
    hint = ("an unused parameter is sampled from its prior and slows the sampler; remove it"
            if kind == "param" else "remove it, or use it")
    return ModelWarning(f"the {words.get(kind, kind)} `{name}` is never used", span, hint=hint)


def not_a_prior(distribution: str, span: Span) -> ModelError:
    return ModelError(f"`{distribution}` cannot be a prior", span,
                      hint="its values lie on a simplex, which ponder's samplers cannot move on; write "
                           "`param w[K] ~ Gamma(alpha, 1)` and `derived p = w / sum(w)` (p then has the "
                           "Dirichlet(alpha) law)")


def multivariate_needs_vector(distribution: str, span: Span) -> ModelError:
    return ModelError(f"`{distribution}` draws a vector, and this is a number", span,
                      hint="draw it into a vector: `param v[K] ~ ...`, `state x[K] ~ ...`, or a whole vector state")


def multivariate_size_unknown(distribution: str, span: Span) -> ModelError:
    return ModelError(f"the length of this `{distribution}` is not known", span,
                      hint="give it a vector argument, e.g. a constant `const p = [0.2, 0.3, 0.5]`")


def multivariate_observation_indexed(distribution: str, column: str, span: Span) -> ModelError:
    return ModelError(f"`{distribution}` observes several columns at once, so `{column}` takes no index or loop",
                      span, hint=f"write `observe {column} ~ {distribution}(...)`: it observes columns "
                                 f"`{column}_0`, `{column}_1`, ...")


def derivative_twice(name: str, span: Span, first: Span) -> ModelError:
    return ModelError(f"`d({name})` is given twice", span,
                      hint=f"the first is on line {first.line}; give each derivative once (or once per `if` branch)")


def nested_too_deeply(what: str, limit: int, span: Span | None) -> ModelError:
    return ModelError(f"{what} nest more than {limit} deep here", span,
                      hint="name the inner parts (a local or a `fn`) to flatten it")


def chain_too_long(limit: int, span: Span | None) -> ModelError:
    return ModelError(f"this sum or product has more than {limit} terms", span,
                      hint="use a vector constant or parameter and `sum(...)`")


def parse_tree_too_deep(limit: int, span: Span, source: Source) -> ModelError:
    return ModelError(f"this model nests more than {limit} levels deep", span, source=source,
                      hint="name the inner parts (a local or a `fn`) to flatten it")


def model_too_long(limit: int, span: Span, source: Source) -> ModelError:
    """A model text of more than ``limit`` tokens; ``span``: the first token past it."""
    return ModelError(f"the model is longer than ponder compiles ({limit:,} names, numbers and symbols)", span,
                      source=source, hint="write repeated lines as a `for` loop over a vector, and keep long series "
                                          "of values in data files")


# ------------------------------------------------------------ output paths
def output_is_a_folder(path: str, what: str) -> ModelError:
    return ModelError(f"the {what} `{path}` is a folder", hint=f"give a file name, such as `{path}/out` plus the "
                                                               "file's extension")


def output_not_a_regular_file(path: str, what: str) -> ModelError:
    return ModelError(f"the {what} `{path}` is not a regular file (a device, a pipe or a socket)",
                      hint="ponder replaces only regular files; give another path")


def output_folder_is_a_file(path: str, what: str) -> ModelError:
    return ModelError(f"the {what} `{path}` is a file, not a folder", hint="give a folder name for the figures")


def output_not_writable(path: str, what: str, reason: str) -> ModelError:
    return ModelError(f"cannot write the {what} `{path}`: {reason}",
                      hint="choose a folder you can write to; nothing was run")


def output_in_use(path: str, lock: str) -> ModelError:
    return ModelError(f"another ponder run is writing `{path}`", hint=f"wait for it, or give another `-o`; "
                                                                    f"the run holds the lock `{lock}`")


def results_not_written(path: str, reason: str, saved: str | None) -> ModelError:
    where = f"they are saved in `{saved}`" if saved else "they are lost"
    return ModelError(f"the run finished but its results could not be written to `{path}` ({reason}); {where}",
                      hint="move that file where you want it; `ponder summary` reads it")


# ------------------------------------------------------------ reading text files
_UTF8_HINT = "save the file as UTF-8 (in most editors: Save As, encoding UTF-8)"


def file_not_utf8(path: str, byte: int, span: Span, source: Source) -> ModelError:
    """The first byte of ``path`` that is not UTF-8 (a latin-1 `é`, say)."""
    return ModelError(f"`{path}` is not UTF-8 text (the byte 0x{byte:02X} here)", span, source=source,
                      hint=_UTF8_HINT)


def file_ends_inside_character(path: str, span: Span, source: Source) -> ModelError:
    return ModelError(f"`{path}` ends inside a UTF-8 character", span, source=source,
                      hint="the file was cut short, or is not UTF-8: " + _UTF8_HINT)


def file_is_utf16(path: str, span: Span, source: Source) -> ModelError:
    return ModelError(f"`{path}` is UTF-16 text, not UTF-8", span, source=source, hint=_UTF8_HINT)


def file_has_nul_byte(path: str, span: Span, source: Source) -> ModelError:
    return ModelError(f"`{path}` has a NUL byte here: it is not a text file, or not UTF-8", span, source=source,
                      hint=_UTF8_HINT)


def file_unreadable(path: str, reason: str, code: int, span: Span | None = None,
                    source: Source | None = None) -> ModelError:
    """``path`` could not be read: ``reason`` is the OS's (short) and ``code`` its errno; ``span`` the line naming it."""
    hints = {errno.EISDIR: "give the path of a file, not of a folder",
             errno.ENOENT: "check the path",
             errno.EACCES: "check the file's permissions (`ls -l`)",
             errno.EPERM: "check the file's permissions (`ls -l`)",
             errno.ENAMETOOLONG: "shorten the path: a file name has at most 255 bytes",
             errno.EINVAL: "a path cannot hold a NUL character: correct the name"}
    return ModelError(f"cannot read `{path}`: {reason}", span, source=source,
                      hint=hints.get(code, "give an ordinary file that can be read"))


# ------------------------------------------------------------ flags and options: values and limits
def _bound(value: float) -> str:
    """A bound as users write it: whole numbers exactly (2**63, not 9.22337e+18), others short."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e19 else f"{value:g}"


def option_empty_value(name: str, owner: str, description: str) -> ModelError:
    return ModelError(f"{_option(name, owner)} is given no value", hint=f"write NAME=VALUE with a value; {description}")


def option_without_value(item: str) -> ModelError:
    return ModelError(f"`--option {item}` has no value after `=`", hint="for example `--option reset=20`; leave the "
                                                                      "option out to keep its default")


def option_not_above(name: str, owner: str, bound: float, value: Any, description: str) -> ModelError:
    return ModelError(f"{_option(name, owner)} must be above {_bound(bound)}, not `{value}`", hint=description)


def option_not_below(name: str, owner: str, bound: float, value: Any, description: str) -> ModelError:
    return ModelError(f"{_option(name, owner)} must be below {_bound(bound)}, not `{value}`", hint=description)


def too_many_particles(value: Any, limit: int) -> ModelError:
    return ModelError(f"`{value}` asks for more particles than the limit of {limit} (2**24)",
                      hint="each particle array takes N x states x 8 bytes; a range `MIN:MAX` such as `64:4096` "
                      "lets the filter choose N")


def too_many_times(spec: str, count: float, limit: int) -> ModelError:
    return ModelError(f"`--times {spec}` makes {count:.3g} times, over the limit of {limit}",
                      hint="use a larger STEP or a shorter range")


def checkpoint_every_invalid(text: str) -> ModelError:
    return ModelError(f"`--checkpoint-every {text}` is not a positive number of seconds",
                      hint="for example `--checkpoint-every 30`; the default is 5")


def flag_needs_name_value(flag: str, item: str) -> ModelError:
    return ModelError(f"`{flag} {item}` needs the form NAME=VALUE", hint=f"for example `{flag} sigma=0.5`")


def flag_value_not_a_number(flag: str, raw: str, item: str) -> ModelError:
    return ModelError(f"`{raw}` is not a number (in `{flag} {item}`)", hint="vectors are written `v=1,2,3`")


def run_too_large(needed: float, available: float, iterations: int) -> ModelError:
    return ModelError(f"recording {iterations:,} iterations takes {needed / 2**30:,.1f} GiB, more than this machine's "
                      f"{available / 2**30:,.1f} GiB of memory", hint="ask for fewer `--samples` (and `--warmup`) "
                      "or fewer chains: every iteration of every chain is kept")


# ------------------------------------------------------------ simulation-based calibration (`ponder sbc`)
def sbc_too_few_datasets(value: Any) -> ModelError:
    """``--datasets`` (``datasets=``) that is not a whole number of at least 1."""
    return ModelError(f"simulation-based calibration needs a whole number of datasets of at least 1, not `{value}`",
                      hint="for example `--datasets 100`; 50 to 1000 datasets are usual, more finds smaller biases")


def sbc_too_few_draws(value: Any) -> ModelError:
    """``--draws`` (``draws=``) that is not a whole number of at least 1."""
    return ModelError(f"simulation-based calibration needs a whole number of posterior draws per dataset of at "
                      f"least 1, not `{value}`", hint="for example `--draws 100`: each rank is then one of 0..100")


def sbc_not_enough_posterior_draws(available: int, draws: int) -> ModelError:
    """A run of SBC gave fewer pooled posterior draws than the ``draws`` to thin to."""
    return ModelError(f"a run gave {available} posterior draws (all chains pooled), fewer than the {draws} "
                      f"draws asked for per dataset", hint="ask for more `--samples` (or chains), or fewer `--draws`")


def sbc_sampler_and_method(sampler: str, method: str) -> ModelError:
    """Both a sampler and an inference method for SBC."""
    return ModelError(f"give a sampler (`{sampler}`) or an inference method (`{method}`) to calibrate, not both",
                      hint="`--sampler NAME` calibrates an MCMC sampler, `--method NAME` a whole-run method")


def sbc_needs_data(model: str) -> ModelError:
    """SBC of a model without datasets: nothing says at which times to simulate."""
    return ModelError(f"model `{model}` has no dataset: simulation-based calibration simulates data at the "
                      f"times (and with the replicates and missing values) of the model's data",
                      hint="add a `data \"file.csv\"` line (a CSV with a `time` column is enough; "
                      "`ponder simulate MODEL --times ... -o file.csv` writes one)")


def sbc_resume_needs_out() -> ModelError:
    """``--resume`` (``resume=True``) without an output folder to resume from."""
    return ModelError("`--resume` needs `--out DIR`: the folder where the datasets done so far were written",
                      hint="give the `--out` folder of the interrupted `ponder sbc`")


def sbc_alpha_out_of_range(value: Any) -> ModelError:
    """The SBC test level outside (0, 1)."""
    return ModelError(f"the level of the SBC test must be a number between 0 and 1, not `{value}`",
                      hint="for example `--alpha 0.01` (the default); it is split over the parameters (Bonferroni)")


# ------------------------------------------------------------ the kernel cache (ponder.lang.cache)
#: What makes a folder or file of the kernel cache untrustworthy, by ``ponder.lang.cache``'s name for it.
CACHE_PROBLEMS = {
    "owner": "belongs to another user",
    "group": "is writable by its group",
    "others": "is writable by all users",
    "link": "is a symbolic link",
    "not_folder": "is not a folder",
}


def cache_not_private(path: str, cache: str, problem: str, above: bool = False) -> ModelError:
    """ponder will not load compiled code from the folder ``cache``: ``path`` (``cache`` itself, a file in it, the
    cache's top folder holding it, or with ``above`` a folder above those) ``problem``, one of CACHE_PROBLEMS."""
    why = "ponder runs the compiled code it finds in its cache, so no one but you may be able to change it"
    if above:
        what = f"`{path}`, a folder above it,"
        hint = (f"{why} or swap a folder above it; set PONDER_CACHE to a folder of your own (a folder above it "
                "that others can write to must be sticky, like /tmp)")
    elif path != cache and PurePath(cache).is_relative_to(path):
        what = f"`{path}`"
        hint = (f"{why}; make `{path}` yours alone (`chmod go-w {path}`) and delete `{cache}`, which may hold "
                "files planted before (ponder makes a new, private one), or set PONDER_CACHE to a folder of your own")
    else:
        what = "it" if path == cache else f"`{path}` in it"
        hint = f"{why}; delete `{cache}` (ponder makes a new, private one) or set PONDER_CACHE to a folder of your own"
    return ModelError(f"ponder will not load compiled code from `{cache}`: {what} {problem}", hint=hint)


def cache_not_creatable(path: str, reason: str) -> ModelError:
    """The kernel cache's folder ``path`` could not be created (``reason``: the OS's words)."""
    return ModelError(f"cannot create the kernel cache `{path}`: {reason}",
                      hint="set PONDER_CACHE to a folder you can write to; nothing was run")


# ------------------------------------------------------------ external simulators (issue 17)
def bad_simulator_name(name: str) -> ModelError:
    """``register_simulator`` was given a name a ``.model`` could not write."""
    return ModelError(f"cannot register a simulator as {name!r}",
                      hint="a simulator's name is a name or dotted names, e.g. `reservoir` or `hydro.reservoir`")


def unknown_simulator(name: str, span: Span, known: Iterable[str]) -> ModelError:
    """``simulator NAME`` names nothing registered."""
    known = list(known)
    listed = f"registered: {one_of(known)}" if known else "no simulator is registered in this process"
    return ModelError(
        f"there is no simulator `{name}`",
        span,
        hint=((did_you_mean(name, known) or "") + f" {listed}; a plugin package registers one in "
              "`ponder_add_simulators`, a notebook with `ponder.register_simulator(name, simulator)` "
              "(`ponder plugins` lists them)").strip(),
    )


def simulator_with_dynamics(block: str, span: Span, simulator_span: Span) -> ModelError:
    """A model has ``simulator NAME`` and also a ``step`` or ``ode`` block."""
    return ModelError(
        f"a model with a `simulator` has no `{block}` block",
        span,
        hint=f"the simulator named on line {simulator_span.line} moves the model in time; remove one of them",
    )


def state_with_simulator(kind: str, name: str, span: Span) -> ModelError:
    """A ``state``/``accum`` in a model whose dynamics are an external simulator."""
    return ModelError(
        f"a model with a `simulator` declares `output`s, not `{kind}`s",
        span,
        hint=f"write `output {name}` for a value the simulator provides; its state is the simulator's own",
    )


def output_without_simulator(name: str, span: Span) -> ModelError:
    return ModelError(
        f"`output {name}` needs a `simulator` line",
        span,
        hint="outputs are what an external simulator provides; a model written in the language declares "
             f"`state {name} = ...` and a `step` or `ode` block",
    )


def output_not_provided(name: str, simulator: str, span: Span, provided: Iterable[str]) -> ModelError:
    """``output NAME`` that the simulator does not list among its ``output_names``."""
    provided = list(provided)
    return ModelError(
        f"the simulator `{simulator}` has no output `{name}`",
        span,
        hint=((did_you_mean(name, provided) or "") + f" it provides {one_of(provided)}").strip(),
    )


def simulator_needs(simulator: str, name: str, span: Span) -> ModelError:
    """The simulator reads ``name`` (its ``parameters``) and the model declares no such param, const or input."""
    return ModelError(
        f"the simulator `{simulator}` reads `{name}`, which the model does not declare",
        span,
        hint=f"declare it: `param {name} ~ ...`, `const {name} = ...` or `input {name}`",
    )


def simulator_without_outputs(simulator: str, span: Span) -> ModelError:
    return ModelError(
        f"the model runs the simulator `{simulator}` but declares no `output`",
        span,
        hint="declare what the observations read, e.g. `output Q`, then `observe Q ~ ...`",
    )


# ------------------------------------------------------------ sandboxed programs (ponder.sandbox, issue 17)
def sandbox_program_not_found(program: str, template: str) -> ModelError:
    """A sandbox's command names a program that is not there or cannot be run."""
    return ModelError(
        f"cannot find the sandbox's program `{program}`",
        hint=f"give its absolute path, a path relative to the template folder `{template}` or the current folder, "
             "or a name found on PATH; the file must be executable",
    )


def sandbox_runs_failed(command: str, runs: int, t0: float, t1: float, reason: str, stderr: str) -> ModelError:
    """Every particle's run of a sandboxed program failed over one interval (``reason``: the last run's exit
    status, timeout or callback error; ``stderr``: the end of its stderr, on one line)."""
    said = f"; its stderr ended: {stderr}" if stderr else "; it wrote nothing to stderr"
    return ModelError(
        f"all {runs} runs of `{command}` from t = {t0:g} to {t1:g} failed (the last: {reason}){said}",
        hint="run the command by hand in a copy of the template folder with the inputs write_inputs writes; "
             "a run that fails for some particles only gives them zero weight",
    )


def sandbox_template_written(name: str, command: str) -> ModelError:
    """A run wrote into a template file that every particle's folder hard-links."""
    return ModelError(
        f"`{command}` wrote into the template's file `{name}`, which every particle shares (a hard link)",
        hint=f"list it in the sandbox's `modified` files, so that each particle gets its own copy of `{name}`",
    )


def compiled_simulator_outputs(simulator: str, span: Span, provided: Iterable[str], missing: Iterable[str]) -> ModelError:
    """A simulator with Numba kernels fills every column it declares (``provided``, empty: it declares none)."""
    provided, missing = list(provided), list(missing)
    return ModelError(
        f"the simulator `{simulator}` fills {one_of(provided)}; the model does not declare {one_of(missing)}"
        if provided else f"the simulator `{simulator}` gives Numba kernels but no `output_names`",
        span,
        hint="a simulator compiled with Numba writes all its outputs: declare each with `output NAME`" if provided
        else "its author must declare `output_names`, the columns its kernels fill",
    )


def compiled_simulator_reads_numbers(simulator: str, name: str, what: str, span: Span) -> ModelError:
    """A Numba simulator's kernels take numbers; ``name`` is ``what`` ("an input", "a vector")."""
    return ModelError(
        f"the simulator `{simulator}` is compiled with Numba and takes numbers; `{name}` is {what}",
        span,
        hint="its kernels read scalar parameters and constants and write scalar outputs; "
             "a simulator in Python (no `numba_kernels`) takes inputs and vectors",
    )
