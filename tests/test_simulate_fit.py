"""Simulate, then fit, with no file editing: `--data`, `--const` and `simulate --times` without data."""

import json

import numpy as np
import pytest

import ponder
from ponder.cli import main
from tests.conftest import EXAMPLES

STRAIGHTWALK = EXAMPLES / "straightwalk" / "straightwalk.model"
TRUTH = ["-p", "origin=100", "drift=0.5", "sigma=2"]
THETA = {"origin": 100.0, "drift": 0.5, "sigma": 2.0}

# the straight walk with a constant in the dynamics, one fixing a size and one a prior depends on
SCALED = """model scaled
const scale = 1
const K = 2
const width = 1
const bound = 2 * width
param origin ~ Uniform(50, 150)
param drift ~ Uniform(-bound, bound)
param sigma ~ LogNormal(log(10), 1)
state position = origin
state v[K] = 0
step { position += drift * scale }
observe position ~ Normal(position, sigma)
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A folder with the scaled walk (its data file not written yet) and two simulated datasets, as the cwd."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scaled.model").write_text(SCALED + 'data "not-yet.csv"\n')
    for seed, name in ((1, "a.csv"), (2, "b.csv")):
        assert main(["simulate", "scaled.model", *TRUTH, "--times", "0:20:1", "--seed", str(seed), "-o", name]) == 0
    return tmp_path


def _loglik(capsys, *args) -> float:
    capsys.readouterr()
    assert main(["loglik", *map(str, args), *TRUTH, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["loglik_mean"]


def _error(capsys, *args) -> str:
    capsys.readouterr()
    assert main([*map(str, args)]) == 2
    return capsys.readouterr().err


def test_simulate_with_times_needs_no_data_file(folder, capsys):
    rows = (folder / "a.csv").read_text().splitlines()
    assert rows[0] == "time,position" and len(rows) == 22
    assert rows[1].startswith("0,")
    # without times the data are needed: the usual error at the model's `data` line
    err = _error(capsys, "simulate", "scaled.model", *TRUTH)
    assert "data file `not-yet.csv` not found" in err and "scaled.model:13:1" in err


def test_simulate_then_run_on_the_simulated_data_recovers_the_drift(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", str(STRAIGHTWALK), *TRUTH, "--times", "0:100:1", "--seed", "3", "-o", "sim.csv"]) == 0
    assert main(["run", str(STRAIGHTWALK), "--data", "sim.csv", "--samples", "200", "--chains", "8",
                 "--seed", "1", "-o", "fit.nc", "-q"]) == 0
    from ponder.runtime.results import read_results

    idata = read_results(tmp_path / "fit.nc")
    drift = idata.posterior["drift"].values.ravel()
    low, high = np.quantile(drift, [0.03, 0.97])
    assert low < 0.5 < high and high - low < 0.1


def test_two_data_files_are_two_replicates_in_order(folder, capsys):
    model = ponder.load("scaled.model", data=["b.csv", "a.csv"])
    assert [ds.name for ds in model.datasets] == ["b.csv", "a.csv"]
    assert [ds.name for ds in ponder.load("scaled.model", data=["*.csv"]).datasets] == ["a.csv", "b.csv"]
    capsys.readouterr()
    assert main(["check", "scaled.model", "--data", "a.csv", "--data", "b.csv"]) == 0
    out = capsys.readouterr().out
    assert "a.csv" in out and "b.csv" in out and out.index("a.csv") < out.index("b.csv")
    # the replicate likelihood is the sum of the two files' likelihoods
    both = _loglik(capsys, "scaled.model", "--data", "a.csv", "b.csv")
    assert both == pytest.approx(_loglik(capsys, "scaled.model", "--data", "a.csv")
                                 + _loglik(capsys, "scaled.model", "--data", "b.csv"), rel=1e-12)


def test_a_const_override_is_the_model_with_that_const_edited(folder, capsys):
    plain = _loglik(capsys, "scaled.model", "--data", "a.csv")
    scaled = _loglik(capsys, "scaled.model", "--data", "a.csv", "-c", "scale=1.5")
    edited = ponder.loads(SCALED.replace("const scale = 1", "const scale = 1.5"), data=["a.csv"])
    assert scaled != plain and scaled == edited.loglik(THETA)
    assert ponder.load("scaled.model", data=["a.csv"], consts={"scale": 1.5}).loglik(THETA) == scaled


def test_per_file_overrides_from_the_api_and_the_command_line_winning(folder):
    model = ponder.load("scaled.model", data=[("a.csv", {"scale": 1.5}), "b.csv"])
    scale = next(c.offset for c in model.ir.consts if c.name == "scale")
    assert [model.consts(ds)[scale] for ds in model.datasets] == [1.5, 1.0]
    model = ponder.load("scaled.model", data=[("a.csv", {"scale": 1.5}), "b.csv"], consts={"scale": 3})
    assert [model.consts(ds)[scale] for ds in model.datasets] == [3.0, 3.0]
    # a replicate line of the model is overridden the same way
    text = SCALED + 'replicate "a.csv" { const scale = 1.5 }\n'
    assert ponder.loads(text).datasets[0].overrides == (("scale", 1.5),)
    model = ponder.loads(text, consts={"scale": 3})
    assert model.consts(model.datasets[0])[scale] == 3.0


def test_simulate_with_times_and_several_replicates_uses_the_model_constants(folder, capsys):
    (folder / "reps.model").write_text(SCALED + 'replicate "x.csv" { const scale = 3 }\n'
                                       'replicate "y.csv" { const scale = 4 }\n')
    (folder / "one.model").write_text(SCALED + 'replicate "x.csv" { const scale = 3 }\n')

    def simulated(*args):
        capsys.readouterr()
        assert main(["simulate", *args, *TRUTH, "--times", "0:5:1", "--seed", "7"]) == 0
        return capsys.readouterr().out

    base = simulated("scaled.model")
    assert simulated("reps.model") == base  # several replicates: the base constants
    assert simulated("scaled.model", "--data", "a.csv", "b.csv") == base
    assert simulated("reps.model", "-c", "scale=3") == simulated("one.model") != base  # one replicate: its own


def test_mistakes_in_const_and_data_flags_are_user_errors(folder, capsys):
    err = _error(capsys, "loglik", "scaled.model", "--data", "a.csv", *TRUTH, "-c", "scael=2")
    assert "`scael` is not a constant" in err and "did you mean `scale`?" in err and "`K`" in err
    err = _error(capsys, "run", "scaled.model", "--data", "a.csv", "-c", "K=3")
    assert "`K` fixes a size" in err and "state v[K]" in err
    err = _error(capsys, "run", "scaled.model", "--data", "a.csv", "-c", "width=3")
    assert "`width` is used by a prior" in err
    err = _error(capsys, "check", "scaled.model", "-c", "scale=abc")
    assert "`abc` is not a number (in `--const scale=abc`)" in err
    err = _error(capsys, "compare", "scaled.model", "scaled.model", "--data", "a.csv", "nope.csv")
    assert "data file `nope.csv` (given with --data) not found" in err
    err = _error(capsys, "check", "scaled.model", "--data", "sims/*.csv")
    assert "no file matches `sims/*.csv`" in err
    with pytest.raises(ponder.ModelError, match="not a constant"):
        ponder.load("scaled.model", data=[("a.csv", {"N": 500})])


def test_a_bad_data_file_exits_2_without_a_traceback(folder, ponder_cli):
    (folder / "bad.csv").write_text("time,position\n0,1\n1,oops\n")
    proc = ponder_cli("check", "scaled.model", "--data", "bad.csv", cwd=folder)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "`oops` in column `position` is not a number" in proc.stderr and "bad.csv:3" in proc.stderr


def test_worker_processes_see_the_overrides(folder, capsys):
    """The same draws on serial and processes only if the workers rebuild the problem with --data and --const."""
    from ponder.runtime.results import read_results

    base = ["run", "scaled.model", "--data", "a.csv", "b.csv", "-c", "scale=1.5", "--samples", "10", "--warmup", "10",
            "--chains", "8", "--seed", "2", "-q"]
    assert main([*base, "-o", "serial.nc"]) == 0
    assert main([*base, "-o", "procs.nc", "--executor", "processes", "--workers", "2"]) == 0
    serial, procs = read_results(folder / "serial.nc"), read_results(folder / "procs.nc")
    np.testing.assert_array_equal(serial.posterior["drift"].values, procs.posterior["drift"].values)
    np.testing.assert_array_equal(serial.sample_stats["lp"].values, procs.sample_stats["lp"].values)
