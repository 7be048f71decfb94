"""ABC-SMC (method ``abc``): the conjugate posterior, the same draws on every executor and after a resume."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import ponder
from ponder.lang.errors import ModelError
from ponder.runtime import arviz_io
from ponder.runtime.methods import rounds_path, run_method

# mu ~ N(0, 2^2); one observation ybar = 0.8 ~ N(mu, 0.5^2): the posterior is N(0.8 * 4 / 4.25, 1 / 4.25)
CONJUGATE = 'param mu ~ Normal(0, 2)\nstate m = mu\nobserve ybar ~ Normal(m, 0.5)\ndata "d.csv"\n'
EXACT_MEAN, EXACT_SD = 0.8 * 4 / 4.25, math.sqrt(1 / 4.25)
OPTIONS = {"population": 400, "simulations": 24000}


@pytest.fixture(scope="module")
def conjugate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("abc")
    (folder / "d.csv").write_text("time,ybar\n1,0.8\n")
    return ponder.loads(CONJUGATE, base_dir=folder)


def _mu(idata):
    return arviz_io.group(idata, "posterior")["mu"].values


def test_abc_finds_the_conjugate_posterior(conjugate):
    idata = run_method(conjugate, "abc", seed=1, options=OPTIONS)
    mu = _mu(idata)
    attrs = arviz_io.group(idata, "posterior").attrs
    assert mu.shape == (2, 400)
    ess = min(json.loads(attrs["abc_ess"]))
    assert ess > 200
    assert abs(mu.mean() - EXACT_MEAN) < 4 * EXACT_SD / math.sqrt(2 * ess)
    # the ABC posterior is the exact one widened by the last tolerance (a uniform kernel of half-width eps adds
    # eps^2 / 3 to the variance); eps is in units of the prior predictive's spread, sqrt(4 + 0.25)
    eps = max(t[-1] for t in json.loads(attrs["abc_tolerances"])) * math.sqrt(4.25)
    widest = math.sqrt(EXACT_SD**2 + eps**2 / 3)
    sd_se = EXACT_SD / math.sqrt(2 * (2 * ess - 1))
    assert EXACT_SD - 4 * sd_se < mu.std() < widest + 4 * sd_se, (mu.std(), EXACT_SD, widest)
    tolerances = json.loads(attrs["abc_tolerances"])[0]
    assert tolerances[0] == math.inf and all(a > b for a, b in zip(tolerances[1:], tolerances[2:]))  # shrinking
    assert attrs["simulations"] <= OPTIONS["simulations"]
    if "simulations" in attrs["abc_stopped"]:  # out of budget: it spent all of it, the unfinished round included
        assert attrs["simulations"] == OPTIONS["simulations"]
    stats = arviz_io.group(idata, "sample_stats")
    assert np.all(stats["abc_distance"].values <= max(t[-1] for t in json.loads(attrs["abc_tolerances"])))


def test_abc_a_prior_far_from_the_data_is_not_the_posterior(conjugate):
    """The validator's counterpart: with a generous tolerance (one round) ABC gives back nearly the prior."""
    idata = run_method(conjugate, "abc", seed=1, options={"population": 400, "simulations": 2000, "rounds": 1})
    assert _mu(idata).std() > 1.5  # the prior's sd is 2, the posterior's 0.49


def test_abc_draws_the_same_on_every_executor(conjugate):
    options = {"population": 100, "simulations": 2400}
    serial = run_method(conjugate, "abc", seed=3, executor="serial", options=options)
    for executor in ("threads", "auto"):
        other = run_method(conjugate, "abc", seed=3, executor=executor, workers=2, options=options)
        assert np.array_equal(_mu(other), _mu(serial)), executor


def test_an_interrupted_abc_run_resumes_to_the_same_draws(conjugate, tmp_path):
    options = {"population": 100, "simulations": 2400}
    reference = run_method(conjugate, "abc", seed=5, options=options)
    out = tmp_path / "abc.nc"
    calls = []

    def stop_in_the_second_chain(done, total, text):
        calls.append(text)
        if text.startswith("chain 2") and "round 2" in text:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_method(conjugate, "abc", out=out, seed=5, progress=stop_in_the_second_chain, options=options)
    assert rounds_path(out).exists()
    resumed = run_method(conjugate, "abc", out=out, resume=True, options=options)
    assert np.array_equal(_mu(resumed), _mu(reference))


def test_abc_settings_that_cannot_work_are_refused(conjugate):
    with pytest.raises(ModelError, match="cannot pay for one population"):
        run_method(conjugate, "abc", seed=1, options={"population": 500, "simulations": 600})
    with pytest.raises(ModelError, match="declares no `summary`"):
        run_method(conjugate, "abc", seed=1, options={"distance": "summaries"})


# ten observations of y ~ N(mu, 1) at one time each: the sample mean is sufficient, so ABC on `summary m = mean(y)`
# approaches the exact posterior N(sum y / (n + 1/4), 1 / (n + 1/4)) (prior N(0, 2^2))
TEN = ('param mu ~ Normal(0, 2)\nstate m = mu\nobserve y ~ Normal(m, 1)\nsummary ybar = mean(y)\n'
       'data "ten.csv"\n')


def test_abc_on_a_sufficient_summary_finds_the_conjugate_posterior(tmp_path):
    y = np.random.default_rng(3).normal(0.6, 1.0, 10)
    y[4] = np.nan  # a missing value: the summary and the simulated datasets' summaries skip it
    (tmp_path / "ten.csv").write_text("time,y\n" + "".join(f"{k + 1},{'' if np.isnan(v) else repr(float(v))}\n"
                                                          for k, v in enumerate(y)))
    model = ponder.loads(TEN, base_dir=tmp_path)
    idata = run_method(model, "abc", seed=2, options=OPTIONS)
    attrs = arviz_io.group(idata, "posterior").attrs
    assert attrs["abc_distance"] == "summaries"
    seen = y[np.isfinite(y)]
    precision = len(seen) + 0.25
    mean, sd = seen.sum() / precision, math.sqrt(1 / precision)
    mu = _mu(idata)
    ess = min(json.loads(attrs["abc_ess"]))
    assert abs(mu.mean() - mean) < 4 * sd / math.sqrt(2 * ess), (mu.mean(), mean)
    eps = max(t[-1] for t in json.loads(attrs["abc_tolerances"])) * math.sqrt(4 + 1 / len(seen))
    widest = math.sqrt(sd**2 + eps**2 / 3)
    sd_se = sd / math.sqrt(2 * (2 * ess - 1))
    assert sd - 4 * sd_se < mu.std() < widest + 4 * sd_se, (mu.std(), sd, widest)
