"""The REPL driven as a user would: a pseudo-terminal types lines and reads what comes back."""

import os
import re
import sys

import pytest

pexpect = pytest.importorskip("pexpect")

from tests.conftest import EXAMPLES  # noqa: E402

RANDOMWALK = EXAMPLES / "randomwalk" / "randomwalk.model"
PROMPT = "ponder> "
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def start(tmp_path, *args):
    env = {**os.environ, "PONDER_HISTORY": str(tmp_path / "history"), "NO_COLOR": "1", "TERM": "xterm",
           "COLUMNS": "140", "LINES": "50"}
    child = pexpect.spawn(sys.executable, ["-m", "ponder", "repl", *map(str, args)], cwd=str(tmp_path), env=env,
                          encoding="utf-8", timeout=300, dimensions=(50, 140))
    child.expect_exact(PROMPT)
    return child


def send(child, line, *expected):
    """Type ``line``; wait for each of ``expected`` in order and for the next prompt; returns the text seen."""
    child.sendline(line)
    seen = []
    for text in expected:
        child.expect_exact(text)
        seen.append(child.before)
    child.expect_exact(PROMPT)
    seen.append(child.before)
    return ANSI.sub("", "".join(seen))


def test_edit_check_and_save_a_model(tmp_path):
    child = start(tmp_path, RANDOMWALK)
    send(child, "param drift ~ Uniform(-0.5, 0.5)", "replaced param drift")
    # a mistake shows the compiler's message and leaves the model as it was
    out = send(child, "observe position ~ Normal(position, sigmaa)", "undefined name `sigmaa`", "did you mean `sigma`?")
    assert "(edited):" in out
    # a block over several lines asks for more with the continuation prompt
    child.sendline("step {")
    child.expect_exact("......> ")
    child.sendline("    u ~ Uniform(-1, 1)")
    child.expect_exact("......> ")
    child.sendline("    position += if u < drift then 2 else -2")
    child.expect_exact("......> ")
    send(child, "}", "replaced step block")
    send(child, "param tau ~ Exponential(1)", "added param tau")
    saved = tmp_path / "edited.model"
    send(child, f":save {saved}", "saved")
    text = saved.read_text()
    assert "param drift ~ Uniform(-0.5, 0.5)" in text and "sigmaa" not in text
    assert "then 2 else -2" in text and "param tau ~ Exponential(1)" in text
    assert text.index("param tau") < text.index("const stepsize")  # inserted with the other parameters
    assert '"' + os.path.relpath(RANDOMWALK.parent / "randomwalk.csv", tmp_path) + '"' in text
    send(child, ":drop tau", "removed param tau")
    send(child, ":bogus", "unknown command `:bogus`")
    send(child, ":check", "stochastic", "drift")
    child.sendline(":quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # the edited model compiles and loads as a file
    import ponder

    assert ponder.load(saved).param_names == ["origin", "drift", "sigma", "tau"]


def test_simulate_loglik_sample_and_plot(tmp_path):
    child = start(tmp_path, RANDOMWALK)
    out = send(child, ":simulate origin=100 drift=0.2 sigma=10 seed=1", "simulated randomwalk (seed 1)")
    assert re.search(r"^\s*20 │", out, re.M)  # the first data time, as a table row
    send(child, ":simulate origin=100 drift=0.2 seed=1", "no value given for the parameter `sigma`")
    send(child, ":loglik origin=100 drift=0.2 sigma=10 particles=256 repeat=3 seed=2", "log-mean-exp", "repeats")
    out = send(child, ":sample samples=40 warmup=40 chains=8 particles=64 seed=3", "ess bulk", "sigma")
    assert "8 chains x 40 draws" in out
    send(child, ":summary", "origin", "drift", "sigma")
    for kind in ("trace", "predictive", "latent"):
        send(child, f":plot {kind}", f"{kind}.png")
        assert (tmp_path / "ponder-plots" / f"{kind}.png").stat().st_size > 10_000
    send(child, ":plot pair origin=100 drift=0.2 sigma=10", "pair.png")
    send(child, ":plot nonsense", "there is no figure `nonsense`")
    child.sendeof()
    child.expect(pexpect.EOF)


def test_ctrl_c_stops_sampling_not_the_repl(tmp_path):
    child = start(tmp_path, RANDOMWALK)
    child.sendline(":sample samples=100000 warmup=5 chains=8 particles=64 seed=4")
    child.expect(r"[1-9][0-9]{2,}/100005")  # the progress bar is past the warm-up (5 iterations)
    child.sendintr()
    child.expect_exact("stopped at iteration")
    child.expect_exact("the draws so far are kept")
    child.expect_exact(PROMPT)
    send(child, ":summary", "(partial")
    send(child, ":show", "observe position")
    child.sendline(":quit")
    child.expect(pexpect.EOF)


def test_history_persists_and_tab_completes(tmp_path):
    child = start(tmp_path)
    send(child, "param a ~ Normal(0, 1)", "added param a")
    child.send(":he\t")  # completes the command name
    child.sendline("")
    child.expect_exact(":load FILE")
    child.expect_exact(PROMPT)
    child.send("state x ~ Norm\t")  # completes a distribution
    child.sendline("(a, 1)")
    child.expect_exact("added state x")
    child.expect_exact(PROMPT)
    child.sendline(":quit")
    child.expect(pexpect.EOF)
    history = (tmp_path / "history").read_text()
    assert "param a ~ Normal(0, 1)" in history and "state x ~ Normal(a, 1)" in history

    child = start(tmp_path)
    child.send("\x1b[A\x1b[A")  # up twice: the line before `:quit`, then the one before
    child.sendline("")
    child.expect_exact("state x ~ Normal(a, 1)")  # the recalled line, run again in a new, empty session
    child.expect_exact("undefined name `a`")
    child.expect_exact(PROMPT)
    child.sendline(":quit")
    child.expect(pexpect.EOF)
