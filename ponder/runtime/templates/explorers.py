"""Parallel tempering's slice explorer for exact likelihoods, linked against one model's kernels.

A template like ``filters.py``: :func:`ponder.runtime.kernels.link` writes a
copy after lines importing the model's ``prior_logpdf`` and the linked
``direct_run``. One call does a whole scan's exploration: for every replica
a sweep of coordinate-wise slice sampling (Neal 2003: stepping out, then
shrinkage) on the tempered density

    log prior(theta(z)) + log|d theta / d z| + beta * log L(theta(z))

in unconstrained space, with the likelihood summed over the datasets. With
microsecond likelihoods the Python orchestration of batched evaluations cost
more than the evaluations themselves; here none is left. The uniforms come in
``U`` (replica, coordinate, 2 + max_steps), drawn by the caller, so the
result does not depend on how the work is split.
"""
# The linker puts the model import above this line.
import math

import numba
import numpy as np

jit = numba.njit(cache=True, nogil=True, error_model="numpy")

REAL, LOWER, UPPER, INTERVAL = 0, 1, 2, 3


@jit
def log_logistic(z):
    return -np.logaddexp(0.0, -z)


@jit
def to_theta(z, kinds, lower, upper, theta):
    """theta(z) for fixed bounds; returns log|d theta / d z|."""
    logj = 0.0
    for i in range(z.shape[0]):
        k = kinds[i]
        if k == REAL:
            theta[i] = z[i]
        elif k == LOWER:
            theta[i] = lower[i] + math.exp(z[i])
            logj += z[i]
        elif k == UPPER:
            theta[i] = upper[i] - math.exp(z[i])
            logj += z[i]
        else:
            width = upper[i] - lower[i]
            lp = log_logistic(z[i])
            theta[i] = lower[i] + width * math.exp(lp)
            logj += math.log(width) + lp + log_logistic(-z[i])
    return logj


@jit
def evaluate(z, beta, kinds, lower, upper, consts, t0, times, Y, offsets, theta, pointwise, states, rng, out):
    """Tempered log density at z; ``out`` = (loglik, logprior, logj); pointwise and states filled."""
    logj = to_theta(z, kinds, lower, upper, theta)
    for i in range(theta.shape[0]):
        if not math.isfinite(theta[i]):
            out[0], out[1], out[2] = -math.inf, -math.inf, logj
            return -math.inf
    logprior = prior_logpdf(theta, consts[0])  # noqa: F821 - imported by the linker
    out[1], out[2] = logprior, logj
    if not (math.isfinite(logprior) and math.isfinite(logj)):
        out[0] = -math.inf
        return -math.inf
    loglik = 0.0
    for r in range(offsets.shape[0] - 1):
        a, b = offsets[r], offsets[r + 1]
        loglik += direct_run(theta, consts[r], t0, times[a:b], Y[a:b], pointwise[a:b], states[a:b], rng)  # noqa: F821
    if loglik != loglik:
        loglik = -math.inf
    out[0] = loglik
    if not math.isfinite(loglik):
        return -math.inf
    return logprior + logj + beta * loglik


@jit
def slice_scan(Z, F, betas, U, width, max_steps, kinds, lower, upper, consts, t0, times, Y, offsets, rng,
               loglik, logprior, logj, pointwise, states):
    """One slice sweep per row of Z (in place); returns the number of likelihood evaluations.

    ``F[m]`` is row m's current tempered log density; ``loglik``,
    ``logprior``, ``logj``, ``pointwise`` (m, T) and ``states`` (m, T, S)
    receive the values at each row's accepted point (rows whose points never
    move keep what they had).
    """
    m, d = Z.shape
    theta = np.empty(d)
    probe = np.empty(d)
    scratch_pw = np.empty((Y.shape[0], Y.shape[1]))
    scratch_states = np.empty((Y.shape[0], states.shape[2]))
    out = np.empty(3)
    evaluations = 0
    for row in range(m):
        beta = betas[row]
        for c in range(d):
            for i in range(d):
                probe[i] = Z[row, i]
            x = Z[row, c]
            height = F[row] + math.log(U[row, c, 0])
            left = x - width * U[row, c, 1]
            right = left + width
            for direction in (-1.0, 1.0):  # stepping out, to the left and then to the right
                edge = left if direction < 0 else right
                for _ in range(max_steps):
                    probe[c] = edge
                    evaluations += 1
                    if not evaluate(probe, beta, kinds, lower, upper, consts, t0, times, Y, offsets, theta,
                                    scratch_pw, scratch_states, rng, out) > height:
                        break
                    edge += direction * width
                if direction < 0:
                    left = edge
                else:
                    right = edge
            for s in range(max_steps):
                p = left + (right - left) * U[row, c, 2 + s]
                probe[c] = p
                evaluations += 1
                value = evaluate(probe, beta, kinds, lower, upper, consts, t0, times, Y, offsets, theta,
                                 scratch_pw, scratch_states, rng, out)
                if value > height:
                    Z[row, c] = p
                    F[row] = value
                    loglik[row], logprior[row], logj[row] = out[0], out[1], out[2]
                    for k in range(scratch_pw.shape[0]):
                        total = 0.0
                        for j in range(scratch_pw.shape[1]):
                            total += scratch_pw[k, j]
                        pointwise[row, k] = total
                        for i in range(scratch_states.shape[1]):
                            states[row, k, i] = scratch_states[k, i]
                    break
                if p < x:
                    left = p
                else:
                    right = p
    return evaluations
