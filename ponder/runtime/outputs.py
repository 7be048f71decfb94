"""Output paths: checked before any work, written atomically, one run per path at a time.

A run that samples for an hour and then cannot write its results has lost
the hour, so every command that writes a file checks its path first
(:func:`check_file`, :func:`check_folder`): an existing path must be a
regular file (never a directory, a device such as ``/dev/full``, a pipe or
a socket: those are never replaced), and a scratch file must be creatable
next to it, which is the one test of writability that also holds for root
and for ``/proc``. :func:`lock` takes an exclusive lock on ``PATH.lock``
for the length of a run, so a second run on the same ``-o`` stops at once
instead of the two overwriting each other's checkpoint. :func:`scratch`
gives each write its own temporary name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from ponder.lang import messages


def check_file(path: str | Path, what: str) -> Path:
    """``path`` as a file that may be written (or replaced), or a ModelError saying why not; ``what`` names it."""
    path = Path(path)
    if path.exists():
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise messages.output_is_a_folder(str(path), what)
        if not stat.S_ISREG(mode):
            raise messages.output_not_a_regular_file(str(path), what)
    _probe(path.parent if str(path.parent) else Path("."), str(path), what)
    return path


def check_folder(path: str | Path, what: str) -> Path:
    """``path`` as a folder that files may be written into (created if missing), or a ModelError."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise messages.output_folder_is_a_file(str(path), what)
    _probe(path, str(path), what)
    return path


def _probe(folder: Path, shown: str, what: str) -> None:
    """Create the folder if needed and a scratch file in it (then remove it): the write will work."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".ponder-probe-")
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise messages.output_not_writable(shown, what, err.strerror or str(err)) from None


def scratch(path: Path) -> Path:
    """A fresh temporary name next to ``path`` (two writers never share one)."""
    fd, name = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def lock(path: Path):
    """Hold an exclusive lock on ``PATH.lock`` while the block runs; a ModelError at once if another run holds it."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform: runs are not guarded
        yield
        return
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = True
        except OSError as err:
            if err.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                raise messages.output_in_use(str(path), str(lock_path)) from None
            locked = False  # a file system without locks (some network mounts): the run goes on unguarded
        try:
            yield
        finally:
            if locked:
                fcntl.flock(fh, fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        lock_path.unlink()


def guard_outputs(results: Path | None, checkpoint: Path | None) -> contextlib.ExitStack:
    """Before any work, check that a run's results file and checkpoint can be written (a path that cannot would
    lose the run at its end); the returned context holds the results path's :func:`lock` until the run ends.
    Nothing is checked or held without a results path."""
    held = contextlib.ExitStack()
    if results is not None:
        check_file(results, "results file")
        check_file(checkpoint, "checkpoint")
        held.enter_context(lock(results))
    return held
