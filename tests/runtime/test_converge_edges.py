"""Edges of the run loop that samples until converged (ponder.runtime.run, .plan, .convergence).

Warm-up/sampling boundaries, ``end_warmup`` and the likelihoods' lock, extensions, checkpoints and resumes
(interrupted, killed, continued), ``thin``, the time budget (with a fake clock), executors, vector parameters
and derived quantities in the check, the ``infer`` block's ``samples`` and the results' attributes.

Runs are kept small by shrinking the plan's constants (``small_plan``). Written as a review of the first
version of the loop: eight of these failed on it (the adaptive warm-up was never asked whether it settled,
``end_warmup`` ran never with warm-up 0 and again at each of pt's extensions, pt continued or resumed after
a time stop did not match a longer run, a changed ``--warmup`` on resume was ignored, pt's Numba scans were
not counted as evaluations); all pass on the fixed one.
"""

from __future__ import annotations

import math
import types
import warnings

import numpy as np
import pytest

import ponder
from ponder.runtime import convergence as cv
from ponder.runtime import plan as planmod
from ponder.runtime import run
from ponder.runtime.samplers import metropolis, tempering
from ponder.runtime.target import Target

warnings.filterwarnings("ignore", message=".*ArviZ is undergoing.*")

# mu ~ Normal(1, 2), 30 observations y ~ Normal(mu, 1.5): conjugate, exact likelihood, every proposal in support
CONJUGATE = 'param mu ~ Normal(1, 2)\nstate m = mu\nobserve y ~ Normal(m, 1.5)\ndata "y.csv"\n'
# a vector parameter and derived quantities (one a vector, one constant)
VECTOR = """
param a[2] ~ Normal(0, 2)
param s ~ LogNormal(0, 0.5)
derived total = a[0] + a[1]
derived twice = a * 2
derived fixed = 3
state m1 = a[0]
state m2 = a[1]
observe y1 ~ Normal(m1, s)
observe y2 ~ Normal(m2, s)
data "v.csv"
"""
FAR = 600.0  # a time budget no test reaches: the run's decisions then depend on its draws only


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edges")
    rng = np.random.default_rng(7)
    y = rng.normal(0.4, 1.5, 30)
    (folder / "y.csv").write_text("time,y\n" + "".join(f"{i + 1},{float(v)!r}\n" for i, v in enumerate(y)))
    v = rng.normal([0.5, -1.0], 0.8, (25, 2))
    (folder / "v.csv").write_text("time,y1,y2\n" + "".join(f"{i + 1},{float(a)!r},{float(b)!r}\n"
                                                        for i, (a, b) in enumerate(v)))
    return folder


@pytest.fixture(scope="module")
def conjugate(folder):
    return ponder.loads(CONJUGATE, base_dir=folder)


@pytest.fixture(scope="module")
def vector(folder):
    return ponder.loads(VECTOR, base_dir=folder)


@pytest.fixture
def small_plan(monkeypatch):
    """The plan's constants shrunk: warm-up at least 100 in blocks of 50, a first block of 100 draws, and a time
    budget that keeps at least 20 draws."""
    monkeypatch.setattr(planmod, "MIN_WARMUP", 100)
    monkeypatch.setattr(planmod, "FIRST_SAMPLES", 100)
    monkeypatch.setattr(run, "WARMUP_BLOCK", 50)
    monkeypatch.setattr(run, "MIN_SAMPLES", 20)
    return types.SimpleNamespace(min_warmup=100, block=50, first=100, min_samples=20)


@pytest.fixture
def fake_clock(monkeypatch):
    """The run loop's clock, moved on by ``clock.jump(seconds)`` (the wall clock and the samplers' are untouched)."""
    import time as real

    offset = [0.0]
    monkeypatch.setattr(run, "time", types.SimpleNamespace(monotonic=lambda: real.monotonic() + offset[0],
                                                           time=real.time, perf_counter=real.perf_counter))

    def jump(seconds):
        offset[0] += seconds

    return types.SimpleNamespace(jump=jump)


class Progress:
    """A progress display that records the iterations and notes, and at ``at`` raises ``error`` (an interrupt:
    KeyboardInterrupt; a kill: any other exception, which writes no checkpoint) or calls ``action``."""

    def __init__(self, at=None, error=None, action=None):
        self.at, self.error, self.action = at, error, action
        self.seen, self.notes, self.retargets = [], [], []

    def start(self, total, done, warmup=None):
        self.started = (total, done, warmup)

    def update(self, iteration, state, target):
        self.seen.append(iteration)
        if iteration == self.at:
            self.at = None
            if self.action is not None:
                self.action()
            if self.error is not None:
                raise self.error

    def note(self, line):
        self.notes.append(line)

    def retarget(self, total, warmup):
        self.retargets.append((total, warmup))

    def stop(self):
        pass


