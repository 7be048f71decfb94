"""The on-disk cache of generated kernel modules, and the rule that makes it safe to load.

A model's kernels live in ``$PONDER_CACHE/kernels/model_<key>.py`` where
``key`` hashes the IR, the ponder version and the code generator's version.
Numba's own cache (``cache=True``) stores the machine code beside it in
``__pycache__``, so a second process that loads the same model imports the
module and finds compiled kernels instead of compiling again. Files are
written once, atomically (a temporary file renamed into place), so parallel
workers can share the cache; an existing file is never rewritten because
Numba checks the source file's stamp.

The cache is code: Numba unpickles its index (``*.nbi``) and data (``*.nbc``)
files, and unpickling runs whatever the pickle names. So, like ssh's
``StrictModes``, nothing is loaded from a cache that someone else could have
written (on POSIX; Windows' ACLs are not checked):

* the cache folder, ``kernels/``, ``kernels/__pycache__`` and any other folder
  Numba keeps these modules' machine code in (``NUMBA_CACHE_DIR``) must belong
  to the user and be writable by no one else;
* every folder above them must belong to the user or root and be writable by
  no one else, unless it is sticky (``/tmp``): there no one else can rename or
  replace the user's folder inside it;
* Numba's files of the module being loaded must belong to the user (or root)
  and not be symbolic links, and where others can enter their folder, be
  writable by no one else. This catches a file planted while the cache was
  still shared.

Folders ponder creates are ``0700``. The module is run from the source ponder
generated and holds, compiled in memory under the file's name (so Numba finds
its cache), never from the file: a file swapped in after it was written is
not imported, and no ``.pyc`` is written or read.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from ponder.lang import messages

#: Folders that passed the rule in this process (only their owner can change them, so once is enough).
_CHECKED: set[str] = set()


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
    """Import the module ``<prefix>_<key>`` from the cache, writing it first if new.

    Raises a :class:`~ponder.lang.errors.ModelError` if the cache is not
    private to the user (see the module's docstring for the rule).
    """
    module_name = f"ponder_{prefix}_{key}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    folder = _private_folders()
    path = os.path.join(folder, f"{prefix}_{key}.py")
    _write_once(path, source)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        # the text held here, under the file's name so that Numba finds its cache: not the file, which could
        # have been swapped since it was written, and no .pyc
        exec(compile(source, path, "exec"), module.__dict__)
        # Numba reads its index at a kernel's first call, not when the module defines it: check it before that
        in_tree = os.path.join(folder, "__pycache__")
        for where in _numba_folders(module) | {in_tree}:
            to_delete = folder if where == in_tree else where
            _check_folder(where, to_delete)
            _check_numba_files(where, f"{prefix}_{key}", to_delete)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _private_folders() -> str:
    """``$PONDER_CACHE/kernels`` (its real path), created ``0700`` with its ``__pycache__`` and checked."""
    root = cache_dir()
    try:
        root.parent.mkdir(parents=True, exist_ok=True)  # the user's own folders above the cache, as usual
        for folder in (root, root / "kernels", root / "kernels" / "__pycache__"):
            _make_private(folder)
    except OSError as err:
        raise messages.cache_not_creatable(str(root), err.strerror or str(err)) from None
    real_root = os.path.realpath(root)
    kernels = os.path.realpath(root / "kernels")
    _check_folder(real_root, kernels)
    _check_folder(kernels, kernels)
    return kernels


def _make_private(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass  # an existing folder is checked, not changed


def _write_once(path: str, source: str) -> None:
    """Write ``source`` to ``path`` (atomically) unless the file already holds it."""
    data = source.encode()
    try:
        with open(path, "rb") as fh:
            if fh.read() == data:
                return
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _numba_folders(module: ModuleType) -> set[str]:
    """The folders Numba keeps the machine code of ``module``'s own kernels in (their real paths)."""
    folders = set()
    for value in vars(module).values():
        if getattr(getattr(value, "py_func", None), "__module__", None) != module.__name__:
            continue  # not a Numba function, or one imported from elsewhere
        where = getattr(getattr(value, "_cache", None), "cache_path", None)  # `_cache`: the dispatcher's cache
        if isinstance(where, str) and os.path.isabs(where):  # a disabled cache has none
            folders.add(os.path.realpath(where))
    return folders


def _check_folder(folder: str, cache: str) -> None:
    """Raise unless ``folder`` (a real path) is the user's alone and no one else can replace a folder above it.

    ``cache``: the folder of ponder's that holds ``folder`` or lies below it, for the message (the one to delete).
    """
    if os.name != "posix" or folder in _CHECKED:
        return
    problem = _problem(os.lstat(folder), inside=True)
    if problem:
        raise messages.cache_not_private(folder, cache, messages.CACHE_PROBLEMS[problem])
    for parent in map(str, Path(folder).parents):
        problem = _problem(os.lstat(parent), inside=False)
        if problem:
            raise messages.cache_not_private(parent, cache, messages.CACHE_PROBLEMS[problem], above=True)
    _CHECKED.add(folder)


def _problem(st: os.stat_result, inside: bool) -> str | None:
    """What is wrong with a folder (a key of ``messages.CACHE_PROBLEMS``), or None.

    ``inside``: a folder of the cache (the user's, writable by no one
    else); otherwise a folder above it (the user's or root's, writable by
    others only if sticky).
    """
    if stat.S_ISLNK(st.st_mode):
        return "link"
    if not stat.S_ISDIR(st.st_mode):
        return "not_folder"
    if st.st_uid != os.geteuid() and (inside or st.st_uid != 0):
        return "owner"
    if not inside and st.st_mode & stat.S_ISVTX:
        return None
    if st.st_mode & stat.S_IWOTH:
        return "others"
    if st.st_mode & stat.S_IWGRP:
        return "group"
    return None


def _check_numba_files(folder: str, stem: str, cache: str) -> None:
    """Raise if one of Numba's files of the module ``stem`` in the checked ``folder`` may have been planted.

    ``cache`` is the folder to delete, for the message.
    """
    if os.name != "posix":
        return
    try:
        names = [name for name in os.listdir(folder) if name.startswith(stem + ".")]
    except FileNotFoundError:
        return
    # a file others could write is harmless where they cannot enter its folder (Numba writes with the umask)
    enterable = os.lstat(folder).st_mode & (stat.S_IXGRP | stat.S_IXOTH)
    for name in names:
        path = os.path.join(folder, name)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            problem = "link"
        elif st.st_uid not in (os.geteuid(), 0):
            problem = "owner"
        elif enterable and st.st_mode & stat.S_IWOTH:
            problem = "others"
        elif enterable and st.st_mode & stat.S_IWGRP:
            problem = "group"
        else:
            continue
        raise messages.cache_not_private(path, cache, messages.CACHE_PROBLEMS[problem])
