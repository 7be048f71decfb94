"""The standard library's distributions and functions, registered like a plugin's."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_distributions(registry):
    from ponder.stdlib.distributions import DISTRIBUTIONS
    from ponder.stdlib.multivariate import MULTIVARIATE

    for name, dist in {**DISTRIBUTIONS, **MULTIVARIATE}.items():
        registry.add(name, dist, dist.doc)


@hookimpl
def ponder_add_functions(registry):
    from ponder.stdlib.functions import FUNCTIONS

    for name, fn in FUNCTIONS.items():
        registry.add(name, fn, fn.doc)
