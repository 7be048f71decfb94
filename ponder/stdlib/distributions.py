"""Probability distributions of the ponder language (the built-in library's; plugins add more).

A :class:`~ponder.lang.library.Distribution` bundles, for one family:

* ``params`` -- argument names in call order, and ``param_bounds``, the
  :class:`Interval` each argument must lie in; the checker rejects literal
  arguments outside it (``Normal(0, -1)``);
* ``ordered`` -- arguments that must be in order (``Uniform``'s and
  ``TruncatedNormal``'s ``lower < upper``), checked like the bounds;
* ``logpdf(x, *args)`` -- a Numba function returning the log density (log
  mass for discrete families). It returns ``-inf`` outside the support
  (and at non-integers for discrete families) and for invalid arguments,
  ``nan`` if ``x`` or an argument is nan, and never raises;
* ``sample(rng, *args)`` -- a Numba function drawing one value from an
  explicit ``numpy.random.Generator``; it returns ``nan`` for invalid
  arguments, never raises (binomial and Poisson draws, also inside the
  mixtures, come from :mod:`ponder.stdlib.discrete`);
* ``support(*args)`` -- a Numba function returning ``(lower, upper)``, the
  closed hull of the support. The runtime maps parameters to unconstrained
  space from these bounds (see :mod:`ponder.stdlib.transforms`);
* ``scipy(*args)`` -- the frozen ``scipy.stats`` twin, used by the tests (for
  the laws SciPy lacks, one built from its families: :func:`_twin_families`);
* ``discrete`` -- whether values are integers.

All arguments and values are float64; integer arguments (``Binomial``'s and
``BetaBinomial``'s ``n``) are rounded inside the kernels (within a relative
1e-9 of an integer; farther from one they are invalid). Infinite arguments
are invalid except ``TruncatedNormal``'s bounds.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from ponder.lang.library import (EXTENDED_REAL, NONNEGATIVE, POSITIVE, POSITIVE_UNIT, REAL, UNIT,
                                 Distribution, Ordered)
from ponder.stdlib import discrete

INF = math.inf
_njit = numba.njit(cache=True, nogil=True)
NAN = math.nan
LOG_2PI = math.log(2.0 * math.pi)
HALF_LOG_2PI = 0.5 * LOG_2PI
LOG_PI = math.log(math.pi)
LOG_2 = math.log(2.0)
SQRT_2PI = math.sqrt(2.0 * math.pi)
INV_SQRT2 = 1.0 / math.sqrt(2.0)
#: Largest count argument (``Binomial``'s ``n``): beyond 2**53 a float64
#: no longer represents every integer.
MAX_COUNT = 2.0**53
#: How far a count argument may be from an integer and still be rounded to it.
COUNT_RTOL = 1e-9
#: Rejection samplers give up (and return nan) after this many proposals;
#: their acceptance rates are bounded below by about 0.3, so it never happens.
MAX_TRIES = 10_000


def _stats():
    """``scipy.stats``, imported when a SciPy twin is first asked for (not at start-up)."""
    from scipy import stats

    return stats


@functools.cache
def _twin_families() -> dict:
    """SciPy families for the laws ``scipy.stats`` lacks, built from its own.

    Each is an ``rv_discrete``/``rv_continuous`` subclass, so its frozen
    twins broadcast over arrays of arguments and have every method the tests
    and the residual checks use (``logpmf``/``logpdf``, ``cdf``, ``sf``,
    ``ppf``, ``rvs``, ``support``, ``mean``, ``var``). Their formulas come
    from ``scipy.stats.poisson``, ``nbinom`` and ``t``, not from the kernels
    here, so that the tests compare two independent computations. Built on
    first use: subclassing imports SciPy.
    """
    stats = _stats()
    from scipy import special

    class ZeroInflated(stats.rv_discrete):
        """With probability psi (the first shape) a structural 0, else a draw of the base law.

        Subclasses give the base law, ``_base(*rest)`` (frozen), and its ``_base_argcheck(*rest)``.
        """

        def _argcheck(self, psi, *rest):
            return (psi >= 0.0) & (psi <= 1.0) & self._base_argcheck(*rest)

        def _pmf(self, k, psi, *rest):
            return np.where(k == 0, psi, 0.0) + (1.0 - psi) * self._base(*rest).pmf(k)

        def _logpmf(self, k, psi, *rest):
            with np.errstate(divide="ignore"):
                inflated = np.log1p(-psi) + self._base(*rest).logpmf(k)
                return np.where(k == 0, np.logaddexp(np.log(psi), inflated), inflated)

        def _cdf(self, k, psi, *rest):
            return psi + (1.0 - psi) * self._base(*rest).cdf(k)

        def _sf(self, k, psi, *rest):
            return (1.0 - psi) * self._base(*rest).sf(k)

        def _ppf(self, q, psi, *rest):
            # the smallest k with cdf(k) >= q: 0 up to q = psi, then the base law's quantile
            with np.errstate(divide="ignore", invalid="ignore"):
                base_q = np.clip((q - psi) / (1.0 - psi), 0.0, 1.0)
                return np.where(q <= psi, 0.0, self._base(*rest).ppf(base_q))

        def _rvs(self, psi, *rest, size=None, random_state=None):
            zero = random_state.uniform(size=size) < psi
            return np.where(zero, 0, self._base(*rest).rvs(size=size, random_state=random_state))

        def _stats(self, psi, *rest):
            m, v = self._base(*rest).stats(moments="mv")
            return (1.0 - psi) * m, (1.0 - psi) * (v + psi * m * m), None, None

    class ZeroInflatedPoisson(ZeroInflated):
        def _base(self, lam):
            return stats.poisson(lam)

        def _base_argcheck(self, lam):
            return (lam >= 0.0) & (lam < INF)

    class ZeroInflatedNegativeBinomial(ZeroInflated):
        def _base(self, mu, phi):
            return stats.nbinom(n=phi, p=phi / (phi + mu))

        def _base_argcheck(self, mu, phi):
            return (mu >= 0.0) & (mu < INF) & (phi > 0.0) & (phi < INF)

    class HalfStudentT(stats.rv_continuous):
        """|T| for T ~ Student's t with nu degrees of freedom."""

        def _argcheck(self, nu):
            return (nu > 0.0) & (nu < INF)

        def _pdf(self, x, nu):
            return 2.0 * stats.t.pdf(x, nu)

        def _logpdf(self, x, nu):
            return math.log(2.0) + stats.t.logpdf(x, nu)

        def _cdf(self, x, nu):
            return 1.0 - 2.0 * stats.t.sf(x, nu)

        def _sf(self, x, nu):
            return 2.0 * stats.t.sf(x, nu)

        def _ppf(self, q, nu):
            return stats.t.isf(0.5 * (1.0 - q), nu)

        def _isf(self, q, nu):
            return stats.t.isf(0.5 * q, nu)

        def _rvs(self, nu, size=None, random_state=None):
            return np.abs(stats.t.rvs(nu, size=size, random_state=random_state))

        def _stats(self, nu):
            # E|T| = 2 sqrt(nu) / ((nu - 1) B(nu/2, 1/2)) for nu > 1; E T^2 = nu/(nu - 2) for nu > 2
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = np.where(nu > 1.0, 2.0 * np.sqrt(nu) / ((nu - 1.0) * np.exp(special.betaln(0.5 * nu, 0.5))), INF)
                var = np.where(nu > 2.0, stats.t.var(nu) - mean * mean, INF)
            return mean, var, None, None

    return {
        "ZeroInflatedPoisson": ZeroInflatedPoisson(a=0, name="zeroinflatedpoisson", shapes="psi, lam"),
        "ZeroInflatedNegativeBinomial": ZeroInflatedNegativeBinomial(
            a=0, name="zeroinflatednegativebinomial", shapes="psi, mu, phi"),
        "HalfStudentT": HalfStudentT(a=0.0, name="halfstudentt", shapes="nu"),
    }


