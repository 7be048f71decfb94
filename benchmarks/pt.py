"""Parallel tempering against ensemble and MH: ESS per second, and the overhead of a PT round.

    python benchmarks/pt.py [--quick]

For `straightwalk`, `lotka-volterra` and a bimodal target (y = x^2 + noise,
modes at x = +-4) it runs `pt`, `ensemble` and `mh` (serial executor, after
a warm-up run that loads the compiled kernels) and prints the smallest bulk
ESS over the parameters divided by the wall time. For the bimodal target it
also prints the fraction of draws with x > 0 (the truth is 0.5). Then it
times the last round of a `pt` run against the time spent inside its
likelihood evaluations, and prints the rest as the round's overhead.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.simplefilter("ignore")

import arviz as az  # noqa: E402

import ponder  # noqa: E402
from ponder.runtime import target as target_mod  # noqa: E402
from ponder.runtime.samplers import tempering  # noqa: E402


RUNS = 5  # round-overhead measurements per model


def bimodal_model() -> ponder.Model:
    folder = Path(tempfile.mkdtemp())
    (folder / "bi.csv").write_text("time,y\n0,16\n")
    return ponder.loads("param x ~ Uniform(-10, 10)\nstate v = x\nobserve y ~ Normal(v^2, 0.5)\ndata \"bi.csv\"",
                        base_dir=folder, name="bimodal", default_name="bimodal")


def ess_per_second(model, sampler: str, samples: int) -> tuple[float, float, object]:
    model.sample(sampler=sampler, samples=4, warmup=4, seed=0)
    start = time.perf_counter()
    idata = model.sample(sampler=sampler, samples=samples, seed=1)
    seconds = time.perf_counter() - start
    ess = az.ess(idata, var_names=model.param_names)
    return min(float(np.min(ess[v].values)) for v in model.param_names) / seconds, seconds, idata


def round_overhead(model, samples: int) -> float:
    """Wall time of the last PT round against the time of its likelihood evaluations alone.

    With the Python explorers every evaluation is an executor task, timed
    one by one. The Numba scans (exact likelihoods) evaluate inside one
    call per block of scans, so there the evaluations are counted, and the
    same number of evaluations is timed in a Numba loop over the points the
    replicas visited during the round (collected scan by scan in a second
    run with one-scan blocks, which gives the same draws).
    """
    spent = {"tasks": 0.0}
    original = target_mod.evaluate_task

    def timed(task):
        t = time.perf_counter()
        try:
            return original(task)
        finally:
            spent["tasks"] += time.perf_counter() - t

    last = tempering.last_round(samples)
    marks, visited, samplers = {}, [], []
    step_block = tempering.ParallelTempering.step_block

    def marked(self, state, first, count, warmup):
        if first == 2**last - 1:
            samplers.append(self)
            marks["start"] = (time.perf_counter(), spent["tasks"], self.fast.evaluations if self.fast else 0)
        out = step_block(self, state, first, count, warmup)
        if first >= 2**last - 1:
            visited.append(state["z"][1:].copy())
        if first + len(out["z"]) == 2 ** (last + 1) - 1:
            marks["end"] = (time.perf_counter(), spent["tasks"], self.fast.evaluations if self.fast else 0)
        return out

    target_mod.evaluate_task, tempering.ParallelTempering.step_block = timed, marked
    try:
        model.sample(sampler="pt", samples=samples, seed=1)
        wall = marks["end"][0] - marks["start"][0]
        tasks = marks["end"][1] - marks["start"][1]
        count = marks["end"][2] - marks["start"][2]
        fast = samplers[0].fast
        if fast is not None:  # again, scan by scan, for the visited points
            visited.clear()
            block_seconds, tempering.BLOCK_SECONDS = tempering.BLOCK_SECONDS, 0.0
            try:
                model.sample(sampler="pt", samples=samples, seed=1)
            finally:
                tempering.BLOCK_SECONDS = block_seconds
    finally:
        target_mod.evaluate_task, tempering.ParallelTempering.step_block = original, step_block
    if fast is None:
        likelihood = tasks
        how = "timed executor tasks"
    else:
        likelihood = time_evaluations(fast, np.concatenate(visited), count)
        how = f"{count} evaluations in the Numba explorer, timed alone"
    overhead = 100 * (wall - likelihood) / likelihood
    print(f"  {model.name}: last round ({2**last} scans) {wall:.3f} s, likelihood evaluations {likelihood:.3f} s "
          f"({how}), overhead {overhead:.1f}% of the likelihood time")
    return overhead


@numba.njit
def _evaluate_many(evaluate, points, count, n_states, kinds, lower, upper, consts, t0, times, values, offsets, rng):
    theta = np.empty(points.shape[1])
    pointwise = np.empty((values.shape[0], values.shape[1]))
    states = np.empty((values.shape[0], n_states))
    out = np.empty(3)
    total = 0.0
    for k in range(count):
        total += evaluate(points[k % points.shape[0]], 1.0, kinds, lower, upper, consts, t0, times, values, offsets,
                          theta, pointwise, states, rng, out)
    return total


def time_evaluations(fast, points, count) -> float:
    """Seconds for ``count`` evaluations of the explorer's tempered density, cycling over ``points``."""
    args = (fast.kinds, fast.lower, fast.upper, fast.consts, fast.t0, fast.times, fast.values, fast.offsets, fast.rng)
    _evaluate_many(fast.loops.evaluate, points, 10, fast.n_states, *args)  # compile
    start = time.perf_counter()
    _evaluate_many(fast.loops.evaluate, points, count, fast.n_states, *args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 256 if args.quick else 1024
    models = [
        ponder.load(ROOT / "examples" / "straightwalk" / "straightwalk.model"),
        ponder.load(ROOT / "examples" / "lotka-volterra" / "lotka-volterra.model"),
        bimodal_model(),
    ]
    print(f"min bulk ESS per second (serial; pt: {n} scans in its last round; ensemble/mh: {n} draws per chain)")
    print(f"{'model':<16} {'pt':>10} {'ensemble':>10} {'mh':>10}   notes")
    for model in models:
        row, notes = [], ""
        for sampler in ("pt", "ensemble", "mh"):
            rate, seconds, idata = ess_per_second(model, sampler, n)
            row.append(rate)
            if model.name == "bimodal":
                notes += f"{sampler}: P(x>0) = {(idata.posterior['x'].values > 0).mean():.2f}  "
        print(f"{model.name:<16} {row[0]:>10.1f} {row[1]:>10.1f} {row[2]:>10.1f}   {notes}")
    print()
    print(f"cost of one PT round versus the sum of its likelihood evaluations ({RUNS} runs each and their median:")
    print("this machine's timings vary from run to run, the first run of a process is often slower, and the Numba")
    print("explorer's evaluations are timed at the visited points, not the probes)")
    walk = ponder.load(ROOT / "examples" / "randomwalk" / "randomwalk.model")
    for model, scans in ((models[0], n), (models[1], n), (walk, n // 4)):
        runs = [round_overhead(model, scans) for _ in range(RUNS)]
        print(f"  {model.name}: median overhead {np.median(runs):.1f}%")


if __name__ == "__main__":
    main()
