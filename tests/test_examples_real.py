"""The examples of real models (reservoir, seasonal-sir, pk-stiff): each is fitted to its
committed data, and every true parameter must lie in the 94% highest-density interval
of the posterior; the committed data are what the README's `ponder simulate` command writes.

The runs are short (a few hundred ensemble iterations, few particles for the stochastic
models) so that each test takes well under half a minute including compilation; the
seeds are fixed. The READMEs give the longer runs and their results.
"""

import warnings

import numpy as np
import pytest

import ponder
from ponder.cli import main

from tests.conftest import EXAMPLES

warnings.filterwarnings("ignore", message=".*ArviZ is undergoing.*")

#: Each example's true parameters and the README's `ponder simulate` arguments that made its data.
TRUTH = {
    "reservoir": {"k": 0.25, "sigma_rain": 0.5, "sigma_obs": 0.1},
    "seasonal-sir": {"beta": 0.025, "kappa": 1.0, "rho": 0.3},
    "pk-stiff": {"CL": 10.0, "V": 12.0, "ka": 8.0, "sigma": 0.1},
}
SIMULATE = {
    "reservoir": ("flow.csv", ["--times", "1:60:1", "--seed", "12"]),
    "seasonal-sir": ("reported.csv", ["--times", "7:140:7", "--seed", "3"]),
    "pk-stiff": ("conc.csv", ["--times", "0.05,0.1,0.15,0.2,0.25,0.35,0.5,0.75,1,1.5,2,3,4,6,8,12,16,24,30,36,42,48",
                              "--seed", "5"]),
}


def model_path(name: str):
    return EXAMPLES / name / f"{name}.model"


def hdi94(draws) -> tuple[float, float]:
    """The shortest interval holding 94% of the draws (ArviZ's `hdi` for one mode)."""
    x = np.sort(np.ravel(draws))
    n = len(x)
    k = int(np.floor(0.94 * n))
    widths = x[k:] - x[: n - k]
    i = int(np.argmin(widths))
    return float(x[i]), float(x[i + k])


def fit_and_check(name: str, capsys, **settings) -> dict:
    """`ponder check` the example, sample its posterior, and check that the truth is in every 94% HDI."""
    assert main(["check", str(model_path(name))]) == 0
    capsys.readouterr()
    model = ponder.load(model_path(name))
    idata = model.sample(**settings)
    intervals = {}
    for param, true in TRUTH[name].items():
        draws = idata.posterior[param].values
        assert draws.shape == (settings["chains"], settings["samples"])
        intervals[param] = hdi94(draws)
    missed = {p: (TRUTH[name][p], iv) for p, iv in intervals.items() if not iv[0] <= TRUTH[name][p] <= iv[1]}
    assert not missed, f"true values outside the 94% HDI: {missed}"
    return intervals


def test_reservoir_recovers_the_truth(capsys):
    model = ponder.load(model_path("reservoir"))
    assert not model.is_deterministic  # the rainfall error: a particle filter
    fit_and_check("reservoir", capsys, samples=250, warmup=250, chains=8, particles=64, seed=1)


def test_seasonal_sir_recovers_the_truth(capsys):
    model = ponder.load(model_path("seasonal-sir"))
    assert model.observed_names == ["reported_0", "reported_1", "reported_2"]
    fit_and_check("seasonal-sir", capsys, samples=150, warmup=150, chains=8, particles=32, seed=1)


def test_pk_stiff_recovers_the_truth(capsys):
    model = ponder.load(model_path("pk-stiff"))
    assert model.is_deterministic  # the exact likelihood
    intervals = fit_and_check("pk-stiff", capsys, samples=500, warmup=500, chains=4, seed=1)
    # the data pin clearance and volume down to about +-5%
    assert intervals["CL"][1] - intervals["CL"][0] < 0.2 * TRUTH["pk-stiff"]["CL"]


@pytest.mark.parametrize("name", sorted(SIMULATE))
def test_the_readme_simulate_command_writes_the_committed_data(name, tmp_path, capsys):
    data, args = SIMULATE[name]
    out = tmp_path / data
    params = [f"{p}={v:g}" for p, v in TRUTH[name].items()]
    assert main(["simulate", str(model_path(name)), "-p", *params, *args, "-o", str(out)]) == 0
    assert out.read_bytes() == (EXAMPLES / name / data).read_bytes()
