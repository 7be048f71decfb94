"""The ``ponder`` command.

Exit codes: 0 success, 1 failed run, 2 user error (bad model, data or flag).
User errors are printed like compiler errors, never as tracebacks.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shlex
import sys
from pathlib import Path

from ponder.arguments import checkpoint_seconds, format_number, parse_params, parse_sampler_options, parse_times
from ponder.console import console as _console
from ponder.console import print_error
from ponder.lang import messages
from ponder.lang.errors import ModelError
from ponder.runtime.settings import SETTING_NAMES, SETTINGS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: a bug in ponder itself (sysexits' EX_SOFTWARE)
EXIT_INTERNAL = 70


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad flags the same way as model errors (exit 2)."""

    def error(self, message: str):  # pragma: no cover - exercised through main()
        raise messages.bad_command_line(message, self.prog)


# ------------------------------------------------------------ commands
def cmd_check(args) -> int:
    if args.show in ("tree", "ir", "code"):
        from ponder.lang.limits import recursion_room

        with recursion_room():  # each stage prints itself recursively
            return _show_stage(args)
    model = _load(args)
    from ponder.summary import model_summary

    _console().print(model_summary(model))
    return EXIT_OK


def _show_stage(args) -> int:
    """``ponder check --show tree|ir|code``: print what that stage of the compiler made of the model."""
    from ponder.lang import codegen
    from ponder.lang.check import check
    from ponder.lang.parser import parse
    from ponder.plugins.manager import plugins
    from ponder.runtime.tables import read_text

    path = Path(args.model)
    if not path.is_file():
        raise messages.model_file_not_found(path)
    program = parse(read_text(path), str(path))
    if args.show == "tree":
        for decl in program.declarations:
            print(decl)
        return EXIT_OK
    library = plugins().library
    model_ir = check(program, library, path.stem)
    if args.show == "ir":
        print(model_ir)
        return EXIT_OK
    from ponder.version import __version__

    print(codegen.generate(model_ir, __version__, library))
    return EXIT_OK


def cmd_simulate(args) -> int:
    from ponder.runtime import outputs

    if args.out:
        outputs.check_file(args.out, "output CSV")
    params = parse_params(args.param)
    consts = _parse_consts(args.const)
    if args.times and args.times_from:
        raise messages.times_and_times_from()
    times = None
    if args.times:
        times = parse_times(args.times)
    elif args.times_from:
        from ponder.runtime.data import read_table

        table = read_table(Path(args.times_from))
        if "time" not in table.columns:
            raise messages.times_file_without_time_column(args.times_from, table.source)
        times = table.columns["time"]
    # with times given the data are not needed: a data file not written yet is no error
    model = _load(args, missing_data_ok=times is not None)
    if times is None or len(model.datasets) == 1:
        result = model.simulate(params, times=times, seed=args.seed)  # the dataset's constants (and --const)
    else:
        declared = model.ir.datasets if args.data is None else ()
        if not model.datasets and len(declared) == 1 and not declared[0].is_glob:
            consts = {**dict(declared[0].overrides), **consts}  # the one replicate, its file not there yet
        result = model.simulate(params, times=times, seed=args.seed, dataset=None, consts=consts)
    columns = ["time"] + model.observed_names
    inputs = [v for v in result.data_vars if result[v].attrs.get("role") == "input"]
    if args.states:
        columns += [v for v in result.data_vars if v not in model.observed_names and v not in inputs]
    if args.inputs:
        columns += inputs
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header, series = [], []
    for name in columns:
        values = result[name].values if name != "time" else result["time"].values
        if values.ndim == 1:
            header.append(name)
            series.append(values)
        else:
            for k in range(values.shape[1]):
                header.append(f"{name}_{k}")
                series.append(values[:, k])
    writer.writerow(header)
    for row in zip(*series):
        writer.writerow([format_number(v) for v in row])
    if args.out:
        out = Path(args.out)
        tmp = outputs.scratch(out)
        tmp.write_text(buffer.getvalue())
        os.replace(tmp, out)  # atomic: a CSV is either the old one or the whole new one
        _console(stderr=True).print(
            f"wrote {len(result['time'])} rows to [bold]{args.out}[/] (seed {args.seed})", highlight=False
        )
    else:
        sys.stdout.write(buffer.getvalue())
    return EXIT_OK


