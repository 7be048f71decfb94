"""Executors: where likelihood tasks run.

Every executor has the interface of ``concurrent.futures``: ``map(fn,
items)`` returning results in the order of ``items``, and ``shutdown()``.
Tasks carry their own seeds, so results never depend on which worker ran
what or when it finished; the same run is bit-identical on every executor.

* ``serial``    -- in this process, one task after the other;
* ``threads``   -- a thread pool; the Numba kernels release the GIL;
* ``processes`` -- a process pool started with ``spawn`` (workers load the
  model and find its compiled kernels in the cache);
* ``mpi``       -- ``mpi4py.futures.MPIPoolExecutor``: spawns ``workers``
  MPI processes, or, under ``mpiexec -n N python -m mpi4py.futures -m
  ponder run ...``, uses the N - 1 ranks that mpiexec started.
"""

from __future__ import annotations

import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Callable, Iterable, Protocol, runtime_checkable

from ponder.lang import messages


@runtime_checkable
class Executor(Protocol):
    """The executor contract: ``factory(workers)`` (``workers`` None: the executor's default) builds one.

    ``map(fn, items)`` returns ``[fn(item) for item in items]`` in the order
    of ``items`` (``fn`` and the items are picklable; ``fn`` is a module
    function); ``shutdown()`` releases the workers; ``workers`` is how many
    tasks run at once. The runtime keys every task's random numbers, so an
    executor may run tasks in any order and on any worker.
    """

    workers: int

    def map(self, fn: Callable, items: Iterable) -> list:
        """Results in the order of ``items``."""

    def shutdown(self) -> None:
        """Release the workers."""


class SerialExecutor:
    """Runs tasks in the calling process, in order."""

    name = "serial"

    def __init__(self, workers: int | None = None):
        self.workers = 1

    def map(self, fn, items):
        return [fn(item) for item in items]

    def shutdown(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


class _PoolExecutor(SerialExecutor):
    def map(self, fn, items):
        return list(self.pool.map(fn, items))

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class ThreadExecutor(_PoolExecutor):
    """A pool of threads (Numba kernels run without the GIL)."""

    name = "threads"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ponder")


class ProcessExecutor(_PoolExecutor):
    """A pool of spawned processes."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        import multiprocessing

        self.workers = workers or os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))


class MPIExecutor(_PoolExecutor):
    """``mpi4py.futures.MPIPoolExecutor`` (install with ``pip install 'ponder[mpi]'``)."""

    name = "mpi"

    def __init__(self, workers: int | None = None):
        try:
            from mpi4py import MPI
            from mpi4py.futures import MPIPoolExecutor
        except ImportError:
            raise messages.mpi_needs_mpi4py() from None
        _put_mpiexec_on_path()
        under_mpiexec = MPI.COMM_WORLD.Get_size() > 1
        if under_mpiexec:
            self.pool = MPIPoolExecutor()
            self.workers = MPI.COMM_WORLD.Get_size() - 1
        else:
            self.workers = workers or os.cpu_count() or 1
            self.pool = MPIPoolExecutor(max_workers=self.workers)

    def map(self, fn, items):
        # one message per worker and batch: a round trip costs about a millisecond
        items = list(items)
        chunk = max(1, -(-len(items) // self.workers))
        return list(self.pool.map(fn, items, chunksize=chunk, unordered=False))


def _put_mpiexec_on_path() -> None:
    """Spawning needs ``mpiexec``; the mpich wheel puts it next to the Python executable."""
    here = os.path.dirname(sys.executable)
    if shutil.which("mpiexec") is None and os.path.exists(os.path.join(here, "mpiexec")):
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")


def make_executor(name: str, workers: int | None):
    """The executor plugin ``name`` with ``workers`` workers (None: its default)."""
    from ponder.plugins.manager import plugins

    return plugins().executors.get(name)(workers)
