"""Simulation-based calibration (``ponder.sbc``, ``ponder sbc``): the statistics against exact answers, calibrated
samplers pass, a miscalibrated one fails, and the result does not depend on the executor or on an interruption."""

import argparse
import json
import math

import numpy as np
import pytest

import ponder
from ponder import cli_sbc
from ponder.lang.errors import ModelError
from ponder.plugins.hookspecs import hookimpl
from ponder.plugins.manager import plugins
from ponder.runtime.samplers import MetropolisSampler
from ponder.sbc import (LEVELS, SIMULATIONS, SBCResult, ecdf_band, ecdf_difference, rank_histogram, ranks_of,
                        read_result, sbc, sbc_section_html, uniformity_p_value)

CONJUGATE = 'param mu ~ Normal(0, 1)\nstate m = mu\nobserve y ~ Normal(m, 1)\ndata "y.csv"\n'
TWO = ('param mu ~ Normal(0, 1)\nparam nu[2] ~ Normal(0, 1)\nstate m = mu\nstate n = nu[0] - nu[1]\n'
       'observe y ~ Normal(m, 1)\nobserve v ~ Normal(n, 1)\ndata "yv.csv"\n')
STOCHASTIC = ('param a ~ Normal(0, 1)\nstate x = a\nstep { e ~ Normal(0, 0.5); x += e }\n'
              'observe y ~ Normal(x, 1)\ndata "z.csv"\n')


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    where = tmp_path_factory.mktemp("sbc")
    (where / "y.csv").write_text("time,y\n1,0.3\n2,\n3,-0.2\n4,1.1\n5,0.4\n")  # one missing value, kept missing
    (where / "yv.csv").write_text("time,y,v\n1,0.3,1\n2,0.1,0\n3,-0.2,2\n")
    (where / "z.csv").write_text("time,y\n1,0\n2,0\n3,0\n")
    return where


def _model(folder, text):
    return ponder.loads(text, base_dir=folder)


# ---------------------------------------------------------------- statistics against exact answers
def test_uniform_ranks_give_uniform_p_values():
    """For ranks that are uniform by construction the p-value is uniform: 10% below 0.1, mean 1/2."""
    rng = np.random.default_rng(11)
    n = 300
    p = np.array([uniformity_p_value(rng.integers(0, 100, size=50), 99) for _ in range(n)])
    assert abs(np.mean(p < 0.1) - 0.1) < 4 * math.sqrt(0.1 * 0.9 / n)
    assert abs(np.mean(p) - 0.5) < 4 * math.sqrt(1 / 12 / n)
    assert np.mean(p < 0.01) < 0.01 + 4 * math.sqrt(0.01 * 0.99 / n)


def test_strongly_non_uniform_ranks_have_tiny_p_values():
    rng = np.random.default_rng(12)
    high = rng.integers(60, 101, size=100)  # truth too often high: draws biased low
    u_shape = np.concatenate([rng.integers(0, 10, size=50), rng.integers(91, 101, size=50)])  # too narrow
    middle = rng.integers(35, 66, size=100)  # too wide
    for ranks in (high, u_shape, middle):
        assert uniformity_p_value(ranks, 100) < 1e-6
    assert uniformity_p_value(np.arange(101), 100) > 0.99  # exactly even ranks


