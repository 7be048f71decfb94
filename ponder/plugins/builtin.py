"""ponder's own likelihood estimators, registered like any plugin's."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_likelihoods(registry):
    from ponder.runtime.likelihoods import DirectLikelihood, ParticleFilter, Replicates

    registry.add("direct", DirectLikelihood, "exact likelihood of a deterministic model")
    registry.add("pf", ParticleFilter, "bootstrap particle filter, adaptive particle number")
    registry.add("replicates", Replicates, "sums per-dataset estimators of a model with several datasets")
