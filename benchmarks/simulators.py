"""External simulators against the same model written in the language: CPU per particle-filter estimate.

SPUX's random walk (examples/randomwalk, 50 observations, 1000 steps) four
ways: the `.model` file (baseline, measured in the same run), a simulator
with Numba kernels (compiled into the filter), a vectorised Python
simulator (NumPy over particles) and the per-particle adapter
(``ponder.per_particle``). Estimates are interleaved round-robin; the table
gives medians and ratios to the baseline.

    python benchmarks/simulators.py [--particles 256 1024] [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "simulator-python"))

TRUTH = {"origin": 100.0, "drift": 0.2, "sigma": 10.0}


def models():
    import ponder
    from ponder_walk.walk import RandomWalk, per_particle_walk
    from tests.runtime.numba_walk import NumbaWalk

    text = (ROOT / "examples" / "simulator-python" / "walk.model").read_text()
    ponder.register_simulator("bench.numba", NumbaWalk())
    ponder.register_simulator("bench.vectorised", RandomWalk())
    ponder.register_simulator("bench.per_particle", per_particle_walk)
    base = ROOT / "examples" / "simulator-python"
    return {
        ".model (baseline)": ponder.load(ROOT / "examples" / "randomwalk" / "randomwalk.model"),
        "Numba simulator": ponder.loads(text.replace("walk.vectorised", "bench.numba"), base_dir=base),
        "Python, vectorised": ponder.loads(text.replace("walk.vectorised", "bench.vectorised"), base_dir=base),
        "Python, per particle": ponder.loads(text.replace("walk.vectorised", "bench.per_particle"), base_dir=base),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    found = models()
    for m in found.values():
        m.loglik(TRUTH, particles=8, seed=0)  # compile
    for n in args.particles:
        times = {name: [] for name in found}
        for r in range(args.rounds):
            for name, m in found.items():
                if name.endswith("per particle") and r >= max(3, args.rounds // 5):
                    continue  # slow: fewer rounds
                start = time.process_time()
                m.loglik(TRUTH, particles=n, seed=r)
                times[name].append(time.process_time() - start)
        base = statistics.median(times[".model (baseline)"])
        print(f"\nN = {n} particles, CPU ms per estimate (median of {args.rounds} interleaved rounds)")
        print(f"{'route':24s} {'ms':>9s} {'ratio':>8s} {'us per particle-step':>21s}")
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"{name:24s} {med * 1e3:9.2f} {med / base:8.2f} {med / (n * 1000) * 1e6:21.4f}")


if __name__ == "__main__":
    main()
