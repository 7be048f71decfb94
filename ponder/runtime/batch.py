"""Many simulated datasets at once: the simulator that simulation-based and amortised inference train on.

:func:`simulate_batch` simulates one dataset per parameter vector -- every
replicate of the model's data, at the data's times, with the data's inputs
and constants -- with the model's compiled ``simulate_run``. Dataset m's
replicate r draws from the stream ``(seed, m, r)`` (:mod:`ponder.runtime.seeds`),
so the result is the same, bit for bit, for any number of threads; blocks
of datasets run on threads, which the Numba kernels let run at once.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ponder.lang import messages
from ponder.runtime.seeds import thread_generator

#: datasets per task handed to a thread
BLOCK = 32


def simulate_batch(model, thetas: np.ndarray, seed: int, threads: int | None = None, first: int = 0) -> np.ndarray:
    """Observations simulated from each row of ``thetas`` (M, parameter slots): an array (M, R, T, C).

    R is the number of datasets (replicates) of the model, T the most
    observation times of any of them (a replicate with fewer is NaN after its
    last time), C the observed columns in ``model.ir.observed_columns`` order.
    ``threads`` (default: the usable cores) run blocks of :data:`BLOCK` datasets.
    Row m is dataset ``first + m`` of the batch (its stream is ``(seed, first + m, r)``), so a batch
    cut into pieces simulates what it would have simulated whole.
    """
    from ponder.runtime.executors import usable_cores
    from ponder.runtime.kernels import link

    thetas = np.ascontiguousarray(np.atleast_2d(np.asarray(thetas, dtype=float)))
    if thetas.ndim != 2 or thetas.shape[1] != model.ir.n_params:
        raise messages.parameter_count(model.ir.n_params, thetas.shape[-1] if thetas.ndim else 1,
                                       model.param_slot_names)
    if not model.datasets:
        raise messages.no_observation_times()
    datasets = list(model.datasets)
    for ds in datasets:
        model.check_inputs_cover(ds, float(ds.times[-1]))
    consts = [model.consts(ds) for ds in datasets]
    times = [np.ascontiguousarray(ds.times, dtype=float) for ds in datasets]
    m_total, n_rep = thetas.shape[0], len(datasets)
    longest = max(len(t) for t in times)
    out = np.full((m_total, n_rep, longest, len(model.ir.observed_columns)), math.nan)
    loops = link(model.compiled)
    t0, n_states = model.ir.t0, model.ir.n_states

    def block(start: int) -> None:
        states = np.empty((longest, n_states))
        for m in range(start, min(start + BLOCK, m_total)):
            for r in range(n_rep):
                n_times = len(times[r])
                loops.simulate_run(thetas[m], consts[r], t0, times[r], thread_generator((seed, first + m, r)),
                                   states[:n_times], out[m, r, :n_times])

    starts = range(0, m_total, BLOCK)
    workers = min(threads or usable_cores(), len(starts))
    if workers <= 1:
        for start in starts:
            block(start)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ponder-batch") as pool:
            list(pool.map(block, starts))
    return out
