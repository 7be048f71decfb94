"""An interactive modelling session: the REPL's state and commands, usable from Python.

>>> s = ponder.Session("examples/randomwalk/randomwalk.model")   # doctest: +SKIP
>>> s.add("param drift ~ Uniform(-0.5, 0.5)")                    # doctest: +SKIP
>>> s.simulate(origin=100, drift=0.2, sigma=10, seed=1)          # doctest: +SKIP
>>> idata = s.sample(samples=200)                                # doctest: +SKIP
>>> s.plot("trace")                                              # doctest: +SKIP

A session holds the model text as declarations (:mod:`ponder.lang.edit`):
typed declarations replace the one with the same name or are inserted by
kind, and every change is compiled before it is kept, so a mistake leaves
the model as it was. It also holds the last simulation and the last
sampling results, which ``summary`` and ``plot`` use.
:meth:`Session.command` runs one REPL command line (``:simulate a=1``).
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from ponder.lang import edit, messages
from ponder.lang.errors import ModelError

COMMANDS = {
    "load": ("FILE", "load a .model file (replaces the current model)"),
    "show": ("", "print the current model text"),
    "check": ("", "check and compile the model; list its parameters, states, observations and data"),
    "simulate": ("NAME=VALUE ... [seed=S] [times=A:B:STEP] [plot]", "simulate the model; print the first rows"),
    "loglik": ("NAME=VALUE ... [particles=N] [repeat=R] [seed=S]", "likelihood estimates at the given parameters"),
    "sample": ("[samples=N] [warmup=N] [chains=C] [sampler=NAME] [particles=N|A:B] [seed=S] [OPTION=VALUE]",
               "sample the posterior (Ctrl-C stops the sampling, keeping the draws so far)"),
    "summary": ("", "posterior summary of the last sample"),
    "plot": ("KIND [NAME=VALUE ...]", "draw a figure of the last sample (values are the truth, for `pair`); "
             "KIND: simulation, trace, pair, predictive, latent, pf, sampler, qq"),
    "save": ("FILE", "write the model text to FILE"),
    "data": ("FILE", "use FILE (a CSV with a time column) as the model's only dataset"),
    "drop": ("NAME", "remove the declaration of a parameter, constant, state or observed column"),
    "help": ("[COMMAND]", "list the commands, or explain one"),
    "quit": ("", "leave the REPL (Ctrl-D too)"),
}


class Session:
    """The model being written, the last simulation and the last results."""

    def __init__(self, path: str | Path | None = None, console=None, plot_dir: str | Path = "ponder-plots"):
        from ponder.console import console as make_console

        self.console = console or make_console(soft_wrap=False)
        self.pieces: list[edit.Piece] = []
        self.trailer = ""
        self.base_dir = Path.cwd()
        self.path: Path | None = None
        self.edited = False
        self.model = None
        self.simulation = None
        self.results = None
        #: the model text the last results were sampled from (the model may have changed since)
        self.results_text: str | None = None
        self.plot_dir = Path(plot_dir)
        self._workdir = None
        if path is not None:
            self.load(path)

    # ------------------------------------------------------------ the model text
    @property
    def text(self) -> str:
        """The current model text."""
        return edit.join(self.pieces, self.trailer)

    @property
    def names(self) -> list[str]:
        """Parameters, constants, states and observed columns of the current model."""
        if self.model is None:
            return []
        m = self.model.ir
        return list(dict.fromkeys([p.name for p in m.params] + [c.name for c in m.consts]
                                  + [s.name for s in m.states] + self.model.observed_names))

    def load(self, path: str | Path):
        """Replace the session's model by the file at ``path``."""
        from ponder.model import load

        model = load(path)
        self.pieces, self.trailer = edit.split(model.source, str(path))
        self.path, self.base_dir, self.model, self.edited = Path(path), Path(path).resolve().parent, model, False
        self.results = self.simulation = None
        self._say(f"[green]loaded[/] {path}: {_describe(model)}")
        self._warn(model)
        return model

    def add(self, text: str):
        """Add or replace declarations (model language text); the model is unchanged if they do not compile."""
        try:
            new, _ = edit.split(text if text.endswith("\n") else text + "\n", "<input>")
        except ModelError as err:
            raise messages.session_syntax_error(err) from None
        if not new:
            return self.model
        pieces = edit.merge(self.pieces, new)
        self.model = self._compile(pieces)
        replaced = {p.key for p in self.pieces}
        self.pieces, self.edited = pieces, True
        for piece in new:
            verb = "replaced" if piece.key in replaced else "added"
            self._say(f"[green]{verb}[/] {_label(piece)}")
        return self.model

    def drop(self, name: str):
        """Remove the declaration of ``name``."""
        kept, removed = edit.remove(self.pieces, name)
        if not removed:
            raise messages.name_not_declared(name, self.names)
        self.model = self._compile(kept)
        self.pieces, self.edited = kept, True
        self._say(f"[green]removed[/] {', '.join(_label(p) for p in removed)}")
        return self.model

    def data(self, path: str | Path):
        """Make the CSV at ``path`` the model's only dataset (replacing `data` and `replicate` lines)."""
        target = Path(path).resolve()
        if not target.is_file():
            raise messages.data_file_not_found(path)
        rel = Path(os.path.relpath(target, self.base_dir)).as_posix()
        if '"' in rel or "\n" in rel:
            raise messages.unquotable_data_path(path)
        kept = [p for p in self.pieces if p.kind != "data"]
        pieces = edit.merge(kept, edit.split(f'data "{rel}"\n')[0])
        self.model = self._compile(pieces)
        self.pieces, self.edited = pieces, True
        ds = self.model.datasets[0]
        self._say(f"[green]data[/] {rel}: {ds.n_times} times, columns {', '.join(ds.columns)}")
        return self.model

    def show(self) -> str:
        """Print and return the model text."""
        from rich.syntax import Syntax

        text = self.text
        self.console.print(Syntax(text, "python", theme="ansi_dark", background_color="default")
                           if text else "[dim](the model is empty: type declarations, or :load FILE)[/]")
        return text

    def save(self, path: str | Path) -> Path:
        """Write the model text to ``path`` (data paths are rewritten relative to its folder)."""
        path = Path(path)
        text = self.text
        if path.resolve().parent != self.base_dir:
            text = self._rebase_data(path.resolve().parent)
        path.write_text(text, encoding="utf-8")
        self._say(f"[green]saved[/] {path}")
        return path

    def check(self):
        """Compile the model and print its summary."""
        from ponder.summary import model_summary

        model = self._require_model()
        self.console.print(model_summary(model))
        self._warn(model)
        return model

    # ------------------------------------------------------------ running it
    def simulate(self, seed: int | None = None, times=None, plot: bool = False, **params):
        """Simulate at ``params``; prints the first rows and returns an ``xarray.Dataset``.

        Without a ``seed`` one is chosen, as ``ponder run`` does, and printed, so the simulation can be repeated.
        """
        model = self._require_model()
        if isinstance(times, str):
            from ponder.arguments import parse_times

            times = parse_times(times)
        if times is None and not model.datasets:
            times = range(0, 101)
        if seed is None:
            seed = fresh_seed()
        self.simulation = model.simulate(params, times=times, seed=seed)
        self.console.print(f"simulated {model.name} (seed {seed}), {self.simulation.sizes['time']} times:")
        self.console.print(_head_table(self.simulation))
        if plot:
            self.plot("simulation")
        return self.simulation

    def loglik(self, particles=None, repeat: int = 1, seed: int | None = None, likelihood: str = "auto",
               **params) -> dict:
        """Likelihood estimates at ``params`` (mean, sd, log-mean-exp, ms per estimate)."""
        from ponder.runtime.repeat import repeated_loglik
        from ponder.summary import loglik_table

        model = self._require_model(data=True)
        result = repeated_loglik(model, params, likelihood, particles, None, int(repeat), seed)
        self.console.print(loglik_table(result, model.name))
        return result

    def sample(self, progress: bool = True, **settings):
        """Sample the posterior (settings as for ``ponder run``; others go to the sampler).

        Ctrl-C stops the sampling after the current iteration; the draws so
        far become the session's results.
        """
        from ponder.progress import RunProgress
        from ponder.runtime.executors import WorkerLost
        from ponder.runtime.run import RunInterrupted, sample
        from ponder.summary import posterior_table, run_report

        model = self._require_model(data=True)
        self._warn(model)
        from ponder.runtime.settings import SETTING_NAMES

        given = {k: settings.pop(k) for k in SETTING_NAMES if k in settings}
        out = self._scratch() / "results.nc"
        bar = RunProgress(console=self.console) if progress else None
        text = self.text
        try:
            self.results = sample(model, out=out, progress=bar, sampler_options=settings, **given)
            self.results_text = text
        except RunInterrupted as stop:
            stop.checkpoint.unlink(missing_ok=True)
            if stop.results is None:
                kept = "; the previous results are kept" if self.results is not None else ""
                self._say(f"[yellow]stopped[/] at iteration {stop.iteration}, still in warm-up: no new draws{kept}")
                return None
            from ponder.runtime.results import read_results

            self.results = read_results(stop.results).load()
            self.results_text = text
            self._say(f"[yellow]stopped[/] at iteration {stop.iteration}; the draws so far are kept")
        except WorkerLost as lost:
            from ponder.runtime.checkpoint import path_for

            path_for(out).unlink(missing_ok=True)  # the session cannot resume: the previous results stay
            again = " ".join([":sample"] + [f"{k}={v}" for k, v in {**given, **settings}.items()])
            raise messages.worker_lost(lost.executor, lost.how, None, again, resumable=False) from None
        self.console.print(run_report(self.results))
        self.console.print(posterior_table(self.results))
        self._run_warnings(self.results)
        return self.results

    def summary(self):
        """The posterior summary table of the last sample."""
        from ponder.summary import posterior_table, run_report, tempering_table

        idata = self._require_results()
        if self.model_changed:
            self._say("[yellow]the model has changed since this sample[/]: it is a sample of the previous model "
                      "(:sample again to sample the current one)")
        self.console.print(run_report(idata))
        pt = tempering_table(idata)
        if pt is not None:
            self.console.print(pt)
        table = posterior_table(idata)
        self.console.print(table)
        self._run_warnings(idata)
        return table

    def plot(self, kind: str, truth: dict | None = None, out: str | Path | None = None):
        """Draw figure ``kind`` (see ``:help plot``), save it as PNG and return the matplotlib Figure."""
        from ponder import plots

        if kind == "simulation":
            if self.simulation is None:
                raise messages.nothing_simulated()
            fig = plots.simulation_figure(self.simulation)
        else:
            if kind not in plots.figure_kinds():
                raise messages.unknown_figure(kind, ("simulation",) + plots.figure_kinds())
            # the results' own model (rebuilt from them) when the session's has changed since the sample
            model = None if self.model_changed else self.model
            fig = plots.figure(self._require_results(), kind, truth=truth, model=model)
            if fig is None:
                raise messages.nothing_to_show(kind)
        path = Path(out) if out is not None else self.plot_dir / f"{kind}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        self._say(f"[green]figure[/] {path}")
        return fig

    @property
    def model_changed(self) -> bool:
        """Whether the model text differs from the one the last results were sampled from."""
        return self.results is not None and self.results_text is not None and self.results_text != self.text

    # ------------------------------------------------------------ REPL commands
    def command(self, line: str):
        """Run one REPL command line such as ``:simulate origin=100 drift=0.2 sigma=10``."""
        words = shlex.split(line.strip().lstrip(":"))
        if not words:
            raise messages.no_command()
        name, args = words[0], words[1:]
        if name not in COMMANDS:
            raise messages.unknown_command(name, COMMANDS)
        usage = f":{name} {COMMANDS[name][0]}".rstrip()
        if name in ("load", "save", "data", "drop"):
            if len(args) != 1:
                raise messages.command_takes_one_argument(name, usage)
            return getattr(self, name)(args[0])
        if name in ("show", "check", "summary", "quit"):
            if args:
                raise messages.command_takes_no_arguments(name, usage)
            if name == "quit":
                raise SystemExit(0)
            return getattr(self, name)()
        if name == "help":
            return self.help(*args[:1])
        if name == "plot":
            if not args:
                raise messages.plot_needs_kind(usage)
            truth = _key_values(args[1:], usage, numeric=True)
            return self.plot(args[0], truth=truth or None)
        if name == "simulate":
            times = [a.partition("=")[2] for a in args if a.startswith("times=")]
            values = _key_values([a for a in args if a != "plot" and not a.startswith("times=")], usage, True)
            return self.simulate(plot="plot" in args, times=times[-1] if times else None, **values)
        values = _key_values(args, usage, numeric=name != "sample")
        if name == "loglik":
            return self.loglik(**values)
        return self.sample(**values)

    def help(self, command: str | None = None) -> None:
        """Print the commands (or one command's usage)."""
        from rich.table import Table
        from rich.text import Text

        # Text, not str: neither markup ("[seed=S]") nor emoji codes (":B:" of "times=A:B:STEP") apply
        if command is not None:
            command = command.lstrip(":")
            if command not in COMMANDS:
                raise messages.unknown_command(command, COMMANDS, in_help=True)
            args, what = COMMANDS[command]
            self.console.print(Text(f":{command} {args}\n  {what}"))
            return
        table = Table(show_edge=False, show_header=False)
        table.add_column(style="bold")
        table.add_column()
        for name, (args, what) in COMMANDS.items():
            table.add_row(Text(f":{name} {args}".rstrip()), Text(what))
        self.console.print("Type model declarations (param, const, state, step { ... }, observe, data) to add or "
                           "replace them, or a command:")
        self.console.print(table)

    # ------------------------------------------------------------ helpers
    def _compile(self, pieces):
        from ponder.model import loads

        name = str(self.path) + " (edited)" if self.path is not None else "<session>"
        stem = self.path.stem if self.path is not None else "session"
        return loads(edit.join(pieces, self.trailer), base_dir=self.base_dir, name=name, default_name=stem)

    def _require_model(self, data: bool = False):
        if self.model is None:
            raise messages.no_model_yet()
        if data and not self.model.datasets:
            raise messages.session_model_without_data()
        return self.model

    def _require_results(self):
        if self.results is None:
            raise messages.nothing_sampled()
        return self.results

    def _scratch(self) -> Path:
        if self._workdir is None:
            self._workdir = tempfile.TemporaryDirectory(prefix="ponder-session-")
        return Path(self._workdir.name)

    def _rebase_data(self, folder: Path) -> str:
        pieces = []
        for p in self.pieces:
            if p.key[0] == "data" and not Path(p.key[1]).is_absolute():
                old = p.key[1]
                new = Path(os.path.relpath(self.base_dir / old, folder)).as_posix()
                p = edit.Piece(("data", new), p.kind, p.preamble, p.body.replace(f'"{old}"', f'"{new}"', 1))
            pieces.append(p)
        return edit.join(pieces, self.trailer)

    def _say(self, markup: str) -> None:
        self.console.print(markup)

    def _run_warnings(self, idata) -> None:
        """The results' warnings (not converged, a noisy particle filter, failed estimates), each a yellow line."""
        from ponder.console import print_run_warnings
        from ponder.runtime.convergence import run_warnings

        print_run_warnings(run_warnings(idata), self.console)

    def _warn(self, model) -> None:
        """Print the model's warnings (unused names, states never updated) as the compiler renders them."""
        from rich.markup import escape

        for warning in model.ir.warnings:
            self.console.print(escape(warning.render()), style="yellow", highlight=False)


