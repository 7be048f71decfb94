"""Sampling speed: SPUX's tutorial configuration and parallel speed-ups.

    python benchmarks/sampling.py [--quick]

1. SPUX's tutorial run -- `ensemble` with 8 walkers, `pf` with 128
   particles, 1000 iterations on `randomwalk`, serial executor -- timed end
   to end (results included), with the time spent inside likelihood
   estimates measured in the same run, and the rest (sampler, bookkeeping,
   results) reported as overhead.
2. 16 walkers and 1024 particles on `threads` and `mpi` with 2 workers,
   against `serial`, as speed-up ratios (same seed: identical draws).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ponder  # noqa: E402
from ponder.runtime import target as target_mod  # noqa: E402
from ponder.runtime.executors import make_executor  # noqa: E402

MODEL = ROOT / "examples" / "randomwalk" / "randomwalk.model"


class _Timed:
    """Wraps evaluate_task to add up the time spent in likelihood estimates (serial only)."""

    def __init__(self, fn):
        self.fn, self.seconds, self.calls = fn, 0.0, 0

    def __call__(self, task):
        start = time.perf_counter()
        try:
            return self.fn(task)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def spux_tutorial(iterations: int) -> None:
    model = ponder.load(MODEL)
    model.sample(samples=5, warmup=5, chains=8, particles=128, seed=0)  # compile / load kernels
    timed = _Timed(target_mod.evaluate_task)
    target_mod.evaluate_task = timed
    try:
        start = time.perf_counter()
        model.sample(samples=iterations // 2, warmup=iterations - iterations // 2, chains=8, particles=128, seed=1)
        total = time.perf_counter() - start
    finally:
        target_mod.evaluate_task = timed.fn
    overhead = total - timed.seconds
    print(f"SPUX tutorial: ensemble, 8 walkers, pf 128 particles, {iterations} iterations on randomwalk (serial)")
    print(f"  total {total:.2f} s   likelihood {timed.seconds:.2f} s in {timed.calls} estimates "
          f"({1e3 * timed.seconds / timed.calls:.3f} ms each)")
    print(f"  sampler + bookkeeping + results: {overhead:.2f} s = {100 * overhead / timed.seconds:.1f}% of likelihood time")


def speedups(iterations: int) -> None:
    model = ponder.load(MODEL)
    settings = dict(samples=iterations // 2, warmup=iterations - iterations // 2, chains=16, particles=1024, seed=2)
    times = {}
    for name in ("serial", "threads", "mpi"):
        try:
            executor = make_executor(name, 2)
        except Exception as exc:  # mpi may be missing
            print(f"  {name}: unavailable ({exc})")
            continue
        try:
            model.sample(executor=executor, **{**settings, "samples": 2, "warmup": 2})  # workers load kernels
            start = time.perf_counter()
            model.sample(executor=executor, **settings)
            times[name] = time.perf_counter() - start
        finally:
            executor.shutdown()
    print(f"16 walkers, pf 1024 particles, {iterations} iterations, 2 workers (start-up excluded)")
    for executor, seconds in times.items():
        print(f"  {executor:<8} {seconds:7.2f} s   speed-up vs serial {times['serial'] / seconds:4.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    spux_tutorial(200 if args.quick else 1000)
    print()
    speedups(20 if args.quick else 100)


if __name__ == "__main__":
    main()
