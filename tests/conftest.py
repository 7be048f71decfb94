"""Shared test set-up: a private kernel cache and no third-party plugins."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DATA = ROOT / "tests" / "data"

os.environ.setdefault("PONDER_NO_ENTRY_POINTS", "1")
# Tests read the command's plain text: no terminal colours even where CI forces them.
for _name in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_COLOR"):
    os.environ.pop(_name, None)
os.environ.setdefault("PONDER_CACHE", str(ROOT / ".pytest_cache" / "ponder"))


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
