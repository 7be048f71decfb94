"""Plugin contracts: declared options, capability-based choices, the replicates combiner, resume with options."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ponder
from ponder.lang.errors import ModelError
from ponder.plugins.hookspecs import hookimpl
from ponder.plugins.manager import plugins
from ponder.plugins.options import Option, coerce_options
from ponder.runtime import checkpoint
from ponder.runtime.likelihoods import DirectLikelihood
from ponder.runtime.likelihoods.replicates import Replicates
from tests.conftest import EXAMPLES, ROOT

STRAIGHT = EXAMPLES / "straightwalk" / "straightwalk.model"


# ------------------------------------------------------------ options
def test_options_are_coerced_and_checked():
    declared = (Option("a", float, 2.0, minimum=1.0), Option("n", int, 0), Option("kind", str, "x", choices=("x", "y")),
                Option("flag", bool, False))
    assert coerce_options(declared, {"a": "2.5", "n": "3", "kind": "y", "flag": "yes"}, "it") == \
        {"a": 2.5, "n": 3, "kind": "y", "flag": True}
    with pytest.raises(ModelError, match="takes a number"):
        coerce_options(declared, {"a": "abc"}, "it")
    with pytest.raises(ModelError, match="at least 1"):
        coerce_options(declared, {"a": 0.5}, "it")
    with pytest.raises(ModelError, match="whole number"):
        coerce_options(declared, {"n": 2.5}, "it")
    with pytest.raises(ModelError, match="one of") as info:
        coerce_options(declared, {"kind": "z"}, "it")
    with pytest.raises(ModelError, match="has no option `b`") as info:
        coerce_options(declared, {"b": 1}, "it")
    assert "`a`" in info.value.hint


def test_every_builtin_sampler_and_likelihood_declares_its_options():
    for registry in (plugins().samplers, plugins().likelihoods):
        for entry in registry.entries.values():
            assert getattr(entry.value, "options", None) is not None, entry.name


def test_bad_option_on_the_command_line_is_a_user_error(ponder_cli):
    result = ponder_cli("run", STRAIGHT, "--samples", "5", "--option", "scale=abc", "--quiet")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "option `scale` of the `mh` sampler takes a number" in result.stderr  # mh: the default sampler
    result = ponder_cli("run", STRAIGHT, "--samples", "5", "--sampler", "ensemble", "--option", "bogus=1", "--quiet")
    assert result.returncode == 2 and "has no option `bogus`" in result.stderr and "`de`" in result.stderr


def test_plugins_command_lists_declared_options(ponder_cli):
    result = ponder_cli("plugins", "ensemble")
    assert result.returncode == 0, result.stderr
    assert "a (float, default 2.0)" in result.stdout and "reset (int, default 0)" in result.stdout
    assert ponder_cli("plugins", "ensembel").returncode == 2


def test_likelihood_options_reach_the_likelihood(tmp_path):
    model = ponder.load(EXAMPLES / "randomwalk" / "randomwalk.model")
    idata = model.sample(samples=4, warmup=4, chains=8, particles="64:1024", seed=1, target_sd=0.25)
    loose = model.sample(samples=4, warmup=4, chains=8, particles="64:1024", seed=1, target_sd=4.0)
    # a smaller target sd needs more particles
    assert idata.sample_stats["particles"].values.mean() > loose.sample_stats["particles"].values.mean()


def write_model(folder, infer: str):
    (folder / "y.csv").write_text("time,y\n" + "\n".join(f"{t},{0.3 * t}" for t in range(1, 11)) + "\n")
    path = folder / "m.model"
    path.write_text(f'param a ~ Normal(0, 1)\nstate x = a\nobserve y ~ Normal(x, 1)\ndata "y.csv"\n{infer}\n')
    return path


def test_infer_block_accepts_declared_options_of_the_chosen_sampler(tmp_path):
    model = ponder.load(write_model(tmp_path, "infer { sampler = ensemble; a = 3; samples = 20 }"))
    assert model.infer_defaults == {"sampler": "ensemble", "samples": 20, "a": 3.0}
    model = ponder.load(write_model(tmp_path, "infer { scale = 0.3; target_accept = 0.3 }"))  # the default's (mh)
    assert model.infer_defaults == {"scale": 0.3, "target_accept": 0.3}


@pytest.mark.parametrize("infer, message", [
    ("infer { a = 2 }", "unknown `infer` setting `a`"),  # ensemble's option, but the sampler is mh
    ("infer { sampler = ensemble; a = 0.5 }", "must be at least 1"),
    ("infer { sampler = mhh }", "unknown sampler `mhh`"),
    ("infer { samples = 0 }", "must be at least 1"),
])
def test_infer_block_mistakes_are_located(tmp_path, infer, message):
    with pytest.raises(ModelError, match=message) as info:
        ponder.load(write_model(tmp_path, infer))
    assert info.value.span is not None and info.value.span.line == 5
    assert "m.model:5:" in info.value.render()


# ------------------------------------------------------------ capabilities, not names
class ExactCopy(DirectLikelihood):
    """A third party's exact likelihood: the same numbers as `direct`, under another name and class."""

    name = "exactcopy"