# ---------------------------------------------------------------- helpers
# The kernels are compiled with Numba's default (Python) error model, under
# which a float division by zero raises: every division below has a
# denominator that the argument checks have made non-zero.


@_njit
def _finite(v):
    """True for a finite number; False for +-inf and nan."""
    return abs(v) < INF


@_njit
def _positive(v):
    """True for a finite positive number."""
    return v > 0.0 and v < INF


@_njit
def _is_count(x):
    """True if ``x`` is a finite non-negative integer value."""
    return x >= 0.0 and x < INF and x == np.floor(x)


@_njit
def _count_arg(n):
    """``n`` rounded to the nearest integer, or -1.0 if it is not (nearly) one."""
    if not (n >= 0.0 and n <= MAX_COUNT):
        return -1.0
    r = np.floor(n + 0.5)
    if abs(n - r) > COUNT_RTOL * max(1.0, r):
        return -1.0
    return r


def _count_arg_py(n):
    """Python twin of :func:`_count_arg` for the SciPy twins (nan if invalid).

    Elementwise for arrays: the residual checks freeze a twin with one
    argument per particle (:meth:`ponder.model.Model.standardised_residuals`).
    """
    a = np.asarray(n, dtype=float)
    r = np.array([float(_count_arg(float(v))) for v in a.ravel()]).reshape(a.shape)
    r = np.where(r >= 0.0, r, math.nan)
    return float(r) if r.ndim == 0 else r


@_njit
def _lgamma_stirling_diff(x):
    """``lgamma(x)`` minus its Stirling approximation, for ``x > 0``."""
    if x < 10.0:
        return math.lgamma(x) - (HALF_LOG_2PI + (x - 0.5) * math.log(x) - x)
    r = 1.0 / x
    r2 = r * r
    return r * (1.0 / 12.0 + r2 * (-1.0 / 360.0 + r2 * (1.0 / 1260.0 + r2 * (
        -1.0 / 1680.0 + r2 * (1.0 / 1188.0 + r2 * (-691.0 / 360360.0 + r2 * (1.0 / 156.0)))))))


@_njit
def _lbeta(a, b):
    """``log B(a, b)`` for ``a, b > 0``, accurate when one or both are large.

    Splits the log-gammas into Stirling approximations, simplified
    analytically, plus small corrections (the approach of Stan's ``lbeta``,
    after W. Fullerton's in R), so nothing cancels catastrophically.
    """
    x = min(a, b)
    y = max(a, b)
    if x == 0.0:
        return INF
    if y == INF:
        return -INF
    if y < 10.0:
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)
    x_over_xy = x / (x + y)
    if x < 10.0:
        diff = _lgamma_stirling_diff(y) - _lgamma_stirling_diff(x + y)
        stirling = (y - 0.5) * math.log1p(-x_over_xy) + x * (1.0 - math.log(x + y))
        return stirling + math.lgamma(x) + diff
    diff = _lgamma_stirling_diff(x) + _lgamma_stirling_diff(y) - _lgamma_stirling_diff(x + y)
    stirling = ((x - 0.5) * math.log(x_over_xy) + y * math.log1p(-x_over_xy)
                + HALF_LOG_2PI - 0.5 * math.log(y))
    return stirling + diff


@_njit
def _poisson_draw(rng, lam):
    """One Poisson(lam) draw as a float, for ``lam >= 0`` (inf for an infinite ``lam``).

    The negative binomial's gamma-Poisson mixture may hand it a gamma draw
    that overflowed to inf.
    """
    if lam == INF:
        return INF
    return discrete.poisson(rng, lam)


