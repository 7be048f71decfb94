"""Helpers shared by samplers."""

from __future__ import annotations

import numpy as np

from ponder.runtime.evaluation import EVAL_KEYS


def accept_rows(state: dict, rows: np.ndarray, z_new: np.ndarray, evaluation: dict, accepted: np.ndarray) -> None:
    """Copy accepted proposals into ``state``.

    ``rows[k]`` is the state row of proposal k (the rows are distinct);
    ``accepted[k]`` says whether proposal k replaces it (its position
    ``z_new[k]`` and its evaluation). Proposals whose likelihood estimate
    failed (``evaluation["failed"]``) are counted in
    ``state["failed_estimates"]``, accepted or not.
    """
    if "failed" in evaluation and "failed_estimates" in state:
        state["failed_estimates"][rows] += evaluation["failed"]
    take = np.flatnonzero(accepted)
    target_rows = rows[take]
    state["z"][target_rows] = z_new[take]
    for key in EVAL_KEYS:
        state[key][target_rows] = evaluation[key][take]


def log_accept(log_ratio: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Metropolis decisions and acceptance probabilities for log ratios (nan = reject)."""
    log_ratio = np.where(np.isnan(log_ratio), -np.inf, log_ratio)
    u = rng.random(len(log_ratio))
    accepted = np.log(u) < log_ratio
    return accepted, np.exp(np.minimum(log_ratio, 0.0))