def same(a, b):
    """Posterior and sample_stats of two results equal exactly (same variables, same arrays)."""
    for group in ("posterior", "sample_stats"):
        ga, gb = getattr(a, group), getattr(b, group)
        assert set(ga.data_vars) == set(gb.data_vars), group
        for var in gb.data_vars:
            np.testing.assert_array_equal(ga[var].values, gb[var].values, err_msg=f"{group}.{var}")


def attrs(idata):
    return idata.posterior.attrs


def draws(idata):
    return idata.posterior.sizes["draw"]


def spy_steps(monkeypatch, events):
    """Record ("step", iteration, warmup) for every mh step and ("end",) / ("lock",) for the end of warm-up."""
    step, end, lock = metropolis.MetropolisSampler.step, run._end_warmup, Target.lock_adaptations

    def spied_step(self, state, iteration, warmup):
        events.append(("step", iteration, warmup))
        return step(self, state, iteration, warmup)

    def spied_end(sampler, target, state):
        events.append(("end",))
        return end(sampler, target, state)

    def spied_lock(self):
        events.append(("lock",))
        return lock(self)

    monkeypatch.setattr(metropolis.MetropolisSampler, "step", spied_step)
    monkeypatch.setattr(run, "_end_warmup", spied_end)
    monkeypatch.setattr(Target, "lock_adaptations", spied_lock)


def flags(events):
    return [(e[1], e[2]) for e in events if e[0] == "step"]


# ------------------------------------------------------------ warm-up / sampling boundaries
def test_fixed_warmup_flags_and_one_end_of_warmup_between_the_phases(conjugate, monkeypatch):
    events = []
    spy_steps(monkeypatch, events)
    idata = conjugate.sample(sampler="mh", samples=20, warmup=30, seed=1)
    assert flags(events) == [(i, i < 30) for i in range(50)]
    steps_before_end = [e for e in events[:events.index(("end",))] if e[0] == "step"]
    assert len(steps_before_end) == 30 and events.count(("end",)) == 1 and events.count(("lock",)) == 1
    assert events[events.index(("end",)) + 1] == ("lock",)  # _end_warmup locks the likelihoods' adaptations
    a = attrs(idata)
    assert draws(idata) == 20 and int(a["warmup"]) == 30 and int(a["iterations_done"]) == 50
    assert a["stopped"] == "samples" and int(a["until_converged"]) == 0 and int(a["partial"]) == 0
    assert idata.warmup_posterior.sizes["draw"] == 30


def test_fixed_run_counts_every_likelihood_evaluation(conjugate):
    """mh evaluates each chain's start once (a Normal prior: every draw is valid) and one proposal per chain and
    iteration; all proposals lie in the prior's support."""
    idata = conjugate.sample(sampler="mh", samples=20, warmup=30, chains=3, seed=1)
    assert int(attrs(idata)["likelihood_evaluations"]) == 3 * (1 + 30 + 20)


def test_warmup_zero_still_ends_the_warmup_before_the_first_draw(conjugate, monkeypatch):
    events = []
    spy_steps(monkeypatch, events)
    idata = conjugate.sample(sampler="mh", samples=10, warmup=0, seed=1)
    assert draws(idata) == 10 and int(attrs(idata)["warmup"]) == 0
    assert flags(events) == [(i, False) for i in range(10)]
    assert events[:2] == [("end",), ("lock",)]


def test_adaptive_warmup_flags_match_the_reported_warmup(conjugate, small_plan, monkeypatch):
    events = []
    spy_steps(monkeypatch, events)
    idata = conjugate.sample(sampler="mh", samples=25, seed=2, max_time=FAR)
    warmup = int(attrs(idata)["warmup"])
    assert warmup >= small_plan.min_warmup and (warmup - small_plan.min_warmup) % small_plan.block == 0
    assert flags(events) == [(i, i < warmup) for i in range(warmup + 25)]
    assert draws(idata) == 25 and int(attrs(idata)["iterations_done"]) == warmup + 25


def test_adaptive_warmup_asks_whether_it_settled_and_ends_once(conjugate, small_plan, monkeypatch):
    events, asked = [], []
    spy_steps(monkeypatch, events)
    settled = run.warmup_settled
    monkeypatch.setattr(run, "warmup_settled", lambda *a: asked.append(1) or settled(*a))
    idata = conjugate.sample(sampler="mh", samples=25, seed=2, max_time=FAR)
    warmup = int(attrs(idata)["warmup"])
    assert asked, "the warm-up never asked whether it settled"
    assert events.count(("end",)) == 1 and events.count(("lock",)) == 1
    assert len([e for e in events[:events.index(("end",))] if e[0] == "step"]) == warmup


