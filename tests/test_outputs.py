"""Output paths are checked before any work, one run holds a path at a time, and results that cannot be written
at the end are saved next to the checkpoint (issue 13, item 1)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ponder.cli import main
from ponder.runtime import arviz_io, outputs

STRAIGHT = Path(__file__).resolve().parents[1] / "examples" / "straightwalk" / "straightwalk.model"
RUN = ["run", str(STRAIGHT), "--samples", "60", "--warmup", "60", "--quiet", "--seed", "1"]


@pytest.mark.parametrize("out, message", [
    ("{tmp}/adir", "is a folder"),
    ("/dev/full", "is not a regular file"),
    ("/proc/x.nc", "cannot write the results file `/proc/x.nc`"),
])
def test_run_refuses_a_bad_results_path_before_sampling(tmp_path, capsys, monkeypatch, out, message):
    from ponder.runtime import run

    (tmp_path / "adir").mkdir()

    def started(self, *args):
        raise AssertionError("the path was checked after the sampling started")

    monkeypatch.setattr(run._NoProgress, "start", started)
    assert main(RUN + ["-o", out.format(tmp=tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.glob("adir*.tmp")) and os.path.exists("/dev/full")


@pytest.mark.parametrize("argv, message", [
    (["simulate", str(STRAIGHT), "-p", "origin=100", "drift=0.5", "sigma=2", "-o", "{tmp}/adir"], "is a folder"),
    (["report", "{tmp}/r.nc", "--out", "/proc/nope/r.html"], "cannot write the report"),
    (["plot", "{tmp}/r.nc", "--out", "{tmp}/file.csv"], "is a file, not a folder"),
])
def test_other_commands_refuse_bad_output_paths(tmp_path, capsys, argv, message):
    (tmp_path / "adir").mkdir()
    (tmp_path / "file.csv").write_text("time\n1\n")
    (tmp_path / "r.nc").write_text("not read: the output path is checked first")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    assert message in capsys.readouterr().err


def test_a_second_run_on_the_same_path_stops_at_once(tmp_path, capsys):
    out = tmp_path / "r.nc"
    with outputs.lock(out):  # as a run in another process would hold it
        assert main(RUN + ["-o", str(out)]) == 2
    assert "another ponder run is writing" in capsys.readouterr().err
    assert main(RUN + ["-o", str(out)]) == 0 and out.exists()  # the lock is released with the run
    assert not (tmp_path / "r.nc.lock").exists()


def test_results_that_cannot_be_written_at_the_end_are_saved_next_to_the_checkpoint(tmp_path, capsys, monkeypatch):
    out = tmp_path / "r.nc"
    real = arviz_io.write

    def full_disk(results, path):
        if Path(path) == out:
            raise OSError(28, "No space left on device")
        return real(results, path)

    monkeypatch.setattr(arviz_io, "write", full_disk)
    assert main(RUN + ["-o", str(out)]) == 2
    err = capsys.readouterr().err
    saved = tmp_path / "r.nc.saved.nc"
    assert "could not be written" in err and str(saved) in err and "No space left on device" in err
    assert saved.exists() and arviz_io.read(saved) is not None


def test_no_traceback_from_a_real_process_on_a_folder(tmp_path):
    (tmp_path / "adir").mkdir()
    result = subprocess.run([sys.executable, "-m", "ponder", *RUN, "-o", str(tmp_path / "adir")],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "is a folder" in result.stderr
