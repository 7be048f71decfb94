"""Tests of the binomial and Poisson kernels (ponder.stdlib.discrete) against SciPy.

Draws go through the distributions' samplers (``binomial_sample``,
``poisson_sample``: validation included) on a grid that spans both
algorithms of each and the switch between them, with one chi-square
goodness-of-fit test per point at a fixed seed; the threshold is
Bonferroni-corrected over each grid (family-wise 0.001). Beyond SciPy's
range (n up to 2**53; lam from 1e12 to 1e18, past the switch to a rounded
normal at 2**53) the mean and variance are checked within their standard
errors, and the acceptance tests' log-ratios against sums term by term.
"""

import math

import numba
import numpy as np
import pytest
from scipy import stats

from ponder.stdlib import discrete
from ponder.stdlib.distributions import DISTRIBUTIONS, MAX_COUNT
from ponder.stdlib.multivariate import MULTIVARIATE
from tests.stdlib.test_distributions import _chi_square_p, draws, seed_for

N_DRAWS = 50_000
BINOMIAL, POISSON = DISTRIBUTIONS["Binomial"], DISTRIBUTIONS["Poisson"]

# n from 1 to 1e9 and p from 1e-4 to 0.9999 (both sides of 1/2), plus the
# points either side of n min(p, 1-p) = 10, where inversion gives way to BTRD.
BINOMIAL_GRID = [(n, p) for n in (1, 2, 5, 10, 19, 20, 21, 50, 100, 1000, 10**4, 10**6)
                 for p in (1e-4, 0.01, 0.1, 0.3, 0.5, 0.7, 0.99, 0.9999)]
BINOMIAL_GRID += [(20, 0.4999), (1000, 0.00999), (1000, 0.01), (1000, 0.99001), (1000, 0.99),
                  (10**5, 0.99999e-4), (10**5, 1e-4), (10**9, 1e-8), (10**9, 0.3), (10**9, 1 - 1e-8)]
POISSON_GRID = [0.001, 0.1, 0.5, 1.0, 2.5, 5.0, 9.99, 10.0, 10.01, 12.0, 30.0, 100.0, 1e3, 1e4, 1e6, 1e9]


def _threshold(grid):
    return 0.001 / len(grid)


def _check_fit(x, twin, threshold):
    assert not np.isnan(x).any()
    assert (x == np.floor(x)).all()
    mean, var = float(twin.mean()), float(twin.var())
    p = _chi_square_p(x, twin)
    if p is None:  # too little mass off the mode for two bins: count the draws there
        mode = float(twin.ppf(0.5))
        expected = len(x) * (1.0 - float(twin.pmf(mode)))
        assert (x != mode).sum() <= expected + 5.0 * math.sqrt(expected) + 5.0
    else:
        assert p > threshold
    assert abs(x.mean() - mean) <= 5.0 * math.sqrt(var / len(x)) + 1e-12 * mean


@pytest.mark.parametrize("n,p", BINOMIAL_GRID, ids=[f"n={n},p={p}" for n, p in BINOMIAL_GRID])
def test_binomial_goodness_of_fit(n, p):
    x = draws(BINOMIAL, (n, p), seed_for("btrd", (n, p)), n=N_DRAWS)
    assert ((x >= 0) & (x <= n)).all()
    _check_fit(x, stats.binom(n, p), _threshold(BINOMIAL_GRID))


@pytest.mark.parametrize("lam", POISSON_GRID)
def test_poisson_goodness_of_fit(lam):
    x = draws(POISSON, (lam,), seed_for("ptrs", lam), n=N_DRAWS)
    assert (x >= 0).all()
    _check_fit(x, stats.poisson(lam), _threshold(POISSON_GRID))


