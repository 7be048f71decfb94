"""Runs that sample until converged, say so when not, and continue: ponder.runtime.plan and .convergence."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ponder
from ponder.runtime import checkpoint
from ponder.runtime import convergence as cv

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples"
# mu ~ Normal(1, 2), 30 observations y ~ Normal(mu, 1.5): the posterior is Normal (conjugate)
CONJUGATE = 'param mu ~ Normal(1, 2)\nstate m = mu\nobserve y ~ Normal(m, 1.5)\ndata "y.csv"\n'


def _conjugate(tmp_path):
    rng = np.random.default_rng(7)
    y = rng.normal(0.4, 1.5, 30)
    (tmp_path / "y.csv").write_text("time,y\n" + "".join(f"{i + 1},{float(v)!r}\n" for i, v in enumerate(y)))
    (tmp_path / "c.model").write_text(CONJUGATE)
    precision = 1 / 4 + 30 / 1.5**2
    mean = (1 / 4 + y.sum() / 1.5**2) / precision
    return ponder.load(tmp_path / "c.model"), mean, math.sqrt(1 / precision)


# ------------------------------------------------------------ the diagnostics
@pytest.mark.parametrize("seed", range(12))
def test_diagnostics_agree_with_arviz(seed):
    """Rank-normalised split R-hat and bulk ESS equal ArviZ's to rounding; tail ESS within 5% (ArviZ 0.23 counts
    ties at the 5% and 95% quantiles slightly differently in rare cases)."""
    az = pytest.importorskip("arviz")
    if not hasattr(az, "rhat"):
        pytest.skip("ArviZ without rhat")
    rng = np.random.default_rng(seed)
    chains, draws = int(rng.integers(2, 9)), int(rng.integers(20, 800))
    x = np.cumsum(rng.standard_normal((chains, draws)), axis=1) * rng.uniform(0, 0.5) + rng.standard_normal(
        (chains, draws))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cv.rhat(x) == pytest.approx(float(az.rhat(x)), rel=1e-9)
        assert cv.ess_bulk(x) == pytest.approx(float(az.ess(x)), rel=1e-9)
        assert cv.ess_tail(x) == pytest.approx(float(az.ess(x, method="tail")), rel=0.05)


def test_diagnostics_on_independent_and_on_separated_chains():
    rng = np.random.default_rng(1)
    iid = rng.standard_normal((4, 1000))
    assert cv.rhat(iid) < 1.01
    # ESS of 4000 independent draws: its sd over repetitions is a few percent
    assert 3400 < cv.ess_bulk(iid) < 4600 and 3000 < cv.ess_tail(iid) < 5000
    apart = iid + np.array([0.0, 0.0, 0.0, 1.0])[:, None]  # one chain elsewhere
    assert cv.rhat(apart) > 1.05  # sqrt(1 + var of the split means, 0.21) = 1.10 before rank normalisation
    [d] = cv.diagnose({"x": apart})
    assert d.failures(1.01, 400) and "R-hat" in d.failures(1.01, 400)[0]
    assert cv.unconverged(cv.diagnose({"x": iid})) == []


# ------------------------------------------------------------ runs
def test_default_run_samples_until_converged_and_is_right(tmp_path):
    model, mean, sd = _conjugate(tmp_path)
    idata = model.sample(seed=3)
    post = idata.posterior
    attrs = post.attrs
    assert attrs["stopped"] == "converged" and attrs["until_converged"] == 1
    assert cv.run_warnings(idata) == []
    [d] = cv.diagnose({"mu": post["mu"].values})
    assert d.rhat <= 1.01 and d.ess_bulk >= 400 and d.ess_tail >= 400
    mu = post["mu"].values
    mcse = mu.std() / math.sqrt(d.ess_bulk)
    assert abs(mu.mean() - mean) < 4 * mcse
    assert abs(mu.std() - sd) < 0.1 * sd  # the sd's relative MCSE at ESS >= 400 is about 1/sqrt(2 ESS) < 4%


def test_samples_given_means_exactly_that_many(tmp_path):
    model, _, _ = _conjugate(tmp_path)
    idata = model.sample(seed=3, samples=37, warmup=20)
    assert idata.posterior.sizes["draw"] == 37
    assert idata.posterior.attrs["stopped"] == "samples" and int(idata.posterior.attrs["warmup"]) == 20


def test_adaptive_warmup_is_at_least_its_minimum_in_whole_blocks(tmp_path):
    from ponder.runtime.plan import MIN_WARMUP, WARMUP_BLOCK

    model, _, _ = _conjugate(tmp_path)
    warmup = int(model.sample(seed=3, samples=50).posterior.attrs["warmup"])
    assert warmup >= MIN_WARMUP and (warmup - MIN_WARMUP) % WARMUP_BLOCK == 0


def test_time_budget_stops_and_the_run_says_it_did_not_converge(tmp_path):
    model = ponder.load(EXAMPLES / "randomwalk" / "randomwalk.model")
    idata = model.sample(seed=1, max_time=2.0, particles=512)  # 500 iterations: seconds even on a fast machine
    attrs = idata.posterior.attrs
    assert attrs["stopped"] == "max_time"
    assert idata.posterior.sizes["draw"] >= 100  # plan.MIN_SAMPLES
    found = cv.run_warnings(idata)
    assert found and found[0].startswith("not converged") and "--max-time" in found[0]
    # 500 warm-up iterations of this filter take longer than half of the 2 s: the warm-up was cut, and it says so
    assert attrs["warmup_cut"] == 1 and int(attrs["warmup"]) < 500
    assert any(w.startswith("the warm-up was cut short") for w in found)


def test_continuing_a_finished_run_draws_what_a_longer_run_draws(tmp_path):
    """`--resume --samples N` after a run of fewer samples: bit-identical to asking for N at once, and no
    likelihood evaluated twice (the evaluation counts are equal)."""
    model, _, _ = _conjugate(tmp_path)
    short = tmp_path / "short.nc"
    model.sample(seed=5, samples=120, warmup=80, out=short)
    assert checkpoint.path_for(short).exists()
    continued = model.sample(seed=5, samples=300, out=short, resume=True)
    fresh = model.sample(seed=5, samples=300, warmup=80)
    for group in ("posterior", "sample_stats"):
        a, b = getattr(continued, group), getattr(fresh, group)
        for var in b.data_vars:
            np.testing.assert_array_equal(a[var].values, b[var].values, err_msg=var)
    assert continued.posterior.attrs["likelihood_evaluations"] == fresh.posterior.attrs["likelihood_evaluations"]


def test_resuming_a_finished_run_without_more_samples_is_a_user_error(tmp_path):
    from ponder.lang.errors import ModelError

    model, _, _ = _conjugate(tmp_path)
    out = tmp_path / "r.nc"
    model.sample(seed=5, out=out, max_time=60)
    with pytest.raises(ModelError, match="has finished"):
        model.sample(seed=5, out=out, resume=True)
    with pytest.raises(ModelError, match="asks for fewer"):
        model.sample(seed=5, out=out, resume=True, samples=10)


def test_mh_default_warmup_does_not_freeze_on_straightwalk():
    """The issue's case: an mh chain stuck in a minor mode (origin at the prior bound 150, R-hat 1.54) once the
    warm-up had fixed its proposal. Windowed adaptation moves stuck chains; the run converges."""
    model = ponder.load(EXAMPLES / "straightwalk" / "straightwalk.model")
    for seed in (1, 2, 3):
        idata = model.sample(sampler="mh", seed=seed, max_time=120)
        assert idata.posterior.attrs["stopped"] == "converged", seed
        assert float(idata.posterior["origin"].mean()) < 140


def test_pf_noise_warning_fires_with_too_few_particles():
    model = ponder.load(EXAMPLES / "randomwalk" / "randomwalk.model")
    idata = model.sample(seed=2, samples=60, warmup=60, particles=8, chains=8)
    assert any("particle filter's log-likelihood estimates have sd" in w for w in cv.run_warnings(idata))


def test_strict_run_that_did_not_converge_exits_1(tmp_path, ponder_cli):
    model, _, _ = _conjugate(tmp_path)
    args = ["run", tmp_path / "c.model", "--samples", "30", "--warmup", "30", "--seed", "1", "--out",
            tmp_path / "s.nc", "--quiet"]
    plain = ponder_cli(*args)
    assert plain.returncode == 0 and "not converged" in plain.stderr
    strict = ponder_cli(*args, "--strict")
    assert strict.returncode == 1 and "not converged" in strict.stderr
    summary = ponder_cli("summary", tmp_path / "s.nc")
    assert summary.returncode == 0 and "not converged" in summary.stderr


def test_a_given_warmup_holds_particle_numbers_for_its_first_half_at_most_locate():
    """An explicit --warmup W (PMMH far from the posterior) also climbs at the minimum N before adapting."""
    from ponder.runtime.plan import LOCATE, RunPlan

    given = RunPlan(300, 100, True, False)
    assert given.holds_particles(149) and not given.holds_particles(150)
    long = RunPlan(10_000, 100, True, False)
    assert long.holds_particles(LOCATE - 1) and not long.holds_particles(LOCATE)
    adaptive = RunPlan(500, 100, False, True, adaptive_warmup=True)
    assert adaptive.holds_particles(LOCATE - 1) and not adaptive.holds_particles(LOCATE)
    assert not RunPlan(0, 100, True, False).holds_particles(0)


def test_ensemble_pruning_warnings_fire_when_walkers_are_still_stranded(tmp_path):
    """A 25-iteration warm-up from a prior 100x wider than the posterior ends with walkers stranded; 500 do not."""
    rng = np.random.default_rng(3)
    (tmp_path / "y.csv").write_text("time,y\n" + "".join(f"{i + 1},{float(v)!r}\n" for i, v in enumerate(rng.normal(5, 0.1, 20))))
    (tmp_path / "w.model").write_text('param mu ~ Normal(0, 100)\nstate m = mu\nobserve y ~ Normal(m, 0.1)\ndata "y.csv"\n')
    model = ponder.load(tmp_path / "w.model")
    short = model.sample(sampler="ensemble", warmup=25, samples=20, seed=1)
    assert int(short.posterior.attrs["pruned_last"]) > 0
    assert any("still stranded" in w for w in cv.run_warnings(short))
    settled = model.sample(sampler="ensemble", warmup=500, samples=20, seed=1)
    assert int(settled.posterior.attrs["prunings"]) == 20
    assert not any("stranded" in w or "pruned" in w for w in cv.run_warnings(settled))


def test_pruning_again_and_again_is_a_warning():
    attrs = {"pruned_last": 0, "pruned_walkers": 40, "prunings": 20}
    assert cv._pruning_warnings(attrs, 16) and "pruned 40 times in 20 prunings of 16" in cv._pruning_warnings(attrs, 16)[0]
    assert cv._pruning_warnings({**attrs, "pruned_walkers": 32}, 16) == []  # 10% of 320 walker-prunings
    assert cv._pruning_warnings({}, 16) == []  # mh, pt and older results carry no counts
