"""Rich renderings of a model for ``ponder check`` and the REPL."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ponder.lang import ir


def model_summary(model) -> Group:
    """Params with priors, constants, states, observations, summaries, datasets, kind."""
    m = model.ir
    kind = "deterministic" if m.deterministic else "stochastic"
    if isinstance(m.dynamics, ir.StepDynamics):
        dynamics = "step" if m.dynamics.dt == 1.0 else f"step(dt = {m.dynamics.dt:g})"
    elif isinstance(m.dynamics, ir.OdeDynamics):
        dynamics = f"ode ({m.dynamics.solver})"
    elif isinstance(m.dynamics, ir.SimulatorDynamics):
        dynamics = (f"simulator {m.dynamics.name} ("
                    + ("compiled with Numba" if m.dynamics.compiled else "Python") + ")")
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
    for p in _shown(m.params):
        table.add_row(p.name, str(p.size) if p.size else "", ir.format_dist(p.prior))
    _more(table, m.params)
    parts.append(table)

    if m.consts:
        table = Table(title="constants", title_justify="left", show_edge=False)
        table.add_column("name")
        table.add_column("value", justify="right")
        for c in _shown(m.consts):
            values = m.const_values[c.offset:c.offset + c.width]
            if not c.shape:
                text = f"{values[0]:g}"
            elif len(c.shape) == 1:
                text = "[" + ", ".join(f"{v:g}" for v in values) + "]"
            else:
                rows = [values[i * c.shape[1]:(i + 1) * c.shape[1]] for i in range(c.shape[0])]
                text = "[" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in rows) + "]"
            table.add_row(c.name, text)
        _more(table, m.consts)
        parts.append(table)

    for title, key in (("functions", "fn:"), ("derived quantities", "derived:")):
        lines = [_declaration_line(m, name) for name in _names_with(m, key)]
        if lines:
            table = Table(title=title, title_justify="left", show_edge=False)
            table.add_column("definition")
            for line in _shown(lines):
                table.add_row(line)
            _more(table, lines)
            parts.append(table)

    if m.inputs:
        table = Table(title="inputs", title_justify="left", show_edge=False)
        table.add_column("name")
        table.add_column("interpolation")
        table.add_column("from")
        for i in _shown(m.inputs):
            table.add_row(i.name, i.interpolate, i.path or "each dataset's column")
        _more(table, m.inputs)
        parts.append(table)

    simulator = m.dynamics if isinstance(m.dynamics, ir.SimulatorDynamics) else None
    table = Table(title="outputs of the simulator " + simulator.name if simulator else "states",
                  title_justify="left", show_edge=False)
    table.add_column("name")
    table.add_column("size", justify="right")
    table.add_column("initial value" if not simulator else "")
    for s in _shown(m.states):
        if simulator is not None:
            init = "set by the simulator" + (" (deterministic)" if simulator.deterministic else " (stochastic)")
        elif s.init_elements:
            init = "[" + ", ".join(ir.format_expr(e) for e in s.init_elements) + "]"
        else:
            init = ir.format_dist(s.init_dist) if s.init_dist else ir.format_expr(s.init)
        table.add_row(s.name + (" (accum)" if s.is_accum else ""), str(s.size) if s.size else "",
                      ("~ " if s.init_dist else "") + init)
    _more(table, m.states)
    parts.append(table)

    table = Table(title="observations", title_justify="left", show_edge=False)
    table.add_column("column")
    table.add_column("error model")
    for o in _shown(m.observations):
        table.add_row(o.column, "~ " + ir.format_dist(o.dist))
    _more(table, m.observations)
    parts.append(table)

    if m.summaries:
        table = Table(title="summaries", title_justify="left", show_edge=False)
        table.add_column("name")
        table.add_column("statistic")
        for summary in _shown(m.summaries):
            table.add_row(summary.name, summary.text)
        _more(table, m.summaries)
        parts.append(table)

    table = Table(title="datasets", title_justify="left", show_edge=False)
    table.add_column("file")
    table.add_column("times", justify="right")
    table.add_column("span")
    table.add_column("observed values", justify="right")
    table.add_column("overrides")
    for d in _shown(model.datasets):
        span = f"{d.times[0]:g} .. {d.times[-1]:g}" if d.n_times else ""
        table.add_row(d.name, str(d.n_times), span, str(d.n_observed),
                      ", ".join(f"{k} = {v:g}" for k, v in d.overrides))
    _more(table, model.datasets)
    if not model.datasets:
        table.add_row("(none)", "", "", "", "")
    parts.append(table)
    if m.infer:
        parts.append(Text("infer: " + "; ".join(f"{k} = {_fmt(v)}" for k, v in m.infer)))
    return Group(*parts)


#: rows shown per table of the summary: a generated model of thousands of constants prints the first ones and a count
SUMMARY_ROWS = 50


def _shown(items) -> list:
    """The first :data:`SUMMARY_ROWS` of ``items``."""
    return list(items)[:SUMMARY_ROWS]


def _more(table: Table, items) -> None:
    """A last row saying how many of ``items`` the table leaves out, if any."""
    left_out = len(items) - SUMMARY_ROWS
    if left_out > 0:
        table.add_row(f"... and {left_out:,} more", *[""] * (len(table.columns) - 1))


def _names_with(m: ir.ModelIR, key: str) -> list[str]:
    """Declared names of one kind (``fn:NAME``, ``derived:NAME`` spans), in file order."""
    found = [(span.line, name[len(key):]) for name, span in m.spans.items() if name.startswith(key)]
    return [name for _, name in sorted(found)]


def _declaration_line(m: ir.ModelIR, name: str) -> str:
    """The source text of a declaration (its first line), as the user wrote it."""
    key = "fn:" + name if "fn:" + name in m.spans else "derived:" + name
    if m.source is None:
        return name
    return m.source.line(m.spans[key].line).split("#", 1)[0].strip()  # no strings in these lines: `#` starts a comment


def _fmt(value) -> str:
    if isinstance(value, tuple):
        return f"{value[0]}:{value[1]}"
    return str(value)


def posterior_frame(idata, var_names=None):
    """ArviZ's summary (mean, sd, 94% HDI, ESS bulk/tail, R-hat) plus the MAP draw, as a DataFrame."""
    import numpy as np

    from ponder.runtime.arviz_io import summary_frame
    from ponder.runtime.results import map_estimate

    names = var_names or _parameter_names(idata)
    frame = summary_frame(idata, names, prob=0.94)
    best = map_estimate(idata)
    map_values = []
    for label in frame.index:
        base, _, idx = str(label).partition("[")
        value = best.get(base)
        if value is not None and idx:
            value = np.asarray(value)[tuple(int(i) for i in idx.rstrip("]").split(","))]
        map_values.append(float(value) if value is not None else float("nan"))
    frame["MAP"] = map_values
    return frame