def test_the_fit_test_rejects_a_slightly_wrong_law():
    """The per-point threshold still has power: a mean off by a fifth of a standard deviation fails."""
    x = draws(BINOMIAL, (1000, 0.3), 5, n=N_DRAWS)
    assert _chi_square_p(x, stats.binom(1000, 0.303)) < _threshold(BINOMIAL_GRID)
    x = draws(BINOMIAL, (1000, 0.003), 5, n=N_DRAWS)  # inversion
    assert _chi_square_p(x, stats.binom(1000, 0.0033)) < _threshold(BINOMIAL_GRID)
    k = draws(POISSON, (30.0,), 5, n=N_DRAWS)
    assert _chi_square_p(k, stats.poisson(31.1)) < _threshold(POISSON_GRID)


# --------------------------------------------- far beyond SciPy's range
@pytest.mark.parametrize("n,p", [(1e9, 0.3), (1e9, 0.5), (1e9, 1e-6), (MAX_COUNT, 0.3), (MAX_COUNT, 0.5),
                                 (MAX_COUNT, 2.0**-40), (MAX_COUNT, 1.0 - 2.0**-40)])
def test_binomial_mean_and_variance_at_huge_n(n, p):
    x = draws(BINOMIAL, (n, p), seed_for("huge", (n, p)), n=20_000)
    assert ((x >= 0) & (x <= n) & (x == np.floor(x))).all()
    _check_moments(x, n * p, n * p * (1.0 - p))


@pytest.mark.parametrize("lam", [1e12, 1e15, 2.0**53, 1e18])
def test_poisson_mean_and_variance_at_huge_lam(lam):
    x = draws(POISSON, (lam,), seed_for("huge", lam), n=20_000)
    assert (x == np.floor(x)).all()
    _check_moments(x, lam, lam)


def _check_moments(x, mean, var):
    """Sample mean and variance within 5 standard errors (the laws are near normal here)."""
    n = len(x)
    assert abs(x.mean() - mean) <= 5.0 * math.sqrt(var / n)
    assert abs(x.var() - var) <= 5.0 * var * math.sqrt(2.0 / (n - 1))


# --------------------------------------------------------------- edges
@numba.njit
def _one(sample, rng, args):
    return sample(rng, *args)


@pytest.mark.parametrize("n,p,value", [(0.0, 0.3, 0.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0), (10.0, 0.0, 0.0),
                                       (10.0, 1.0, 10.0), (MAX_COUNT, 1.0, MAX_COUNT), (MAX_COUNT, 0.0, 0.0)])
def test_binomial_degenerate_laws_take_no_draw(n, p, value):
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    assert _one(BINOMIAL.sample, rng, (n, p)) == value
    assert rng.bit_generator.state == before


def test_poisson_zero_takes_no_draw():
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    assert _one(POISSON.sample, rng, (0.0,)) == 0.0
    assert rng.bit_generator.state == before


def test_invalid_arguments_give_nan():
    rng = np.random.default_rng(3)
    for n, p in ((math.nan, 0.5), (10.0, math.nan), (2.0 * MAX_COUNT, 0.5), (-1.0, 0.5), (10.0, 1.0 + 1e-12)):
        assert math.isnan(_one(BINOMIAL.sample, rng, (n, p))), (n, p)
    for lam in (math.nan, math.inf, -1e-300):
        assert math.isnan(_one(POISSON.sample, rng, (lam,))), lam


def test_negative_binomial_of_an_overflowing_gamma_is_infinite():
    """The gamma-Poisson mixture hands an infinite rate on as an infinite count, as before."""
    x = draws(DISTRIBUTIONS["NegativeBinomial"], (1e308, 1.0), 1, n=200)
    assert np.isinf(x).any() and not np.isnan(x).any()


def test_tiny_probabilities_and_rates():
    for args in ((MAX_COUNT, 5e-324), (1.0, 1e-300), (MAX_COUNT, 1.0 - 2.0**-53)):
        x = draws(BINOMIAL, args, 1, n=1000)
        assert ((x >= 0) & (x <= args[0])).all()
    assert (draws(BINOMIAL, (MAX_COUNT, 5e-324), 1, n=1000) == 0.0).all()
    assert (draws(POISSON, (1e-300,), 1, n=1000) == 0.0).all()


