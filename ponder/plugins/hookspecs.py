"""Hook specifications: how plugins add to ponder.

A plugin is a module or object with functions marked ``@hookimpl`` and named
like the hooks below. Each hook gets a ``registry`` and calls
``registry.add(name, value, description)`` once per thing it adds (as tox's
hooks do). ponder's own parts register through these same hooks, from the
modules listed in :data:`ponder.plugins.manager.DEFAULT_PLUGINS`, one module
per feature. Third-party packages declare an entry point in the group
``ponder``::

    [project.entry-points.ponder]
    myplugin = "my_package.plugin"

and notebooks register in-process with :func:`ponder.register_plugin`
(seen by the serial and threads executors; worker processes load entry
points only). Entry points are loaded before any model is checked, in every
process, so a plugin's distributions and functions can be used in ``.model``
files; the plugin's package, version and the text of the modules that
implement them are part of the kernel cache key.

Hooks are called with keyword arguments only.
"""

import pluggy

hookspec = pluggy.HookspecMarker("ponder")
hookimpl = pluggy.HookimplMarker("ponder")


@hookspec
def ponder_add_distributions(registry):
    """Register distributions: ``registry.add(name, distribution, description)``.

    ``distribution`` is a :class:`ponder.lang.library.Distribution` whose
    ``name`` is ``name``: Numba ``logpdf``/``sample``/``support`` functions
    (module globals of an importable module), argument bounds, a SciPy twin
    for tests, and ``discrete``. The record's docstring says what each must do.
    """


@hookspec
def ponder_add_functions(registry):
    """Register math functions: ``registry.add(name, function, description)``.

    ``function`` is a :class:`ponder.lang.library.Function`: a Numba
    implementation on float64 values, a NumPy twin, and the number of
    arguments it takes.
    """


@hookspec
def ponder_add_likelihoods(registry):
    """Register likelihood estimators: ``registry.add(name, factory, description)``.

    The contract (constructor, ``estimate``, ``cost``, declared
    ``capabilities`` and ``options``, the optional ``adaptation`` and
    ``compiled_loglik``, and the ``replicates`` combiner) is written in
    :mod:`ponder.runtime.likelihoods.contract`.
    """


@hookspec
def ponder_add_simulators(registry):
    """Register external simulators: ``registry.add(name, simulator, description)``.

    A ``.model`` names one with ``simulator NAME`` (a registered name, never a
    path). The contract (``init``, ``advance``, ``outputs``, the optional
    ``resample`` and ``close``, declared ``capabilities``, ``output_names``
    and ``parameters``) is written in :mod:`ponder.runtime.simulators.contract`.
    """


@hookspec
def ponder_add_samplers(registry):
    """Register samplers: ``registry.add(name, factory, description)``.

    The contract (``factory(target, chains=None, **options)``, ``start``,
    ``step``, the optional ``step_block``, ``end_warmup``, ``plan``,
    ``recorded_rows``, ``progress_notes``, ``run_attrs``, declared
    ``options``, the state's recorded keys) is written in
    :mod:`ponder.runtime.samplers.contract`.
    """


@hookspec
def ponder_add_methods(registry):
    """Register inference methods (whole-run algorithms): ``registry.add(name, factory, description)``.

    The contract is written in :mod:`ponder.runtime.methods.contract`.
    """


@hookspec
def ponder_add_executors(registry):
    """Register executors: ``registry.add(name, factory, description)``.

    ``factory(workers)`` returns an object with ``map(fn, items) -> list``
    (results in the order of ``items``), ``shutdown()`` and ``workers``
    (:class:`ponder.runtime.executors.Executor`). ``fn`` and the items are
    picklable.
    """


@hookspec
def ponder_add_figures(registry):
    """Register figure kinds for ``ponder plot`` and reports: ``registry.add(kind, draw, description)``.

    ``draw(idata, truth=None, model=None)`` returns a ``matplotlib.figure.Figure``,
    or None when the results have nothing for this kind (then no file is
    written). ``truth`` maps parameter names to true values; ``model`` is the
    run's model when the caller has it (else None).
    """


@hookspec
def ponder_add_commands(registry):
    """Register ``ponder`` subcommands: ``registry.add(name, command, description)``.

    ``command`` has ``configure(parser)`` (add arguments to an
    ``argparse`` parser) and ``run(args) -> int`` (the exit code). A
    :class:`ponder.ModelError` raised by ``run`` is printed like any user
    error (exit 2).
    """
