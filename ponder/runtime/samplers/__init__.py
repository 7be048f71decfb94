"""Samplers: ``ensemble`` (affine-invariant ensemble), ``mh`` (random-walk Metropolis, PMMH),
``pt`` (non-reversible parallel tempering with the evidence).

What a sampler plugin implements, and what the runtime guarantees it, is
written in :mod:`ponder.runtime.samplers.contract`.
"""

from ponder.runtime.samplers.base import accept_rows
from ponder.runtime.samplers.ensemble import EnsembleSampler
from ponder.runtime.samplers.metropolis import MetropolisSampler
from ponder.runtime.samplers.tempering import ParallelTempering

__all__ = ["EnsembleSampler", "MetropolisSampler", "ParallelTempering", "accept_rows"]
