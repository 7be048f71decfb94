"""The compiler driver: parse -> check -> lower to the IR -> generated Numba kernels (cached).

:func:`compile_text` is the one path through the stages; ``ponder check
--show tree|ir|code`` prints what each stage produced. The distributions and
functions a model may use come in as a :class:`~ponder.lang.library.Library`
(ponder's and the plugins'), and its digest is part of the kernel cache key.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from ponder.lang import cache, codegen
from ponder.lang.check import check
from ponder.lang.ir import ModelIR
from ponder.lang.library import Library
from ponder.lang.parser import parse
from ponder.version import __version__


@dataclass(frozen=True)
class CompiledModel:
    """The checked IR, its kernel module, and the library it was compiled against."""

    ir: ModelIR
    kernels: ModuleType
    code: str
    library: Library


def kernel_salt(library: Library) -> str:
    """What the kernels depend on besides the IR: versions and the library's code."""
    return f"ponder {__version__} codegen {codegen.CODEGEN_VERSION} library {library.digest}"


def compile_ir(model: ModelIR, library: Library) -> CompiledModel:
    """Generate (or reuse from the cache) the kernels of a checked model."""
    code = codegen.generate(model, __version__, library)
    module = cache.load_module(model.kernel_key(kernel_salt(library)), code)
    return CompiledModel(model, module, code, library)


def compile_text(text: str, library: Library, name: str = "<input>", default_name: str = "model") -> CompiledModel:
    """Parse, check and compile model text; ``name`` is shown in errors."""
    return compile_ir(check(parse(text, name), library, default_name), library)
