"""Multivariate distributions: a vector value of length K (see :class:`~ponder.lang.library.Distribution`).

* ``MvNormal(mu, Sigma)`` -- mean vector ``mu`` (or one number for every
  element), covariance matrix ``Sigma`` (K x K, symmetric positive
  definite). ``log p(x) = -K/2 log 2 pi - sum_i log L_ii - |L^-1 (x - mu)|^2 / 2``
  with ``Sigma = L L'`` (Cholesky); a draw is ``mu + L z``, ``z`` standard normal.
* ``Multinomial(n, p)`` -- counts of ``n`` trials over K categories with
  probabilities ``p`` (non-negative, summing to 1 within 1e-8):
  ``log p(x) = lgamma(n+1) - sum_i lgamma(x_i+1) + sum_i x_i log p_i`` for
  whole ``x_i >= 0`` summing to ``n``; a draw is K-1 conditional binomials.
* ``Dirichlet(alpha)`` -- a point of the simplex (elements >= 0 summing to
  1 within 1e-8), ``alpha_i > 0``:
  ``log p(x) = lgamma(sum alpha) - sum lgamma(alpha_i) + sum (alpha_i - 1) log x_i``;
  a draw is K gamma draws over their sum. Not a prior (a simplex needs a
  transform ponder's samplers do not have): write ``param w[K] ~ Gamma(alpha, 1)``
  and ``derived p = w / sum(w)``, which has the Dirichlet(alpha) law.

Each Numba function allocates its K x K work matrix per call (small K).
"""

from __future__ import annotations

import math

import numpy as np

from ponder.lang.library import NONNEGATIVE, POSITIVE, REAL, Distribution
from ponder.stdlib.distributions import _njit, binomial_sample

INF = math.inf
NAN = math.nan
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
SIMPLEX_TOL = 1e-8


def _stats():
    from scipy import stats

    return stats


def _vector(value, k: int) -> np.ndarray:
    """A vector argument given as one number is that number K times."""
    arr = np.asarray(value, dtype=float)
    return np.full(k, float(arr)) if arr.ndim == 0 else arr


# ---------------------------------------------------------------- MvNormal
@_njit
def _cholesky(S):
    """Lower Cholesky factor of S (K x K), or a matrix with NaN where S is not positive definite."""
    k = S.shape[0]
    L = np.zeros((k, k))
    for j in range(k):
        d = S[j, j]
        for m in range(j):
            d -= L[j, m] * L[j, m]
        if not d > 0.0:
            L[0, 0] = NAN
            return L
        L[j, j] = math.sqrt(d)
        for i in range(j + 1, k):
            v = S[i, j]
            for m in range(j):
                v -= L[i, m] * L[j, m]
            L[i, j] = v / L[j, j]
    return L


@_njit
def _valid_covariance(S):
    k = S.shape[0]
    for i in range(k):
        for j in range(k):
            if not math.isfinite(S[i, j]) or abs(S[i, j] - S[j, i]) > 1e-10 * (abs(S[i, j]) + abs(S[j, i]) + 1e-300):
                return False
    return True


@_njit
def mvnormal_logpdf(x, mu, S):
    k = x.shape[0]
    for i in range(k):
        if math.isnan(x[i]) or math.isnan(mu[i]):
            return NAN
    for i in range(k):
        for j in range(k):
            if math.isnan(S[i, j]):
                return NAN
    if not _valid_covariance(S):
        return -INF
    for i in range(k):
        if not math.isfinite(mu[i]):
            return -INF
    L = _cholesky(S)
    if math.isnan(L[0, 0]):
        return -INF
    # solve L z = x - mu by forward substitution
    z = np.empty(k)
    quad = 0.0
    logdet = 0.0
    for i in range(k):
        v = x[i] - mu[i]
        for m in range(i):
            v -= L[i, m] * z[m]
        z[i] = v / L[i, i]
        quad += z[i] * z[i]
        logdet += math.log(L[i, i])
    return -k * HALF_LOG_2PI - logdet - 0.5 * quad


@_njit
def mvnormal_sample(rng, out, mu, S):
    k = out.shape[0]
    L = _cholesky(S)
    ok = _valid_covariance(S) and not math.isnan(L[0, 0])
    for i in range(k):
        ok = ok and math.isfinite(mu[i])
    if not ok:
        for i in range(k):
            out[i] = NAN
        return
    z = np.empty(k)
    for i in range(k):
        z[i] = rng.standard_normal()
    for i in range(k):
        v = mu[i]
        for m in range(i + 1):
            v += L[i, m] * z[m]
        out[i] = v


@_njit
def mvnormal_support(mu, S):
    return -INF, INF


