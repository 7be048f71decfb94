"""ABC-SMC: approximate Bayesian computation by sequential Monte Carlo (method ``abc``).

Population Monte Carlo ABC (Beaumont, Cornuet, Marin and Robert 2009) with
the adaptive tolerances of Del Moral, Doucet and Jasra (2012):

* round 0 draws ``population`` parameter vectors from the prior and
  simulates a dataset from each (:func:`ponder.runtime.batch.simulate_batch`:
  every replicate, at the data's times); every draw is kept, with weight 1;
* the distance between a simulated dataset and the data is the root mean
  square of their standardised differences, over the model's ``summary``
  statistics (``distance = summaries``) or over every observed value
  (``raw``; missing values of the data are left out). Each feature is
  divided by its median absolute deviation over round 0's simulations
  (the prior predictive), fixed for the run;
* the tolerance of round t is the ``quantile`` of round t-1's accepted
  distances; round t proposes from round t-1's weighted population moved
  by a Gaussian kernel with twice its weighted covariance (Beaumont et
  al.), drops proposals outside the prior's support, simulates the rest in
  batches and accepts those within the tolerance until it has
  ``population`` of them; their weights are
  w_i ∝ prior(theta_i) / sum_j w_j K(theta_i | theta_j);
* it stops after ``rounds`` rounds, when the simulation budget
  ``simulations`` runs out (the last whole population is the answer; the
  simulations of the unfinished round are counted in the attribute
  ``simulations`` and in ``abc_unfinished_simulations``), when a round
  accepts fewer than ``min_acceptance`` of its proposals, or when the
  tolerance reaches ``tolerance``.

The final population is resampled to equal weights (systematic
resampling) for the posterior; ``sample_stats`` keeps each draw's weight
before resampling and its distance. Attributes: the tolerance schedule,
each round's acceptance rate and simulations, the total, the weights'
effective sample size and the distance used. Simulations run on the
executor (:mod:`ponder.runtime.methods.simulations`; threads by default), each dataset's
random numbers keyed by round and index, so results are the same on every
executor, and a run interrupted between rounds resumes bit-identically.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ponder.lang import messages
from ponder.plugins.options import Option
from ponder.runtime.methods.contract import MethodResult
from ponder.runtime.methods.simulations import Simulations
from ponder.runtime.seeds import generator


class AbcSmc:
    """ABC-SMC with adaptive tolerances and perturbation kernel (see the module docstring)."""

    options = (
        Option("population", int, 1000, "accepted draws per round (the population)", minimum=20),
        Option("simulations", int, 100_000, "simulation budget of the whole run", minimum=1),
        Option("quantile", float, 0.5, "each round's tolerance: this quantile of the last round's distances",
               above=0.0, below=1.0),
        Option("rounds", int, 20, "at most this many rounds", minimum=1),
        Option("min_acceptance", float, 0.01, "stop when a round accepts a smaller share of its proposals",
               minimum=0.0, below=1.0),
        Option("tolerance", float, 0.0, "stop once the tolerance is at or below this", minimum=0.0),
        Option("distance", str, "auto", "summaries (the model's `summary` lines), raw (every observed value), "
               "or auto (summaries when the model declares them)", choices=("auto", "summaries", "raw")),
        Option("chains", int, 2, "independent ABC-SMC runs, each with its own population and a share of the "
               "budget (their agreement gives R-hat)", minimum=1),
        Option("kernel_scale", float, 2.0, "the perturbation kernel's covariance: this times the population's "
               "weighted covariance (2: Beaumont et al. 2009)", above=0.0),
    )

    def __init__(self, problem, executor, seed, population=1000, simulations=100_000, quantile=0.5, rounds=20,
                 min_acceptance=0.01, tolerance=0.0, distance="auto", chains=2, kernel_scale=2.0):
        self.problem, self.seed = problem, int(seed)
        self.population, self.budget, self.quantile = population, simulations, quantile
        self.max_rounds, self.min_acceptance, self.tolerance = rounds, min_acceptance, tolerance
        self.chains, self.kernel_scale = chains, kernel_scale
        if self.population * chains > self.budget:
            raise messages.abc_budget_below_population(self.budget // chains, self.population)
        self.sims = Simulations(problem, executor, seed, "abc", distance)
        self.distance = self.sims.kind
        self.consts = problem.consts()

    def _distances(self, features: np.ndarray, scale: np.ndarray) -> np.ndarray:
        z = (features - self.sims.observed) / scale
        d = np.sqrt(np.mean(z**2, axis=1))
        return np.where(np.isfinite(d), d, math.inf)  # a failed simulation is never accepted

    def _simulate(self, thetas: np.ndarray, chain: int, round_index: int, batch: int) -> np.ndarray:
        return self.sims.simulate(thetas, chain, round_index, batch, 0)

    # ------------------------------------------------------------ rounds
    def _round_zero(self, chain: int) -> dict:
        n, dim = self.population, self.problem.ir.n_params
        theta = np.empty((n, dim))
        self.problem.kernels.prior_sample(generator(self.seed, 4, chain, 0, 0, 1), self.consts, theta)
        features = self._simulate(theta, chain, 0, 0)
        scale = _mad(features)
        d = self._distances(features, scale)
        return {"theta": theta, "logw": np.zeros(n), "distance": d, "scale": scale,
                "tolerances": np.array([math.inf]), "acceptance": np.array([1.0]),
                "round_simulations": np.array([float(n)]), "simulations": np.array([float(n)]),
                "unfinished": np.zeros(1)}

    def _next_round(self, state: dict, chain: int, t: int) -> dict | int:
        """Round ``t`` of ``chain`` from round t-1's population; when its budget runs out before the round has
        a whole population, the simulations that round spent (they are counted, the partial round dropped)."""
        n, dim = self.population, self.problem.ir.n_params
        finite = np.isfinite(state["distance"])
        eps = float(np.quantile(state["distance"][finite], self.quantile)) if finite.any() else math.inf
        w = _normalised(state["logw"])
        cov = self.kernel_scale * np.atleast_2d(np.cov(state["theta"].T, aweights=w)) + 1e-12 * np.eye(dim)
        chol = np.linalg.cholesky(cov)
        rng = generator(self.seed, 4, chain, t, 0, 1)
        budget = self.budget // self.chains
        kept_theta, kept_d = [], []
        accepted, proposed, simulated, batch = 0, 0, 0, 0
        used = float(state["simulations"][-1])
        while accepted < n:
            # enough proposals for the missing ones at the acceptance so far (the last round's, shrunk, at first)
            rate = accepted / proposed if accepted else self.quantile * float(state["acceptance"][-1])
            size = int(min(20 * n, max(n - accepted, math.ceil(1.2 * (n - accepted) / max(rate, 1e-3)))))
            if used + simulated + size > budget:
                size = int(budget - used - simulated)
                if size <= 0:
                    return simulated
            parents = rng.choice(n, size=size, p=w)
            theta = state["theta"][parents] + rng.standard_normal((size, dim)) @ chol.T
            logprior = np.empty(size)
            self.problem.kernels.prior_logpdf_rows(theta, self.consts, logprior)
            inside = np.isfinite(logprior)
            proposed += size
            batch += 1
            if not inside.any():
                continue
            d = self._distances(self._simulate(theta[inside], chain, t, batch), state["scale"])
            simulated += int(inside.sum())
            ok = d <= eps
            kept_theta.append(theta[inside][ok])
            kept_d.append(d[ok])
            accepted += int(ok.sum())
        theta = np.concatenate(kept_theta)[:n]
        d = np.concatenate(kept_d)[:n]
        logprior = np.empty(n)
        self.problem.kernels.prior_logpdf_rows(theta, self.consts, logprior)
        logw = logprior - _log_kernel_mixture(theta, state["theta"], np.log(w), chol)
        return {"theta": theta, "logw": logw, "distance": d, "scale": state["scale"],
                "tolerances": np.append(state["tolerances"], eps),
                "acceptance": np.append(state["acceptance"], n / proposed),
                "round_simulations": np.append(state["round_simulations"], float(simulated)),
                "simulations": np.append(state["simulations"], used + simulated), "unfinished": np.zeros(1)}

    def _one_chain(self, chain: int, t: int, state: dict, save, progress) -> tuple[dict, str]:
        """Rounds of ``chain`` from round ``t`` (its state ``state``) to the end; its last state, why it stopped."""
        while True:
            progress(chain * self.max_rounds + t + 1, self.chains * self.max_rounds,
                     f"chain {chain + 1} of {self.chains}, " + _progress_text(state))
            if t + 1 >= self.max_rounds:
                return state, "rounds"
            if state["tolerances"][-1] <= self.tolerance:
                return state, "tolerance"
            if state["acceptance"][-1] < self.min_acceptance:
                return state, "min_acceptance"
            nxt = self._next_round(state, chain, t + 1)
            if isinstance(nxt, int):
                return {**state, "unfinished": np.array([float(nxt)])}, "simulations"
            t, state = t + 1, nxt
            save(chain, t, state)

    def run(self, rounds, progress) -> MethodResult:
        """The chains one after the other; the checkpoint holds the finished chains and the current one's round."""
        done: list[dict] = []
        stops: list[str] = []
        counter = [0]

        def save(chain, t, state):
            counter[0] += 1
            rounds.save(counter[0], _pack(done, stops, chain, t, state))

        resumed = rounds.resume()
        chain, t, state = 0, 0, None
        if resumed is not None:
            counter[0] = resumed[0]
            done, stops, chain, t, state = _unpack(resumed[1])
        while chain < self.chains:
            if state is None:
                t, state = 0, self._round_zero(chain)
                save(chain, 0, state)
            last, stopped = self._one_chain(chain, t, state, save, progress)
            done.append(last)
            stops.append(stopped)
            chain, state = chain + 1, None
            if chain < self.chains:
                save(chain, -1, None)
        from ponder.runtime.resampling import systematic  # Numba's: loaded when a run ends, not when ponder starts

        n = self.population
        theta = np.empty((self.chains, n, self.problem.ir.n_params))
        stats = {"abc_weight": np.empty((self.chains, n)), "abc_distance": np.empty((self.chains, n))}
        for k, last in enumerate(done):
            w = _normalised(last["logw"])
            pick = np.empty(n, dtype=np.int64)
            systematic(w, generator(self.seed, 4, k, 0, 0, 2), pick)
            theta[k] = last["theta"][pick]
            stats["abc_weight"][k] = w[pick] * n
            stats["abc_distance"][k] = last["distance"][pick]
        attrs = {
            "abc_distance": self.distance, "abc_stopped": stops,
            "abc_tolerances": [[float(e) for e in last["tolerances"]] for last in done],
            "abc_acceptance": [[float(a) for a in last["acceptance"]] for last in done],
            "abc_round_simulations": [[int(s) for s in last["round_simulations"]] for last in done],
            # every simulator call, the dropped last round's too
            "simulations": int(sum(last["simulations"][-1] + last["unfinished"][0] for last in done)),
            "abc_unfinished_simulations": [int(last["unfinished"][0]) for last in done],
            "abc_ess": [float(1.0 / np.sum(_normalised(last["logw"]) ** 2)) for last in done],
        }
        return MethodResult(theta=theta, sample_stats=stats, attrs=attrs)


