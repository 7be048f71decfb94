"""Tests of the distributions against their SciPy twins.

Each Numba kernel is checked against ``Distribution.scipy``: log densities
on a grid reaching past the support boundaries, samplers by goodness of fit
at fixed seeds (deterministic), supports, and the invalid-argument contract.
"""

import math
import zlib

import numba
import numpy as np
import pytest
from scipy import stats

from ponder.stdlib.distributions import DISTRIBUTIONS

INF = math.inf
NAN = math.nan
N_DRAWS = 20_000

#: A few valid argument tuples for each distribution, chosen to reach the
#: awkward corners (boundary densities, degenerate laws, heavy tails).
VALID = {
    "Normal": [(0.0, 1.0), (-3.5, 0.2), (1e3, 50.0)],
    "LogNormal": [(0.0, 1.0), (1.5, 0.3), (-2.0, 2.0)],
    "Uniform": [(0.0, 1.0), (-1.0, 2.5), (10.0, 1000.0)],
    "Exponential": [(1.0,), (0.2,), (25.0,)],
    "Gamma": [(1.0, 1.0), (0.5, 2.0), (3.0, 0.5), (200.0, 10.0)],
    "InverseGamma": [(3.0, 2.0), (0.7, 1.0), (50.0, 10.0)],
    "Beta": [(1.0, 1.0), (0.5, 0.5), (2.0, 5.0), (1.0, 3.0), (40.0, 0.8)],
    "StudentT": [(1.0, 0.0, 1.0), (3.0, 2.0, 0.5), (30.0, -1.0, 2.0), (0.5, 0.0, 1.0)],
    "Cauchy": [(0.0, 1.0), (5.0, 0.1)],
    "HalfNormal": [(1.0,), (0.1,), (20.0,)],
    "HalfCauchy": [(1.0,), (2.5,)],
    "HalfStudentT": [(1.0, 1.0), (0.3, 2.0), (3.0, 0.5), (30.0, 2.0), (1e4, 1.0)],
    "Laplace": [(0.0, 1.0), (-2.0, 0.3)],
    "Weibull": [(0.5, 1.0), (1.0, 2.0), (0.15, 3.0), (1.5, 0.3), (3.0, 10.0), (25.0, 1.0)],
    "Poisson": [(0.0,), (0.5,), (4.0,), (250.0,)],
    "ZeroInflatedPoisson": [(0.0, 3.0), (1.0, 4.0), (0.3, 0.0), (0.2, 0.5), (0.7, 10.0), (1e-3, 250.0), (0.999, 2.0)],
    "Binomial": [(0.0, 0.3), (1.0, 0.5), (10.0, 0.3), (20.0, 0.0), (20.0, 1.0), (100.0, 0.97), (1e6, 0.3)],
    "BetaBinomial": [
        (0.0, 2.0, 3.0), (1.0, 0.5, 0.5), (10.0, 1.0, 1.0), (20.0, 0.1, 0.1), (50.0, 2.0, 30.0), (30.0, 0.05, 4.0),
        (1000.0, 40.0, 0.8),
    ],
    "NegativeBinomial": [(0.0, 2.0), (3.0, 0.5), (10.0, 5.0), (100.0, 1e3), (2.0, 1e6)],
    "ZeroInflatedNegativeBinomial": [
        (0.0, 3.0, 0.5), (1.0, 2.0, 2.0), (0.4, 0.0, 2.0), (0.25, 10.0, 5.0), (0.6, 100.0, 1e3), (0.05, 1.5, 0.1),
    ],
    "Bernoulli": [(0.0,), (0.3,), (1.0,)],
    "Geometric": [(1.0,), (0.5,), (0.05,)],
    "TruncatedNormal": [
        (0.0, 1.0, -1.0, 2.0),
        (0.0, 1.0, 8.0, INF),
        (2.0, 0.5, -INF, 1.0),
        (1.0, 2.0, 0.5, 0.6),
        (0.0, 1.0, -INF, INF),
        (-5.0, 1.0, 0.0, INF),
        (3.0, 1.5, -INF, -6.0),
    ],
}