def test_simultaneous_band_has_its_coverage():
    """Fresh uniform rank sets stay inside the simultaneous 95% band everywhere 95% of the time (binomial SE),
    and leaving the band is the same event as a p-value below 0.05."""
    M, L, n = 40, 39, 4000
    band = ecdf_band(M, L, 0.95)
    k = np.round(band["z"] * (L + 1)).astype(int)
    ranks = np.random.default_rng(13).integers(0, L + 1, size=(n, M))
    ecdf = (ranks[:, :, None] < k[None, None, :]).mean(axis=1)
    inside = np.all((ecdf >= band["lower"] - 1e-12) & (ecdf <= band["upper"] + 1e-12), axis=1)
    se = math.sqrt(0.95 * 0.05 / n)
    assert abs(inside.mean() - 0.95) < 4 * se + 0.005  # 0.005: the band's own simulation error
    # the band is simultaneous: wider than the pointwise 95% band in the middle
    from scipy import stats

    mid = len(k) // 2
    assert band["upper"][mid] * M >= stats.binom.ppf(0.975, M, band["z"][mid])
    p = np.array([uniformity_p_value(r, L) for r in ranks[:400]])
    assert np.all(p[inside[:400]] > 0.05) and np.all(p[~inside[:400]] <= 0.05 + 1 / SIMULATIONS)


def test_ecdf_difference_and_histogram_of_exact_ranks():
    ranks = np.arange(21).repeat(2)  # every rank twice: the ECDF is exactly uniform at the rank grid
    e = ecdf_difference(ranks, 20)
    assert np.allclose(e["difference"], 0.0)
    assert np.all(e["lower"] < 0) and np.all(e["upper"] > 0)
    h = rank_histogram(ranks, 20, bins=7)
    assert h["counts"].sum() == len(ranks) and np.allclose(h["expected"], h["counts"])
    assert np.all(h["lower"] <= h["expected"]) and np.all(h["expected"] <= h["upper"])


def test_ties_are_broken_at_random():
    """A truth equal to every draw gets a uniform rank on 0..L, not always 0 or L."""
    rng = np.random.default_rng(14)
    ranks = np.array([ranks_of(np.array([1.0]), np.ones((9, 1)), rng)[0] for _ in range(2000)])
    assert set(ranks) == set(range(10))
    assert abs(ranks.mean() - 4.5) < 4 * math.sqrt(99 / 12 / 2000)


def test_result_json_round_trip_and_html():
    rng = np.random.default_rng(15)
    ranks = rng.integers(0, 11, size=(30, 2))
    inside = {level: rng.random((30, 2)) < int(level) / 100 for level in LEVELS}
    result = SBCResult(["a", "w[0]"], ranks, 10, inside, rng.normal(size=(30, 2)), seed=3, model="m")
    data = result.to_json()
    assert set(data["parameters"]) == {"a", "w[0]"} and isinstance(data["passed"], bool)
    for entry in data["parameters"].values():
        assert isinstance(entry["p_value"], float) and set(entry["coverage"]) == {"50", "80", "95"}
    json.dumps(data, allow_nan=False)
    assert SBCResult.from_json(json.loads(json.dumps(data))).to_json() == data
    section = sbc_section_html(result)
    assert section.startswith('<section id="sbc">') and "w[0]" in section and section.count("<img") == 2


# ---------------------------------------------------------------- calibrated samplers pass
@pytest.mark.parametrize("sampler, settings", [
    ("ensemble", dict(samples=20, warmup=20, chains=8)),
    ("mh", dict(samples=40, warmup=40)),
    ("pt", dict(samples=64)),
])
def test_sbc_passes_for_builtin_samplers(folder, sampler, settings):
    result = sbc(_model(folder, CONJUGATE), sampler=sampler, datasets=40, draws=20, seed=1, **settings)
    assert result.passed, result.p_values
    se = result.coverage_se()
    for level, value in result.coverage("mu").items():
        assert abs(value - int(level) / 100) <= 4 * se[level] + 1e-9, (level, value)


@pytest.mark.parametrize("sampler, settings", [
    ("ensemble", dict(samples=15, warmup=15, chains=8)),
    ("mh", dict(samples=40, warmup=40)),
    ("pt", dict(samples=32, chains=4)),  # pt's mh explorer: replicas keep their estimates (pseudo-marginal)
])
def test_sbc_passes_with_a_particle_filter(folder, sampler, settings):
    result = sbc(_model(folder, STOCHASTIC), sampler=sampler, datasets=25, draws=20, seed=1, particles=16,
                 **settings)
    assert result.passed, result.p_values


