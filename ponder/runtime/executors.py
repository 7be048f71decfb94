"""Executors: where likelihood tasks run.

Every executor has the interface of ``concurrent.futures``: ``map(fn,
items)`` returning results in the order of ``items``, and ``shutdown()``.
Tasks carry their own seeds, so results never depend on which worker ran
what or when it finished; the same run is bit-identical on every executor.

* ``auto``      -- the default: ``serial`` until the tasks are known to be
  thread-safe and to take long enough for threads to pay (see
  :class:`AutoExecutor`), then a thread per core;
* ``serial``    -- in this process, one task after the other;
* ``threads``   -- a thread pool; the Numba kernels release the GIL;
* ``processes`` -- a process pool started with ``spawn`` (workers load the
  model and find its compiled kernels in the cache);
* ``mpi``       -- ``mpi4py.futures.MPIPoolExecutor``: spawns ``workers``
  MPI processes, or, under ``mpiexec -n N python -m mpi4py.futures -m
  ponder run ...``, uses the N - 1 ranks that mpiexec started.

A worker that dies (killed, out of memory, crashed) ends the run with
:class:`WorkerLost` within a fraction of a second, never a hang: the pool
of processes is unusable once one of its processes is gone. MPI ends every
process of a job when one of them dies, the one that spawned the workers
included; so the ``mpi`` executor spawns its workers from a helper process
in a session of its own, and a dead MPI worker ends that helper, which this
process sees as a lost worker. Under ``mpiexec`` the workers are ranks of
the same job as the run itself, and ``mpiexec`` ends it with its own message
("BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES").
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections import deque
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, ThreadPoolExecutor
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

    Optional: ``permit_threads(allowed)``, through which the caller says
    whether its tasks may run at the same time on threads of this process
    (an executor that decides for itself, as ``auto``, needs to know).
    """

    workers: int

    def map(self, fn: Callable, items: Iterable) -> list:
        """Results in the order of ``items``."""

    def shutdown(self) -> None:
        """Release the workers."""


class WorkerLost(RuntimeError):
    """A worker process of ``executor`` ended during a task; ``how`` says how, when the pool knows
    ("was killed by SIGKILL"). The pool cannot run tasks any more."""

    def __init__(self, executor: str, how: str):
        super().__init__(f"a worker process of the `{executor}` executor {how}")
        self.executor = executor
        self.how = how


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
        try:
            return list(self.pool.map(fn, items))
        except BrokenExecutor:
            raise WorkerLost(self.name, _how_it_ended(self.pool)) from None

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class ThreadExecutor(_PoolExecutor):
    """A pool of threads (Numba kernels run without the GIL)."""

    name = "threads"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ponder")