#: A few invalid argument tuples for each distribution.
INVALID = {
    "Normal": [(0.0, 0.0), (0.0, -1.0), (0.0, INF), (INF, 1.0)],
    "LogNormal": [(0.0, 0.0), (0.0, -2.0)],
    "Uniform": [(1.0, 1.0), (2.0, 1.0), (-INF, 0.0)],
    "Exponential": [(0.0,), (-1.0,), (INF,)],
    "Gamma": [(0.0, 1.0), (1.0, -1.0)],
    "InverseGamma": [(-1.0, 1.0), (1.0, 0.0)],
    "Beta": [(0.0, 1.0), (1.0, -0.5)],
    "StudentT": [(0.0, 0.0, 1.0), (1.0, 0.0, 0.0), (-2.0, 0.0, 1.0)],
    "Cauchy": [(0.0, 0.0), (0.0, -1.0)],
    "HalfNormal": [(0.0,), (-1.0,)],
    "HalfCauchy": [(0.0,), (-2.0,)],
    "HalfStudentT": [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.0), (1.0, -1.0), (INF, 1.0), (1.0, INF)],
    "Laplace": [(0.0, 0.0), (0.0, -1.0)],
    "Weibull": [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.0), (2.0, -1.0), (INF, 1.0), (1.0, INF)],
    "Poisson": [(-1.0,), (INF,)],
    "ZeroInflatedPoisson": [(-0.1, 1.0), (1.1, 1.0), (0.5, -1.0), (0.5, INF), (INF, 1.0), (-INF, 1.0)],
    "Binomial": [(-1.0, 0.5), (2.5, 0.5), (10.0, -0.1), (10.0, 1.1), (INF, 0.5)],
    "BetaBinomial": [
        (-1.0, 1.0, 1.0), (2.5, 1.0, 1.0), (INF, 1.0, 1.0), (10.0, 0.0, 1.0), (10.0, 1.0, -1.0), (10.0, INF, 1.0),
        (10.0, 1.0, INF),
    ],
    "NegativeBinomial": [(-1.0, 2.0), (2.0, 0.0), (2.0, -1.0), (INF, 1.0)],
    "ZeroInflatedNegativeBinomial": [
        (-0.1, 1.0, 1.0), (1.5, 1.0, 1.0), (0.5, -1.0, 2.0), (0.5, 2.0, 0.0), (0.5, INF, 1.0), (0.5, 1.0, INF),
    ],
    "Bernoulli": [(-0.1,), (1.5,)],
    "Geometric": [(0.0,), (1.5,), (-0.2,)],
    "TruncatedNormal": [
        (0.0, 0.0, -1.0, 1.0), (0.0, 1.0, 1.0, 1.0), (0.0, 1.0, 2.0, 1.0), (0.0, 1.0, INF, INF), (INF, 1.0, 0.0, 1.0),
    ],
}

#: Cases where SciPy itself loses digits (it subtracts log-gammas of order
#: 1e7): compared with SciPy to 1e-8 only, and to exact sums below.
SCIPY_LOSES_DIGITS = {("Binomial", (1e6, 0.3)), ("NegativeBinomial", (2.0, 1e6))}

CASES = [(name, args) for name in DISTRIBUTIONS for args in VALID[name]]
CASE_IDS = [f"{name}{args}" for name, args in CASES]


def test_tables_cover_every_distribution():
    assert list(VALID) == list(DISTRIBUTIONS)
    assert list(INVALID) == list(DISTRIBUTIONS)
    for name, d in DISTRIBUTIONS.items():
        assert len(d.params) == len(d.param_bounds) == d.arity
        assert d.doc
        for args in VALID[name]:
            assert len(args) == d.arity
            assert all(b.contains(a) for a, b in zip(args, d.param_bounds)), (name, args)


@numba.njit
def _draw(sample, rng, n, args):
    out = np.empty(n)
    for i in range(n):
        out[i] = sample(rng, *args)
    return out


def draws(d, args, seed, n=N_DRAWS):
    return _draw(d.sample, np.random.default_rng(seed), n, tuple(float(a) for a in args))


def seed_for(name, args):
    return zlib.crc32(f"{name}{args}".encode())


def x_grid(d, args):
    """Boundaries, points just inside/outside them, and interior quantiles."""
    twin = d.scipy(*args)
    lo, hi = (float(v) for v in twin.support())
    with np.errstate(divide="ignore"):  # SciPy's geom.ppf at p = 1
        qs = twin.ppf([1e-6, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-6])
    pts = list(qs)
    if d.discrete:
        pts += list(qs + 0.5)  # non-integers
        for e in (lo, hi):
            if math.isfinite(e):
                pts += [e, e - 1.0, e + 1.0, e - 0.5, e + 0.5, e - 1e-9, e + 1e-9]
    else:
        pts += [-INF, INF]
        for e in (lo, hi):
            if math.isfinite(e):
                step = 1e-9 * (1.0 + abs(e))
                pts += [e, e - step, e + step, e - 1.0, e + 1.0]
                # the neighbouring floats (not subnormals: SciPy loses digits there)
                pts += [np.nextafter(e, -INF), np.nextafter(e, INF)] if e != 0.0 else [-1e-300, 1e-300]
    pts = np.array([p for p in pts if not math.isnan(p)], dtype=float)
    return np.unique(pts)


