"""Figures of run results: which kinds apply, what they show, and the files written."""

import json

import numpy as np
import pytest
from matplotlib.figure import Figure

import ponder
from ponder import plots
from ponder.runtime import arviz_io
from ponder.runtime.run import sample
from tests.conftest import EXAMPLES

TRUTH = {"origin": 100, "drift": 0.2, "sigma": 10}


def _run(name, **settings):
    model = ponder.load(EXAMPLES / name / f"{name}.model")
    return model, sample(model, seed=1, **settings)


@pytest.fixture(scope="module")
def randomwalk():
    return _run("randomwalk", samples=40, warmup=40, chains=8, particles="64")


@pytest.fixture(scope="module")
def straightwalk():
    return _run("straightwalk", samples=40, warmup=40, chains=8)


@pytest.fixture(scope="module")
def tempering():
    return _run("straightwalk", sampler="pt", samples=16, chains=6)


@pytest.fixture(scope="module")
def replicates():
    return _run("randomwalk-replicates", samples=20, warmup=20, chains=8, particles="64")


DETERMINISTIC_REPLICATES = """
model straight_replicates
param origin ~ Uniform(50, 150)
param drift  ~ Uniform(-1, 1)
param sigma  ~ LogNormal(log(10), 1)
state position = origin
step { position += drift }
observe position ~ Normal(position, sigma)
replicate "a/walk.csv" { }
replicate "b/walk.csv" { }
replicate "c.csv" { }
"""


@pytest.fixture(scope="module")
def deterministic_replicates(tmp_path_factory):
    """A deterministic model with three replicate lines: an exact likelihood for each dataset."""
    folder = tmp_path_factory.mktemp("detrep")
    data = (EXAMPLES / "straightwalk" / "straightwalk.csv").read_text()
    for name in ("a/walk.csv", "b/walk.csv", "c.csv"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(data)
    (folder / "straight_replicates.model").write_text(DETERMINISTIC_REPLICATES)
    model = ponder.load(folder / "straight_replicates.model")
    return model, sample(model, seed=1, samples=20, warmup=20, chains=8)


def _labels(fig):
    return {label for ax in fig.axes for label in (ax.get_xlabel(), ax.get_ylabel()) if label}


def _line(where, label):
    """The line called ``label`` in a figure or in one of its axes."""
    axes = where.axes if isinstance(where, Figure) else [where]
    return next(line for ax in axes for line in ax.get_lines() if line.get_label() == label)


def test_an_unknown_kind_is_refused_with_the_list_of_kinds(straightwalk):
    model, idata = straightwalk
    with pytest.raises(ValueError, match="trace, pair, predictive"):
        plots.figure(idata, "violin", model=model)
    with pytest.raises(ValueError, match="violin"):
        plots.write_figures(idata, "unused", kinds=["violin"], model=model)


@pytest.mark.parametrize(
    "run, missing",
    [("randomwalk", set()), ("straightwalk", {"pf"}), ("tempering", {"pf"}), ("replicates", set()),
     ("deterministic_replicates", {"pf"})],
)
def test_every_kind_is_a_figure_unless_the_results_have_nothing_for_it(run, missing, request):
    model, idata = request.getfixturevalue(run)
    for kind in plots.KINDS:
        fig = plots.figure(idata, kind, model=model)
        assert (fig is None) == (kind in missing), kind
        if fig is not None:
            assert isinstance(fig, Figure) and fig.get_suptitle()


def test_latent_is_none_without_state_trajectories(straightwalk):
    model, idata = straightwalk
    without = idata.copy()
    arviz_io.set_group(without, "posterior", arviz_io.group(without, "posterior").drop_vars("position"))
    assert plots.figure(without, "latent", model=model) is None


def test_trace_has_a_row_per_parameter_with_the_prior_overlaid(randomwalk):
    model, idata = randomwalk
    fig = plots.figure(idata, "trace", truth=TRUTH, model=model)
    assert len(fig.axes) == 2 * len(model.param_names)
    assert set(model.param_names) <= _labels(fig)
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert {"posterior", "prior", "truth"} <= set(legend)
    prior = _line(fig, "prior")
    density = np.asarray(prior.get_ydata())  # exact: zero outside the support, which the axis may show
    assert prior.get_linestyle() == "--" and np.all(density >= 0) and np.any(density > 0)
    traces = fig.axes[0].get_lines()
    assert sum(len(line.get_xdata()) == 80 for line in traces) == 8  # one line per chain, warm-up included


def test_the_prior_overlay_is_the_exact_density(randomwalk):
    from scipy import stats

    model, idata = randomwalk
    fig = plots.figure(idata, "trace", model=model)
    priors = {ax.get_xlabel(): _line(ax, "prior") for ax in fig.axes[1::2]}
    drift = priors["drift"]  # Uniform(-1, 1): flat at 1/2 up to its edges, where a KDE of draws sags
    inside = np.abs(drift.get_xdata()) <= 1
    assert np.allclose(np.asarray(drift.get_ydata())[inside], 0.5)
    sigma = priors["sigma"]  # SPUX's log-normal of mean 10 and sd 1
    sdlog = np.sqrt(np.log(1.01))
    expected = stats.lognorm(s=sdlog, scale=np.exp(np.log(10) - sdlog**2 / 2)).pdf(sigma.get_xdata())
    assert np.allclose(sigma.get_ydata(), expected, rtol=1e-10)


def test_prior_densities_only_where_the_marginal_is_known():
    model = ponder.loads("""
const K = 3
const w = [1, 2, 4]
param a ~ Uniform(0, K * w[2])
param b[2] ~ Normal(a, 1)
param c ~ Exponential(1 / K)
state x = 0
step { x += a + b[0] + c }
observe y ~ Normal(x, 1)
""")
    densities = plots.prior_densities(model)
    assert set(densities) == {"a", "c"}  # b's mean is a parameter: no closed form of its marginal
    assert np.allclose(densities["a"](np.array([-1.0, 0.5, 11.9, 12.5])), [0, 1 / 12, 1 / 12, 0])
    assert np.allclose(densities["c"](np.array([0.0, 3.0])), [1 / 3, np.exp(-1) / 3])


def test_pair_marks_the_truth_and_names_it_in_the_title(randomwalk):
    model, idata = randomwalk
    fig = plots.figure(idata, "pair", truth=TRUTH, model=model)
    assert {"origin", "drift", "sigma"} <= _labels(fig)
    assert "truth" in fig.get_suptitle() and "origin=100" in fig.get_suptitle()
    verticals = [line for ax in fig.axes for line in ax.get_lines() if list(line.get_xdata()) == [100, 100]]
    assert len(verticals) == 3  # the origin column: its histogram and two scatter panels
    assert "truth" not in plots.figure(idata, "pair", model=model).get_suptitle()


def test_predictive_has_a_median_point_per_data_time(randomwalk):
    model, idata = randomwalk
    fig = plots.figure(idata, "predictive", model=model)
    n_times = idata.observed_data["position"].size
    assert len(_line(fig, "median").get_xdata()) == n_times
    assert len(_line(fig, "data").get_xdata()) == n_times
    assert {"time", "position"} <= _labels(fig)


def _titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_visible()]


