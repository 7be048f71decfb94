"""The example simulator package (examples/simulator-python): installed, listed, checked, fitted on two executors.

Installed with pip into a temporary directory, as tests/test_plugin_sampler.py
does; ponder runs in subprocesses that see it through its entry point, so the
``processes`` executor's workers load the simulator as a user's would.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

from tests.conftest import EXAMPLES
from tests.test_plugin_sampler import _env, _pip_install

SRC = EXAMPLES / "simulator-python"
MODEL = SRC / "walk.model"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip(f"pip is not available for {sys.executable}; cannot install the example simulator")
    root = tmp_path_factory.mktemp("simulators")
    return root, _pip_install(SRC, root / "site")


def test_installed_simulators_are_listed_and_fit_the_same_on_every_executor(installed, ponder_cli):
    root, site = installed
    env = _env(site)
    proc = ponder_cli("plugins", env=env)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if "walk.vectorised" in line or "walk.per_particle" in line]
    assert len(rows) == 2 and all("ponder-walk-simulators" in r for r in rows), proc.stdout

    proc = ponder_cli("check", MODEL, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "outputs of the simulator walk.vectorised" in proc.stdout
    assert "simulator walk.vectorised (Python)" in proc.stdout

    outs = []
    executors = ["serial", "auto", "processes"]
    try:
        import mpi4py  # noqa: F401 -- the mpi executor's workers are spawned MPI processes that load the plugin
        executors.append("mpi")
    except ImportError:
        pass
    for executor in executors:
        out = root / f"{executor}.nc"
        proc = ponder_cli("run", MODEL, "--samples", 40, "--warmup", 40, "--chains", 2, "--particles", 64,
                          "--seed", 1, "--executor", executor, "--workers", 2, "--out", out, "--quiet", env=env)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    from ponder.runtime.results import read_results

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, *others = (read_results(o) for o in outs)
    for executor, b in zip(executors[1:], others):
        for name in ("origin", "drift", "sigma"):
            assert np.array_equal(a.posterior[name].values, b.posterior[name].values), (executor, name)
    assert a.posterior.attrs["likelihood"] == "pf"
    assert np.isfinite(a.sample_stats["lp"].values).all()


def test_installed_simulator_is_not_seen_without_its_package(ponder_cli):
    proc = ponder_cli("check", MODEL)
    assert proc.returncode == 2
    assert "there is no simulator `walk.vectorised`" in proc.stderr and "Traceback" not in proc.stderr
