"""The on-disk cache of generated kernel modules.

A model's kernels live in ``$PONDER_CACHE/kernels/model_<key>.py`` where
``key`` hashes the IR, the ponder version and the code generator's version.
Numba's own cache (``cache=True``) stores the machine code beside it in
``__pycache__``, so a second process that loads the same model imports the
module and finds compiled kernels instead of compiling again. Files are
written once, atomically (a temporary file renamed into place), so parallel
workers can share the cache; an existing file is never rewritten because
Numba checks the source file's time stamp.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType


def cache_dir() -> Path:
    """``$PONDER_CACHE``, or the platform's user cache folder plus ``ponder``."""
    env = os.environ.get("PONDER_CACHE")
    if env:
        return Path(env).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ponder"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "ponder" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ponder"


def load_module(key: str, source: str, prefix: str = "model") -> ModuleType:
    """Import the module ``<prefix>_<key>`` from the cache, writing it first if new."""
    module_name = f"ponder_{prefix}_{key}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    folder = cache_dir() / "kernels"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}_{key}.py"
    if not path.exists() or path.read_text() != source:
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