# ---------------------------------------------------------------- a miscalibrated sampler fails
class _ShiftedTarget:
    """The target seen through a shift of the first coordinate: a chain on it samples the posterior moved by +1."""

    def __init__(self, target):
        self._target = target
        self._shift = np.zeros(target.dim)
        self._shift[0] = 1.0

    def __getattr__(self, name):
        return getattr(self._target, name)

    def evaluate(self, z, keys, adapt=False):
        return self._target.evaluate(np.asarray(z) - self._shift, keys, adapt)

    def initial(self, rows, tries=100):
        state = self._target.initial(rows, tries)
        state["z"] = state["z"] + self._shift  # its evaluations are those of z - shift, as evaluate's
        return state


class ShiftedMetropolis(MetropolisSampler):
    """Miscalibrated on purpose: random-walk Metropolis whose first parameter's draws are all too high by 1."""

    name = "shifted-mh"

    def __init__(self, target, chains=None, **options):
        super().__init__(_ShiftedTarget(target), chains, **options)


class ShiftedPlugin:
    @hookimpl
    def ponder_add_samplers(self, registry):
        registry.add("shifted-mh", ShiftedMetropolis, "Metropolis biased by +1 in its first parameter (for tests)")


def _command(*argv):
    parser = argparse.ArgumentParser()
    cli_sbc.add_parser(parser.add_subparsers())
    args = parser.parse_args(["sbc", *map(str, argv)])
    return args.func(args)


def test_sbc_fails_for_a_shifted_sampler(folder, tmp_path, capsys):
    """The validator validated: `ponder sbc` exits 1, the shifted parameter's p-value is tiny, the others pass."""
    plugins().register(ShiftedPlugin(), name="shifted-test")
    try:
        code = _command(_two(folder), "--sampler", "shifted-mh", "--datasets", 20,
                        "--draws", 20, "--samples", 30, "--warmup", 30, "--seed", 2, "--out", tmp_path / "out", "-q")
    finally:
        plugins().unregister("shifted-test")
    assert code == 1
    shown = capsys.readouterr().out
    assert "FAIL" in shown and "SBC FAILED for mu" in shown
    data = json.loads((tmp_path / "out" / "sbc.json").read_text())
    assert data["passed"] is False and data["failed"] == ["mu"]
    assert data["parameters"]["mu"]["p_value"] < 1e-6
    assert list(data["parameters"]) == ["mu", "nu[0]", "nu[1]"]
    assert min(data["parameters"][name]["p_value"] for name in ("nu[0]", "nu[1]")) > data["threshold"]
    assert data["parameters"]["mu"]["coverage"]["95"] < 0.95 - 3 * data["parameters"]["mu"]["coverage_se"]["95"]
    assert (tmp_path / "out" / "ranks.png").stat().st_size > 0 and (tmp_path / "out" / "ecdf.png").stat().st_size > 0
    assert read_result(tmp_path / "out").to_json() == data


def _two(folder):
    path = folder / "two.model"
    path.write_text(TWO)
    return path


# ---------------------------------------------------------------- executors, resume, the command, mistakes
TINY = dict(sampler="mh", datasets=4, draws=10, seed=5, samples=20, warmup=20)


def test_same_result_on_serial_threads_and_processes(folder):
    model = ponder.load(_two(folder))  # the workers load it from its file
    serial = sbc(model, **TINY).to_json()
    assert sbc(model, executor="threads", workers=2, **TINY).to_json() == serial
    assert sbc(model, executor="processes", workers=2, **TINY).to_json() == serial