def cmd_loglik(args) -> int:
    import json

    from ponder.runtime.repeat import repeated_loglik
    from ponder.summary import loglik_table

    if args.repeat < 1:
        raise messages.repeat_too_small(args.repeat)
    if args.particles is not None:
        from ponder.arguments import check_particles

        check_particles(args.particles)
    model = _load(args)
    progress = _progress(args.repeat, "estimating", quiet=args.json or args.repeat < 5)
    with progress:
        task = progress.add_task("estimating", total=args.repeat)
        result = repeated_loglik(model, parse_params(args.param), args.likelihood, args.particles, args.resampling,
                                 args.repeat, args.seed, on_estimate=lambda: progress.update(task, advance=1))
    if args.json:
        result.pop("particles_mean")
        # strict JSON: undefined values (one repeat has no spread) are null
        print(json.dumps({k: (None if isinstance(v, float) and v != v else v) for k, v in result.items()}))
        return EXIT_OK
    _console().print(loglik_table(result, model.name))
    return EXIT_OK


def cmd_run(args) -> int:
    from ponder.progress import RunProgress
    from ponder.runtime.executors import WorkerLost
    from ponder.runtime.run import RunInterrupted
    from ponder.summary import posterior_table, run_report, tempering_table

    model = _load(args)
    if args.method:
        return _run_method(model, args)
    given = {name: getattr(args, name) for name in SETTING_NAMES}
    from ponder.runtime.run import sample

    progress = None if args.quiet else RunProgress(console=_console(stderr=True))
    try:
        idata = sample(
            model, out=args.out, resume=args.resume, checkpoint_every=args.checkpoint_every, progress=progress,
            sampler_options=parse_sampler_options(args.option), **given,
        )
    except RunInterrupted as stop:
        console = _console(stderr=True)
        console.print(f"[yellow]interrupted[/] at iteration {stop.iteration}; checkpoint: {stop.checkpoint}")
        if stop.results:
            console.print(f"draws so far written to {stop.results}")
        console.print("continue with: " + _run_again(args) + " --resume")
        return 130
    except WorkerLost as lost:
        from ponder.runtime.checkpoint import path_for

        return _worker_lost(lost, path_for(Path(args.out)), args)
    from ponder.runtime.convergence import run_warnings

    warnings = run_warnings(idata)
    if not args.quiet:
        console = _console()
        console.print(run_report(idata))
        pt_table = tempering_table(idata)
        if pt_table is not None:
            console.print(pt_table)
        console.print(posterior_table(idata))
        console.print(f"results: [bold]{args.out}[/]  (ponder summary {args.out})")
    _print_run_warnings(warnings)
    if warnings and (args.strict or os.environ.get("PONDER_STRICT", "") not in ("", "0")):
        _console(stderr=True).print("[red]--strict: the run did not converge[/] (exit 1)", highlight=False)
        return EXIT_FAILED
    return EXIT_OK


def _print_run_warnings(warnings: list[str]) -> None:
    from ponder.console import print_run_warnings

    print_run_warnings(warnings)


def _run_method(model, args) -> int:
    """``ponder run MODEL --method NAME``: a whole-run inference method instead of a sampler."""
    from ponder.runtime.executors import WorkerLost
    from ponder.runtime.methods import rounds_path, run_method
    from ponder.summary import posterior_table, run_report

    progress = _progress(1, args.method, quiet=args.quiet)
    with progress:
        task = progress.add_task(args.method, total=None)

        def report(done, total, text):
            progress.update(task, completed=done, total=total, description=f"{args.method}: {text}")

        try:
            idata = run_method(model, args.method, out=args.out, resume=args.resume, executor=args.executor or "auto",
                               workers=args.workers, seed=args.seed, progress=report,
                               options=parse_sampler_options(args.option))
        except KeyboardInterrupt:
            progress.stop()
            console = _console(stderr=True)
            console.print("[yellow]interrupted[/]; the rounds done so far are kept next to the results file")
            again = [a for a in (argv_of_run() or ["run", args.model, "--method", args.method]) if a != "--resume"]
            console.print("continue with: ponder " + " ".join(shlex.quote(a) for a in again) + " --resume")
            return 130
        except WorkerLost as lost:
            progress.stop()
            return _worker_lost(lost, rounds_path(Path(args.out)), args)
    if not args.quiet:
        console = _console()
        console.print(run_report(idata))
        console.print(posterior_table(idata))
        console.print(f"results: [bold]{args.out}[/]  (ponder summary {args.out})")
    return EXIT_OK


def argv_of_run() -> list[str] | None:
    """The command line of this `ponder run`, to repeat it with --resume."""
    args = sys.argv[1:]
    return args if "run" in args else None


