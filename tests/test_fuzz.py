"""Fuzzing the command line (issue 13): model texts from the real models and the grammar's pieces, mutated, with
spoilt data files. ``ponder check`` exits 0 or 2 with a message, never a traceback; of the cases that check, a few
are run (``--samples 20 --warmup 20``), which exits 0, 1 or 2 with a message. The cases and their verdicts are in
``tests/fuzzing.py``; ``benchmarks/fuzz.py`` is the long run of the same cases.

Hypothesis draws the cases through its ``randoms()`` with a fixed seed (``derandomize``), so every run of the
suite tries the same ones; the runs are the first generated models that check, at most :data:`RUNS` (each
compiles its kernels, a few seconds).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ponder.stdlib import BUILTIN_LIBRARY
from tests import fuzzing

CORPUS = fuzzing.seeds()
FUNCTIONS = {name: f.min_arity for name, f in BUILTIN_LIBRARY.functions.items()}
NAMES = tuple(BUILTIN_LIBRARY.distributions) + tuple(FUNCTIONS)
EXAMPLES = 150
RUNS = 3
RUN_ARGS = ["--samples", "20", "--warmup", "20", "--chains", "2", "--particles", "64", "--seed", "1", "--quiet"]

seen = {"checked": 0, "ok": 0, "runs": 0}


def test_the_corpus_holds_the_examples_and_the_bad_models():
    origins = {c.origin for c in CORPUS}
    assert {"sir/sir.model", "reservoir/reservoir.model", "bad/data_unsorted.model"} <= origins
    sir = next(c for c in CORPUS if c.origin == "sir/sir.model")
    assert set(sir.files) == {"sir.csv"} and sir.files["sir.csv"].startswith(b"time,reported")


def test_the_verdict_sees_a_crash_a_bad_exit_and_a_missing_message(monkeypatch):
    """The judge itself: an exception out of main, an exit code not allowed, an exit 2 with no message."""
    import ponder.cli

    def crash(args):
        raise ValueError("boom")

    monkeypatch.setattr(ponder.cli, "main", crash)
    assert fuzzing.verdict(["check", "x"]).problem.startswith("exception: Traceback")
    monkeypatch.setattr(ponder.cli, "main", lambda args: 1)
    assert fuzzing.verdict(["check", "x"]).problem == "exit code 1, expected one of (0, 2)"
    monkeypatch.setattr(ponder.cli, "main", lambda args: 2)
    assert fuzzing.verdict(["check", "x"]).problem == "exit code 2 without a message"


@settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rng=st.randoms(use_true_random=False))
def test_check_exits_0_or_2_with_a_message_and_a_tiny_run_0_1_or_2(rng):
    case = fuzzing.case(rng, CORPUS, FUNCTIONS, NAMES)
    with tempfile.TemporaryDirectory() as folder:
        model = case.write(Path(folder))
        checked = fuzzing.verdict(["check", str(model)])
        assert checked.problem is None, f"{case.origin}: {checked.problem}\n{case.text}\n{checked.err}"
        seen["checked"] += 1
        seen["ok"] += checked.code == 0
        if checked.code == 0 and case.origin == "generated" and seen["runs"] < RUNS:
            seen["runs"] += 1
            ran = fuzzing.verdict(["run", str(model), *RUN_ARGS, "--out", str(Path(folder) / "r.nc")], (0, 1, 2))
            assert ran.problem is None, f"run: {ran.problem}\n{case.text}\n{ran.err}"


#: what the long fuzz run (benchmarks/fuzz.py) found: each crashed `ponder check` before it was fixed
FOUND = {
    "a data file name of 300 characters (OSError: file name too long)":
        'param a ~ Normal(0, 1)\nstate x = a\nobserve y ~ Normal(x, 1)\ndata "' + "a" * 300 + '.csv"\n',
    "an input file name of 300 characters":
        'input r from "' + "r" * 300 + '.csv"\nstate x = 0\nstep { x += r }\nobserve y ~ Normal(x, 1)\ndata "d.csv"\n',
}


@pytest.mark.parametrize("text", FOUND.values(), ids=FOUND.keys())
def test_what_the_long_fuzz_run_found(text, tmp_path):
    model = fuzzing.Case(text, {"d.csv": b"time,y\n1,0.5\n2,1.5\n"}).write(tmp_path)
    checked = fuzzing.verdict(["check", str(model)])
    assert checked.problem is None and checked.code == 2, checked.problem
    assert checked.err.startswith("error: ") and "  = hint: " in checked.err, checked.err


def test_the_fuzz_run_checked_models_both_ways_and_ran_some():
    """The property above tried cases that check and cases that do not, and ran some (it runs first: file order)."""
    if seen["checked"] < EXAMPLES:
        pytest.skip("the property test did not run in this process")
    assert 0 < seen["ok"] < seen["checked"] and seen["runs"] == RUNS, seen
