"""ponder: Bayesian inference for stochastic and deterministic simulator models.

>>> import ponder
>>> model = ponder.load("examples/randomwalk/randomwalk.model")  # doctest: +SKIP
>>> model.simulate({"origin": 100, "drift": 0.2, "sigma": 10}, seed=1)  # doctest: +SKIP
"""

__version__ = "0.1.0"

import warnings as _warnings  # noqa: E402

# ArviZ 0.23 announces its 1.0 refactor on import; ponder pins arviz<1 (DESIGN §6).
_warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing a major refactor", category=FutureWarning)

from ponder.lang.errors import ModelError  # noqa: E402
from ponder.model import Model, load, loads  # noqa: E402
from ponder.session import Session  # noqa: E402

__all__ = ["Model", "ModelError", "Session", "load", "loads", "__version__"]
