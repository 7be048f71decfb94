"""The example plugin package examples/plugin-distribution: a distribution, a function, a figure kind, a command.

Installed with pip into a temporary directory (as tests/test_plugin_sampler.py
does), used through the entry-point path in subprocesses: the model that uses
``Gumbel`` and ``hill`` checks, gives SciPy's log-likelihood, samples on the
``processes`` executor (whose workers load the plugin themselves) with the
serial executor's draws, and a change to the plugin's code recompiles the
model's kernels.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from scipy import stats

from tests.conftest import EXAMPLES
from tests.runtime.test_sampling import same_results
from tests.test_plugin_sampler import _env, _pip_install

PLUGIN_SRC = EXAMPLES / "plugin-distribution"
THETA = {"mu": 1.0, "k": 1.5, "beta": 2.0}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("gumbel")
    target = _pip_install(PLUGIN_SRC, root / "site")
    work = root / "work"
    work.mkdir()
    for name in ("gumbel.model", "gumbel.csv"):
        shutil.copy(PLUGIN_SRC / name, work / name)
    return {"site": target, "work": work, "cache": root / "cache"}


def env(installed):
    return {**_env(installed["site"]), "PONDER_CACHE": str(installed["cache"])}


def exact_loglik() -> float:
    y = np.loadtxt(PLUGIN_SRC / "gumbel.csv", delimiter=",", skiprows=1)[:, 1]
    level = THETA["mu"] + 10 * THETA["k"] ** 2 / (1 + THETA["k"] ** 2)
    return float(stats.gumbel_r(level, THETA["beta"]).logpdf(y).sum())


def loglik(installed, ponder_cli) -> float:
    proc = ponder_cli("loglik", installed["work"] / "gumbel.model", "-p", *[f"{k}={v}" for k, v in THETA.items()],
                      "--json", env=env(installed))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["loglik_mean"]


def test_plugin_distribution_and_function_check_and_match_scipy(installed, ponder_cli):
    proc = ponder_cli("check", installed["work"] / "gumbel.model", env=env(installed))
    assert proc.returncode == 0, proc.stderr
    assert loglik(installed, ponder_cli) == pytest.approx(exact_loglik(), rel=1e-12)
    listed = ponder_cli("plugins", "--all", env=env(installed))
    rows = [line for line in listed.stdout.splitlines() if line.split()[2:3] in (["Gumbel"], ["hill"])]
    assert len(rows) == 2 and all("ponder-gumbel 0.1.0" in row for row in rows), listed.stdout


def test_without_the_plugin_the_model_is_a_located_error(installed, ponder_cli):
    proc = ponder_cli("check", installed["work"] / "gumbel.model", env={"PONDER_CACHE": str(installed["cache"])})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "unknown function `hill`" in proc.stderr and "gumbel.model:6:" in proc.stderr


def test_plugin_model_samples_on_processes_like_serial(installed, ponder_cli):
    runs = {}
    for executor in ("serial", "processes"):
        out = installed["work"] / f"{executor}.nc"
        proc = ponder_cli("run", installed["work"] / "gumbel.model", "--samples", 40, "--warmup", 40, "--seed", 2,
                          "--executor", executor, "--workers", 2, "--out", out, "--quiet", env=env(installed))
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs[executor] = out
    assert same_results(runs["serial"], runs["processes"])


def test_plugin_figure_kind_and_command(installed, ponder_cli):
    out = installed["work"] / "fig.nc"
    assert ponder_cli("run", installed["work"] / "gumbel.model", "--samples", 20, "--warmup", 20, "--seed", 3,
                      "--out", out, "--quiet", env=env(installed)).returncode == 0
    figures = installed["work"] / "figures"
    proc = ponder_cli("plot", out, "--kind", "loglik-hist", "--out", figures, env=env(installed))
    assert proc.returncode == 0, proc.stderr
    assert (figures / "loglik-hist.png").stat().st_size > 1000
    proc = ponder_cli("gumbel-quantile", 0, 1, 0.5, env=env(installed))
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout) == pytest.approx(stats.gumbel_r.ppf(0.5), rel=1e-12)
    bad = ponder_cli("gumbel-quantile", 0, -1, 0.5, env=env(installed))
    assert bad.returncode == 2 and "need beta > 0" in bad.stderr and "Traceback" not in bad.stderr


def test_changing_the_plugin_code_recompiles_the_model(installed, ponder_cli):
    before = loglik(installed, ponder_cli)
    kernels = set((installed["cache"] / "kernels").glob("model_*.py"))
    plugin = next(installed["site"].glob("ponder_gumbel/plugin.py"))
    text = plugin.read_text()
    try:  # a location shifted by 1: a different log-likelihood, if the new code is what runs
        plugin.write_text(text.replace("z = (x - mu) / beta", "z = (x - mu - 1.0) / beta"))
        after = loglik(installed, ponder_cli)
    finally:
        plugin.write_text(text)
    y = np.loadtxt(PLUGIN_SRC / "gumbel.csv", delimiter=",", skiprows=1)[:, 1]
    level = THETA["mu"] + 10 * THETA["k"] ** 2 / (1 + THETA["k"] ** 2)
    assert after == pytest.approx(float(stats.gumbel_r(level + 1.0, THETA["beta"]).logpdf(y).sum()), rel=1e-12)
    assert after != before
    assert set((installed["cache"] / "kernels").glob("model_*.py")) - kernels  # a new kernel module
