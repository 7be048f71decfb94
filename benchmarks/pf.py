"""Particle filter speed: ponder against hand-written baselines, in one process.

    python benchmarks/pf.py [--quick]

For the `randomwalk` example at N = 64, 1024 and 16384 particles it times one
likelihood estimate by
  * ponder's `pf` (systematic resampling every observation, no trajectory),
  * a hand-written Numba bootstrap filter for the same model (the practical
    limit: what an expert would write for this one model),
  * a vectorised NumPy filter,
  * the `particles` library (Chopin), if it is installed,
and prints each time with its ratio to the hand-written kernel. It then
reports ponder alone on `lineargauss` and `sir`. Times are medians of
repeated runs after a warm-up (compilation excluded).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ponder  # noqa: E402
from ponder.runtime.seeds import stream  # noqa: E402

PARAMS = {"origin": 100.0, "drift": 0.2, "sigma": 10.0}


@numba.njit(cache=True, nogil=True)
def hand_pf(times, y, origin, drift, sigma, n, rng):
    """A bootstrap filter written by hand for the random walk (systematic resampling)."""
    x = np.full(n, origin)
    x_new = np.empty(n)
    logw = np.empty(n)
    w = np.empty(n)
    ll = 0.0
    t_prev = 0.0
    log_norm = -math.log(sigma) - 0.5 * math.log(2 * math.pi)
    for k in range(times.shape[0]):
        steps = int(round(times[k] - t_prev))
        for i in range(n):
            xi = x[i]
            for _ in range(steps):
                u = -1.0 + 2.0 * rng.random()
                xi += 1.0 if u < drift else -1.0
            x[i] = xi
        top = -math.inf
        for i in range(n):
            z = (y[k] - x[i]) / sigma
            logw[i] = -0.5 * z * z + log_norm
            if logw[i] > top:
                top = logw[i]
        total = 0.0
        for i in range(n):
            w[i] = math.exp(logw[i] - top)
            total += w[i]
        ll += top + math.log(total / n)
        u = rng.random()
        c = w[0] / total
        j = 0
        for i in range(n):
            pos = (i + u) / n
            while pos >= c and j < n - 1:
                j += 1
                c += w[j] / total
            x_new[i] = x[j]
        x, x_new = x_new, x
        t_prev = times[k]
    return ll


def numpy_pf(times, y, origin, drift, sigma, n, rng):
    """The same filter vectorised over particles with NumPy."""
    x = np.full(n, origin)
    ll, t_prev = 0.0, 0.0
    for k in range(len(times)):
        steps = int(round(times[k] - t_prev))
        u = rng.uniform(-1.0, 1.0, size=(n, steps))
        x = x + np.where(u < drift, 1.0, -1.0).sum(axis=1)
        logw = -0.5 * ((y[k] - x) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)
        top = logw.max()
        w = np.exp(logw - top)
        ll += top + math.log(w.mean())
        positions = (np.arange(n) + rng.random()) / n
        idx = np.minimum(np.searchsorted(np.cumsum(w / w.sum()), positions), n - 1)
        x = x[idx]
        t_prev = times[k]
    return ll


def particles_pf(times, y, origin, drift, sigma, n, seed):
    """The `particles` library's bootstrap filter, or None when it is not installed."""
    try:
        import particles
        from particles import distributions as dists
        from particles import state_space_models as ssm
    except ImportError:
        return None
    gaps = np.diff(np.concatenate([[0.0], times])).astype(int)
    if len(set(gaps)) != 1:
        return None
    steps = int(gaps[0])

    class RandomWalk(ssm.StateSpaceModel):
        def PX0(self):
            return dists.LinearD(dists.Binomial(n=steps, p=(1 + drift) / 2), a=2.0, b=origin - steps)

        def PX(self, t, xp):
            return dists.LinearD(dists.Binomial(n=steps, p=(1 + drift) / 2), a=2.0, b=xp - steps)

        def PY(self, t, xp, x):
            return dists.Normal(loc=x, scale=sigma)

    np.random.seed(seed)
    fk = ssm.Bootstrap(ssm=RandomWalk(), data=list(y))
    pf = particles.SMC(fk=fk, N=n, resampling="systematic", ESSrmin=1.0, store_history=False, collect=None,
                       verbose=False)
    pf.run()
    return pf.logLt


def median_time(fn, repeats: int) -> float:
    fn(0)
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        fn(r + 1)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def repeats_for(n: int, quick: bool) -> int:
    base = {64: 200, 1024: 40, 16384: 6}.get(n, 10)
    return max(3, base // 4) if quick else base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()

    model = ponder.load(ROOT / "examples" / "randomwalk" / "randomwalk.model")
    ds = model.datasets[0]
    times, y = ds.times, ds.values[:, 0].copy()
    theta = model.theta(PARAMS)
    print(f"randomwalk: {len(times)} observations, {int(times[-1])} steps; ms per likelihood estimate (median)")
    header = f"{'N':>6}  {'ponder':>9}  {'hand Numba':>10}  {'NumPy':>9}  {'particles':>9}  " \
             f"{'ponder/hand':>11}  {'NumPy/hand':>10}  {'particles/hand':>14}"
    print(header)
    print("-" * len(header))
    for n in (64, 1024, 16384):
        pf = model.likelihood("pf", particles=n)
        reps = repeats_for(n, args.quick)
        t_ponder = median_time(lambda r: pf.estimate(theta, stream(1, r), trajectory=False), reps)
        t_hand = median_time(lambda r: hand_pf(times, y, *PARAMS.values(), n, np.random.default_rng(r)), reps)
        t_numpy = median_time(lambda r: numpy_pf(times, y, *PARAMS.values(), n, np.random.default_rng(r)),
                              max(3, reps // 4))
        has_particles = particles_pf(times, y, *PARAMS.values(), 8, 0) is not None
        t_part = median_time(lambda r: particles_pf(times, y, *PARAMS.values(), n, r), max(3, reps // 4)) \
            if has_particles else math.nan
        print(f"{n:>6}  {1e3 * t_ponder:>9.3f}  {1e3 * t_hand:>10.3f}  {1e3 * t_numpy:>9.3f}  "
              f"{1e3 * t_part:>9.3f}  {t_ponder / t_hand:>11.2f}  {t_numpy / t_hand:>10.2f}  "
              f"{t_part / t_hand:>14.2f}")
    # sanity: the filters estimate the same quantity
    lls = {
        "ponder": np.mean([model.loglik(PARAMS, particles=4096, seed=s) for s in range(5)]),
        "hand": np.mean([hand_pf(times, y, *PARAMS.values(), 4096, np.random.default_rng(s)) for s in range(5)]),
    }
    print("mean log-likelihood at N = 4096 (5 runs): " + ", ".join(f"{k} {v:.3f}" for k, v in lls.items()))

    print()
    print("other examples, ponder pf only; ms per estimate (median)")
    for name, params in (
        ("lineargauss", {"rho": 0.9, "sx2": 1.0, "sy2": 0.04}),
        ("sir", {"beta": 0.4, "gamma": 0.125, "rho": 0.5}),
    ):
        m = ponder.load(ROOT / "examples" / name / f"{name}.model")
        th = m.theta(params)
        row = []
        for n in (64, 1024, 16384):
            pf = m.likelihood("pf", particles=n)
            t = median_time(lambda r: pf.estimate(th, stream(1, r), trajectory=False), repeats_for(n, args.quick))
            row.append(f"N={n}: {1e3 * t:.3f}")
        print(f"  {name:<12} " + "   ".join(row))


if __name__ == "__main__":
    main()
