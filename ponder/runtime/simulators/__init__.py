"""External simulators as a model's dynamics: the contract, adapters and the likelihood loops that call them."""

from ponder.runtime.simulators.adapters import PerParticle, per_particle
from ponder.runtime.simulators.contract import (Simulator, SimulatorCapabilities, capabilities_of, close_state,
                                                default_resample, resample_state)

__all__ = ["PerParticle", "Simulator", "SimulatorCapabilities", "capabilities_of", "close_state",
           "default_resample", "per_particle", "resample_state"]