def test_adaptive_warmup_extends_by_blocks_until_it_settles(conjugate, small_plan, monkeypatch):
    answers = iter([False, False])
    monkeypatch.setattr(run, "warmup_settled", lambda *a: next(answers, True))
    events = []
    spy_steps(monkeypatch, events)
    idata = conjugate.sample(sampler="mh", samples=25, seed=2, max_time=FAR)
    expected = small_plan.min_warmup + 2 * small_plan.block
    assert int(attrs(idata)["warmup"]) == expected and draws(idata) == 25
    assert flags(events) == [(i, i < expected) for i in range(expected + 25)]


# ------------------------------------------------------------ interrupts and resumes
@pytest.mark.parametrize("stop", [7, 29, 30, 31, 49, 50])  # in warm-up, its last, the boundary, sampling, the end
def test_fixed_run_interrupted_anywhere_resumes_bit_identically(conjugate, tmp_path, monkeypatch, stop):
    from ponder.runtime.results import read_results

    reference = conjugate.sample(sampler="mh", samples=20, warmup=30, seed=4)
    out = tmp_path / "r.nc"
    with pytest.raises(run.RunInterrupted) as stopped:
        run.sample(conjugate, out=out, progress=Progress(stop, KeyboardInterrupt()), sampler="mh", samples=20,
                   warmup=30, seed=4)
    assert stopped.value.iteration == stop
    if stop > 30:  # partial results: the draws so far
        partial = read_results(stopped.value.results)
        assert attrs(partial)["stopped"] == "interrupted" and int(attrs(partial)["partial"]) == 1
        np.testing.assert_array_equal(partial.posterior["mu"].values, reference.posterior["mu"].values[:, :stop - 30])
    else:
        assert stopped.value.results is None
    events = []
    spy_steps(monkeypatch, events)
    resumed = conjugate.sample(sampler="mh", samples=20, warmup=30, seed=4, out=out, resume=True)
    assert events.count(("end",)) == (1 if stop <= 30 else 0)  # the first session ended it when stop > 30
    same(resumed, reference)
    for key in ("likelihood_evaluations", "warmup", "stopped", "iterations_done"):
        assert attrs(resumed)[key] == attrs(reference)[key], key


def test_partial_results_of_an_interrupted_run_hold_the_draws_so_far(conjugate, tmp_path):
    from ponder.runtime.results import read_results

    reference = conjugate.sample(sampler="mh", samples=20, warmup=30, seed=4)
    with pytest.raises(run.RunInterrupted) as stopped:
        run.sample(conjugate, out=tmp_path / "p.nc", progress=Progress(42, KeyboardInterrupt()), sampler="mh",
                   samples=20, warmup=30, seed=4)
    partial = read_results(stopped.value.results)
    a = attrs(partial)
    assert a["stopped"] == "interrupted" and int(a["partial"]) == 1 and int(a["iterations_done"]) == 42
    assert draws(partial) == 12 and int(a["warmup"]) == 30
    np.testing.assert_array_equal(partial.posterior["mu"].values, reference.posterior["mu"].values[:, :12])


def test_interrupt_while_sampling_after_an_adaptive_warmup_writes_partial_results(conjugate, small_plan,
                                                                                  tmp_path):
    from ponder.runtime.results import read_results

    warmup = int(attrs(conjugate.sample(sampler="mh", samples=60, seed=4, max_time=FAR))["warmup"])
    with pytest.raises(run.RunInterrupted) as stopped:
        run.sample(conjugate, out=tmp_path / "a.nc", progress=Progress(warmup + 10, KeyboardInterrupt()),
                   sampler="mh", samples=60, seed=4, max_time=FAR)
    assert stopped.value.results is not None
    assert draws(read_results(stopped.value.results)) == 10


@pytest.mark.parametrize("sampler, stop", [("mh", 60), ("mh", 99), ("mh", 100), ("mh", 101), ("mh", 160),
                                           ("ensemble", 75), ("ensemble", 100)])
