"""``ponder report``: one self-contained HTML file describing a run.

Model source, settings, the posterior summary, parallel tempering's rounds,
every figure that applies (PNG embedded as ``data:`` URIs) and the run's
resources and timing. No scripts, no external files or fonts: the file can be
mailed to a colleague and opened anywhere.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 72em;
       color: #1d2330; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #d8dce4; padding-bottom: 0.2em; }
.subtitle { color: #5a6275; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #e4e7ee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f5f9; }
pre { background: #f6f8fb; border: 1px solid #e1e5ee; padding: 0.8em 1em; overflow-x: auto; font-size: 0.88em; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #e4e7ee; }
figcaption { color: #5a6275; font-size: 0.9em; }
.warning { color: #9a5b00; font-weight: 600; }
"""

CAPTIONS = {
    "trace": "Traces (one line per chain) and marginal posteriors, with the prior density dashed.",
    "pair": "Pairwise joint posterior of the parameters.",
    "predictive": "Posterior predictive: data as points, simulated observations as median with 50% and 90% bands.",
    "latent": "Latent states at the observation times (particle filter's sampled paths): median, 50% and 90% bands.",
    "pf": "Particle filter over the run: particles, log-likelihood estimate and its spread, ESS per time, "
          "failed estimates.",
    "sampler": "Sampler diagnostics: acceptance, stuck-walker resets, tempering schedule and swap rates.",
    "qq": "Q-Q plot of one-step-ahead standardised residuals (at the MAP draw) against N(0, 1).",
}


