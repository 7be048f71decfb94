"""Link runtime loops (particle filter, direct likelihood) to a model's kernels.

Numba caches a compiled function only when everything it calls is a module
global, not an argument. So each model gets its own copy of
``templates/filters.py`` whose first lines import that model's kernels; the
copy lives in the kernel cache next to the model module and is compiled once
per model, then loaded from Numba's cache by later processes.
"""

from __future__ import annotations

import hashlib
from importlib import resources

from ponder.lang import cache, ir
from ponder.lang.compiler import CompiledModel


# modules whose Numba functions the templates call: Numba's cache of a linked copy does not notice when
# they change, so their text is part of the copy's key
HELPERS = (("ponder.runtime", "resampling.py"), ("ponder.stdlib", "transforms.py"),
           ("ponder.runtime.samplers", "pt_kernels.py"))


def _template(name: str) -> str:
    return resources.files("ponder.runtime.templates").joinpath(f"{name}.py").read_text()


def _helpers_digest() -> str:
    text = "".join(resources.files(package).joinpath(name).read_text() for package, name in HELPERS)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def link(compiled: CompiledModel, template: str = "filters", loglik: tuple[str, str] | None = None):
    """The template module ``template`` (``filters`` or ``explorers``) compiled against ``compiled``'s kernels.

    ``explorers`` calls the exact log-likelihood ``loglik`` = (module, function),
    a Numba function of the likelihood contract (default: this model's
    ``direct_run``). A model whose dynamics are an external simulator
    (``simulator NAME``) gets :class:`ponder.runtime.simulators.loops.SimulatorLoops`
    instead, the same loops in Python (``in_numba`` False).
    """
    dynamics = compiled.ir.dynamics
    if isinstance(dynamics, ir.SimulatorDynamics) and not dynamics.compiled:  # a Python simulator: loops in Python
        if template != "filters":
            raise ValueError(f"a model with an external simulator has no `{template}` loops")
        from ponder.runtime.simulators.loops import link_simulator

        return link_simulator(compiled, compiled.library.simulators[dynamics.name])
    kernels = compiled.kernels
    text = _template(template)
    if template == "explorers":  # PT's scans draw from the prior and call a compiled exact likelihood
        module, function = loglik or (link(compiled, "filters").__name__, "direct_run")
        header = (f"from {kernels.__name__} import prior_logpdf, prior_sample  # noqa\n"
                  f"from {_dotted(module)} import {_dotted(function)} as direct_run  # noqa\n")
    else:
        header = (
            f"from {kernels.__name__} import init, advance, obs_logpdf, obs_logpdf_cols, obs_sample, N_STATES  # noqa\n"
        )
    source = f"# helpers {_helpers_digest()}\n" + header + text
    key = hashlib.sha256(source.encode()).hexdigest()[:24]
    return cache.load_module(key, source, prefix=template)


def _dotted(name: str) -> str:
    """``name`` if it is a dotted Python identifier (it is written into generated source)."""
    if not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"refusing to link a non-identifier: {name!r}")
    return name
