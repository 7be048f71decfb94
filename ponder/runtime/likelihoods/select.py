"""Choose and build the likelihood estimator for a model."""

from __future__ import annotations

from ponder.lang.errors import ModelError


def build_estimators(model, likelihood: str = "auto", options: dict | None = None) -> list:
    """One estimator per dataset, from the likelihood plugin named ``likelihood``.

    ``auto`` (and ``replicates``) mean ``direct`` for deterministic models
    and ``pf`` otherwise.
    """
    from ponder.plugins.manager import plugins

    if not model.datasets:
        raise ModelError(
            f"the model `{model.name}` has no data, so there is no likelihood",
            hint='add `data "file.csv"` to the model (make one with `ponder simulate`)',
        )
    name = likelihood or "auto"
    if name in ("auto", "replicates"):
        name = "direct" if model.is_deterministic else "pf"
    factory = plugins().likelihoods.get(name)
    return [factory(model, ds, **(options or {})) for ds in model.datasets]


def make_likelihood(model, likelihood: str = "auto", **options):
    """The estimator ``likelihood`` for all of ``model``'s datasets.

    With several datasets the per-dataset estimators are combined by the
    ``replicates`` plugin.
    """
    from ponder.plugins.manager import plugins

    estimators = build_estimators(model, likelihood, options)
    if len(estimators) == 1:
        return estimators[0]
    return plugins().likelihoods.get("replicates")(model, estimators)