def write_report(idata, out: str | Path = "report.html", results_path: str | Path | None = None,
                 truth: dict | None = None) -> Path:
    """Write the HTML report of ``idata`` to ``out``; returns its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(idata, results_path, truth), encoding="utf-8")
    return out


def write_sbc_report(result, out: str | Path = "report.html") -> Path:
    """Write the HTML report of a simulation-based calibration (:class:`ponder.sbc.SBCResult`) to ``out``."""
    from ponder.sbc import sbc_section_html
    from ponder.version import __version__

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    page = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            "<title>ponder report: simulation-based calibration</title>", f"<style>{STYLE}</style></head><body>",
            "<h1>Simulation-based calibration</h1>", sbc_section_html(result),
            f'<p class="subtitle">Made by ponder {_e(__version__)}.</p></body></html>']
    out.write_text("\n".join(page), encoding="utf-8")
    return out


def render_report(idata, results_path=None, truth: dict | None = None) -> str:
    """The report as one HTML string."""
    from ponder.version import __version__

    attrs = idata.posterior.attrs
    name = str(attrs.get("model_name", "model"))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>ponder report: {_e(name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{_e(name)}</h1>",
        f'<p class="subtitle">{_e(_run_line(idata))}</p>',
    ]
    if int(attrs.get("partial", 0)):
        parts.append('<p class="warning">This run was interrupted: the results hold the draws made so far.</p>')
    parts += ["<h2>Posterior summary</h2>", _summary_html(idata)]
    parts += _tempering_html(attrs)
    parts += ["<h2>Figures</h2>"] + _figures_html(idata, truth)
    parts += ["<h2>Settings</h2>", _dict_table(settings_used(idata))]
    parts += ["<h2>Resources and timing</h2>", _dict_table(_resources(idata, results_path))]
    parts += ["<h2>Model</h2>", f"<p>{_e(str(attrs.get('model_path', '')))}</p>",
              f"<pre>{_e(str(attrs.get('model_source', '')))}</pre>"]
    parts.append(f'<p class="subtitle">Made by ponder {_e(__version__)}.</p></body></html>')
    return "\n".join(parts)


def _run_line(idata) -> str:
    from ponder.summary import run_report

    return run_report(idata).plain


def _summary_html(idata) -> str:
    from ponder.summary import posterior_frame

    frame = posterior_frame(idata)
    columns = ["mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat", "MAP"]
    rows = []
    for label, row in frame.iterrows():
        cells = [f"{row[c]:.0f}" if c.startswith("ess") else f"{row[c]:.4g}" for c in columns]
        rows.append([str(label)] + cells)
    html_table = _table(["parameter"] + columns, rows)
    return html_table + "".join(_warnings_html(idata))


def _warnings_html(idata) -> list[str]:
    """The run's warnings (:func:`ponder.runtime.convergence.run_warnings`: R-hat and ESS against the run's
    targets, a noisy particle filter, failed estimates, frequent resets), one paragraph each."""
    from ponder.runtime.convergence import run_warnings

    return [f'<p class="warning">warning: {_e(line)}</p>' for line in run_warnings(idata)]


def _tempering_html(attrs) -> list[str]:
    if "pt_round_table" not in attrs:
        return []
    data = json.loads(attrs["pt_round_table"])
    rows = [[f"{v:.0f}" if c in ("round", "scans", "round_trips") else f"{v:.4g}" for c, v in zip(data["columns"], r)]
            for r in data["rows"]]
    title = (f"<h2>Parallel tempering</h2><p>log Z = {float(attrs['log_evidence']):.4f} "
             f"&plusmn; {float(attrs['log_evidence_se']):.4f} (stepping stone)</p>")
    return [title, _table(data["columns"], rows)]


def _figures_html(idata, truth) -> list[str]:
    import warnings

    from ponder import plots
    from ponder.lang.errors import ModelError

    out = []
    model = None
    try:
        model = plots.model_of(idata)  # from the data stored in the results: the files the model names are not read
    except ModelError as exc:  # a plugin's distribution not installed here, say: figures needing the model are skipped
        out.append(f'<p class="warning">Figures that need the model are left out: {_e(str(exc).splitlines()[0])}</p>')
    for kind in plots.figure_kinds():
        if model is None and kind in ("trace", "qq"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig = plots.figure(idata, kind, truth=truth, model=model)
        if fig is None:
            continue
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        out.append(f'<figure id="figure-{kind}"><img alt="{kind} figure" src="data:image/png;base64,{data}">'
                   f"<figcaption>{_e(CAPTIONS.get(kind, kind))}</figcaption></figure>")
    return out


def settings_used(idata) -> dict:
    """The run's settings as it used them: ``{label: value}``.

    The results' ``settings`` attribute holds what was asked for, with None
    where the choice was left to ponder or the plugin (the warm-up, the
    chains, the workers, a resampling scheme); the value used is read back
    from the results (``warmup``, the posterior's chains, the likelihood
    chosen by ``auto``, ...). ``particles`` and ``resampling`` are shown
    only when a replicate's likelihood was a particle filter.
    """
    from ponder.plots import has_particle_filter

    attrs = idata.posterior.attrs
    asked = json.loads(attrs.get("settings", "{}"))
    filtered = has_particle_filter(idata)
    out = {}
    for key, value in asked.items():
        if key in ("particles", "resampling") and not filtered:
            continue
        used = _USED.get(key, lambda v, i: v)(value, idata)
        out[key] = "not set" if used is None else used
    if filtered:
        out["final particles"] = _final_particles(attrs)
    return out


def _final_particles(attrs) -> str:
    counts = json.loads(attrs.get("final_particles", "[]"))
    return ", ".join("exact" if c is None else str(c) for c in counts)


def _used_likelihood(value, idata):
    chosen = idata.posterior.attrs.get("likelihood")
    if chosen is None:
        return value
    return f"{chosen} (auto)" if value in (None, "auto") else chosen


def _used_samples(value, idata):
    attrs = idata.posterior.attrs
    if value is not None:
        return value
    done = int(attrs.get("iterations_done", 0)) - int(attrs.get("warmup", 0))
    stopped = attrs.get("stopped")
    return f"{done} (until converged" + (f"; stopped: {stopped})" if stopped else ")")


def _used_chains(value, idata):
    if value is not None:
        return value
    attrs = idata.posterior.attrs
    if "pt_schedule" in attrs:  # parallel tempering keeps the cold chain: the replicas are the schedule's
        return f"{len(json.loads(attrs['pt_schedule']))} replicas"
    return idata.posterior.sizes["chain"]


def _used_workers(value, idata):
    if value is not None:
        return value
    attrs = idata.posterior.attrs
    executor = json.loads(attrs.get("settings", "{}")).get("executor", "serial")
    resources = json.loads(attrs.get("resources", "{}"))
    cpus = resources.get("cpu_count")
    if executor == "serial":
        return 1
    batches = resources.get("executor_batches")
    if executor == "auto" and batches:
        done = batches.get("threads", 0) + batches.get("serial", 0)
        if not batches.get("threads"):
            return "1 (the estimates were too short for threads to pay)"
        return f"{resources.get('workers')} threads ({batches['threads']} of {done} batches ran on them)"
    if executor in ("threads", "processes") and cpus:
        return f"{cpus} (one per CPU)"
    return "the executor's default"


def _used_resampling(value, idata):
    if value is not None:
        return value
    from ponder.lang.errors import ModelError
    from ponder.plugins.manager import plugins
    from ponder.plugins.options import declared_options

    name = idata.posterior.attrs.get("likelihood", "pf")
    try:
        declared = declared_options(plugins().likelihoods.get(name)) or ()
    except ModelError:  # a plugin's likelihood that is not installed here
        return "the likelihood's default"
    default = next((o.default for o in declared if o.name == "resampling"), None)
    return default if default is not None else "the likelihood's default"


def _used_options(value, idata):
    if not value:
        return "none"
    return ", ".join(f"{k}={v}" for k, v in value.items())


_USED = {
    "sampler": lambda v, idata: idata.posterior.attrs.get("sampler", v),
    "likelihood": _used_likelihood,
    "samples": _used_samples,
    "warmup": lambda v, idata: v if v is not None else idata.posterior.attrs.get("warmup"),
    "chains": _used_chains,
    "particles": lambda v, idata: v if v is not None else _final_particles(idata.posterior.attrs),
    "workers": _used_workers,
    "seed": lambda v, idata: v if v is not None else idata.posterior.attrs.get("seed"),
    "resampling": _used_resampling,
    "options": _used_options,
}


RESOURCE_LABELS = {
    "wall_seconds": "wall time (s)", "cpu_seconds_main_process": "CPU time of the main process (s)",
    "peak_memory_mib": "peak memory of the main process (MiB)", "cpu_count": "CPUs on the host",
}


def _resources(idata, results_path) -> dict:
    attrs = idata.posterior.attrs
    out = {"sampling time (s)": f"{float(attrs.get('sampling_time', 0)):.2f}",
           "iterations (with warm-up)": attrs.get("iterations_done", ""), "warm-up": attrs.get("warmup", "")}
    for key, value in json.loads(attrs.get("resources", "{}")).items():
        if key == "wall_seconds":
            continue  # the same as the sampling time
        if isinstance(value, float):
            value = f"{value:.2f}" if key != "peak_memory_mib" else f"{value:.0f}"
        if key == "workers" and value is None:
            value = _used_workers(value, idata)
        out[RESOURCE_LABELS.get(key, key)] = "not known" if value is None else value
    if results_path is not None:
        out["results file"] = str(results_path)
    return out


def _dict_table(values: dict) -> str:
    return _table(["", ""], [[str(k), "" if v is None else str(v)] for k, v in values.items()], show_header=False)


def _table(columns: list[str], rows: list[list[str]], show_header: bool = True) -> str:
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in columns) + "</tr>" if show_header else ""
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
