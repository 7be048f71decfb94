"""Compile reservoir.c and reservoir_noisy.c into bin/ beside this file: ``python -m ponder_reservoir_c.build [CC]``.

The compiler is the one named, else ``$CC``, else ``cc`` or ``gcc`` found on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ponder_reservoir_c.reservoir import BINARY, HERE, NOISY_BINARY


def compiler(name: str | None = None) -> str | None:
    """The C compiler to use, or None if there is none."""
    for candidate in (name, os.environ.get("CC"), "cc", "gcc"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def build(name: str | None = None) -> Path:
    """Compile reservoir.c and reservoir_noisy.c (``-O2``, ``-lm``) and return the first binary's path."""
    cc = compiler(name)
    if cc is None:
        raise SystemExit("no C compiler found (tried $CC, cc, gcc): install one, or name it: "
                         "python -m ponder_reservoir_c.build /path/to/cc")
    BINARY.parent.mkdir(exist_ok=True)
    subprocess.run([cc, "-O2", "-o", str(BINARY), str(HERE / "reservoir.c"), "-lm"], check=True)
    subprocess.run([cc, "-O2", "-o", str(NOISY_BINARY), str(HERE / "reservoir_noisy.c"), "-lm"], check=True)
    return BINARY


if __name__ == "__main__":
    build(sys.argv[1] if len(sys.argv) > 1 else None)
    print(BINARY)
    print(NOISY_BINARY)