def test_replicates_get_a_panel_each_titled_by_its_data_file(replicates):
    model, idata = replicates
    files = [f"experiment{r}.csv" for r in (1, 2, 3)]
    assert _titles(plots.figure(idata, "predictive", model=model)) == [f"position, {f}" for f in files]
    assert _titles(plots.figure(idata, "latent", model=model)) == [f"position, {f}" for f in files]
    pf = plots.figure(idata, "pf", model=model)
    assert set(files) <= {t.get_text() for ax in pf.axes if ax.get_legend() for t in ax.get_legend().get_texts()}


def test_replicate_names_from_the_results_else_the_model_else_numbers(replicates, deterministic_replicates):
    model, idata = replicates
    assert plots.replicate_labels(idata) == [f"experiment{r}.csv" for r in (1, 2, 3)]  # the results name them
    bare = idata.copy()
    del bare.posterior.attrs["datasets"]  # results of an older version: nothing to name them
    assert plots.replicate_labels(bare) == ["replicate 0", "replicate 1", "replicate 2"]
    assert plots.replicate_labels(bare, model=_StubModel()) == ["replicate 0", "replicate 1", "replicate 2"]
    stored = idata.copy()
    stored.posterior.attrs["datasets"] = json.dumps(["x/one.csv", "x/two.csv", "x/three.csv"])
    assert _titles(plots.figure(stored, "predictive")) == ["position, one.csv", "position, two.csv",
                                                           "position, three.csv"]
    model, idata = deterministic_replicates  # two files called walk.csv: their folders tell them apart
    assert plots.replicate_labels(idata, model) == ["a/walk.csv", "b/walk.csv", "c.csv"]


def test_no_particle_filter_figure_for_exact_likelihoods(deterministic_replicates, replicates):
    _, idata = deterministic_replicates
    assert not plots.has_particle_filter(idata)
    assert plots.has_particle_filter(replicates[1])
    older = idata.copy()  # results without final_particles: the recorded counts (1 per dataset) say it
    del older.posterior.attrs["final_particles"]
    assert not plots.has_particle_filter(older) and plots.figure(older, "pf") is None


