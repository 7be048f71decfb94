"""Likelihood estimators against exact answers (Kalman filter, forward algorithm, NumPy).

Statistical comparisons use the log-mean-exp of R independent particle
filter estimates (an estimate of the log of the likelihood, which the filter
estimates without bias) and its jackknife standard error; the bound is three
standard errors, fixed seeds.
"""

import json
import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import gammaln

import ponder
from ponder.lang.errors import ModelError
from ponder.runtime import resampling
from ponder.runtime.seeds import stream
from ponder.runtime.stats import log_mean_exp, log_mean_exp_se

from tests.conftest import DATA, EXAMPLES

LINGAUSS = """
param rho ~ Uniform(-1, 1)
param sx2 ~ InverseGamma(2, 2)
param sy2 ~ InverseGamma(2, 2)
state x ~ Normal(0, sqrt(sx2 / (1 - rho^2)))
step { e ~ Normal(0, sqrt(sx2)); x = rho * x + e }
observe y ~ Normal(x, sqrt(sy2))
data "lineargauss.csv"
"""


def kalman(y, rho, sx2, sy2):
    """Exact log-likelihood and filtered/smoothed means of the linear Gaussian model (NaN = missing)."""
    m, P = 0.0, sx2 / (1 - rho**2)
    ll = 0.0
    ms, Ps, mp, Pp = [], [], [], []
    for k, obs in enumerate(y):
        if k > 0:
            m, P = rho * m, rho**2 * P + sx2
        mp.append(m)
        Pp.append(P)
        if not np.isnan(obs):
            S = P + sy2
            ll += stats.norm(m, math.sqrt(S)).logpdf(obs)
            K = P / S
            m, P = m + K * (obs - m), (1 - K) * P
        ms.append(m)
        Ps.append(P)
    # Rauch-Tung-Striebel smoother
    sm, sP = list(ms), list(Ps)
    for k in range(len(y) - 2, -1, -1):
        G = Ps[k] * rho / Pp[k + 1]
        sm[k] = ms[k] + G * (sm[k + 1] - mp[k + 1])
        sP[k] = Ps[k] + G**2 * (sP[k + 1] - Pp[k + 1])
    return ll, np.array(sm), np.array(sP)


def lingauss_model(tmp_path, y):
    lines = ["time,y"] + [f"{t},{'' if np.isnan(v) else repr(float(v))}" for t, v in enumerate(y)]
    (tmp_path / "lineargauss.csv").write_text("\n".join(lines) + "\n")
    return ponder.loads(LINGAUSS, base_dir=tmp_path)


@pytest.fixture(scope="module")
def book_data():
    return np.loadtxt(DATA / "lingauss_T100.txt")


def pf_estimates(model, params, n, repeats, seed=0, **options):
    est = model.likelihood("pf", particles=n, **options)
    theta = model.theta(params)
    return np.array([est.estimate(theta, stream(seed, r), trajectory=False).loglik for r in range(repeats)])


def assert_within_3_se(values, exact):
    lme, se = log_mean_exp(values), log_mean_exp_se(values)
    assert np.isfinite(se) and se > 0
    assert abs(lme - exact) < 3 * se, f"log-mean-exp {lme:.4f} vs exact {exact:.4f} (se {se:.4f})"


@pytest.mark.parametrize("params", [
    {"rho": 0.9, "sx2": 1.0, "sy2": 0.04},
    {"rho": 0.5, "sx2": 0.5, "sy2": 0.5},
    {"rho": -0.3, "sx2": 2.0, "sy2": 0.2},
])
def test_pf_agrees_with_kalman_filter(tmp_path, book_data, params):
    model = lingauss_model(tmp_path, book_data)
    exact, _, _ = kalman(book_data, **params)
    values = pf_estimates(model, params, n=512, repeats=200)
    assert_within_3_se(values, exact)


@pytest.mark.parametrize("scheme", resampling.SCHEMES)
def test_every_resampling_scheme_agrees_with_kalman(tmp_path, book_data, scheme):
    params = {"rho": 0.7, "sx2": 1.0, "sy2": 0.3}
    model = lingauss_model(tmp_path, book_data[:50])
    exact, _, _ = kalman(book_data[:50], **params)
    assert_within_3_se(pf_estimates(model, params, n=256, repeats=200, resampling=scheme), exact)