_STATE_KEYS = ("theta", "logw", "distance", "scale", "tolerances", "acceptance", "round_simulations", "simulations",
               "unfinished")


def _pack(done: list, stops: list, chain: int, t: int, state: dict | None) -> dict:
    """One flat dict of arrays for the round checkpoint: the finished chains' last states and the current one."""
    out = {"position": np.array([chain, t]), "stops": np.array([_STOPS.index(s) for s in stops], dtype=np.int64)}
    for k, last in enumerate(done):
        out.update({f"done{k}_{key}": last[key] for key in _STATE_KEYS})
    if state is not None:
        out.update({f"now_{key}": state[key] for key in _STATE_KEYS})
    return out


def _unpack(saved: dict) -> tuple[list, list, int, int, dict | None]:
    chain, t = (int(v) for v in saved["position"])
    stops = [_STOPS[int(i)] for i in saved["stops"]]
    done = [{key: saved[f"done{k}_{key}"] for key in _STATE_KEYS} for k in range(len(stops))]
    state = {key: saved[f"now_{key}"] for key in _STATE_KEYS} if "now_theta" in saved else None
    return done, stops, chain, t, state


_STOPS = ("rounds", "tolerance", "min_acceptance", "simulations")


def _mad(features: np.ndarray) -> np.ndarray:
    """Per-feature median absolute deviation (scaled to an sd for normal data), 1 where it is 0 or undefined."""
    finite = np.where(np.isfinite(features), features, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a feature no simulation gave: all NaN
        centre = np.nanmedian(finite, axis=0)
        mad = 1.4826 * np.nanmedian(np.abs(finite - centre), axis=0)
    return np.where(np.isfinite(mad) & (mad > 0), mad, 1.0)


def _normalised(logw: np.ndarray) -> np.ndarray:
    logw = np.where(np.isfinite(logw), logw, -np.inf)
    w = np.exp(logw - logw.max())
    return w / w.sum()


def _log_kernel_mixture(theta: np.ndarray, centres: np.ndarray, logw: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """log sum_j w_j N(theta_i | centres_j, L L^T) for each row i (the constant of N left out: it cancels)."""
    from scipy.linalg import solve_triangular
    from scipy.special import logsumexp

    out = np.empty(len(theta))
    for i in range(0, len(theta), 256):  # (256, J, dim) at a time
        diff = theta[i:i + 256, None, :] - centres[None, :, :]
        z = solve_triangular(chol, diff.reshape(-1, diff.shape[-1]).T, lower=True).T.reshape(diff.shape)
        out[i:i + 256] = logsumexp(logw[None, :] - 0.5 * np.sum(z**2, axis=-1), axis=1)
    return out


def _progress_text(state: dict) -> str:
    return (f"round {len(state['tolerances']) - 1}: tolerance {state['tolerances'][-1]:.4g}, acceptance "
            f"{100 * state['acceptance'][-1]:.1f}%, simulations {int(state['simulations'][-1])}")
