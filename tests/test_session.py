"""ponder.Session from Python (the REPL's commands without a terminal)."""

import io
import re

import numpy as np
import pytest
from rich.console import Console

import ponder
from tests.conftest import EXAMPLES

STRAIGHTWALK = EXAMPLES / "straightwalk" / "straightwalk.model"
TRUTH = {"origin": 100.0, "drift": 0.2, "sigma": 10.0}


def session(*args):
    buffer = io.StringIO()
    return ponder.Session(*args, console=Console(file=buffer, width=120)), buffer


def test_a_model_typed_from_scratch_with_data(tmp_path):
    s, out = session()
    s.add("param a ~ Normal(0, 2)")
    s.add("state x = 0\nstep { x += a }")
    s.add("observe y ~ Normal(x, 1)")
    assert s.model.param_names == ["a"] and s.model.datasets == []
    with pytest.raises(ponder.ModelError, match="no data"):
        s.loglik(a=0.5)
    (tmp_path / "y.csv").write_text("time,y\n1,0.4\n2,1.1\n3,1.4\n")
    s.data(tmp_path / "y.csv")
    assert s.model.datasets[0].n_times == 3
    exact = sum(-0.5 * (y - 0.5 * t) ** 2 - 0.5 * np.log(2 * np.pi) for t, y in ((1, 0.4), (2, 1.1), (3, 1.4)))
    assert s.loglik(a=0.5)["loglik_mean"] == pytest.approx(exact, abs=1e-12)
    assert "y.csv: 3 times" in out.getvalue()


def test_a_mistake_leaves_the_model_as_it_was():
    s, _ = session(STRAIGHTWALK)
    before = s.text
    with pytest.raises(ponder.ModelError, match="undefined name `sigmaa`"):
        s.add("observe position ~ Normal(position, sigmaa)")
    with pytest.raises(ponder.ModelError):
        s.add("param ~ Normal(0, 1)")  # a syntax error
    with pytest.raises(ponder.ModelError) as raised:
        s.add("foo bar")
    assert ":help" in raised.value.render()
    assert s.text == before and not s.edited
    with pytest.raises(ponder.ModelError, match="declares no `sigmaa`"):
        s.drop("sigmaa")


def test_replace_insert_drop_and_save_keep_the_file_tidy(tmp_path):
    s, _ = session(STRAIGHTWALK)
    s.add("param drift ~ Normal(0, 1)  # replaced")
    s.add("param tau ~ Exponential(1)")
    text = s.text
    assert text.count("param drift") == 1 and "Normal(0, 1)  # replaced" in text
    assert text.index("param tau") < text.index("state position")
    assert text.startswith("# The deterministic twin")  # comments of untouched declarations stay
    s.drop("tau")
    (tmp_path / "sub").mkdir()
    saved = s.save(tmp_path / "sub" / "copy.model")
    copy = ponder.load(saved)
    assert copy.param_names == ["origin", "drift", "sigma"]
    assert np.array_equal(copy.datasets[0].values, s.model.datasets[0].values)  # the data path was rebased


def test_commands_parse_like_the_repl(tmp_path):
    s, out = session(STRAIGHTWALK)
    sim = s.command(":simulate origin=100 drift=0.2 sigma=10 seed=3 times=0:40:10")
    assert list(sim["time"].values) == [0, 10, 20, 30, 40]
    assert s.command(":simulate origin=100 drift=0.2 sigma=10 seed=3 times=0:40:10")["position"].equals(sim["position"])
    for bad, message in ((":simulate origin", "is not NAME=VALUE"), (":show extra", "takes no arguments"),
                         (":load", "takes one argument"), (":plot trace", "nothing sampled yet"),
                         (":smaple", "did you mean `:sample`"), (":", "type a command")):
        with pytest.raises(ponder.ModelError, match=message):
            s.command(bad)
    s.command(":help sample")
    assert "Ctrl-C stops the sampling" in out.getvalue()
    with pytest.raises(SystemExit):
        s.command(":quit")


def test_sample_summary_and_plot(tmp_path):
    s, out = session(STRAIGHTWALK)
    s.plot_dir = tmp_path / "plots"
    idata = s.command(":sample samples=60 warmup=60 chains=8 seed=2 sampler=ensemble a=2.5")
    assert (idata.posterior.sizes["chain"], idata.posterior.sizes["draw"]) == (8, 60)
    assert idata.posterior.attrs["sampler"] == "ensemble"
    s.summary()
    fig = s.plot("pair", truth=TRUTH)
    assert (tmp_path / "plots" / "pair.png").stat().st_size > 10_000 and fig.axes
    with pytest.raises(ponder.ModelError, match="no figure `trase`"):
        s.plot("trase")
    with pytest.raises(ponder.ModelError, match="no option `bogus`"):
        s.sample(samples=10, bogus=1)


def test_help_shows_colons_as_typed_not_as_emoji():
    s, out = session()
    s.help()
    s.help("simulate")
    text = out.getvalue()
    assert text.count("times=A:B:STEP") == 2 and "[seed=S]" in text
    assert "🅱" not in text


def test_simulate_without_a_seed_prints_the_seed_it_chose():
    import re

    s, out = session(STRAIGHTWALK)
    first = s.simulate(origin=100, drift=0.2, sigma=10)
    found = re.search(r"simulated straightwalk \(seed (\d+)\)", out.getvalue())
    assert found and "seed None" not in out.getvalue()
    seed = int(found.group(1))
    assert first.attrs["seed"] == seed
    again = s.simulate(origin=100, drift=0.2, sigma=10, seed=seed)
    assert again["position"].equals(first["position"])


def test_summary_after_the_model_changed_says_the_sample_is_of_the_previous_model():
    s, out = session(STRAIGHTWALK)
    s.sample(samples=20, warmup=20, chains=8, seed=1, progress=False)
    s.summary()
    assert "previous model" not in out.getvalue()
    s.add("param tau ~ Exponential(1)")
    s.summary()
    assert "it is a sample of the previous model" in out.getvalue()
    s.drop("tau")  # back to the text that was sampled
    out.truncate(0)
    s.summary()
    assert "previous model" not in out.getvalue()


def test_sample_and_summary_print_the_run_warnings_in_yellow():
    from ponder.runtime.convergence import run_warnings

    buffer = io.StringIO()
    s = ponder.Session(STRAIGHTWALK, console=Console(file=buffer, width=2000, force_terminal=True,
                                                     color_system="standard"))  # wide: a warning is one line
    idata = s.sample(samples=20, warmup=20, chains=8, seed=1, progress=False)
    warnings = run_warnings(idata)
    assert warnings and warnings[0].startswith("not converged")
    assert buffer.getvalue().count("\x1b[1;33mwarning:") == len(warnings)  # after :sample
    buffer.truncate(0)
    buffer.seek(0)
    s.summary()
    text = buffer.getvalue()
    assert text.count("\x1b[1;33mwarning:") == len(warnings)  # bold yellow
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    for line in warnings:
        assert f"warning: {line}" in plain.splitlines()
