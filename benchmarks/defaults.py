"""Do default runs converge? `ponder run` with no options on every example, as a table.

For each example (and each sampler given with ``--samplers``; default: the
default sampler only) it runs ``ponder run EXAMPLE --seed S --quiet`` in a
fresh process and reads the results: the sampler, the wall time of the
whole command (start-up and compilation included), chains x draws, the
warm-up, why sampling stopped (``converged``, ``max_time``), the worst
R-hat and the smallest bulk and tail ESS over the parameters and derived
quantities, and the likelihood evaluations (rows evaluated through the
target; parallel tempering's Numba slice explorer evaluates inside its
kernel and is not counted).

    python benchmarks/defaults.py                       # every example, the defaults
    python benchmarks/defaults.py --samplers mh ensemble --examples straightwalk lotka-volterra
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("straightwalk", "lotka-volterra", "lineargauss", "ricker", "sir", "randomwalk", "randomwalk-replicates",
            "reservoir", "seasonal-sir", "pk-stiff")


def run_one(example: str, sampler: str | None, seed: int, folder: Path, extra: list[str]) -> dict:
    from ponder.runtime import convergence as cv
    from ponder.runtime.results import read_results

    out = folder / f"{example}-{sampler or 'default'}.nc"
    command = [sys.executable, "-m", "ponder", "run", str(ROOT / "examples" / example / f"{example}.model"),
               "--seed", str(seed), "--out", str(out), "--quiet"] + (["--sampler", sampler] if sampler else []) + extra
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        return {"example": example, "sampler": sampler or "?", "error": done.stderr.strip().splitlines()[-1:]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = read_results(out)
    post = idata.posterior
    params = {v: post[v].values for v, da in post.data_vars.items()
              if not any(str(d).startswith("time") for d in da.dims)}
    found = cv.diagnose(params)
    attrs = post.attrs
    return {
        "example": example, "sampler": attrs["sampler"], "wall_s": round(wall, 1),
        "chains": post.sizes["chain"], "draws": post.sizes["draw"], "warmup": int(attrs["warmup"]),
        "stopped": attrs.get("stopped"), "rhat": max(d.rhat for d in found),
        "ess_bulk": min(d.ess_bulk for d in found), "ess_tail": min(d.ess_tail for d in found),
        "evaluations": int(attrs.get("likelihood_evaluations", 0)), "warnings": len(cv.run_warnings(idata)),
        "threads": _threaded_share(attrs),
    }


def _threaded_share(attrs) -> str:
    """How many of the auto executor's batches ran on threads ("-" for another executor)."""
    batches = json.loads(attrs.get("resources", "{}")).get("executor_batches")
    if not batches:
        return "-"
    return f"{batches['threads']}/{batches['threads'] + batches['serial']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="+", default=list(EXAMPLES))
    parser.add_argument("--samplers", nargs="+", default=[None], help="samplers to try (default: the default)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of the table")
    parser.add_argument("extra", nargs="*", help="more `ponder run` flags, after --")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for example in args.examples:
            for sampler in args.samplers:
                row = run_one(example, sampler, args.seed, Path(folder), args.extra)
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
                else:
                    print(f"done: {row}", file=sys.stderr, flush=True)
    if args.json:
        return
    print("| example | sampler | wall (s) | chains x draws | warm-up | stopped | worst R-hat | min ESS bulk "
          "| min ESS tail | evaluations | batches on threads |")
    print("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['example']} | {r['sampler']} | error: {r['error']} |||||||")
            continue
        print(f"| {r['example']} | {r['sampler']} | {r['wall_s']} | {r['chains']} x {r['draws']} | {r['warmup']} "
              f"| {r['stopped']} | {r['rhat']:.4f} | {r['ess_bulk']:.0f} | {r['ess_tail']:.0f} "
              f"| {r['evaluations']} | {r['threads']} |")


if __name__ == "__main__":
    main()