MvNormal = Distribution(
    name="MvNormal",
    params=("mu", "Sigma"),
    param_bounds=(REAL, REAL),
    logpdf=mvnormal_logpdf,
    sample=mvnormal_sample,
    support=mvnormal_support,
    scipy=lambda mu, S: _stats().multivariate_normal(_vector(mu, np.shape(S)[0]), S),
    doc="Multivariate normal with mean vector mu and covariance matrix Sigma.",
    arg_shapes=("K", "KK"),
)


# ---------------------------------------------------------------- Multinomial
@_njit
def _simplex(p):
    """True when p is a probability vector: elements in [0, 1] summing to 1 within SIMPLEX_TOL."""
    total = 0.0
    for i in range(p.shape[0]):
        if not (p[i] >= 0.0 and p[i] <= 1.0):
            return False
        total += p[i]
    return abs(total - 1.0) <= SIMPLEX_TOL


@_njit
def multinomial_logpdf(x, n, p):
    k = x.shape[0]
    if math.isnan(n):
        return NAN
    for i in range(k):
        if math.isnan(x[i]) or math.isnan(p[i]):
            return NAN
    if not (n >= 0.0 and n == math.floor(n) and math.isfinite(n)) or not _simplex(p):
        return -INF
    total = 0.0
    lp = math.lgamma(n + 1.0)
    for i in range(k):
        if not (x[i] >= 0.0 and x[i] == math.floor(x[i])):
            return -INF
        total += x[i]
        lp -= math.lgamma(x[i] + 1.0)
        if x[i] > 0.0:
            if p[i] == 0.0:
                return -INF
            lp += x[i] * math.log(p[i])
    if total != n:
        return -INF
    return lp


@_njit
def multinomial_sample(rng, out, n, p):
    k = out.shape[0]
    if not (n >= 0.0 and n == math.floor(n) and math.isfinite(n)) or not _simplex(p):
        for i in range(k):
            out[i] = NAN
        return
    left = n
    mass = 1.0
    for i in range(k - 1):
        q = min(max(p[i] / mass, 0.0), 1.0) if mass > 0.0 else 0.0
        draw = binomial_sample(rng, left, q) if left > 0.0 else 0.0
        out[i] = draw
        left -= draw
        mass -= p[i]
    out[k - 1] = left


@_njit
def multinomial_support(n, p):
    return 0.0, n


Multinomial = Distribution(
    name="Multinomial",
    params=("n", "p"),
    param_bounds=(NONNEGATIVE, REAL),
    logpdf=multinomial_logpdf,
    sample=multinomial_sample,
    support=multinomial_support,
    scipy=lambda n, p: _stats().multinomial(n, p),
    discrete=True,
    doc="Counts of n trials over K categories with probabilities p (summing to 1).",
    arg_shapes=("", "K"),
)


# ---------------------------------------------------------------- Dirichlet
@_njit
def dirichlet_logpdf(x, alpha):
    k = x.shape[0]
    for i in range(k):
        if math.isnan(x[i]) or math.isnan(alpha[i]):
            return NAN
    a0 = 0.0
    for i in range(k):
        if not (alpha[i] > 0.0 and math.isfinite(alpha[i])):
            return -INF
        a0 += alpha[i]
    if not _simplex(x):
        return -INF
    lp = math.lgamma(a0)
    for i in range(k):
        lp -= math.lgamma(alpha[i])
        if alpha[i] != 1.0:
            if x[i] == 0.0:
                return INF if alpha[i] < 1.0 else -INF
            lp += (alpha[i] - 1.0) * math.log(x[i])
    return lp


@_njit
def dirichlet_sample(rng, out, alpha):
    k = out.shape[0]
    total = 0.0
    ok = True
    for i in range(k):
        ok = ok and alpha[i] > 0.0 and math.isfinite(alpha[i])
    if not ok:
        for i in range(k):
            out[i] = NAN
        return
    for i in range(k):
        out[i] = rng.standard_gamma(alpha[i])
        total += out[i]
    for i in range(k):
        out[i] /= total


@_njit
def dirichlet_support(alpha):
    return 0.0, 1.0


Dirichlet = Distribution(
    name="Dirichlet",
    params=("alpha",),
    param_bounds=(POSITIVE,),
    logpdf=dirichlet_logpdf,
    sample=dirichlet_sample,
    support=dirichlet_support,
    scipy=lambda alpha: _stats().dirichlet(alpha),
    doc="A point of the simplex with concentrations alpha (not a prior: use Gamma weights and a derived ratio).",
    arg_shapes=("K",),
    prior_ok=False,
)


MULTIVARIATE: dict[str, Distribution] = {d.name: d for d in (MvNormal, Multinomial, Dirichlet)}
