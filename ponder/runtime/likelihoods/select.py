"""Choose and build the likelihood estimators of a model, and the combiner of its datasets."""

from __future__ import annotations

from ponder.lang import messages
from ponder.plugins.options import coerce_options, declared_options
from ponder.runtime.likelihoods.contract import capabilities_of

#: run settings that reach the estimators that declare them (and are dropped for the others)
RUN_SETTING_OPTIONS = ("particles", "resampling")


def choose_likelihood(model, likelihood: str | None = "auto") -> str:
    """The registered likelihood ``likelihood`` names; ``auto`` (or ``replicates``): the first whose
    capabilities say it is the automatic choice for this kind of model (``direct`` or ``pf`` built in)."""
    from ponder.plugins.manager import plugins

    name = likelihood or "auto"
    if name not in ("auto", "replicates"):
        plugins().likelihoods.get(name)  # unknown names: a ModelError listing what exists
        return name
    kind = "deterministic" if model.is_deterministic else "stochastic"
    registry = plugins().likelihoods
    for entry in registry.entries.values():
        if capabilities_of(entry.value).auto_for == kind:
            return entry.name
    raise messages.no_automatic_likelihood(kind)


def likelihood_options(factory, name: str, options: dict | None) -> dict:
    """``options`` checked against what the likelihood declares; run settings it does not declare are dropped."""
    options = dict(options or {})
    declared = declared_options(factory)
    if declared is not None:
        names = {o.name for o in declared}
        options = {k: v for k, v in options.items() if k in names or k not in RUN_SETTING_OPTIONS}
    return coerce_options(declared, options, f"the `{name}` likelihood")


def build_estimators(model, likelihood: str = "auto", options: dict | None = None) -> list:
    """One estimator per dataset, from the likelihood plugin named ``likelihood``."""
    from ponder.plugins.manager import plugins

    if not model.datasets:
        raise messages.no_data_no_likelihood(model.name)
    name = choose_likelihood(model, likelihood)
    factory = plugins().likelihoods.get(name)
    given = likelihood_options(factory, name, options)
    return [factory(model, ds, **given) for ds in model.datasets]


def make_combiner(model, estimators: list):
    """The ``replicates`` plugin's combiner of per-dataset estimators."""
    from ponder.plugins.manager import plugins

    return plugins().likelihoods.get("replicates")(model, estimators)


def make_likelihood(model, likelihood: str = "auto", **options):
    """The estimator ``likelihood`` for all of ``model``'s datasets.

    With several datasets the per-dataset estimators are combined by the
    ``replicates`` plugin.
    """
    estimators = build_estimators(model, likelihood, options)
    if len(estimators) == 1:
        return estimators[0]
    return make_combiner(model, estimators)