def test_multinomial_draws_by_conditional_binomials_in_btrd_range():
    """Multinomial's conditional binomials (its sampler calls binomial_sample): binomial margins at n = 1e6."""
    p = np.array([0.5, 0.3, 0.15, 0.05])

    @numba.njit
    def many(sample, rng, m, n, p):
        out = np.empty((m, p.shape[0]))
        for i in range(m):
            sample(rng, out[i], n, p)
        return out

    x = many(MULTIVARIATE["Multinomial"].sample, np.random.default_rng(4), 20_000, 1e6, p)
    assert (x.sum(axis=1) == 1e6).all()
    for j in range(len(p)):
        assert _chi_square_p(x[:, j], stats.binom(10**6, p[j])) > 0.001 / len(p)


# ------------------------------------------------ the exact log-ratios
def test_log_factorial_correction_matches_lgamma():
    for k in range(200):
        exact = math.lgamma(k + 1.0) - ((k + 0.5) * math.log(k + 1.0) - (k + 1.0) + discrete.HALF_LOG_2PI)
        assert discrete.log_factorial_correction(float(k)) == pytest.approx(exact, abs=3.1e-11)
    assert discrete.log_factorial_correction(1e15) == pytest.approx(1.0 / (12.0 * (1e15 + 1.0)), rel=1e-12)


#: Farthest k - m the references below sum term by term (one term per unit).
MAX_TERMS = 20_000


def _tolerance(d):
    """The kernels' error (four Stirling remainders, each within 3.1e-11) plus ~1 rounding per unit of |d| in the references."""
    return 1.5e-10 + 1e-14 * abs(d)


def _binomial_log_ratio_by_terms(n, p, m, k):
    """log P(k)/P(m) as the sum of the logs of P(i)/P(i-1) = (n-i+1) p / (i q), exact to ~|k - m| roundings."""
    total = math.fsum(math.log((n - i + 1) * p / (i * (1.0 - p))) for i in range(min(m, k) + 1, max(m, k) + 1))
    return total if k >= m else -total


@pytest.mark.parametrize("n,p", [(100.0, 0.3), (1e6, 0.01), (1e9, 0.5), (1e15, 1e-13), (MAX_COUNT, 0.3),
                                 (MAX_COUNT, 1e-10)])
def test_binomial_log_ratio_is_exact_at_any_n(n, p):
    m = math.floor((n + 1) * p)
    sd = math.sqrt(n * p * (1 - p))
    offsets = [-16, 16] + [math.floor(math.copysign(min(abs(z) * sd, MAX_TERMS), z)) for z in (-5.0, 3.0, 8.0)]
    for k in (m + d for d in offsets):
        if 0 <= k <= n:
            got = discrete._binomial_log_ratio(n, p / (1 - p), float(m), float(k))
            ref = _binomial_log_ratio_by_terms(n, p, m, k)
            assert got == pytest.approx(ref, abs=_tolerance(k - m)), k


@pytest.mark.parametrize("lam", [10.0, 55.5, 1e4, 1e8, 1e12])
def test_poisson_log_pmf_is_exact_at_any_lam(lam):
    m = math.floor(lam)
    at_mode = discrete._poisson_log_pmf(lam, float(m))
    if lam <= 1e4:
        assert at_mode == pytest.approx(stats.poisson(lam).logpmf(m), abs=_tolerance(0))
    for k in (m - min(math.floor(3 * math.sqrt(lam)), MAX_TERMS), m + min(math.floor(5 * math.sqrt(lam)), MAX_TERMS)):
        total = math.fsum(math.log(lam / i) for i in range(min(m, k) + 1, max(m, k) + 1))
        ref = total if k >= m else -total
        got = discrete._poisson_log_pmf(lam, float(k)) - at_mode
        assert got == pytest.approx(ref, abs=_tolerance(k - m)), k
