"""The plugin module named by the entry point: hook implementations and the Numba code they register.

Distributions and functions are the same records ponder's standard library
uses (:mod:`ponder.lang.library`); their Numba functions must be module
globals of an importable module (the generated kernels import them).
"""

import math

import numba
import numpy as np

from ponder.lang.library import POSITIVE, REAL, Distribution, Function
from ponder.plugins.hookspecs import hookimpl

_njit = numba.njit(cache=True, nogil=True)


# ------------------------------------------------------------- Gumbel
@_njit
def gumbel_logpdf(x, mu, beta):
    """log p(x) = -log(beta) - z - exp(-z), z = (x - mu) / beta (the right-skewed Gumbel)."""
    if math.isnan(x) or math.isnan(mu) or math.isnan(beta):
        return math.nan
    if not (abs(mu) < math.inf and beta > 0.0 and beta < math.inf) or not abs(x) < math.inf:
        return -math.inf
    z = (x - mu) / beta
    return -math.log(beta) - z - math.exp(-z) if z > -700.0 else -math.inf


@_njit
def gumbel_sample(rng, mu, beta):
    """By inversion: mu - beta log(-log(u)), u ~ Uniform(0, 1)."""
    if not (abs(mu) < math.inf and beta > 0.0 and beta < math.inf):
        return math.nan
    u = rng.random()
    while u == 0.0:
        u = rng.random()
    return mu - beta * math.log(-math.log(u))


@_njit
def gumbel_support(mu, beta):
    return -math.inf, math.inf


def _gumbel_scipy(mu, beta):
    from scipy import stats

    return stats.gumbel_r(loc=mu, scale=beta)


Gumbel = Distribution(
    name="Gumbel",
    params=("mu", "beta"),
    param_bounds=(REAL, POSITIVE),
    logpdf=gumbel_logpdf,
    sample=gumbel_sample,
    support=gumbel_support,
    scipy=_gumbel_scipy,
    doc="Gumbel (maximum) with location mu and scale beta.",
)


# ------------------------------------------------------------- hill
@_njit
def hill_impl(x, k, n):
    """x^n / (k^n + x^n) for x >= 0 (0 below), the Hill function of x with half-saturation k and exponent n."""
    if x <= 0.0:
        return 0.0
    r = (k / x) ** n
    return 1.0 / (1.0 + r)


hill = Function("hill", 3, 3, hill_impl,
                lambda x, k, n: np.where(np.asarray(x) > 0, 1.0 / (1.0 + (k / np.maximum(x, 1e-300)) ** n), 0.0),
                "x^n / (k^n + x^n): Hill function with half-saturation k")


# ------------------------------------------------------------- hooks
@hookimpl
def ponder_add_distributions(registry):
    registry.add("Gumbel", Gumbel, Gumbel.doc)


@hookimpl
def ponder_add_functions(registry):
    registry.add("hill", hill, hill.doc)


def draw_loglik_histogram(idata, truth=None, model=None):
    """A figure kind: the histogram of the log-likelihood of the posterior draws."""
    from matplotlib.figure import Figure

    values = np.asarray(idata.sample_stats["log_likelihood"].values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if not values.size:
        return None
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.hist(values, bins=30)
    ax.set_xlabel("log-likelihood of the draws")
    return fig


@hookimpl
def ponder_add_figures(registry):
    registry.add("loglik-hist", draw_loglik_histogram, "histogram of the draws' log-likelihood")


class GumbelQuantile:
    """A command: ``ponder gumbel-quantile MU BETA P`` prints the P-quantile of Gumbel(MU, BETA)."""

    @staticmethod
    def configure(parser):
        parser.add_argument("mu", type=float)
        parser.add_argument("beta", type=float)
        parser.add_argument("p", type=float)

    @staticmethod
    def run(args) -> int:
        from ponder.lang.errors import ModelError

        if not (args.beta > 0 and 0 < args.p < 1):
            raise ModelError("need beta > 0 and 0 < p < 1", hint="for example `ponder gumbel-quantile 0 1 0.5`")
        print(repr(args.mu - args.beta * math.log(-math.log(args.p))))
        return 0


@hookimpl
def ponder_add_commands(registry):
    registry.add("gumbel-quantile", GumbelQuantile, "the P-quantile of Gumbel(MU, BETA)")