def test_resume_gives_the_same_result_as_an_uninterrupted_run(folder, tmp_path):
    model = _model(folder, CONJUGATE)
    settings = dict(sampler="mh", datasets=6, draws=10, seed=7, samples=20, warmup=20)
    whole = sbc(model, out=tmp_path / "whole", **settings).to_json()
    assert json.loads((tmp_path / "whole" / "sbc.json").read_text()) == whole
    assert len(list((tmp_path / "whole" / "datasets").glob("*.json"))) == 6

    def stop_after_three(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sbc(model, out=tmp_path / "cut", progress=stop_after_three, **settings)
    assert len(list((tmp_path / "cut" / "datasets").glob("*.json"))) == 3
    ticks = []
    resumed = sbc(model, out=tmp_path / "cut", resume=True, progress=lambda done, total: ticks.append(done),
                  **settings)
    assert ticks == [4, 5, 6]  # once per dataset run now, counting the three reused
    assert resumed.to_json() == whole
    # a different seed shares nothing with the folder: every dataset runs again
    ticks.clear()
    sbc(model, out=tmp_path / "cut", resume=True, progress=lambda done, total: ticks.append(done),
        **{**settings, "seed": 8, "datasets": 2})
    assert ticks == [1, 2]


def test_the_command_prints_json_and_exits_0_when_passed(folder, capsys):
    path = folder / "conjugate.model"
    path.write_text(CONJUGATE)
    code = _command(path, "--sampler", "mh", "--datasets", 4, "--draws", 10, "--samples", 20, "--warmup", 20,
                    "--json", "-q", "--option", "scale=0.8")
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["passed"] is True
    assert set(data["parameters"]["mu"]) >= {"p_value", "coverage"} and data["settings"]["options"] == {"scale": 0.8}


@pytest.mark.parametrize("call, text", [
    (lambda m: sbc(m, datasets=0), "whole number of datasets of at least 1, not `0`"),
    (lambda m: sbc(m, draws=2.5), "posterior draws per dataset of at least 1, not `2.5`"),
    (lambda m: sbc(m, sampler="mhh"), "mhh"),
    (lambda m: sbc(m, sampler="mh", method="npe"), "not both"),
    (lambda m: sbc(m, resume=True), "`--resume` needs `--out DIR`"),
    (lambda m: sbc(m, alpha=1.5), "between 0 and 1"),
    (lambda m: sbc(m, sampler="mh", scal=0.5), "no option `scal`"),
    (lambda m: sbc(m, sampler="mh", samples=0), "samples"),
    (lambda m: sbc(m, sampler="mh", datasets=1, draws=50, samples=5, warmup=5, chains=2),
     "a run gave 10 posterior draws"),
])
def test_user_errors_are_model_errors(folder, call, text):
    with pytest.raises(ModelError) as err:
        call(_model(folder, CONJUGATE))
    assert text in err.value.render()


def test_a_model_without_data_is_a_user_error():
    model = ponder.loads("param a ~ Normal(0, 1)\nstate x = a\nobserve y ~ Normal(x, 1)\n")
    with pytest.raises(ModelError, match="has no dataset"):
        sbc(model)


def test_ponder_sbc_is_callable():
    import ponder.sbc as module

    assert callable(module) and module.sbc is sbc


def test_plot_and_report_read_an_sbc_folder(folder, tmp_path, ponder_cli):
    """`ponder plot DIR` draws the rank and ECDF figures of `ponder sbc --out DIR`; `ponder report` makes its page."""
    model = _model(folder, CONJUGATE)
    sbc(model, out=tmp_path / "cal", **TINY)
    figures = ponder_cli("plot", tmp_path / "cal", "--out", tmp_path / "fig")
    assert figures.returncode == 0, figures.stderr
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == ["ecdf.png", "ranks.png"]
    report = ponder_cli("report", tmp_path / "cal" / "sbc.json", "--out", tmp_path / "r.html")
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "r.html").read_text()
    assert 'id="sbc"' in page and "data:image/png;base64," in page and "mu" in page
    (tmp_path / "other.json").write_text("{}")
    wrong = ponder_cli("report", tmp_path / "other.json", "--out", tmp_path / "x.html")
    assert wrong.returncode == 2 and "is not the result of `ponder sbc`" in wrong.stderr
