"""Shared test set-up: a private kernel cache and no third-party plugins."""

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DATA = ROOT / "tests" / "data"

os.environ.setdefault("PONDER_NO_ENTRY_POINTS", "1")
# Tests read the command's plain text: no terminal colours even where CI forces them.
for _name in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_COLOR"):
    os.environ.pop(_name, None)


def _private_cache() -> Path:
    """A kernel cache for the tests that ponder will trust wherever the checkout lives.

    ponder refuses a cache below a folder others can write (a checkout made
    under ``umask 002``, for one), so the tests' cache is a ``0700`` folder
    in the temporary directory, named per user and checkout so that both
    pytest-xdist workers and later runs share it. One that is not ours or
    not private is replaced by a fresh ``mkdtemp`` folder.
    """
    tag = hashlib.sha256(str(ROOT).encode()).hexdigest()[:10]
    path = Path(tempfile.gettempdir()) / f"ponder-tests-{os.getuid()}-{tag}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
        if info.st_uid == os.getuid() and not info.st_mode & 0o022 and path.is_dir() and not path.is_symlink():
            return path
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="ponder-tests-"))


os.environ.setdefault("PONDER_CACHE", str(_private_cache()))


@pytest.fixture
def ponder_cli():
    """Run ``ponder`` in a subprocess; returns CompletedProcess (text)."""
    import subprocess

    def run(*args, cwd=ROOT, input=None, env=None):
        return subprocess.run(
            [sys.executable, "-m", "ponder", *map(str, args)],
            cwd=cwd, input=input, capture_output=True, text=True, timeout=600,
            env={**os.environ, "COLUMNS": "120", **(env or {})},
        )

    return run