def posterior_table(idata, var_names=None, title: str | None = None) -> Table:
    """mean, sd, 94% HDI, ESS bulk/tail, R-hat and MAP of each parameter (ArviZ's numbers)."""
    frame = posterior_frame(idata, var_names)
    table = Table(title=title, title_justify="left", show_edge=False)
    for col, justify in (("parameter", "left"), ("mean", "right"), ("sd", "right"), ("hdi 3%", "right"),
                         ("hdi 97%", "right"), ("ess bulk", "right"), ("ess tail", "right"), ("r_hat", "right"),
                         ("MAP", "right")):
        table.add_column(col, justify=justify)
    for label, row in frame.iterrows():
        r_hat = row.get("r_hat", float("nan"))
        style = "red" if r_hat == r_hat and r_hat > 1.05 else ""
        table.add_row(
            str(label), _g(row["mean"]), _g(row["sd"]), _g(row["hdi_3%"]), _g(row["hdi_97%"]),
            f"{row['ess_bulk']:.0f}", f"{row['ess_tail']:.0f}", f"[{style}]{r_hat:.3f}[/]" if style else f"{r_hat:.3f}",
            _g(row["MAP"]) if row["MAP"] == row["MAP"] else "",
        )
    return table


def _parameter_names(idata) -> list[str]:
    """Posterior variables that are parameters (latent states carry a time dimension)."""
    return [v for v, da in idata.posterior.data_vars.items() if not any(d.startswith("time") for d in da.dims)]


