"""The language's standard library: distributions and math functions.

Each distribution and each function is defined once here and read from that
one definition by the checker (names, argument counts), the code generator
(Numba implementations), the runtime (transforms to unconstrained space) and
the tests (SciPy twins).
"""

from ponder.stdlib.distributions import DISTRIBUTIONS, Distribution
from ponder.stdlib.functions import FUNCTIONS, Function

__all__ = ["DISTRIBUTIONS", "Distribution", "FUNCTIONS", "Function"]
