"""Bad flags and options are usage errors: exit 2, a message with a hint, no traceback, before any sampling.

Each case is a reproducer of issue 13, item 6: some used to end in a traceback
(a MemoryError, or minutes of allocation), others were silently accepted.
The limits are :data:`ponder.arguments.MAX_PARTICLES`, :data:`MAX_TIMES`,
:data:`ponder.runtime.settings.MAX_SAMPLES` and the seed's [0, 2**63).
"""


import pytest

from ponder.arguments import MAX_PARTICLES, MAX_TIMES, check_particles
from ponder.cli import main
from ponder.lang.errors import ModelError
from ponder.plugins.options import Option, coerce_options
from ponder.runtime.settings import MAX_SAMPLES
from tests.conftest import EXAMPLES

STRAIGHTWALK = EXAMPLES / "straightwalk" / "straightwalk.model"
RANDOMWALK = EXAMPLES / "randomwalk" / "randomwalk.model"


@pytest.fixture(scope="module", autouse=True)
def compiled():
    """Compile the straight walk once, so that the timings below measure the checks, not the compiler."""
    assert main(["check", str(STRAIGHTWALK)]) == 0


class _SamplingStarted(AssertionError):
    pass


def _refused(capsys, tmp_path, *argv) -> str:
    """Run ``ponder *argv``; it must exit 2 with a message and a hint before any sampling; the message.

    "Before any sampling" is checked directly: the run loop's progress start raises (a wall-clock bound was
    flaky with two test processes on two cores).
    """
    from ponder.runtime import run

    capsys.readouterr()
    original = run._NoProgress.start

    def started(self, *args):
        raise _SamplingStarted("the check came after the sampling started")

    run._NoProgress.start = started
    try:
        code = main([*map(str, argv)])
    finally:
        run._NoProgress.start = original
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "hint:" in err, err
    assert not (tmp_path / "out.nc").exists()
    return " ".join(err.split())


def _run(tmp_path, *flags, model=STRAIGHTWALK):
    return ["run", model, "--samples", 5, "--quiet", "-o", tmp_path / "out.nc", *flags]


@pytest.mark.parametrize("flags, message", [
    (["--seed", "-1"], "`seed` must be at least 0, not `-1`"),
    (["--seed", str(2**63)], f"`seed` must be below {2**63}"),
    (["--samples", str(10**11)], "`samples` must be at most 1e+09"),
    (["--warmup", str(10**11)], "`warmup` must be at most 1e+09"),
    (["--samples", "1e20"], "invalid int value: '1e20'"),
    (["--chains", "0"], "`chains` must be at least 1, not `0`"),
    (["--option", "a="], "`--option a=` has no value after `=`"),
    (["--sampler", "ensemble", "--option", "a=inf"],
     "option `a` of the `ensemble` sampler must be finite, not `inf`"),
    (["--sampler", "ensemble", "--option", "a=1"], "option `a` of the `ensemble` sampler must be above 1, not `1`"),
    (["--sampler", "ensemble", "--option", "prune=xyz"],
     "option `prune` of the `ensemble` sampler takes a whole number, not `xyz`"),
    (["--sampler", "ensemble", "--option", "prune=2"], "option `prune` of the `ensemble` sampler must be at most 1"),
    (["--sampler", "ensemble", "--option", "reset=-1"],
     "option `reset` of the `ensemble` sampler must be at least 0, not `-1`"),
    (["--sampler", "mh", "--option", "scale=-1"], "option `scale` of the `mh` sampler must be above 0, not `-1`"),
    (["--sampler", "mh", "--option", "scale=0"], "option `scale` of the `mh` sampler must be above 0, not `0`"),
    (["--sampler", "mh", "--option", "scale=abc"], "option `scale` of the `mh` sampler takes a number, not `abc`"),
    (["--sampler", "mh", "--option", "target_accept=2"], "option `target_accept` of the `mh` sampler must be below 1"),
    (["--sampler", "mh", "--option", "target_accept=0"], "option `target_accept` of the `mh` sampler must be above 0"),
    (["--sampler", "pt", "--option", "slice_width=0"], "option `slice_width` of the `pt` sampler must be above 0"),
    (["--sampler", "pt", "--option", "slice_width=-1"], "option `slice_width` of the `pt` sampler must be above 0"),
    (["--checkpoint-every", "0"], "`--checkpoint-every 0` is not a positive number of seconds"),
    (["--checkpoint-every", "-1"], "`--checkpoint-every -1` is not a positive number of seconds"),
    (["--checkpoint-every", "nan"], "`--checkpoint-every nan` is not a positive number of seconds"),
    (["--checkpoint-every", "inf"], "`--checkpoint-every inf` is not a positive number of seconds"),
])
def test_run_refuses_bad_settings_and_options(capsys, tmp_path, flags, message):
    assert message in _refused(capsys, tmp_path, *_run(tmp_path, *flags))