@_njit
def _log_add_exp(a, b):
    """``log(exp(a) + exp(b))`` without overflow; -inf if both are -inf."""
    m = max(a, b)
    if m == -INF:
        return -INF
    return m + math.log1p(math.exp(-abs(a - b)))


@_njit
def _zero_inflated_log_zero(psi, lp0):
    """``log(psi + (1 - psi) exp(lp0))``: the log mass at 0 of a zero-inflated
    law whose base law puts log mass ``lp0 <= 0`` there (``0 <= psi <= 1``).

    Near 1 it is ``log1p(-q)`` with ``q = (1 - psi)(1 - exp(lp0))``, the mass
    above 0, so a tiny log mass keeps its relative accuracy; elsewhere a
    log-sum-exp, which stays accurate when both terms underflow.
    """
    q = (1.0 - psi) * -math.expm1(lp0)
    if q < 0.5:
        return math.log1p(-q)
    return _log_add_exp(math.log(psi), math.log1p(-psi) + lp0)


@_njit
def _log_ndtr_upper_scaled(a):
    """``log(1 - Phi(a)) + a^2/2`` for ``a >= 0``: the log upper tail of the
    standard normal with its Gaussian factor taken out, finite for all finite ``a``."""
    if a == INF:
        return -INF
    if a < 30.0:
        return math.log(0.5 * math.erfc(a * INV_SQRT2)) + 0.5 * a * a
    # Asymptotic series 1 - 1/a^2 + 3/a^4 - 15/a^6 + ...; the first omitted
    # term is below 1e-17 for a >= 30.
    r = 1.0 / (a * a)
    s = 1.0 - r * (1.0 - 3.0 * r * (1.0 - 5.0 * r * (1.0 - 7.0 * r * (
        1.0 - 9.0 * r * (1.0 - 11.0 * r * (1.0 - 13.0 * r))))))
    return math.log(s) - math.log(a) - HALF_LOG_2PI


@_njit
def _std_truncnorm_logpdf(z, a, b):
    """Log density at ``z`` of a standard normal conditioned on ``[a, b]``
    (``a <= z <= b``, ``a < b``), accurate however far into a tail."""
    if b <= 0.0:  # reflect into the right half
        a, b, z = -b, -a, -z
    if a >= 1.0:
        # All of [a, b] lies in the right tail: work relative to exp(-a^2/2),
        # so that neither the density nor the mass underflows.
        la = _log_ndtr_upper_scaled(a)
        lb = _log_ndtr_upper_scaled(b)
        log_mass = la + math.log1p(-math.exp(lb - la - 0.5 * (b - a) * (b + a)))
        return -0.5 * (z - a) * (z + a) - HALF_LOG_2PI - log_mass
    # a < 1 and b > 0: erf is accurate here and the difference does not cancel badly
    log_mass = math.log(0.5 * (math.erf(b * INV_SQRT2) - math.erf(a * INV_SQRT2)))
    return -0.5 * z * z - HALF_LOG_2PI - log_mass


@_njit
def _truncnorm_right(rng, a, b):
    """A standard normal draw conditioned on ``[a, b]`` with ``0 <= a < b``.

    Robert (1995): an exponential proposal ``a + Exp(alpha)`` with the optimal
    rate, or a uniform proposal when ``[a, b]`` is narrow, whichever accepts
    more often; both accept with probability above about 0.3 for every ``a``.
    """
    alpha = 0.5 * (a + math.hypot(a, 2.0))
    # Robert's switch point, with a^2 - a*sqrt(a^2+4) written as -2a/alpha.
    if b - a > math.exp(0.5 - 0.5 * a / alpha) / alpha:
        for _ in range(MAX_TRIES):
            z = a + rng.standard_exponential() / alpha
            if z <= b:
                d = z - alpha
                if rng.standard_exponential() >= 0.5 * d * d:
                    return z
    else:
        for _ in range(MAX_TRIES):
            z = a + (b - a) * rng.uniform()
            if rng.standard_exponential() >= 0.5 * (z - a) * (z + a):
                return z
    return NAN


@_njit
def _truncnorm_standard(rng, a, b):
    """A standard normal draw conditioned on ``[a, b]``, ``a < b``."""
    if a >= 0.0:
        return _truncnorm_right(rng, a, b)
    if b <= 0.0:
        return -_truncnorm_right(rng, -b, -a)
    if b - a >= SQRT_2PI:  # a < 0 < b and wide: plain rejection, >= 0.49 accepted
        for _ in range(MAX_TRIES):
            z = rng.standard_normal()
            if a <= z <= b:
                return z
    else:  # a < 0 < b and narrow: uniform proposal, >= 0.49 accepted
        for _ in range(MAX_TRIES):
            z = a + (b - a) * rng.uniform()
            if rng.standard_exponential() >= 0.5 * z * z:
                return z
    return NAN


# ---------------------------------------------------------------- Normal
@_njit
def normal_logpdf(x, mu, sigma):
    if math.isnan(x) or math.isnan(mu) or math.isnan(sigma):
        return NAN
    if not (_finite(mu) and _positive(sigma)):
        return -INF
    z = (x - mu) / sigma
    return -0.5 * z * z - math.log(sigma) - HALF_LOG_2PI


@_njit
def normal_sample(rng, mu, sigma):
    if not (_finite(mu) and _positive(sigma)):
        return NAN
    return mu + sigma * rng.standard_normal()


@_njit
def normal_support(mu, sigma):
    return -INF, INF


Normal = Distribution(
    name="Normal",
    params=("mu", "sigma"),
    param_bounds=(REAL, POSITIVE),
    logpdf=normal_logpdf,
    sample=normal_sample,
    support=normal_support,
    scipy=lambda mu, sigma: _stats().norm(mu, sigma),
    doc="Normal with mean mu and standard deviation sigma.",
)


