"""Rich progress for sampling runs: iteration, acceptance, log-likelihood, particles, draws/s, ETA."""

from __future__ import annotations

import math
import time

import numpy as np


class RunProgress:
    """A one-row rich progress bar fed by the run loop (``start``/``update``/``stop``)."""

    def __init__(self, console=None, label: str = "sampling", warmup: int = 0):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = console or Console(stderr=True)
        self.warmup = warmup
        self.label = label
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"), TimeRemainingColumn(),
            console=self.console, transient=False, refresh_per_second=4,
        )
        self.task = None
        self._last = 0.0
        self._accept = []

    def start(self, total: int, done: int, warmup: int | None = None) -> None:
        if warmup is not None:
            self.warmup = warmup
        self.progress.start()
        self.task = self.progress.add_task(self.label, total=total, completed=done, stats="")
        self._t0, self._done0 = time.perf_counter(), done

    def update(self, iteration: int, state: dict, target) -> None:
        self._accept.append(float(np.mean(state["accept"])))
        now = time.perf_counter()
        if now - self._last < 0.25 and iteration < self.progress.tasks[0].total:
            self.progress.update(self.task, completed=iteration)
            return
        self._last = now
        loglik = state["loglik"][np.isfinite(state["loglik"])]
        rate = (iteration - self._done0) / max(now - self._t0, 1e-9)
        recent = self._accept[-50:]
        phase = "warm-up" if iteration <= self.warmup else "sampling"
        particles = [p for p in target.particles() if p is not None]
        stats = (
            f"{phase}  acc {np.mean(recent):.2f}  loglik {np.median(loglik) if loglik.size else -math.inf:.2f}"
            + (f"  N {sum(particles)}" if particles else "")
            + f"  {rate:.1f} it/s"
        )
        self.progress.update(self.task, completed=iteration, stats=stats)

    def note(self, line: str) -> None:
        """A line printed above the bar (a sampler's progress notes, e.g. parallel tempering's rounds)."""
        self.progress.console.print(line, highlight=False)

    def stop(self) -> None:
        if self.task is not None:
            self.progress.stop()
