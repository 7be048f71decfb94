"""ponder: Bayesian inference for stochastic and deterministic simulator models.

>>> import ponder
>>> model = ponder.load("examples/randomwalk/randomwalk.model")  # doctest: +SKIP
>>> model.simulate({"origin": 100, "drift": 0.2, "sigma": 10}, seed=1)  # doctest: +SKIP

The names below are imported on first use, so ``import ponder`` (and every
``ponder`` command, which imports this package first) costs nothing until a
name is asked for.
"""

from ponder.lazy import lazy_exports
from ponder.version import __version__

_EXPORTS = {
    "Model": "ponder.model",
    "load": "ponder.model",
    "loads": "ponder.model",
    "ModelError": "ponder.lang.errors",
    "Session": "ponder.session",
    "register_plugin": "ponder.plugins.manager",
    "register_simulator": "ponder.plugins.manager",
    "per_particle": "ponder.runtime.simulators.adapters",
    "SimulatorCapabilities": "ponder.lang.library",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


__getattr__ = lazy_exports(globals(), _EXPORTS)


def __dir__():
    return __all__
