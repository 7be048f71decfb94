"""The language's standard library: distributions, math functions and ODE solvers.

Each distribution and each function is defined once here and read from that
one definition by the checker (names, argument counts), the code generator
(Numba implementations), the runtime (transforms to unconstrained space) and
the tests (SciPy twins). They reach the compiler as a plugin's would: the
built-in plugin :mod:`ponder.plugins.builtin.library` registers them. The
ODE solvers (:mod:`ponder.stdlib.ode`) are source text the code generator
copies into kernel modules; they reach it as :attr:`Library.ode_solvers`.
"""

from ponder.lang.library import Distribution, Function, Library
from ponder.stdlib.distributions import DISTRIBUTIONS
from ponder.stdlib.functions import FUNCTIONS
from ponder.stdlib.multivariate import MULTIVARIATE
from ponder.stdlib.ode import SOURCE as ODE_SOLVERS

#: The built-in library alone (the plugin manager's library adds plugins' entries).
BUILTIN_LIBRARY = Library({**DISTRIBUTIONS, **MULTIVARIATE}, FUNCTIONS,
                          {name: "ponder" for name in [*DISTRIBUTIONS, *MULTIVARIATE, *FUNCTIONS]}, ODE_SOLVERS)

__all__ = ["BUILTIN_LIBRARY", "DISTRIBUTIONS", "MULTIVARIATE", "Distribution", "FUNCTIONS", "Function", "Library", "ODE_SOLVERS"]
