"""Two more plugin kinds in the same package: an inference method and a likelihood with an option.

``prior-is`` (an inference method, :mod:`ponder.runtime.methods.contract`):
importance sampling from the prior. Round r draws ``draws`` parameter
vectors from the prior (random numbers from ``generator(seed, 4, r)``),
weights each by its likelihood, and saves the draws and log weights so far
(``rounds.save``), so an interrupted run resumes by round. At the end the
weighted draws are resampled to equal weights (multinomially); the
attribute ``importance_ess`` is Kish's effective sample size
(sum w)^2 / sum w^2. It is a fine method for a prior that is not much wider
than the posterior, and a poor one otherwise (watch the ESS).

``power`` (a likelihood): the exact likelihood raised to the power ``beta``
(option, default 1), log L_beta = beta log L: the "power likelihood" of power
posteriors (Friel and Pettitt 2008) and of robust, tempered Bayes.
"""

from __future__ import annotations

import numpy as np

from ponder.plugins.hookspecs import hookimpl
from ponder.plugins.options import Option
from ponder.runtime.estimate import Estimate
from ponder.runtime.likelihoods import DirectLikelihood, make_likelihood
from ponder.runtime.likelihoods.contract import Capabilities
from ponder.runtime.methods.contract import MethodResult
from ponder.runtime.seeds import generator


class PriorImportance:
    """Importance sampling from the prior, in rounds (see the module docstring)."""

    options = (
        Option("rounds", int, 4, "rounds of draws", minimum=1),
        Option("draws", int, 1000, "prior draws per round", minimum=1),
    )

    def __init__(self, problem, executor, seed, rounds: int = 4, draws: int = 1000):
        self.problem, self.seed, self.rounds, self.draws = problem, seed, rounds, draws
        self.likelihood = make_likelihood(problem)

    def run(self, rounds, progress) -> MethodResult:
        dim = self.problem.ir.n_params
        state, first = {"theta": np.zeros((0, dim)), "logw": np.zeros(0)}, 0
        resumed = rounds.resume()
        if resumed is not None:
            first, state = resumed[0] + 1, resumed[1]
        consts = self.problem.consts()
        for r in range(first, self.rounds):
            theta = np.empty((self.draws, dim))
            self.problem.kernels.prior_sample(generator(self.seed, 4, r), consts, theta)
            logw = np.array([self.likelihood.estimate(t, (self.seed, 4, r, k), False).loglik
                             for k, t in enumerate(theta)])
            state = {"theta": np.concatenate([state["theta"], theta]), "logw": np.concatenate([state["logw"], logw])}
            rounds.save(r, state)
            progress(r + 1, self.rounds, f"round {r + 1} of {self.rounds}")
        logw = np.where(np.isfinite(state["logw"]), state["logw"], -np.inf)
        w = np.exp(logw - logw.max())
        w /= w.sum()
        pick = generator(self.seed, 4, self.rounds).choice(len(w), size=len(w), p=w)
        return MethodResult(theta=state["theta"][pick][None], attrs={"importance_ess": float(1.0 / np.sum(w**2))})


class PowerLikelihood(DirectLikelihood):
    """The exact likelihood to the power ``beta``."""

    name = "power"
    capabilities = Capabilities(exact=True)  # exact, but never the automatic choice
    options = (Option("beta", float, 1.0, "the power of the likelihood", minimum=0.0),)

    def __init__(self, model, dataset, beta: float = 1.0):
        super().__init__(model, dataset)
        self.beta = float(beta)
        self.compiled_loglik = None  # the compiled exact likelihood would leave out beta

    def estimate(self, theta, seed=None, trajectory: bool = True) -> Estimate:
        est = super().estimate(theta, seed, trajectory)
        return Estimate(self.beta * est.loglik, self.beta * est.pointwise, est.trajectory, est.diagnostics,
                        None if est.pointwise_columns is None else self.beta * est.pointwise_columns)


@hookimpl
def ponder_add_methods(registry):
    registry.add("prior-is", PriorImportance, "importance sampling from the prior, in rounds (example plugin)")


@hookimpl
def ponder_add_likelihoods(registry):
    registry.add("power", PowerLikelihood, "the exact likelihood to a power beta (example plugin)")
