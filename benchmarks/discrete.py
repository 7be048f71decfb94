"""Binomial and Poisson draws: ponder's BTRD/PTRS kernels against NumPy's algorithms, and the SIR filter.

    python benchmarks/discrete.py [--quick] [--sir-only]

1. ns per draw, for n in {1, 10, 100, 1e3, 1e4, 1e6} and p in {0.01, 0.3},
   of ``ponder.stdlib.discrete.binomial`` in a Numba loop, of Numba's
   ``rng.binomial`` in the same loop (NumPy's BTPE and inversion, what
   ``binomial_sample`` called before), and of NumPy's ``Generator.binomial``
   vectorised (one call for all draws: its set-up is computed once and
   cached, which a particle filter, whose n and p change every draw, never
   gets). Medians of interleaved repeats; ratios are the others' time over
   ours (above 1: ours is faster).
2. The same for Poisson, lam in {0.1, 1, 5, 10, 30, 100, 1e4, 1e6}.
3. The SIR example's particle filter (examples/sir, 1000 particles, 20
   weeks of 0.1-day sub-steps, two binomial draws per particle and
   sub-step): CPU time (``time.process_time``) per likelihood estimate,
   median over seeds, against pomp's figure measured on this machine for
   the same model (258 ms per filter at N = 1000; no R here to rerun it).
   ``--sir-only`` prints just this line, so that the same script run in a
   checkout of an earlier commit (copied there) gives the "before" figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ponder  # noqa: E402

try:
    from ponder.stdlib import discrete  # noqa: E402
except ImportError:  # a checkout from before these kernels: --sir-only still times its filter
    discrete = None

POMP_SIR_MS = 258.0
SIR = ROOT / "examples" / "sir" / "sir.model"
SIR_THETA = {"beta": 0.4, "gamma": 0.125, "rho": 0.5}


# n and p are read from arrays, one element per draw, as a particle filter
# reads each particle's: with constant arguments the compiler would hoist
# the set-up (exp, log, sqrt of n and p) out of the loop.
@numba.njit(nogil=True)
def _ours_binomial(rng, n, p):
    total = 0.0
    for i in range(n.shape[0]):
        total += discrete.binomial(rng, n[i], p[i])
    return total


@numba.njit(nogil=True)
def _numba_binomial(rng, n, p):
    total = 0.0
    for i in range(n.shape[0]):
        total += rng.binomial(int(n[i]), p[i])
    return total


@numba.njit(nogil=True)
def _ours_poisson(rng, lam):
    total = 0.0
    for i in range(lam.shape[0]):
        total += discrete.poisson(rng, lam[i])
    return total


@numba.njit(nogil=True)
def _numba_poisson(rng, lam):
    total = 0.0
    for i in range(lam.shape[0]):
        total += rng.poisson(lam[i])
    return total


def _ns_per_draw(fn, draws, repeats):
    """Median CPU ns per draw of each ``fn[name]()`` over ``repeats`` interleaved rounds.

    CPU time (``process_time``), not wall time: on a shared machine the
    wall clock also counts the time other processes hold the core.
    """
    times = {name: [] for name in fn}
    for _ in range(repeats):
        for name, f in fn.items():
            start = time.process_time()
            f()
            times[name].append((time.process_time() - start) / draws * 1e9)
    return {name: statistics.median(t) for name, t in times.items()}


def _table(title, label, cases, make, draws, repeats):
    print(title)
    print(f"  {label:>16}  {'ours':>8}  {'numba':>8}  {'numpy vec':>9}   numba/ours  numpy/ours")
    for case in cases:
        ns = _ns_per_draw(make(case), draws, repeats)
        print(f"  {case!s:>16}  {ns['ours']:8.1f}  {ns['numba']:8.1f}  {ns['numpy']:9.1f}"
              f"   {ns['numba'] / ns['ours']:10.2f}  {ns['numpy'] / ns['ours']:10.2f}")


def binomial_table(draws, repeats):
    rng = np.random.default_rng(1)

    def make(case):
        n, p = case
        ns, ps = np.full(draws, float(n)), np.full(draws, p)
        return {"ours": lambda: _ours_binomial(rng, ns, ps),
                "numba": lambda: _numba_binomial(rng, ns, ps),
                "numpy": lambda: rng.binomial(n, p, size=draws)}

    cases = [(n, p) for p in (0.01, 0.3) for n in (1, 10, 100, 1000, 10_000, 1_000_000)]
    make(cases[0])["ours"](), make(cases[0])["numba"]()  # compile
    _table("Binomial(n, p): ns per draw (median)", "(n, p)", cases, make, draws, repeats)


def poisson_table(draws, repeats):
    rng = np.random.default_rng(2)

    def make(lam):
        lams = np.full(draws, lam)
        return {"ours": lambda: _ours_poisson(rng, lams),
                "numba": lambda: _numba_poisson(rng, lams),
                "numpy": lambda: rng.poisson(lam, size=draws)}

    cases = [0.1, 1.0, 5.0, 10.0, 30.0, 100.0, 1e4, 1e6]
    make(1.0)["ours"](), make(1.0)["numba"]()  # compile
    _table("Poisson(lam): ns per draw (median)", "lam", cases, make, draws, repeats)


def sir_filter(seeds):
    """Median CPU ms per SIR likelihood estimate at N = 1000 over ``seeds`` seeds."""
    model = ponder.load(SIR)
    model.loglik(SIR_THETA, particles=1000, seed=0)  # compile / load kernels
    ms = []
    for s in range(seeds):
        start = time.process_time()
        model.loglik(SIR_THETA, particles=1000, seed=s)
        ms.append((time.process_time() - start) * 1e3)
    median = statistics.median(ms)
    print(f"SIR particle filter, N = 1000: {median:.1f} ms CPU per estimate (median of {seeds} seeds); "
          f"pomp's (recorded): {POMP_SIR_MS:.0f} ms, pomp/ponder {POMP_SIR_MS / median:.2f}")
    return median


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer draws and repeats")
    ap.add_argument("--sir-only", action="store_true", help="only the SIR filter's time")
    args = ap.parse_args()
    draws, repeats, seeds = (50_000, 3, 5) if args.quick else (400_000, 9, 11)
    if not args.sir_only:
        binomial_table(draws, repeats)
        poisson_table(draws, repeats)
    sir_filter(seeds)


if __name__ == "__main__":
    main()