# ------------------------------------------------------------ log density
@pytest.mark.parametrize("name,args", CASES, ids=CASE_IDS)
def test_logpdf_matches_scipy(name, args):
    d = DISTRIBUTIONS[name]
    twin = d.scipy(*args)
    xs = x_grid(d, args)
    with np.errstate(all="ignore"):
        expected = twin.logpmf(xs) if d.discrete else twin.logpdf(xs)
    # SciPy computes inf - inf at x = +-inf for some families; the density is 0 there.
    expected = np.where(np.isnan(expected) & np.isinf(xs), -INF, expected)
    # The support is exactly [lo, hi]; SciPy's truncnorm tests membership after
    # standardising (x - loc) / scale, which rounds the floats next to the ends in.
    lo, hi = (float(v) for v in twin.support())
    expected = np.where((xs < lo) | (xs > hi), -INF, expected)
    assert not np.isnan(expected).any()
    got = np.array([d.logpdf(float(x), *args) for x in xs])
    tol = 1e-8 if (name, args) in SCIPY_LOSES_DIGITS else 1e-10
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=f"{name}{args} at {xs}")
    assert np.isfinite(got).any()  # the grid reaches the support


@pytest.mark.parametrize("name", [n for n, d in DISTRIBUTIONS.items() if d.discrete])
def test_discrete_logpdf_at_infinity(name):
    d = DISTRIBUTIONS[name]
    for args in VALID[name]:
        assert d.logpdf(INF, *args) == -INF
        assert d.logpdf(-INF, *args) == -INF


# ------------------------------------------------- invalid arguments, nan
@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_invalid_arguments(name):
    d = DISTRIBUTIONS[name]
    rng = np.random.default_rng(0)
    for args in INVALID[name]:
        for x in (-1.0, 0.0, 0.5, 1.0, 2.0):
            assert d.logpdf(x, *args) == -INF, (args, x)
        assert math.isnan(d.sample(rng, *args)), args


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_nan_propagates(name):
    d = DISTRIBUTIONS[name]
    rng = np.random.default_rng(0)
    args = VALID[name][-1]
    x = float(d.scipy(*args).median())
    assert math.isfinite(d.logpdf(x, *args))
    assert math.isnan(d.logpdf(NAN, *args))
    for i in range(d.arity):
        bad = args[:i] + (NAN,) + args[i + 1:]
        assert math.isnan(d.logpdf(x, *bad)), bad
        assert math.isnan(d.sample(rng, *bad)), bad


# ---------------------------------------------------------------- support
@pytest.mark.parametrize("name,args", CASES, ids=CASE_IDS)
def test_support_matches_scipy(name, args):
    d = DISTRIBUTIONS[name]
    lo, hi = d.support(*args)
    assert isinstance(lo, float) and isinstance(hi, float)
    np.testing.assert_allclose((lo, hi), [float(v) for v in d.scipy(*args).support()], rtol=1e-12)


# ---------------------------------------------------------------- samplers
def _chi_square_p(x, twin):
    """Chi-square p-value of integer draws ``x`` against ``twin``, bins merged to expected >= 5."""
    n = len(x)
    with np.errstate(divide="ignore"):  # SciPy's geom at p = 1
        lo = int(twin.ppf(1e-9))
        hi = int(twin.ppf(1 - 1e-9))
        ks = np.arange(lo, hi + 1)
        probs = twin.pmf(ks)
        probs[0] += twin.cdf(lo - 1)  # tails go into the end bins
        probs[-1] += twin.sf(hi)
    counts = np.bincount((np.clip(x, lo, hi) - lo).astype(np.int64), minlength=len(ks))
    obs, exp = [], []
    o = e = 0.0
    for c, p in zip(counts, probs):
        o += c
        e += n * p
        if e >= 5.0:
            obs.append(o)
            exp.append(e)
            o = e = 0.0
    if obs:  # leftovers join the last bin
        obs[-1] += o
        exp[-1] += e
    if len(obs) < 2:
        return None
    exp = np.array(exp)
    exp *= n / exp.sum()
    return stats.chisquare(obs, exp).pvalue


