"""ponder.sandbox's cost per particle: one advance of a program run in a folder per particle.

Two programs: reservoir.c (examples/reservoir-c, compiled here with the system
C compiler) and a Python script doing the same with ``sys.executable -I -S``.
For each: the bare ``subprocess.run`` of the program in a prepared folder
(baseline: what the operating system costs), and the sandbox's advance of
one particle (write_inputs, the run, read_outputs), interleaved round-robin,
medians over ``--rounds``; then an advance of ``--particles`` particles with
``jobs`` 1 and 2, and a resample that clones every particle once (half the
folders picked twice).

    python benchmarks/sandbox.py [--rounds 200] [--particles 64]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "reservoir-c"))

from ponder_reservoir_c.reservoir import read_outputs, write_inputs

from ponder.sandbox import sandbox

SCRIPT = """\
import math
k, t0, t1, rain = map(float, open("params.txt").read().split())
s = float(open("state.txt").read())
s = rain / k + (s - rain / k) * math.exp(-k * (t1 - t0))
open("state.txt", "w").write(repr(s))
open("discharge.txt", "w").write(repr(k * s))
"""

THETA = {"k": 0.25}
CONSTS = {"rain": lambda t: 3.5}


def programs(work: Path) -> dict[str, list[str]]:
    cc = shutil.which("cc") or shutil.which("gcc")
    out = {}
    if cc:
        binary = work / "reservoir"
        subprocess.run([cc, "-O2", "-o", str(binary), str(ROOT / "examples/reservoir-c/ponder_reservoir_c/reservoir.c"),
                        "-lm"], check=True)
        out["reservoir.c"] = [str(binary)]
    (work / "reservoir.py").write_text(SCRIPT)
    out["python -I -S"] = [sys.executable, "-I", "-S", str(work / "reservoir.py")]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--particles", type=int, default=64)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ponder-bench-"))
    try:
        template = work / "template"
        template.mkdir()
        (template / "state.txt").write_text("20.0\n")
        bare = work / "bare"
        shutil.copytree(template, bare)
        write_inputs(bare, THETA, CONSTS, 0.0, 1.0, 0)
        cases = {}
        for name, command in programs(work).items():
            sim = sandbox(template, command, write_inputs, read_outputs, ["Q"], deterministic=True,
                          modified=["state.txt"])
            cases[name] = (command, sim, sim.init(THETA, CONSTS, 1, np.random.default_rng(0)))
        times = {(name, what): [] for name in cases for what in ("bare", "sandbox")}
        for i in range(args.rounds):
            for name, (command, sim, state) in cases.items():
                start = time.perf_counter()
                subprocess.run(command, cwd=bare, capture_output=True, check=True)
                times[name, "bare"].append(time.perf_counter() - start)
                start = time.perf_counter()
                sim.advance(state, float(i), float(i + 1), THETA, None)
                times[name, "sandbox"].append(time.perf_counter() - start)
        print(f"median ms per particle over {args.rounds} rounds (interleaved)")
        print(f"{'program':<14} {'bare run':>9} {'sandbox':>9} {'overhead':>9}")
        for name in cases:
            b, s = (statistics.median(times[name, w]) * 1e3 for w in ("bare", "sandbox"))
            print(f"{name:<14} {b:9.3f} {s:9.3f} {s - b:9.3f}")
            cases[name][1].close(cases[name][2])
        n = args.particles
        print(f"\n{n} particles: ms per particle of an advance, and of a resample cloning {n // 2} folders")
        for name, (command, _, _) in cases.items():
            for jobs in (1, 2):
                sim = sandbox(template, command, write_inputs, read_outputs, ["Q"], deterministic=True,
                              modified=["state.txt"], jobs=jobs)
                state = sim.init(THETA, CONSTS, n, np.random.default_rng(0))
                advance, clone = [], []
                for i in range(5):
                    start = time.perf_counter()
                    sim.advance(state, float(i), float(i + 1), THETA, None)
                    advance.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    sim.resample(state, np.repeat(np.arange(0, n, 2), 2)[:n])
                    clone.append(time.perf_counter() - start)
                sim.close(state)
                print(f"{name:<14} jobs={jobs}: advance {statistics.median(advance) / n * 1e3:7.3f}   "
                      f"resample {statistics.median(clone) / n * 1e3:7.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
