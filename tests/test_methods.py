"""Inference methods through their contract: a third party's method, its options, results and resume by round."""

import math

import numpy as np
import pytest

import ponder
from ponder.lang.errors import ModelError
from ponder.plugins.hookspecs import hookimpl
from ponder.plugins.manager import plugins
from ponder.plugins.options import Option
from ponder.runtime import arviz_io
from ponder.runtime.likelihoods import make_likelihood
from ponder.runtime.methods import rounds_path, run_method
from ponder.runtime.methods.contract import MethodResult
from ponder.runtime.seeds import generator


class PriorImportance:
    """Importance sampling from the prior, ``draws`` per round: the simplest whole-run method."""

    options = (Option("rounds", int, 4, "rounds", minimum=1), Option("draws", int, 500, "draws per round", minimum=1))

    def __init__(self, problem, executor, seed, rounds=4, draws=500):
        self.problem, self.seed, self.rounds, self.draws = problem, seed, rounds, draws
        self.likelihood = make_likelihood(problem)

    def run(self, rounds, progress):
        dim = self.problem.ir.n_params
        state = {"theta": np.zeros((0, dim)), "logw": np.zeros(0)}
        first = 0
        resumed = rounds.resume()
        if resumed is not None:
            first, state = resumed[0] + 1, resumed[1]
        for r in range(first, self.rounds):
            theta = np.empty((self.draws, dim))
            self.problem.kernels.prior_sample(generator(self.seed, 4, r), self.problem.consts(), theta)
            logw = np.array([self.likelihood.estimate(t, None, False).loglik for t in theta])
            state = {"theta": np.concatenate([state["theta"], theta]), "logw": np.concatenate([state["logw"], logw])}
            rounds.save(r, state)
            progress(r + 1, self.rounds, f"round {r}")
        w = np.exp(state["logw"] - state["logw"].max())
        w /= w.sum()
        pick = generator(self.seed, 4, self.rounds).choice(len(w), size=len(w), p=w)
        ess = 1.0 / np.sum(w**2)
        return MethodResult(theta=state["theta"][pick][None], attrs={"importance_ess": float(ess)})


class MethodPlugin:
    @hookimpl
    def ponder_add_methods(self, registry):
        registry.add("prior-is", PriorImportance, "importance sampling from the prior")


@pytest.fixture
def method():
    plugins().register(MethodPlugin(), name="method-test")
    yield "prior-is"
    plugins().unregister("method-test")


@pytest.fixture
def conjugate(tmp_path):
    y = np.random.default_rng(12).normal(2.3, 1.5, size=30)
    (tmp_path / "y.csv").write_text("time,y\n" + "\n".join(f"{t},{float(v)!r}" for t, v in enumerate(y)) + "\n")
    model = ponder.loads('param mu ~ Normal(1, 2)\nstate m = mu\nobserve y ~ Normal(m, 1.5)\ndata "y.csv"',
                         base_dir=tmp_path)
    precision = 1 / 4 + 30 / 1.5**2
    return model, (1 / 4 + y.sum() / 1.5**2) / precision, 1 / math.sqrt(precision)


def test_a_plugin_method_gives_the_conjugate_posterior(method, conjugate, tmp_path):
    model, mean, sd = conjugate
    idata = run_method(model, method, out=tmp_path / "m.nc", seed=1, options={"rounds": "4", "draws": "2000"})
    draws = arviz_io.group(idata, "posterior")["mu"].values
    assert draws.shape == (1, 8000)
    ess = float(arviz_io.group(idata, "posterior").attrs["importance_ess"])
    assert ess > 100
    assert abs(draws.mean() - mean) < 4 * sd / math.sqrt(ess)
    written = arviz_io.read(tmp_path / "m.nc")
    assert arviz_io.group(written, "posterior").attrs["method"] == method
    assert "observed_data" in arviz_io.group_names(written)
    from ponder.summary import posterior_frame

    assert list(posterior_frame(written).index) == ["mu"]


def test_method_options_are_checked(method, conjugate):
    with pytest.raises(ModelError, match="option `rounds` of the `prior-is` method must be at least 1"):
        run_method(conjugate[0], method, seed=1, options={"rounds": 0})
    with pytest.raises(ModelError, match="has no option `round`"):
        run_method(conjugate[0], method, seed=1, options={"round": 2})


def test_an_interrupted_method_resumes_by_round(method, conjugate, tmp_path):
    model = conjugate[0]
    reference = run_method(model, method, seed=5, options={"rounds": 4, "draws": 200})
    out = tmp_path / "r.nc"

    def stop_after_two(done, total, text):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_method(model, method, out=out, seed=5, progress=stop_after_two, options={"rounds": 4, "draws": 200})
    assert rounds_path(out).exists() and not out.exists()
    resumed = run_method(model, method, out=out, resume=True, options={"rounds": 4, "draws": 200})
    assert np.array_equal(arviz_io.group(resumed, "posterior")["mu"].values,
                          arviz_io.group(reference, "posterior")["mu"].values)
    assert not rounds_path(out).exists()
    with pytest.raises(ModelError, match="no round checkpoint"):
        run_method(model, method, out=tmp_path / "none.nc", resume=True, options={"rounds": 4})
