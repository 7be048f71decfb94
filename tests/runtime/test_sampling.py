"""Sampling runs: posteriors against exact answers and independent samplers,
bit-identical results across executors, checkpoints and resume, results files.

Posterior comparisons use Monte Carlo standard errors from ArviZ (``az.mcse``)
and a bound of four standard errors, with fixed seeds.
"""

import math
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import ponder
from ponder.runtime import arviz_io, checkpoint
from ponder.plugins.manager import plugins
from ponder.runtime.estimate import Estimate

from tests.conftest import EXAMPLES, ROOT

warnings.filterwarnings("ignore", message=".*ArviZ is undergoing.*")
az = pytest.importorskip("arviz")


def mcse(idata, name, method="mean"):
    """Monte Carlo standard error of the posterior mean or sd of ``name``."""
    return mcse_of(idata.posterior[name].values, method)


def mcse_of(draws, method="mean"):
    """Monte Carlo standard error of the mean or sd of draws (chain, draw)."""
    draws = np.asarray(draws, dtype=float)
    if method == "mean":
        return float(np.ravel(az.mcse(draws, method="mean"))[0])
    # ArviZ's "sd" method fails on this NumPy; the same formula (Vehtari et al. 2021):
    sims = (draws - draws.mean()) ** 2
    ess = float(np.ravel(az.ess(sims, method="mean"))[0])
    evar = sims.mean()
    return math.sqrt(((sims**2).mean() - evar**2) / ess / evar / 4)


# ------------------------------------------------------------ conjugate normal
@pytest.fixture(scope="module")
def conjugate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conjugate")
    y = np.random.default_rng(12).normal(2.3, 1.5, size=30)
    (folder / "y.csv").write_text("time,y\n" + "\n".join(f"{t},{float(v)!r}" for t, v in enumerate(y)) + "\n")
    model = ponder.loads(
        "param mu ~ Normal(1, 2)\nstate m = mu\nobserve y ~ Normal(m, 1.5)\ndata \"y.csv\"", base_dir=folder
    )
    precision = 1 / 2**2 + len(y) / 1.5**2
    mean = (1 / 2**2 * 1 + y.sum() / 1.5**2) / precision
    return model, mean, 1 / math.sqrt(precision)


@pytest.mark.parametrize("sampler,chains,samples", [("ensemble", 16, 1000), ("mh", 4, 3000)])
def test_conjugate_normal_posterior(conjugate, sampler, chains, samples):
    model, mean, sd = conjugate
    idata = model.sample(sampler=sampler, chains=chains, samples=samples, seed=4)
    draws = idata.posterior["mu"].values
    assert draws.shape == (chains, samples)
    assert abs(draws.mean() - mean) < 4 * mcse(idata, "mu")
    assert abs(draws.std() - sd) < 4 * mcse(idata, "mu", "sd")


# ------------------------------------------------------------ emcee on straightwalk
def test_straightwalk_direct_agrees_with_emcee():
    emcee = pytest.importorskip("emcee")
    model = ponder.load(EXAMPLES / "straightwalk" / "straightwalk.model")
    idata = model.sample(samples=1500, seed=8)

    direct = model.likelihood("direct")

    def log_prob(theta):
        lp = model.log_prior(theta)
        return lp + direct.estimate(theta, trajectory=False).loglik if np.isfinite(lp) else -np.inf

    rng = np.random.default_rng(1)
    walkers = 24
    start = np.array([100.0, 0.2, 10.0]) + rng.normal(0, [1.0, 0.01, 0.5], size=(walkers, 3))
    ens = emcee.EnsembleSampler(walkers, 3, log_prob)
    np.random.seed(2)  # emcee draws from NumPy's global generator
    ens.run_mcmc(start, 4000, progress=False)
    chain = ens.get_chain(discard=1000)  # (steps, walkers, 3)
    for k, name in enumerate(model.param_names):
        ours, theirs = idata.posterior[name].values, chain[:, :, k].T  # (chain, draw), as ArviZ orders draws
        tol_mean = 4 * math.hypot(mcse_of(ours), mcse_of(theirs))
        tol_sd = 4 * math.hypot(mcse_of(ours, "sd"), mcse_of(theirs, "sd"))
        assert abs(ours.mean() - theirs.mean()) < tol_mean, name
        assert abs(ours.std() - theirs.std()) < tol_sd, name