def test_adaptive_auto_run_interrupted_and_resumed_is_bit_identical(conjugate, small_plan, tmp_path, sampler, stop):
    """No --warmup (and for mh no --samples): interrupted in the warm-up (ensemble: just after a pruning), at its
    end, or while sampling, and resumed."""
    options = {"sampler": sampler, "seed": 6, "max_time": FAR}
    if sampler == "ensemble":  # its 16 walkers need thousands of iterations for R-hat 1.01: a fixed length
        options.update(samples=150)
    reference = conjugate.sample(**options)
    assert attrs(reference)["stopped"] == ("converged" if sampler == "mh" else "samples")
    out = tmp_path / "auto.nc"
    with pytest.raises(run.RunInterrupted):
        run.sample(conjugate, out=out, progress=Progress(stop, KeyboardInterrupt()), **options)
    resumed = conjugate.sample(out=out, resume=True, **options)
    same(resumed, reference)
    for key in ("likelihood_evaluations", "warmup", "stopped", "iterations_done", "until_converged"):
        assert attrs(resumed)[key] == attrs(reference)[key], key


# ------------------------------------------------------------ sampling until converged: extensions
@pytest.fixture
def extended(conjugate, small_plan):
    """An auto run with a fixed warm-up of 50 that needs extensions to reach ESS 400 (first block: 100 draws)."""
    progress = Progress()
    idata = run.sample(conjugate, progress=progress, sampler="mh", warmup=50, seed=8, max_time=FAR)
    totals = [total for total, _ in progress.retargets]
    assert attrs(idata)["stopped"] == "converged" and totals, "the run should have extended"
    return idata, [150] + totals  # plan.total at each decision: 50 + 100, then each extension's


def test_auto_run_extends_to_exactly_what_a_fixed_run_of_its_length_draws(conjugate, extended):
    idata, totals = extended
    n = draws(idata)
    assert int(attrs(idata)["iterations_done"]) == 50 + n == totals[-1] and n > 100
    [d] = cv.diagnose({"mu": idata.posterior["mu"].values})
    assert d.rhat <= 1.01 and d.ess_bulk >= 400 and d.ess_tail >= 400
    fixed = conjugate.sample(sampler="mh", samples=n, warmup=50, seed=8)
    same(idata, fixed)
    assert attrs(idata)["likelihood_evaluations"] == attrs(fixed)["likelihood_evaluations"]
    assert int(attrs(idata)["until_converged"]) == 1 and attrs(fixed)["stopped"] == "samples"


def test_auto_run_says_why_it_extends(conjugate, small_plan):
    progress = Progress()
    run.sample(conjugate, progress=progress, sampler="mh", warmup=50, seed=8, max_time=FAR)
    assert progress.notes[0].startswith("sampling until every parameter has R-hat <= 1.01")
    extending = [n for n in progress.notes if n.startswith("after ")]
    assert extending and all("not converged: mu" in n for n in extending)