# ------------------------------------------------------------- LogNormal
@_njit
def lognormal_logpdf(x, mu, sigma):
    if math.isnan(x) or math.isnan(mu) or math.isnan(sigma):
        return NAN
    if not (_finite(mu) and _positive(sigma)):
        return -INF
    if not (x > 0.0 and x < INF):
        return -INF
    lx = math.log(x)
    z = (lx - mu) / sigma
    return -0.5 * z * z - math.log(sigma) - HALF_LOG_2PI - lx


@_njit
def lognormal_sample(rng, mu, sigma):
    if not (_finite(mu) and _positive(sigma)):
        return NAN
    return math.exp(mu + sigma * rng.standard_normal())


@_njit
def lognormal_support(mu, sigma):
    return 0.0, INF


LogNormal = Distribution(
    name="LogNormal",
    params=("mu", "sigma"),
    param_bounds=(REAL, POSITIVE),
    logpdf=lognormal_logpdf,
    sample=lognormal_sample,
    support=lognormal_support,
    scipy=lambda mu, sigma: _stats().lognorm(s=sigma, scale=np.exp(mu)),
    doc="Log-normal: log x is Normal with mean mu and standard deviation sigma.",
)


# --------------------------------------------------------------- Uniform
@_njit
def uniform_logpdf(x, lower, upper):
    if math.isnan(x) or math.isnan(lower) or math.isnan(upper):
        return NAN
    if not (_finite(lower) and _finite(upper) and lower < upper):
        return -INF
    if x < lower or x > upper:
        return -INF
    return -math.log(upper - lower)


@_njit
def uniform_sample(rng, lower, upper):
    if not (_finite(lower) and _finite(upper) and lower < upper):
        return NAN
    return min(lower + (upper - lower) * rng.uniform(), upper)


@_njit
def uniform_support(lower, upper):
    return lower, upper


Uniform = Distribution(
    name="Uniform",
    params=("lower", "upper"),
    param_bounds=(REAL, REAL),
    logpdf=uniform_logpdf,
    sample=uniform_sample,
    support=uniform_support,
    scipy=lambda lower, upper: _stats().uniform(loc=lower, scale=upper - lower),
    ordered=(Ordered("lower", "upper"),),
    doc="Uniform on [lower, upper]; requires lower < upper.",
)


# ----------------------------------------------------------- Exponential
@_njit
def exponential_logpdf(x, rate):
    if math.isnan(x) or math.isnan(rate):
        return NAN
    if not _positive(rate):
        return -INF
    if not (x >= 0.0 and x < INF):
        return -INF
    return math.log(rate) - rate * x


@_njit
def exponential_sample(rng, rate):
    if not _positive(rate):
        return NAN
    return rng.standard_exponential() / rate


@_njit
def exponential_support(rate):
    return 0.0, INF


Exponential = Distribution(
    name="Exponential",
    params=("rate",),
    param_bounds=(POSITIVE,),
    logpdf=exponential_logpdf,
    sample=exponential_sample,
    support=exponential_support,
    scipy=lambda rate: _stats().expon(scale=1.0 / rate),
    doc="Exponential with rate (inverse mean) rate.",
)


# ----------------------------------------------------------------- Gamma
@_njit
def gamma_logpdf(x, shape, rate):
    if math.isnan(x) or math.isnan(shape) or math.isnan(rate):
        return NAN
    if not (_positive(shape) and _positive(rate)):
        return -INF
    if not (x >= 0.0 and x < INF):
        return -INF
    if x == 0.0:
        if shape == 1.0:
            return math.log(rate)
        return INF if shape < 1.0 else -INF
    return shape * math.log(rate) - math.lgamma(shape) + (shape - 1.0) * math.log(x) - rate * x


@_njit
def gamma_sample(rng, shape, rate):
    if not (_positive(shape) and _positive(rate)):
        return NAN
    return rng.standard_gamma(shape) / rate


@_njit
def gamma_support(shape, rate):
    return 0.0, INF


Gamma = Distribution(
    name="Gamma",
    params=("shape", "rate"),
    param_bounds=(POSITIVE, POSITIVE),
    logpdf=gamma_logpdf,
    sample=gamma_sample,
    support=gamma_support,
    scipy=lambda shape, rate: _stats().gamma(a=shape, scale=1.0 / rate),
    doc="Gamma with shape and rate (mean shape/rate).",
)


# ---------------------------------------------------------- InverseGamma
@_njit
def inversegamma_logpdf(x, shape, scale):
    if math.isnan(x) or math.isnan(shape) or math.isnan(scale):
        return NAN
    if not (_positive(shape) and _positive(scale)):
        return -INF
    if not (x > 0.0 and x < INF):
        return -INF
    return (shape * math.log(scale) - math.lgamma(shape)
            - (shape + 1.0) * math.log(x) - scale / x)


@_njit
def inversegamma_sample(rng, shape, scale):
    if not (_positive(shape) and _positive(scale)):
        return NAN
    g = rng.standard_gamma(shape)
    return scale / g if g > 0.0 else INF


@_njit
def inversegamma_support(shape, scale):
    return 0.0, INF


InverseGamma = Distribution(
    name="InverseGamma",
    params=("shape", "scale"),
    param_bounds=(POSITIVE, POSITIVE),
    logpdf=inversegamma_logpdf,
    sample=inversegamma_sample,
    support=inversegamma_support,
    scipy=lambda shape, scale: _stats().invgamma(a=shape, scale=scale),
    doc="Inverse gamma with shape and scale: scale/x is Gamma(shape, 1).",
)


