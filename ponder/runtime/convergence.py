"""Convergence diagnostics and the warnings a run prints when its draws are not trustworthy.

The diagnostics are those of Vehtari, Gelman, Simpson, Carpenter and
Buerkner (2021), as Stan and ArviZ compute them, written here in NumPy so
the run loop can check them between blocks without ArviZ:

* rank normalisation: the S = C N draws of C chains of N draws are replaced
  by z = Phi^-1((r - 3/8) / (S + 1/4)), r their average ranks;
* split chains: each chain's first and second halves count as two chains;
* R-hat = sqrt(V / W), V = (N - 1) / N W + B / N, with W the mean
  within-chain variance and B / N the variance of the chain means; the
  reported (rank) R-hat is the larger of the R-hats of the rank-normalised
  draws and of the rank-normalised folded draws |x - median(x)|;
* ESS = C N / tau, tau = -1 + 2 sum_t rho_t over Geyer's initial
  monotone sequence of paired autocorrelations rho_t (combined across
  chains, 1 - (W - mean_c acov_c(t)) / V); bulk ESS on the rank-normalised
  split chains, tail ESS the smaller ESS of the indicators I(x <= q_0.05)
  and I(x <= q_0.95).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ponder.runtime.settings import TARGET_ESS, TARGET_RHAT

#: a particle filter's log-likelihood standard deviation above this makes PMMH mix poorly (Doucet et al. 2015)
MAX_LOGLIK_SD = 1.5
#: the fraction of failed likelihood estimates above which a run warns
MAX_FAILED_FRACTION = 0.01
#: more walkers moved than this share of all walker-prunings: the ensemble keeps stranding walkers
MAX_PRUNED_FRACTION = 0.1


def _split(x: np.ndarray) -> np.ndarray:
    """(C, N) -> (2C, N // 2): each chain's two halves (the middle draw of an odd N dropped)."""
    half = x.shape[1] // 2
    return np.concatenate((x[:, :half], x[:, x.shape[1] - half:]), axis=0)


def _rank_normalise(x: np.ndarray) -> np.ndarray:
    from scipy.stats import norm, rankdata

    ranks = rankdata(x, axis=None).reshape(x.shape)
    return norm.ppf((ranks - 0.375) / (x.size + 0.25))


def _rhat(x: np.ndarray) -> float:
    """The classic R-hat of (chains, draws) (already split and normalised)."""
    n = x.shape[1]
    within = float(np.mean(np.var(x, axis=1, ddof=1)))
    between_over_n = float(np.var(np.mean(x, axis=1), ddof=1))
    if within <= 0:
        return math.nan
    return math.sqrt(((n - 1) / n * within + between_over_n) / within)


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Biased autocovariance of each row at lags 0..N-1, by FFT."""
    n = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    return np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n] / n


def _ess(x: np.ndarray) -> float:
    """ESS of (chains, draws) by Geyer's initial monotone sequence over the chains' combined autocorrelation."""
    chains, n = x.shape
    if n < 4:
        return math.nan
    if np.ptp(x) < np.finfo(float).resolution:
        return float(x.size)
    acov = _autocovariance(x)
    within = float(np.mean(acov[:, 0])) * n / (n - 1)
    var_plus = within * (n - 1) / n + (float(np.var(np.mean(x, axis=1), ddof=1)) if chains > 1 else 0.0)
    rho = 1.0 - (within - np.mean(acov, axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer's initial positive sequence: pairs (rho_t+1, rho_t+2), t = 1, 3, ..., while the last pair's sum is
    # positive and t < N - 3; lags up to t - 2 count (made monotone: no pair sum above the one before it), and the
    # even member of the last pair looked at, if positive, counts once (as Stan and ArviZ do)
    t, even, odd = 1, 1.0, rho[1]
    while t < n - 3 and even + odd > 0.0:
        even, odd = rho[t + 1], rho[t + 2]
        t += 2
    last = t - 2
    sums = np.minimum.accumulate(rho[:last + 1].reshape(-1, 2).sum(axis=1))
    tau = -1.0 + 2.0 * float(np.sum(sums)) + (float(even) if even > 0 else 0.0)
    tau = max(tau, 1.0 / math.log10(x.size))
    return x.size / tau


def rhat(x) -> float:
    """Rank-normalised split R-hat of draws (chains, draws)."""
    x = np.asarray(x, dtype=float)
    if x.shape[1] < 4 or not np.all(np.isfinite(x)):
        return math.nan
    split = _split(x)
    folded = np.abs(split - np.median(split))
    return max(_rhat(_rank_normalise(split)), _rhat(_rank_normalise(folded)))


def ess_bulk(x) -> float:
    """Bulk ESS: the ESS of the rank-normalised split chains."""
    x = np.asarray(x, dtype=float)
    if x.shape[1] < 4 or not np.all(np.isfinite(x)):
        return math.nan
    return _ess(_rank_normalise(_split(x)))


def ess_tail(x) -> float:
    """Tail ESS: the smaller ESS of the 5% and 95% quantile indicators over split chains."""
    x = np.asarray(x, dtype=float)
    if x.shape[1] < 4 or not np.all(np.isfinite(x)):
        return math.nan
    low, high = np.quantile(x, (0.05, 0.95))
    return min(_ess(_split((x <= low).astype(float))), _ess(_split((x <= high).astype(float))))


@dataclass(frozen=True)
class Diagnostic:
    """The worst R-hat and ESS over the elements of one variable."""

    name: str
    rhat: float
    ess_bulk: float
    ess_tail: float

    def failures(self, target_rhat: float, target_ess: float) -> list[str]:
        """What misses its target, as text ("R-hat 1.04", "bulk ESS 212"); empty when converged."""
        out = []
        if not self.rhat <= target_rhat:
            out.append(f"R-hat {self.rhat:.3f}")
        if not self.ess_bulk >= target_ess:
            out.append(f"bulk ESS {self.ess_bulk:.0f}")
        if not self.ess_tail >= target_ess:
            out.append(f"tail ESS {self.ess_tail:.0f}")
        return out


def diagnose(variables: dict) -> list[Diagnostic]:
    """R-hat and bulk/tail ESS of each variable {name: array (chain, draw, ...)}, worst over its elements.

    A variable that is constant across all draws (a fixed derived value) counts as converged.
    """
    out = []
    for name, values in variables.items():
        values = np.asarray(values, dtype=float)
        flat = values.reshape(values.shape[0], values.shape[1], -1)
        found = []
        for k in range(flat.shape[2]):
            x = flat[:, :, k]
            found.append((1.0, math.inf, math.inf) if np.all(x == x.flat[0]) else (rhat(x), ess_bulk(x), ess_tail(x)))
        r, b, t = (np.array(v) for v in zip(*found))
        worst_r = math.nan if np.isnan(r).any() else float(r.max())
        worst_b = math.nan if np.isnan(b).any() else float(b.min())
        worst_t = math.nan if np.isnan(t).any() else float(t.min())
        out.append(Diagnostic(name, worst_r, worst_b, worst_t))
    return out


def unconverged(diagnostics: list[Diagnostic], target_rhat: float = TARGET_RHAT,
                target_ess: float = TARGET_ESS) -> list[Diagnostic]:
    """The variables that miss a target."""
    return [d for d in diagnostics if d.failures(target_rhat, target_ess)]


def convergence_warning(failing: list[Diagnostic], target_rhat: float, target_ess: float, chains: int,
                        draws: int) -> str | None:
    """One plain warning naming each variable that misses a target, its values, and what to do."""
    if not failing:
        return None
    listed = "; ".join(f"{d.name}: {', '.join(d.failures(target_rhat, target_ess))}" for d in failing)
    return (f"not converged ({chains} chains x {draws} draws; targets R-hat <= {target_rhat:g}, "
            f"ESS >= {target_ess:g}): {listed}. The draws may not represent the posterior: run longer "
            f"(--max-time, --samples), with more chains (--chains), or with another sampler (--sampler).")


def run_warnings(idata, target_rhat: float | None = None, target_ess: float | None = None) -> list[str]:
    """Plain-text warnings about a run's results: convergence, particle-filter noise, failed estimates, resets.

    The targets default to those the run used (its attributes), else
    :data:`TARGET_RHAT` and :data:`TARGET_ESS`. Inference methods' results
    (no chains to diagnose) get no convergence warning.
    """
    from ponder.runtime.arviz_io import group

    post = group(idata, "posterior")
    if post is None:
        return []
    attrs = post.attrs
    target_rhat = float(target_rhat if target_rhat is not None else attrs.get("target_rhat", TARGET_RHAT))
    target_ess = float(target_ess if target_ess is not None else attrs.get("target_ess", TARGET_ESS))
    out = []
    stats = group(idata, "sample_stats")
    if "method" not in attrs:
        params = {v: post[v].values for v, da in post.data_vars.items()
                  if not any(str(d).startswith("time") for d in da.dims)}
        failing = unconverged(diagnose(params), target_rhat, target_ess)
        warning = convergence_warning(failing, target_rhat, target_ess, post.sizes["chain"], post.sizes["draw"])
        if warning:
            out.append(warning)
    if attrs.get("stopped") == "memory":
        out.append("sampling stopped before converging because the records of a longer run would not fit in this "
                   "machine's memory: use --thin, fewer chains, or a model without latent paths")
    if int(attrs.get("warmup_cut", 0)):
        out.append(f"the warm-up was cut short by the time budget after {int(attrs.get('warmup', 0))} iterations, "
                   f"before it settled (chains still apart or particle numbers still changing): give more --max-time "
                   f"or a --warmup")
    if stats is not None:
        out.extend(_likelihood_warnings(stats, attrs))
    out.extend(_pruning_warnings(attrs, post.sizes["chain"]))
    return out


def _pruning_warnings(attrs, walkers: int) -> list[str]:
    """The ensemble's pruning: walkers still stranded when the warm-up ended, or stranded again and again.

    Pruning moves walkers far below the others' median during warm-up; more
    than :data:`MAX_PRUNED_FRACTION` of all walker-prunings moved means walkers
    keep getting stranded (separated modes, or a noisy likelihood estimate).
    """
    out = []
    last, total, prunings = (int(attrs.get(k, 0) or 0) for k in ("pruned_last", "pruned_walkers", "prunings"))
    if last > 0:
        out.append(f"{last} of {walkers} ensemble walkers were still stranded (far below the others) at the "
                   f"warm-up's last pruning: the draws may hold walkers that have not reached the posterior; give a "
                   f"longer --warmup, or leave --warmup out so the warm-up lasts until it settles.")
    if prunings > 0 and total > MAX_PRUNED_FRACTION * prunings * walkers:
        out.append(f"ensemble walkers were pruned {total} times in {prunings} prunings of {walkers} walkers: walkers "
                   f"keep getting stranded (separated modes or a noisy likelihood estimate); try --sampler pt, or "
                   f"more particles.")
    return out


def _likelihood_warnings(stats, attrs) -> list[str]:
    out = []
    if "loglik_sd" in stats and "lp" in stats:
        sd = np.asarray(stats["loglik_sd"].values, dtype=float)
        lp = np.asarray(stats["lp"].values, dtype=float)
        ok = np.isfinite(sd) & np.isfinite(lp)
        if ok.sum() >= 10:
            # the estimate's spread near the posterior's middle: draws whose log density is within the central half
            low, high = np.quantile(lp[ok], (0.25, 0.75))
            middle = ok & (lp >= low) & (lp <= high)
            typical = float(np.median(sd[middle])) if middle.any() else math.nan
            if typical > MAX_LOGLIK_SD:
                out.append(f"the particle filter's log-likelihood estimates have sd {typical:.2f} near the "
                           f"posterior's centre (above {MAX_LOGLIK_SD}): pseudo-marginal chains mix poorly; use "
                           f"more particles (--particles, e.g. a higher MIN:MAX) or the `target_sd` option of pf.")
    if "failed_estimates" in stats:
        failed = np.asarray(stats["failed_estimates"].values)
        if failed.size:
            total_failed = float(np.sum(failed[:, -1]))  # cumulative counts: the last draw holds the total
            evaluations = float(attrs.get("likelihood_evaluations", 0) or 0)
            if evaluations > 0 and total_failed / evaluations > MAX_FAILED_FRACTION:
                out.append(f"{total_failed:.0f} of {evaluations:.0f} likelihood estimates failed "
                           f"({100 * total_failed / evaluations:.1f}%, above {100 * MAX_FAILED_FRACTION:g}%): "
                           f"the filter's particles all got zero weight there; use more particles or check the "
                           f"error model.")
    steps = float(attrs.get("simulator_steps", 0) or 0)
    failed_steps = float(attrs.get("simulator_failures", 0) or 0)
    if steps > 0 and failed_steps / steps > MAX_FAILED_FRACTION:
        out.append(f"{failed_steps:.0f} of {steps:.0f} runs of the external simulator failed "
                   f"({100 * failed_steps / steps:.1f}%, above {100 * MAX_FAILED_FRACTION:g}%; a failed run gives "
                   f"its particle zero weight): the fit leans on the parameter values where the simulator works; "
                   f"run it by hand at a failing draw, or narrow the priors.")
    if "resets" in stats:
        resets = np.asarray(stats["resets"].values)
        if resets.size:
            walkers, draws = resets.shape[0], resets.shape[1]
            total = float(np.sum(resets[:, -1] - resets[:, 0]))
            if total > 0.01 * walkers * draws:
                out.append(f"ensemble walkers were reset {total:.0f} times in {walkers * draws} walker-draws: their "
                           f"likelihood estimates were often stuck; more particles would make resets rarer.")
    return out
