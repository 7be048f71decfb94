"""Parallel tempering's bookkeeping in Numba: tempered densities, swap passes, stepping stone, round trips.

Shared by the Python scans of :mod:`ponder.runtime.samplers.tempering`
(one call each per scan instead of a dozen small NumPy operations, which
cost more than a particle filter's estimate on small models) and by the
whole-scan kernel in ``templates/explorers.py``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@jit
def log_add_exp(a, b):
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


@jit
def tempered(logpost, loglik, beta):
    """The b-tempered log density from the stored values (prior part plus b times the log-likelihood)."""
    finite = math.isfinite(loglik)
    prior_part = logpost - (loglik if finite else 0.0)
    if beta > 0:
        return prior_part + beta * loglik if finite else -math.inf
    return prior_part


@jit
def tempered_rows(logpost, loglik, betas):
    """:func:`tempered` of each row."""
    out = np.empty(betas.shape[0])
    for k in range(betas.shape[0]):
        out[k] = tempered(logpost[k], loglik[k], betas[k])
    return out


@jit
def mh_decisions(logpost, loglik, new_logpost, new_loglik, betas, u, accepted, prob):
    """Metropolis decisions on the tempered densities: row k moves if log u[k] < the log ratio (nan rejects)."""
    for k in range(betas.shape[0]):
        log_ratio = tempered(new_logpost[k], new_loglik[k], betas[k]) - tempered(logpost[k], loglik[k], betas[k])
        if log_ratio != log_ratio:
            log_ratio = -math.inf
        accepted[k] = math.log(u[k]) < log_ratio
        prob[k] = math.exp(min(log_ratio, 0.0))


@jit
def swap_probability(betas, loglik, i):
    """Acceptance probability of swapping replicas i and i + 1, from their stored log-likelihoods."""
    delta = (betas[i + 1] - betas[i]) * (loglik[i] - loglik[i + 1])
    if delta != delta:  # both infinite: move the lower one up unless it is -inf itself
        delta = -math.inf if not math.isfinite(loglik[i]) else math.inf
    return math.exp(min(delta, 0.0))


@jit
def swap_pass(parity, betas, loglik, u, reject, swaps, order):
    """The pairs (i, i + 1) with i of ``parity``, each with its uniform in ``u`` (in pair order).

    Adds the rejection probabilities and attempts to ``reject`` and
    ``swaps``; ``order`` (the identity on entry) becomes the permutation
    of rows the accepted swaps make. Returns the number of swaps.
    """
    done = 0
    for k, i in enumerate(range(parity, betas.shape[0] - 1, 2)):
        prob = swap_probability(betas, loglik, i)
        reject[i] += 1.0 - prob
        swaps[i] += 1
        if u[k] < prob:
            order[i], order[i + 1] = i + 1, i
            done += 1
    return done


@jit
def count_round_trip(index, visited_top, round_trips):
    """A machine that reached the top and is back at the bottom completes a round trip."""
    visited_top[index[index.shape[0] - 1]] = True
    if visited_top[index[0]]:
        round_trips[0] += 1
        visited_top[index[0]] = False


@jit
def stepping_stone(scan, round_start, round_length, blocks, betas, loglik, ss_sum, ss_count):
    """Add log-sum-exp of (b_{i+1} - b_i) l_i to the sums of the scan's block of the round."""
    block = min((scan - round_start) * blocks // round_length, blocks - 1)
    for i in range(betas.shape[0] - 1):
        term = (betas[i + 1] - betas[i]) * (loglik[i] if math.isfinite(loglik[i]) else -math.inf)
        ss_sum[block, i] = log_add_exp(ss_sum[block, i], term)
    ss_count[block] += 1


@jit
def pair_count(replicas, parity):
    """Number of pairs (i, i + 1) with i of ``parity`` among ``replicas`` replicas."""
    return (replicas - parity) // 2

