"""Checkpoints: the whole state of a run in one ``.npz`` file, written atomically.

The file holds the sampler's state arrays (``state/<key>``), the records so
far (``records/<key>``) and a JSON header (iteration, adaptive particle
numbers, elapsed time, and a fingerprint of the model, data and settings
that a resumed run must match). It is written to a temporary file and
renamed, so a kill at any moment leaves either the old or the new
checkpoint, never a torn one. No pickles: loading a checkpoint runs no code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ponder.runtime.outputs import scratch

from ponder.lang import messages


def path_for(results: Path) -> Path:
    return results.with_name(results.name + ".checkpoint.npz")


def save(path: Path, fingerprint: str, state: dict, records: dict, iteration: int, extra: dict) -> None:
    arrays = {f"state/{k}": np.asarray(v) for k, v in state.items()}
    arrays.update({f"records/{k}": v[:iteration] for k, v in records.items()})
    arrays["records_length"] = np.array(len(next(iter(records.values()))) if records else 0)
    header = {"fingerprint": fingerprint, "iteration": int(iteration), "extra": extra}
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = scratch(path)  # its own name: a second writer never truncates this one's file
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def saved_settings(path: Path) -> dict:
    """The run settings stored in a checkpoint (empty if it cannot be read)."""
    try:
        data = np.load(path, allow_pickle=False)
        return json.loads(bytes(data["header"]).decode())["extra"].get("settings", {})
    except Exception:
        return {}


def load(path: Path, fingerprint: str):
    """(state, records, iteration, extra); a ModelError if the run does not match."""
    try:
        data = np.load(path, allow_pickle=False)
        header = json.loads(bytes(data["header"]).decode())
    except Exception as exc:  # a damaged file is a user-facing problem, not a crash
        raise messages.checkpoint_unreadable(path, exc) from None
    if header["fingerprint"] != fingerprint:
        raise messages.checkpoint_of_another_run(path)
    iteration = int(header["iteration"])
    length = int(data["records_length"])
    state = {k[len("state/"):]: np.array(data[k]) for k in data.files if k.startswith("state/")}
    records = {}
    for k in data.files:
        if k.startswith("records/"):
            saved = data[k]
            full = np.zeros((length,) + saved.shape[1:], dtype=saved.dtype)
            full[:iteration] = saved
            records[k[len("records/"):]] = full
    return state, records, iteration, header["extra"]
