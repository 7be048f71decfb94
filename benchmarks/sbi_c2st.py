"""C2ST of ponder's ABC-SMC (``--method abc``) against sbibm's reference posteriors.

Measured on the 2-core development machine (ponder at 1d15994, scikit-learn
1.9.1), seed 1::

    python benchmarks/sbi_c2st.py --observations 1 2 3

    task            obs method         budget   C2ST  wall s    sims   pop rounds     final tol sbibm SMC sbibm REJ
    sir               1 abc              1000  0.997     1.0     623   100    1/1     13.8/8.88     0.862     0.958
    sir               1 abc             10000  0.975     1.2    8517   500    2/2     5.73/5.98     0.647     0.786
    sir               1 abc            100000  0.915     8.4  100000  1000    5/5    0.941/1.29     0.617     0.739
    sir               1 likelihood          -  0.548     1.0       -     -      -             -
    sir               1 lik. ESS 4000       -  0.511     6.5       -     -      -             -
    sir               2 abc              1000  0.999     0.1     623   100    1/1       16/11.3     0.927     0.974
    sir               2 abc             10000  0.988     0.9    8518   500    2/2     8.13/8.12     0.657     0.884
    sir               2 abc            100000  0.945     8.3   99998  1000    5/5     3.49/3.89     0.631     0.730
    sir               2 likelihood          -  0.556     1.1       -     -      -             -
    sir               2 lik. ESS 4000       -  0.510     6.7       -     -      -             -
    sir               3 abc              1000  0.999     0.1     623   100    1/1     24.5/23.6     0.959     0.971
    sir               3 abc             10000  0.991     1.0    8442   500    2/2     22.8/22.8     0.573     0.847
    sir               3 abc            100000  0.915     8.7   99977  1000    5/5     9.52/9.78     0.584     0.674
    sir               3 likelihood          -  0.547     1.6       -     -      -             -
    sir               3 lik. ESS 4000       -  0.515     7.6       -     -      -             -
    lotka_volterra    1 abc              1000  1.000     0.2     906   100    1/1     3.52/3.99     1.000     1.000
    lotka_volterra    1 abc             10000  1.000     1.1    8305   500    2/2     2.32/2.27     0.995     1.000
    lotka_volterra    1 abc            100000  1.000     8.6   87973  1000    4/4     1.14/1.17     0.996     1.000
    lotka_volterra    1 likelihood          -  0.552     2.3       -     -      -             -
    lotka_volterra    1 lik. ESS 4000       -  0.494    14.9       -     -      -             -
    lotka_volterra    2 abc              1000  1.000     0.2     871   100    1/1     4.85/4.35     1.000     1.000
    lotka_volterra    2 abc             10000  1.000     1.1    8281   500    2/2     2.96/2.79     1.000     1.000
    lotka_volterra    2 abc            100000  1.000     7.9   86562  1000    4/4     2.05/2.28     0.999     0.998
    lotka_volterra    2 likelihood          -  0.550     1.7       -     -      -             -
    lotka_volterra    2 lik. ESS 4000       -  0.505    13.5       -     -      -             -
    lotka_volterra    3 abc              1000  1.000     0.2     900   100    1/1     4.07/3.93     1.000     1.000
    lotka_volterra    3 abc             10000  1.000     1.1    8161   500    2/2      2.7/2.37     0.993     0.999
    lotka_volterra    3 abc            100000  1.000     8.4   87046  1000    4/4     1.94/1.93     0.993     0.998
    lotka_volterra    3 likelihood          -  0.564     1.6       -     -      -             -
    lotka_volterra    3 lik. ESS 4000       -  0.508    11.0       -     -      -             -

and with sbibm's SMC-ABC settings where abc has them (``--like-sbibm``: one
chain, quantile 0.2, population 100 for budgets <= 10^4, else 1000)::

    python benchmarks/sbi_c2st.py --observations 1 2 3 --like-sbibm --no-likelihood

    task            obs method         budget   C2ST  wall s    sims   pop rounds     final tol sbibm SMC sbibm REJ
    sir               1 abc              1000  0.994     1.3     630   100      1          8.22     0.862     0.958
    sir               1 abc             10000  0.884     1.0    7975   100      4         0.375     0.647     0.786
    sir               1 abc            100000  0.749     7.6   89913  1000      4         0.212     0.617     0.739
    sir               2 abc              1000  1.000     0.1     630   100      1          9.71     0.927     0.974
    sir               2 abc             10000  0.896     1.0    6627   100      4          1.43     0.657     0.884
    sir               2 abc            100000  0.809     7.4   66240  1000      4         0.755     0.631     0.730
    sir               3 abc              1000  0.998     0.1     630   100      1          23.2     0.959     0.971
    sir               3 abc             10000  0.818     1.0    9556   100      5         0.735     0.573     0.847
    sir               3 abc            100000  0.795     8.2   66186  1000      4           1.3     0.584     0.674
    lotka_volterra    1 abc              1000  1.000     0.1     936   100      1          2.18     1.000     1.000
    lotka_volterra    1 abc             10000  1.000     0.9    7771   100      4         0.568     0.995     1.000
    lotka_volterra    1 abc            100000  1.000     8.1   80394  1000      4         0.471     0.996     1.000
    lotka_volterra    2 abc              1000  1.000     0.1     100   100      0           inf     1.000     1.000
    lotka_volterra    2 abc             10000  1.000     0.9    6543   100      3         0.911     1.000     1.000
    lotka_volterra    2 abc            100000  1.000     7.9   94527  1000      4         0.504     0.999     0.998
    lotka_volterra    3 abc              1000  1.000     0.1     854   100      1          3.22     1.000     1.000
    lotka_volterra    3 abc             10000  1.000     0.9    9945   100      4          0.64     0.993     0.999
    lotka_volterra    3 abc            100000  1.000     7.4   86953  1000      4         0.594     0.993     0.998

Columns: ``sims`` is abc's ``simulations`` attribute, the simulations behind
the populations it returns; a last round that the budget could not finish
is dropped, and its simulations are not counted there, so the simulator
was in fact called about ``budget`` times in every row. ``rounds`` and
``final tol`` are per chain (chain 1/chain 2). ``wall s`` is abc's (or the
sampler's) run alone, not the C2ST.

What it shows: ponder's likelihood-based sampler is indistinguishable
from sbibm's reference posteriors (C2ST 0.49-0.52 with 10,000 draws at
ESS 4000; 0.55 at the default ESS 400, where 10,000 draws are subsampled
from 5,000-15,000 autocorrelated ones). ABC-SMC with its defaults is far
from them: SIR 0.92-0.95 at 10^5 simulations against sbibm's SMC-ABC
0.58-0.63 and REJ-ABC 0.67-0.74; with sbibm's settings 0.75-0.81. On
Lotka-Volterra every ABC (ponder's and sbibm's) is at C2ST ~1. At 10^5
on SIR obs 1 (--like-sbibm) abc's beta has sd 0.0245 against the
reference's 0.0126, its mean 0.615 against 0.633, and beta-gamma
correlation +0.10 against -0.51: wider and tilted, a tolerance (0.21)
still well above the noise of the data. What sbibm's SMC-ABC does that abc
does not: an initial round of 5 x population prior draws, a kernel of 0.5
(not 2) times the population's covariance, the plain L2 distance on the
raw counts (abc: the RMS of differences divided by each value's median
absolute deviation under the prior predictive: on SIR obs 1 the scale is
1 on the near-empty days 0, 17 and 119-153 and 11.9 at the peak, day 34,
so one count on day 17 weighs as much as 12 at the peak), filling
the population of an unfinished last round from the one before
(use_last_pop_samples), and a KDE fitted to the final population to draw
its 10,000 samples.

Tasks: sbibm's SIR and Lotka-Volterra (sbi-benchmark/sbibm, ``sbibm/tasks/``;
files in /work/shared/peers/sbibm/, described in its README). SIR is
``benchmarks/models/sbibm_sir.model``; Lotka-Volterra is
``examples/lotka-volterra/lotka-volterra.model`` (same priors, ODE, initial
state and LogNormal(log u, 0.1) noise as sbibm). Both are fitted to sbibm's
``observation.csv`` (not to the example's own data file): the observation is
written to a temporary CSV in the model's layout (SIR: ``I_obs`` at days
0, 17, ..., 153; LV: ``prey_obs`` = the first 10 values, ``pred_obs`` the
last 10, at t = 0, 2.1, ..., 18.9) and passed as ``ponder.load(..., data=)``.

ABC-SMC runs with ``simulations = budget`` and ``population`` (per chain)
= budget / 20, clipped to [100, 1000]: budget / 10 for the whole run,
shared by abc's default 2 chains, each chain getting budget / 2 simulations
(so 10 populations per chain before the clip). Everything else is abc's
default (quantile 0.5, rounds 20, min_acceptance 0.01, raw distance: neither
model declares ``summary`` lines; chains 2). ``--population N`` fixes it,
``--option NAME=VALUE`` sets another abc option, ``--like-sbibm`` sets
what sbibm's SMC-ABC uses where abc has an equivalent.
The draws of both chains together (2 x population, equal weights) are
resampled with replacement to 10,000 for the C2ST.

The likelihood row per task is ``Model.sample`` with its defaults (ensemble
sampler, exact ``direct`` likelihood: both models are deterministic ODEs
with an observation model; sampling until R-hat <= 1.01 and ESS >= 400 or
``--max-time`` seconds), seed 1, and a second one with ``target_ess``
4000 (``--likelihood-ess``); their draws are subsampled (or resampled) to
10,000.

C2ST as sbibm computes it (``sbibm/metrics/c2st.py``): X = the 10,000
reference draws, Y = 10,000 draws of the method, both z-scored by X's mean
and sd (ddof 1), sklearn ``MLPClassifier(activation="relu",
hidden_layer_sizes=(10*dim, 10*dim), max_iter=10000, solver="adam",
random_state=1)``, ``KFold(5, shuffle=True, random_state=1)``, mean
accuracy. 0.5: indistinguishable, 1: perfectly separable. (sbibm uses
max_iter 10000 and a shuffled plain KFold; with equal class sizes a
stratified split changes nothing material.)

The sbibm columns are the C2ST the sbibm paper (Lueckmann et al. 2021,
"Benchmarking Simulation-Based Inference", AISTATS; Fig. 2) reports for
SMC-ABC and REJ-ABC on the same task, observation and budget, copied from
its results table ``benchmarking_sbi/results/main_paper.csv`` in
sbi-benchmark/results (commit 741183cdece7077453efbedac0fad7e74afa10e5).

Needs scikit-learn (not a dependency of ponder)::

    . .venv/bin/activate && pip install scikit-learn
    python benchmarks/sbi_c2st.py [--observations 1 2 3] [--budgets 1000 10000 100000]
                                  [--tasks sir lotka_volterra] [--seed 1] [--no-likelihood]
                                  [--like-sbibm] [--population N] [--option NAME=VALUE ...]

(about 4 minutes for the first command above: each C2ST takes 5-15 s.)

``--method npe`` (ponder's single-round NPE, maf, 2 estimators; needs the sbi
extra) on observation 1, `python benchmarks/sbi_c2st.py --method npe --tasks
sir lotka_volterra --budgets 1000 10000 --no-likelihood`, 2026-12-02:

    task            obs method         budget   C2ST  wall s
    sir               1 npe              1000  0.823    17.6
    sir               1 npe             10000  0.661   100.3
    lotka_volterra    1 npe              1000  1.000     6.9
    lotka_volterra    1 npe             10000  0.982   142.7
"""

