"""The default ``auto`` executor: threads only when permitted and when they pay, same results as serial."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import ponder
from ponder.runtime.executors import AutoExecutor, make_executor
from ponder.runtime.likelihoods.contract import Capabilities
from ponder.runtime.likelihoods.particle_filter import ParticleFilter
from ponder.runtime.target import Target
from tests.conftest import EXAMPLES


def _slow(item):
    time.sleep(0.004)  # sleeping releases the GIL, as a Numba kernel does
    return item * item, threading.current_thread().name


def _fast(item):
    return item * item, threading.current_thread().name


def test_auto_is_the_registered_default():
    from ponder.runtime.settings import Settings

    assert Settings().executor == "auto"
    assert isinstance(make_executor("auto", None), AutoExecutor)


def test_slow_permitted_tasks_move_to_threads_and_keep_their_order():
    pool = AutoExecutor(2)
    pool.permit_threads(True)
    try:
        first = [pool.map(_slow, range(6)) for _ in range(5)]  # the first loads kernels; four are measured
        later = [pool.map(_slow, range(6)) for _ in range(3)]
    finally:
        pool.shutdown()
    for batch in first:
        assert [r for r, _ in batch] == [i * i for i in range(6)]
        assert {name for _, name in batch} == {threading.current_thread().name}
    for batch in later:
        assert [r for r, _ in batch] == [i * i for i in range(6)]
        assert all(name.startswith("ponder") for _, name in batch)
    assert pool.batches == {"serial": 5, "threads": 3}


def test_one_slow_batch_is_not_a_trend():
    pool = AutoExecutor(2)
    pool.permit_threads(True)
    for k in range(12):
        pool.map(_slow if k == 6 else _fast, range(4))  # a pause of the machine in one batch
    assert pool.batches["threads"] == 0


def test_threads_need_permission():
    pool = AutoExecutor(2)  # nobody said the tasks are thread-safe
    for _ in range(3):
        results = pool.map(_slow, range(4))
    assert pool.batches == {"serial": 3, "threads": 0}
    assert {name for _, name in results} == {threading.current_thread().name}


def test_fast_tasks_and_single_tasks_stay_serial():
    pool = AutoExecutor(2)
    pool.permit_threads(True)
    for _ in range(5):
        pool.map(_fast, range(8))
    assert pool.batches["threads"] == 0
    pool.map(_slow, [1])  # one task: nothing to share
    pool.map(_slow, [1])
    assert pool.batches["threads"] == 0
    assert AutoExecutor(1).workers == 1


def test_falls_back_to_serial_when_tasks_become_fast():
    pool = AutoExecutor(2)
    pool.permit_threads(True)
    try:
        for _ in range(7):
            pool.map(_slow, range(4))
        assert pool.batches["threads"] == 2
        for _ in range(12):
            last = pool.map(_fast, range(4))
    finally:
        pool.shutdown()
    assert {name for _, name in last} == {threading.current_thread().name}
    serial_after = pool.batches["serial"] - 5
    assert serial_after >= 6, pool.batches  # four fast batches on threads, then serial


@pytest.fixture(scope="module")
def randomwalk():
    return ponder.load(EXAMPLES / "randomwalk" / "randomwalk.model")


def test_target_permits_threads_only_for_thread_safe_likelihoods(randomwalk, monkeypatch):
    pool = AutoExecutor(2)
    Target(randomwalk, "pf", {"particles": 64}, pool, 1)
    assert pool.allowed
    monkeypatch.setattr(ParticleFilter, "capabilities", Capabilities(auto_for="stochastic"))
    pool = AutoExecutor(2)
    Target(randomwalk, "pf", {"particles": 64}, pool, 1)
    assert not pool.allowed


def test_a_run_on_threads_gives_the_serial_draws(randomwalk, monkeypatch):
    monkeypatch.setattr(AutoExecutor, "threads_from", 0.0)  # every batch of two or more on threads
    runs = {}
    for executor in ("serial", "auto"):
        runs[executor] = randomwalk.sample(sampler="mh", samples=40, warmup=40, chains=3, particles=64,
                                           executor=executor, workers=2, seed=5)
    for name in ("origin", "drift", "sigma"):
        assert np.array_equal(runs["serial"].posterior[name].values, runs["auto"].posterior[name].values), name
    import json

    resources = json.loads(runs["auto"].posterior.attrs["resources"])
    assert resources["executor"] == "auto" and resources["workers"] == 2
    assert resources["executor_batches"]["threads"] > 0
