"""ponder.sandbox: a program run in one working folder per particle, through the simulator contract alone.

The "program" is a small Python script in the template folder, run with
``sys.executable``: it reads ``params.txt`` (written by ``write_inputs``) and
``state.txt``, adds ``drift * (t1 - t0)`` and a number taken from the seed to
the state, and writes ``state.txt`` (in place: it is a ``modified`` file) and
``out.txt``. A ``mode`` parameter makes it fail, fail for odd seeds, or hang.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ponder.lang.errors import ModelError
from ponder.runtime.simulators.contract import Simulator
from ponder.sandbox import Sandbox, default_root, sandbox

PROGRAM = """\
import os, sys, time
p = dict(line.split("=", 1) for line in open("params.txt").read().split())
seed = int(p["seed"])
open("pid.txt", "w").write(str(os.getpid()))
if p["mode"] == "sleep" or (p["mode"] == "sleep_odd" and seed % 2):
    time.sleep(30)
if p["mode"] == "fail" or (p["mode"] == "fail_odd" and seed % 2):
    sys.stderr.write("reservoir overflow\\nstorage above the dam\\n")
    sys.exit(3)
x = float(open("state.txt").read())
x += float(p["drift"]) * (float(p["t1"]) - float(p["t0"])) + (seed % 1000) / 1000
with open("state.txt", "r+") as f:  # rewritten in place: the same file, not a new one
    f.write(repr(x))
    f.truncate()
