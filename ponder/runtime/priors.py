"""Why a draw of the prior failed: a prior whose arguments break their bounds or order.

The checker rejects constant prior arguments that do (``Normal(0, -1)``,
``Uniform(1, 1)``). Arguments computed from other parameters, or through a
model's ``fn``, are only known at a draw: a prior's sampler then gives NaN,
and the search for starting points sees a draw it must throw away. This
module finds the first prior of such a draw whose arguments are invalid and
says so, at the prior's line, with the values: at once when the arguments
depend on no parameter (every draw fails the same way), and when no draw at
all could be made otherwise (a hierarchical prior whose arguments are valid
for some draws of the parameters above it may run; its invalid draws have
prior density 0).
"""

from __future__ import annotations

import numpy as np

from ponder.lang import ir, messages
from ponder.lang.errors import ModelError
from ponder.lang.fold import fold


class PriorDraws:
    """Watches the prior draws of a search for starting points (:meth:`ponder.runtime.target.Target.initial`)."""

    def __init__(self, model, consts: np.ndarray):
        self.model = model
        self.consts = consts
        self.drawn = 0
        self.broken = 0
        self.error: ModelError | None = None

    def check(self, draws: np.ndarray) -> None:
        """Look at a batch of draws (rows of parameter slots); raise at once for a prior that no draw can satisfy."""
        self.drawn += len(draws)
        for row in draws[~np.all(np.isfinite(draws), axis=1)]:
            self.broken += 1
            if self.error is None:
                found = invalid_prior(self.model, row, self.consts)
                if found is not None:
                    self.error, depends = found
                    if not depends:
                        raise self.error

    def failure(self) -> ModelError | None:
        """When no starting point was found: the error of an invalid prior if every draw had one, else None."""
        return self.error if self.broken == self.drawn else None


def invalid_prior(model, theta: np.ndarray, consts: np.ndarray) -> tuple[ModelError, bool] | None:
    """For a draw ``theta`` of the prior (NaN in the slots that could not be drawn): the located error of the
    first prior whose arguments are invalid, and whether those depend on other parameters; None if the first
    prior that failed did not fail for its arguments (or they cannot be computed here: vectors)."""
    for p in model.ir.params:
        if np.all(np.isfinite(theta[p.offset:p.offset + p.width])):
            continue
        if p.prior.size:  # a multivariate prior: its arguments are vectors
            return None
        read: dict[str, float] = {}  # the parameter values the arguments were computed from
        try:
            values = [fold(a, _draw_ref(model, theta, consts, read), model.library.functions) for a in p.prior.args]
        except OverflowError:
            return None
        if any(v is None for v in values):
            return None
        return _first_invalid(model, p, values, read)
    return None


def _draw_ref(model, theta: np.ndarray, consts: np.ndarray, read: dict):
    """The ``ref`` of :func:`~ponder.lang.fold.fold` for a draw: constants and parameters (noted in ``read``)."""
    consts_ir = {c.name: c for c in model.ir.consts}
    params = {p.name: p for p in model.ir.params}

    def ref(node: ir.Ref, index, column):
        if node.kind == "const":
            c = consts_ir[node.name]
            k = 0 if index is None else index if column is None else index * c.shape[1] + column
            return float(consts[c.offset + k])
        if node.kind == "param":
            value = float(theta[params[node.name].offset + (index or 0)])
            read[node.name if index is None else f"{node.name}[{index}]"] = value
            return value
        return None

    return ref


def _first_invalid(model, p: ir.Param, values: list[float], read: dict) -> tuple[ModelError, bool] | None:
    dist = model.library.distributions[p.prior.name]
    given = ", ".join(f"{name} = {value:g}" for name, value in read.items())
    span, source = model.ir.spans.get(p.name), model.ir.source  # the parameter's name, on its prior's line
    named = dict(zip(dist.params, values))
    for name, bounds in zip(dist.params, dist.param_bounds):
        if not bounds.contains(named[name]):
            return messages.prior_argument_out_of_range(p.name, dist.name, name, bounds.describe(), named[name],
                                                        given, span, source), bool(read)
    for order in dist.ordered:
        if not order.holds(named[order.lower], named[order.upper]):
            return messages.prior_arguments_out_of_order(p.name, dist.name, order.describe(), order.lower,
                                                         named[order.lower], order.upper, named[order.upper],
                                                         given, span, source), bool(read)
    return None
