"""Start-up: commands import only what they use (checked by module, not by the clock)."""

import subprocess
import sys

import pytest

from ponder.runtime import resampling
from ponder.runtime.likelihoods import ParticleFilter
from tests.conftest import EXAMPLES

HEAVY = ("numba", "scipy", "xarray", "arviz", "matplotlib", "lark")


def imported_after(args: list[str]) -> set[str]:
    """The heavy top-level packages that ``ponder ARGS`` has imported when it returns (in a fresh process)."""
    script = ("import sys, io, contextlib\nimport ponder.cli\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              f"    code = ponder.cli.main({args!r})\n"
              "assert code == 0, code\n"
              f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


@pytest.mark.parametrize("args, allowed", [
    (["--version"], set()),
    (["plugins"], set()),
    (["plugins", "--all"], {"numba", "scipy"}),  # the built-in distributions are Numba code (numba imports scipy)
    (["check", str(EXAMPLES / "randomwalk" / "randomwalk.model")], {"numba", "scipy", "lark"}),
])
def test_commands_import_only_what_they_use(args, allowed):
    if args == ["--version"]:
        proc = subprocess.run([sys.executable, "-c", "import sys, ponder.cli\ntry:\n    ponder.cli.main(['--version'])\n"
                               "except SystemExit:\n    pass\nprint('numpy' in sys.modules)"],
                              capture_output=True, text=True, timeout=300)
        assert proc.stdout.split()[-1] == "False", proc.stdout + proc.stderr  # not even NumPy
        return
    assert imported_after(args) <= allowed


def test_the_particle_filter_lists_the_resampling_schemes_there_are():
    option = next(o for o in ParticleFilter.options if o.name == "resampling")
    assert option.choices == resampling.SCHEMES
