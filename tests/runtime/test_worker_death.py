"""A worker process killed mid-run (issue 13, item 10): a clear message within seconds, no traceback, no hang,
exit 1; the checkpoint is kept and ``--resume`` finishes bit-identical to an uninterrupted run.

The kill comes from the run's own progress display, at a known iteration, with SIGKILL on one of the
executor's worker processes (as the system's out-of-memory killer does); the checkpoint is written every
iteration. For ``mpi`` the workers are MPI processes spawned from the executor's helper process.
Under ``mpiexec`` a dead rank ends the whole job with mpiexec's own message; that is not tested here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from ponder.cli import main
from ponder.lang.errors import ModelError
from ponder.runtime.checkpoint import path_for
from ponder.runtime.executors import MPIExecutor, ProcessExecutor, WorkerLost
from tests.runtime.test_sampling import same_results

MODEL = 'param mu ~ Normal(1, 2)\nstate m = mu\nobserve y ~ Normal(m, 1.5)\ndata "y.csv"\n'
SETTINGS = ["--sampler", "mh", "--chains", "2", "--samples", "30", "--warmup", "20", "--seed", "4",
            "--checkpoint-every", "1e-9"]
KILL_AT = 25  # iterations done when a worker is killed


def _needs_mpi():
    pytest.importorskip("mpi4py")
    if not os.path.isdir("/proc"):
        pytest.skip("finding the MPI workers needs /proc")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("worker-death")
    y = np.random.default_rng(7).normal(2.0, 1.5, size=20)
    (folder / "y.csv").write_text("time,y\n" + "\n".join(f"{t},{v!r}" for t, v in enumerate(y.tolist())) + "\n")
    (folder / "m.model").write_text(MODEL)
    return folder / "m.model"


@pytest.fixture(scope="module")
def reference(model_file) -> Path:
    out = model_file.parent / "serial.nc"
    assert main(["run", str(model_file), *SETTINGS, "--quiet", "--out", str(out)]) == 0
    return out


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...), from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        below = [p for p, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found


def _mpi_workers() -> list[int]:
    return [p for p in _descendants(os.getpid())
            if b"mpi4py.futures.server" in Path(f"/proc/{p}/cmdline").read_bytes()]


def _pool_workers() -> list[int]:
    return [p.pid for p in multiprocessing.active_children()]


class _KillAWorker:
    """A progress display that kills one worker (SIGKILL) when ``KILL_AT`` iterations are done."""

    find = staticmethod(_pool_workers)

    def __init__(self, console=None, **_):
        self.killed = None

    def start(self, total, done, warmup=None):
        pass

    def update(self, iteration, state, target):
        if iteration == KILL_AT and self.killed is None:
            self.killed = self.find()[0]
            os.kill(self.killed, signal.SIGKILL)

    def note(self, line):
        pass

    def stop(self):
        pass


class _KillAnMPIWorker(_KillAWorker):
    find = staticmethod(_mpi_workers)


@pytest.mark.parametrize("executor, display", [("processes", _KillAWorker), ("mpi", _KillAnMPIWorker)])
def test_a_killed_worker_stops_the_run_with_a_message_and_resume_is_bit_identical(
        executor, display, model_file, reference, monkeypatch, capsys):
    if executor == "mpi":
        _needs_mpi()
    out = model_file.parent / f"{executor}.nc"
    command = ["run", str(model_file), *SETTINGS, "--executor", executor, "--workers", "1", "--out", str(out)]
    monkeypatch.setattr("ponder.progress.RunProgress", display)
    capsys.readouterr()
    started = time.monotonic()
    assert main(command) == 1
    assert time.monotonic() - started < 60  # no hang (the run itself takes a few seconds)
    err = capsys.readouterr().err
    assert f"error: the run stopped: a worker process of the `{executor}` executor" in err, err
    assert "Traceback" not in err and "BrokenProcessPool" not in err
    if executor == "processes":
        assert "was killed by SIGKILL" in err
    checkpoint = path_for(out)
    assert checkpoint.exists() and f"the checkpoint {checkpoint} holds the run" in err
    assert "--resume" in err and not out.exists()
    monkeypatch.undo()
    # resumed in this process: a checkpoint does not depend on the executor, and a spawn costs seconds
    assert main([*command, "--executor", "serial", "--quiet", "--resume"]) == 0
    assert same_results(reference, out)


@pytest.mark.parametrize("factory", [ProcessExecutor, MPIExecutor])
def test_a_worker_that_dies_inside_a_task_is_reported_at_once(factory):
    """``os._exit`` as the task: the worker ends in the middle of it (builtins pickle without importing this file)."""
    if factory is MPIExecutor:
        _needs_mpi()
    executor = factory(2)
    try:
        assert executor.map(abs, [-1, -2, -3]) == [1, 2, 3]
        started = time.monotonic()
        with pytest.raises(WorkerLost, match=f"`{factory.name}` executor") as lost:
            executor.map(os._exit, [3])
        assert time.monotonic() - started < 30
        if factory is ProcessExecutor:
            assert lost.value.how == "exited with code 3"
    finally:
        executor.shutdown()


def test_loglik_and_the_sessions_sample_report_a_lost_worker(model_file, monkeypatch, capsys):
    """Outside `ponder run` a lost worker (here raised in place of the work) is the same message, exit 1, no
    traceback, and says to start again, as there is no checkpoint to resume from."""
    from ponder.session import Session

    def lose(*args, **kwargs):
        raise WorkerLost("processes", "was killed by SIGKILL")

    monkeypatch.setattr("ponder.runtime.repeat.repeated_loglik", lose)
    capsys.readouterr()
    assert main(["loglik", str(model_file), "--param", "mu=1"]) == 1
    err = capsys.readouterr().err
    assert "error: the run stopped: a worker process of the `processes` executor was killed by SIGKILL" in err
    assert f"start it again: ponder loglik {model_file} --param mu=1" in err and "Traceback" not in err

    monkeypatch.setattr("ponder.runtime.run.sample", lose)
    session = Session(model_file)
    with pytest.raises(ModelError) as lost:
        session.command(":sample samples=30")
    assert "start it again: :sample samples=30" in lost.value.hint and session.results is None
    assert not list(Path(session._scratch()).glob("*.checkpoint"))