def _stops(totals):
    first, second = totals[0], totals[1]
    return [first - 1, first, first + 1, (first + second) // 2, second]  # around and inside the first extension


@pytest.mark.parametrize("where", range(5))
def test_auto_run_interrupted_around_an_extension_resumes_bit_identically(conjugate, extended, tmp_path, where):
    reference, totals = extended
    if len(totals) < 2:
        pytest.skip("one extension only")
    stop = _stops(totals)[where]
    out = tmp_path / "e.nc"
    with pytest.raises(run.RunInterrupted) as stopped:
        run.sample(conjugate, out=out, progress=Progress(stop, KeyboardInterrupt()), sampler="mh", warmup=50,
                   seed=8, max_time=FAR)
    assert stopped.value.iteration == stop
    resumed = conjugate.sample(sampler="mh", warmup=50, seed=8, out=out, resume=True, max_time=FAR)
    same(resumed, reference)
    for key in ("likelihood_evaluations", "warmup", "stopped", "iterations_done"):
        assert attrs(resumed)[key] == attrs(reference)[key], key


def test_auto_run_killed_mid_extension_resumes_from_its_periodic_checkpoint(conjugate, extended, tmp_path):
    """A checkpoint every iteration (checkpoint_every=0); the run dies (not Ctrl-C: no checkpoint at the end)
    inside its first extension; --resume from the periodic checkpoint gives the uninterrupted draws."""
    from ponder.runtime import checkpoint as ckpt

    reference, totals = extended
    stop = (totals[0] + totals[1]) // 2
    out = tmp_path / "k.nc"
    with pytest.raises(RuntimeError, match="killed"):
        run.sample(conjugate, out=out, checkpoint_every=0.0, progress=Progress(stop, RuntimeError("killed")),
                   sampler="mh", warmup=50, seed=8, max_time=FAR)
    _, _, iteration, extra = ckpt.load(ckpt.path_for(out), _checkpoint_fingerprint(out))
    assert iteration == stop - 1 and extra["plan"]["samples"] + extra["plan"]["warmup"] == totals[1]
    resumed = conjugate.sample(sampler="mh", warmup=50, seed=8, out=out, resume=True, max_time=FAR)
    same(resumed, reference)
    assert attrs(resumed)["likelihood_evaluations"] == attrs(reference)["likelihood_evaluations"]


def _checkpoint_fingerprint(out):
    """The fingerprint stored in the checkpoint next to ``out`` (what ckpt.load checks)."""
    from ponder.runtime import checkpoint as ckpt

    return ckpt.read_header(ckpt.path_for(out))["fingerprint"]


def test_converged_auto_run_continued_with_more_samples_equals_a_longer_run(conjugate, small_plan, tmp_path):
    out = tmp_path / "c.nc"
    first = conjugate.sample(sampler="mh", seed=9, out=out, max_time=FAR)
    n = draws(first) + 37
    continued = conjugate.sample(sampler="mh", seed=9, out=out, resume=True, samples=n)
    fresh = conjugate.sample(sampler="mh", seed=9, samples=n, max_time=FAR)
    same(continued, fresh)
    assert attrs(continued)["warmup"] == attrs(fresh)["warmup"] == attrs(first)["warmup"]
    assert attrs(continued)["likelihood_evaluations"] == attrs(fresh)["likelihood_evaluations"]
    assert attrs(continued)["stopped"] == "samples" and draws(continued) == n


def test_resume_inside_the_warmup_with_another_warmup_is_honoured_or_refused(conjugate, tmp_path):
    from ponder.lang.errors import ModelError

    out = tmp_path / "w.nc"
    with pytest.raises(run.RunInterrupted):
        run.sample(conjugate, out=out, progress=Progress(10, KeyboardInterrupt()), sampler="mh", samples=20,
                   warmup=60, seed=4)
    try:
        resumed = conjugate.sample(sampler="mh", samples=20, warmup=30, seed=4, out=out, resume=True)
    except ModelError:
        return
    assert int(attrs(resumed)["warmup"]) == 30


# ------------------------------------------------------------ thin
# (Model.sample has no ``thin`` argument -- it would go to the sampler as an option -- so run.sample and the infer
# block set it)
def test_thin_keeps_every_thin_th_draw_of_exactly_samples_iterations(conjugate, folder):
    full = conjugate.sample(sampler="mh", samples=20, warmup=10, seed=3)
    thinned = run.sample(conjugate, sampler="mh", samples=20, warmup=10, seed=3, thin=3)
    assert draws(thinned) == len(range(0, 20, 3)) and int(attrs(thinned)["iterations_done"]) == 30
    np.testing.assert_array_equal(thinned.posterior["mu"].values, full.posterior["mu"].values[:, ::3])
    infer = ponder.loads(CONJUGATE + "infer { thin = 3 }\n", base_dir=folder)
    same(infer.sample(sampler="mh", samples=20, warmup=10, seed=3), thinned)


def test_auto_run_with_thin_converges_on_the_draws_it_keeps(conjugate, small_plan):
    idata = run.sample(conjugate, sampler="mh", warmup=50, seed=8, thin=3, max_time=FAR)
    a = attrs(idata)
    assert a["stopped"] == "converged"
    iterations = int(a["iterations_done"]) - int(a["warmup"])
    assert draws(idata) == len(range(0, iterations, 3))
    assert cv.unconverged(cv.diagnose({"mu": idata.posterior["mu"].values})) == []
    assert cv.run_warnings(idata) == []


# ------------------------------------------------------------ executors
@pytest.mark.parametrize("sampler", ["mh", "pt"])
def test_auto_run_draws_the_same_on_threads_as_serially(conjugate, small_plan, sampler, monkeypatch):
    monkeypatch.setattr(planmod, "FIRST_SAMPLES", 64)
    options = {"sampler": sampler, "seed": 11, "max_time": FAR, "chains": 4}
    serial = conjugate.sample(**options)
    threads = conjugate.sample(executor="threads", workers=2, **options)
    same(serial, threads)
    for key in ("stopped", "warmup", "iterations_done", "likelihood_evaluations"):
        assert attrs(serial)[key] == attrs(threads)[key], key


# ------------------------------------------------------------ vector parameters and derived quantities
def test_the_check_covers_every_element_of_vector_parameters_and_derived_quantities(vector):
    """convergence_of on made-up records: one chain of a[1] elsewhere fails a, a[1]'s derived quantities and
    nothing else; the constant derived quantity counts as converged."""
    assert list(vector.param_slot_names) == ["a[0]", "a[1]", "s"]
    rng = np.random.default_rng(0)
    z = rng.standard_normal((400, 4, 3))  # (iterations, chains, slots); to_theta below is the identity
    z[:, 0, 1] += 3.0
    identity = types.SimpleNamespace(to_theta=lambda z: (z, np.zeros(len(z))))
    plan = planmod.RunPlan(warmup=100, samples=300, warmup_settled=True, until_converged=True)
    found = {d.name: d for d in planmod.convergence_of(vector, identity, {"z": z}, plan, 1)}
    assert set(found) == {"a", "s", "total", "twice", "fixed"}
    failing = {d.name for d in cv.unconverged(list(found.values()), 1.01, 400)}
    assert failing == {"a", "total", "twice"}
    assert found["fixed"] == cv.Diagnostic("fixed", 1.0, math.inf, math.inf)
    # the check reads the sampling draws only: the warm-up rows before plan.warmup do not count
    z[:100, 1:, 1] += 50.0
    again = {d.name: d for d in planmod.convergence_of(vector, identity, {"z": z}, plan, 1)}
    assert again == found


def test_auto_run_of_a_vector_model_checks_its_derived_quantities(vector, small_plan, monkeypatch):
    asked = []
    checked = planmod.convergence_of
    monkeypatch.setattr(run, "convergence_of", lambda *a: asked.append(found := checked(*a)) or found)
    idata = vector.sample(sampler="mh", warmup=100, seed=5, max_time=FAR)
    assert attrs(idata)["stopped"] == "converged"
    assert {d.name for d in asked[-1]} == {"a", "s", "total", "twice", "fixed"}
    assert cv.unconverged(asked[-1]) == []
    post = idata.posterior
    assert post["a"].shape[2] == 2 and post["twice"].shape[2] == 2
    assert cv.unconverged(cv.diagnose({k: post[k].values for k in ("a", "s", "total", "twice", "fixed")})) == []


# ------------------------------------------------------------ the infer block's samples
def test_infer_block_samples_means_exactly_that_many(folder):
    model = ponder.loads(CONJUGATE + "infer { sampler = mh; samples = 40; warmup = 25 }\n", base_dir=folder)
    idata = model.sample(seed=2)
    a = attrs(idata)
    assert draws(idata) == 40 and int(a["warmup"]) == 25 and int(a["iterations_done"]) == 65
    assert a["stopped"] == "samples" and int(a["until_converged"]) == 0
    longer = model.sample(seed=2, samples=50)  # the call's value wins over the block's
    assert draws(longer) == 50


def test_infer_block_samples_with_an_adaptive_warmup(folder, small_plan, tmp_path):
    from ponder.lang.errors import ModelError

    model = ponder.loads(CONJUGATE + "infer { sampler = mh; samples = 40 }\n", base_dir=folder)
    out = tmp_path / "i.nc"
    idata = model.sample(seed=2, out=out, max_time=FAR)
    assert draws(idata) == 40 and attrs(idata)["stopped"] == "samples"
    with pytest.raises(ModelError, match="has finished"):
        model.sample(seed=2, out=out, resume=True)


# ------------------------------------------------------------ the time budget
def test_time_budget_stops_at_the_iteration_it_runs_out_and_resume_goes_on(conjugate, small_plan, fake_clock,
                                                                           tmp_path):
    out = tmp_path / "t.nc"
    progress = Progress(50 + 33, action=lambda: fake_clock.jump(1e6))
    stopped = run.sample(conjugate, out=out, progress=progress, sampler="mh", warmup=50, seed=8, max_time=FAR)
    a = attrs(stopped)
    assert a["stopped"] == "max_time" and draws(stopped) == 33 and int(a["iterations_done"]) == 83
    assert cv.run_warnings(stopped)[0].startswith("not converged")
    resumed = run.sample(conjugate, out=out, resume=True, progress=Progress(), sampler="mh", warmup=50, seed=8,
                         max_time=FAR)
    assert attrs(resumed)["stopped"] == "converged" and draws(resumed) > 33
    np.testing.assert_array_equal(resumed.posterior["mu"].values[:, :33], stopped.posterior["mu"].values)


def test_time_budget_keeps_at_least_min_samples(conjugate, small_plan, fake_clock):
    progress = Progress(50 + 5, action=lambda: fake_clock.jump(1e6))
    idata = run.sample(conjugate, progress=progress, sampler="mh", warmup=50, seed=8, max_time=FAR)
    assert attrs(idata)["stopped"] == "max_time" and draws(idata) == small_plan.min_samples


def test_time_budget_spent_in_the_adaptive_warmup_still_gives_consistent_results(conjugate, small_plan, fake_clock):
    """The budget runs out in the warm-up: the run ends with at least MIN_SAMPLES draws after a warm-up no longer
    than its minimum, and its attributes add up."""
    progress = Progress(40, action=lambda: fake_clock.jump(1e6))
    idata = run.sample(conjugate, progress=progress, sampler="mh", seed=8, max_time=FAR)
    a = attrs(idata)
    assert a["stopped"] == "max_time" and int(a["warmup"]) <= small_plan.min_warmup
    assert draws(idata) >= small_plan.min_samples and int(a["iterations_done"]) == int(a["warmup"]) + draws(idata)
    assert progress.seen == list(range(1, int(a["iterations_done"]) + 1))


def test_time_budget_inside_a_pt_round_keeps_the_round_so_far(conjugate, small_plan, fake_clock, monkeypatch):
    monkeypatch.setattr(planmod, "FIRST_SAMPLES", 128)  # the first sampling round: scans 127 ... 254
    monkeypatch.setattr(tempering, "BLOCK_SECONDS", 0.0)  # one scan per block
    progress = Progress(147, action=lambda: fake_clock.jump(1e6))
    idata = run.sample(conjugate, progress=progress, sampler="pt", chains=4, seed=5, max_time=FAR)
    a = attrs(idata)
    assert a["stopped"] == "max_time" and int(a["warmup"]) == 127 and int(a["iterations_done"]) == 147
    assert draws(idata) == 20


def test_pt_resumed_after_the_time_budget_stopped_it_inside_a_round(conjugate, small_plan, fake_clock, monkeypatch,
                                                                    tmp_path):
    monkeypatch.setattr(planmod, "FIRST_SAMPLES", 128)
    monkeypatch.setattr(tempering, "BLOCK_SECONDS", 0.0)
    out = tmp_path / "ptm.nc"
    options = {"sampler": "pt", "chains": 4, "seed": 5, "max_time": FAR, "target_ess": 60, "target_rhat": 1.5}
    first = run.sample(conjugate, out=out, progress=Progress(147, action=lambda: fake_clock.jump(1e6)), **options)
    assert attrs(first)["stopped"] == "max_time" and draws(first) == 20
    resumed = run.sample(conjugate, out=out, resume=True, progress=Progress(), **options)
    a = attrs(resumed)
    assert int(a["iterations_done"]) >= 147 and int(a["warmup"]) >= 127


# ------------------------------------------------------------ parallel tempering's rounds
@pytest.mark.parametrize("stop", [62, 63, 64, 127])  # end of warm-up round 6's neighbours, the run's end
def test_pt_interrupted_at_round_boundaries_resumes_bit_identically(conjugate, tmp_path, monkeypatch, stop):
    monkeypatch.setattr(tempering, "BLOCK_SECONDS", 0.0)
    reference = conjugate.sample(sampler="pt", samples=64, chains=4, seed=7)
    assert int(attrs(reference)["warmup"]) == 63
    out = tmp_path / "pt.nc"
    with pytest.raises(run.RunInterrupted) as stopped:
        run.sample(conjugate, out=out, progress=Progress(stop, KeyboardInterrupt()), sampler="pt", samples=64,
                   chains=4, seed=7)
    assert stopped.value.iteration == stop
    resumed = conjugate.sample(sampler="pt", samples=64, chains=4, seed=7, out=out, resume=True)
    same(resumed, reference)
    for key in ("log_evidence", "log_evidence_se", "pt_schedule", "pt_swap_rates", "warmup", "stopped"):
        assert attrs(resumed)[key] == attrs(reference)[key], key
    assert _round_table(resumed) == _round_table(reference)


def _round_table(idata):
    """pt's round table without its wall-clock column."""
    import json

    table = json.loads(attrs(idata)["pt_round_table"])
    seconds = table["columns"].index("seconds")
    return [row[:seconds] + row[seconds + 1:] for row in table["rows"]]


def test_pt_auto_run_interrupted_at_its_extension_resumes_bit_identically(conjugate, small_plan, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr(planmod, "FIRST_SAMPLES", 64)
    monkeypatch.setattr(tempering, "BLOCK_SECONDS", 0.0)
    options = {"sampler": "pt", "chains": 4, "seed": 7, "max_time": FAR}
    reference = conjugate.sample(**options)
    assert int(attrs(reference)["warmup"]) > 63  # it extended past its first sampling round
    out = tmp_path / "pta.nc"
    with pytest.raises(run.RunInterrupted):
        run.sample(conjugate, out=out, progress=Progress(127, KeyboardInterrupt()), **options)
    resumed = conjugate.sample(out=out, resume=True, **options)
    same(resumed, reference)
    assert attrs(resumed)["log_evidence"] == attrs(reference)["log_evidence"]


def test_pt_auto_run_ends_its_warmup_once(conjugate, small_plan, monkeypatch):
    monkeypatch.setattr(planmod, "FIRST_SAMPLES", 64)
    ended = []
    end = tempering.ParallelTempering.end_warmup
    monkeypatch.setattr(tempering.ParallelTempering, "end_warmup", lambda self, s: ended.append(1) or end(self, s))
    idata = conjugate.sample(sampler="pt", chains=4, seed=5, max_time=FAR)
    assert int(attrs(idata)["warmup"]) > 63  # extended
    assert len(ended) == 1


def test_pt_continued_with_more_samples_equals_a_longer_run(conjugate, tmp_path):
    out = tmp_path / "ptc.nc"
    conjugate.sample(sampler="pt", samples=64, chains=4, seed=5, out=out)
    continued = conjugate.sample(sampler="pt", samples=128, chains=4, seed=5, out=out, resume=True)
    fresh = conjugate.sample(sampler="pt", samples=128, chains=4, seed=5)
    assert attrs(continued)["warmup"] == attrs(fresh)["warmup"] == 127
    same(continued, fresh)


# a random walk seen through little noise on the first 8 points of y.csv: stochastic, so pt explores with MH on a
# particle filter, and a noisy filter at 8 particles (its particle number climbs)
NOISY = ('param mu ~ Normal(1, 2)\nstate m = mu\nstep {\n    e ~ Normal(0, 1)\n    m += e\n}\n'
         'observe y ~ Normal(m, 0.3)\ndata "y8.csv"\n')


@pytest.mark.parametrize("particles", ["32", "8:256"])
def test_pt_on_a_particle_filter_continued_equals_a_longer_run(folder, tmp_path, particles):
    """The MH explorer's steps adapt between rounds, and particle numbers before scan PARTICLE_SCANS only, so
    neither depends on where the warm-up ends (they adapted during the warm-up's scans before)."""
    lines = (folder / "y.csv").read_text().splitlines()
    (folder / "y8.csv").write_text("\n".join(lines[:9]) + "\n")
    noisy = ponder.loads(NOISY, base_dir=folder)
    short = 16 if particles == "32" else 512  # a warm-up of 1023 scans: longer than PARTICLE_SCANS (511)
    options = dict(sampler="pt", chains=4, seed=5, particles=particles)
    out = tmp_path / "pf.nc"
    noisy.sample(samples=short, out=out, **options)
    continued = noisy.sample(samples=2 * short, out=out, resume=True, **options)
    fresh = noisy.sample(samples=2 * short, **options)
    assert attrs(continued)["warmup"] == attrs(fresh)["warmup"] == 2 * short - 1
    assert attrs(fresh)["likelihood"] == "pf"
    same(continued, fresh)
    assert attrs(continued)["final_particles"] == attrs(fresh)["final_particles"]


def test_pt_mh_explorer_steps_move_towards_the_target_acceptance():
    rates = np.array([0.0, 0.05, 0.234, 0.6, 1.0])
    factors = np.exp(tempering.rescale_for_acceptance(rates))
    assert factors[2] == pytest.approx(1.0)
    assert np.all(factors[:2] < 1) and np.all(factors[3:] > 1)  # too few accepted: shorter steps; too many: longer
    assert factors.min() >= 1 / 3 - 1e-12 and factors.max() <= 3 + 1e-12


def test_pt_counts_the_likelihood_evaluations_of_its_fast_scans(conjugate):
    idata = conjugate.sample(sampler="pt", samples=64, chains=4, seed=5)
    scans = int(attrs(idata)["iterations_done"])
    # every scan, each of the 3 tempered replicas of each of the 2 chains evaluates at least one slice point
    assert int(attrs(idata)["likelihood_evaluations"]) >= scans * 3 * 2


def test_pt_python_scans_count_their_likelihood_evaluations(conjugate, monkeypatch):
    from ponder.runtime.samplers import fast_slice

    monkeypatch.setattr(fast_slice.FastSlice, "applies", staticmethod(lambda target: False))
    idata = conjugate.sample(sampler="pt", samples=16, chains=4, seed=5)
    assert int(attrs(idata)["likelihood_evaluations"]) >= int(attrs(idata)["iterations_done"]) * 3 * 2


# ------------------------------------------------------------ records
def test_grow_keeps_what_is_recorded_and_makes_room():
    records = {"z": np.arange(12.0).reshape(6, 2, 1), "accept": np.ones((6, 2))}
    grown = run._grow(records, 7)
    assert len(grown["z"]) >= 7 and grown["z"].dtype == records["z"].dtype
    np.testing.assert_array_equal(grown["z"][:6], records["z"])
    assert run._grow(grown, 5) is grown
