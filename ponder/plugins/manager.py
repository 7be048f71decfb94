"""The plugin manager: built-ins first, then every entry point in group ``ponder``.

Built-in features are plugin modules like any other, registered from
:data:`DEFAULT_PLUGINS` (one module per feature, as datasette does). Entry
points are loaded one at a time, so a broken third-party plugin is reported
by name (``broken_plugins``) and skipped instead of stopping ponder. Setting
``PONDER_NO_ENTRY_POINTS=1`` loads the built-ins only (hermetic tests).
:func:`register_plugin` adds a plugin object in this process (a notebook's).
"""

from __future__ import annotations

import functools
import os
from importlib import import_module
from importlib.metadata import entry_points

import pluggy

from ponder.plugins import hookspecs
from ponder.plugins.registry import Registry

DEFAULT_PLUGINS = (
    "ponder.plugins.builtin.library",
    "ponder.plugins.builtin.likelihoods",
    "ponder.plugins.builtin.samplers",
    "ponder.plugins.builtin.executors",
    "ponder.plugins.builtin.methods",
    "ponder.plugins.builtin.figures",
)

#: registry attribute -> (kind, hook)
KINDS = {
    "distributions": ("distribution", "ponder_add_distributions"),
    "functions": ("function", "ponder_add_functions"),
    "likelihoods": ("likelihood", "ponder_add_likelihoods"),
    "simulators": ("simulator", "ponder_add_simulators"),
    "samplers": ("sampler", "ponder_add_samplers"),
    "methods": ("method", "ponder_add_methods"),
    "executors": ("executor", "ponder_add_executors"),
    "figures": ("figure kind", "ponder_add_figures"),
    "commands": ("command", "ponder_add_commands"),
}


class Plugins:
    """Registries filled by all plugins' hooks (``distributions``, ``samplers``, ... see :data:`KINDS`)."""

    def __init__(self, load_entry_points: bool = True):
        self.pm = pluggy.PluginManager("ponder")
        self.pm.add_hookspecs(hookspecs)
        self.broken_plugins: dict[str, str] = {}
        self.packages: dict[str, str] = {}  # registered plugin name -> "package version" it comes from
        for name in DEFAULT_PLUGINS:
            self.pm.register(import_module(name), name=name)
            self.packages[name] = "ponder"
        if load_entry_points:
            self._load_entry_points()
        self.pm.check_pending()

    def _load_entry_points(self) -> None:
        for ep in entry_points(group="ponder"):
            package = ep.dist.name if ep.dist else ep.name
            version = ep.dist.version if ep.dist else ""
            key = f"{package}:{ep.name}"
            if self.pm.has_plugin(key):
                continue
            try:
                self.pm.register(ep.load(), name=key)
                self.packages[key] = f"{package} {version}".strip()
            except Exception as exc:  # a broken plugin must not stop ponder
                self.broken_plugins[ep.name] = f"{type(exc).__name__}: {exc}"

    def register(self, plugin, name: str | None = None) -> None:
        """Add ``plugin`` (a module or object with hook implementations) and rebuild the registries."""
        name = name or getattr(plugin, "__name__", None) or repr(plugin)
        if self.pm.has_plugin(name):
            self.pm.unregister(name=name)
        self.pm.register(plugin, name=name)
        self.packages[name] = name
        self._forget_registries()

    def unregister(self, name: str) -> None:
        """Remove the plugin registered as ``name`` (see :meth:`register`)."""
        self.pm.unregister(name=name)
        self._forget_registries()

    def _forget_registries(self) -> None:
        for attribute in [*KINDS, "library"]:  # collected again on next use
            self.__dict__.pop(attribute, None)

    def __getattr__(self, attribute: str) -> Registry:
        """A registry is collected from the hooks the first time it is asked for.

        So ``ponder --version`` or ``ponder plugins`` never import the
        samplers, and a command imports only the kinds it uses.
        """
        if attribute not in KINDS:
            raise AttributeError(attribute)
        registry = self._collect(*KINDS[attribute])
        setattr(self, attribute, registry)
        return registry

    def external(self, attribute: str) -> Registry:
        """The registry ``attribute`` with third-party entries only (the built-in plugin modules are not called)."""
        return self._collect(*KINDS[attribute], skip=DEFAULT_PLUGINS)

    def _collect(self, kind: str, hook_name: str, skip: tuple[str, ...] = ()) -> Registry:
        registry = Registry(kind)
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # in registration order: built-ins first
            name = self.pm.get_name(impl.plugin) or "?"
            if name in skip:
                continue
            registry._plugin = self.packages.get(name, name)
            try:
                impl.function(registry=registry)
            except Exception as exc:  # a broken plugin must not stop ponder
                self.broken_plugins[name] = f"{type(exc).__name__}: {exc}"
        return registry

    @functools.cached_property
    def library(self):
        """The distributions and functions of ponder and every plugin, and ponder's ODE solvers, for the compiler."""
        from ponder.lang.library import Library
        from ponder.stdlib.ode import SOURCE as ode_solvers

        dists = {name: e.value for name, e in self.distributions.entries.items()}
        funcs = {name: e.value for name, e in self.functions.entries.items()}
        sims = {name: e.value for name, e in self.simulators.entries.items()}
        origins = {name: e.plugin for name, e in {**self.distributions.entries, **self.functions.entries,
                                                  **self.simulators.entries}.items()}
        return Library(dists, funcs, origins, ode_solvers, sims)


@functools.lru_cache(maxsize=1)
def plugins() -> Plugins:
    """The process-wide plugin manager (loaded on first use)."""
    return Plugins(load_entry_points=os.environ.get("PONDER_NO_ENTRY_POINTS", "") in ("", "0"))


def register_plugin(plugin, name: str | None = None) -> None:
    """Register a plugin in this process (e.g. from a notebook): its hooks are collected at once.

    Worker processes (``processes``, ``mpi`` executors) do not see it: they
    load installed entry points only, so package a plugin to use it there.
    """
    plugins().register(plugin, name)


class _OneSimulator:
    """A plugin object that registers one simulator (what :func:`register_simulator` adds)."""

    def __init__(self, name: str, simulator, description: str):
        self.name, self.simulator, self.description = name, simulator, description

    @hookspecs.hookimpl
    def ponder_add_simulators(self, registry):
        registry.add(self.name, self.simulator, self.description)


def register_simulator(name: str, simulator, description: str = "") -> None:
    """Register ``simulator`` (the contract of :mod:`ponder.runtime.simulators.contract`) as ``name`` in this process.

    A ``.model`` file in this process can then say ``simulator NAME``.
    Registering a name again replaces the earlier one. As with
    :func:`register_plugin`, worker processes do not see it: package the
    simulator (an entry point in group ``ponder``) to use the ``processes``
    or ``mpi`` executors.
    """
    from ponder.lang import messages

    if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")):
        raise messages.bad_simulator_name(name)
    plugins().register(_OneSimulator(name, simulator, description or type(simulator).__name__),
                       name=f"simulator:{name}")
