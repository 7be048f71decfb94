"""Random-walk Metropolis with adaptive covariance; pseudo-marginal MH with a particle filter.

Each of C chains proposes z' = z + s L e, e ~ N(0, I), where L L^T is the
proposal covariance and s the chain's scale, and accepts with probability
min(1, p(z') / p(z)). The warm-up adapts both, in windows that double in
length (ending at iterations 50, 150, 350, 750, ...; Stan's windowed
adaptation):

* log s follows a Robbins-Monro recursion towards the acceptance rate 0.234
  (0.44 in one dimension; Roberts and Rosenthal 2001), every iteration;
* at a window's end every chain takes the chains' mean log s, and L L^T becomes the covariance of the window's positions
  pooled over all chains, shrunk towards a small multiple of I as Stan
  does ((n / (n + 5)) S + 1e-3 (5 / (n + 5)) I), and the window's estimate
  restarts -- so draws from the start, far from the posterior, stop
  distorting the proposal (the prior's covariance until the first window);
* at a window's end a chain whose mean log posterior over the window is
  more than 3 + sqrt(d) below the best chain's (stuck in a minor mode or at
  a prior bound) moves to the position of a randomly chosen chain that is
  not, with its scale (what ``warmup_settled`` reports; ensemble walkers are
  pruned the same way).

After warm-up both are frozen, so the sampling phase is a fixed Metropolis
kernel.

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
from ponder.runtime.evaluation import EVAL_KEYS
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
        state["mh_log_scale"] = np.full(c, math.log(self.initial_scale))
        state["mh_chol"] = np.stack([_cholesky(prior_cov) for _ in range(c)])
        # the current window's pooled running mean and co-moment, its draw count, and each chain's log posterior sum
        state["mh_window"] = np.zeros(1)
        state["mh_mean"] = np.zeros(d)
        state["mh_m2"] = np.zeros((d, d))
        state["mh_lp_sum"] = np.zeros(c)
        state["mh_moved"] = np.zeros(1)  # chains moved at the last window's end
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
        gain = (iteration + 1) ** -0.6
        state["mh_log_scale"] += gain * (prob - self.target_accept)
        for row in state["z"]:  # Welford's pooled running mean and co-moment of the window's positions
            state["mh_window"][0] += 1
            delta = row - state["mh_mean"]
            state["mh_mean"] += delta / state["mh_window"][0]
            state["mh_m2"] += np.outer(delta, row - state["mh_mean"])
        state["mh_lp_sum"] += np.where(np.isfinite(state["logpost"]), state["logpost"], -1e300)
        if _window_ends(iteration):
            self._end_window(state, iteration)

    def _end_window(self, state: dict, iteration: int) -> None:
        c, d = self.chains, self.target.dim
        n = state["mh_window"][0]
        if n > 2 * d + 10:
            cov = state["mh_m2"] / (n - 1)
            cov = (n / (n + 5.0)) * cov + 1e-3 * (5.0 / (n + 5.0)) * np.eye(d)
            state["mh_chol"][:] = _cholesky(cov)
        # one scale for all chains: each chain's own Robbins-Monro scale drifts low where noisy likelihood estimates
        # depress its acceptance (a PMMH chain on randomwalk-replicates took steps a third the others' size)
        state["mh_log_scale"][:] = np.mean(state["mh_log_scale"])
        mean_lp = state["mh_lp_sum"] / max(n / c, 1.0)
        stuck = np.flatnonzero(mean_lp < mean_lp.max() - (3.0 + math.sqrt(d)))
        good = np.setdiff1d(np.arange(c), stuck)
        state["mh_moved"][0] = len(stuck)
        if len(stuck) and len(good):
            rng = generator(self.target.seed, 0, iteration, 1)
            sources = good[rng.integers(0, len(good), size=len(stuck))]
            for key in ("z", "mh_log_scale") + EVAL_KEYS:
                state[key][stuck] = state[key][sources]
        state["mh_window"][0] = 0.0
        state["mh_mean"][:] = 0.0
        state["mh_m2"][:] = 0.0
        state["mh_lp_sum"][:] = 0.0

    def warmup_settled(self, state: dict) -> bool:
        """No chain was stuck at the last window's end."""
        return state["mh_moved"][0] == 0

    def end_warmup(self, state: dict) -> dict:
        return state


def _window_ends(iteration: int) -> bool:
    """Adaptation windows end after iterations 50, 150, 350, 750, ... (50 (2^k - 1), k >= 1)."""
    k = (iteration + 1) / 50 + 1
    return (iteration + 1) % 50 == 0 and k == 2 ** round(math.log2(k))


def _cholesky(cov: np.ndarray) -> np.ndarray:
    d = cov.shape[0]
    jitter = 1e-10 * max(np.trace(cov) / d, 1e-12)
    for _ in range(8):
        try:
            return np.linalg.cholesky(cov + jitter * np.eye(d))
        except np.linalg.LinAlgError:
            jitter *= 100
    return np.diag(np.sqrt(np.maximum(np.diag(cov), 1e-12)))
