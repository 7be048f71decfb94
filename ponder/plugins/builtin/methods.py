"""The built-in inference methods: ``abc`` (ABC-SMC)."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_methods(registry):
    from ponder.runtime.methods.abc import AbcSmc

    registry.add("abc", AbcSmc, "ABC-SMC: adaptive tolerances, on summaries or standardised raw data")
