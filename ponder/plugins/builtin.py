"""ponder's own likelihoods, samplers and executors, registered like any plugin's."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_likelihoods(registry):
    from ponder.runtime.likelihoods import DirectLikelihood, ParticleFilter, Replicates

    registry.add("direct", DirectLikelihood, "exact likelihood of a deterministic model")
    registry.add("pf", ParticleFilter, "bootstrap particle filter, adaptive particle number")
    registry.add("replicates", Replicates, "sums per-dataset estimators of a model with several datasets")


@hookimpl
def ponder_add_samplers(registry):
    from ponder.runtime.samplers import EnsembleSampler, MetropolisSampler, ParallelTempering

    registry.add("ensemble", EnsembleSampler, "affine-invariant ensemble sampler (stretch and DE moves)")
    registry.add("mh", MetropolisSampler, "random-walk Metropolis, adaptive; PMMH with a particle filter")
    registry.add("pt", ParallelTempering, "non-reversible parallel tempering with evidence (log Z)")


@hookimpl
def ponder_add_executors(registry):
    from ponder.runtime.executors import MPIExecutor, ProcessExecutor, SerialExecutor, ThreadExecutor

    registry.add("serial", SerialExecutor, "one task after the other, in this process")
    registry.add("threads", ThreadExecutor, "a thread pool (kernels release the GIL)")
    registry.add("processes", ProcessExecutor, "a pool of spawned processes")
    registry.add("mpi", MPIExecutor, "mpi4py.futures.MPIPoolExecutor (pip install 'ponder[mpi]')")