def _worker_lost(lost, checkpoint: Path, args) -> int:
    """A run stopped by a dead worker: say how, and how to go on from ``checkpoint`` (exit 1)."""
    print_error(messages.worker_lost(lost.executor, lost.how, str(checkpoint) if checkpoint.exists() else None,
                                     _run_again(args)))
    return EXIT_FAILED


def _run_again(args) -> str:
    """This `ponder run` command without `--resume`, to print with it (or to start again)."""
    again = [a for a in (argv_of_run() or ["run", args.model]) if a != "--resume"]
    return "ponder " + " ".join(shlex.quote(str(a)) for a in again)


def cmd_summary(args) -> int:
    from ponder.runtime.results import read_results
    from ponder.summary import posterior_table, run_report, tempering_table

    idata = read_results(args.results)
    console = _console()
    console.print(run_report(idata))
    pt_table = tempering_table(idata)
    if pt_table is not None:
        console.print(pt_table)
    console.print(posterior_table(idata, var_names=args.var or None))
    from ponder.runtime.convergence import run_warnings

    _print_run_warnings(run_warnings(idata))
    return EXIT_OK


def cmd_plot(args) -> int:
    from ponder import plots
    from ponder.runtime import outputs
    from ponder.runtime.results import read_results

    outputs.check_folder(args.out, "figure folder")
    calibration = _sbc_result(args.results)
    if calibration is not None:  # `ponder sbc --out DIR`'s result: its rank and ECDF figures
        from ponder.sbc import write_figures

        for path in write_figures(calibration, args.out, formats=tuple(args.format or ["png"])):
            _console().print(f"wrote {path}")
        return EXIT_OK
    truth = parse_params(args.truth, flag="--truth") or None  # before the results are read
    idata = read_results(args.results)
    unknown = [k for k in args.kind or [] if k not in plots.figure_kinds()]
    if unknown:
        raise messages.unknown_figure_kind(unknown[0], plots.figure_kinds())
    with _console(stderr=True).status("drawing figures"):
        paths = plots.write_figures(idata, args.out, kinds=args.kind or None, formats=tuple(args.format or ["png"]),
                                    truth=truth)
    console = _console()
    for path in paths:
        console.print(f"wrote {path}")
    if not paths:
        console.print("[yellow]no figures[/]: the results have nothing for the kinds asked for")
    return EXIT_OK


def cmd_report(args) -> int:
    from ponder.report import write_report
    from ponder.runtime import outputs
    from ponder.runtime.results import read_results

    outputs.check_file(args.out, "report")
    calibration = _sbc_result(args.results)
    if calibration is not None:
        from ponder.report import write_sbc_report

        out = write_sbc_report(calibration, args.out)
        _console().print(f"wrote [bold]{out}[/] ({out.stat().st_size / 1024:.0f} KiB, self-contained HTML)")
        return EXIT_OK
    idata = read_results(args.results)
    with _console(stderr=True).status("writing the report (summary and figures)"):
        out = write_report(idata, args.out, results_path=args.results)
    _console().print(f"wrote [bold]{out}[/] ({out.stat().st_size / 1024:.0f} KiB, self-contained HTML)")
    return EXIT_OK


def _sbc_result(path: str):
    """The calibration result at ``path`` (``ponder sbc --out DIR``: the folder or its ``sbc.json``), else None."""
    folder_or_file = Path(path)
    candidate = folder_or_file / "sbc.json" if folder_or_file.is_dir() else folder_or_file
    if candidate.suffix != ".json" or not candidate.is_file():
        return None
    from ponder.sbc import read_result

    try:
        return read_result(candidate)
    except (ValueError, KeyError, TypeError, OSError) as err:
        raise messages.not_an_sbc_result(candidate, type(err).__name__) from None


def cmd_repl(args) -> int:
    from ponder.repl import run

    return run(args.model)


