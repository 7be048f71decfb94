"""The long fuzz run: the cases of ``tests/test_fuzz.py`` for minutes instead of seconds, with counts.

Each case (a mutated real model, a model built from the grammar's pieces,
now and then with its data file spoilt; see ``tests/fuzzing.py``) is
checked in this process (``ponder check``: exit 0 or 2 with a message);
of the cases that check, every ``--run-every``-th is run as well
(``ponder run --samples 20 --warmup 20``: exit 0, 1 or 2 with a message;
the messages of the runs that end with 1 or 2 are counted by their first
line, to read).
A case that takes longer than ``--timeout`` seconds counts as a hang. Each
problem is saved in ``--out`` (the model, its data files and what went
wrong), and the counts are printed at the end::

    python benchmarks/fuzz.py                         # 10 minutes from seed 1
    python benchmarks/fuzz.py --minutes 2 --seed 7 --out /tmp/fuzz
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ponder.stdlib import BUILTIN_LIBRARY  # noqa: E402
from tests import fuzzing  # noqa: E402

RUN_ARGS = ["--samples", "20", "--warmup", "20", "--chains", "2", "--particles", "64", "--seed", "1", "--quiet"]


class Hang(BaseException):
    """A case past its time (a BaseException, so that no ``except Exception`` in ponder takes it)."""


def _on_alarm(signum, frame):
    raise Hang()


def judged(args: list[str], allowed, timeout: float) -> fuzzing.Verdict:
    """:func:`fuzzing.verdict` of ``ponder ARGS`` within ``timeout`` seconds, else a verdict of a hang."""
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return fuzzing.verdict(args, allowed)
    except Hang:
        return fuzzing.Verdict(None, "", "", f"hang: more than {timeout:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def save(out: Path, number: int, command: str, case: fuzzing.Case, verdict: fuzzing.Verdict) -> Path:
    """The case and what went wrong, in a folder of its own under ``out``."""
    folder = out / f"{number:05d}-{command}"
    folder.mkdir(parents=True, exist_ok=True)
    case.write(folder)
    (folder / "problem.txt").write_text(f"origin: {case.origin}\n{verdict.problem}\n\nstderr:\n{verdict.err}\n"
                                        f"stdout:\n{verdict.out[-5000:]}\n")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--run-every", type=int, default=10, help="run every N-th case that checks (default 10)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a case may take (default 60)")
    parser.add_argument("--out", default="fuzz-problems", help="folder for the cases that went wrong")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _on_alarm)
    functions = {name: f.min_arity for name, f in BUILTIN_LIBRARY.functions.items()}
    names = tuple(BUILTIN_LIBRARY.distributions) + tuple(functions)
    corpus = fuzzing.seeds()
    rng = random.Random(args.seed)
    out = Path(args.out)
    counts = {"check": collections.Counter(), "run": collections.Counter()}
    problems = []
    refusals = collections.Counter()  # the first lines of the runs' messages, names and numbers left out
    started = time.monotonic()
    number = checked_ok = 0
    while time.monotonic() - started < 60 * args.minutes:
        if number and number % 500 == 0:
            print(f"{number} cases, {time.monotonic() - started:.0f} s: check {dict(counts['check'])}, "
                  f"run {dict(counts['run'])}", flush=True)
        number += 1
        case = fuzzing.case(rng, corpus, functions, names)
        with tempfile.TemporaryDirectory() as folder:
            model = case.write(Path(folder))
            verdict = judged(["check", str(model)], (0, 2), args.timeout)
            counts["check"][verdict.code if verdict.problem is None else "problem"] += 1
            if verdict.problem is not None:
                problems.append(save(out, number, "check", case, verdict))
                continue
            if verdict.code != 0:
                continue
            checked_ok += 1
            if checked_ok % args.run_every:
                continue
            run = judged(["run", str(model), *RUN_ARGS, "--out", str(Path(folder) / "r.nc")], (0, 1, 2),
                         args.timeout)
            counts["run"][run.code if run.problem is None else "problem"] += 1
            if run.problem is None and run.code:
                first = next((line for line in run.err.splitlines() if line.startswith("error: ")), run.err)
                refusals[re.sub(r"`[^`]*`|\d[\d.e+-]*", "_", first)[:100]] += 1
            if run.problem is not None:
                problems.append(save(out, number, "run", case, run))
    print(f"\n{number} cases in {time.monotonic() - started:.0f} s (seed {args.seed})")
    for command in ("check", "run"):
        shown = ", ".join(f"exit {k}: {v}" if k != "problem" else f"problems: {v}"
                          for k, v in sorted(counts[command].items(), key=str))
        print(f"  {command}: {sum(counts[command].values())} ({shown})")
    for line, count in refusals.most_common():
        print(f"  run ended with {count:>4} x {line}")
    for folder in problems:
        print(f"  problem: {folder}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