from __future__ import annotations

import argparse
import bz2
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(os.environ.get("PONDER_PEERS", ROOT.parent / "shared" / "peers")) / "sbibm"

TASKS = {
    "sir": {
        "model": ROOT / "benchmarks" / "models" / "sbibm_sir.model",
        "params": ("beta", "gamma"),
        "times": [17.0 * k for k in range(10)],
        "columns": ("I_obs",),
    },
    "lotka_volterra": {
        "model": ROOT / "examples" / "lotka-volterra" / "lotka-volterra.model",
        "params": ("alpha", "beta", "gamma", "delta"),
        "times": [round(2.1 * k, 10) for k in range(10)],
        "columns": ("prey_obs", "pred_obs"),
    },
}

#: C2ST from sbi-benchmark/results@741183c, benchmarking_sbi/results/main_paper.csv:
#: (task, observation, budget) -> (SMC-ABC, REJ-ABC)
SBIBM = {
    ("lotka_volterra", 1, 1000): (0.99975, 0.99985),
    ("lotka_volterra", 2, 1000): (0.99985, 0.99975),
    ("lotka_volterra", 3, 1000): (0.9997, 0.9998),
    ("lotka_volterra", 1, 10000): (0.99545, 1.0),
    ("lotka_volterra", 2, 10000): (0.9995, 1.0),
    ("lotka_volterra", 3, 10000): (0.9933, 0.99885),
    ("lotka_volterra", 1, 100000): (0.9962, 1.0),
    ("lotka_volterra", 2, 100000): (0.9987, 0.99845),
    ("lotka_volterra", 3, 100000): (0.9933, 0.998),
    ("sir", 1, 1000): (0.86245, 0.9577),
    ("sir", 2, 1000): (0.92705, 0.97375),
    ("sir", 3, 1000): (0.95945, 0.9705),
    ("sir", 1, 10000): (0.64745, 0.786),
    ("sir", 2, 10000): (0.65725, 0.88415),
    ("sir", 3, 10000): (0.57335, 0.8469),
    ("sir", 1, 100000): (0.61675, 0.7394),
    ("sir", 2, 100000): (0.63135, 0.7296),
    ("sir", 3, 100000): (0.5842, 0.6744),
}

