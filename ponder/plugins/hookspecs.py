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


@hookspec
def ponder_add_samplers(registry):
    """Register samplers: ``registry.add(name, factory, description)``.

    ``factory(target, chains=None, **options)`` returns a sampler with
    ``start() -> state`` and ``step(state, iteration, warmup) -> state``
    (optionally ``end_warmup(state) -> state``); the state is a dict of
    arrays with the keys listed in :mod:`ponder.runtime.samplers`. The
    target (:class:`ponder.runtime.target.Target`) gives ``dim``, ``names``,
    ``seed``, ``initial(rows)`` and ``evaluate(z, keys, adapt)``.
    """


@hookspec
def ponder_add_executors(registry):
    """Register executors: ``registry.add(name, factory, description)``.

    ``factory(workers)`` returns an object with ``map(fn, items) -> list``
    (results in the order of ``items``), ``shutdown()`` and ``workers``.
    ``fn`` and the items are picklable.
    """
