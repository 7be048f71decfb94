"""The ponder language: parse -> check -> IR -> generated Numba kernels.

The stages are separate modules: :mod:`~ponder.lang.parser` (the only one
that imports Lark), :mod:`~ponder.lang.check` (the semantic checks),
:mod:`~ponder.lang.lower` (checked tree -> :mod:`~ponder.lang.ir`),
:mod:`~ponder.lang.codegen` and the driver :mod:`~ponder.lang.compiler`.
Names are imported from them on first use, so ``ponder.lang.errors`` can be
used without loading the compiler. (``check`` is not re-exported: the name
is also the submodule's; import it from :mod:`ponder.lang.check`.)
"""

from ponder.lazy import lazy_exports

_EXPORTS = {
    "CompiledModel": "ponder.lang.compiler",
    "compile_ir": "ponder.lang.compiler",
    "compile_text": "ponder.lang.compiler",
    "parse": "ponder.lang.parser",
    "ModelIR": "ponder.lang.ir",
    "Library": "ponder.lang.library",
    "ModelError": "ponder.lang.errors",
    "Source": "ponder.lang.errors",
    "Span": "ponder.lang.errors",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(globals(), _EXPORTS)
