"""Do checkpoints stay small and fast as a run gets long? Bytes and time per checkpoint over one long run.

Samples straightwalk with the ensemble sampler (16 walkers; every
iteration records positions, pointwise log-likelihoods, ESS and
trajectories, about 20 KB) and checkpoints every ``--every`` iterations
(the run loop checkpoints by time; here each save is let through at a
fixed iteration count, so that checkpoints at different iterations are
comparable). For each checkpoint it measures the bytes appended and the
seconds taken (fsync included), and prints them near iterations 1k, 10k,
30k, ..., next to what a checkpoint that rewrites every record so far (the
format before append-only checkpoints) writes and takes at the same
iteration. At the end it loads the checkpoint, as ``--resume`` does.

    python benchmarks/checkpoints.py                    # 30,000 iterations, a checkpoint every 100
    python benchmarks/checkpoints.py --samples 5000 --every 50
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MARKS = (1_000, 3_000, 10_000, 30_000, 100_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30_000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--every", type=int, default=100, help="iterations between checkpoints")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import ponder
    from ponder.runtime import checkpoint as ckpt
    from ponder.runtime import run

    model = ponder.load(ROOT / "examples" / "straightwalk" / "straightwalk.model")
    saves = []  # (iteration, rows in the frame, bytes, seconds)
    rewrites = []  # (iteration, bytes, seconds) of the whole-file rewrite at the marks
    marks = [m for m in MARKS if m < args.warmup + args.samples]
    append = ckpt.Checkpoint.save

    def measured(self, state, records, iteration, extra):
        if self.end is not None and iteration - self.written < args.every:
            return 0  # not yet: checkpoints at a fixed iteration count
        rows = iteration - self.written
        started = time.perf_counter()
        size = append(self, state, records, iteration, extra)
        saves.append((iteration, rows, size, time.perf_counter() - started))
        if marks and iteration >= marks[0]:
            marks.pop(0)
            whole = self.path.with_name("whole.checkpoint")
            started = time.perf_counter()
            size = append(ckpt.Checkpoint(whole, self.fingerprint), state, records, iteration, extra)  # a new file
            rewrites.append((iteration, size, time.perf_counter() - started))
            whole.unlink()
        return size

    ckpt.Checkpoint.save = measured
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "straightwalk.nc"
        started = time.perf_counter()
        run.sample(model, out=out, sampler="ensemble", samples=args.samples, warmup=args.warmup, seed=args.seed,
                   checkpoint_every=0.0)
        seconds = time.perf_counter() - started
        path = ckpt.path_for(out)
        total = path.stat().st_size
        started = time.perf_counter()
        ckpt.load(path, ckpt.read_header(path)["fingerprint"])
        loaded = time.perf_counter() - started
    ckpt.Checkpoint.save = append

    print(f"straightwalk, ensemble, {args.warmup} + {args.samples} iterations in {seconds:.0f} s; "
          f"{len(saves)} checkpoints, one every {args.every} iterations\n")
    print(f"{'iteration':>10} {'appended':>12} {'ms':>8}   {'rewrite all':>12} {'ms':>8}")
    for iteration, size, took in rewrites:
        near = min(saves, key=lambda s: abs(s[0] - iteration))
        print(f"{iteration:>10,} {_mb(near[2]):>12} {1e3 * near[3]:>8.1f}   {_mb(size):>12} {1e3 * took:>8.1f}")
    sizes = np.array([s[2] for s in saves[1:-1] if s[1] == args.every])
    times = 1e3 * np.array([s[3] for s in saves[1:-1] if s[1] == args.every])
    print(f"\nevery checkpoint of {args.every} iterations: {_mb(sizes.min())} to {_mb(sizes.max())}, "
          f"{np.median(times):.1f} ms median, {np.percentile(times, 95):.1f} ms at the 95th percentile")
    first, last = np.array_split(times, 2)
    print(f"median time, first half of the run {np.median(first):.1f} ms, second half {np.median(last):.1f} ms")
    appended = sum(s[2] for s in saves)
    print(f"checkpoint file {_mb(total)}; all checkpoints wrote {_mb(appended)} "
          f"(rewriting every record at each would have written about "
          f"{_mb(sum(s[0] for s in saves) * total / max(saves[-1][0], 1))}); loading it took {loaded:.2f} s")


def _mb(size: float) -> str:
    return f"{size / 1e6:,.2f} MB" if size >= 1e5 else f"{size / 1e3:,.1f} KB"


if __name__ == "__main__":
    main()