@pytest.mark.parametrize("name,args", CASES, ids=CASE_IDS)
def test_sampler_goodness_of_fit(name, args):
    d = DISTRIBUTIONS[name]
    twin = d.scipy(*args)
    x = draws(d, args, seed_for(name, args))
    lo, hi = d.support(*args)
    assert not np.isnan(x).any()
    assert ((x >= lo) & (x <= hi)).all()
    if d.discrete:
        assert (x == np.floor(x)).all()
        p = _chi_square_p(x, twin)
        if p is None:  # a point mass
            (point,) = np.unique(x)
            assert twin.pmf(point) == pytest.approx(1.0)
        else:
            assert p > 0.001
    else:
        assert stats.kstest(x, twin.cdf).pvalue > 0.001
    with np.errstate(divide="ignore"):  # SciPy's geom.stats at p = 1
        mean, var = float(twin.mean()), float(twin.var())
    if math.isfinite(mean) and math.isfinite(var):
        assert abs(x.mean() - mean) <= 5.0 * math.sqrt(var / len(x)) + 1e-12 * abs(mean)


def test_samplers_reject_a_wrong_law():
    """The goodness-of-fit checks have power: a shifted law fails them."""
    x = draws(DISTRIBUTIONS["Gamma"], (3.0, 0.5), 1)
    assert stats.kstest(x, stats.gamma(a=3.0, scale=2.1).cdf).pvalue < 0.001
    k = draws(DISTRIBUTIONS["Poisson"], (4.0,), 1)
    assert _chi_square_p(k, stats.poisson(4.2)) < 0.001


def test_samplers_are_reproducible():
    for name in ("Normal", "TruncatedNormal", "NegativeBinomial"):
        d = DISTRIBUTIONS[name]
        a = draws(d, VALID[name][1], 7, n=100)
        b = draws(d, VALID[name][1], 7, n=100)
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------ TruncatedNormal
@pytest.mark.parametrize(
    "args",
    [(0.0, 1.0, 8.0, INF), (0.0, 1.0, -INF, -12.0), (1.0, 0.5, 6.0, 6.3), (0.0, 1.0, 30.0, 31.0)],
)
def test_truncated_normal_tails(args):
    d = DISTRIBUTIONS["TruncatedNormal"]
    x = draws(d, args, seed_for("tail", args))
    assert ((x >= args[2]) & (x <= args[3])).all()
    assert stats.kstest(x, d.scipy(*args).cdf).pvalue > 0.001


def test_truncated_normal_extreme_tails_terminate():
    d = DISTRIBUTIONS["TruncatedNormal"]
    for lower in (1e3, 1e8, 1e200):
        x = draws(d, (0.0, 1.0, lower, INF), 3, n=1000)
        assert ((x >= lower) & (x < lower + 1e-2 * lower + 1.0)).all()
        assert np.isfinite(d.logpdf(lower, 0.0, 1.0, lower, INF))
    # a narrow window deep in the lower tail
    x = draws(d, (0.0, 1.0, -1e3 - 1e-3, -1e3), 3, n=1000)
    assert ((x >= -1e3 - 1e-3) & (x <= -1e3)).all()


# ------------------------------------------------------ numerical stability
def test_large_count_logpmf_against_exact_sums():
    """Where SciPy loses digits, the kernels match log-choose summed term by term."""
    def binom_ref(k, n, p):
        lc = math.fsum(math.log((n - k + i) / i) for i in range(1, k + 1))
        return lc + k * math.log(p) + (n - k) * math.log1p(-p)

    def nbinom_ref(x, mu, phi):
        lc = math.fsum(math.log(phi + i) - math.log(i + 1) for i in range(x))
        return lc - phi * math.log1p(mu / phi) - x * math.log1p(phi / mu)

    b, nb = DISTRIBUTIONS["Binomial"], DISTRIBUTIONS["NegativeBinomial"]
    for k in (290_000, 299_500, 300_000, 301_000):
        # the terms are of order 6e5, so ~1e-10 is the floating-point floor here
        assert b.logpdf(float(k), 1e6, 0.3) == pytest.approx(binom_ref(k, 1_000_000, 0.3), abs=5e-10)
    for x in (0, 1, 2, 5, 9, 20):
        assert nb.logpdf(float(x), 2.0, 1e6) == pytest.approx(nbinom_ref(x, 2.0, 1e6), abs=1e-13)


