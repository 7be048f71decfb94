"""Hook specifications: how plugins add to ponder.

A plugin is a module or object with functions marked ``@hookimpl`` and named
like the hooks below. ponder's own likelihoods register through these same
hooks (:mod:`ponder.plugins.builtin`). Third-party packages declare an entry
point in the group ``ponder``::

    [project.entry-points.ponder]
    mysampler = "my_package.plugin"

Hooks are called with keyword arguments only.
"""

import pluggy

hookspec = pluggy.HookspecMarker("ponder")
hookimpl = pluggy.HookimplMarker("ponder")


@hookspec
def ponder_add_likelihoods(registry):
    """Register likelihood estimators: ``registry.add(name, factory, description)``.

    Called once when the plugin manager starts. ``factory(model, dataset,
    **options)`` must return an object with ``estimate(theta, seed,
    trajectory=True) -> Estimate`` and ``cost() -> float`` (see
    :class:`ponder.runtime.estimate.Estimate`). The entry named
    ``replicates`` is the combiner used for models with several datasets:
    ``factory(model, estimators)``. Options that ponder passes:
    ``particles``, ``resampling``, ``ess_threshold``, ``target_sd``; a
    factory raises :class:`ponder.ModelError` for options it cannot honour.
    """
