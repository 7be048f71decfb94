"""The plugin manager: built-ins first, then every entry point in group ``ponder``.

Entry points are loaded one at a time, so a broken third-party plugin is
reported by name (``broken_plugins``) and skipped instead of stopping ponder.
Setting ``PONDER_NO_ENTRY_POINTS=1`` loads the built-ins only (hermetic tests).
"""

from __future__ import annotations

import functools
import os
from importlib import import_module
from importlib.metadata import entry_points

import pluggy

from ponder.plugins import hookspecs
from ponder.plugins.registry import Registry

DEFAULT_PLUGINS = ("ponder.plugins.builtin",)


class Plugins:
    """Registries filled by all plugins' hooks."""

    def __init__(self, load_entry_points: bool = True):
        self.pm = pluggy.PluginManager("ponder")
        self.pm.add_hookspecs(hookspecs)
        self.broken_plugins: dict[str, str] = {}
        self.packages: dict[str, str] = {}  # registered plugin name -> package it comes from
        for name in DEFAULT_PLUGINS:
            self.pm.register(import_module(name), name=name)
            self.packages[name] = "ponder"
        if load_entry_points:
            self._load_entry_points()
        self.pm.check_pending()
        self.likelihoods = self._collect("likelihood", "ponder_add_likelihoods")
        self.samplers = self._collect("sampler", "ponder_add_samplers")
        self.executors = self._collect("executor", "ponder_add_executors")

    def _load_entry_points(self) -> None:
        for ep in entry_points(group="ponder"):
            package = ep.dist.name if ep.dist else ep.name
            key = f"{package}:{ep.name}"
            if self.pm.has_plugin(key):
                continue
            try:
                self.pm.register(ep.load(), name=key)
                self.packages[key] = package
            except Exception as exc:  # a broken plugin must not stop ponder
                self.broken_plugins[ep.name] = f"{type(exc).__name__}: {exc}"

    def _collect(self, kind: str, hook_name: str) -> Registry:
        registry = Registry(kind)
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            name = self.pm.get_name(impl.plugin) or "?"
            registry._plugin = self.packages.get(name, name)
            try:
                impl.function(registry=registry)
            except Exception as exc:  # a broken plugin must not stop ponder
                self.broken_plugins[name] = f"{type(exc).__name__}: {exc}"
        return registry


@functools.lru_cache(maxsize=1)
def plugins() -> Plugins:
    """The process-wide plugin manager (loaded on first use)."""
    return Plugins(load_entry_points=os.environ.get("PONDER_NO_ENTRY_POINTS", "") in ("", "0"))
