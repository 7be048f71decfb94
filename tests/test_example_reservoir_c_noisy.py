"""The stochastic executable example (examples/reservoir-c, ``reservoir_c.noisy``): a C program that draws random
numbers from the sandbox's per-particle seeds, fitted through the particle filter.

The package is installed and built as in tests/test_example_reservoir_c.py
(the fixture ``installed`` is that file's). Then: the program's rainfall
errors, run directly with many seeds, have the log-normal law they should;
without rainfall error (sigma_rain = 0) the filter's log-likelihood is the
exact one of the Euler recursion, computed here; at a point near the
posterior of examples/reservoir the filter's log-likelihood of the C model
agrees with that of examples/reservoir/reservoir.model (the same model in
the language, the same filter, other random streams) within 3 standard
errors; and a short ``ponder run`` of the C model works end to end.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import stats

from tests.conftest import EXAMPLES
from tests.test_example_reservoir_c import installed  # noqa: F401 - the module-scoped fixture, reused
from tests.test_plugin_sampler import _env

SRC = EXAMPLES / "reservoir-c"
MODEL = SRC / "reservoir-c-noisy.model"
LANGUAGE_MODEL = EXAMPLES / "reservoir" / "reservoir.model"
NEAR_POSTERIOR = {"k": 0.25, "sigma_rain": 0.54, "sigma_obs": 0.1}  # examples/reservoir/README.md's posterior means
DT, S0 = 0.25, 20.0


@pytest.fixture(scope="module")
def built(installed):  # noqa: F811 - the imported fixture
    root, site = installed
    env = _env(site)
    build = subprocess.run([sys.executable, "-m", "ponder_reservoir_c.build"], check=False, capture_output=True,
                           text=True, env={**os.environ, **env}, timeout=120)
    assert build.returncode == 0, build.stderr
    program = site / "ponder_reservoir_c" / "bin" / "reservoir_noisy"
    assert program.exists() and (site / "ponder_reservoir_c" / "bin" / "reservoir").exists()
    return root, program, {**env, "PONDER_RESERVOIR_C_JOBS": "2"}


def _run_program(program, folder, k, sigma, rain, seed) -> str:
    """One run of the program in ``folder`` from S0 over ``len(rain)`` sub-steps; the text of state.txt after."""
    (folder / "state.txt").write_text(f"{S0!r}\n")
    (folder / "params.txt").write_text(f"{k!r} {sigma!r} {DT!r} {len(rain)} {seed}\n"
                                       + "".join(f"{r!r}\n" for r in rain))
    proc = subprocess.run([str(program)], cwd=folder, capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr
    return (folder / "state.txt").read_text()


def test_the_program_draws_log_normal_rainfall_errors_with_mean_one_from_its_seed(built, tmp_path):
    _, program, _ = built
    k, sigma, rain = 0.25, 0.54, 10.0
    a = 1 - k * DT
    seeds = [int(s) for s in np.random.default_rng(5).integers(2 ** 63, size=300)]
    assert _run_program(program, tmp_path, k, sigma, [rain] * 4, seeds[0]) == \
        _run_program(program, tmp_path, k, sigma, [rain] * 4, seeds[0])  # one seed, one run

    # one sub-step: S1 = a S0 + dt rain u, so each run gives one error u back
    u = np.array([(float(_run_program(program, tmp_path, k, sigma, [rain], s)) - a * S0) / (DT * rain)
                  for s in seeds])
    assert np.unique(u).size == u.size
    assert abs(u.mean() - 1.0) < 4 * u.std(ddof=1) / math.sqrt(u.size)  # E[u] = 1
    assert stats.kstest(np.log(u), "norm", args=(-sigma ** 2 / 2, sigma)).pvalue > 1e-3

    # four sub-steps: S4 = a^4 S0 + dt rain sum_j a^(3-j) u_j, u_j independent: its exact mean and variance
    s4 = np.array([float(_run_program(program, tmp_path, k, sigma, [rain] * 4, s)) for s in seeds])
    j = np.arange(4)
    mean = a ** 4 * S0 + DT * rain * (a ** j).sum()
    var = (DT * rain) ** 2 * math.expm1(sigma ** 2) * (a ** (2 * j)).sum()
    assert abs(s4.mean() - mean) < 4 * math.sqrt(var / s4.size), (s4.mean(), mean)
    m4 = ((s4 - s4.mean()) ** 4).mean()
    assert abs(s4.var(ddof=1) - var) < 4 * math.sqrt((m4 - var ** 2) / s4.size), (s4.var(ddof=1), var)

    (tmp_path / "params.txt").write_text(f"{k} {sigma} {DT} 1 -3\n10\n")  # bad input: exit status 1, a message
    proc = subprocess.run([str(program)], cwd=tmp_path, capture_output=True, text=True, timeout=10)
    assert proc.returncode == 1 and "seed" in proc.stderr


def _euler_loglik(k, sigma_obs) -> float:
    """The log-likelihood of examples/reservoir's data without rainfall error: S += dt (rain(t) - k S) from
    S0 = 20 at t = 0, flow ~ LogNormal(log(k S + 1e-3), sigma_obs) at each day."""
    rain = np.genfromtxt(EXAMPLES / "reservoir" / "rain.csv", delimiter=",", names=True)
    flow = np.genfromtxt(EXAMPLES / "reservoir" / "flow.csv", delimiter=",", names=True)
    by_day = dict(zip(rain["time"].astype(int), rain["rain"]))
    s, step, total = S0, 0, 0.0
    for t, y in zip(flow["time"], flow["flow"]):
        while step * DT < t:
            s += DT * (by_day[int(math.floor(step * DT))] - k * s)
            step += 1
        z = (math.log(y) - math.log(k * s + 1e-3)) / sigma_obs
        total += -math.log(y) - math.log(sigma_obs) - 0.5 * math.log(2 * math.pi) - 0.5 * z * z
    return total


def test_without_rainfall_error_the_filter_gives_the_exact_loglik(built, ponder_cli):
    _, _, env = built
    proc = ponder_cli("check", MODEL, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "reservoir_c.noisy" in proc.stdout and "stochastic" in proc.stdout, proc.stdout
    proc = ponder_cli("loglik", MODEL, "-p", "k=0.25", "sigma_rain=0", "sigma_obs=0.1", "--particles", 2, "--seed", 1,
                      "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["likelihood"] == "pf"
    assert result["loglik_mean"] == pytest.approx(_euler_loglik(0.25, 0.1), abs=1e-9)


def _loglik(ponder_cli, model, particles, repeat, env=None) -> tuple[float, float]:
    """Mean of ``repeat`` independent filter estimates and its standard error."""
    params = [f"{k}={v}" for k, v in NEAR_POSTERIOR.items()]
    proc = ponder_cli("loglik", model, "-p", *params, "--particles", particles, "--repeat", repeat, "--seed", 1,
                      "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["likelihood"] == "pf" and result["repeats"] == repeat
    return result["loglik_mean"], result["loglik_sd"] / math.sqrt(repeat)


def test_the_filter_loglik_of_the_c_program_agrees_with_the_model_in_the_language(built, ponder_cli):
    _, _, env = built
    # 32 particles x 60 days = 1920 runs of the program per estimate (about 2 s on 2 jobs); the language's
    # takes under 1 ms, so its mean is nearly exact and the C model's 10 estimates make the standard error.
    # Same filter, same particle number: the two estimators have the same law, bias included.
    c_mean, c_se = _loglik(ponder_cli, MODEL, 32, 10, env=env)
    ref_mean, ref_se = _loglik(ponder_cli, LANGUAGE_MODEL, 32, 1000)
    se = math.hypot(c_se, ref_se)
    # the test can tell the models apart: rain errors with mean exp(sigma_rain^2 / 2) = 1.16, not 1, move the
    # language model's mean estimate by -6.3 (-27.44 against -21.12 at 1000 estimates)
    assert 0 < 3 * se < 5.0, (c_se, ref_se)
    assert abs(c_mean - ref_mean) < 3 * se, (c_mean, c_se, ref_mean, ref_se)


def test_a_short_run_of_the_c_program_through_the_particle_filter(built, ponder_cli):
    root, _, env = built
    data = root / "flow-10-days.csv"  # the first 10 days of examples/reservoir's data keep the run short
    data.write_text("".join((EXAMPLES / "reservoir" / "flow.csv").read_text().splitlines(keepends=True)[:11]))
    out = root / "noisy.nc"
    proc = ponder_cli("run", MODEL, "--data", data, "--samples", 10, "--warmup", 10, "--chains", 2,
                      "--particles", 16, "--seed", 1, "--out", out, "--quiet", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from ponder.runtime.results import read_results

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = read_results(out)
    post = results.posterior
    assert post.attrs["likelihood"] == "pf"
    assert post["k"].shape == (2, 10)
    assert np.isfinite(results.sample_stats["lp"].values).all()
    q = post["Q"].values  # the output along one sampled particle path, at the 10 observation times
    assert q.shape == (2, 10, 10) and np.isfinite(q).all() and (q > 0).all()
    assert np.isfinite(post["tau"].values).all()
