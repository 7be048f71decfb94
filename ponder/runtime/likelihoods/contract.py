"""The likelihood-estimator contract: what a likelihood plugin implements and what the runtime guarantees.

A likelihood plugin registers a factory (usually the class) with
``registry.add(name, factory, description)`` in ``ponder_add_likelihoods``.
``factory(model, dataset, **options)`` builds one estimator per dataset:
``model`` is a :class:`ponder.runtime.problem.Problem` (the compiled model:
``kernels``, ``ir``, ``consts(dataset)``, ``is_deterministic``), ``dataset``
a :class:`ponder.runtime.data.Dataset`. The factory's class attributes say
what it can do; code never asks its name or class:

``capabilities``
    a :class:`Capabilities`: ``exact`` (the estimate is the likelihood itself,
    not a noisy estimate of it: samplers may then re-evaluate freely, slice
    samplers apply) and ``needs_stochastic``/``needs_deterministic`` (which
    models it accepts; the ``auto`` choice takes the first registered
    likelihood whose ``auto_for`` matches the model), and ``thread_safe``
    (``estimate`` may run on several threads of one process at once, and
    spends its time outside the GIL: the default ``auto`` executor then
    runs a batch's estimates on threads).
``options``
    a tuple of :class:`ponder.plugins.options.Option`; the runtime passes
    only declared options, coerced to their types. The runtime's run
    settings ``particles`` and ``resampling`` reach the estimators that
    declare them.

An estimator has ``estimate(theta, seed, trajectory=True) -> Estimate`` and
``cost() -> float`` (relative work per estimate, to hand the longest
tasks out first). ``seed`` is an int, a ``numpy.random.SeedSequence`` or a
key path ``(seed, k1, k2, ...)``; an estimator that draws random numbers
turns it into a generator with :func:`ponder.runtime.seeds.generator` (or
``thread_generator``), so its numbers depend only on the key, never on the
worker or the order tasks finish in. Optional:

``adaptation``
    an :class:`Adaptation` (or None): a tuning quantity, such as the
    particle filter's particle number, that the runtime adapts centrally
    during warm-up -- once per batch, from the median of the batch's
    ``variance_times_n`` diagnostics, in a fixed order -- then locks at the
    end of warm-up and checkpoints with the run. When the runtime adapts,
    it passes ``particles=`` (the adaptation's current value) to
    ``estimate`` explicitly.
``compiled_loglik``
    for exact likelihoods: ``(module, function)`` naming a ``numba.njit``
    function ``f(theta, consts, t0, times, values, pointwise, states, rng)
    -> float`` that computes the log-likelihood inside Numba (filling the
    per-time ``pointwise`` (T,) and the states (T, n_states)), with
    ``consts`` and ``dataset`` attributes on the estimator. Samplers that
    run whole scans in Numba (parallel tempering's slice explorer) call it.
``warm_up(theta)``
    compile or load kernels without changing adaptive state.

``estimate`` never raises for a parameter value: a failed estimate is
``loglik = -inf``. Diagnostics the runtime records when given:
``particles``, ``ess`` (per time), ``ess_min``, ``variance_times_n``
(the estimator's own var(log L) times N), ``loglik_sd``, and for models
around an external simulator ``simulator_steps`` and ``simulator_failures``
(particle outputs read, and those whose run failed).

The entry named ``replicates`` is the *combiner* of a model with several
datasets: ``factory(model, estimators)`` returns an object with
``order() -> list[int]`` (replicate indices, the most expensive first),
``replicate_seed(seed, r)`` (the key of replicate r's numbers under
``seed``) and ``combine(parts) -> Estimate`` (the estimate of all replicates
from one per replicate, in replicate order). ``ponder loglik``, the API and
sampling runs all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ponder.runtime.estimate import Estimate


@dataclass(frozen=True)
class Capabilities:
    """What a likelihood can do; see the module docstring."""

    exact: bool = False
    auto_for: str | None = None  # "deterministic" or "stochastic": chosen by `auto` for such models
    thread_safe: bool = False  # concurrent estimates on threads are safe and run outside the GIL


@runtime_checkable
class Adaptation(Protocol):
    """A quantity the runtime adapts during warm-up (the particle filter's particle number)."""

    particles: int

    def update(self, variance_times_n: float) -> None:
        """Take one estimate's var(log L) * N into account."""

    def lock(self, particles: int | None = None) -> None:
        """Stop adapting (at the end of warm-up)."""

    def get_state(self) -> dict:
        """Plain values to checkpoint."""

    def set_state(self, state: dict) -> None:
        """Restore what :meth:`get_state` gave."""


@runtime_checkable
class Likelihood(Protocol):
    """One dataset's likelihood estimator (see the module docstring)."""

    def estimate(self, theta, seed=None, trajectory: bool = True) -> Estimate:
        """The log-likelihood (estimate) at ``theta``."""

    def cost(self) -> float:
        """Relative work of one estimate."""


def capabilities_of(estimator) -> Capabilities:
    """The declared capabilities of an estimator (or its factory); none declared: a noisy, non-auto likelihood."""
    return getattr(estimator, "capabilities", None) or Capabilities()


def adaptation_of(estimator) -> Adaptation | None:
    """The estimator's adaptation, or None if it adapts nothing."""
    return getattr(estimator, "adaptation", None)
