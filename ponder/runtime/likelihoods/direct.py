"""The exact likelihood of a deterministic model.

With no randomness in the dynamics, the states at the observation times are
a function of the parameters, and

    log p(y | theta) = sum_k sum_j log p(y[k, j] | x(t_k), theta)

over observed (non-missing) values. One run of the kernels computes it,
inside Numba (:func:`templates.filters.direct_run`).
"""

from __future__ import annotations

import time

import numpy as np

from ponder.lang import messages
from ponder.runtime.data import Dataset
from ponder.runtime.estimate import Estimate
from ponder.runtime.likelihoods.contract import Capabilities
from ponder.runtime.simulators.loops import simulator_counts


class DirectLikelihood:
    """Exact log-likelihood for deterministic models (``likelihood = direct``)."""

    name = "direct"
    capabilities = Capabilities(exact=True, auto_for="deterministic", thread_safe=True)
    options = ()

    def __init__(self, model, dataset: Dataset, **options):
        if not model.is_deterministic:
            raise messages.direct_needs_deterministic(model.name)
        _reject_options(self.name, options, set())
        self.model = model
        self.dataset = dataset
        self.consts = model.consts(dataset)
        from ponder.runtime.kernels import link  # the compiler: loaded when a likelihood is built, not listed

        self.loops = link(model.compiled)
        self._rng = np.random.default_rng(0)  # the kernels' signature needs one; never drawn from
        #: the Numba log-likelihood (likelihood contract): ``direct_run`` of this model's linked loops; None
        #: for loops in Python (an external simulator's)
        self.compiled_loglik = (self.loops.__name__, "direct_run") if getattr(self.loops, "in_numba", True) else None

    def cost(self) -> float:
        return float(self.dataset.n_times)

    def warm_up(self, theta) -> None:
        """Compile (or load) the likelihood loop."""
        self.estimate(theta)

    def estimate(self, theta, seed=None, trajectory: bool = True) -> Estimate:
        start = time.perf_counter()
        theta = np.ascontiguousarray(theta, dtype=float)
        ds = self.dataset
        pointwise = np.empty((ds.n_times, ds.values.shape[1]))
        states = np.empty((ds.n_times, self.model.ir.n_states))
        total = self.loops.direct_run(
            theta, self.consts, self.model.ir.t0, ds.times, ds.values, pointwise, states, self._rng
        )
        return Estimate(
            loglik=float(total) if total == total else -np.inf,
            pointwise=pointwise.sum(axis=1),
            pointwise_columns=pointwise,
            trajectory=states if trajectory else None,
            diagnostics={"particles": 1, "seconds": time.perf_counter() - start, **simulator_counts(self.loops)},
        )


def _reject_options(name: str, options: dict, ignored: set[str]) -> None:
    unknown = [k for k, v in options.items() if k not in ignored and v is not None]
    if unknown:
        raise messages.unknown_option(f"the `{name}` likelihood", unknown[0], (), own_check=True)
