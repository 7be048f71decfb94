"""Choose and build the likelihood estimator for a model."""

from __future__ import annotations

from ponder.lang.errors import ModelError


def make_likelihood(model, likelihood: str = "auto", **options):
    """Build the estimator ``likelihood`` for all of ``model``'s datasets.

    ``auto`` is ``direct`` for deterministic models and ``pf`` otherwise.
    With several datasets the per-dataset estimators are combined by
    ``replicates``; naming ``replicates`` explicitly does the same with
    ``auto`` per dataset.
    """
    from ponder.plugins.manager import plugins

    name = likelihood or "auto"
    if not model.datasets:
        raise ModelError(
            f"the model `{model.name}` has no data, so there is no likelihood",
            hint='add `data "file.csv"` to the model (make one with `ponder simulate`)',
        )
    if name in ("auto", "replicates"):
        name = "direct" if model.is_deterministic else "pf"
    factory = plugins().likelihoods.get(name)
    estimators = [factory(model, ds, **options) for ds in model.datasets]
    if len(estimators) == 1:
        return estimators[0]
    return plugins().likelihoods.get("replicates")(model, estimators)
