"""Output to a file or a pipe (a cluster job's log): tables at full width, progress as plain lines."""

import io
import os
import re
import subprocess
import sys

import numpy as np
from rich.table import Table

from ponder.console import LOG_WIDTH, console
from ponder.progress import RunProgress
from tests.conftest import EXAMPLES, ROOT

BAR = "━"  # rich's progress bar (and heavy table rules: the checks below look at progress lines only)


def test_a_console_off_a_terminal_is_wide_unless_columns_says(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    buffer = io.StringIO()
    out = console(file=buffer)
    assert not out.is_terminal and out.width == LOG_WIDTH
    table = Table()
    for name in ("parameter", "log Z", "note"):
        table.add_column(name)
    table.add_row("a_parameter_with_a_long_name[12]", "-137.123456789", "x" * 120)
    out.print(table)
    text = buffer.getvalue()
    assert "…" not in text and "-137.123456789" in text and "x" * 120 in text
    monkeypatch.setenv("COLUMNS", "90")
    assert console(file=io.StringIO()).width == 90


class _Target:
    def __init__(self, particles):
        self._particles = particles

    def particles(self):
        return self._particles


def _state(accept, loglik):
    return {"accept": np.full(4, accept), "loglik": np.array([loglik, loglik - 1, -np.inf, loglik + 1])}


def test_progress_off_a_terminal_is_plain_lines():
    buffer = io.StringIO()
    progress = RunProgress(console=console(file=buffer), interval=0.0)
    progress.start(total=4, done=0, warmup=2)
    progress.update(1, _state(0.5, -200.0), _Target([64, None, 32]))
    progress.note("round 0 log Z -137.5")
    progress.update(3, _state(0.25, -190.0), _Target([128]))
    progress.update(4, _state(0.25, -190.0), _Target([None]))
    progress.stop()
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("sampling 1/4  warm-up  acc 0.50  loglik -200.00  N 96  ") and lines[0].endswith(
        " it/s")
    assert lines[1] == "round 0 log Z -137.5"
    assert lines[2].startswith("sampling 3/4  sampling  acc 0.38  loglik -190.00  N 128  ")
    assert lines[3].startswith("sampling 4/4  sampling") and " N " not in lines[3]  # no particle filter
    assert len(lines) == 4 and BAR not in buffer.getvalue() and "\r" not in buffer.getvalue()


def test_progress_lines_are_not_folded_at_the_default_width(monkeypatch):
    from rich.console import Console

    monkeypatch.delenv("COLUMNS", raising=False)
    buffer = io.StringIO()
    progress = RunProgress(console=Console(file=buffer), label="x" * 100, interval=0.0)  # 80 columns
    progress.start(total=1, done=0)
    progress.note("round " + "y" * 100)
    progress.update(1, _state(0.5, -1.0), _Target([None]))
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 2 and lines[0] == "round " + "y" * 100 and lines[1].startswith("x" * 100 + " 1/1  ")


def test_progress_lines_come_every_interval_and_at_the_end():
    buffer = io.StringIO()
    progress = RunProgress(console=console(file=buffer), interval=3600.0)
    progress.start(total=100, done=0)
    for i in range(1, 101):
        progress.update(i, _state(0.3, -10.0), _Target([None]))
    progress.stop()
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sampling 100/100  ")


def test_run_to_a_pipe_has_whole_tables_and_progress_lines(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "ponder", "run", EXAMPLES / "straightwalk" / "straightwalk.model", "--sampler", "pt",
         "--samples", "16", "--chains", "6", "--seed", "1", "--out", tmp_path / "results.nc"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout and "parameter" in done.stdout and "log Z" in done.stdout
    progress = [line for line in done.stderr.splitlines() if line.startswith("sampling ")]
    assert progress and re.fullmatch(r"sampling (\d+)/\1  sampling  acc .* it/s", progress[-1])
    assert BAR not in done.stderr and "\r" not in done.stderr


def test_progress_follows_a_run_that_plans_more():
    """A run sampling until converged extends its plan: the lines show the new total, and still come one per
    interval (past the old total every update used to print a line)."""
    buffer = io.StringIO()
    progress = RunProgress(console=console(file=buffer), interval=3600.0)
    progress.start(total=100, done=0, warmup=50)
    for i in range(1, 101):
        progress.update(i, _state(0.3, -10.0), _Target([None]))
    progress.retarget(300, 50)
    for i in range(101, 301):
        progress.update(i, _state(0.3, -10.0), _Target([None]))
    progress.stop()
    lines = buffer.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["100/100", "300/300"]
