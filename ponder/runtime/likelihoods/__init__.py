"""Likelihood estimators: ``direct``, ``pf`` and ``replicates``.

Each is a small class with one method, ``estimate(theta, seed)``, built from
a model and a dataset (or all datasets, for ``replicates``). They are
registered through the plugin hooks (:mod:`ponder.plugins.builtin`) like any
third-party estimator; :func:`make_likelihood` picks and builds one.
"""

from ponder.runtime.likelihoods.direct import DirectLikelihood
from ponder.runtime.likelihoods.particle_filter import ParticleFilter, parse_particles
from ponder.runtime.likelihoods.replicates import Replicates
from ponder.runtime.likelihoods.select import make_likelihood

__all__ = ["DirectLikelihood", "ParticleFilter", "Replicates", "make_likelihood", "parse_particles"]
