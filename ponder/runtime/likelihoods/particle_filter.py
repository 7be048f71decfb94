"""The bootstrap particle filter (``likelihood = pf``).

For observation times t_1 < ... < t_T, N particles are initialised at t0,
and for each k: moved to t_k by the model's dynamics, weighted by
w_k^i = p(y_k | x_k^i), and resampled. The product over k of the (weighted)
mean weights is an unbiased estimate of the likelihood (Del Moral 2004), so
its logarithm, returned here, is what pseudo-marginal samplers need.
The whole loop runs in Numba (:mod:`ponder.runtime.templates.filters`).

**Adaptive particle number** (``particles = "MIN:MAX"``). After each
estimate the filter estimates the variance of its own log-likelihood by the
delta method, var(log Z) ~ sum_k (1 / ESS_k - 1 / N), which is the sum over
observation times of the squared coefficient of variation of the weights
divided by N. Since that variance scales like c / N, the constant
c = var * N is smoothed over calls (exponential average, weight 0.3), and N
is doubled when c / target_sd^2 exceeds sqrt(2) N, halved when it is below
N / sqrt(2), within [MIN, MAX]: N moves one power of two per call towards
the number that puts the standard deviation at ``target_sd`` (default 1.0,
after Doucet, Pitt, Deligiannidis and Kohn 2015). Calls that return -inf do
not adapt. :meth:`ParticleFilter.lock` freezes N, so that a sampler targets a
fixed kernel after warm-up.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ponder.runtime.settings import MAX_PARTICLES, check_particles
from ponder.lang import messages
from ponder.plugins.options import Option
from ponder.runtime.data import Dataset
from ponder.runtime.estimate import Estimate
from ponder.runtime.likelihoods.contract import Capabilities
from ponder.runtime.seeds import thread_generator
from ponder.runtime.simulators.loops import simulator_counts

DEFAULT_PARTICLES = 1024


def parse_particles(value) -> tuple[int, int]:
    """``1000`` -> (1000, 1000); ``"64:1024"`` or ``(64, 1024)`` -> (64, 1024)."""
    if value is None:
        return DEFAULT_PARTICLES, DEFAULT_PARTICLES
    try:
        if isinstance(value, str):
            parts = value.split(":")
            lo, hi = (int(parts[0]), int(parts[-1])) if len(parts) in (1, 2) else (0, -1)
        elif isinstance(value, (tuple, list)):
            lo, hi = int(value[0]), int(value[-1])
        else:
            lo = hi = int(value)
    except (TypeError, ValueError):
        lo, hi = 0, -1
    if lo < 1 or hi < lo:
        raise messages.not_a_particle_number(value)
    return lo, hi


class ParticleNumber:
    """The adaptive particle number rule of the module docstring, as plain numbers (an ``Adaptation``).

    ``particles`` is the current N; :meth:`update` takes the filter's own
    variance estimate times N from one estimate and moves N by at most one
    power of two. Its whole state is ``(particles, constant, locked)``, so
    runs can checkpoint and resume it.
    """

    def __init__(self, minimum: int, maximum: int, target_sd: float = 1.0):
        self.minimum, self.maximum = int(minimum), int(maximum)
        self.target_sd = float(target_sd)
        self.particles = self.minimum
        self.constant = math.nan  # smoothed var(log Z) * N
        self.locked = self.minimum == self.maximum

    def update(self, variance_times_n: float) -> None:
        if self.locked or not math.isfinite(variance_times_n):
            return
        c = self.constant
        self.constant = variance_times_n if not math.isfinite(c) else 0.7 * c + 0.3 * variance_times_n
        wanted = self.constant / self.target_sd**2
        if wanted > math.sqrt(2.0) * self.particles and self.particles < self.maximum:
            self.particles = min(2 * self.particles, self.maximum)
        elif wanted < self.particles / math.sqrt(2.0) and self.particles > self.minimum:
            self.particles = max(self.particles // 2, self.minimum)

    def lock(self, particles: int | None = None) -> None:
        if particles is not None:
            self.particles = int(particles)
        self.locked = True

    def get_state(self) -> dict:
        return {"particles": self.particles, "constant": self.constant, "locked": self.locked}

    def set_state(self, state: dict) -> None:
        self.particles = int(state["particles"])
        self.constant = float(state["constant"])
        self.locked = bool(state["locked"])


class ParticleFilter:
    """Bootstrap particle filter with optional adaptive particle number."""

    name = "pf"
    capabilities = Capabilities(exact=False, auto_for="stochastic", thread_safe=True)
    options = (
        Option("particles", str, None, "N, or MIN:MAX for an adaptive number (default 1024; runs: 64:4096; N at most "
               f"{MAX_PARTICLES})", check=check_particles),
        # the names of ponder.runtime.resampling.SCHEMES (a test keeps them equal), written out so that
        # listing the options does not import Numba
        Option("resampling", str, "systematic", "resampling scheme",
               choices=("systematic", "stratified", "multinomial", "residual")),
        Option("ess_threshold", float, 1.0, "resample when ESS/N falls below this", minimum=0.0, maximum=1.0),
        Option("target_sd", float, 1.0, "adaptive N aims at this sd of the log-likelihood estimate", above=0.0),
    )

    def __init__(
        self,
        model,
        dataset: Dataset,
        particles=None,
        resampling: str = "systematic",
        ess_threshold: float = 1.0,
        target_sd: float = 1.0,
        **options,
    ):
        if options and any(v is not None for v in options.values()):
            raise messages.unknown_option(f"the `{self.name}` likelihood", next(iter(options)),
                                          (o.name for o in self.options), own_check=True)
        resampling = resampling or "systematic"
        if resampling not in _schemes():
            raise messages.unknown_resampling_scheme(resampling, _schemes())
        if not 0.0 < ess_threshold <= 1.0:
            raise messages.ess_threshold_out_of_range(ess_threshold)
        if not target_sd > 0:
            raise messages.target_sd_not_positive(target_sd)
        self.model = model
        self.dataset = dataset
        self.consts = model.consts(dataset)
        # the compiler and Numba are imported when a filter is built, not when the likelihoods are listed
        from ponder.runtime.kernels import link
        from ponder.runtime.stats import delta_variance

        self.loops = link(model.compiled)
        self._delta_variance = delta_variance
        #: the particle number the runtime adapts during warm-up (the likelihood contract's ``adaptation``)
        self.adaptation = ParticleNumber(*parse_particles(particles), target_sd=target_sd)
        self.scheme = _schemes().index(resampling)
        self.resampling = resampling
        self.ess_threshold = float(ess_threshold)

    @property
    def particles(self) -> int:
        return self.adaptation.particles

    @property
    def adaptive(self) -> bool:
        return self.adaptation.minimum != self.adaptation.maximum

    def lock(self, particles: int | None = None) -> None:
        """Stop adapting; optionally fix N first."""
        self.adaptation.lock(particles)

    def cost(self) -> float:
        return float(self.dataset.n_times * self.particles)

    def warm_up(self, theta) -> None:
        """Compile (or load) the filter without touching the adaptive state."""
        self.estimate(theta, 0, trajectory=True, particles=min(self.particles, 8))

    def estimate(self, theta, seed=None, trajectory: bool = True, particles: int | None = None) -> Estimate:
        """One estimate at ``theta`` with random numbers from ``seed``.

        With ``particles`` given, that N is used and the adaptive rule is not
        updated (the sampling runtime adapts centrally, in a fixed order).
        """
        start = time.perf_counter()
        theta = np.ascontiguousarray(theta, dtype=float)
        n = int(particles or self.particles)
        ds = self.dataset
        T = ds.n_times
        increments = np.empty(T)
        ess = np.empty(T)
        unique = np.empty(T, dtype=np.int64)
        path = np.full((T, self.model.ir.n_states), np.nan)
        loglik, collapse = self.loops.pf_run(
            theta, self.consts, self.model.ir.t0, ds.times, ds.values, n, self.scheme,
            self.ess_threshold, thread_generator(seed), increments, ess, unique, path, bool(trajectory),
        )
        variance, ess_min = self._delta_variance(increments, ess, n)
        diagnostics = {
            "particles": n,
            "ess": ess,
            "ess_min": ess_min,
            "unique": unique,
            "collapse_time": float(ds.times[collapse]) if collapse >= 0 else None,
            "loglik_sd": math.sqrt(max(variance, 0.0)) if variance == variance else math.nan,
            "variance_times_n": variance * n if math.isfinite(loglik) else math.nan,
            "seconds": time.perf_counter() - start,
            **simulator_counts(self.loops),
        }
        if particles is None:
            self.adaptation.update(diagnostics["variance_times_n"])
        return Estimate(
            loglik=float(loglik),
            pointwise=increments,
            trajectory=path if trajectory and collapse < 0 else None,
            diagnostics=diagnostics,
        )


def _schemes() -> tuple[str, ...]:
    from ponder.runtime import resampling

    return resampling.SCHEMES
