"""The built-in inference methods: ``abc`` (ABC-SMC) and ``npe`` (on ``sbi``, an optional extra)."""

from ponder.plugins.hookspecs import hookimpl


@hookimpl
def ponder_add_methods(registry):
    from ponder.runtime.methods.abc import AbcSmc
    from ponder.runtime.methods.neural import NeuralPosterior

    registry.add("abc", AbcSmc, "ABC-SMC: adaptive tolerances, on summaries or standardised raw data")
    registry.add("npe", NeuralPosterior, "neural posterior estimation on sbi (pip install 'ponder[sbi]')")
