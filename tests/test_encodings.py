"""Encodings and unreadable files (issue 13, items 5 and 10): a located error and exit 2, never a traceback.

Model, data, input and ``--times-from`` files are all read by one helper,
:func:`ponder.runtime.tables.read_text`: UTF-8, a leading byte-order mark
dropped; anything else is a ModelError at the first bad byte.
"""

import os
import subprocess
import sys

import pytest

from ponder.cli import main

MODEL = """param a ~ Normal(0, 1)
state x = 0
step { e ~ Normal(0, 1); x += a + e }
observe y ~ Normal(x, 0.5)
"""
DATA = b"time,y\n1,0.1\n2,0.3\n"
HINT = "save the file as UTF-8"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_bytes(DATA)
    return tmp_path


def _error(capsys, *args) -> str:
    capsys.readouterr()
    assert main([*map(str, args)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def _model(folder, name: str, body: bytes, data: str = "d.csv") -> str:
    (folder / name).write_bytes(body + f'data "{data}"\n'.encode())
    return name


# ------------------------------------------------------------ model files
def test_latin1_byte_in_a_model(folder, capsys):
    name = _model(folder, "m.model", MODEL.encode() + b"# caf\xe9 au lait\n")
    err = _error(capsys, "check", name)
    assert "`m.model` is not UTF-8 text (the byte 0xE9 here)" in err
    assert "m.model:5:6" in err and HINT in err


def test_latin1_byte_in_a_name(folder, capsys):
    name = _model(folder, "m.model", MODEL.replace("state x = 0", "state caf\xe9 = 0").encode("latin-1"))
    err = _error(capsys, "check", name)
    assert "m.model:2:10" in err and "0xE9" in err


def test_utf16_model(folder, capsys):
    (folder / "m.model").write_bytes((MODEL + 'data "d.csv"\n').encode("utf-16"))
    err = _error(capsys, "check", "m.model")
    assert "`m.model` is UTF-16 text, not UTF-8" in err and "m.model:1:1" in err and HINT in err
    assert "1 | param a ~ Normal(0, 1)" in err  # the excerpt is readable


def test_model_cut_inside_a_character(folder, capsys):
    name = _model(folder, "m.model", MODEL.encode())
    (folder / name).write_bytes((folder / name).read_bytes() + "# \u00e9".encode()[:-1])
    err = _error(capsys, "check", name)
    assert "`m.model` ends inside a UTF-8 character" in err and "m.model:6:3" in err and HINT in err


def test_nul_byte_in_a_model(folder, capsys):
    name = _model(folder, "m.model", MODEL.encode().replace(b"state x", b"state \0x"))
    err = _error(capsys, "check", name)
    assert "has a NUL byte here" in err and "m.model:2:7" in err


def test_a_byte_order_mark_is_accepted_and_positions_are_unchanged(folder, capsys):
    name = _model(folder, "m.model", b"\xef\xbb\xbf" + MODEL.encode() + b"param b ~ Normall(0, 1)\n")
    err = _error(capsys, "check", name)
    assert "Normall" in err and "m.model:5:11" in err


# ------------------------------------------------------------ data and input files
@pytest.mark.parametrize("body, message, where", [
    (DATA + b"3,caf\xe9\n", "`bad.csv` is not UTF-8 text (the byte 0xE9 here)", "bad.csv:4:6"),
    (DATA.decode().encode("utf-16"), "`bad.csv` is UTF-16 text, not UTF-8", "bad.csv:1:1"),
    (DATA + "\u00e9".encode()[:1], "`bad.csv` ends inside a UTF-8 character", "bad.csv:4:1"),
], ids=["latin1", "utf16", "cut"])
def test_data_file_encodings(folder, capsys, body, message, where):
    (folder / "bad.csv").write_bytes(body)
    err = _error(capsys, "check", _model(folder, "m.model", MODEL.encode(), "bad.csv"))
    assert message in err and where in err and HINT in err


def test_data_file_with_a_byte_order_mark_still_reads(folder, capsys):
    (folder / "bom.csv").write_bytes(b"\xef\xbb\xbf" + DATA + b"3,x\n")
    err = _error(capsys, "check", _model(folder, "m.model", MODEL.encode(), "bom.csv"))
    assert "bom.csv:4:3" in err  # the BOM moves no column


def test_input_file_not_utf8(folder, capsys):
    (folder / "rain.csv").write_bytes(b"time,rain\n0,1\n10,2\n# \xe9\n")
    body = MODEL.replace("x += a + e", "x += a + e + rain").encode()
    err = _error(capsys, "check", _model(folder, "m.model", b'input rain from "rain.csv"\n' + body))
    assert "`rain.csv` is not UTF-8 text" in err and "rain.csv:4:3" in err


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux's /proc")
def test_data_file_that_fails_to_read(folder, capsys):
    err = _error(capsys, "check", _model(folder, "m.model", MODEL.encode(), "/proc/self/mem"))
    assert "cannot read `/proc/self/mem`: input/output error" in err
    assert "m.model:5:1" in err and 'data "/proc/self/mem"' in err


def test_data_path_that_is_a_folder(folder, capsys):
    (folder / "adir").mkdir()
    err = _error(capsys, "check", _model(folder, "m.model", MODEL.encode(), "adir"))
    assert "cannot read `adir`: is a directory" in err and "m.model:5:1" in err and "not of a folder" in err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_data_file_without_permission(folder, capsys):
    (folder / "locked.csv").write_bytes(DATA)
    (folder / "locked.csv").chmod(0)
    try:
        err = _error(capsys, "check", _model(folder, "m.model", MODEL.encode(), "locked.csv"))
    finally:
        (folder / "locked.csv").chmod(0o644)
    assert "cannot read `locked.csv`: permission denied" in err and "m.model:5:1" in err


# ------------------------------------------------------------ simulate --times-from
@pytest.mark.parametrize("times, message", [
    ("nosuch.csv", "cannot read `nosuch.csv`: no such file or directory"),
    ("adir", "cannot read `adir`: is a directory"),
    ("latin.csv", "`latin.csv` is not UTF-8 text (the byte 0xE9 here)"),
])
def test_times_from(folder, capsys, times, message):
    (folder / "adir").mkdir()
    (folder / "latin.csv").write_bytes(b"time\n1\n# \xe9\n")
    name = _model(folder, "m.model", MODEL.encode())
    err = _error(capsys, "simulate", name, "-p", "a=0.1", "--times-from", times)
    assert message in err


def test_no_traceback_from_the_command(folder):
    name = _model(folder, "m.model", b"# caf\xe9\n" + MODEL.encode())
    done = subprocess.run([sys.executable, "-m", "ponder", "check", name], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "m.model:1:6" in done.stderr