# ------------------------------------------------------------------ Beta
@_njit
def beta_logpdf(x, alpha, beta):
    if math.isnan(x) or math.isnan(alpha) or math.isnan(beta):
        return NAN
    if not (_positive(alpha) and _positive(beta)):
        return -INF
    if not (x >= 0.0 and x <= 1.0):
        return -INF
    lp = -_lbeta(alpha, beta)
    if alpha != 1.0:  # skipped at alpha == 1 so that x == 0 gives the finite limit
        lp += (alpha - 1.0) * math.log(x)
    if beta != 1.0:
        lp += (beta - 1.0) * math.log1p(-x)
    return lp


@_njit
def beta_sample(rng, alpha, beta):
    if not (_positive(alpha) and _positive(beta)):
        return NAN
    return rng.beta(alpha, beta)


@_njit
def beta_support(alpha, beta):
    return 0.0, 1.0


Beta = Distribution(
    name="Beta",
    params=("alpha", "beta"),
    param_bounds=(POSITIVE, POSITIVE),
    logpdf=beta_logpdf,
    sample=beta_sample,
    support=beta_support,
    scipy=lambda alpha, beta: _stats().beta(alpha, beta),
    doc="Beta on [0, 1] with shapes alpha and beta (mean alpha/(alpha+beta)).",
)


# -------------------------------------------------------------- StudentT
@_njit
def studentt_logpdf(x, nu, mu, sigma):
    if math.isnan(x) or math.isnan(nu) or math.isnan(mu) or math.isnan(sigma):
        return NAN
    if not (_positive(nu) and _finite(mu) and _positive(sigma)):
        return -INF
    z = (x - mu) / sigma
    # lgamma((nu+1)/2) - lgamma(nu/2) - log(pi)/2 == -lbeta(nu/2, 1/2), stable for large nu
    return (-_lbeta(0.5 * nu, 0.5) - 0.5 * math.log(nu) - math.log(sigma)
            - 0.5 * (nu + 1.0) * math.log1p(z * z / nu))


@_njit
def studentt_sample(rng, nu, mu, sigma):
    if not (_positive(nu) and _finite(mu) and _positive(sigma)):
        return NAN
    return mu + sigma * rng.standard_t(nu)


@_njit
def studentt_support(nu, mu, sigma):
    return -INF, INF


StudentT = Distribution(
    name="StudentT",
    params=("nu", "mu", "sigma"),
    param_bounds=(POSITIVE, REAL, POSITIVE),
    logpdf=studentt_logpdf,
    sample=studentt_sample,
    support=studentt_support,
    scipy=lambda nu, mu, sigma: _stats().t(nu, mu, sigma),
    doc="Student's t with nu degrees of freedom, location mu and scale sigma.",
)


# ---------------------------------------------------------------- Cauchy
@_njit
def cauchy_logpdf(x, mu, sigma):
    if math.isnan(x) or math.isnan(mu) or math.isnan(sigma):
        return NAN
    if not (_finite(mu) and _positive(sigma)):
        return -INF
    z = (x - mu) / sigma
    return -LOG_PI - math.log(sigma) - math.log1p(z * z)


@_njit
def cauchy_sample(rng, mu, sigma):
    if not (_finite(mu) and _positive(sigma)):
        return NAN
    return mu + sigma * rng.standard_cauchy()


@_njit
def cauchy_support(mu, sigma):
    return -INF, INF


Cauchy = Distribution(
    name="Cauchy",
    params=("mu", "sigma"),
    param_bounds=(REAL, POSITIVE),
    logpdf=cauchy_logpdf,
    sample=cauchy_sample,
    support=cauchy_support,
    scipy=lambda mu, sigma: _stats().cauchy(mu, sigma),
    doc="Cauchy with location mu and scale sigma.",
)


# ------------------------------------------------------------ HalfNormal
@_njit
def halfnormal_logpdf(x, sigma):
    if math.isnan(x) or math.isnan(sigma):
        return NAN
    if not _positive(sigma):
        return -INF
    if x < 0.0:
        return -INF
    z = x / sigma
    return 0.5 * math.log(2.0 / math.pi) - math.log(sigma) - 0.5 * z * z


@_njit
def halfnormal_sample(rng, sigma):
    if not _positive(sigma):
        return NAN
    return abs(sigma * rng.standard_normal())


@_njit
def halfnormal_support(sigma):
    return 0.0, INF


HalfNormal = Distribution(
    name="HalfNormal",
    params=("sigma",),
    param_bounds=(POSITIVE,),
    logpdf=halfnormal_logpdf,
    sample=halfnormal_sample,
    support=halfnormal_support,
    scipy=lambda sigma: _stats().halfnorm(scale=sigma),
    doc="Half-normal on [0, inf): |y| for y ~ Normal(0, sigma).",
)


# ------------------------------------------------------------ HalfCauchy
@_njit
def halfcauchy_logpdf(x, sigma):
    if math.isnan(x) or math.isnan(sigma):
        return NAN
    if not _positive(sigma):
        return -INF
    if x < 0.0:
        return -INF
    z = x / sigma
    return math.log(2.0 / math.pi) - math.log(sigma) - math.log1p(z * z)


@_njit
def halfcauchy_sample(rng, sigma):
    if not _positive(sigma):
        return NAN
    return abs(sigma * rng.standard_cauchy())


@_njit
def halfcauchy_support(sigma):
    return 0.0, INF


HalfCauchy = Distribution(
    name="HalfCauchy",
    params=("sigma",),
    param_bounds=(POSITIVE,),
    logpdf=halfcauchy_logpdf,
    sample=halfcauchy_sample,
    support=halfcauchy_support,
    scipy=lambda sigma: _stats().halfcauchy(scale=sigma),
    doc="Half-Cauchy on [0, inf): |y| for y ~ Cauchy(0, sigma).",
)


