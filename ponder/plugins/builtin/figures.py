"""The built-in figure kinds of ``ponder plot`` and reports."""

from ponder.plugins.hookspecs import hookimpl

DESCRIPTIONS = {
    "trace": "traces and marginal densities against the prior",
    "pair": "pairwise scatter of the parameters",
    "predictive": "posterior predictive bands against the data",
    "latent": "latent state paths at the observation times",
    "pf": "particle-filter diagnostics: particles, log-likelihood spread, ESS",
    "sampler": "acceptance, log posterior and sampler diagnostics",
    "qq": "Q-Q plot of one-step-ahead residuals",
}


def _draw(kind: str):
    """The built-in drawing of ``kind``; matplotlib is imported when a figure is drawn, not when listed."""

    def draw(idata, truth=None, model=None):
        from ponder import plots

        return plots.builtin_figure(kind)(idata, truth=truth, model=model)

    return draw


@hookimpl
def ponder_add_figures(registry):
    for kind, description in DESCRIPTIONS.items():
        registry.add(kind, _draw(kind), description)
