"""``ponder sbc MODEL``: simulation-based calibration of a sampler or an inference method on a model.

Exit codes: 0 when the sampler passed (no parameter's uniformity p-value
below alpha / parameters), 1 when it failed -- a finding, not an error -- and
2 for a user error (raised as a ModelError, which ``ponder.cli.main`` prints).
The computation is :func:`ponder.sbc.sbc`; this module parses the flags and
prints a table per parameter, the verdict and where the files went.
"""

from __future__ import annotations

import json

from ponder.arguments import parse_sampler_options
from ponder.console import console as _console

EXIT_PASSED, EXIT_FAILED = 0, 1


def add_parser(subparsers) -> None:
    """Add the ``sbc`` command to ``subparsers`` (``ponder.cli.build_parser``'s), dispatching to :func:`cmd_sbc`."""
    p = subparsers.add_parser(
        "sbc", help="simulation-based calibration: is the sampler calibrated on data simulated from the prior?",
        description="Draw parameters from the prior, simulate a dataset from each (at the model's data times, every "
        "replicate), run the sampler on each, and test that the rank of the truth among the posterior draws is "
        "uniform (Talts et al. 2018). Exit code 0: passed, 1: failed, 2: a user error.")
    p.add_argument("model", help="the .model file (its data give the times, replicates and missing values)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--sampler", help="the sampler to calibrate (ensemble, mh, pt or a plugin's; default: the "
                       "model's infer block, else ensemble)")
    which.add_argument("--method", help="a whole-run inference method to calibrate instead of a sampler")
    p.add_argument("--datasets", "-M", type=int, default=100, help="simulated datasets (default 100)")
    p.add_argument("--draws", "-L", type=int, default=100,
                   help="posterior draws per dataset, thinned evenly from the pooled chains (default 100)")
    p.add_argument("--samples", type=int, help="draws per chain of each run (default: the model's infer block, "
                   "else 1000)")
    p.add_argument("--warmup", type=int, help="warm-up iterations of each run (default: as many as samples)")
    p.add_argument("--chains", type=int, help="chains, walkers or replicas of each run (the sampler's default)")
    p.add_argument("--likelihood", help="auto (default), direct, pf or a plugin's")
    p.add_argument("--particles", help="N or MIN:MAX for particle-filter likelihoods")
    p.add_argument("--seed", type=int, default=0, help="seed of the whole calibration (default 0)")
    p.add_argument("--executor", default="serial",
                   help="where the datasets run: serial (default), threads, processes, mpi or a plugin's")
    p.add_argument("--workers", type=int, help="workers of the executor")
    p.add_argument("--alpha", type=float, default=0.01,
                   help="level of the uniformity test, split over the parameters (Bonferroni; default 0.01)")
    p.add_argument("--out", "-o", help="folder for each dataset's ranks (as they finish), sbc.json and the figures")
    p.add_argument("--resume", action="store_true", help="reuse the datasets already done in --out")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.add_argument("--option", action="extend", nargs="+", metavar="NAME=VALUE",
                   help="options of the sampler, the likelihood or the method (`ponder plugins NAME` lists them)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--data", action="extend", nargs="+", metavar="FILE",
                   help="data files (or glob patterns) whose times, replicates and missing values the simulated "
                   "datasets take, instead of the model's `data`/`replicate` lines")
    p.set_defaults(func=cmd_sbc)


def cmd_sbc(args) -> int:
    """Run ``ponder sbc``; returns 0 (passed) or 1 (failed); user errors raise ModelError."""
    from ponder.console import print_warnings
    from ponder.model import load
    from ponder.sbc import sbc

    model = load(args.model, data=getattr(args, "data", None))
    print_warnings(model.ir.warnings)
    settings = {name: getattr(args, name) for name in ("samples", "warmup", "chains", "likelihood", "particles")}
    settings.update(parse_sampler_options(args.option))
    progress = _progress(quiet=args.quiet)
    with progress:
        task = progress.add_task("datasets", total=args.datasets)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            result = sbc(model, sampler=args.sampler, method=args.method, datasets=args.datasets,
                         draws=args.draws, seed=args.seed, executor=args.executor, workers=args.workers,
                         out=args.out, resume=args.resume, progress=tick, alpha=args.alpha, **settings)
        except KeyboardInterrupt:
            progress.stop()
            console = _console(stderr=True)
            if args.out:
                console.print(f"[yellow]interrupted[/]; the datasets done so far are in {args.out}/datasets: "
                              "continue with the same command and --resume")
            else:
                console.print("[yellow]interrupted[/] (with --out DIR the datasets done are kept for --resume)")
            return 130
    if args.json:
        print(json.dumps(result.to_json(), default=str))
        return EXIT_PASSED if result.passed else EXIT_FAILED
    console = _console()
    console.print(result_table(result))
    from ponder.sbc import verdict_line

    line = verdict_line(result)
    console.print(f"[bold green]{line}[/]" if result.passed else f"[bold red]{line}[/]")
    if args.out:
        console.print(f"results: [bold]{args.out}/sbc.json[/]; figures: {args.out}/ranks.png, {args.out}/ecdf.png")
    return EXIT_PASSED if result.passed else EXIT_FAILED


def result_table(result):
    """A rich table: per parameter the p-value, the 50/80/95% coverage with its standard error, and the verdict."""
    from rich.markup import escape
    from rich.table import Table

    what = result.settings.get("method") or result.settings.get("sampler") or ""
    table = Table(title=f"simulation-based calibration of `{escape(str(what))}` on {escape(result.model)}",
                  title_justify="left", show_edge=False)
    for col, justify in (("parameter", "left"), ("p-value", "right"), ("50%", "right"), ("80%", "right"),
                         ("95%", "right"), ("verdict", "left")):
        table.add_column(col, justify=justify)
    se = result.coverage_se()
    for name in result.names:
        cov = result.coverage(name)
        ok = name not in result.failed
        table.add_row(escape(name), f"{result.p_values[name]:.3g}",
                      *(f"{cov[level]:.2f} ± {se[level]:.2f}" for level in ("50", "80", "95")),
                      "ok" if ok else "[red]FAIL[/]")
    table.caption = (f"p-value: uniformity of the ranks (simultaneous ECDF test); columns 50/80/95%: how often the "
                     f"truth fell in that central posterior interval; {result.datasets} datasets x "
                     f"{result.draws} draws, seed {result.seed}")
    table.caption_justify = "left"
    return table


def _progress(quiet: bool = False):
    """A rich progress bar on stderr, one step per finished dataset (disabled when quiet)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("[bold]sbc"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=_console(stderr=True), disable=quiet, transient=True)