def test_negative_binomial_tends_to_poisson():
    nb, pois = DISTRIBUTIONS["NegativeBinomial"], DISTRIBUTIONS["Poisson"]
    for x in (0.0, 1.0, 5.0, 30.0):
        assert nb.logpdf(x, 5.0, 1e13) == pytest.approx(pois.logpdf(x, 5.0), abs=1e-9)


def test_student_t_tends_to_normal():
    t, normal = DISTRIBUTIONS["StudentT"], DISTRIBUTIONS["Normal"]
    for x in (-3.0, 0.0, 0.5, 4.0):
        assert t.logpdf(x, 1e13, 0.5, 2.0) == pytest.approx(normal.logpdf(x, 0.5, 2.0), abs=1e-9)


def test_binomial_rounds_nearly_integer_n():
    b = DISTRIBUTIONS["Binomial"]
    assert b.logpdf(3.0, 10.0 + 1e-12, 0.3) == pytest.approx(stats.binom(10, 0.3).logpmf(3), abs=1e-12)
    assert b.support(10.0 + 1e-12, 0.3) == (0.0, 10.0)
    assert b.logpdf(3.0, 10.4, 0.3) == -INF


# ------------------------------------------------------ the newer families
def test_zero_inflation_with_psi_zero_is_the_base_law():
    zip_, pois = DISTRIBUTIONS["ZeroInflatedPoisson"], DISTRIBUTIONS["Poisson"]
    zinb, nb = DISTRIBUTIONS["ZeroInflatedNegativeBinomial"], DISTRIBUTIONS["NegativeBinomial"]
    for x in (0.0, 1.0, 2.0, 7.0, 40.0, 300.0):
        for lam in (0.0, 1e-8, 0.5, 4.0, 250.0):
            assert zip_.logpdf(x, 0.0, lam) == pois.logpdf(x, lam), (x, lam)
        for mu, phi in ((0.0, 2.0), (3.0, 0.5), (10.0, 5.0), (2.0, 1e6)):
            assert zinb.logpdf(x, 0.0, mu, phi) == nb.logpdf(x, mu, phi), (x, mu, phi)


def test_zero_inflation_with_psi_one_is_a_point_mass_at_zero():
    for name, base in (("ZeroInflatedPoisson", (4.0,)), ("ZeroInflatedNegativeBinomial", (4.0, 2.0))):
        d = DISTRIBUTIONS[name]
        assert d.logpdf(0.0, 1.0, *base) == 0.0
        assert d.logpdf(1.0, 1.0, *base) == -INF
        assert (draws(d, (1.0, *base), 3, n=200) == 0.0).all()


