"""The Numba example simulator package (examples/simulator-numba): installed, listed, checked, and equal to ricker.

Installed with pip into a temporary directory, as
tests/test_simulator_python.py does; ponder runs in subprocesses that see
the simulator through its entry point. Its kernels draw as the generated
``advance`` of examples/ricker/ricker.model does, so the particle filters
of the two models, and the runs built on them, agree bit for bit. The
kernel itself is checked against the Ricker map written in NumPy.
"""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from tests.conftest import EXAMPLES
from tests.test_plugin_sampler import _env, _pip_install

SRC = EXAMPLES / "simulator-numba"
MODEL = SRC / "ricker.model"
RICKER = EXAMPLES / "ricker" / "ricker.model"
POMP = ["r=44.701184493300815", "sigma=0.3", "phi=10"]  # pomp's parameters for its Ricker data


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip(f"pip is not available for {sys.executable}; cannot install the example simulator")
    root = tmp_path_factory.mktemp("simulator-numba")
    return root, _pip_install(SRC, root / "site")


def test_kernels_are_the_ricker_map():
    """init fills N0; advance is N <- r N exp(-c N + sigma z), z the Generator's standard normals, particle by
    particle (independent of ponder: the same draws in NumPy)."""
    sys.path.insert(0, str(SRC))
    try:
        from ponder_ricker_numba.ricker import RickerNumba, ricker_advance, ricker_init
    finally:
        sys.path.remove(str(SRC))
    assert RickerNumba.numba_kernels == (ricker_init, ricker_advance)
    r, sigma, c, n0 = 20.0, 0.4, 0.5, 3.0
    p = np.array([r, sigma, c, n0])  # the order of RickerNumba.parameters
    assert RickerNumba.parameters == ("r", "sigma", "c", "N0")
    X = np.full((6, 1), np.nan)
    ricker_init(p, 0.0, X, np.random.default_rng(0))
    assert np.all(X == n0)
    ricker_advance(p, X, 2.0, 6.0, np.random.default_rng(11))
    z = np.random.default_rng(11).standard_normal((6, 4))  # row n: particle n's four steps
    N = np.full(6, n0)
    for k in range(4):
        N = r * N * np.exp(-c * N + sigma * z[:, k])
    assert np.allclose(X[:, 0], N, rtol=1e-13, atol=0), (X[:, 0], N)
    bad = np.full((2, 1), 1.0)
    ricker_advance(np.array([r, 0.0, c, n0]), bad, 0.0, 1.0, np.random.default_rng(0))
    # sigma = 0 is not a Normal: the noise is NaN, as ponder's Normal draws; the state is then not finite
    # (inf, not NaN: the kernel repeats the language's exp, ponder.stdlib.functions.fn_exp, where exp(NaN) = inf)
    assert not np.isfinite(bad).any(), bad


def test_installed_ricker_is_listed_checked_and_equals_the_language_model(installed, ponder_cli):
    root, site = installed
    env = _env(site)
    proc = ponder_cli("plugins", env=env)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if "ricker_numba.ricker" in line]
    assert len(rows) == 1 and "ponder-ricker-numba" in rows[0] and "simulator" in rows[0], proc.stdout

    proc = ponder_cli("check", MODEL, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "simulator ricker_numba.ricker (compiled with Numba)" in proc.stdout
    assert "outputs of the simulator ricker_numba.ricker" in proc.stdout

    def loglik(model, *params, seed=1):
        proc = ponder_cli("loglik", model, "-p", *params, "--particles", 256, "--repeat", 4, "--seed", seed,
                          "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    keys = ("loglik_mean", "loglik_sd", "loglik_logmeanexp")
    for params in (POMP, ["r=8", "sigma=0.7", "phi=4"]):
        a, b = loglik(MODEL, *params), loglik(RICKER, *params)
        assert a["likelihood"] == b["likelihood"] == "pf"
        assert np.isfinite(a["loglik_mean"]) and a["loglik_sd"] > 0  # a real, noisy estimate
        assert [a[k] for k in keys] == [b[k] for k in keys], (params, a, b)  # bit for bit

    outs = []
    # the simulator's model on two executors (the workers compile its kernels through the entry point), the language's
    for model, executor in ((MODEL, "serial"), (MODEL, "processes"), (RICKER, "serial")):
        out = root / f"{model.parent.name}-{executor}.nc"
        proc = ponder_cli("run", model, "--samples", 60, "--warmup", 60, "--chains", 2, "--particles", 64,
                          "--seed", 1, "--executor", executor, "--workers", 2, "--out", out, "--quiet", env=env)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    from ponder.runtime.results import read_results

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, on_processes, b = (read_results(o) for o in outs)
    for name in ("r", "sigma", "phi"):
        assert np.array_equal(a.posterior[name].values, on_processes.posterior[name].values), name
    assert a.posterior.attrs["likelihood"] == b.posterior.attrs["likelihood"] == "pf"
    for name in ("r", "sigma", "phi"):
        assert a.posterior[name].shape == (2, 60)
        assert np.array_equal(a.posterior[name].values, b.posterior[name].values), name
        assert np.unique(a.posterior[name].values).size > 10, name  # the chains moved
    assert np.array_equal(a.sample_stats["lp"].values, b.sample_stats["lp"].values)
    assert np.isfinite(a.sample_stats["lp"].values).all()


def test_simulator_is_not_seen_without_its_package(ponder_cli):
    proc = ponder_cli("check", MODEL)
    assert proc.returncode == 2
    assert "there is no simulator `ricker_numba.ricker`" in proc.stderr and "Traceback" not in proc.stderr