def test_ess_triggered_resampling_agrees_with_kalman(tmp_path, book_data):
    params = {"rho": 0.7, "sx2": 1.0, "sy2": 0.3}
    model = lingauss_model(tmp_path, book_data[:50])
    exact, _, _ = kalman(book_data[:50], **params)
    values = pf_estimates(model, params, n=256, repeats=200, ess_threshold=0.5)
    assert_within_3_se(values, exact)
    est = model.estimate(params, likelihood="pf", particles=256, ess_threshold=0.5, seed=1)
    # Without resampling at some times, every particle survives there.
    assert np.any(est.diagnostics["unique"] == 256)


def test_missing_values_are_skipped(tmp_path, book_data):
    y = book_data[:40].copy()
    y[[3, 10, 11, 25]] = np.nan
    params = {"rho": 0.8, "sx2": 1.0, "sy2": 0.1}
    model = lingauss_model(tmp_path, y)
    exact, _, _ = kalman(y, **params)
    values = pf_estimates(model, params, n=256, repeats=200)
    assert_within_3_se(values, exact)
    est = model.estimate(params, likelihood="pf", particles=64, seed=2)
    assert est.pointwise[3] == 0.0 and est.pointwise[10] == 0.0


def test_sampled_trajectories_follow_the_smoothing_distribution(tmp_path, book_data):
    y = book_data[:15]
    params = {"rho": 0.9, "sx2": 1.0, "sy2": 0.5}
    model = lingauss_model(tmp_path, y)
    _, smooth_mean, smooth_var = kalman(y, **params)
    pf = model.likelihood("pf", particles=2000)
    theta = model.theta(params)
    paths = np.array([pf.estimate(theta, stream(7, r)).trajectory[:, 0] for r in range(300)])
    se = np.sqrt(smooth_var / len(paths))
    z = (paths.mean(axis=0) - smooth_mean) / se
    assert np.all(np.abs(z) < 4), z
    # and the spread of the paths matches the smoother's
    ratio = paths.var(axis=0, ddof=1) / smooth_var
    assert np.all((ratio > 0.6) & (ratio < 1.6)), ratio


def randomwalk_forward(times, y, origin, drift, sigma, stepsize=1.0):
    """Exact log-likelihood of the random walk by the forward algorithm on integer offsets.

    Between observations L steps apart the offset moves by 2 j - L with
    j ~ Binomial(L, (1 + drift) / 2); the filter distribution over offsets is
    convolved with that law, then weighted by the Normal observation density.
    """
    if not (-1 < drift < 1 and sigma > 0):
        return -math.inf
    horizon = int(times[-1])
    offsets = np.arange(-horizon, horizon + 1)
    prob = np.zeros(offsets.size)
    prob[horizon] = 1.0
    log_up, log_down = math.log((1 + drift) / 2), math.log((1 - drift) / 2)
    ll, t_prev = 0.0, 0.0
    for t, obs in zip(times, y):
        steps = int(round(t - t_prev))
        if steps:
            j = np.arange(steps + 1)
            log_pmf = (gammaln(steps + 1) - gammaln(j + 1) - gammaln(steps - j + 1)
                       + j * log_up + (steps - j) * log_down)
            kernel = np.zeros(2 * steps + 1)
            kernel[2 * j] = np.exp(log_pmf)  # displacement 2j - steps
            prob = np.convolve(prob, kernel, mode="same")
        z = (obs - origin - stepsize * offsets) / sigma
        log_like = -0.5 * z * z - math.log(sigma) - 0.5 * math.log(2 * math.pi)
        top = np.max(np.where(prob > 0, log_like, -np.inf))
        if not np.isfinite(top):
            return -math.inf
        like = np.exp(log_like - top)
        total = np.sum(prob * like)
        if not total > 0:
            return -math.inf
        ll += top + math.log(total)
        prob = prob * like / total
        t_prev = t
    return ll


@pytest.mark.parametrize("params", [
    {"origin": 100.0, "drift": 0.2, "sigma": 10.0},
    {"origin": 95.0, "drift": 0.1, "sigma": 5.0},
])
def test_pf_agrees_with_forward_algorithm_on_randomwalk(params):
    model = ponder.load(EXAMPLES / "randomwalk" / "randomwalk.model")
    ds = model.datasets[0]
    exact = randomwalk_forward(ds.times, ds.values[:, 0], **params)
    values = pf_estimates(model, params, n=256, repeats=200)
    assert_within_3_se(values, exact)