# --------------------------------------------------------- HalfStudentT
@_njit
def halfstudentt_logpdf(x, nu, sigma):
    if math.isnan(x) or math.isnan(nu) or math.isnan(sigma):
        return NAN
    if not (_positive(nu) and _positive(sigma)):
        return -INF
    if x < 0.0:
        return -INF
    z = x / sigma
    # twice StudentT(nu, 0, sigma)'s density, written as in studentt_logpdf
    return (LOG_2 - _lbeta(0.5 * nu, 0.5) - 0.5 * math.log(nu) - math.log(sigma)
            - 0.5 * (nu + 1.0) * math.log1p(z * z / nu))


@_njit
def halfstudentt_sample(rng, nu, sigma):
    if not (_positive(nu) and _positive(sigma)):
        return NAN
    return abs(sigma * rng.standard_t(nu))


@_njit
def halfstudentt_support(nu, sigma):
    return 0.0, INF


HalfStudentT = Distribution(
    name="HalfStudentT",
    params=("nu", "sigma"),
    param_bounds=(POSITIVE, POSITIVE),
    logpdf=halfstudentt_logpdf,
    sample=halfstudentt_sample,
    support=halfstudentt_support,
    scipy=lambda nu, sigma: _twin_families()["HalfStudentT"](nu, scale=sigma),
    doc="Half-Student t on [0, inf): |y| for y ~ StudentT(nu, 0, sigma).",
)


# --------------------------------------------------------------- Laplace
@_njit
def laplace_logpdf(x, mu, b):
    if math.isnan(x) or math.isnan(mu) or math.isnan(b):
        return NAN
    if not (_finite(mu) and _positive(b)):
        return -INF
    return -math.log(2.0 * b) - abs(x - mu) / b


@_njit
def laplace_sample(rng, mu, b):
    if not (_finite(mu) and _positive(b)):
        return NAN
    return rng.laplace(mu, b)


@_njit
def laplace_support(mu, b):
    return -INF, INF


Laplace = Distribution(
    name="Laplace",
    params=("mu", "b"),
    param_bounds=(REAL, POSITIVE),
    logpdf=laplace_logpdf,
    sample=laplace_sample,
    support=laplace_support,
    scipy=lambda mu, b: _stats().laplace(mu, b),
    doc="Laplace (double exponential) with location mu and scale b.",
)


# --------------------------------------------------------------- Weibull
@_njit
def weibull_logpdf(x, k, lam):
    if math.isnan(x) or math.isnan(k) or math.isnan(lam):
        return NAN
    if not (_positive(k) and _positive(lam)):
        return -INF
    if not (x >= 0.0 and x < INF):
        return -INF
    if x == 0.0:
        if k == 1.0:
            return -math.log(lam)
        return INF if k < 1.0 else -INF
    lz = math.log(x) - math.log(lam)  # log(x/lam), finite even where x/lam would underflow
    return math.log(k) - math.log(lam) + (k - 1.0) * lz - math.exp(k * lz)


@_njit
def weibull_sample(rng, k, lam):
    if not (_positive(k) and _positive(lam)):
        return NAN
    # inversion: P(X > x) = exp(-(x/lam)^k), so (X/lam)^k is Exp(1)
    return lam * rng.standard_exponential() ** (1.0 / k)


@_njit
def weibull_support(k, lam):
    return 0.0, INF


Weibull = Distribution(
    name="Weibull",
    params=("k", "lam"),
    param_bounds=(POSITIVE, POSITIVE),
    logpdf=weibull_logpdf,
    sample=weibull_sample,
    support=weibull_support,
    scipy=lambda k, lam: _stats().weibull_min(k, scale=lam),
    doc="Weibull with shape k and scale lam: P(X > x) = exp(-(x/lam)^k).",
)


# --------------------------------------------------------------- Poisson
@_njit
def poisson_logpdf(x, lam):
    if math.isnan(x) or math.isnan(lam):
        return NAN
    if not (lam >= 0.0 and lam < INF):
        return -INF
    if not _is_count(x):
        return -INF
    if x == 0.0:
        return -lam
    if lam == 0.0:
        return -INF
    return x * math.log(lam) - lam - math.lgamma(x + 1.0)


@_njit
def poisson_sample(rng, lam):
    if not (lam >= 0.0 and lam < INF):
        return NAN
    return _poisson_draw(rng, lam)


@_njit
def poisson_support(lam):
    return 0.0, INF


Poisson = Distribution(
    name="Poisson",
    params=("lam",),
    param_bounds=(NONNEGATIVE,),
    logpdf=poisson_logpdf,
    sample=poisson_sample,
    support=poisson_support,
    scipy=lambda lam: _stats().poisson(lam),
    discrete=True,
    doc="Poisson with mean lam (lam = 0 puts all mass at 0).",
)


# --------------------------------------------------- ZeroInflatedPoisson
@_njit
def zeroinflatedpoisson_logpdf(x, psi, lam):
    if math.isnan(x) or math.isnan(psi) or math.isnan(lam):
        return NAN
    if not (psi >= 0.0 and psi <= 1.0 and lam >= 0.0 and lam < INF):
        return -INF
    if not _is_count(x):
        return -INF
    if x == 0.0:
        return _zero_inflated_log_zero(psi, -lam)
    if psi == 1.0:
        return -INF
    return math.log1p(-psi) + poisson_logpdf(x, lam)


@_njit
def zeroinflatedpoisson_sample(rng, psi, lam):
    if not (psi >= 0.0 and psi <= 1.0 and lam >= 0.0 and lam < INF):
        return NAN
    if rng.uniform() < psi:
        return 0.0
    return _poisson_draw(rng, lam)


@_njit
def zeroinflatedpoisson_support(psi, lam):
    return 0.0, INF