def test_latent_overlays_the_data_of_a_state_named_like_a_column(randomwalk):
    model, idata = randomwalk
    fig = plots.figure(idata, "latent", model=model)
    assert len(_line(fig, "data").get_xdata()) == idata.observed_data["position"].size
    assert "position" in _labels(fig)


def test_pf_diagnostics_and_older_results_without_the_newer_stats(randomwalk):
    model, idata = randomwalk
    fig = plots.figure(idata, "pf", model=model)
    assert {"particles", "log-likelihood", "ESS"} <= _labels(fig)
    particles = next(ax for ax in fig.axes if ax.get_ylabel() == "particles")
    assert particles.get_yscale() == "log" and particles.get_ylim()[0] > 0
    assert next(ax for ax in fig.axes if ax.get_ylabel() == "log-likelihood").get_yscale() == "linear"
    old = idata.copy()
    for group in ("sample_stats", "warmup_sample_stats"):
        stats = arviz_io.group(old, group)
        arviz_io.set_group(old, group, stats.drop_vars([v for v in ("loglik_sd", "pf_ess", "failed_estimates",
                                                                     "resets") if v in stats]))
    fig = plots.figure(old, "pf", model=model)
    assert "smallest ESS" in _labels(fig) and "failed estimates" not in _labels(fig)
    assert plots.figure(old, "sampler", model=model) is not None


def test_sampler_shows_the_tempering_schedule_and_rounds(tempering):
    model, idata = tempering
    fig = plots.figure(idata, "sampler", model=model)
    assert {"acceptance rate", "inverse temperature β", "swap acceptance", "barrier Λ", "log Z"} <= _labels(fig)
    betas = json.loads(idata.posterior.attrs["pt_schedule"])
    schedule = next(ax for ax in fig.axes if ax.get_ylabel() == "inverse temperature β").get_lines()[0]
    assert np.allclose(schedule.get_ydata(), betas)
    older = idata.copy()
    del older.posterior.attrs["pt_swap_rates"]
    assert "swap acceptance" not in _labels(plots.figure(older, "sampler", model=model))


class _StubModel:
    """What the Q-Q figure needs of a model: names, datasets and the residuals."""

    param_names = ["origin", "drift", "sigma"]
    observed_names = ["position", "count"]
    datasets = [None, None]

    def __init__(self):
        self.calls = []

    def standardised_residuals(self, params, replicate=0, seed=0):
        self.calls.append((dict(params), replicate))
        z = np.random.default_rng(replicate).standard_normal((30, 2))
        z[0, 1] = np.nan  # missing data
        return z


def test_qq_pools_replicates_per_column_with_a_reference_line_and_envelope(randomwalk):
    _, idata = randomwalk
    stub = _StubModel()
    fig = plots.figure(idata, "qq", model=stub)
    assert [r for _, r in stub.calls] == [0, 1]
    assert set(stub.calls[0][0]) == set(stub.param_names)
    assert {"one-step-ahead residual of position", "one-step-ahead residual of count"} <= _labels(fig)
    points = [len(_line(ax, "residuals").get_xdata()) for ax in fig.axes]
    assert points == [60, 58]  # 2 replicates x 30 times, less one missing value in each
    for ax in fig.axes:
        reference = _line(ax, "y = x")
        assert np.allclose(reference.get_xdata(), reference.get_ydata())
        assert any(c.get_label() == "95% envelope" for c in ax.collections)


def test_write_figures_writes_readable_files_of_the_expected_size(straightwalk, tmp_path):
    from PIL import Image

    model, idata = straightwalk
    paths = plots.write_figures(idata, tmp_path / "figs", formats=("png", "svg"), truth=TRUTH, model=model)
    kinds = [k for k in plots.KINDS if k != "pf"]
    assert sorted(p.name for p in paths) == sorted(f"{k}.{f}" for k in kinds for f in ("png", "svg"))
    for path in paths:
        assert path.stat().st_size > 1000
    for kind in kinds:
        fig = plots.figure(idata, kind, truth=TRUTH, model=model)
        width, height = fig.get_size_inches() * plots.DPI
        with Image.open(tmp_path / "figs" / f"{kind}.png") as image:
            assert image.size == (round(width), round(height))
    only = plots.write_figures(idata, tmp_path / "pf", kinds=["pf"], model=model)
    assert only == [] and (tmp_path / "pf").is_dir()


def test_model_of_rebuilds_the_model_from_the_results(straightwalk):
    model, idata = straightwalk
    rebuilt = plots.model_of(idata)
    assert rebuilt.param_names == model.param_names
    assert rebuilt.name == model.name
    assert len(rebuilt.datasets) == len(model.datasets)
