"""The example plugin package (examples/plugin-sampler): installed, listed, run.

The package is installed with pip into a temporary directory (never into the
environment), and ponder runs in subprocesses with that directory on
PYTHONPATH and entry points switched on (tests/conftest.py switches them off
for everything else).
"""

import math
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from tests.conftest import EXAMPLES

PLUGIN_SRC = EXAMPLES / "plugin-sampler"
STRAIGHTWALK = EXAMPLES / "straightwalk"

BROKEN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "ponder-broken-plugin"
version = "0.0.1"

[project.entry-points.ponder]
broken_example = "ponder_broken_example.plugin"

[tool.setuptools]
packages = ["ponder_broken_example"]
"""


def _pip_install(src, target):
    """``pip install --no-deps --no-build-isolation --target``, from a copy of ``src``.

    Building from a copy keeps setuptools' ``build/`` and ``*.egg-info`` out
    of the repository. Without build isolation, setuptools older than 70.1
    needs the ``wheel`` package to build; if the environment lacks it, the
    install is retried with build isolation (pip fetches the build backend).
    """
    copy = target.parent / (target.name + "-src")
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    base = [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check", "--target", str(target)]
    attempts = []
    for extra in (["--no-build-isolation"], []):
        proc = subprocess.run(base + extra + [str(copy)], capture_output=True, text=True, timeout=600)
        attempts.append(f"$ {' '.join(base + extra)} ...\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
        if proc.returncode == 0:
            return target
    pytest.fail("could not install " + str(src) + ":\n" + "\n".join(attempts))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Directories holding the installed slice plugin and a deliberately broken plugin."""
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip(f"pip is not available for {sys.executable}; cannot install the example plugin")
    root = tmp_path_factory.mktemp("plugins")
    slice_dir = _pip_install(PLUGIN_SRC, root / "slice")
    broken_src = root / "broken-pkg"
    (broken_src / "ponder_broken_example").mkdir(parents=True)
    (broken_src / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (broken_src / "ponder_broken_example" / "__init__.py").write_text("")
    (broken_src / "ponder_broken_example" / "plugin.py").write_text(
        'raise ImportError("this plugin is broken on purpose")\n')
    broken_dir = _pip_install(broken_src, root / "broken")
    return {"root": root, "slice": slice_dir, "broken": broken_dir}


def _env(*paths):
    """Environment for a subprocess that sees the plugins installed in ``paths``."""
    pythonpath = os.pathsep.join([str(p) for p in paths] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    return {"PYTHONPATH": pythonpath, "PONDER_NO_ENTRY_POINTS": "0", "COLUMNS": "200"}


def test_plugins_lists_slice_and_reports_broken_plugin(installed, ponder_cli):
    proc = subprocess.run([sys.executable, "-c", "import ponder_slice; print(ponder_slice.__file__)"],
                          capture_output=True, text=True, env={**os.environ, **_env(installed["slice"])})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith(str(installed["slice"])), proc.stdout  # the installed copy

    proc = ponder_cli("plugins", env=_env(installed["slice"]))
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if " slice " in line]
    assert rows and "ponder-slice-sampler" in rows[0], proc.stdout
    assert "broken plugin" not in proc.stdout

    proc = ponder_cli("plugins", env=_env(installed["slice"], installed["broken"]))
    assert proc.returncode == 0, proc.stderr
    assert any(" slice " in line and "ponder-slice-sampler" in line for line in proc.stdout.splitlines()), proc.stdout
    assert " ensemble " in proc.stdout
    broken = [line for line in proc.stdout.splitlines() if "broken plugin" in line]
    assert len(broken) == 1 and "broken_example" in broken[0] and "broken on purpose" in broken[0], proc.stdout


def exact_posterior_means(n_grid: int) -> dict:
    """Posterior means of straightwalk's parameters on an (origin, drift, log sigma) grid.

    y_k ~ Normal(origin + drift t_k, sigma), origin ~ Uniform(50, 150),
    drift ~ Uniform(-1, 1), sigma ~ LogNormal(log 10, 1). The residual sum of
    squares comes from sufficient statistics, so a fine grid is cheap; it
    spans +-8 standard errors of the least-squares fit around its estimate.
    """
    data = np.loadtxt(STRAIGHTWALK / "straightwalk.csv", delimiter=",", skiprows=1)
    t, y = data[:, 0], data[:, 1]
    n = len(y)
    x = np.column_stack([np.ones(n), t])
    beta, rss, *_ = np.linalg.lstsq(x, y, rcond=None)
    s2 = rss[0] / (n - 2)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(x.T @ x)))
    origin = np.linspace(max(50, beta[0] - 8 * se[0]), min(150, beta[0] + 8 * se[0]), n_grid)
    drift = np.linspace(max(-1, beta[1] - 8 * se[1]), min(1, beta[1] + 8 * se[1]), n_grid)
    log_sigma = np.linspace(np.log(s2) / 2 - 1.5, np.log(s2) / 2 + 1.5, n_grid)
    o, d = np.meshgrid(origin, drift, indexing="ij")
    rss_grid = (np.sum(y ** 2) - 2 * o * np.sum(y) - 2 * d * np.sum(t * y)
                + n * o ** 2 + 2 * o * d * np.sum(t) + d ** 2 * np.sum(t ** 2))
    sigma2 = np.exp(2 * log_sigma)
    # log density in (origin, drift, log sigma): likelihood + log-normal prior of log sigma (uniform priors flat)
    logp = (-n * log_sigma[None, None, :] - rss_grid[:, :, None] / (2 * sigma2[None, None, :])
            - 0.5 * (log_sigma[None, None, :] - np.log(10.0)) ** 2)
    w = np.exp(logp - logp.max())
    w /= w.sum()
    return {
        "origin": float(np.sum(w * o[:, :, None])),
        "drift": float(np.sum(w * d[:, :, None])),
        "sigma": float(np.sum(w * np.exp(log_sigma)[None, None, :])),
    }


