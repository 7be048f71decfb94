"""Checkpoints (ponder.runtime.checkpoint): append-only frames, verified on load (issue 13, item 7).

A checkpoint writes only the rows since the one before, so its bytes do not grow with the run; a torn last
frame (a kill during a save) is ignored; any other damage is a user error that names the last good point, cuts
the file back to it and keeps the damaged file, and ``--resume`` again then finishes with exactly the draws of
an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
import warnings

import numpy as np
import pytest

import ponder
from ponder import cli
from ponder.lang.errors import ModelError
from ponder.runtime import arviz_io, checkpoint, run

warnings.filterwarnings("ignore", message=".*ArviZ is undergoing.*")

CONJUGATE = 'param mu ~ Normal(1, 2)\nstate m = mu\nobserve y ~ Normal(m, 1.5)\ndata "y.csv"\n'
SETTINGS = {"sampler": "mh", "samples": 60, "warmup": 20, "seed": 4}
STOP = 70  # the killed run's last checkpoint is after iteration STOP - 1


# ------------------------------------------------------------ the file, directly
def records_of(length: int) -> dict:
    rng = np.random.default_rng(0)
    return {"z": rng.normal(size=(length, 4, 3)), "count": rng.integers(0, 9, size=(length, 4))}


def state_at(iteration: int) -> dict:
    return {"z": np.full((4, 3), float(iteration)), "pruned": np.array([iteration], dtype=np.int64)}


def saved(path, records, iterations) -> list[int]:
    """Save ``records`` at each of ``iterations`` through one Checkpoint; the bytes each save wrote."""
    writer = checkpoint.Checkpoint(path, "fp")
    return [writer.save(state_at(i), records, i, {"at": i}) for i in iterations]


def frame_starts(path) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(checkpoint.MAGIC), path.read_bytes())]


def flip(path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at:at + 8] = bytes(b ^ 0xFF for b in data[at:at + 8])
    path.write_bytes(bytes(data))


def test_each_checkpoint_writes_only_the_rows_since_the_last(tmp_path):
    records = records_of(5000)
    path = tmp_path / "r.nc.checkpoint"
    sizes = saved(path, records, range(100, 5001, 100))
    row = sum(r[0].nbytes for r in records.values())
    # the 50th checkpoint writes what the 2nd does (a few digits of the header aside), not 50 times more
    assert max(sizes[1:]) - min(sizes[1:]) <= 16
    assert sizes[-1] < 100 * row + 2000
    assert path.stat().st_size == sum(sizes)
    state, loaded, iteration, extra = checkpoint.load(path, "fp")
    assert iteration == 5000 and extra == {"at": 5000}
    for k in records:
        np.testing.assert_array_equal(loaded[k][:5000], records[k])
    np.testing.assert_array_equal(state["z"], state_at(5000)["z"])
    assert state["pruned"].dtype == np.int64


def test_a_save_at_an_earlier_iteration_drops_the_rows_after_it(tmp_path):
    """A run that keeps fewer iterations than it did (pt's fallback) and then goes on with other rows."""
    records = records_of(400)
    path = tmp_path / "r.nc.checkpoint"
    writer = checkpoint.Checkpoint(path, "fp")
    writer.save(state_at(300), records, 300, {})
    assert writer.save(state_at(200), records, 200, {}) < records["z"][:1].nbytes * 10  # no rows
    assert checkpoint.load(path, "fp")[2] == 200
    assert not checkpoint.load(path, "fp")[1]["z"][200:].any()
    other = {k: v.copy() for k, v in records.items()}
    other["z"][200:] += 1.0
    writer.save(state_at(250), other, 250, {})
    _, loaded, iteration, _ = checkpoint.load(path, "fp")
    assert iteration == 250
    np.testing.assert_array_equal(loaded["z"][:250], other["z"][:250])
    assert not loaded["z"][250:].any()


def test_a_torn_last_frame_is_no_checkpoint_and_the_next_save_replaces_it(tmp_path):
    records = records_of(300)
    path = tmp_path / "r.nc.checkpoint"
    saved(path, records, (100, 200, 300))
    third = frame_starts(path)[2]
    with open(path, "r+b") as fh:  # a kill in the middle of the third save
        fh.truncate(third + 100)
    writer = checkpoint.Checkpoint(path, "fp")
    assert writer.load()[2] == 200
    writer.save(state_at(250), records, 250, {"at": 250})
    _state, loaded, iteration, extra = checkpoint.load(path, "fp")
    assert (iteration, extra, len(frame_starts(path))) == (250, {"at": 250}, 3)
    np.testing.assert_array_equal(loaded["z"][:250], records["z"][:250])


@pytest.mark.parametrize("frame, good", [(2, 200), (1, 100)], ids=["last frame", "a frame before it"])
def test_flipped_bytes_name_the_last_good_point_and_cut_the_file_back_to_it(tmp_path, frame, good):
    records = records_of(300)
    path = tmp_path / "r.nc.checkpoint"
    saved(path, records, (100, 200, 300))
    original, cut = path.read_bytes(), frame_starts(path)[frame]
    flip(path, cut + 500)  # in the frame's rows
    damaged = path.read_bytes()
    with pytest.raises(ModelError, match=rf"is damaged \(.*checksum\): last good point at iteration {good}") as err:
        checkpoint.load(path, "fp")
    assert "`--resume` again continues" in err.value.hint
    assert checkpoint.damaged_path(path).read_bytes() == damaged
    assert path.read_bytes() == original[:cut]
    state, loaded, iteration, _ = checkpoint.load(path, "fp")  # what is left loads
    assert iteration == good and state["pruned"][0] == good
    np.testing.assert_array_equal(loaded["z"][:good], records["z"][:good])


def test_a_damaged_frame_header_is_damage_not_a_torn_frame(tmp_path):
    """A flipped payload length would look like a frame the file ends inside: the header's own check catches it."""
    path = tmp_path / "r.nc.checkpoint"
    saved(path, records_of(300), (100, 200, 300))
    flip(path, frame_starts(path)[1] + len(checkpoint.MAGIC))
    with pytest.raises(ModelError, match="damaged header.*last good point at iteration 100"):
        checkpoint.load(path, "fp")


def test_a_checkpoint_without_a_good_frame_cannot_be_read(tmp_path):
    path = tmp_path / "r.nc.checkpoint"
    saved(path, records_of(100), (100,))
    flip(path, 200)
    with pytest.raises(ModelError, match="cannot be read .*checksum"):
        checkpoint.load(path, "fp")
    with open(path, "wb") as fh:
        np.savez(fh, header=np.zeros(3))  # the format before: an .npz
    with pytest.raises(ModelError, match="cannot be read \\(it is not a ponder checkpoint\\)"):
        checkpoint.load(path, "fp")
    path.write_bytes(b"")
    with pytest.raises(ModelError, match="cannot be read \\(it is empty\\)"):
        checkpoint.load(path, "fp")
    assert checkpoint.saved_settings(path) == {}


def test_a_frame_that_declares_python_objects_is_refused(tmp_path):
    """Checksums that match do not make a frame trusted: arrays are plain numbers, never objects."""
    header = {"fingerprint": "fp", "iteration": 1, "start": 0, "length": 1, "extra": {},
              "arrays": [["state/x", "|O", [1]]]}
    text = json.dumps(header).encode()
    payload = struct.pack("<Q", len(text)) + text + bytes(8)
    head = checkpoint.MAGIC + struct.pack("<Q", len(payload)) + hashlib.sha256(payload).digest()
    path = tmp_path / "r.nc.checkpoint"
    path.write_bytes(head + hashlib.sha256(head).digest()[:8] + payload)
    with pytest.raises(ModelError, match="cannot be read .*holds Python objects"):
        checkpoint.load(path, "fp")


# ------------------------------------------------------------ runs
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoints")
    y = np.random.default_rng(7).normal(0.4, 1.5, 30)
    (folder / "y.csv").write_text("time,y\n" + "".join(f"{i + 1},{float(v)!r}\n" for i, v in enumerate(y)))
    (folder / "conjugate.model").write_text(CONJUGATE)
    return folder / "conjugate.model"


@pytest.fixture(scope="module")
def reference(model_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "reference.nc"
    ponder.load(model_file).sample(out=out, **SETTINGS)
    return out


class Killed:
    """A progress display that raises at ``STOP``, as a kill would end the run (no checkpoint at the end)."""

    def start(self, total, done, warmup=None):
        pass

    def update(self, iteration, state, target):
        if iteration == STOP:
            raise RuntimeError("killed")

    def stop(self):
        pass


@pytest.fixture(scope="module")
def killed(model_file, tmp_path_factory):
    """The checkpoint of a run checkpointed after every iteration and killed at ``STOP``."""
    out = tmp_path_factory.mktemp("killed") / "k.nc"
    with pytest.raises(RuntimeError, match="killed"):
        run.sample(ponder.load(model_file), out=out, checkpoint_every=0.0, progress=Killed(), **SETTINGS)
    return checkpoint.path_for(out)


def same_draws(a, b) -> None:
    first, second = arviz_io.read(a), arviz_io.read(b)
    for group in ("posterior", "sample_stats"):
        for var in getattr(first, group).data_vars:
            np.testing.assert_array_equal(getattr(first, group)[var].values, getattr(second, group)[var].values,
                                          err_msg=f"{group}.{var}")


def test_checkpoints_of_a_run_do_not_grow_with_its_length(killed):
    path = killed
    starts = frame_starts(path)
    sizes = np.diff(starts + [path.stat().st_size])
    assert len(sizes) == STOP - 1  # one frame per iteration, each with that iteration's rows
    row = sum(r[0].nbytes for r in checkpoint.load(path, checkpoint.read_header(path)["fingerprint"])[1].values())
    # from iteration 2 on each frame holds one row and the state; the header's digits may vary a little
    assert sizes[1:].max() - sizes[1:].min() < row // 2


def damage(killed, out, frame: int) -> int:
    """A copy of the killed run's checkpoint for ``out`` with bytes flipped in frame ``frame``; its last good point."""
    path = shutil.copy(killed, checkpoint.path_for(out))
    flip(path, frame_starts(path)[frame] + 200)
    return frame  # frame k holds iteration k + 1: the frames before it end at iteration k


def test_a_damaged_last_checkpoint_exits_2_and_resume_again_finishes_the_run(model_file, reference, killed, tmp_path,
                                                                             capsys):
    out = tmp_path / "k.nc"
    good = damage(killed, out, STOP - 2)  # the last frame
    command = ["run", str(model_file), "--out", str(out), "--resume", "--quiet"]
    assert cli.main(command) == 2
    err = capsys.readouterr().err
    assert f"last good point at iteration {good}" in " ".join(err.split()) and "Traceback" not in err
    assert checkpoint.read_header(checkpoint.path_for(out))["iteration"] == good
    assert cli.main(command) == 0, capsys.readouterr().err
    same_draws(out, reference)


def test_a_run_resumed_from_before_a_damaged_frame_draws_what_an_uninterrupted_run_draws(model_file, reference, killed,
                                                                                          tmp_path):
    out = tmp_path / "k.nc"
    good = damage(killed, out, 30)
    model = ponder.load(model_file)
    with pytest.raises(ModelError, match=f"last good point at iteration {good}"):
        model.sample(out=out, resume=True, **SETTINGS)
    model.sample(out=out, resume=True, **SETTINGS)
    same_draws(out, reference)