# ------------------------------------------------------------ PMMH against exact-likelihood MH
class ForwardAlgorithm:
    """Exact random-walk likelihood (forward algorithm over integer offsets), as a likelihood plugin."""

    name = "forward"

    def __init__(self, model, dataset, **options):
        self.times, self.y = dataset.times, dataset.values[:, 0]

    def cost(self):
        return 1.0

    def estimate(self, theta, seed=None, trajectory=True, particles=None):
        from tests.runtime.test_likelihoods import randomwalk_forward

        origin, drift, sigma = theta
        ll = randomwalk_forward(self.times, self.y, origin, drift, sigma)
        return Estimate(loglik=ll, pointwise=np.zeros(len(self.times)), diagnostics={"particles": 1})


@pytest.fixture
def forward_plugin():
    registry = plugins().likelihoods
    registry.add("forward", ForwardAlgorithm, "test only")
    yield
    del registry.entries["forward"]


def test_pmmh_randomwalk_agrees_with_exact_likelihood_mh(tmp_path, forward_plugin):
    text = (EXAMPLES / "randomwalk" / "randomwalk.model").read_text().replace('data "randomwalk.csv"', 'data "walk.csv"')
    truth = ponder.loads(text.replace('data "walk.csv"', ""))
    sim = truth.simulate({"origin": 100.0, "drift": 0.3, "sigma": 3.0}, times=range(10, 101, 10), seed=21)
    (tmp_path / "walk.csv").write_text(
        "time,position\n" + "\n".join(f"{t:g},{float(v)!r}" for t, v in zip(sim.time.values, sim["position"].values))
    )
    model = ponder.loads(text, base_dir=tmp_path)
    common = dict(sampler="mh", chains=4, samples=4000, warmup=1500, seed=5)
    exact = model.sample(likelihood="forward", **common)
    pmmh = model.sample(likelihood="pf", particles="32:1024", **common)
    assert set(np.unique(pmmh.sample_stats["particles"].values)) == {pmmh.sample_stats["particles"].values[0, 0]}
    for name in ("origin", "drift", "sigma"):
        a, b = pmmh.posterior[name].values, exact.posterior[name].values
        tol = 4 * math.hypot(mcse(pmmh, name), mcse(exact, name))
        assert abs(a.mean() - b.mean()) < tol, (name, a.mean(), b.mean(), tol)


# ------------------------------------------------------------ executors
RUN = ["run", EXAMPLES / "randomwalk" / "randomwalk.model", "--samples", "15", "--warmup", "10",
       "--particles", "64", "--chains", "8", "--seed", "5", "--quiet"]


def same_results(a, b) -> bool:
    first, second = az.from_netcdf(str(a)), az.from_netcdf(str(b))
    for group in ("posterior", "sample_stats", "log_likelihood", "posterior_predictive"):
        x, y = getattr(first, group), getattr(second, group)
        for var in x.data_vars:
            if not np.array_equal(x[var].values, y[var].values, equal_nan=True):
                return False
    return True


def test_bit_identical_on_every_executor_and_worker_count(tmp_path, ponder_cli):
    runs = [("serial", "1"), ("threads", "2"), ("processes", "2"), ("mpi", "2")]
    for executor, workers in runs:
        result = ponder_cli(*RUN, "--executor", executor, "--workers", workers, "--out", tmp_path / f"{executor}.nc")
        assert result.returncode == 0, (executor, result.stderr[-2000:])
    for executor, _ in runs[1:]:
        assert same_results(tmp_path / "serial.nc", tmp_path / f"{executor}.nc"), executor


