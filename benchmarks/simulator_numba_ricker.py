"""The Ricker map as a Numba simulator against the same model written in the language: CPU per filter estimate.

examples/ricker/ricker.model (baseline, `step` block) and
examples/simulator-numba/ricker.model (`simulator ricker_numba.ricker`,
the kernels of examples/simulator-numba/ponder_ricker_numba) at pomp's
parameters, 51 observations. Estimates are interleaved (the first of each
round alternating) with the same seed for both models in a round, so both
do the very same work: their estimates agree bit for bit, which is checked;
medians of CPU time (``time.process_time``) and their ratio are printed.
The simulator is registered in this process, so the example package need
not be installed.

    python benchmarks/simulator_numba_ricker.py [--particles 1024] [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "simulator-numba"))

TRUTH = {"r": 44.701184493300815, "sigma": 0.3, "phi": 10.0}


def models():
    import ponder
    from ponder_ricker_numba.ricker import RickerNumba

    ponder.register_simulator("ricker_numba.ricker", RickerNumba())
    return {
        ".model (baseline)": ponder.load(ROOT / "examples" / "ricker" / "ricker.model"),
        "Numba simulator": ponder.load(ROOT / "examples" / "simulator-numba" / "ricker.model"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, nargs="+", default=[1024])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    found = models()
    for m in found.values():
        m.loglik(TRUTH, particles=8, seed=0)  # compile (or load the kernel cache)
    names = list(found)
    for n in args.particles:
        times = {name: [] for name in found}
        for r in range(args.rounds):
            values = {}
            for name in (names if r % 2 == 0 else names[::-1]):  # alternate which goes first
                start = time.process_time()
                values[name] = found[name].loglik(TRUTH, particles=n, seed=r)
                times[name].append(time.process_time() - start)
            if len(set(values.values())) != 1:
                raise SystemExit(f"the two models' estimates differ (seed {r}): {values}")
        base = statistics.median(times[".model (baseline)"])
        print(f"\nN = {n} particles, CPU ms per estimate (median of {args.rounds} interleaved rounds; "
              "the estimates agreed bit for bit)")
        print(f"{'route':20s} {'ms':>9s} {'ratio':>8s} {'ns per particle-step':>21s}")
        steps = 50  # 51 observations from t = 0: 50 unit steps per particle
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"{name:20s} {med * 1e3:9.3f} {med / base:8.3f} {med / (n * steps) * 1e9:21.2f}")


if __name__ == "__main__":
    main()
