"""Likelihood loops linked against one model's kernels.

This file is a template: :func:`ponder.runtime.kernels.link` writes a copy of
it after a line that imports ``init``, ``advance``, ``obs_logpdf``,
``obs_logpdf_cols``, ``obs_sample`` and ``N_STATES`` from the model's generated module, so
Numba compiles (and caches) these loops with the model kernels inlined. It
is never imported directly.
"""
# The linker puts the model import above this line.
import math

import numba
import numpy as np

from ponder.runtime.resampling import resample

jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@jit
def direct_run(theta, consts, t0, times, Y, pointwise, states, rng):
    """Exact log-likelihood of a deterministic model (one particle).

    ``pointwise[k, j]`` receives the log density of ``Y[k, j]`` (0 where
    missing); ``states[k]`` the state at ``times[k]``. Returns the sum.
    """
    X = np.empty((1, N_STATES))  # rng is unused by deterministic kernels
    init(theta, consts, t0, X, rng)
    t_prev = t0
    total = 0.0
    for k in range(times.shape[0]):
        if times[k] > t_prev:
            advance(theta, consts, X, t_prev, times[k], rng)
        obs_logpdf_cols(theta, consts, X, times[k], Y[k], pointwise[k:k + 1])
        for j in range(pointwise.shape[1]):
            v = pointwise[k, j]
            if v != v:
                pointwise[k, j] = -math.inf
                v = -math.inf
            total += v
        for i in range(N_STATES):
            states[k, i] = X[0, i]
        t_prev = times[k]
    return total


@jit
def pf_run(theta, consts, t0, times, Y, n_particles, scheme, ess_threshold, rng,
           increments, ess, unique, trajectory, trace):
    """Bootstrap particle filter; returns (log-likelihood, index of collapse or -1).

    Per observation time k: move particles from the previous time to
    ``times[k]``, weight them by the observation density, add
    ``log sum(W_prev * w_k)`` - ``log sum(W_prev)`` to the log-likelihood
    (``increments[k]``), store the effective sample size ``1 / sum(W^2)``
    (``ess[k]``), and resample when ESS < ``ess_threshold * N`` (the number
    of distinct ancestors goes to ``unique[k]``). With ``trace``, one path is
    drawn from the final weights and traced back through the ancestors into
    ``trajectory`` (T, N_STATES). When every weight is zero the estimate is
    -inf and the index of that time is returned.
    """
    n = n_particles
    T = times.shape[0]
    X = np.empty((n, N_STATES))
    X_next = np.empty((n, N_STATES))
    init(theta, consts, t0, X, rng)
    logw = np.zeros(n)
    lp = np.empty(n)
    w = np.empty(n)
    idx = np.empty(n, dtype=np.int64)
    seen = np.zeros(n, dtype=np.bool_)
    if trace:
        history = np.empty((T, n, N_STATES))
        ancestors = np.empty((T, n), dtype=np.int64)
    else:
        history = np.empty((1, 1, N_STATES))
        ancestors = np.empty((1, 1), dtype=np.int64)
    loglik = 0.0
    t_prev = t0
    log_total_prev = math.log(n)  # log sum of the unnormalised weights carried in
    for k in range(T):
        if times[k] > t_prev:
            advance(theta, consts, X, t_prev, times[k], rng)
        obs_logpdf(theta, consts, X, times[k], Y[k], lp)
        top = -math.inf
        for i in range(n):
            v = logw[i] + lp[i]
            if v != v:
                v = -math.inf
            logw[i] = v
            if v > top:
                top = v
        if top == -math.inf:
            increments[k] = -math.inf
            for r in range(k + 1, T):
                increments[r] = math.nan
                ess[r] = 0.0
                unique[r] = 0
            ess[k] = 0.0
            unique[k] = 0
            return -math.inf, k
        total = 0.0
        for i in range(n):
            w[i] = math.exp(logw[i] - top)
            total += w[i]
        log_total = top + math.log(total)
        increments[k] = log_total - log_total_prev
        loglik += increments[k]
        sum_sq = 0.0
        for i in range(n):
            w[i] /= total
            sum_sq += w[i] * w[i]
        ess[k] = 1.0 / sum_sq
        if trace:
            history[k] = X
        if ess[k] < ess_threshold * n:
            resample(scheme, w, rng, idx)
            count = 0
            for i in range(n):
                seen[i] = False
            for i in range(n):
                a = idx[i]
                if not seen[a]:
                    seen[a] = True
                    count += 1
                for s in range(N_STATES):
                    X_next[i, s] = X[a, s]
            unique[k] = count
            X, X_next = X_next, X
            for i in range(n):
                logw[i] = 0.0
            log_total_prev = math.log(n)
            if trace:
                ancestors[k] = idx
        else:
            unique[k] = n
            log_total_prev = log_total
            if trace:
                for i in range(n):
                    ancestors[k, i] = i
        t_prev = times[k]
    if trace and T > 0:
        # Choose a final particle by its weight, then follow its ancestors back.
        u = rng.random()
        b = 0
        c = w[0]
        while u >= c and b < n - 1:
            b += 1
            c += w[b]
        for k in range(T - 1, -1, -1):
            for s in range(N_STATES):
                trajectory[k, s] = history[k, b, s]
            if k > 0:
                b = ancestors[k - 1, b]
    return loglik, -1


@jit
def simulate_run(theta, consts, t0, times, rng, states, obs):
    """One simulated path: states and observations at ``times`` (a row each)."""
    X = np.empty((1, N_STATES))
    init(theta, consts, t0, X, rng)
    t_prev = t0
    for k in range(times.shape[0]):
        if times[k] > t_prev:
            advance(theta, consts, X, t_prev, times[k], rng)
        for i in range(N_STATES):
            states[k, i] = X[0, i]
        obs_sample(theta, consts, X, times[k], rng, obs[k:k + 1])
        t_prev = times[k]