def test_direct_equals_numpy_on_straightwalk():
    model = ponder.load(EXAMPLES / "straightwalk" / "straightwalk.model")
    ds = model.datasets[0]
    params = {"origin": 101.3, "drift": 0.17, "sigma": 9.2}
    positions = params["origin"] + params["drift"] * ds.times
    expected = stats.norm(positions, params["sigma"]).logpdf(ds.values[:, 0])
    est = model.estimate(params)
    assert model.likelihood().name == "direct"
    np.testing.assert_allclose(est.pointwise, expected, rtol=0, atol=1e-10)
    assert est.loglik == pytest.approx(expected.sum(), abs=1e-10)
    np.testing.assert_allclose(est.trajectory[:, 0], positions, atol=1e-10)


def test_several_observed_columns_multiply(tmp_path):
    (tmp_path / "d.csv").write_text("time,a,b\n0,1.0,2.0\n1,1.5,\n2,,3.5\n")
    model = ponder.loads(
        "param m ~ Normal(0, 1)\nstate x = m\nstep { x += 1 }\n"
        "observe a ~ Normal(x, 1)\nobserve b ~ Normal(2 * x, 0.5)\ndata \"d.csv\"",
        base_dir=tmp_path,
    )
    est = model.estimate({"m": 0.8})
    x = 0.8 + np.arange(3)
    expected = np.array([
        [stats.norm(x[0], 1).logpdf(1.0), stats.norm(2 * x[0], 0.5).logpdf(2.0)],
        [stats.norm(x[1], 1).logpdf(1.5), 0.0],
        [0.0, stats.norm(2 * x[2], 0.5).logpdf(3.5)],
    ])
    np.testing.assert_allclose(est.pointwise_columns, expected, atol=1e-12)
    assert est.loglik == pytest.approx(expected.sum(), abs=1e-12)


def test_same_seed_same_estimate_bit_for_bit_and_different_seeds_independent():
    model = ponder.load(EXAMPLES / "randomwalk" / "randomwalk.model")
    params = {"origin": 100.0, "drift": 0.2, "sigma": 10.0}
    a = model.estimate(params, particles=128, seed=11)
    b = model.estimate(params, particles=128, seed=11)
    assert a.loglik == b.loglik
    np.testing.assert_array_equal(a.pointwise, b.pointwise)
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
    first = pf_estimates(model, params, n=32, repeats=300, seed=1)
    second = pf_estimates(model, params, n=32, repeats=300, seed=2)
    assert not np.array_equal(first, second)
    r = np.corrcoef(first, second)[0, 1]
    assert abs(r) < 3 / math.sqrt(300), r


def test_collapse_gives_minus_inf_with_its_time(tmp_path):
    (tmp_path / "d.csv").write_text("time,y\n1,0.5\n2,50\n3,1\n")
    model = ponder.loads(
        "param a ~ Normal(0, 1)\nstate x = 0\nstep { e ~ Normal(0, 0.1); x += e }\n"
        "observe y ~ Uniform(x - 1, x + 1)\ndata \"d.csv\"",
        base_dir=tmp_path,
    )
    est = model.estimate({"a": 0.0}, particles=100, seed=1)
    assert est.loglik == -math.inf
    assert est.diagnostics["collapse_time"] == 2.0
    assert not np.isnan(est.loglik)


def test_adaptive_particle_number_targets_the_standard_deviation():
    model = ponder.load(EXAMPLES / "randomwalk" / "randomwalk.model")
    theta = model.theta({"origin": 100.0, "drift": 0.2, "sigma": 10.0})
    chosen = {}
    for target in (1.0, 0.25):
        pf = model.likelihood("pf", particles="4:65536", target_sd=target)
        assert pf.particles == 4
        for r in range(40):
            pf.estimate(theta, stream(3, r), trajectory=False)
        chosen[target] = pf.particles
        values = [pf.estimate(theta, stream(4, r), trajectory=False, particles=pf.particles).loglik for r in range(200)]
        sd = np.std(values, ddof=1)
        assert target / 2.5 < sd < target * 2.5, (target, pf.particles, sd)
    # a quarter of the standard deviation needs about 16 times the particles
    assert 4 <= chosen[0.25] / chosen[1.0] <= 64
    pf.lock()
    before = pf.particles
    for r in range(5):
        pf.estimate(theta * np.array([1, 1, 0.3]), stream(5, r))
    assert pf.particles == before