def _g(value: float) -> str:
    return f"{value:.4g}"


def run_report(idata) -> Text:
    """One line on the run: sampler (or inference method), likelihood, draws, time, acceptance."""
    import json

    import numpy as np

    from ponder.runtime.arviz_io import group

    post = group(idata, "posterior")
    stats = group(idata, "sample_stats")
    a = post.attrs
    particles = a.get("final_particles", "")
    try:  # "[null, null]": no replicate had a particle filter
        if all(p is None for p in json.loads(particles)):
            particles = ""
    except (TypeError, ValueError):
        pass
    if "method" in a:  # an inference method's results
        how = f"{a['method']} method"
    else:
        how = f"{a.get('sampler')} sampler, {a.get('likelihood')} likelihood" + (
            f" (particles {particles})" if particles and particles not in ("[null]", "[1]") else "")
    acc = ""
    if stats is not None and "acceptance_rate" in stats:
        acc = f"; mean acceptance {float(np.nanmean(stats['acceptance_rate'].values)):.2f}"
    return Text.assemble(
        (f"{a.get('model_name', '')}: ", "bold"),
        how + f"; {post.sizes['chain']} chains x {post.sizes['draw']} draws"
        + f"{acc}; {float(a.get('sampling_time', 0)):.1f} s; seed {a.get('seed')}",
        (" (partial: interrupted)" if int(a.get("partial", 0)) else "", "yellow"),
    )


def tempering_table(idata) -> Table | None:
    """Pigeons-style per-round table of a ``pt`` run, or None for other samplers."""
    import json

    attrs = idata.posterior.attrs
    if "pt_round_table" not in attrs:
        return None
    table_data = json.loads(attrs["pt_round_table"])
    table = Table(
        title=f"parallel tempering: log Z = {float(attrs['log_evidence']):.4f} +- {float(attrs['log_evidence_se']):.4f}",
        title_justify="left", show_edge=False,
    )
    for col in ("round", "scans", "Lambda", "time (s)", "log Z", "se", "min swap", "mean swap", "round trips"):
        table.add_column(col, justify="right")
    for row in table_data["rows"]:
        r, scans, barrier, seconds, log_z, se, lo, mean, trips = row
        table.add_row(f"{r:.0f}", f"{scans:.0f}", f"{barrier:.3f}", f"{seconds:.2f}", f"{log_z:.4f}",
                      f"{se:.4f}" if se == se else "", f"{lo:.3f}", f"{mean:.3f}", f"{trips:.0f}")
    return table


def loglik_table(result: dict, model_name: str) -> Table:
    """The table of ``ponder loglik`` (see :func:`ponder.runtime.repeat.repeated_loglik`)."""
    table = Table(title=f"log-likelihood of {model_name} ({result['likelihood']}, seed {result['seed']})",
                  show_edge=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("mean of estimates", f"{result['loglik_mean']:.4f}")
    table.add_row("sd of estimates", f"{result['loglik_sd']:.4f}")
    table.add_row("log-mean-exp", f"{result['loglik_logmeanexp']:.4f}")
    table.add_row("its jackknife s.e.", f"{result['loglik_se']:.4f}")
    table.add_row("ms per estimate", f"{result['ms_per_estimate']:.3f}")
    mean = result["particles_mean"]
    table.add_row("particles", f"{mean:g}" if mean != result["particles"] else str(result["particles"]))
    table.add_row("repeats", str(result["repeats"]))
    return table
