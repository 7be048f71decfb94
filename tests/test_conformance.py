"""Every built-in sampler passes ponder.testing's conformance checks, and the checks fire on a broken sampler."""

import pytest

from ponder.plugins.hookspecs import hookimpl
from ponder.plugins.manager import plugins
from ponder.runtime.samplers import MetropolisSampler
from ponder.testing import ConformanceError, check_sampler


@pytest.mark.parametrize("name, chains, samples", [("ensemble", 16, 800), ("mh", 4, 1500), ("pt", 6, 1024)])
def test_builtin_samplers_conform(name, chains, samples, tmp_path):
    found = check_sampler(name, chains=chains, samples=samples, seed=3, folder=tmp_path)
    assert set(found) == {"conjugate mean", "conjugate variance", "bimodal E[x^2]", "bimodal E|x|", "bimodal P(x>0)"}
    assert all(se > 0 for _, se, _ in found.values())


class PriorOnly(MetropolisSampler):
    """Broken on purpose: a Metropolis sampler that forgets the likelihood (it samples the prior)."""

    name = "prior-only"

    def step(self, state, iteration, warmup):
        state["loglik"][:] = 0.0
        state["logpost"][:] = state["logprior"]
        return super().step(state, iteration, warmup)


class PriorOnlyPlugin:
    @hookimpl
    def ponder_add_samplers(self, registry):
        registry.add("prior-only", PriorOnly, "samples the prior (broken on purpose)")


def test_conformance_check_catches_a_sampler_that_ignores_the_likelihood(tmp_path):
    plugins().register(PriorOnlyPlugin(), name="prior-only-test")
    try:
        with pytest.raises(ConformanceError, match="standard errors"):
            check_sampler("prior-only", chains=4, samples=1000, warmup=500, seed=3, resume=False, folder=tmp_path)
    finally:
        plugins().unregister("prior-only-test")
