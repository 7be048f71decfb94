"""Multivariate distributions (MvNormal, Multinomial, Dirichlet) against SciPy, and in models."""

import math

import numba
import numpy as np
import pytest
from scipy import stats

import ponder
from ponder.lang.errors import ModelError
from ponder.stdlib.multivariate import MULTIVARIATE

S2 = np.array([[1.0, 0.5], [0.5, 2.0]])
S3 = np.array([[2.0, 0.3, -0.4], [0.3, 1.0, 0.2], [-0.4, 0.2, 0.5]])


@pytest.mark.parametrize("x, mu, S", [
    ([0.3, 0.2], [0.0, 1.0], S2),
    ([-4.0, 7.0], [1.0, -1.0], S2),
    ([0.1, -0.2, 0.3], [0.0, 0.0, 0.0], S3),
    ([1e3, 0.0, 0.0], [0.0, 0.0, 0.0], S3),
])
def test_mvnormal_logpdf_matches_scipy(x, mu, S):
    got = MULTIVARIATE["MvNormal"].logpdf(np.array(x), np.array(mu), S)
    assert got == pytest.approx(stats.multivariate_normal(mu, S).logpdf(x), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("x, n, p", [
    ([2.0, 3.0, 5.0], 10.0, [0.2, 0.3, 0.5]),
    ([0.0, 0.0, 7.0], 7.0, [0.0, 0.25, 0.75]),
    ([40.0, 60.0], 100.0, [0.5, 0.5]),
])
def test_multinomial_logpmf_matches_scipy(x, n, p):
    got = MULTIVARIATE["Multinomial"].logpdf(np.array(x), n, np.array(p))
    assert got == pytest.approx(stats.multinomial(n, p).logpmf(x), rel=1e-12)


@pytest.mark.parametrize("x, alpha", [
    ([0.2, 0.3, 0.5], [1.0, 2.0, 3.0]),
    ([0.01, 0.99], [0.5, 0.5]),
    ([0.25, 0.25, 0.25, 0.25], [10.0, 10.0, 10.0, 10.0]),
])
def test_dirichlet_logpdf_matches_scipy(x, alpha):
    got = MULTIVARIATE["Dirichlet"].logpdf(np.array(x), np.array(alpha))
    assert got == pytest.approx(stats.dirichlet(alpha).logpdf(x), rel=1e-12)


def test_outside_the_support_and_invalid_arguments_are_minus_inf_and_nan_propagates():
    mv, mn, di = MULTIVARIATE["MvNormal"], MULTIVARIATE["Multinomial"], MULTIVARIATE["Dirichlet"]
    not_pd = np.array([[1.0, 2.0], [2.0, 1.0]])
    not_symmetric = np.array([[1.0, 0.2], [0.1, 1.0]])
    assert mv.logpdf(np.zeros(2), np.zeros(2), not_pd) == -math.inf
    assert mv.logpdf(np.zeros(2), np.zeros(2), not_symmetric) == -math.inf
    assert math.isnan(mv.logpdf(np.array([math.nan, 0.0]), np.zeros(2), S2))
    assert mn.logpdf(np.array([1.0, 2.0]), 4.0, np.array([0.5, 0.5])) == -math.inf  # counts do not sum to n
    assert mn.logpdf(np.array([1.5, 2.5]), 4.0, np.array([0.5, 0.5])) == -math.inf  # not whole
    assert mn.logpdf(np.array([2.0, 2.0]), 4.0, np.array([0.5, 0.6])) == -math.inf  # p not a simplex
    assert mn.logpdf(np.array([1.0, 3.0]), 4.0, np.array([0.0, 1.0])) == -math.inf  # a count where p is 0
    assert di.logpdf(np.array([0.5, 0.6]), np.array([1.0, 1.0])) == -math.inf
    assert di.logpdf(np.array([0.5, 0.5]), np.array([0.0, 1.0])) == -math.inf
    assert math.isnan(di.logpdf(np.array([0.5, 0.5]), np.array([math.nan, 1.0])))


@numba.njit
def _draws(sample, rng, n, k, a, b):
    out = np.empty((n, k))
    for i in range(n):
        sample(rng, out[i], a, b)
    return out


@numba.njit
def _draws1(sample, rng, n, k, a):
    out = np.empty((n, k))
    for i in range(n):
        sample(rng, out[i], a)
    return out


N = 20_000


def test_mvnormal_draws_have_the_mean_and_covariance():
    mu = np.array([0.5, -1.0, 2.0])
    x = _draws(MULTIVARIATE["MvNormal"].sample, np.random.default_rng(1), N, 3, mu, S3)
    se = np.sqrt(np.diag(S3) / N)
    assert np.all(np.abs(x.mean(axis=0) - mu) < 4 * se)
    # the sample covariance of normal draws: sd of s_ij is sqrt((S_ii S_jj + S_ij^2) / N)
    sd_cov = np.sqrt((np.outer(np.diag(S3), np.diag(S3)) + S3**2) / N)
    assert np.all(np.abs(np.cov(x.T) - S3) < 4 * sd_cov)


def test_multinomial_draws_sum_to_n_with_binomial_margins():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    x = _draws(MULTIVARIATE["Multinomial"].sample, np.random.default_rng(2), N, 4, 25.0, p)
    assert np.all(x.sum(axis=1) == 25.0) and np.all(x == np.floor(x))
    for k in range(4):  # chi-square of each margin against Binomial(25, p_k)
        counts = np.bincount(x[:, k].astype(int), minlength=26)
        expected = stats.binom(25, p[k]).pmf(np.arange(26)) * N
        keep = expected > 5
        chi2 = np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])
        assert stats.chi2(keep.sum() - 1).sf(chi2) > 1e-4