def test_replicates_sum_per_dataset_estimates_with_derived_seeds():
    model = ponder.load(EXAMPLES / "randomwalk-replicates" / "randomwalk-replicates.model")
    assert len(model.datasets) == 3
    est = model.likelihood(particles=64)
    assert est.name == "replicates"
    theta = model.theta({"origin": 100.0, "drift": 0.2, "sigma": 10.0})
    total = est.estimate(theta, seed=9)
    parts = [e.estimate(theta, stream(9, r)).loglik for r, e in enumerate(est.estimators)]
    assert total.loglik == sum(parts)
    assert [p.loglik for p in total.parts] == parts
    # any execution order gives the same bits
    reversed_map = lambda f, items: [f(i) for i in reversed(list(items))][::-1]  # noqa: E731
    assert est.estimate(theta, seed=9, map=reversed_map).loglik == total.loglik
    costs = [est.estimators[r].cost() for r in est.order()]
    assert costs == sorted(costs, reverse=True)


def test_likelihood_selection():
    straight = ponder.load(EXAMPLES / "straightwalk" / "straightwalk.model")
    walk = ponder.load(EXAMPLES / "randomwalk" / "randomwalk.model")
    assert straight.likelihood("auto").name == "direct"
    assert walk.likelihood("auto").name == "pf"
    assert straight.likelihood("pf", particles=8).name == "pf"
    with pytest.raises(ModelError, match="deterministic"):
        walk.likelihood("direct")
    with pytest.raises(ModelError, match="unknown likelihood `pff`"):
        walk.likelihood("pff")


def test_ricker_on_pomps_data_reports_a_value_near_pomps():
    model = ponder.load(EXAMPLES / "ricker" / "ricker.model")
    params = {"r": math.exp(3.8), "sigma": 0.3, "phi": 10.0}
    values = pf_estimates(model, params, n=1000, repeats=100)
    lme, se, sd = log_mean_exp(values), log_mean_exp_se(values), np.std(values, ddof=1)
    print(f"ricker: log-mean-exp {lme:.3f} (se {se:.3f}), single-estimate sd {sd:.3f}")
    # pomp's test expects about -138.5 from one 1000-particle run, itself noisy by about sd.
    assert abs(lme - (-138.5)) < 3 * math.hypot(se, sd)


def test_resampling_schemes_are_unbiased():
    rng = np.random.default_rng(0)
    w = rng.dirichlet(np.ones(7))
    n, reps = 50, 4000
    for k, scheme in enumerate(resampling.SCHEMES):
        counts = np.zeros(7)
        out = np.empty(n, dtype=np.int64)
        for r in range(reps):
            resampling.resample(k, w, np.random.default_rng(r), out)
            counts += np.bincount(out, minlength=7)
        mean = counts / reps
        # multinomial variance bounds every scheme's
        se = np.sqrt(n * w * (1 - w) / reps)
        assert np.all(np.abs(mean - n * w) < 4 * se + 1e-9), scheme


def test_loglik_cli_json(ponder_cli):
    result = ponder_cli("loglik", EXAMPLES / "randomwalk" / "randomwalk.model", "--param", "origin=100",
                        "drift=0.2", "sigma=10", "--particles", "128", "--repeat", "20", "--seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for key in ("loglik_mean", "loglik_sd", "loglik_logmeanexp", "loglik_se", "ms_per_estimate", "particles", "repeats"):
        assert key in out
    assert out["particles"] == 128 and out["repeats"] == 20
    assert out["loglik_sd"] > 0 and out["ms_per_estimate"] > 0
    bad = ponder_cli("loglik", EXAMPLES / "randomwalk" / "randomwalk.model", "--param", "origin=100",
                     "drift=0.2", "sigma=10", "--likelihood", "direct")
    assert bad.returncode == 2 and "deterministic" in bad.stderr and "Traceback" not in bad.stderr
