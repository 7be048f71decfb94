"""Checkpoints: a run's state as an append-only file of frames, so a checkpoint writes only what is new.

A checkpoint file is a sequence of frames. A frame holds the rows of every
record done since the frame before (rows ``[start, iteration)``), the
sampler's whole state after ``iteration`` (small: about one iteration's
rows) and a JSON header (fingerprint of the model, data and settings that a
resumed run must match, iteration, the records' length, and ``extra``:
adaptive particle numbers, elapsed time, plan, settings). On disk a frame is

    prefix  = magic (8 bytes) | payload length (8) | payload SHA-256 (32) | first 8 bytes of the SHA-256 of those 48
    payload = header length (8) | header JSON | the arrays' bytes, C order, in the header's order

:meth:`Checkpoint.save` appends one frame and fsyncs it, so the bytes it
writes (and its time) depend on the iterations since the last checkpoint and
not on the length of the run: total checkpoint I/O is linear in run length.
:meth:`Checkpoint.load` verifies every frame against its checksums, puts the
rows in place and resumes from the last frame.

A kill at any moment leaves the frames before it whole and at most a torn
last frame (the file ends inside it): that one was never a checkpoint, and
loading ignores it. Any other mismatch is damage: the frames before it are
the last good point, the file is cut back to them (the damaged file kept
beside it) and loading says so; ``--resume`` again continues from there.
No pickles: a frame is JSON and plain numbers, and loading runs no code.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import numpy as np

from ponder.lang import messages
from ponder.lang.errors import ModelError
from ponder.runtime.outputs import scratch

MAGIC = b"PONDERCK"
PREFIX = struct.Struct("<8sQ32s8s")
LENGTH = struct.Struct("<Q")
HEADER_FIELDS = {"fingerprint", "iteration", "start", "length", "extra", "arrays"}


def path_for(results: Path) -> Path:
    """The checkpoint of the run whose results go to ``results``."""
    return results.with_name(results.name + ".checkpoint")


def damaged_path(path: Path) -> Path:
    """Where a damaged checkpoint is kept once it has been cut back to its last good point."""
    return path.with_name(path.name + ".damaged")


class Checkpoint:
    """The checkpoint file at ``path`` of one run: :meth:`load` reads it, :meth:`save` appends what is new."""

    def __init__(self, path: Path, fingerprint: str):
        self.path, self.fingerprint = Path(path), fingerprint
        self.end = None  # bytes of whole frames in the file, None until this run has read or written it
        self.written = 0  # iterations whose rows those frames hold

    def save(self, state: dict, records: dict, iteration: int, extra: dict) -> int:
        """Append a frame: the rows since the last save, ``state`` after ``iteration`` and ``extra``; the bytes written.

        The first save of a run writes a new file and then replaces the old
        one, so a checkpoint of an earlier run stays whole until then. A save
        at an iteration before what is written (a run that keeps fewer
        iterations than it did) writes no rows: loading uses rows up to the
        last frame's iteration, and later frames overwrite the rest.
        """
        fresh = self.end is None or not self.path.exists()  # (also if the file was deleted meanwhile)
        start = 0 if fresh else min(self.written, iteration)
        frame = _frame(self.fingerprint, state, records, start, iteration, extra)
        if fresh:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = scratch(self.path)  # its own name: a second writer never truncates this one's file
            with open(tmp, "wb") as fh:
                _write(fh, frame)
            os.replace(tmp, self.path)
            self.end = 0
        else:
            with open(self.path, "r+b") as fh:
                fh.seek(self.end)
                _write(fh, frame)  # over a torn frame a kill left, if any
        size = sum(len(part) for part in frame)
        self.end += size
        self.written = iteration
        return size

    def load(self):
        """(state, records, iteration, extra) of the last good frame; a ModelError if there is none, if the
        checkpoint is damaged (it is then cut back to its last good point) or if it belongs to another run."""
        data = _read(self.path)
        frames, end, problem = _frames(data)
        if not frames:
            raise messages.checkpoint_unreadable(self.path, problem or "it is empty")
        header, payload = frames[-1]
        if header["fingerprint"] != self.fingerprint:
            raise messages.checkpoint_of_another_run(self.path)
        iteration = int(header["iteration"])
        if problem is not None:
            _cut(self.path, data[:end])
            raise messages.checkpoint_damaged(self.path, problem, iteration, damaged_path(self.path))
        last = _arrays(header, payload)
        state = {name[len("state/"):]: np.array(a) for name, a in last.items() if name.startswith("state/")}
        length = max(int(header["length"]), iteration)
        records = {name[len("records/"):]: np.zeros((length,) + a.shape[1:], dtype=a.dtype)
                   for name, a in last.items() if name.startswith("records/")}
        for frame_header, frame_payload in frames:
            start = int(frame_header["start"])
            for name, rows in _arrays(frame_header, frame_payload).items():
                if name.startswith("records/"):
                    kept = rows[:max(0, iteration - start)]  # rows past the last frame's iteration are not the run's
                    records[name[len("records/"):]][start:start + len(kept)] = kept
        self.end, self.written = end, iteration
        return state, records, iteration, header["extra"]


def save(path: Path, fingerprint: str, state: dict, records: dict, iteration: int, extra: dict) -> int:
    """Write a checkpoint of one frame at ``path`` (replacing what is there, atomically); the bytes written."""
    return Checkpoint(path, fingerprint).save(state, records, iteration, extra)


def load(path: Path, fingerprint: str):
    """(state, records, iteration, extra) of the checkpoint at ``path``; see :meth:`Checkpoint.load`."""
    return Checkpoint(path, fingerprint).load()


def read_header(path: Path) -> dict:
    """The header of the last good frame at ``path`` (fingerprint, iteration, extra); empty if there is none."""
    try:
        frames, _, _ = _frames(_read(path))
    except ModelError:
        return {}
    return frames[-1][0] if frames else {}


def saved_settings(path: Path) -> dict:
    """The run settings stored in a checkpoint (empty if it cannot be read)."""
    return read_header(path).get("extra", {}).get("settings", {})


# ------------------------------------------------------------ frames
def _frame(fingerprint: str, state: dict, records: dict, start: int, iteration: int, extra: dict) -> list:
    """A frame as a list of buffers, its prefix first."""
    arrays = {f"state/{k}": _contiguous(v) for k, v in state.items()}
    arrays.update({f"records/{k}": _contiguous(v[start:iteration]) for k, v in records.items()})
    length = len(next(iter(records.values()))) if records else 0
    header = {"fingerprint": fingerprint, "iteration": int(iteration), "start": int(start), "length": length,
              "extra": extra, "arrays": [[k, a.dtype.str, list(a.shape)] for k, a in arrays.items()]}
    text = json.dumps(header).encode()
    payload = [LENGTH.pack(len(text)), text, *(a.reshape(-1).view(np.uint8) for a in arrays.values())]
    digest = hashlib.sha256()
    for part in payload:
        digest.update(part)
    head = MAGIC + LENGTH.pack(sum(len(part) for part in payload)) + digest.digest()
    return [head + hashlib.sha256(head).digest()[:8], *payload]


def _contiguous(values) -> np.ndarray:
    array = np.asarray(values)
    return array if array.flags.c_contiguous else array.copy(order="C")


def _write(fh, frame: list) -> None:
    """Write ``frame`` where ``fh`` stands, end the file there, and wait until it is on disk."""
    for part in frame:
        fh.write(part)
    fh.truncate()
    fh.flush()
    os.fsync(fh.fileno())


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise messages.checkpoint_unreadable(path, err.strerror or str(err)) from None


def _frames(data: bytes) -> tuple[list, int, str | None]:
    """(the good frames as (header, payload), the byte they end at, what is wrong after them, or None).

    A torn last frame (the file ends inside it, its prefix intact as far as
    it goes) is no problem: it is what a kill during a save leaves.
    """
    view = memoryview(data)
    frames, at = [], 0
    while at < len(data):
        rest = len(data) - at
        if rest < PREFIX.size:
            torn = MAGIC.startswith(bytes(view[at:at + len(MAGIC)]))
            return frames, at, None if torn else f"the frame at byte {at} has a damaged header"
        magic, size, digest, check = PREFIX.unpack_from(data, at)
        if magic != MAGIC and not frames:
            return frames, at, "it is not a ponder checkpoint"
        if magic != MAGIC or hashlib.sha256(view[at:at + PREFIX.size - len(check)]).digest()[:len(check)] != check:
            return frames, at, f"the frame at byte {at} has a damaged header"
        if rest < PREFIX.size + size:
            return frames, at, None
        payload = view[at + PREFIX.size:at + PREFIX.size + size]
        if hashlib.sha256(payload).digest() != digest:
            return frames, at, f"the frame at byte {at} does not match its checksum"
        try:
            header = _header(payload)
        except (ValueError, TypeError, struct.error) as err:
            return frames, at, f"the frame at byte {at} is malformed ({err})"
        frames.append((header, payload))
        at += PREFIX.size + size
    return frames, at, None


def _header(payload) -> dict:
    """A frame's header, checked: it has every field, and its table of arrays fits the bytes (ValueError if not)."""
    (text_size,) = LENGTH.unpack_from(payload, 0)
    header = json.loads(bytes(payload[LENGTH.size:LENGTH.size + text_size]).decode())
    if not isinstance(header, dict) or not HEADER_FIELDS <= header.keys():
        raise ValueError("its header lacks fields")
    _arrays(header, payload)
    return header


def _arrays(header: dict, payload) -> dict:
    """The frame's arrays by name, as views of ``payload``: plain numbers only, never Python objects."""
    (text_size,) = LENGTH.unpack_from(payload, 0)
    at = LENGTH.size + text_size
    out = {}
    for name, dtype, shape in header["arrays"]:
        dtype = np.dtype(dtype)
        if dtype.hasobject:
            raise ValueError(f"`{name}` holds Python objects")
        if any(int(n) < 0 for n in shape):
            raise ValueError(f"`{name}` has a negative shape")
        count = int(np.prod(shape, dtype=np.int64))
        out[name] = np.frombuffer(payload, dtype=dtype, count=count, offset=at).reshape(shape)
        at += count * dtype.itemsize
    if at != len(payload):
        raise ValueError("its arrays do not fill it")
    return out


def _cut(path: Path, good: bytes) -> None:
    """Keep the damaged file as :func:`damaged_path` and put its good frames in its place."""
    tmp = scratch(path)
    with open(tmp, "wb") as fh:
        _write(fh, [good])
    os.replace(path, damaged_path(path))
    os.replace(tmp, path)
