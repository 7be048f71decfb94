"""Batched simulation (``Model.simulate_batch``): simulations per second on one and on all threads.

Baselines measured in the same run: the same simulations one ``Model.simulate``
call at a time (the API a user would otherwise loop over), and -- the floor
-- the compiled ``simulate_run`` kernel called in a bare Python loop with
one generator. Rounds are interleaved; medians are printed.

    python benchmarks/simulate_batch.py                    # examples/sir, 4000 simulations, 7 rounds
    python benchmarks/simulate_batch.py --example lotka-volterra --simulations 2000
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import ponder
    from ponder.runtime.executors import usable_cores
    from ponder.runtime.kernels import link

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="sir")
    parser.add_argument("--simulations", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    model = ponder.load(ROOT / "examples" / args.example / f"{args.example}.model")
    draws = model.prior_sample(args.simulations, seed=1)
    thetas = np.column_stack([np.asarray(draws[p.name]).reshape(args.simulations, -1) for p in model.ir.params])
    cores = usable_cores()
    ds = model.datasets[0]
    consts, loops = model.consts(ds), link(model.compiled)
    states = np.empty((len(ds.times), model.ir.n_states))
    obs = np.empty((len(ds.times), len(model.ir.observed_columns)))

    def bare_kernel():
        rng = np.random.default_rng(0)
        for theta in thetas:
            loops.simulate_run(theta, consts, model.ir.t0, ds.times, rng, states, obs)

    few = max(1, args.simulations // 20)  # the API loop is slow: time a twentieth, scale up

    def api_loop():
        for m in range(few):
            model.simulate(thetas[m], seed=m)

    ways = {
        "Model.simulate, one call each": (api_loop, few),
        "simulate_run kernel, Python loop": (bare_kernel, args.simulations),
        "simulate_batch, 1 thread": (lambda: model.simulate_batch(thetas, seed=3, threads=1), args.simulations),
        f"simulate_batch, {cores} threads": (lambda: model.simulate_batch(thetas, seed=3, threads=cores),
                                             args.simulations),
    }
    for fn, _ in ways.values():  # compile and load
        fn()
    rates = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, (fn, count) in ways.items():
            started = time.perf_counter()
            fn()
            rates[name].append(count / (time.perf_counter() - started))
    base = statistics.median(rates["Model.simulate, one call each"])
    print(f"{args.example}: {args.simulations} simulations of {len(model.datasets)} dataset(s), "
          f"median of {args.rounds} interleaved rounds, {cores} usable cores")
    print(f"{'way':40s} {'simulations/s':>14s} {'x Model.simulate':>17s}")
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"{name:40s} {rate:14.0f} {rate / base:17.1f}")


if __name__ == "__main__":
    main()