class ExactCopyPlugin:
    @hookimpl
    def ponder_add_likelihoods(self, registry):
        registry.add("exactcopy", ExactCopy, "direct under another name")


@pytest.fixture
def exactcopy():
    manager = plugins()
    manager.register(ExactCopyPlugin(), name="exactcopy-test")
    yield
    manager.unregister("exactcopy-test")


def test_a_third_party_exact_likelihood_gets_the_fast_slice_explorer(exactcopy):
    from ponder.runtime.executors import SerialExecutor
    from ponder.runtime.samplers import ParallelTempering
    from ponder.runtime.target import Target

    model = ponder.load(STRAIGHT)
    target = Target(model, "exactcopy", {}, SerialExecutor(), 1)
    sampler = ParallelTempering(target, chains=4)
    assert sampler.explorer == "slice" and sampler.fast is not None
    ours = model.sample(sampler="pt", likelihood="exactcopy", samples=32, chains=4, seed=5)
    builtin = model.sample(sampler="pt", likelihood="direct", samples=32, chains=4, seed=5)
    assert np.array_equal(ours.posterior["drift"].values, builtin.posterior["drift"].values)


def test_sampling_combines_replicates_through_the_replicates_plugin(monkeypatch):
    """The run's target takes each row's log-likelihood from the ``replicates`` combiner, as ``loglik`` does."""
    from ponder.runtime.estimate import Estimate
    from ponder.runtime.executors import SerialExecutor
    from ponder.runtime.target import Target

    model = ponder.load(EXAMPLES / "randomwalk-replicates" / "randomwalk-replicates.model")
    z = Target(model, "auto", {"particles": 32}, SerialExecutor(), 4).initial(3)["z"]
    keys = [(1, m, 0) for m in range(3)]

    def evaluate():
        return Target(model, "auto", {"particles": 32}, SerialExecutor(), 4).evaluate(z, keys)["loglik"]

    plain = evaluate()
    original, calls = Replicates.combine, []

    def doubled(parts):
        calls.append(len(parts))
        return Estimate(2 * original(parts).loglik, np.zeros(0))

    monkeypatch.setattr(Replicates, "combine", staticmethod(doubled))
    assert np.array_equal(evaluate(), 2 * plain) and np.isfinite(plain).all()
    assert calls == [len(model.datasets)] * 3
    # and the API's likelihood of all datasets goes through the same combiner
    theta = Target(model, "auto", {}, SerialExecutor(), 4).to_theta(z[:1])[0][0]
    combiner = model.likelihood("auto", particles=32)
    parts = sum(e.estimate(theta, Replicates.replicate_seed(1, r), False).loglik
                for r, e in enumerate(combiner.estimators))
    assert model.loglik(theta, particles=32, seed=1) == 2 * parts


# ------------------------------------------------------------ resume with options
RESUMABLE = ["run", EXAMPLES / "randomwalk" / "randomwalk.model", "--samples", "150", "--warmup", "100",
             "--particles", "512", "--chains", "8", "--seed", "3", "--quiet", "--sampler", "ensemble",
             "--option", "a=2.5", "de=0.2"]


def test_resume_short_form_keeps_the_options(tmp_path, ponder_cli):
    from tests.runtime.test_sampling import same_results

    reference = tmp_path / "reference.nc"
    assert ponder_cli(*RESUMABLE, "--out", reference).returncode == 0
    out = tmp_path / "killed.nc"
    ckpt = checkpoint.path_for(out)
    proc = subprocess.Popen([sys.executable, "-m", "ponder", *map(str, RESUMABLE), "--out", str(out),
                             "--checkpoint-every", "0.2"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    resumed = ponder_cli("run", EXAMPLES / "randomwalk" / "randomwalk.model", "--out", out, "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert same_results(reference, out)