def fresh_seed() -> int:
    """A new seed in [0, 2**63), from the operating system's entropy (as a run without ``--seed`` gets one)."""
    import numpy as np

    return int(np.random.SeedSequence().entropy % (2**63))


def _describe(model) -> str:
    kind = "deterministic" if model.is_deterministic else "stochastic"
    return (f"{kind}; parameters {', '.join(model.param_names) or '-'}; "
            f"observed {', '.join(model.observed_names) or '-'}; {len(model.datasets)} dataset(s)")


def _label(piece: edit.Piece) -> str:
    if piece.key[0] == "name":
        return f"{piece.kind} {piece.key[1]}"
    if piece.key[0] == "observe":
        return f"observe {piece.key[1]}"
    if piece.key[0] == "data":
        return f"data {piece.key[1]}"
    return piece.kind if piece.kind != "dynamics" else piece.body.split(None, 1)[0].split("(")[0] + " block"


def _key_values(words: list[str], usage: str, numeric: bool) -> dict:
    """``["a=1", "v=1,2"]`` -> ``{"a": 1.0, "v": [1.0, 2.0]}`` (or ints/strings when not ``numeric``)."""
    from ponder.arguments import parse_params, parse_sampler_options

    bad = [w for w in words if "=" not in w]
    if bad:
        raise messages.not_name_value(bad[0], usage)
    if not numeric:
        return parse_sampler_options(words)
    values = parse_params(words)
    for key in ("seed", "repeat", "particles"):
        if isinstance(values.get(key), float) and values[key].is_integer():
            values[key] = int(values[key])
    return values


def _head_table(dataset, rows: int = 10):
    """The first ``rows`` times of a simulated ``xarray.Dataset`` as a rich table."""
    from rich.table import Table

    table = Table(show_edge=False)
    table.add_column("time", justify="right")
    names = [v for v in dataset.data_vars if dataset[v].ndim == 1]
    for name in names:
        table.add_column(name, justify="right")
    times = dataset["time"].values
    for i in range(min(rows, len(times))):
        table.add_row(f"{times[i]:g}", *(f"{dataset[n].values[i]:.4g}" for n in names))
    if len(times) > rows:
        table.add_row("...", *("" for _ in names))
    return table