def test_slice_sampler_run_matches_exact_posterior(installed, ponder_cli):
    out = installed["root"] / "slice.nc"
    proc = ponder_cli("run", STRAIGHTWALK / "straightwalk.model", "--sampler", "slice", "--samples", 300,
                      "--warmup", 200, "--chains", 4, "--seed", 1, "--out", out, "--quiet",
                      env=_env(installed["slice"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz as az

        idata = az.from_netcdf(str(out))
        mcse = az.mcse(idata, var_names=["origin", "drift", "sigma"])
    post = idata.posterior
    assert (post.sizes["chain"], post.sizes["draw"]) == (4, 300)
    assert idata.posterior.attrs["sampler"] == "slice"
    assert np.all(idata.sample_stats["acceptance_rate"].values == 1.0)  # slice sampling always moves

    fine, coarse = exact_posterior_means(161), exact_posterior_means(81)
    for name in ("origin", "drift", "sigma"):
        grid_error = abs(fine[name] - coarse[name]) + 1e-9 * abs(fine[name])
        mean = float(post[name].mean())
        tolerance = 4 * float(mcse[name]) + grid_error
        assert abs(mean - fine[name]) < tolerance, (name, mean, fine[name], float(mcse[name]), grid_error)


# ------------------------------------------------------------ declared options, conformance, method, likelihood
def test_slice_options_are_declared_and_checked(installed, ponder_cli):
    listed = ponder_cli("plugins", "slice", env=_env(installed["slice"]))
    assert listed.returncode == 0, listed.stderr
    assert "w (float, default 1.0)" in listed.stdout and "m (int, default 50)" in listed.stdout
    bad = ponder_cli("run", STRAIGHTWALK / "straightwalk.model", "--sampler", "slice", "--samples", 5,
                     "--option", "w=wide", "--quiet", env=_env(installed["slice"]))
    assert bad.returncode == 2 and "option `w` of the `slice` sampler takes a number" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_installed_slice_sampler_passes_the_conformance_check(installed):
    script = ("from ponder.testing import check_sampler\n"
              "found = check_sampler('slice', chains=4, samples=500, seed=2)\n"
              "print(len(found))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900,
                          env={**os.environ, **_env(installed["slice"])})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "5"


CONJUGATE = 'param mu ~ Normal(1, 2)\nstate m = mu\nobserve y ~ Normal(m, 1.5)\ndata "y.csv"\n'


def test_installed_method_runs_from_the_command_line_and_resumes(installed, ponder_cli, tmp_path):
    import math

    y = np.random.default_rng(12).normal(2.3, 1.5, size=30)
    (tmp_path / "y.csv").write_text("time,y\n" + "\n".join(f"{t},{float(v)!r}" for t, v in enumerate(y)) + "\n")
    (tmp_path / "c.model").write_text(CONJUGATE)
    out = tmp_path / "is.nc"
    proc = ponder_cli("run", tmp_path / "c.model", "--method", "prior-is", "--option", "rounds=3", "draws=2000",
                      "--seed", 4, "--out", out, env=_env(installed["slice"]))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "prior-is method" in proc.stdout and "mu" in proc.stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ponder.runtime import arviz_io

        post = arviz_io.group(arviz_io.read(out), "posterior")
    precision = 1 / 4 + 30 / 1.5**2
    mean = (1 / 4 + y.sum() / 1.5**2) / precision
    ess = float(post.attrs["importance_ess"])
    assert post["mu"].shape == (1, 6000) and ess > 100
    assert abs(float(post["mu"].mean()) - mean) < 4 / math.sqrt(precision) / math.sqrt(ess)
    summary = ponder_cli("summary", out, env=_env(installed["slice"]))
    assert summary.returncode == 0 and "prior-is method" in summary.stdout


def test_installed_likelihood_takes_its_option(installed, ponder_cli, tmp_path):
    """beta = 0 makes the power likelihood flat: the sampler then draws the prior (origin ~ Uniform(50, 150))."""
    out = tmp_path / "prior.nc"
    proc = ponder_cli("run", STRAIGHTWALK / "straightwalk.model", "--likelihood", "power", "--option", "beta=0",
                      "--sampler", "slice", "--samples", 400, "--warmup", 50, "--seed", 1, "--out", out, "--quiet",
                      env=_env(installed["slice"]))
    assert proc.returncode == 0, proc.stderr[-3000:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ponder.runtime import arviz_io

        idata = arviz_io.read(out)
    origin = arviz_io.group(idata, "posterior")["origin"].values
    assert np.all(arviz_io.group(idata, "sample_stats")["log_likelihood"].values == 0.0)
    se = 100 / math.sqrt(12) / math.sqrt(float(np.ravel(arviz_io.arviz().ess(origin))[0]))
    assert abs(origin.mean() - 100) < 4 * se
    bad = ponder_cli("run", STRAIGHTWALK / "straightwalk.model", "--likelihood", "power", "--option", "beta=-1",
                     "--quiet", env=_env(installed["slice"]))
    assert bad.returncode == 2 and "option `beta` of the `power` likelihood must be at least 0" in bad.stderr
