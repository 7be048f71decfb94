"""The built-in samplers: ``ensemble``, ``mh`` and ``pt``."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_samplers(registry):
    from ponder.runtime.samplers import EnsembleSampler, MetropolisSampler, ParallelTempering

    registry.add("ensemble", EnsembleSampler, "affine-invariant ensemble sampler (stretch and DE moves)")
    registry.add("mh", MetropolisSampler, "random-walk Metropolis, adaptive; PMMH with a particle filter")
    registry.add("pt", ParallelTempering, "non-reversible parallel tempering with evidence (log Z)")
