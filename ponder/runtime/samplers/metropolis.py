"""Random-walk Metropolis with adaptive covariance; pseudo-marginal MH with a particle filter.

Each of C chains proposes z' = z + s L e, e ~ N(0, I), where L L^T is the
proposal covariance and s a scale, and accepts with probability
min(1, p(z') / p(z)). During warm-up each chain adapts: the covariance is
the chain's own running covariance (Haario, Saksman and Tamminen 2001; the
prior's covariance in unconstrained space until 2 d + 10 draws exist) and
log s follows a Robbins-Monro recursion towards the acceptance rate 0.234
(0.44 in one dimension; Roberts and Rosenthal 2001). After warm-up both are
frozen, so the sampling phase is a fixed Metropolis kernel.

With the ``pf`` likelihood this is PMMH (Andrieu, Doucet and Holenstein
2010): the current state keeps its likelihood *estimate*, which is never
re-estimated; only proposals get new estimates. That keeps the exact
posterior as the invariant law, whatever the particle number, as long as
the particle number is fixed: adaptive N stops at the end of warm-up.
"""

from __future__ import annotations

import math

import numpy as np

from ponder.lang import messages
from ponder.plugins.options import Option
from ponder.runtime.samplers.base import accept_rows, log_accept
from ponder.runtime.seeds import generator


class MetropolisSampler:
    name = "mh"
    options = (
        Option("scale", float, None, "initial proposal scale, above 0 (default 1.19 / sqrt(d))", above=0.0),
        Option("target_accept", float, None, "acceptance rate the warm-up adapts to (default 0.234; 0.44 for d = 1)",
               above=0.0, below=1.0),
    )

    def __init__(self, target, chains: int | None = None, scale: float | None = None, target_accept: float | None = None,
                 **options):
        if options:
            raise messages.unknown_option(f"the `{self.name}` sampler", next(iter(options)),
                                          (o.name for o in self.options), own_check=True)
        self.target = target
        self.chains = int(chains or 4)
        if self.chains < 1:
            raise messages.too_few_chains()
        d = target.dim
        self.target_accept = float(target_accept or (0.44 if d == 1 else 0.234))
        self.initial_scale = float(scale or 2.38 / math.sqrt(d) * 0.5)

    def start(self) -> dict:
        c, d = self.chains, self.target.dim
        state = self.target.initial(c)
        state["accept"] = np.ones(c)
        draws = np.empty((max(200, 20 * d), d))
        self.target.model.kernels.prior_sample(generator(self.target.seed, 4), self.target.consts, draws)
        z = self.target.to_z(draws)
        z = z[np.all(np.isfinite(z), axis=1)]
        prior_cov = np.atleast_2d(np.cov(z, rowvar=False)) if len(z) > d else np.eye(d)
        state["mh_prior_cov"] = np.broadcast_to(prior_cov, (c, d, d)).copy()
        state["mh_log_scale"] = np.full(c, math.log(self.initial_scale))
        state["mh_count"] = np.zeros(c)
        state["mh_mean"] = np.zeros((c, d))
        state["mh_m2"] = np.zeros((c, d, d))
        state["mh_chol"] = np.stack([_cholesky(prior_cov) for _ in range(c)])
        return state

    def step(self, state: dict, iteration: int, warmup: bool) -> dict:
        c, d = self.chains, self.target.dim
        rng = generator(self.target.seed, 0, iteration)
        noise = rng.standard_normal((c, d))
        scale = np.exp(state["mh_log_scale"])
        proposal = state["z"] + scale[:, None] * np.einsum("cij,cj->ci", state["mh_chol"], noise)
        evaluation = self.target.evaluate(proposal, [(iteration + 1, k, 0) for k in range(c)], adapt=warmup)
        accepted, prob = log_accept(evaluation["logpost"] - state["logpost"], rng)
        accept_rows(state, np.arange(c), proposal, evaluation, accepted)
        state["accept"][:] = prob
        if warmup:
            self._adapt(state, prob, iteration)
        return state

    def _adapt(self, state: dict, prob: np.ndarray, iteration: int) -> None:
        d = self.target.dim
        gain = (iteration + 1) ** -0.6
        state["mh_log_scale"] += gain * (prob - self.target_accept)
        # Welford's running mean and co-moment of each chain's positions
        state["mh_count"] += 1
        delta = state["z"] - state["mh_mean"]
        state["mh_mean"] += delta / state["mh_count"][:, None]
        state["mh_m2"] += np.einsum("ci,cj->cij", delta, state["z"] - state["mh_mean"])
        for k in range(self.chains):
            n = state["mh_count"][k]
            cov = state["mh_m2"][k] / (n - 1) if n > 2 * d + 10 else state["mh_prior_cov"][k]
            state["mh_chol"][k] = _cholesky(cov)

    def end_warmup(self, state: dict) -> dict:
        return state


def _cholesky(cov: np.ndarray) -> np.ndarray:
    d = cov.shape[0]
    jitter = 1e-10 * max(np.trace(cov) / d, 1e-12)
    for _ in range(8):
        try:
            return np.linalg.cholesky(cov + jitter * np.eye(d))
        except np.linalg.LinAlgError:
            jitter *= 100
    return np.diag(np.sqrt(np.maximum(np.diag(cov), 1e-12)))
