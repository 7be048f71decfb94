"""Binomial and Poisson draws from an explicit ``numpy.random.Generator``, in Numba.

The samplers of :mod:`ponder.stdlib.distributions` (Binomial, BetaBinomial,
Poisson, the negative binomials' gamma-Poisson mixtures, and through
``binomial_sample`` the Multinomial's conditional binomials) call these
instead of Numba's ``rng.binomial`` and ``rng.poisson`` (NumPy's BTPE,
inversion, PTRS and multiplication methods). Every uniform comes from
``rng.random()``; nothing is set up once and cached, because in a particle
filter ``n`` and ``p`` change from one draw to the next.

* :func:`binomial` -- on ``min(p, 1 - p)`` (a draw for ``p > 1/2`` is ``n``
  minus one for ``1 - p``): Hörmann's BTRD (transformed rejection with
  decomposition) when ``n min(p, 1-p) >= 10``, else inversion by sequential
  search from 0.
* :func:`poisson` -- Hörmann's PTRS (transformed rejection with squeeze),
  with BTRD's decomposition of the first uniform, when ``lam >= 10``, else
  inversion by sequential search; beyond ``2**53`` a rounded normal.

Both inversions first try two bounds that need no ``exp`` or ``log``
(``1 - mean <= P(0) <= 1 / (1 + mean)`` and ``P(X >= 2) <= E[X(X-1)/2]``),
which settle most draws when the mean is small.

The rejection algorithms are exact for every count a float64 holds: their
final acceptance tests compare log-probability ratios written with ``log1p``
and the Stirling remainder :func:`log_factorial_correction`, so that nothing
cancels catastrophically even for ``n`` near ``2**53`` or ``lam`` of 1e12
(the direct forms lose ``n`` times the rounding error).

References: W. Hörmann, "The generation of binomial random variates",
J. Statist. Comput. Simul. 46 (1993) 101-110 (BTRD); W. Hörmann, "The
transformed rejection method for generating Poisson random variables",
Insurance: Mathematics and Economics 12 (1993) 39-45 (PTRS); L. Devroye,
*Non-Uniform Random Variate Generation* (1986), sections X.3-X.4 (inversion).

Arguments are float64 and assumed valid (the callers check them): ``n`` a
whole number in ``[0, 2**53]``, ``p`` in ``[0, 1]``, ``lam`` finite and
``>= 0``. Values are float64.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# error_model="numpy": a division by zero gives inf instead of raising. It
# happens only when a uniform is exactly 0 (the hat's end, us = 0); the
# candidate is then infinite and rejected.
_njit = numba.njit(cache=True, nogil=True, error_model="numpy")
# The algorithms are inlined into :func:`binomial` and :func:`poisson` (Numba
# IR inlining): called, they made the SIR example's filter 9% slower. Inlined
# code takes the error model of the function it is inlined into.
_inline = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

#: ``log k! - ((k + 1/2) log(k + 1) - (k + 1) + log(2 pi)/2)`` for k = 0..9.
_FC_TABLE = np.array([math.lgamma(k + 1.0) - ((k + 0.5) * math.log(k + 1.0) - (k + 1.0) + HALF_LOG_2PI)
                      for k in range(10)])

#: ``n min(p, 1-p)`` (binomial) and ``lam`` (Poisson) from which the rejection
#: algorithms are used (BTRD's and PTRS's constants are made for means from
#: 10); below, inversion takes about that many steps.
REJECTION_FROM = 10.0
#: ``lam`` from which a Poisson draw is a rounded normal: floats no longer hold
#: every count near ``lam`` there, and the law's skewness is below 1.1e-8.
NORMAL_FROM = 2.0**53


@_inline
def log_factorial_correction(k):
    """``fc(k) = log k! - ((k + 1/2) log(k + 1) - (k + 1) + log(2 pi)/2)``, the Stirling remainder.

    For whole ``k >= 0``: a table below 10, else the series
    ``1/(12(k+1)) - 1/(360(k+1)^3) + 1/(1260(k+1)^5)`` (error below 3e-11),
    as in Hörmann's BTRD.
    """
    if k < 10.0:
        return _FC_TABLE[int(k)]
    r = 1.0 / (k + 1.0)
    r2 = r * r
    return (1.0 / 12.0 - (1.0 / 360.0 - r2 / 1260.0) * r2) * r


# -------------------------------------------------------------- binomial
@_njit
def binomial(rng, n, p):
    """One Binomial(n, p) draw as a float (``n`` whole, ``0 <= n <= 2**53``; ``0 <= p <= 1``).

    ``n = 0`` or ``p = 0`` gives 0 and ``p = 1`` gives ``n`` without a draw.
    """
    if n == 0.0 or p == 0.0:
        return 0.0
    if p == 1.0:
        return n
    q = min(p, 1.0 - p)
    if n * q < REJECTION_FROM:
        k = _binomial_inversion(rng, n, q)
    else:
        k = _binomial_btrd(rng, n, q)
    return n - k if p > 0.5 else k


@_inline
def _binomial_inversion(rng, n, p):
    """Sequential search from 0 of one uniform (Devroye X.4), for ``p <= 1/2``, ``n p < 10``.

    ``P(k) / P(k-1) = (n + 1) s / k - s`` with ``s = p / (1 - p)``; on average
    ``n p + 1`` steps. The bounds ``1 - np <= P(0) <= 1 / (1 + np)`` and
    ``P(X >= 2) <= E[X(X-1)/2] = n(n-1)p^2/2`` settle most uniforms at 0 or 1
    without the ``exp`` and ``log`` of ``P(0)`` when ``np`` is small (the
    answer is the search's for the same uniform). A uniform that rounding
    carries past the last representable probability (or past ``n``) is
    drawn again.
    """
    mean = n * p
    u = rng.random()
    if u <= 1.0 - mean:
        return 0.0
    if u * (1.0 + mean) > 1.0 and u <= 1.0 - 0.5 * mean * (n - 1.0) * p:
        return 1.0
    s = p / (1.0 - p)
    a = (n + 1.0) * s
    p0 = math.exp(n * math.log1p(-p))
    k = 0.0
    pk = p0
    while u > pk:
        u -= pk
        k += 1.0
        pk *= a / k - s
        if not pk > 0.0 or k > n:
            u = rng.random()
            k = 0.0
            pk = p0
    return k


@_inline
def _binomial_btrd(rng, n, p):
    """Hörmann's BTRD for ``p <= 1/2`` and ``n p >= 10``: 1.4 to 2.5 uniforms per draw.

    A candidate ``k = floor((2a/us + b) u + c)``, ``us = 1/2 - |u|``, for
    ``(u, v)`` uniform on (-1/2, 1/2) x (0, 1), has a density close to the
    binomial's. The part of the hat certainly under the law (``|u| <= 0.43``,
    ``v <= v_r``) returns at once: one uniform ``v <= 0.86 v_r`` is
    ``u = v / v_r - 0.43`` there, and otherwise ``(u, v)`` is drawn uniform
    on the rest. The rest is accepted when ``v`` (scaled to the hat) is at
    most ``P(k) / P(m)``, ``m`` the mode: by the ratios' product near the
    mode, else by a squeeze around ``-(k-m)^2 / (2 n p q)`` and the exact
    log ratio (:func:`_binomial_log_ratio`).
    """
    q = 1.0 - p
    npq = n * p * q
    sqrt_npq = math.sqrt(npq)
    b = 1.15 + 2.53 * sqrt_npq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    inv_vr = b / (0.92 * b - 4.2)  # 1 / v_r, v_r = 0.92 - 4.2 / b
    while True:
        v = rng.random()
        w = v * inv_vr
        if w <= 0.86:
            u = w - 0.43
            return np.floor((2.0 * a / (0.5 - abs(u)) + b) * u + c)
        if w >= 1.0:
            u = rng.random() - 0.5
        else:  # the strips 0.43 < |u| < 1/2 under v_r
            u = w - 0.93
            u = math.copysign(0.5, u) - u
            v = rng.random() / inv_vr
        us = 0.5 - abs(u)
        k = np.floor((2.0 * a / us + b) * u + c)
        if k < 0.0 or k > n:
            continue
        # the rest is needed by a minority of draws: set up here, not above
        alpha = (2.83 + 5.1 / b) * sqrt_npq
        v *= alpha / (a / (us * us) + b)
        m = np.floor((n + 1.0) * p)
        r = p / q
        km = abs(k - m)
        if km <= 15.0:
            # P(i) / P(i-1) = (n + 1) r / i - r, multiplied up from the mode
            nr = (n + 1.0) * r
            f = 1.0
            i = m + 1.0
            while i <= k:
                f *= nr / i - r
                i += 1.0
            i = k + 1.0
            while i <= m:
                v *= nr / i - r
                i += 1.0
            if v <= f:
                return k
            continue
        v = math.log(v)
        rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5)
        t = -km * km / (2.0 * npq)
        if v < t - rho:
            return k
        if v > t + rho:
            continue
        if v <= _binomial_log_ratio(n, r, m, k):
            return k


@_inline
def _binomial_log_ratio(n, r, m, k):
    """``log(P(k) / P(m))`` for Binomial(n, p), ``r = p / (1 - p)``, whole ``0 <= k, m <= n``.

    With ``log j! = (j + 1/2) log(j + 1) - (j + 1) + log(2 pi)/2 + fc(j)`` and
    ``d = k - m``, the linear terms cancel and

        log(m! (n-m)! / (k! (n-k)!)) + d log r
          = -(m + 1/2) log1p(d / (m+1)) - (n - m + 1/2) log1p(-d / (n-m+1))
            + d log((n - k + 1) r / (k + 1)) + fc(m) + fc(n-m) - fc(k) - fc(n-k),

    each term of the size of the result or of ``d``: exact to rounding for
    any ``n`` below 2**53 (Hörmann's form, ``(n+1) log(nm/nk)``, loses
    ``n`` times the rounding of ``nm/nk``).
    """
    d = k - m
    return (-(m + 0.5) * math.log1p(d / (m + 1.0)) - (n - m + 0.5) * math.log1p(-d / (n - m + 1.0))
            + d * math.log((n - k + 1.0) * r / (k + 1.0))
            + log_factorial_correction(m) + log_factorial_correction(n - m)
            - log_factorial_correction(k) - log_factorial_correction(n - k))


# --------------------------------------------------------------- Poisson
@_njit
def poisson(rng, lam):
    """One Poisson(lam) draw as a float (``lam`` finite, ``>= 0``; 0 gives 0 without a draw)."""
    if lam < REJECTION_FROM:
        if lam == 0.0:
            return 0.0
        return _poisson_inversion(rng, lam)
    if lam < NORMAL_FROM:
        return _poisson_ptrs(rng, lam)
    return np.floor(lam + math.sqrt(lam) * rng.standard_normal() + 0.5)


@_inline
def _poisson_inversion(rng, lam):
    """Sequential search from 0 of one uniform (Devroye X.3), ``P(k) = P(k-1) lam / k``; ``lam + 1`` steps on average.

    As for the binomial, ``1 - lam <= P(0) <= 1 / (1 + lam)`` and
    ``P(X >= 2) <= lam^2 / 2`` settle most uniforms without ``exp(-lam)``
    when ``lam`` is small.
    """
    u = rng.random()
    if u <= 1.0 - lam:
        return 0.0
    if u * (1.0 + lam) > 1.0 and u <= 1.0 - 0.5 * lam * lam:
        return 1.0
    p0 = math.exp(-lam)
    k = 0.0
    pk = p0
    while u > pk:
        u -= pk
        k += 1.0
        pk *= lam / k
        if not pk > 0.0:  # rounding carried u past the representable tail
            u = rng.random()
            k = 0.0
            pk = p0
    return k


@_inline
def _poisson_ptrs(rng, lam):
    """Hörmann's PTRS for ``lam >= 10``, with BTRD's decomposition of the first uniform.

    Candidate ``k = floor((2a/us + b) u + lam + 0.43)``, ``us = 1/2 - |u|``,
    for ``(u, v)`` uniform on (-1/2, 1/2) x (0, 1); accepted at once in the
    region under the law (``|u| <= 0.43``, ``v <= v_r``), else when
    ``log(v / (alpha (a / us^2 + b))) <= log P(k)`` (:func:`_poisson_log_pmf`).
    As in BTRD, one uniform ``v`` picks the point: ``v <= 0.86 v_r`` is
    ``u = v / v_r - 0.43`` in that region; otherwise ``(u, v)`` is uniform
    on the rest. From 2.2 uniforms per draw at ``lam = 10`` to 1.35 for
    large ``lam``, where PTRS as published takes 2.25.
    """
    b = 0.931 + 2.53 * math.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    inv_vr = (b - 2.0) / (0.9277 * (b - 2.0) - 3.6224)  # 1 / v_r, v_r = 0.9277 - 3.6224 / (b - 2)
    c = lam + 0.43
    while True:
        v = rng.random()
        w = v * inv_vr
        if w <= 0.86:
            u = w - 0.43
            return np.floor((2.0 * a / (0.5 - abs(u)) + b) * u + c)
        if w >= 1.0:
            u = rng.random() - 0.5
        else:  # the strips 0.43 < |u| < 1/2 under v_r
            u = w - 0.93
            u = math.copysign(0.5, u) - u
            v = rng.random() / inv_vr
        us = 0.5 - abs(u)
        k = np.floor((2.0 * a / us + b) * u + c)
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        if math.log(v * inv_alpha / (a / (us * us) + b)) <= _poisson_log_pmf(lam, k):
            return k


@_inline
def _poisson_log_pmf(lam, k):
    """``log P(k) = -lam + k log lam - log k!`` for whole ``k >= 0``, ``lam > 0``, without cancellation.

    With Stirling's ``log k!`` (remainder :func:`log_factorial_correction`) and
    ``d = k + 1 - lam``: ``d - k log1p(d / lam) - log(k + 1)/2 - log(2 pi)/2 - fc(k)``,
    accurate for any ``lam`` (the direct form subtracts numbers of size
    ``lam log lam``).
    """
    d = k + 1.0 - lam
    return d - k * math.log1p(d / lam) - 0.5 * math.log(k + 1.0) - HALF_LOG_2PI - log_factorial_correction(k)
