"""The built-in likelihoods: exact (``direct``), particle filter (``pf``), and the ``replicates`` combiner."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_likelihoods(registry):
    from ponder.runtime.likelihoods import DirectLikelihood, ParticleFilter, Replicates

    registry.add("direct", DirectLikelihood, "exact likelihood of a deterministic model")
    registry.add("pf", ParticleFilter, "bootstrap particle filter, adaptive particle number")
    registry.add("replicates", Replicates, "sums per-dataset estimators of a model with several datasets")
