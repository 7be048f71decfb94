"""Rich renderings of a model for ``ponder check`` and the REPL."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ponder.lang import ir


def model_summary(model) -> Group:
    """Params with priors, constants, states, observations, datasets, kind."""
    m = model.ir
    kind = "deterministic" if m.deterministic else "stochastic"
    if isinstance(m.dynamics, ir.StepDynamics):
        dynamics = "step" if m.dynamics.dt == 1.0 else f"step(dt = {m.dynamics.dt:g})"
    elif isinstance(m.dynamics, ir.OdeDynamics):
        dynamics = f"ode ({m.dynamics.solver})"
    else:
        dynamics = "none (states stay constant)"
    head = Text.assemble(
        ("model ", "bold"), (m.name, "bold cyan"), f"  ({kind}; dynamics: {dynamics}; t0 = {m.t0:g})\n",
        ("ok: ", "bold green"), f"{model.path} checked and compiled",
    )
    parts = [head]

    table = Table(title="parameters", title_justify="left", show_edge=False)
    table.add_column("name")
    table.add_column("size", justify="right")
    table.add_column("prior")
    for p in m.params:
        table.add_row(p.name, str(p.size) if p.size else "", ir.format_dist(p.prior))
    parts.append(table)

    if m.consts:
        table = Table(title="constants", title_justify="left", show_edge=False)
        table.add_column("name")
        table.add_column("value", justify="right")
        for c, value in zip(m.consts, m.const_values):
            table.add_row(c.name, f"{value:g}")
        parts.append(table)

    table = Table(title="states", title_justify="left", show_edge=False)
    table.add_column("name")
    table.add_column("size", justify="right")
    table.add_column("initial value")
    for s in m.states:
        init = ir.format_dist(s.init_dist) if s.init_dist else ir.format_expr(s.init)
        table.add_row(s.name + (" (accum)" if s.is_accum else ""), str(s.size) if s.size else "",
                      ("~ " if s.init_dist else "") + init)
    parts.append(table)

    table = Table(title="observations", title_justify="left", show_edge=False)
    table.add_column("column")
    table.add_column("error model")
    for o in m.observations:
        table.add_row(o.column, "~ " + ir.format_dist(o.dist))
    parts.append(table)

    table = Table(title="datasets", title_justify="left", show_edge=False)
    table.add_column("file")
    table.add_column("times", justify="right")
    table.add_column("span")
    table.add_column("observed values", justify="right")
    table.add_column("overrides")
    for d in model.datasets:
        span = f"{d.times[0]:g} .. {d.times[-1]:g}" if d.n_times else ""
        table.add_row(d.name, str(d.n_times), span, str(d.n_observed),
                      ", ".join(f"{k} = {v:g}" for k, v in d.overrides))
    if not model.datasets:
        table.add_row("(none)", "", "", "", "")
    parts.append(table)
    if m.infer:
        parts.append(Text("infer: " + "; ".join(f"{k} = {_fmt(v)}" for k, v in m.infer)))
    return Group(*parts)


def _fmt(value) -> str:
    if isinstance(value, tuple):
        return f"{value[0]}:{value[1]}"
    return str(value)