@pytest.mark.parametrize(
    "psi,lam",
    [(1 - 1e-12, 1e-3), (1e-9, 1e-9), (0.5, 1e-12), (1e-200, 500.0), (0.3, 800.0), (0.999, 2.0), (0.1, 0.7)],
)
def test_zero_inflated_log_mass_at_zero_is_accurate(psi, lam):
    """log(psi + (1 - psi) e^-lam) to near machine precision both where it is tiny and where it is large."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        p, la = Decimal(psi), Decimal(lam)
        exact = float((p + (1 - p) * (-la).exp()).ln())
    assert DISTRIBUTIONS["ZeroInflatedPoisson"].logpdf(0.0, psi, lam) == pytest.approx(exact, rel=1e-14, abs=1e-300)
    # the negative binomial's zero mass is (phi / (mu + phi))^phi: with phi = 1, mu = e^lam - 1 it is e^-lam
    if lam < 30.0:
        got = DISTRIBUTIONS["ZeroInflatedNegativeBinomial"].logpdf(0.0, psi, math.expm1(lam), 1.0)
        assert got == pytest.approx(exact, rel=1e-13, abs=1e-300)


def test_half_student_t_is_twice_student_t_and_tends_to_half_normal():
    ht, t, hn = DISTRIBUTIONS["HalfStudentT"], DISTRIBUTIONS["StudentT"], DISTRIBUTIONS["HalfNormal"]
    for nu, sigma in ((0.3, 2.0), (1.0, 1.0), (3.0, 0.5), (1e4, 1.0)):
        for x in (0.0, 0.1, 1.0, 7.5, 1e3):
            assert ht.logpdf(x, nu, sigma) == pytest.approx(math.log(2.0) + t.logpdf(x, nu, 0.0, sigma), abs=1e-13)
        assert ht.logpdf(-1e-300, nu, sigma) == -INF
    for x in (0.0, 0.5, 3.0, 6.0):
        assert ht.logpdf(x, 1e13, 2.0) == pytest.approx(hn.logpdf(x, 2.0), abs=1e-9)
    # and within the sampling tolerance already at nu = 1000
    x = draws(ht, (1e3, 2.0), 11)
    assert stats.kstest(x, stats.halfnorm(scale=2.0).cdf).pvalue > 0.001


def test_weibull_with_shape_one_is_exponential():
    w, e = DISTRIBUTIONS["Weibull"], DISTRIBUTIONS["Exponential"]
    for x in (0.0, 1e-300, 0.3, 2.0, 50.0):
        assert w.logpdf(x, 1.0, 4.0) == pytest.approx(e.logpdf(x, 0.25), abs=1e-14)
    # x / lam underflows here, log(x) - log(lam) does not
    assert w.logpdf(1e-310, 1.0, 1e10) == pytest.approx(-math.log(1e10), abs=1e-14)
    assert math.isfinite(w.logpdf(1e-310, 0.5, 1e10))


def test_beta_binomial_special_cases():
    bb, binom = DISTRIBUTIONS["BetaBinomial"], DISTRIBUTIONS["Binomial"]
    # alpha = beta = 1: uniform on 0..n
    for x in (0.0, 3.0, 17.0, 20.0):
        assert bb.logpdf(x, 20.0, 1.0, 1.0) == pytest.approx(-math.log(21.0), abs=1e-13)
    # alpha + beta -> inf at fixed mean: the binomial (the gap is O(n^2 / (alpha + beta)))
    for x in (0.0, 2.0, 5.0, 10.0):
        assert bb.logpdf(x, 10.0, 3e7, 7e7) == pytest.approx(binom.logpdf(x, 10.0, 0.3), abs=1e-5)
    # n rounds like Binomial's
    assert bb.logpdf(3.0, 10.0 + 1e-12, 2.0, 3.0) == pytest.approx(stats.betabinom(10, 2.0, 3.0).logpmf(3), abs=1e-12)
    assert bb.support(10.0 + 1e-12, 2.0, 3.0) == (0.0, 10.0)
    assert bb.logpdf(3.0, 10.4, 2.0, 3.0) == -INF


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_twins_broadcast_over_argument_arrays(name):
    """The residual checks freeze a twin with one argument per particle and average its CDF."""
    d = DISTRIBUTIONS[name]
    rows = VALID[name][-2:]
    arrays = [np.array(col, dtype=float) for col in zip(*rows)]
    x = float(d.scipy(*rows[-1]).median())
    with np.errstate(all="ignore"):
        got = d.scipy(*arrays).cdf(x)
        expected = [float(d.scipy(*args).cdf(x)) for args in rows]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_positive_families_as_priors():
    """Weibull and HalfStudentT priors: log prior, prior draws, and the map to unconstrained space."""
    import ponder
    from ponder.stdlib.transforms import Transform

    model = ponder.loads("param s ~ HalfStudentT(3, 1)\nparam k ~ Weibull(2, 1)\nparam b ~ Weibull(0.5, 2)")
    lp = model.log_prior({"s": 0.8, "k": 1.7, "b": 0.2})
    expected = (math.log(2.0) + stats.t(3).logpdf(0.8) + stats.weibull_min(2).logpdf(1.7)
                + stats.weibull_min(0.5, scale=2.0).logpdf(0.2))
    assert lp == pytest.approx(expected, abs=1e-12)
    assert model.log_prior({"s": -0.1, "k": 1.7, "b": 0.2}) == -INF
    prior = model.prior_sample(4000, seed=2)
    assert stats.kstest(prior["s"], lambda v: 1.0 - 2.0 * stats.t(3).sf(v)).pvalue > 0.001
    assert stats.kstest(prior["k"], stats.weibull_min(2).cdf).pvalue > 0.001
    # the supports give the log map; z anywhere lands where the density is finite
    for name, args in (("HalfStudentT", (3.0, 1.0)), ("Weibull", (2.0, 1.0)), ("Weibull", (0.5, 2.0))):
        d = DISTRIBUTIONS[name]
        lo, hi = d.support(*args)
        tr = Transform(np.array([lo]), np.array([hi]))
        z = np.linspace(-30.0, 5.0, 50)[:, None]
        x, logj = tr.from_unconstrained(z)
        assert (x > 0.0).all()
        np.testing.assert_allclose(tr.to_unconstrained(x), z, rtol=1e-12, atol=1e-12)
        assert all(math.isfinite(d.logpdf(float(v), *args) + lj) for v, lj in zip(x[:, 0], logj))
