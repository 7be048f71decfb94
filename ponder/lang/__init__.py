"""The ponder language: parse -> check -> IR -> generated Numba kernels.

:func:`compile_text` is the one driver through the stages; ``ponder check
--show tree|ir|code`` prints what each stage produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from ponder.lang import cache, codegen
from ponder.lang.check import check
from ponder.lang.errors import ModelError, Source, Span
from ponder.lang.ir import ModelIR
from ponder.lang.parser import parse


@dataclass(frozen=True)
class CompiledModel:
    """The checked IR and its kernel module."""

    ir: ModelIR
    kernels: ModuleType
    code: str


def kernel_salt() -> str:
    from ponder import __version__

    return f"ponder {__version__} codegen {codegen.CODEGEN_VERSION}"


def compile_ir(model: ModelIR) -> CompiledModel:
    """Generate (or reuse from the cache) the kernels of a checked model."""
    from ponder import __version__

    code = codegen.generate(model, __version__)
    module = cache.load_module(model.kernel_key(kernel_salt()), code)
    return CompiledModel(model, module, code)


def compile_text(text: str, name: str = "<input>", default_name: str = "model") -> CompiledModel:
    """Parse, check and compile model text; ``name`` is shown in errors."""
    return compile_ir(check(parse(text, name), default_name))


__all__ = ["CompiledModel", "ModelError", "ModelIR", "Source", "Span", "check", "compile_ir", "compile_text", "parse"]
