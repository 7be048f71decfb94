"""The built-in executors: ``auto``, ``serial``, ``threads``, ``processes`` and ``mpi``."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_executors(registry):
    from ponder.runtime.executors import AutoExecutor, MPIExecutor, ProcessExecutor, SerialExecutor, ThreadExecutor

    registry.add("auto", AutoExecutor, "the default: threads of this process when the likelihood is thread-safe "
                 "and an estimate takes a millisecond or more, else serial")
    registry.add("serial", SerialExecutor, "one task after the other, in this process")
    registry.add("threads", ThreadExecutor, "a thread pool (kernels release the GIL)")
    registry.add("processes", ProcessExecutor, "a pool of spawned processes")
    registry.add("mpi", MPIExecutor, "mpi4py.futures.MPIPoolExecutor (pip install 'ponder[mpi]')")
