"""What a likelihood estimator returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Estimate:
    """One likelihood estimate at one parameter vector.

    ``loglik``
        the log-likelihood (exact for ``direct``, an unbiased-likelihood
        estimate's logarithm for ``pf``); ``-inf`` when the filter collapsed.
    ``pointwise``
        per observation time contributions, summing to ``loglik`` (for
        several replicates, the replicates' arrays one after another).
    ``trajectory``
        latent states at the observation times, shape (T, n_state_slots):
        the exact path for ``direct``, one path drawn by ancestor tracing for
        ``pf`` (None when not asked for). For replicates, ``parts`` hold them.
    ``diagnostics``
        ``particles``, ``ess`` and ``unique`` per time, ``collapse_time``,
        ``loglik_sd`` (the filter's own estimate of its standard deviation),
        ``seconds``.
    ``parts``
        per-replicate estimates when the model has several datasets.
    """

    loglik: float
    pointwise: np.ndarray
    trajectory: np.ndarray | None = None
    diagnostics: dict = field(default_factory=dict)
    pointwise_columns: np.ndarray | None = None
    parts: tuple["Estimate", ...] = ()

    def __float__(self) -> float:
        return float(self.loglik)