@pytest.mark.parametrize("flags", [["--particles", "1000000000"], ["--particles", f"64:{MAX_PARTICLES + 1}"],
                                   ["--option", "particles=1000000000"]])
def test_particles_over_the_limit_are_refused_before_any_allocation(capsys, tmp_path, flags):
    # this used to allocate for minutes and end in a MemoryError
    err = _refused(capsys, tmp_path, *_run(tmp_path, *flags, model=RANDOMWALK))
    assert f"more particles than the limit of {MAX_PARTICLES} (2**24)" in err


def test_particle_numbers_are_checked_early():
    check_particles(MAX_PARTICLES)
    check_particles("64:4096")
    for bad in ("0", "abc", "10:5", "1:2:3", f"{MAX_PARTICLES + 1}"):
        with pytest.raises(ModelError):
            check_particles(bad)


def test_simulate_refuses_a_huge_time_grid(capsys, tmp_path):
    # 10**12 times used to ask NumPy for 7 TiB
    for times, message in (("0:1e12:1", f"makes 1e+12 times, over the limit of {MAX_TIMES}"),
                           ("0:inf:1", "`--times 0:inf:1` is not a time grid")):
        err = _refused(capsys, tmp_path, "simulate", STRAIGHTWALK, "--times", times,
                       "-p", "origin=100", "drift=0.5", "sigma=2")
        assert message in err


def test_plot_truth_names_its_own_flag(capsys, tmp_path):
    err = _refused(capsys, tmp_path, "plot", tmp_path / "none.nc", "-o", tmp_path / "figures", "--truth", "drift")
    assert "`--truth drift` needs the form NAME=VALUE" in err and "--param" not in err
    err = _refused(capsys, tmp_path, "plot", tmp_path / "none.nc", "-o", tmp_path / "figures", "--truth", "drift=x")
    assert "(in `--truth drift=x`)" in err


def test_option_values_are_checked_by_declaration():
    declared = (Option("flag", bool, False), Option("n", int, 0), Option("x", float, 1.0, above=0.0, below=1.0),
                Option("word", str, "a"))
    for word, value in (("true", True), ("yes", True), ("1", True), ("false", False), ("no", False), ("0", False)):
        assert coerce_options(declared, {"flag": word}, "it") == {"flag": value}
    for bad, match in (({"flag": "xyz"}, "true or false"), ({"flag": "on"}, "true or false"),
                       ({"n": float("inf")}, "must be finite"), ({"n": float("nan")}, "whole number"),
                       ({"x": float("nan")}, "must be finite"), ({"x": 0.0}, "must be above 0"),
                       ({"x": 1.0}, "must be below 1"), ({"word": ""}, "is given no value"),
                       ({"x": "  "}, "is given no value")):
        with pytest.raises(ModelError, match=match):
            coerce_options(declared, bad, "it")
    assert MAX_SAMPLES == 10**9


def test_a_run_too_large_for_memory_is_refused_before_sampling(capsys, tmp_path):
    err = _refused(capsys, tmp_path, *_run(tmp_path, "--samples", "900000000", "--warmup", "0"))
    assert "GiB, more than this machine's" in err and "every iteration of every chain is kept" in err


def test_loglik_checks_its_particle_number_before_loading(capsys, tmp_path):
    err = _refused(capsys, tmp_path, "loglik", STRAIGHTWALK, "-p", "origin=100", "drift=0.5", "sigma=2",
                   "--particles", str(MAX_PARTICLES + 1))
    assert "more particles than the limit" in err


def test_a_bug_in_ponder_says_it_is_internal_and_how_to_report_it(monkeypatch, capsys):
    """Not the user's mistake: the traceback is kept for the report, with a line that says so; exit 70."""
    from ponder import cli

    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "cmd_check", broken)
    assert cli.main(["check", "whatever.model"]) == cli.EXIT_INTERNAL == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "ZeroDivisionError: a bug" in err
    assert "internal error: this is a bug in ponder" in err and "ponder check whatever.model" in err