def cmd_compare(args) -> int:
    import math

    from rich.table import Table

    if len(args.models) < 2:
        raise messages.too_few_models()
    models = [_load(args, path) for path in args.models]
    from ponder.progress import RunProgress
    from ponder.runtime import outputs
    from ponder.runtime.convergence import run_warnings
    from ponder.runtime.run import sample

    outputs.check_folder(args.out, "results folder")
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    names = _distinct_stems(args.models)
    results = []
    for k, (path, model) in enumerate(zip(args.models, models), 1):
        out = folder / f"{names[k - 1]}.nc"
        progress = None if args.quiet else RunProgress(console=_console(stderr=True),
                                                       label=f"{model.name} ({k}/{len(models)})")
        idata = sample(model, out=out, progress=progress, sampler="pt", samples=args.samples, chains=args.chains,
                       seed=args.seed, particles=args.particles, executor=args.executor, workers=args.workers)
        attrs = idata.posterior.attrs
        results.append((path, model.name, float(attrs["log_evidence"]), float(attrs["log_evidence_se"])))
        if not args.quiet:
            _console(stderr=True).print(f"{model.name}: posterior written to {out}", highlight=False)
        _print_run_warnings([f"{model.name}: {w}" for w in run_warnings(idata)])
    results.sort(key=lambda r: -r[2])
    best = results[0]
    table = Table(title="model comparison by parallel tempering (log evidence)", title_justify="left",
                  show_edge=False)
    for col, justify in (("rank", "right"), ("model", "left"), ("file", "left"), ("log Z", "right"),
                         ("se", "right"), ("log BF vs best", "right"), ("se", "right")):
        table.add_column(col, justify=justify)
    for rank, (path, name, log_z, se) in enumerate(results, 1):
        bf = log_z - best[2]
        bf_se = math.hypot(se, best[3]) if rank > 1 else 0.0
        table.add_row(str(rank), name, str(path), f"{log_z:.4f}", f"{se:.4f}", f"{bf:.4f}", f"{bf_se:.4f}")
    _console().print(table)
    return EXIT_OK


def _distinct_stems(paths) -> list[str]:
    """A file name per model for its results: the model file's stem, numbered where two are the same."""
    stems = [Path(p).stem for p in paths]
    return [f"{stem}-{k}" if stems.count(stem) > 1 else stem for k, stem in enumerate(stems, 1)]


def cmd_plugins(args) -> int:
    from rich.markup import escape
    from rich.table import Table

    from ponder.plugins.manager import KINDS, plugins
    from ponder.plugins.options import declared_options, describe_options

    pl = plugins()
    console = _console()
    if args.name:  # one plugin's description and options
        registries = [(kind, getattr(pl, attribute)) for attribute, (kind, _) in KINDS.items()]
        found = [(kind, reg.entries[args.name]) for kind, reg in registries if args.name in reg.entries]
        if not found:
            names = sorted({n for _, reg in registries for n in reg.entries})
            raise messages.nothing_registered(args.name, names)
        for kind, entry in found:
            console.print(f"[bold]{escape(entry.name)}[/] ({kind}, from {escape(entry.plugin)}): "
                          f"{escape(entry.description)}")
            if kind in ("sampler", "likelihood", "method"):
                for line in describe_options(declared_options(entry.value)):
                    console.print(f"  {escape(line)}")
        return EXIT_OK
    table = Table(show_edge=False)
    for col in ("kind", "name", "from", "options", "description"):
        table.add_column(col)
    for attribute, (kind, _) in KINDS.items():
        if kind in ("distribution", "function") and not args.all:  # plugins' only: ponder's are many
            registry = pl.external(attribute)
        else:
            registry = getattr(pl, attribute)
        for entry in registry.entries.values():
            declared = declared_options(entry.value) if kind in ("sampler", "likelihood", "method") else ()
            names = "?" if declared is None else ", ".join(o.name for o in declared)
            table.add_row(kind, entry.name, escape(entry.plugin), escape(names), escape(entry.description))
    console.print(table)
    if not args.all:
        console.print("`ponder plugins --all` adds ponder's own distributions and functions; "
                      "`ponder plugins NAME` shows one, with its options")
    for name, problem in pl.broken_plugins.items():
        console.print(f"[red]broken plugin[/] {escape(name)}: {escape(problem)}")
    return EXIT_OK


def _load(args, path=None, missing_data_ok: bool = False):
    """The model of a command, with its ``--data`` files and ``--const`` overrides; its warnings printed."""
    from ponder.console import print_warnings
    from ponder.model import load

    model = load(args.model if path is None else path, data=args.data, consts=_parse_consts(args.const),
                 missing_data_ok=missing_data_ok)  # PONDER_STRICT=1 makes the loader raise the first warning
    if getattr(args, "strict", False) and model.ir.warnings:
        raise model.ir.warnings[0].as_error()
    print_warnings(model.ir.warnings)
    return model


def _parse_consts(items: list[str] | None) -> dict[str, float]:
    """``["N=500", "k=0.1"]`` (``--const``) -> ``{"N": 500.0, "k": 0.1}``."""
    out = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise messages.const_needs_name_value(item)
        try:
            out[key.strip()] = float(raw)
        except ValueError:
            raise messages.const_not_a_number(raw, item) from None
    return out


