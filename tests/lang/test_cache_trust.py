"""The kernel cache is trusted code: ponder loads nothing from a cache that someone else could have written.

Issue 13: a pickle planted as Numba's index (``__pycache__/*.nbi``) in a
shared cache ran as the next user of ``ponder loglik``. These tests plant one
and show it does not run, check the permission rule (the cache and everything
below it private to the user; the folders above it owned by the user or root
and writable by no one else, unless sticky like ``/tmp``), that a new cache is
created ``0700``, and that what is imported is the source ponder generated,
not a file swapped in after it was written.
"""

from __future__ import annotations

import os
import pickle
import stat
import sys
import uuid

import pytest

import ponder
from ponder.lang import ModelError, cache

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the permission rule is POSIX's")

MODEL = 'param a ~ Normal(0, 1)\nstate x = a\nstep { x += 0 }\nobserve y ~ Normal(x, 1)\ndata "d.csv"\n'


class _Payload:
    """Unpickling this creates the file ``marker``: what a planted index would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _dispatchers(module):
    return [v for v in vars(module).values() if hasattr(v, "py_func") and v.py_func.__module__ == module.__name__]


def _index_name(dispatcher) -> str:
    """The name of Numba's index file for ``dispatcher`` (Numba's ``<module>.<function>-<line>.pyXY.nbi``)."""
    stem = os.path.splitext(os.path.basename(dispatcher.py_func.__code__.co_filename))[0]
    line = dispatcher.py_func.__code__.co_firstlineno
    version = f"{sys.version_info[0]}{sys.version_info[1]}{getattr(sys, 'abiflags', '')}"
    return f"{stem}.{dispatcher.py_func.__qualname__}-{line}.py{version}.nbi"


@pytest.fixture
def planted(tmp_path):
    """A model whose cache is group-writable and holds a malicious Numba index for every kernel."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "m.model").write_text(MODEL)
    (work / "d.csv").write_text("time,y\n1,0.5\n2,0.7\n")
    kernels = ponder.load(work / "m.model").kernels  # (in the tests' cache) for the names Numba will look for
    root = tmp_path / "cache"
    pycache = root / "kernels" / "__pycache__"
    pycache.mkdir(parents=True)
    marker = tmp_path / "pwned"
    for dispatcher in _dispatchers(kernels):
        (pycache / _index_name(dispatcher)).write_bytes(pickle.dumps(_Payload(marker)))
    for folder in (root, root / "kernels", pycache):
        folder.chmod(0o775)  # a cache shared with a group
    return work, root, marker


@pytest.mark.parametrize("command", [["loglik", "m.model", "--param", "a=0.1"], ["check", "m.model"],
                                     ["run", "m.model", "--samples", "10", "--out", "r.nc"]])
def test_a_pickle_planted_in_a_group_writable_cache_does_not_run(planted, ponder_cli, command):
    work, root, marker = planted
    proc = ponder_cli(*command, cwd=work, env={"PONDER_CACHE": str(root)})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    real = os.path.realpath(root)
    assert f"ponder will not load compiled code from `{real}/kernels`: `{real}` is writable by its group" in proc.stderr
    assert f"chmod go-w {real}" in proc.stderr
    assert not marker.exists()
    assert not (work / "r.nc").exists()


# ------------------------------------------------------------ the rule, in one process
def _key() -> str:
    return uuid.uuid4().hex[:24]  # a module not loaded yet in this process


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _owned_by_another_user(monkeypatch, target):
    """``os.lstat`` says ``target`` belongs to someone else (a uid that is neither the user's nor root's)."""
    real = os.lstat

    def lstat(path, *args, **kwargs):
        st = real(path, *args, **kwargs)
        if os.fspath(path) == os.fspath(target):
            fields = list(st)
            fields[4] = st.st_uid + 1 if st.st_uid else 1
            return os.stat_result(fields)
        return st

    monkeypatch.setattr(os, "lstat", lstat)


def test_a_new_cache_is_private_and_its_module_loads(tmp_path, monkeypatch):
    root = tmp_path / "new" / "cache"
    monkeypatch.setenv("PONDER_CACHE", str(root))
    module = cache.load_module(_key(), "x = 1\n", prefix="trust")
    assert module.x == 1
    assert [_mode(p) for p in (root, root / "kernels", root / "kernels" / "__pycache__")] == [0o700] * 3
    assert not list((root / "kernels" / "__pycache__").glob("*.pyc"))  # the held source ran, not a .pyc