open("out.txt", "w").write(repr(x))
"""

MODES = {"ok": 0, "fail": 1, "fail_odd": 2, "sleep": 3, "sleep_odd": 4}


def write_inputs(folder, theta, consts, t0, t1, seed):
    mode = next(m for m, code in MODES.items() if code == theta["mode"])
    (folder / "params.txt").write_text(f"drift={theta['drift']!r} t0={t0!r} t1={t1!r} seed={seed} mode={mode}\n")


def read_outputs(folder):
    return {"x": float((folder / "out.txt").read_text())}


@pytest.fixture
def template(tmp_path):
    folder = tmp_path / "template"
    folder.mkdir()
    (folder / "model.py").write_text(PROGRAM)
    (folder / "state.txt").write_text("0.0")
    (folder / "big.dat").write_bytes(b"\0" * 4096)  # a file the program only reads
    (folder / "sub").mkdir()
    (folder / "sub" / "table.txt").write_text("1 2 3\n")
    return folder


def make(template, root, **options) -> Sandbox:
    options = {"modified": ["state.txt"], **options}
    return sandbox(template, [sys.executable, "-I", "-S", "model.py"], write_inputs, read_outputs, ["x"],
                   root=root, **options)


def theta(mode="ok", drift=0.5):
    return {"drift": drift, "mode": MODES[mode]}


def seeds(seed: int, n: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(rng.integers(2 ** 63)) for _ in range(n)]


def folders(state) -> list[Path]:
    return sorted(p for p in state.root.iterdir())


def test_a_sandbox_meets_the_contract_and_runs_the_program_per_particle(template, tmp_path):
    sim = make(template, tmp_path / "runs")
    assert isinstance(sim, Simulator)
    assert sim.capabilities.thread_safe and not sim.capabilities.vectorised and not sim.capabilities.deterministic
    assert sim.output_names == ("x",) and sim.parameters is None
    state = sim.init(theta(), {}, 3, np.random.default_rng(0))
    assert np.isnan(sim.outputs(state)["x"]).all()  # no out.txt yet: NaN, not a failure
    assert state.failures == 0
    sim.advance(state, 0.0, 2.0, theta(), np.random.default_rng(7))
    expected = np.array([1.0 + s % 1000 / 1000 for s in seeds(7, 3)])
    np.testing.assert_array_equal(sim.outputs(state)["x"], expected)
    sim.advance(state, 2.0, 3.0, theta(), np.random.default_rng(8))  # the state file carries on
    expected += [0.5 + s % 1000 / 1000 for s in seeds(8, 3)]
    np.testing.assert_allclose(sim.outputs(state)["x"], expected, rtol=1e-15)
    assert (template / "state.txt").read_text() == "0.0"  # the template is never written
    sim.close(state)
    assert not state.root.exists()


def test_init_state_prepares_each_folder_and_a_deterministic_program_takes_seed_0(template, tmp_path):
    def start(folder, theta, consts):
        (folder / "state.txt").write_text(repr(consts["x0"]))

    sim = make(template, tmp_path, init_state=start, deterministic=True, parameters=["drift", "x0"])
    assert sim.capabilities.deterministic and sim.parameters == ("drift", "x0")
    state = sim.init(theta(), {"x0": 10.0}, 2, None)
    sim.advance(state, 0.0, 2.0, theta(), None)  # no generator needed: nothing is drawn
    np.testing.assert_array_equal(sim.outputs(state)["x"], [11.0, 11.0])
    assert "seed=0 " in (state.folders[0] / "params.txt").read_text()
    sim.close(state)


def test_folders_are_private_and_on_a_ram_filesystem_by_default(template):
    sim = make(template, None)
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        assert default_root() == shm
    state = sim.init(theta(), {}, 2, np.random.default_rng(0))
    home = state.root.parent
    assert home.parent == default_root() and home.name.startswith("ponder-sandbox-")
    for folder in (home, state.root):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    sim.close(state)
    del sim
    gc.collect()
    assert not home.exists()  # the Sandbox's own folder goes with it


def test_resampling_keeps_first_takers_clones_repeats_and_removes_the_rest(template, tmp_path):
    sim = make(template, tmp_path)
    state = sim.init(theta(), {}, 3, np.random.default_rng(0))
    sim.advance(state, 0.0, 1.0, theta(), np.random.default_rng(1))
    before = list(state.folders)
    x = sim.outputs(state)["x"].copy()
    sim.resample(state, np.array([1, 1, 0]))
    assert state.folders[0] == before[1] and state.folders[2] == before[0]
    assert state.folders[1] not in before and not before[2].exists()
    assert folders(state) == sorted(state.folders)
    np.testing.assert_array_equal(sim.outputs(state)["x"], x[[1, 1, 0]])
    original, clone = state.folders[0], state.folders[1]
    ino = {f: {name: (f / name).stat().st_ino for name in ("big.dat", "sub/table.txt", "model.py", "state.txt",
                                                             "out.txt")} for f in state.folders}
    for name in ("big.dat", "sub/table.txt", "model.py"):  # the template's files: hard links to one copy
        assert len({ino[f][name] for f in state.folders}) == 1
        assert (original / name).stat().st_nlink == 1 + 3  # the private copy and the 3 particles
    for name in ("state.txt", "out.txt"):  # modified and written by a run: copies
        assert len({ino[f][name] for f in state.folders}) == 3
        assert (clone / name).read_text() == (original / name).read_text()
    (clone / "state.txt").write_text("99")
    assert (original / "state.txt").read_text() != "99"
    sim.advance(state, 1.0, 2.0, theta(), np.random.default_rng(2))  # clones move on their own
    s = seeds(2, 3)
    np.testing.assert_allclose(sim.outputs(state)["x"],
                               [x[1] + 0.5 + s[0] % 1000 / 1000, 99 + 0.5 + s[1] % 1000 / 1000,
                                x[0] + 0.5 + s[2] % 1000 / 1000], rtol=1e-15)
    sim.close(state)
    assert not state.root.exists()


def test_a_garbage_collected_state_leaves_no_folder(template, tmp_path):
    sim = make(template, tmp_path)
    state = sim.init(theta(), {}, 2, np.random.default_rng(0))
    root = state.root
    assert len(list(root.iterdir())) == 2
    del state
    gc.collect()
    assert not root.exists()


def test_failed_runs_give_nan_and_are_counted(template, tmp_path):
    sim = make(template, tmp_path)
    state = sim.init(theta(), {}, 6, np.random.default_rng(0))
    sim.advance(state, 0.0, 1.0, theta("fail_odd"), np.random.default_rng(3))
    odd = np.array([s % 2 == 1 for s in seeds(3, 6)])
    assert 0 < odd.sum() < 6  # this seed gives both kinds
    x = sim.outputs(state)["x"]
    assert np.isnan(x[odd]).all() and np.isfinite(x[~odd]).all()
    assert state.failures == odd.sum()
    assert state.last_failure == "exit status 3" and "storage above the dam" in state.last_stderr
    sim.close(state)


def test_a_run_past_its_timeout_is_killed_and_fails(template, tmp_path):
    sim = make(template, tmp_path, timeout=0.5, jobs=4)
    state = sim.init(theta(), {}, 4, np.random.default_rng(0))
    start = time.perf_counter()
    sim.advance(state, 0.0, 1.0, theta("sleep_odd"), np.random.default_rng(3))
    assert time.perf_counter() - start < 20  # not the program's 30 s
    odd = np.array([s % 2 == 1 for s in seeds(3, 4)])
    x = sim.outputs(state)["x"]
    assert odd.any() and np.isnan(x[odd]).all() and np.isfinite(x[~odd]).all()
    assert state.failures == odd.sum() and state.last_failure == "timed out after 0.5 s"
    sim.close(state)


def test_when_every_run_fails_the_error_shows_the_command_and_its_stderr(template, tmp_path):
    sim = make(template, tmp_path)
    state = sim.init(theta(), {}, 2, np.random.default_rng(0))
    with pytest.raises(ModelError) as info:
        sim.advance(state, 0.0, 1.5, theta("fail"), np.random.default_rng(0))
    message = info.value.message
    assert message.startswith("all 2 runs of `") and "model.py` from t = 0 to 1.5 failed" in message
    assert "(the last: exit status 3); its stderr ended: reservoir overflow | storage above the dam" in message
    assert sys.executable in message
    sim.close(state)
    sim = make(template, tmp_path, timeout=0.3)
    state = sim.init(theta(), {}, 1, np.random.default_rng(0))
    with pytest.raises(ModelError, match=r"timed out after 0\.3 s"):
        sim.advance(state, 0.0, 1.0, theta("sleep"), np.random.default_rng(0))
    sim.close(state)


def test_results_do_not_depend_on_jobs(template, tmp_path):
    runs = []
    for jobs in (1, 3):
        sim = make(template, tmp_path, jobs=jobs)
        state = sim.init(theta(), {}, 5, np.random.default_rng(0))
        rng = np.random.default_rng(11)
        sim.advance(state, 0.0, 1.0, theta("fail_odd"), rng)
        out = [sim.outputs(state)["x"].copy()]
        sim.resample(state, np.array([4, 4, 0, 2, 2]))
        sim.advance(state, 1.0, 2.5, theta(drift=-1.0), rng)
        out.append(sim.outputs(state)["x"].copy())
        runs.append((out, state.failures))
        sim.close(state)
    (a, fa), (b, fb) = runs
    assert fa == fb > 0
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_stops_the_running_programs_and_close_removes_the_folders(template, tmp_path, jobs):
    sim = make(template, tmp_path, jobs=jobs)
    state = sim.init(theta(), {}, 2, np.random.default_rng(0))
    ctrl_c = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))  # once the programs sleep
    # Python's own Ctrl-C handler, also where this process was started with SIGINT ignored (a shell's `&` job)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    ctrl_c.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sim.advance(state, 0.0, 1.0, theta("sleep"), np.random.default_rng(0))
    finally:
        ctrl_c.join()
        signal.signal(signal.SIGINT, previous)
    pids = [int((f / "pid.txt").read_text()) for f in state.folders if (f / "pid.txt").exists()]
    assert len(pids) == jobs
    sim.close(state)  # what the likelihood loops do in their `finally`
    assert not state.root.exists()
    for _ in range(200):  # killed, and reaped by the thread that waited on it
        if not any(_alive(pid) for pid in pids):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"a program (pids {pids}) still runs after close")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_template_file_written_in_place_but_not_listed_as_modified_stops_the_run(template, tmp_path):
    sim = make(template, tmp_path, modified=())
    state = sim.init(theta(), {}, 2, np.random.default_rng(0))
    with pytest.raises(ModelError, match=r"wrote into the template's file `state.txt`, which every particle shares"):
        sim.advance(state, 0.0, 1.0, theta(), np.random.default_rng(0))
    sim.close(state)
    assert (template / "state.txt").read_text() == "0.0"  # the user's template is a separate copy


def test_the_command_is_an_argument_list_with_a_program_that_exists(template, tmp_path):
    for command in ("python model.py", b"python", template / "model.py"):
        with pytest.raises(TypeError, match="list of arguments"):
            sandbox(template, command, write_inputs, read_outputs, ["x"])
    with pytest.raises(ModelError, match="cannot find the sandbox's program `no-such-program-zq`"):
        sandbox(template, ["no-such-program-zq"], write_inputs, read_outputs, ["x"])
    with pytest.raises(ModelError, match="cannot find the sandbox's program `./model.py`"):  # not executable
        sandbox(template, ["./model.py"], write_inputs, read_outputs, ["x"])
    (template / "model.py").chmod(0o755)
    sim = sandbox(template, ["./model.py", "--fast"], write_inputs, read_outputs, ["x"])  # found in the template
    assert sim.command == [str(template / "model.py"), "--fast"]
    assert sandbox(template, ["sh", "-c"], write_inputs, read_outputs, ["x"]).command == [shutil.which("sh"), "-c"]