def _data_flags(parser, simulate: bool = False) -> None:
    """``--data`` and ``--const``: datasets and constants other than the model file's."""
    parser.add_argument("--data", action="extend", nargs="+", metavar="FILE",
                        help="data files (or glob patterns) instead of the model's `data`/`replicate` lines, one "
                        "replicate each, in the order given; relative to the current folder; repeatable")
    parser.add_argument("--const", "-c", action="extend", nargs="+", metavar="NAME=VALUE",
                        help="override a constant for every dataset (it wins over a replicate's own overrides; "
                        "not a constant that fixes a size or step, or that a prior uses)"
                        + ("; with --times and several replicates the simulation uses the model's constants, "
                           "with these on top" if simulate else ""))
    parser.add_argument("--strict", action="store_true",
                        help="treat the model's warnings (unused names, states never updated) as errors, and "
                        "exit 1 after a run that did not converge (also PONDER_STRICT=1)")


def _progress(total: int, label: str, quiet: bool = False):
    """A rich progress bar on stderr (disabled when quiet)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=_console(stderr=True), disable=quiet, transient=True,
    )


# ------------------------------------------------------------ entry point
def build_parser() -> argparse.ArgumentParser:
    from ponder.version import __version__

    parser = _Parser(prog="ponder", description="Bayesian inference for simulator models.")
    parser.add_argument("--version", action="version", version=f"ponder {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("check", help="parse and check a model, print a summary")
    p.add_argument("model", help="the .model file")
    p.add_argument("--show", choices=["summary", "tree", "ir", "code"], default="summary",
                   help="print a compiler stage instead of the summary")
    _data_flags(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("simulate", help="simulate synthetic data (CSV) from given parameters")
    p.add_argument("model")
    p.add_argument("--param", "-p", action="extend", nargs="+", metavar="NAME=VALUE", help="parameter values")
    p.add_argument("--times", help="START:STOP:STEP or t1,t2,... (default: the data's times)")
    p.add_argument("--times-from", help="a CSV file whose `time` column gives the times")
    p.add_argument("--seed", type=int, default=None, help="random seed (same seed, same data)")
    p.add_argument("--out", "-o", help="output CSV (default: standard output)")
    p.add_argument("--states", action="store_true", help="also write the latent states")
    p.add_argument("--inputs", action="store_true",
                   help="also write the inputs at the simulated times (as the model reads them), so the file can "
                   "be the data of a model that reads `input NAME` from its columns")
    _data_flags(p, simulate=True)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("loglik", help="likelihood estimate, its spread and its cost")
    p.add_argument("model")
    p.add_argument("--param", "-p", action="extend", nargs="+", metavar="NAME=VALUE", help="parameter values")
    p.add_argument("--likelihood", default="auto", help="auto (default), direct, pf or a plugin's name")
    p.add_argument("--particles", help="N, or MIN:MAX for an adaptive particle number (default 1024)")
    p.add_argument("--resampling", help="systematic (default), stratified, multinomial or residual")
    p.add_argument("--repeat", "-r", type=int, default=1, help="number of independent estimates")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _data_flags(p)
    p.set_defaults(func=cmd_loglik)

    p = sub.add_parser("run", help="sample the posterior, print a summary, write results (netCDF)")
    p.add_argument("model")
    _setting_flags(p)
    p.add_argument("--method", help="a whole-run inference method instead of a sampler (`ponder plugins` lists them)")
    p.add_argument("--out", "-o", default="results.nc", help="results file (default results.nc)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint next to --out")
    p.add_argument("--checkpoint-every", type=checkpoint_seconds, default=5.0, metavar="SECONDS",
                   help="seconds between checkpoints, above 0 (default 5)")
    p.add_argument("--option", action="extend", nargs="+", metavar="NAME=VALUE",
                   help="options of the sampler or the likelihood, e.g. reset=20 de=0.1 (ensemble), scale=0.5 (mh), "
                   "target_sd=0.5 (pf); `ponder plugins NAME` lists them")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary")
    _data_flags(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("summary", help="summary table of a results file")
    p.add_argument("results")
    p.add_argument("--var", action="extend", nargs="+", help="variables to show (default: parameters)")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("plot", help="figures of a results file (PNG, SVG or PDF)")
    p.add_argument("results")
    p.add_argument("--out", "-o", default="figures", help="output folder (default figures/)")
    p.add_argument("--kind", action="extend", nargs="+",
                   help="trace, pair, predictive, latent, pf, sampler, qq (default: every kind that applies)")
    p.add_argument("--format", action="extend", nargs="+", choices=["png", "svg", "pdf"],
                   help="file formats (default png)")
    p.add_argument("--truth", action="extend", nargs="+", metavar="NAME=VALUE",
                   help="true parameter values, marked on the pair plot")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("report", help="one self-contained HTML report of a results file")
    p.add_argument("results")
    p.add_argument("--out", "-o", default="report.html", help="the HTML file (default report.html)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("repl", help="interactive session: write, simulate, fit and plot a model")
    p.add_argument("model", nargs="?", help="a .model file to start from")
    p.set_defaults(func=cmd_repl)

    p = sub.add_parser("compare", help="log evidence of each model (parallel tempering), ranked, with log Bayes factors")
    p.add_argument("models", nargs="+", help="two or more .model files, each with its data")
    p.add_argument("--samples", type=int, default=1024, help="scans in the last round (default 1024)")
    p.add_argument("--chains", type=int, help="replicas (default 10)")
    p.add_argument("--particles", help="N or MIN:MAX for particle-filter likelihoods")
    p.add_argument("--executor", help="auto (default: threads when they pay), serial, threads, processes or mpi")
    p.add_argument("--workers", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", "-o", default="ponder-compare",
                   help="folder for each model's results, MODEL.nc (default ponder-compare)")
    p.add_argument("--quiet", "-q", action="store_true")
    _data_flags(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("plugins", help="list what is registered (samplers, likelihoods, ...), and their options")
    p.add_argument("name", nargs="?", help="show one plugin's description and declared options")
    p.add_argument("--all", action="store_true", help="also list the built-in distributions and functions")
    p.set_defaults(func=cmd_plugins)
    from ponder.cli_sbc import add_parser as add_sbc_parser

    add_sbc_parser(sub)  # `ponder sbc`: simulation-based calibration (ponder/cli_sbc.py)
    return parser


def _setting_flags(parser) -> None:
    """One flag per run setting, from the settings table (:data:`ponder.runtime.settings.SETTINGS`)."""
    for option in SETTINGS:
        default = "" if option.default is None else f" (default {option.default})"
        parser.add_argument(f"--{option.name.replace('_', '-')}", dest=option.name,
                            type=int if option.type is int else str, help=f"{option.help}{default}")


def _builtin_commands(parser) -> list[str]:
    return list(_subparsers(parser).choices)


def _subparsers(parser):
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _plugin_commands(parser) -> None:
    """Subcommands that plugins register (``ponder_add_commands``)."""
    from ponder.plugins.manager import plugins

    sub = _subparsers(parser)
    for entry in plugins().commands.entries.values():
        if entry.name in sub.choices:
            continue  # a plugin cannot replace a built-in command
        p = sub.add_parser(entry.name, help=f"{entry.description} (from {entry.plugin})")
        entry.value.configure(p)
        p.set_defaults(func=entry.value.run)


def main(argv: list[str] | None = None) -> int:
    """Run the ``ponder`` command; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    command = next((a for a in argv if not a.startswith("-")), None)
    try:
        if command not in _builtin_commands(parser) and "--version" not in argv:
            _plugin_commands(parser)  # only when the command may be a plugin's (or for the help)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        return args.func(args)
    except ModelError as err:
        print_error(err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        _console(stderr=True).print("[yellow]interrupted[/]")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except RuntimeError as err:  # a lost worker outside `ponder run`, which names its checkpoint itself
        from ponder.runtime.executors import WorkerLost

        if not isinstance(err, WorkerLost):
            raise
        again = "ponder " + " ".join(shlex.quote(a) for a in argv)
        print_error(messages.worker_lost(err.executor, err.how, None, again, resumable=False))
        return EXIT_FAILED
    except Exception:  # not the user's mistake: say so, and keep the traceback for the report
        _report_internal_error(argv)
        return EXIT_INTERNAL


def _report_internal_error(argv: list[str]) -> None:
    """Print the traceback of a bug in ponder, and that it is one and how to report it."""
    import traceback

    from ponder.version import __version__

    traceback.print_exc()
    print(f"internal error: this is a bug in ponder {__version__}, not a mistake in your model or command. "
          f"Please report it to the ponder developers' issue tracker with the command line "
          f"(ponder {' '.join(shlex.quote(a) for a in argv)}), the model and data files, and the traceback above.",
          file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
