"""One-step-ahead standardised residuals (Model.standardised_residuals) against exact answers."""

import math

import numpy as np
import pytest
from scipy import stats

import ponder
from tests.conftest import DATA, EXAMPLES
from tests.runtime.test_likelihoods import lingauss_model


def kalman_predictive_pit(y, rho, sx2, sy2):
    """P(Y_t <= y_t | y_{<t}) of the linear Gaussian model, by the Kalman filter."""
    m, P = 0.0, sx2 / (1 - rho**2)
    out = []
    for k, obs in enumerate(y):
        if k > 0:
            m, P = rho * m, rho**2 * P + sx2
        S = P + sy2
        out.append(stats.norm(m, math.sqrt(S)).cdf(obs))
        K = P / S
        m, P = m + K * (obs - m), (1 - K) * P
    return np.array(out)


def test_deterministic_residuals_are_the_scaled_errors():
    model = ponder.load(EXAMPLES / "straightwalk" / "straightwalk.model")
    params = {"origin": 100.0, "drift": 0.2, "sigma": 10.0}
    position = model.simulate(params)["position_state"].values
    expected = (model.datasets[0].values[:, 0] - position) / 10.0
    np.testing.assert_allclose(model.standardised_residuals(params)[:, 0], expected, atol=1e-9)


def test_particle_residuals_match_the_kalman_filter(tmp_path):
    y = np.loadtxt(DATA / "lingauss_T100.txt")[:60]
    params = {"rho": 0.9, "sx2": 1.0, "sy2": 0.3}
    model = lingauss_model(tmp_path, y)
    n = 20000
    z = model.standardised_residuals(params, particles=n, seed=4)[:, 0]
    exact = kalman_predictive_pit(y, **params)
    # The filter's PIT is a mean of N bounded terms: its error is a few times 0.5 / sqrt(N) = 0.0035.
    np.testing.assert_array_less(np.abs(stats.norm.cdf(z) - exact), 0.02)


def test_residuals_at_the_true_parameters_are_standard_normal(tmp_path):
    params = {"rho": 0.8, "sx2": 0.5, "sy2": 0.5}
    model = lingauss_model(tmp_path, np.zeros(3))
    y = model.simulate(params, times=range(400), seed=11)["y"].values
    model = lingauss_model(tmp_path, y)
    z = model.standardised_residuals(params, particles=2000, seed=1)[:, 0]
    assert stats.kstest(z, "norm").pvalue > 0.01
    assert abs(np.corrcoef(z[1:], z[:-1])[0, 1]) < 3 / math.sqrt(len(z))


def test_discrete_residuals_are_randomised_within_the_step(tmp_path):
    (tmp_path / "counts.csv").write_text("time,n\n" + "".join(f"{t},{v}\n" for t, v in enumerate([3, 0, 5, 2])))
    model = ponder.loads(
        'param lam ~ Gamma(2, 1)\nstate x = lam\nstep { x = x }\nobserve n ~ Poisson(x)\ndata "counts.csv"\n',
        base_dir=tmp_path,
    )
    u = stats.norm.cdf(model.standardised_residuals({"lam": 2.5}, seed=3)[:, 0])
    pois = stats.poisson(2.5)
    for value, ui in zip([3, 0, 5, 2], u):
        assert pois.cdf(value - 1) <= ui <= pois.cdf(value)


def test_missing_values_give_nan(tmp_path):
    y = np.loadtxt(DATA / "lingauss_T100.txt")[:10].copy()
    y[4] = np.nan
    model = lingauss_model(tmp_path, y)
    z = model.standardised_residuals({"rho": 0.5, "sx2": 1.0, "sy2": 0.5}, particles=256)[:, 0]
    assert np.isnan(z[4]) and np.isfinite(np.delete(z, 4)).all()


def test_unknown_replicate_is_a_model_error():
    model = ponder.load(EXAMPLES / "straightwalk" / "straightwalk.model")
    with pytest.raises(ponder.ModelError, match="no dataset 3"):
        model.standardised_residuals({"origin": 100.0, "drift": 0.2, "sigma": 10.0}, replicate=3)