def test_an_existing_cache_readable_by_others_is_used_and_left_as_it_is(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    (root / "kernels").mkdir(parents=True)
    root.chmod(0o755)
    monkeypatch.setenv("PONDER_CACHE", str(root))
    assert cache.load_module(_key(), "x = 2\n", prefix="trust").x == 2
    assert _mode(root) == 0o755


@pytest.mark.parametrize("part", ["", "kernels", "kernels/__pycache__"])
def test_a_cache_folder_of_another_user_is_refused(tmp_path, monkeypatch, part):
    root = tmp_path / "cache"
    (root / "kernels" / "__pycache__").mkdir(parents=True)
    monkeypatch.setenv("PONDER_CACHE", str(root))
    _owned_by_another_user(monkeypatch, os.path.realpath(root / part))
    key = _key()
    with pytest.raises(ModelError, match="belongs to another user") as err:
        cache.load_module(key, "x = 1\n", prefix="trust")
    assert f"ponder_trust_{key}" not in sys.modules
    assert "set PONDER_CACHE to a folder of your own" in err.value.hint


@pytest.mark.parametrize("mode, problem", [(0o777, "is writable by all users"), (0o770, "is writable by its group")])
def test_a_folder_above_the_cache_that_others_can_write_is_refused(tmp_path, monkeypatch, mode, problem):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    monkeypatch.setenv("PONDER_CACHE", str(shared / "cache"))
    with pytest.raises(ModelError) as err:
        cache.load_module(_key(), "x = 1\n", prefix="trust")
    assert f"`{os.path.realpath(shared)}`, a folder above it, {problem}" in err.value.message
    assert "must be sticky, like /tmp" in err.value.hint


def test_a_sticky_shared_folder_above_a_private_cache_is_fine(tmp_path, monkeypatch):
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("PONDER_CACHE", str(shared / "cache"))
    assert cache.load_module(_key(), "x = 3\n", prefix="trust").x == 3
    assert _mode(shared / "cache") == 0o700


def test_a_cache_reached_through_a_link_is_judged_where_it_really_is(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    (shared / "cache").mkdir(parents=True)
    shared.chmod(0o777)
    (tmp_path / "link").symlink_to(shared / "cache")
    monkeypatch.setenv("PONDER_CACHE", str(tmp_path / "link"))
    with pytest.raises(ModelError, match="a folder above it, is writable by all users"):
        cache.load_module(_key(), "x = 1\n", prefix="trust")


@pytest.mark.parametrize("kind", ["owner", "link", "writable"])
def test_a_numba_file_planted_before_the_cache_was_made_private_is_refused(tmp_path, monkeypatch, kind):
    """After ``chmod go-w`` of a once-shared cache, a planted index of this module is still refused."""
    root = tmp_path / "cache"
    monkeypatch.setenv("PONDER_CACHE", str(root))
    cache.load_module(_key(), "x = 1\n", prefix="trust")  # a private cache, in use
    key = _key()
    pycache = root / "kernels" / "__pycache__"
    index = pycache / f"trust_{key}.f-1.py311.nbi"
    marker = tmp_path / "pwned"
    if kind == "link":
        (tmp_path / "planted.nbi").write_bytes(pickle.dumps(_Payload(marker)))
        index.symlink_to(tmp_path / "planted.nbi")
        problem = "is a symbolic link"
    else:
        index.write_bytes(pickle.dumps(_Payload(marker)))
        if kind == "owner":
            _owned_by_another_user(monkeypatch, index)
            problem = "belongs to another user"
        else:  # writable by all, in a folder all can enter
            index.chmod(0o666)
            pycache.chmod(0o755)
            problem = "is writable by all users"
    with pytest.raises(ModelError) as err:
        cache.load_module(key, "x = 1\n", prefix="trust")
    assert f"`{index}` in it {problem}" in err.value.message
    assert f"delete `{os.path.realpath(root / 'kernels')}`" in err.value.hint
    assert not marker.exists()


def test_a_numba_file_others_may_write_in_a_folder_they_cannot_enter_is_fine(tmp_path, monkeypatch):
    """Numba writes its files with the umask (``0664`` under ``umask 002``): harmless in a private folder."""
    root = tmp_path / "cache"
    monkeypatch.setenv("PONDER_CACHE", str(root))
    cache.load_module(_key(), "x = 1\n", prefix="trust")
    key = _key()
    index = root / "kernels" / "__pycache__" / f"trust_{key}.f-1.py311.nbi"
    index.write_bytes(b"")
    index.chmod(0o666)
    assert cache.load_module(key, "x = 4\n", prefix="trust").x == 4


def test_the_source_ponder_holds_is_run_not_a_file_swapped_in_after_it_was_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PONDER_CACHE", str(tmp_path / "cache"))
    marker = tmp_path / "pwned"
    write_once = cache._write_once

    def write_then_swap(path, source):
        write_once(path, source)
        with open(path, "w") as fh:  # what a swap between the write and the import would leave
            fh.write(f"import os\nos.system('touch {marker}')\nx = 2\n")

    monkeypatch.setattr(cache, "_write_once", write_then_swap)
    module = cache.load_module(_key(), "x = 1\n", prefix="trust")
    assert module.x == 1
    assert not marker.exists()


def test_numba_machine_code_kept_elsewhere_is_held_to_the_same_rule(tmp_path, monkeypatch):
    """``NUMBA_CACHE_DIR`` moves Numba's files of the kernels out of the cache: that folder is checked too."""
    numba = pytest.importorskip("numba")
    shared = tmp_path / "numba-shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(shared))
    monkeypatch.setenv("PONDER_CACHE", str(tmp_path / "cache"))
    key = _key()
    source = "import numba\n\n\n@numba.njit(cache=True)\ndef f(x):\n    return x + 1\n"
    with pytest.raises(ModelError, match=f"`{os.path.realpath(shared)}`, a folder above it, is writable by all"):
        cache.load_module(key, source, prefix="trust")
    assert f"ponder_trust_{key}" not in sys.modules
