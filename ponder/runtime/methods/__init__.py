"""Inference methods: run a whole-run algorithm registered in ``ponder_add_methods``.

The contract a method implements is in :mod:`ponder.runtime.methods.contract`.
:func:`run_method` builds the method with its declared options, gives it a
round checkpoint next to ``out`` (``OUT.rounds.checkpoint``: the method's state
after its last finished round, with a fingerprint of the model, data, method,
options and seed), and writes ponder's results.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from ponder.lang import messages
from ponder.plugins.options import coerce_options, declared_options
from ponder.runtime import arviz_io, checkpoint, outputs
from ponder.runtime.executors import make_executor


class RoundCheckpoint:
    """The :class:`~ponder.runtime.methods.contract.Rounds` of one run: a file, or nothing when ``path`` is None."""

    def __init__(self, path: Path | None, fingerprint: str, resume: bool, seed: int):
        self.path, self.fingerprint, self.resume_wanted, self.seed = path, fingerprint, resume, seed

    def save(self, round_index: int, state: dict) -> None:
        if self.path is not None:
            checkpoint.save(self.path, self.fingerprint, state, {}, int(round_index), {"settings": {"seed": self.seed}})

    def resume(self) -> tuple[int, dict] | None:
        if not self.resume_wanted or self.path is None or not self.path.exists():
            return None
        state, _, round_index, _ = checkpoint.load(self.path, self.fingerprint)
        return round_index, state


def rounds_path(out: Path) -> Path:
    return out.with_name(out.name + ".rounds.checkpoint")


def run_method(model, method: str, out=None, resume: bool = False, executor="auto", workers: int | None = None,
               seed: int | None = None, progress=None, options: dict | None = None):
    """Run the inference method ``method`` on ``model``; returns the ArviZ results (also written to ``out``).

    ``options`` are checked against what the method declares. With
    ``resume``, a run continues from the last round saved next to ``out``
    (the seed, if not given, is the interrupted run's).
    """
    from ponder.plugins.manager import plugins

    factory = plugins().methods.get(method)
    given = coerce_options(declared_options(factory), options or {}, f"the `{method}` method")
    out_path = Path(out) if out is not None else None
    ckpt = rounds_path(out_path) if out_path is not None else None
    with outputs.guard_outputs(out_path, ckpt):
        return _run_method(model, method, factory, given, out_path, ckpt, resume, executor, workers, seed, progress)


def _run_method(model, method, factory, given, out_path, ckpt, resume, executor, workers, seed, progress):
    from ponder.runtime.results import method_results

    if seed is None and resume and ckpt is not None and ckpt.exists():
        seed = checkpoint.saved_settings(ckpt).get("seed")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    if resume and (ckpt is None or not ckpt.exists()):
        raise messages.no_checkpoint_to_resume(ckpt, rounds=True)
    payload = {"source": model.source, "method": method, "options": given, "seed": seed,
               "data": [hashlib.sha256(ds.values.tobytes() + ds.times.tobytes()).hexdigest() for ds in model.datasets]}
    fingerprint = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    rounds = RoundCheckpoint(ckpt, fingerprint, resume, seed)
    own = isinstance(executor, str)
    pool = make_executor(executor, workers) if own else executor
    started = time.time()
    try:
        result = factory(model, pool, seed, **given).run(rounds, progress or (lambda done, total, text: None))
    finally:
        if own:
            pool.shutdown()
    settings = {"method": method, "options": given, "seed": seed, "executor": executor if own else "object"}
    idata = method_results(model, method, result, seed, time.time() - started, settings)
    if out_path is not None:
        arviz_io.write_results(idata, out_path, ckpt)
        if ckpt is not None and ckpt.exists():
            ckpt.unlink()  # the rounds file of a finished method: nothing to continue from
    return idata