ZeroInflatedPoisson = Distribution(
    name="ZeroInflatedPoisson",
    params=("psi", "lam"),
    param_bounds=(UNIT, NONNEGATIVE),
    logpdf=zeroinflatedpoisson_logpdf,
    sample=zeroinflatedpoisson_sample,
    support=zeroinflatedpoisson_support,
    scipy=lambda psi, lam: _twin_families()["ZeroInflatedPoisson"](psi, lam),
    discrete=True,
    doc="Zero-inflated Poisson: 0 with probability psi, else Poisson(lam).",
)


# -------------------------------------------------------------- Binomial
@_njit
def binomial_logpdf(x, n, p):
    if math.isnan(x) or math.isnan(n) or math.isnan(p):
        return NAN
    n = _count_arg(n)
    if n < 0.0 or not (p >= 0.0 and p <= 1.0):
        return -INF
    if not _is_count(x) or x > n:
        return -INF
    lp = 0.0
    if x > 0.0 and x < n:  # log choose(n, x), exact 0 at both ends
        lp = -math.log(n + 1.0) - _lbeta(n - x + 1.0, x + 1.0)
    if x > 0.0:
        lp += x * math.log(p)
    if x < n:
        lp += (n - x) * math.log1p(-p)
    return lp


@_njit
def binomial_sample(rng, n, p):
    n = _count_arg(n)
    if n < 0.0 or not (p >= 0.0 and p <= 1.0):
        return NAN
    return discrete.binomial(rng, n, p)


@_njit
def binomial_support(n, p):
    return 0.0, np.floor(n + 0.5)


Binomial = Distribution(
    name="Binomial",
    params=("n", "p"),
    param_bounds=(NONNEGATIVE, UNIT),
    logpdf=binomial_logpdf,
    sample=binomial_sample,
    support=binomial_support,
    scipy=lambda n, p: _stats().binom(_count_arg_py(n), p),
    discrete=True,
    doc="Binomial: successes in n (an integer) trials with success probability p.",
)


# ---------------------------------------------------------- BetaBinomial
@_njit
def betabinomial_logpdf(x, n, alpha, beta):
    if math.isnan(x) or math.isnan(n) or math.isnan(alpha) or math.isnan(beta):
        return NAN
    n = _count_arg(n)
    if n < 0.0 or not (_positive(alpha) and _positive(beta)):
        return -INF
    if not _is_count(x) or x > n:
        return -INF
    lp = _lbeta(x + alpha, n - x + beta) - _lbeta(alpha, beta)
    if x > 0.0 and x < n:  # log choose(n, x), exact 0 at both ends
        lp += -math.log(n + 1.0) - _lbeta(n - x + 1.0, x + 1.0)
    return lp


@_njit
def betabinomial_sample(rng, n, alpha, beta):
    n = _count_arg(n)
    if n < 0.0 or not (_positive(alpha) and _positive(beta)):
        return NAN
    if n == 0.0:
        return 0.0
    return binomial_sample(rng, n, min(max(rng.beta(alpha, beta), 0.0), 1.0))


@_njit
def betabinomial_support(n, alpha, beta):
    return 0.0, np.floor(n + 0.5)


BetaBinomial = Distribution(
    name="BetaBinomial",
    params=("n", "alpha", "beta"),
    param_bounds=(NONNEGATIVE, POSITIVE, POSITIVE),
    logpdf=betabinomial_logpdf,
    sample=betabinomial_sample,
    support=betabinomial_support,
    scipy=lambda n, alpha, beta: _stats().betabinom(_count_arg_py(n), alpha, beta),
    discrete=True,
    doc="Beta-binomial: Binomial(n, p) successes (n an integer) with p ~ Beta(alpha, beta).",
)


# ------------------------------------------------------ NegativeBinomial
@_njit
def negativebinomial_logpdf(x, mu, phi):
    if math.isnan(x) or math.isnan(mu) or math.isnan(phi):
        return NAN
    if not (mu >= 0.0 and mu < INF and _positive(phi)):
        return -INF
    if not _is_count(x):
        return -INF
    if mu == 0.0:
        return 0.0 if x == 0.0 else -INF
    # phi*log(phi/(mu+phi)) + x*log(mu/(mu+phi)) + log choose(x+phi-1, x), with
    # log choose(x+phi-1, x) = -log(x) - lbeta(x, phi): stable as phi -> inf
    lp = -phi * math.log1p(mu / phi)
    if x > 0.0:
        lp += -math.log(x) - _lbeta(x, phi) - x * math.log1p(phi / mu)
    return lp


@_njit
def negativebinomial_sample(rng, mu, phi):
    if not (mu >= 0.0 and mu < INF and _positive(phi)):
        return NAN
    if mu == 0.0:
        return 0.0
    return _poisson_draw(rng, rng.standard_gamma(phi) * (mu / phi))


@_njit
def negativebinomial_support(mu, phi):
    return 0.0, INF


NegativeBinomial = Distribution(
    name="NegativeBinomial",
    params=("mu", "phi"),
    param_bounds=(NONNEGATIVE, POSITIVE),
    logpdf=negativebinomial_logpdf,
    sample=negativebinomial_sample,
    support=negativebinomial_support,
    scipy=lambda mu, phi: _stats().nbinom(n=phi, p=phi / (phi + mu)),
    discrete=True,
    doc="Negative binomial with mean mu and dispersion phi: variance mu + mu^2/phi.",
)


# ------------------------------------------ ZeroInflatedNegativeBinomial
@_njit
def zeroinflatednegativebinomial_logpdf(x, psi, mu, phi):
    if math.isnan(x) or math.isnan(psi) or math.isnan(mu) or math.isnan(phi):
        return NAN
    if not (psi >= 0.0 and psi <= 1.0 and mu >= 0.0 and mu < INF and _positive(phi)):
        return -INF
    if not _is_count(x):
        return -INF
    if x == 0.0:
        return _zero_inflated_log_zero(psi, negativebinomial_logpdf(0.0, mu, phi))
    if psi == 1.0:
        return -INF
    return math.log1p(-psi) + negativebinomial_logpdf(x, mu, phi)