class AutoExecutor(SerialExecutor):
    """The default executor: tasks run in this process, on ``workers`` threads (default: the usable
    cores) once threads pay, else one after the other.

    Threads pay when the caller has permitted them (:meth:`permit_threads`:
    every likelihood declares itself thread-safe), a batch has at least two
    tasks and one task took at least ``threads_from`` seconds in each of the
    last :attr:`MEASURED` batches (a thread hand-off costs tens of
    microseconds; a particle filter's estimate takes milliseconds). It goes
    back to serial when none of the last batches reached half of that, so
    the choice follows a particle number that changes during warm-up, and a
    single slow batch (a pause of the machine) changes nothing. The first
    batch, which loads the kernels, is not measured. Results are the same either way
    (tasks carry their own seeds).
    """

    name = "auto"
    threads_from = 1e-3
    #: batches measured before a change
    MEASURED = 4

    def __init__(self, workers: int | None = None):
        self.workers = workers or usable_cores()
        self.allowed = False
        self.pool = None
        #: seconds per task of the last few measured batches
        self.recent: deque = deque(maxlen=self.MEASURED)
        #: how many batches ran on threads and how many in series (for the run's record)
        self.batches = {"threads": 0, "serial": 0}

    def permit_threads(self, allowed: bool) -> None:
        self.allowed = bool(allowed)

    def _threads_pay(self, n: int) -> bool:
        if not self.allowed or self.workers < 2 or n < 2 or len(self.recent) < self.MEASURED:
            return False
        if self.pool is None:  # every one of the last batches was slow enough: one slow batch is not a trend
            return min(self.recent) >= self.threads_from
        return max(self.recent) >= self.threads_from / 2

    def map(self, fn, items):
        items = list(items)
        if not items:
            return []
        started = time.perf_counter()
        if self._threads_pay(len(items)):
            if self.pool is None:
                self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ponder")
            results = list(self.pool.map(fn, items))
            at_once = min(self.workers, len(items))
            self.batches["threads"] += 1
        else:
            if self.pool is not None:
                self.pool.shutdown(wait=True)
                self.pool = None
            results = [fn(item) for item in items]
            at_once = 1
            self.batches["serial"] += 1
        if self.batches["threads"] + self.batches["serial"] > 1:  # the first batch loads kernels: not a measure
            self.recent.append((time.perf_counter() - started) * at_once / len(items))
        return results

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class ProcessExecutor(_PoolExecutor):
    """A pool of spawned processes."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        import multiprocessing

        self.workers = workers or os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))


class MPIExecutor(_PoolExecutor):
    """``mpi4py.futures.MPIPoolExecutor`` (install with ``pip install 'ponder[mpi]'``).

    Without ``mpiexec`` the pool lives in a helper process (see the module
    docstring): ``self.pool`` is then a one-process pool whose process holds
    the MPI pool and maps each batch over it.
    """

    name = "mpi"

    def __init__(self, workers: int | None = None):
        try:
            import mpi4py  # noqa: F401 -- the package only: importing mpi4py.MPI would make this an MPI process
        except ImportError:
            raise messages.mpi_needs_mpi4py() from None
        world = _mpiexec_world()
        if world is not None:
            from mpi4py.futures import MPIPoolExecutor

            self.pool = MPIPoolExecutor()
            self.workers = world - 1
            self.helper = False
        else:
            import multiprocessing

            self.workers = workers or os.cpu_count() or 1
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_mpi_pool, initargs=(self.workers,))
            self.helper = True

    def map(self, fn, items):
        # one message per worker and batch: a round trip costs about a millisecond
        items = list(items)
        chunk = max(1, -(-len(items) // self.workers))
        if not self.helper:
            return _map_over(self.pool, fn, items, chunk)
        try:
            return self.pool.submit(_map_on_mpi_pool, fn, items, chunk).result()
        except BrokenExecutor:
            raise WorkerLost(self.name, "ended, and MPI stopped the run's other MPI processes") from None

    def shutdown(self) -> None:
        if self.helper:
            try:
                self.pool.submit(_stop_mpi_pool).result()
            except BrokenExecutor:
                pass  # the helper is gone, and MPI took its workers with it
        super().shutdown()


def _mpiexec_world() -> int | None:
    """The number of ranks when this process is rank 0 of a job that ``mpiexec`` started with more, else None.

    ``python -m mpi4py.futures`` has initialised MPI before ponder runs; MPI is
    not initialised here otherwise (that would tie this process to the workers' fate).
    """
    MPI = sys.modules.get("mpi4py.MPI")
    if MPI is None or not MPI.Is_initialized():
        return None
    size = MPI.COMM_WORLD.Get_size()
    return size if size > 1 else None


#: The MPI pool of the helper process (:class:`MPIExecutor` without ``mpiexec``).
_MPI_POOL = None


def _start_mpi_pool(workers: int) -> None:
    """In the helper process: leave the run's session (MPI's clean-up of a dead worker kills a whole
    process group), then make the pool that spawns ``workers`` MPI processes."""
    global _MPI_POOL
    os.setsid()
    _put_mpiexec_on_path()
    from mpi4py.futures import MPIPoolExecutor

    _MPI_POOL = MPIPoolExecutor(max_workers=workers)


def _map_on_mpi_pool(fn, items: list, chunk: int) -> list:
    return _map_over(_MPI_POOL, fn, items, chunk)


def _stop_mpi_pool() -> None:
    _MPI_POOL.shutdown(wait=True)


def _map_over(pool, fn, items: list, chunk: int) -> list:
    return list(pool.map(fn, items, chunksize=chunk, unordered=False))


def _how_it_ended(pool) -> str:
    """How a pool's process ended ("was killed by SIGKILL"), from its exit code where the pool kept it.

    When one process dies the pool terminates the others (SIGTERM), so a
    code other than that one's is the process that died first.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.join(timeout=1.0)  # a dead one at once; the pool is terminating the others
    codes = [p.exitcode for p in processes if p.exitcode]
    first = next((c for c in codes if c != -signal.SIGTERM), codes[0] if codes else None)
    if first is None:
        return "ended abruptly"
    if first < 0:
        try:
            return f"was killed by {signal.Signals(-first).name}"
        except ValueError:
            return f"was killed by signal {-first}"
    return f"exited with code {first}"


def _put_mpiexec_on_path() -> None:
    """Spawning needs ``mpiexec``; the mpich wheel puts it next to the Python executable."""
    here = os.path.dirname(sys.executable)
    if shutil.which("mpiexec") is None and os.path.exists(os.path.join(here, "mpiexec")):
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")


def make_executor(name: str, workers: int | None):
    """The executor plugin ``name`` with ``workers`` workers (None: its default)."""
    from ponder.plugins.manager import plugins

    return plugins().executors.get(name)(workers)
