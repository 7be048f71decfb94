"""Parallel tempering's scans for exact likelihoods, linked against one model's kernels.

A template like ``filters.py``: :func:`ponder.runtime.kernels.link` writes a
copy after lines importing the model's ``prior_logpdf`` and ``prior_sample``
and the linked ``direct_run``. One call of :func:`pt_scans` runs a block of
whole scans: replica 0's prior draw, for every other replica a sweep of
coordinate-wise slice sampling (Neal 2003: stepping out, then shrinkage) on
the tempered density

    log prior(theta(z)) + log|d theta / d z| + beta * log L(theta(z))

in unconstrained space (the likelihood summed over the datasets), the
swap pass, the stepping-stone sums and round-trip counts, and the b = 1
replica's record. With microsecond likelihoods the Python orchestration of a
scan cost more than its evaluations; here none is left. All random numbers
come, in scan order, from the round's generator ``rng``, so the result does
not depend on the executor nor on how the round is cut into blocks.
"""
# The linker puts the model import above this line.
import math

import numba
import numpy as np

from ponder.runtime.samplers.pt_kernels import count_round_trip, pair_count, stepping_stone, swap_pass, tempered
from ponder.stdlib.transforms import to_theta, to_z

jit = numba.njit(cache=True, nogil=True, error_model="numpy")


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
def keep_point(row, z, out, scratch_pw, scratch_states, Z, logpost, loglik, logprior, pointwise, states):
    """Row ``row`` moves to z, whose evaluation is in out, scratch_pw and scratch_states."""
    for i in range(z.shape[0]):
        Z[row, i] = z[i]
    loglik[row], logprior[row] = out[0], out[1]
    ok = math.isfinite(out[1]) and math.isfinite(out[2])
    logpost[row] = out[0] + out[1] + out[2] if ok else -math.inf
    for k in range(scratch_pw.shape[0]):
        total = 0.0
        for j in range(scratch_pw.shape[1]):
            total += scratch_pw[k, j]
        pointwise[row, k] = total
        for i in range(scratch_states.shape[1]):
            states[row, k, i] = scratch_states[k, i]


@jit
def swap_rows(a, i, j):
    for k in range(a.shape[1]):
        a[i, k], a[j, k] = a[j, k], a[i, k]


@jit
def pt_scans(first, count, round_start, round_length, blocks, rng, betas, width, max_steps, kinds, lower, upper,
             consts, t0, times, Y, offsets, frng, Z, logpost, loglik, logprior, pointwise, states, index, reject,
             swaps, visited_top, round_trips, ss_sum, ss_count, rec_z, rec_logpost, rec_loglik, rec_logprior,
             rec_pointwise, rec_states):
    """Scans first ... first + count - 1 of one round, in place; returns the number of likelihood evaluations.

    The replica arrays (Z, logpost, ..., index) are the sampler's state; the
    swap and stepping-stone accumulators are the round's; ``rec_*`` receive
    the b = 1 replica after each scan. ``frng`` is the kernels' generator
    argument (exact likelihoods never draw from it).
    """
    n, d = Z.shape
    T = Y.shape[0]
    theta = np.empty(d)
    draw = np.empty((1, d))
    z = np.empty(d)
    probe = np.empty(d)
    scratch_pw = np.empty((T, Y.shape[1]))
    scratch_states = np.empty((T, states.shape[2]))
    out = np.empty(3)
    u = np.empty(pair_count(n, 0))
    identity = np.arange(n)
    order = np.empty(n, dtype=np.int64)
    evaluations = 0
    for s in range(count):
        scan = first + s
        # replica 0: an independent draw from the prior
        prior_sample(rng, consts[0], draw)  # noqa: F821 - imported by the linker
        to_z(draw[0], kinds, lower, upper, z)
        finite = True
        for i in range(d):
            finite = finite and math.isfinite(z[i])
        if finite:
            scratch_pw[:] = math.nan
            scratch_states[:] = math.nan
            evaluations += 1
            evaluate(z, 1.0, kinds, lower, upper, consts, t0, times, Y, offsets, theta, scratch_pw, scratch_states,
                     frng, out)
            keep_point(0, z, out, scratch_pw, scratch_states, Z, logpost, loglik, logprior, pointwise, states)
        # the other replicas: one slice sweep each
        for row in range(1, n):
            beta = betas[row]
            current = tempered(logpost[row], loglik[row], beta)
            for c in range(d):
                for i in range(d):
                    probe[i] = Z[row, i]
                x = Z[row, c]
                height = current + math.log(rng.random())
                left = x - width * rng.random()
                right = left + width
                for direction in (-1.0, 1.0):  # stepping out, to the left and then to the right
                    edge = left if direction < 0 else right
                    for _ in range(max_steps):
                        probe[c] = edge
                        evaluations += 1
                        if not evaluate(probe, beta, kinds, lower, upper, consts, t0, times, Y, offsets, theta,
                                        scratch_pw, scratch_states, frng, out) > height:
                            break
                        edge += direction * width
                    if direction < 0:
                        left = edge
                    else:
                        right = edge
                for _ in range(max_steps):
                    p = left + (right - left) * rng.random()
                    probe[c] = p
                    evaluations += 1
                    value = evaluate(probe, beta, kinds, lower, upper, consts, t0, times, Y, offsets, theta,
                                     scratch_pw, scratch_states, frng, out)
                    if value > height:
                        current = value
                        keep_point(row, probe, out, scratch_pw, scratch_states, Z, logpost, loglik, logprior,
                                   pointwise, states)
                        break
                    if p < x:
                        left = p
                    else:
                        right = p
        # communication: the pairs (i, i + 1) with i of the scan's parity (disjoint, so swapped one by one)
        parity = scan % 2
        for k in range(pair_count(n, parity)):
            u[k] = rng.random()
        order[:] = identity
        swap_pass(parity, betas, loglik, u, reject, swaps, order)
        for i in range(parity, n - 1, 2):
            if order[i] != i:
                swap_rows(Z, i, i + 1)
                swap_rows(pointwise, i, i + 1)
                for k in range(states.shape[1]):
                    swap_rows(states[:, k, :], i, i + 1)
                logpost[i], logpost[i + 1] = logpost[i + 1], logpost[i]
                loglik[i], loglik[i + 1] = loglik[i + 1], loglik[i]
                logprior[i], logprior[i + 1] = logprior[i + 1], logprior[i]
                index[i], index[i + 1] = index[i + 1], index[i]
        count_round_trip(index, visited_top, round_trips)
        stepping_stone(scan, round_start, round_length, blocks, betas, loglik, ss_sum, ss_count)
        # the b = 1 replica's record
        top = n - 1
        rec_z[s, 0] = Z[top]
        rec_logpost[s, 0], rec_loglik[s, 0], rec_logprior[s, 0] = logpost[top], loglik[top], logprior[top]
        rec_pointwise[s, 0] = pointwise[top]
        rec_states[s, 0] = states[top]
    return evaluations
