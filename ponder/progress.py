"""Progress of sampling runs: iteration, phase, acceptance, log-likelihood, particles, it/s, ETA.

On a terminal it is a one-row rich progress bar. Written to a file or a pipe
(a cluster job's log, ``ponder run ... 2> run.log``), a bar would be cut to
the console's width and redrawn as noise, so it is plain lines instead, one
every :data:`LOG_INTERVAL` seconds and one at the end::

    sampling 1200/2000  sampling  acc 0.31  loglik -200.41  N 256  41.7 it/s
"""

from __future__ import annotations

import math
import time

import numpy as np

#: seconds between two lines when the progress goes to a log rather than a terminal
LOG_INTERVAL = 5.0


class RunProgress:
    """Progress fed by the run loop (``start``/``update``/``note``/``stop``): a bar, or log lines off a terminal."""

    def __init__(self, console=None, label: str = "sampling", warmup: int = 0, interval: float = LOG_INTERVAL):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.warmup = warmup
        self.label = label
        self.interval = interval
        #: plain lines instead of a bar: the console does not write to a terminal
        self.lines = not self.console.is_terminal
        self.progress = None
        if not self.lines:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"), TimeRemainingColumn(),
                console=self.console, transient=False, refresh_per_second=4,
            )
        self.task = None
        self.total = 0
        self._last = 0.0
        self._accept = []
        self._line = None  # the last log line's (iteration, stats): the same line is not printed twice

    def start(self, total: int, done: int, warmup: int | None = None) -> None:
        if warmup is not None:
            self.warmup = warmup
        self.total = total
        self._t0, self._done0 = time.perf_counter(), done
        self._last = self._t0 if self.lines else 0.0  # a log's first line comes after one interval
        if self.lines:
            self.task = "lines"
            return
        self.progress.start()
        self.task = self.progress.add_task(self.label, total=total, completed=done, stats="")

    def retarget(self, total: int, warmup: int) -> None:
        """The run planned more (or fewer) iterations: an adaptive warm-up went on, or sampling goes on until
        converged."""
        self.total, self.warmup = total, warmup
        if not self.lines and self.task is not None:
            self.progress.update(self.task, total=total)

    def update(self, iteration: int, state: dict, target) -> None:
        self._accept.append(float(np.mean(state["accept"])))
        now = time.perf_counter()
        period = self.interval if self.lines else 0.25
        if now - self._last < period and iteration < self.total:
            if not self.lines:
                self.progress.update(self.task, completed=iteration)
            return
        self._last = now
        stats = self._stats(iteration, state, target, now)
        if self.lines:
            self._print_line(iteration, stats)
        else:
            self.progress.update(self.task, completed=iteration, stats=stats)

    def _stats(self, iteration: int, state: dict, target, now: float) -> str:
        loglik = np.asarray(state["loglik"], dtype=float)
        loglik = loglik[np.isfinite(loglik)]
        rate = (iteration - self._done0) / max(now - self._t0, 1e-9)
        recent = self._accept[-50:]
        phase = "warm-up" if iteration <= self.warmup else "sampling"
        particles = [p for p in target.particles() if p is not None]
        return (
            f"{phase}  acc {np.mean(recent):.2f}  loglik {np.median(loglik) if loglik.size else -math.inf:.2f}"
            + (f"  N {sum(particles)}" if particles else "")
            + f"  {rate:.1f} it/s"
        )

    def _print_line(self, iteration: int, stats: str) -> None:
        if self._line == (iteration, stats):
            return
        self._line = (iteration, stats)
        # soft_wrap: a line is never cut or folded at the console's width (80 in a log unless COLUMNS says)
        self.console.print(f"{self.label} {iteration}/{self.total}  {stats}", markup=False, highlight=False,
                           soft_wrap=True)

    def note(self, line: str) -> None:
        """A line printed above the bar, or between the log lines (a sampler's notes, e.g. parallel tempering's rounds)."""
        self.console.print(line, highlight=False, soft_wrap=self.lines)

    def stop(self) -> None:
        if self.task is None:
            return
        if not self.lines:
            self.progress.stop()
