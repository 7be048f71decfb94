"""The executable example (examples/reservoir-c): a C program coupled with ponder.sandbox, installed, built, fitted.

The package is installed with pip into a temporary folder (as
tests/test_plugin_sampler.py does) and its program compiled there with the
system C compiler (``python -m ponder_reservoir_c.build``, the README's
command); ponder runs in subprocesses that load the package through its entry
point. The model is deterministic, so ``ponder loglik`` gives the exact
log-likelihood, which must equal the closed form of make_data.py; a short fit
must find k.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from tests.conftest import EXAMPLES
from tests.test_plugin_sampler import _env, _pip_install

SRC = EXAMPLES / "reservoir-c"
MODEL = SRC / "reservoir-c.model"
TRUTH = {"k": 0.25, "sigma": 0.1}


def _make_data():
    spec = importlib.util.spec_from_file_location("reservoir_c_make_data", SRC / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE_DATA = _make_data()


def _data():
    table = np.genfromtxt(SRC / "reservoir-c.csv", delimiter=",", names=True)
    return table["rain"][:-1], table["Q"][1:]  # rain from t to t + 1; Q measured at 1, 2, ...


def exact_loglik(k, sigma) -> np.ndarray:
    """Sum over days of log LogNormal(Q_obs | log Q_t(k), sigma), Q_t the reservoir's closed form; ``k`` and
    ``sigma`` broadcast (k along the first axis)."""
    rain, observed = _data()
    k = np.atleast_1d(np.asarray(k, dtype=float))
    q = np.array([MAKE_DATA.discharge(float(kk), rain) for kk in k])  # (len(k), days)
    r2 = ((np.log(observed) - np.log(q)) ** 2).sum(axis=1)[:, None]
    s = np.atleast_1d(np.asarray(sigma, dtype=float))[None, :]
    n = observed.size
    return -np.log(observed).sum() - n * np.log(s) - 0.5 * n * math.log(2 * math.pi) - r2 / (2 * s ** 2)


def exact_posterior_of_k() -> tuple[float, float]:
    """Mean and sd of k under the model's priors (LogNormal(log 0.2, 1), HalfNormal(0.2)), on a grid."""
    ks, ss = np.linspace(0.15, 0.4, 501), np.linspace(0.01, 0.4, 400)
    log_post = (exact_loglik(ks, ss) + (-np.log(ks) - (np.log(ks) - math.log(0.2)) ** 2 / 2)[:, None]
                - (ss ** 2 / (2 * 0.2 ** 2))[None, :])
    w = np.exp(log_post - log_post.max()).sum(axis=1)
    w /= w.sum()
    mean = float((w * ks).sum())
    return mean, float(math.sqrt((w * (ks - mean) ** 2).sum()))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, check=False).returncode:
        pytest.skip(f"pip is not available for {sys.executable}; cannot install the example")
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler (cc or gcc) on PATH: the reservoir-c example compiles reservoir.c")
    root = tmp_path_factory.mktemp("reservoir-c")
    return root, _pip_install(SRC, root / "site")


def test_the_program_is_built_then_its_exact_loglik_is_the_closed_form_and_a_fit_finds_k(installed, ponder_cli):
    root, site = installed
    env = _env(site)
    proc = ponder_cli("plugins", env=env)  # installed, not built yet: a broken plugin that says what to do
    assert "python -m ponder_reservoir_c.build" in " ".join(proc.stdout.split()), proc.stdout + proc.stderr

    build = subprocess.run([sys.executable, "-m", "ponder_reservoir_c.build"], check=False, capture_output=True,
                           text=True, env={**os.environ, **env}, timeout=120)
    assert build.returncode == 0, build.stderr
    assert (site / "ponder_reservoir_c" / "bin" / "reservoir").exists()

    proc = ponder_cli("loglik", MODEL, "-p", *[f"{k}={v}" for k, v in TRUTH.items()], "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["likelihood"] == "direct"
    assert result["loglik_mean"] == pytest.approx(float(exact_loglik(TRUTH["k"], TRUTH["sigma"])[0, 0]), abs=1e-8)

    out = root / "fit.nc"
    proc = ponder_cli("run", MODEL, "--samples", 30, "--warmup", 30, "--chains", 2, "--seed", 1, "--out", out,
                      "--quiet", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from ponder.runtime.results import read_results

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = read_results(out).posterior["k"].values
    elsewhere = root / "fit-processes.nc"  # worker processes load the plugin and run their own sandboxes
    proc = ponder_cli("run", MODEL, "--samples", 30, "--warmup", 30, "--chains", 2, "--seed", 1, "--out", elsewhere,
                      "--executor", "processes", "--workers", 2, "--quiet", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.array_equal(read_results(elsewhere).posterior["k"].values, k)
    mean, sd = exact_posterior_of_k()
    assert abs(TRUTH["k"] - mean) < 2 * sd  # the data are informative: the exact posterior holds the truth
    assert abs(float(k.mean()) - TRUTH["k"]) < 3 * sd, (float(k.mean()), mean, sd)
    assert abs(float(k.mean()) - mean) < 1.5 * sd, (float(k.mean()), mean, sd)