def test_bit_identical_under_mpiexec(tmp_path, ponder_cli):
    pytest.importorskip("mpi4py")
    mpiexec = shutil.which("mpiexec") or os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        pytest.skip("mpiexec not installed")
    assert ponder_cli(*RUN, "--out", tmp_path / "serial.nc").returncode == 0
    result = subprocess.run(
        [mpiexec, "-n", "3", sys.executable, "-m", "mpi4py.futures", "-m", "ponder",
         *map(str, RUN), "--executor", "mpi", "--out", str(tmp_path / "mpiexec.nc")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert same_results(tmp_path / "serial.nc", tmp_path / "mpiexec.nc")


# ------------------------------------------------------------ checkpoints
LONG = ["run", EXAMPLES / "randomwalk" / "randomwalk.model", "--samples", "150", "--warmup", "100",
        "--particles", "512", "--chains", "8", "--seed", "3", "--quiet"]


def start_and_stop(tmp_path, out, sig):
    ckpt = checkpoint.path_for(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ponder", *map(str, LONG), "--out", str(out), "--checkpoint-every", "0.2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err, ckpt


def test_resume_after_kill_9_is_bit_identical(tmp_path, ponder_cli):
    reference = tmp_path / "reference.nc"
    assert ponder_cli(*LONG, "--out", reference).returncode == 0
    out = tmp_path / "killed.nc"
    code, _, ckpt = start_and_stop(tmp_path, out, signal.SIGKILL)
    assert code == -signal.SIGKILL, "the run finished before it could be killed"
    assert ckpt.exists() and not out.exists()
    resumed = ponder_cli(*LONG, "--out", out, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert same_results(reference, out)
    # kept, marked finished, so `--resume --samples N` can continue it; asking again for the same draws changes nothing
    assert ckpt.exists()
    again = ponder_cli(*LONG, "--out", out, "--resume")
    assert again.returncode == 0, again.stderr[-2000:]
    assert same_results(reference, out)


def test_ctrl_c_keeps_draws_and_resumes(tmp_path, ponder_cli):
    reference = tmp_path / "reference.nc"
    assert ponder_cli(*LONG, "--out", reference).returncode == 0
    out = tmp_path / "stopped.nc"
    code, err, ckpt = start_and_stop(tmp_path, out, signal.SIGINT)
    assert code == 130, err[-2000:]
    assert "interrupted" in err and "--resume" in err and "Traceback" not in err
    assert ckpt.exists()
    if out.exists():  # stopped after warm-up: the draws so far are in the results file
        partial = az.from_netcdf(str(out))
        assert partial.posterior.attrs["partial"] == 1
    resumed = ponder_cli(*LONG, "--out", out, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert same_results(reference, out)


def test_resume_refuses_a_different_run(tmp_path, ponder_cli):
    out = tmp_path / "r.nc"
    code, _, ckpt = start_and_stop(tmp_path, out, signal.SIGKILL)
    assert ckpt.exists()
    other = ponder_cli(*[a if a != "3" else "4" for a in LONG], "--out", out, "--resume")
    assert other.returncode == 2 and "different run" in other.stderr


# ------------------------------------------------------------ results file
def test_results_file_works_with_arviz(tmp_path, ponder_cli):
    out = tmp_path / "results.nc"
    result = ponder_cli(*RUN, "--out", out)
    assert result.returncode == 0, result.stderr
    idata = arviz_io.read(out)
    for group in ("posterior", "sample_stats", "log_likelihood", "posterior_predictive", "observed_data",
                  "warmup_posterior", "warmup_sample_stats"):
        assert group in arviz_io.group_names(idata), group
    post = idata.posterior
    assert post.sizes["chain"] == 8 and post.sizes["draw"] == 15
    assert post["position"].dims == ("chain", "draw", "time")  # latent path from the particle filter
    assert set(idata.sample_stats.data_vars) >= {"lp", "log_likelihood", "acceptance_rate", "particles", "pf_ess_min"}
    assert post.attrs["inference_library"] == "ponder" and "param origin" in post.attrs["model_source"]
    assert post.attrs["seed"] == "5"
    summary = az.summary(idata, var_names=["origin", "drift", "sigma"])
    assert list(summary.index) == ["origin", "drift", "sigma"]
    elpd, se, _ = arviz_io.loo(idata)
    assert np.isfinite(elpd) and se > 0
    import matplotlib

    matplotlib.use("Agg")
    if arviz_io.is_datatree():  # ArviZ 1.x: arviz-plots
        plot = az.plot_trace_dist(idata, var_names=["origin", "drift"])
        assert plot is not None
    else:
        axes = az.plot_trace(idata, var_names=["origin", "drift"])
        assert axes.shape == (2, 2)
    summary_cli = ponder_cli("summary", out)
    assert summary_cli.returncode == 0 and "origin" in summary_cli.stdout and "r_hat" in summary_cli.stdout


# ------------------------------------------------------------ user errors
@pytest.mark.parametrize("args,expected", [
    (["--sampler", "nuts"], "unknown sampler `nuts`"),
    (["--executor", "gpu"], "unknown executor `gpu`"),
    (["--likelihood", "abc"], "unknown likelihood `abc`"),
    (["--samples", "0"], "`samples` must be at least 1"),
    (["--particles", "10:2"], "is not a particle number"),
    (["--option", "bogus=1"], "no option `bogus`"),
    (["--samples", "ten"], "invalid int value"),
])
def test_run_user_errors_exit_2(args, expected, ponder_cli, tmp_path):
    result = ponder_cli("run", EXAMPLES / "randomwalk" / "randomwalk.model", *args, "--out", tmp_path / "x.nc")
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    if "unknown" in expected:
        assert "available" in result.stderr
