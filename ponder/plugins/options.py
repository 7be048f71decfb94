"""Declared options of plugins: what a sampler, likelihood or method accepts, with types and defaults.

A plugin class lists its options as ``options = (Option(...), ...)``. The
runtime coerces and checks what a user gives (``--option NAME=VALUE`` on the
command line, ``NAME = VALUE`` in ``infer { }``, keyword arguments in the
API) against that list before the plugin sees it, so a plugin receives
values of the declared types, and a mistake is a :class:`~ponder.ModelError`
that names the option and lists the others. ``ponder plugins`` and ``ponder
run --help-sampler NAME`` print the declarations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from ponder.lang import messages


@dataclass(frozen=True)
class Option:
    """One option: its name, type (int, float, str or bool), default, help text and allowed values.

    ``minimum``/``maximum`` bound numbers (inclusive), ``above``/``below``
    (exclusive: a scale that must be positive has ``above=0``); ``choices``
    lists the allowed values of a ``str`` option; ``check`` is called with the
    converted value and raises a ModelError for values the bounds cannot
    describe (a particle number over its limit); ``default`` None means "the
    plugin decides" (shown as ``auto``). Numbers must be finite, no value may
    be empty text, and a ``bool`` is one of true/false, yes/no, 1/0.
    """

    name: str
    type: type
    default: Any = None
    help: str = ""
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None
    below: float | None = None
    check: Callable[[Any], Any] | None = None

    def coerce(self, value: Any, owner: str) -> Any:
        """``value`` (text from a command line, or a Python value) as this option's type; a ModelError if it is not one.

        ``owner`` names whose option it is in messages ("the `mh` sampler"); empty for run settings.
        """
        if isinstance(value, str) and not value.strip():
            raise messages.option_empty_value(self.name, owner, self.describe())
        try:
            converted = _convert(self.type, value)
        except OverflowError:  # an int option given an infinite float
            raise messages.option_not_finite(self.name, owner, value, self.describe()) from None
        except (TypeError, ValueError):
            raise messages.option_wrong_type(self.name, owner, self.type, value, self.describe()) from None
        if self.choices and converted not in self.choices:
            raise messages.option_not_a_choice(self.name, owner, value, converted, self.choices, self.describe())
        if self.type in (int, float):
            if not math.isfinite(converted):
                raise messages.option_not_finite(self.name, owner, value, self.describe())
            if self.minimum is not None and converted < self.minimum:
                raise messages.option_below_minimum(self.name, owner, self.minimum, value, self.describe())
            if self.maximum is not None and converted > self.maximum:
                raise messages.option_above_maximum(self.name, owner, self.maximum, value, self.describe())
            if self.above is not None and not converted > self.above:
                raise messages.option_not_above(self.name, owner, self.above, value, self.describe())
            if self.below is not None and not converted < self.below:
                raise messages.option_not_below(self.name, owner, self.below, value, self.describe())
        if self.check is not None:
            self.check(converted)
        return converted

    def describe(self) -> str:
        """``name`` (type, default D): help."""
        kind = self.type.__name__ if not self.choices else "|".join(str(c) for c in self.choices)
        default = "auto" if self.default is None else self.default
        return f"{self.name} ({kind}, default {default}): {self.help}".rstrip(": ")


def _convert(kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("true", "yes", "1"):
                return True
            if word in ("false", "no", "0"):
                return False
            raise ValueError(value)
        if isinstance(value, (bool, int)) and value in (0, 1):
            return bool(value)
        raise ValueError(value)
    if kind is int:
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, str):
            value = value.strip()
            return int(value)
        number = float(value)
        if number != math.floor(number):
            raise ValueError(value)
        return int(number)
    if kind is float:
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)
    if kind is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, (tuple, list)) and len(value) == 2:  # a range MIN:MAX
            return ":".join(str(v) for v in value)
        raise TypeError(value)
    return kind(value)


def declared_options(plugin) -> tuple[Option, ...] | None:
    """The options a plugin class or factory declares, or None if it declares none (then anything passes)."""
    options = getattr(plugin, "options", None)
    return tuple(options) if options is not None else None


def coerce_options(declared: Sequence[Option] | None, given: Mapping[str, Any], owner: str) -> dict:
    """``given`` checked and converted against ``declared``; unknown names are a ModelError.

    Options given as None are left out (the plugin's default applies).
    With ``declared`` None (a plugin that declares nothing) values pass as they are.
    """
    given = {k: v for k, v in given.items() if v is not None}
    if declared is None:
        return dict(given)
    table = {o.name: o for o in declared}
    out = {}
    for name, value in given.items():
        option = table.get(name)
        if option is None:
            raise messages.unknown_option(owner, name, table)
        out[name] = option.coerce(value, owner)
    return out


def describe_options(declared: Sequence[Option] | None) -> list[str]:
    """One line per option (for ``ponder plugins`` and ``--help-sampler``)."""
    if declared is None:
        return ["(options not declared: passed to the plugin as given)"]
    return [o.describe() for o in declared]