@_njit
def zeroinflatednegativebinomial_sample(rng, psi, mu, phi):
    if not (psi >= 0.0 and psi <= 1.0 and mu >= 0.0 and mu < INF and _positive(phi)):
        return NAN
    if rng.uniform() < psi:
        return 0.0
    return negativebinomial_sample(rng, mu, phi)


@_njit
def zeroinflatednegativebinomial_support(psi, mu, phi):
    return 0.0, INF


ZeroInflatedNegativeBinomial = Distribution(
    name="ZeroInflatedNegativeBinomial",
    params=("psi", "mu", "phi"),
    param_bounds=(UNIT, NONNEGATIVE, POSITIVE),
    logpdf=zeroinflatednegativebinomial_logpdf,
    sample=zeroinflatednegativebinomial_sample,
    support=zeroinflatednegativebinomial_support,
    scipy=lambda psi, mu, phi: _twin_families()["ZeroInflatedNegativeBinomial"](psi, mu, phi),
    discrete=True,
    doc="Zero-inflated negative binomial: 0 with probability psi, else NegativeBinomial(mu, phi).",
)


# ------------------------------------------------------------- Bernoulli
@_njit
def bernoulli_logpdf(x, p):
    if math.isnan(x) or math.isnan(p):
        return NAN
    if not (p >= 0.0 and p <= 1.0):
        return -INF
    if x == 0.0:
        return math.log1p(-p)
    if x == 1.0:
        return math.log(p)
    return -INF


@_njit
def bernoulli_sample(rng, p):
    if not (p >= 0.0 and p <= 1.0):
        return NAN
    return 1.0 if rng.uniform() < p else 0.0


@_njit
def bernoulli_support(p):
    return 0.0, 1.0


Bernoulli = Distribution(
    name="Bernoulli",
    params=("p",),
    param_bounds=(UNIT,),
    logpdf=bernoulli_logpdf,
    sample=bernoulli_sample,
    support=bernoulli_support,
    scipy=lambda p: _stats().bernoulli(p),
    discrete=True,
    doc="Bernoulli: 1 with probability p, else 0.",
)


# ------------------------------------------------------------- Geometric
@_njit
def geometric_logpdf(x, p):
    if math.isnan(x) or math.isnan(p):
        return NAN
    if not (p > 0.0 and p <= 1.0):
        return -INF
    if not (_is_count(x) and x >= 1.0):
        return -INF
    if x == 1.0:
        return math.log(p)
    return (x - 1.0) * math.log1p(-p) + math.log(p)


@_njit
def geometric_sample(rng, p):
    if not (p > 0.0 and p <= 1.0):
        return NAN
    if p == 1.0:
        return 1.0
    # inversion: P(ceil(E / -log(1-p)) > k) = exp(k log(1-p)) = (1-p)^k
    return max(np.ceil(rng.standard_exponential() / -math.log1p(-p)), 1.0)


@_njit
def geometric_support(p):
    return 1.0, INF


Geometric = Distribution(
    name="Geometric",
    params=("p",),
    param_bounds=(POSITIVE_UNIT,),
    logpdf=geometric_logpdf,
    sample=geometric_sample,
    support=geometric_support,
    scipy=lambda p: _stats().geom(p),
    discrete=True,
    doc="Geometric: number of trials up to and including the first success (1, 2, ...).",
)


# ------------------------------------------------------- TruncatedNormal
@_njit
def truncatednormal_logpdf(x, mu, sigma, lower, upper):
    if math.isnan(x) or math.isnan(mu) or math.isnan(sigma) or math.isnan(lower) or math.isnan(upper):
        return NAN
    if not (_finite(mu) and _positive(sigma) and lower < upper):
        return -INF
    if x < lower or x > upper:
        return -INF
    a = (lower - mu) / sigma
    b = (upper - mu) / sigma
    z = min(max((x - mu) / sigma, a), b)  # guard against rounding past a or b
    return _std_truncnorm_logpdf(z, a, b) - math.log(sigma)


@_njit
def truncatednormal_sample(rng, mu, sigma, lower, upper):
    if not (_finite(mu) and _positive(sigma) and lower < upper):
        return NAN
    z = _truncnorm_standard(rng, (lower - mu) / sigma, (upper - mu) / sigma)
    return min(max(mu + sigma * z, lower), upper)


@_njit
def truncatednormal_support(mu, sigma, lower, upper):
    return lower, upper


TruncatedNormal = Distribution(
    name="TruncatedNormal",
    params=("mu", "sigma", "lower", "upper"),
    param_bounds=(REAL, POSITIVE, EXTENDED_REAL, EXTENDED_REAL),
    logpdf=truncatednormal_logpdf,
    sample=truncatednormal_sample,
    support=truncatednormal_support,
    scipy=lambda mu, sigma, lower, upper: _stats().truncnorm(
        (lower - mu) / sigma, (upper - mu) / sigma, loc=mu, scale=sigma),
    ordered=(Ordered("lower", "upper"),),
    doc="Normal(mu, sigma) conditioned on [lower, upper] (either may be infinite).",
)


DISTRIBUTIONS: dict[str, Distribution] = {
    d.name: d
    for d in [
        Normal,
        LogNormal,
        Uniform,
        Exponential,
        Gamma,
        InverseGamma,
        Beta,
        StudentT,
        Cauchy,
        HalfNormal,
        HalfCauchy,
        HalfStudentT,
        Laplace,
        Weibull,
        Poisson,
        ZeroInflatedPoisson,
        Binomial,
        BetaBinomial,
        NegativeBinomial,
        ZeroInflatedNegativeBinomial,
        Bernoulli,
        Geometric,
        TruncatedNormal,
    ]
}