N_DRAWS = 10_000


# ------------------------------------------------------------------ C2ST
def c2st(reference: np.ndarray, draws: np.ndarray, seed: int = 1, folds: int = 5) -> float:
    """sbibm's classifier two-sample test: mean 5-fold accuracy of an MLP telling the two samples apart."""
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.neural_network import MLPClassifier

    mean, sd = reference.mean(axis=0), reference.std(axis=0, ddof=1)
    x, y = (reference - mean) / sd, (draws - mean) / sd
    dim = x.shape[1]
    clf = MLPClassifier(activation="relu", hidden_layer_sizes=(10 * dim, 10 * dim), max_iter=10000,
                        solver="adam", random_state=seed)
    data = np.concatenate([x, y])
    target = np.concatenate([np.zeros(len(x)), np.ones(len(y))])
    scores = cross_val_score(clf, data, target, cv=KFold(n_splits=folds, shuffle=True, random_state=seed),
                             scoring="accuracy")
    return float(np.mean(scores))


def to_n(draws: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` rows of ``draws``: a subsample without replacement if there are enough, else resampled with it."""
    rng = np.random.default_rng(seed)
    return draws[rng.choice(len(draws), size=n, replace=len(draws) < n)]


# ------------------------------------------------------------------ sbibm files
def folder(task: str, obs: int) -> Path:
    return PEERS / task / f"obs{obs}"


def reference_draws(task: str, obs: int) -> np.ndarray:
    with bz2.open(folder(task, obs) / "reference_posterior_samples.csv.bz2", "rt") as fh:
        rows = list(csv.reader(fh))
    return np.array(rows[1:], dtype=float)


def observation_csv(task: str, obs: int, out_dir: Path) -> Path:
    """sbibm's observation as a CSV in the model's layout (time, then the observed columns)."""
    with open(folder(task, obs) / "observation.csv") as fh:
        values = np.array(list(csv.reader(fh))[1], dtype=float)
    spec = TASKS[task]
    times, columns = spec["times"], spec["columns"]
    table = values.reshape(len(columns), len(times))  # sbibm stacks the species: column-major in time
    path = out_dir / f"{task}_obs{obs}.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("time", *columns))
        for k, t in enumerate(times):
            w.writerow((repr(t), *(repr(float(v)) for v in table[:, k])))
    return path


def posterior_matrix(idata, params) -> np.ndarray:
    post = idata.posterior
    return np.column_stack([np.asarray(post[p].values, dtype=float).reshape(-1) for p in params])


# ------------------------------------------------------------------ runs
def population_for(budget: int, chains: int = 2, like_sbibm: bool = False) -> int:
    if like_sbibm:  # sbibm's smcabc.py heuristic
        return 1000 if budget > 10_000 else 100
    return int(min(1000, max(100, budget // (10 * chains))))


def run_abc(model, task: str, budget: int, seed: int, population: int | None, extra: dict, like_sbibm: bool):
    from ponder.runtime.methods import run_method

    pop = population or population_for(budget, extra.get("chains", 2), like_sbibm)
    started = time.perf_counter()
    idata = run_method(model, "abc", seed=seed, options={"simulations": budget, "population": pop, **extra})
    seconds = time.perf_counter() - started
    attrs = idata.posterior.attrs
    tolerances = attrs.get("abc_tolerances")
    tolerances = json.loads(tolerances) if isinstance(tolerances, str) else tolerances
    stopped = attrs.get("abc_stopped")
    stopped = json.loads(stopped) if isinstance(stopped, str) else stopped
    return {
        "draws": posterior_matrix(idata, TASKS[task]["params"]),
        "seconds": seconds,
        "simulations": int(attrs.get("simulations", -1)),
        "tolerance": "/".join(f"{tol[-1]:.3g}" for tol in tolerances) if tolerances else "?",
        "rounds": "/".join(str(len(tol) - 1) for tol in tolerances) if tolerances else "?",
        "stopped": "/".join(stopped) if stopped else "?",
        "population": pop,
    }


def run_npe(model, task: str, budget: int, seed: int, extra: dict):
    """ponder's ``npe`` (needs the sbi extra) at ``budget`` simulations."""
    from ponder.runtime.methods import run_method

    started = time.perf_counter()
    idata = run_method(model, "npe", seed=seed, options={"simulations": budget, "draws": N_DRAWS // 2, **extra})
    attrs = idata.posterior.attrs
    return {"draws": posterior_matrix(idata, TASKS[task]["params"]), "seconds": time.perf_counter() - started,
            "simulations": int(attrs.get("simulations", -1)), "tolerance": "-", "rounds": "-", "stopped": "-",
            "population": "-"}


def run_likelihood(model, task: str, seed: int, max_time: float, target_ess: int | None):
    started = time.perf_counter()
    idata = model.sample(seed=seed, max_time=max_time, target_ess=target_ess)
    seconds = time.perf_counter() - started
    return {"draws": posterior_matrix(idata, TASKS[task]["params"]), "seconds": seconds}


# ------------------------------------------------------------------ main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    ap.add_argument("--observations", nargs="+", type=int, default=[1], choices=[1, 2, 3])
    ap.add_argument("--budgets", nargs="+", type=int, default=[1000, 10_000, 100_000])
    ap.add_argument("--population", type=int, default=None, help="abc population per chain (default: budget/20 "
                    "clipped to [100, 1000])")
    ap.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                    help="another abc option (quantile, chains, distance, ...); default: abc's own")
    ap.add_argument("--like-sbibm", action="store_true", help="sbibm's SMC-ABC settings where abc has them: "
                    "one chain, quantile 0.2, population 100 (budget <= 10^4) or 1000")
    ap.add_argument("--method", default="abc", choices=("abc", "npe"),
                    help="the simulation-based method (npe needs the sbi extra; its options with --option)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-likelihood", action="store_true", help="leave out the likelihood-based reference rows")
    ap.add_argument("--max-time", type=float, default=300.0, help="max seconds of each likelihood-based run")
    ap.add_argument("--likelihood-ess", type=int, default=4000, help="target ESS of the second likelihood-based "
                    "run (the first has ponder's default, 400)")
    args = ap.parse_args(argv)
    extra = {"chains": 1, "quantile": 0.2} if args.like_sbibm else {}
    for item in args.option:
        name, _, value = item.partition("=")
        extra[name] = int(value) if value.isdigit() else (float(value) if _is_float(value) else value)

    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("sbi_c2st: needs scikit-learn for the C2ST classifier (not a ponder dependency): "
              "pip install scikit-learn")
        return 0
    if extra:
        print(f"abc options besides simulations and population: {extra}")
    if not PEERS.is_dir():
        print(f"sbi_c2st: sbibm's files are not at {PEERS} (set PONDER_PEERS to the folder holding sbibm/)")
        return 0

    import ponder

    header = (f"{'task':<15} {'obs':>3} {'method':<13} {'budget':>7} {'C2ST':>6} {'wall s':>7} {'sims':>7} "
              f"{'pop':>5} {'rounds':>6} {'final tol':>13} {'sbibm SMC':>9} {'sbibm REJ':>9}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="sbi_c2st_") as tmp:
        for task in args.tasks:
            for obs in args.observations:
                ref = reference_draws(task, obs)
                model = ponder.load(TASKS[task]["model"], data=[str(observation_csv(task, obs, Path(tmp)))])
                for budget in args.budgets:
                    if args.method == "npe":
                        r = run_npe(model, task, budget, args.seed, extra)
                        smc, rej = None, None  # the columns are sbibm's ABC figures
                    else:
                        r = run_abc(model, task, budget, args.seed, args.population, extra, args.like_sbibm)
                        smc, rej = SBIBM.get((task, obs, budget), (None, None))
                    score = c2st(ref, to_n(r["draws"], N_DRAWS, args.seed))
                    line = (f"{task:<15} {obs:>3} {args.method:<13} {budget:>7} {score:>6.3f} {r['seconds']:>7.1f} "
                            f"{r['simulations']:>7} {r['population']:>5} {r['rounds']:>6} {r['tolerance']:>13} "
                            f"{_fmt(smc):>9} {_fmt(rej):>9}")
                    rows.append(line)
                    print(line, f"(stopped: {r['stopped']})", flush=True)
                for ess in ([] if args.no_likelihood else [None, args.likelihood_ess]):
                    r = run_likelihood(model, task, args.seed, args.max_time, ess)
                    score = c2st(ref, to_n(r["draws"], N_DRAWS, args.seed))
                    label = "likelihood" if ess is None else f"lik. ESS {ess}"
                    line = (f"{task:<15} {obs:>3} {label:<13} {'-':>7} {score:>6.3f} {r['seconds']:>7.1f} "
                            f"{'-':>7} {'-':>5} {'-':>6} {'-':>13} {'':>9} {'':>9}")
                    rows.append(line)
                    print(line, f"({len(r['draws'])} draws)", flush=True)
    print()
    print(header)
    for line in rows:
        print(line)
    return 0


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    sys.exit(main())