def test_dirichlet_draws_lie_on_the_simplex_with_the_mean():
    alpha = np.array([1.0, 2.0, 5.0])
    x = _draws1(MULTIVARIATE["Dirichlet"].sample, np.random.default_rng(3), N, 3, alpha)
    assert np.allclose(x.sum(axis=1), 1.0) and np.all(x >= 0)
    mean = alpha / alpha.sum()
    var = mean * (1 - mean) / (alpha.sum() + 1)
    assert np.all(np.abs(x.mean(axis=0) - mean) < 4 * np.sqrt(var / N))
    assert stats.kstest(x[:, 0], stats.beta(alpha[0], alpha.sum() - alpha[0]).cdf).pvalue > 1e-4


MODEL = """
param b[2] ~ MvNormal(mu0, S)
param sigma ~ HalfNormal(1)
const mu0 = [0, 1]
const S = [[1, 0.5], [0.5, 2]]
const p = [0.2, 0.3, 0.5]
state x[2] = 0
step { x += b }
observe y ~ MvNormal(x, sigma * S)
observe counts ~ Multinomial(20, p)
data "mv.csv"
"""


def test_a_model_with_multivariate_priors_and_observations_matches_scipy(tmp_path):
    rows = [(1, 0.3, 1.1, 4, 6, 10), (2, 0.5, "", 2, 8, 10), (3, 0.9, 2.8, 5, 5, 10)]
    lines = ["time,y_0,y_1,counts_0,counts_1,counts_2"] + [",".join(map(str, r)) for r in rows]
    (tmp_path / "mv.csv").write_text("\n".join(lines) + "\n")
    m = ponder.loads(MODEL, base_dir=tmp_path)
    assert m.observed_names == ["y_0", "y_1", "counts_0", "counts_1", "counts_2"]
    b, sigma = np.array([0.25, 0.9]), 1.3
    expected = 0.0
    for t, y0, y1, *c in rows:
        if y1 != "":  # a missing value skips the whole MvNormal observation at that time
            expected += stats.multivariate_normal(b * t, sigma * np.array([[1, 0.5], [0.5, 2]])).logpdf([y0, y1])
        expected += stats.multinomial(20, [0.2, 0.3, 0.5]).logpmf(c)
    assert m.loglik({"b": b, "sigma": sigma}) == pytest.approx(expected, rel=1e-10)
    prior = stats.multivariate_normal([0, 1], [[1, 0.5], [0.5, 2]]).logpdf(b) + stats.halfnorm.logpdf(sigma)
    assert m.log_prior({"b": b, "sigma": sigma}) == pytest.approx(prior, rel=1e-12)
    sim = m.simulate({"b": b, "sigma": sigma}, seed=4)
    counts = np.stack([sim[f"counts_{k}"].values for k in range(3)], axis=1)
    assert np.all(counts.sum(axis=1) == 20)


def test_multivariate_draws_into_states_and_initial_states(tmp_path):
    text = ("const p = [0.25, 0.75]\nconst S = [[1, 0], [0, 1]]\nstate c[2] = 0\nstate z[2] ~ MvNormal(0, S)\n"
            "step { c ~ Multinomial(8, p); z ~ MvNormal(z, S) }\nobserve total ~ Normal(c[0] + c[1], 1)")
    m = ponder.loads(text)
    sim = m.simulate({}, times=range(1, 201), seed=5)
    c = sim["c"].values
    assert np.all(c.sum(axis=1) == 8)
    assert abs(c[:, 0].mean() - 2.0) < 4 * math.sqrt(8 * 0.25 * 0.75 / 200)
    z = sim["z"].values  # a random walk: increments are standard normal
    steps = np.diff(z, axis=0)
    assert abs(steps.std() - 1.0) < 0.1


@pytest.mark.parametrize("text, message", [
    ("param w[3] ~ Dirichlet(alpha)\nconst alpha = [1, 1, 1]", "`Dirichlet` cannot be a prior"),
    ("param b ~ MvNormal(m, S)\nconst m = [0, 0]\nconst S = [[1, 0], [0, 1]]", "draws a vector, and this is a number"),
    ("param b[3] ~ MvNormal(m, S)\nconst m = [0, 0]\nconst S = [[1, 0], [0, 1]]", "shapes do not match"),
    ("state x = 0\nfor i in 0..2 { observe y[i] ~ Multinomial(3, p) }\nconst p = [0.5, 0.5]",
     "observes several columns at once"),
])
def test_multivariate_mistakes_are_located_errors(text, message):
    with pytest.raises(ModelError) as err:
        ponder.loads(text)
    assert message in err.value.message and err.value.span is not None
