"""Results files (issue 13, item 8): ponder reads back only the files it wrote, and never a file one names.

``summary``, ``plot`` and ``report`` read results through
:func:`ponder.runtime.results.read_results`: a netCDF file without ponder's
format, or with an attribute ponder does not write so, is a clear error
with exit 2. Figures and reports rebuild the model from the source stored
in the results but take the data, constants and inputs stored there too
(:func:`ponder.runtime.results.stored_datasets`), so a results file whose
source names ``data "/etc/passwd"`` cannot put that file into a report.
Errors about a data file quote a short, printable excerpt of it.
"""

import shutil

import h5py
import numpy as np
import pytest

import ponder
from ponder import plots
from ponder.cli import main
from ponder.lang.errors import ModelError
from ponder.runtime import arviz_io
from ponder.runtime.methods.contract import MethodResult
from ponder.runtime.results import RESULTS_FORMAT, method_results, read_results
from ponder.runtime.tables import LINE_CHARS, read_table

MODEL = """model tiny
param a ~ Normal(0, 1)
param sigma ~ LogNormal(0, 0.5)
const gain = 1
input push from "push.csv"
state x = 0
step { x += gain * a + push }
observe y ~ Normal(x, sigma)
replicate "one.csv" { }
replicate "two.csv" { const gain = 3 }
"""
FILES = {"push.csv": "time,push\n0,0\n10,1\n", "one.csv": "time,y\n1,0.1\n2,0.5\n3,1.2\n4,1.9\n",
         "two.csv": "time,y\n1,0.4\n2,1.1\n3,\n4,3.0\n"}
MARKER = "PONDER-SECRET-7f3a"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A model with an input file, a constant and two replicates (one overriding it), and results of it as an
    inference method writes them (prior draws stand in for a posterior: no sampling needed)."""
    folder = tmp_path_factory.mktemp("results")
    for name, text in {**FILES, "tiny.model": MODEL}.items():
        (folder / name).write_text(text)
    model = ponder.load(folder / "tiny.model")
    draws = model.prior_sample(40, seed=1)
    theta = np.stack([model.theta({k: v[i] for k, v in draws.items()}) for i in range(40)]).reshape(2, 20, -1)
    lp = np.array([[model.log_prior(row) for row in chain] for chain in theta])
    idata = method_results(model, "prior", MethodResult(theta, {"lp": lp}), 1, 0.1, {"method": "prior"})
    return model, arviz_io.write(idata, folder / "run.nc")


def _changed(path, out, **attrs):
    """A copy of the results at ``path`` at ``out`` with the posterior's attributes ``attrs`` (None: removed),
    changed in place in the HDF5 file (faster than reading and writing it all)."""
    shutil.copyfile(path, out)
    with h5py.File(out, "r+") as file:
        for key, value in attrs.items():
            if value is None:
                del file["posterior"].attrs[key]
            else:
                file["posterior"].attrs[key] = value
    return out


def _refused(capsys, *args) -> str:
    capsys.readouterr()
    assert main([str(a) for a in args]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err


def _command(command: str, path, tmp_path) -> list:
    out = {"summary": [], "plot": ["--out", tmp_path / "figures"], "report": ["--out", tmp_path / "report.html"]}
    return [command, path, *out[command]]


def test_ponder_writes_its_format_and_reads_its_results_back(written):
    _, path = written
    attrs = arviz_io.group(read_results(path), "posterior").attrs
    assert attrs["ponder_format"] == RESULTS_FORMAT and attrs["inference_library"] == "ponder"


@pytest.mark.parametrize("command", ["summary", "plot", "report"])
def test_a_netcdf_file_ponder_did_not_write_is_refused(command, tmp_path, capsys):
    posterior = {"a": np.random.default_rng(0).normal(size=(2, 30))}
    foreign = arviz_io.write(arviz_io.from_groups({"posterior": posterior}, {}, {}, {}, False), tmp_path / "f.nc")
    err = _refused(capsys, *_command(command, foreign, tmp_path))
    assert "`" + str(foreign) + "` is not a ponder results file: it has no `ponder_format` attribute" in err
    assert "ponder run MODEL --out FILE" in err
    assert not (tmp_path / "report.html").exists()


def test_results_of_an_older_or_a_newer_ponder_say_so(written, tmp_path, capsys):
    _, path = written
    older = _changed(path, tmp_path / "older.nc", ponder_format=None)
    assert "was written by an older ponder" in _refused(capsys, "summary", older)
    newer = _changed(path, tmp_path / "newer.nc", ponder_format=RESULTS_FORMAT + 1)
    err = _refused(capsys, "report", newer, "--out", tmp_path / "r.html")
    assert f"written by a newer ponder (results format {RESULTS_FORMAT + 1}; this ponder reads format " \
           f"{RESULTS_FORMAT})" in err and "pip install -U ponder" in err


@pytest.mark.parametrize("name, value, expected", [
    ("pt_round_table", "not json", "a JSON table of the tempering rounds"),
    ("log_evidence", "abc", "a number"),
    ("partial", "yes", "0 or 1"),
    ("datasets", "[1, 2]", "a JSON list of file names"),
    ("settings", '{"options": [1]}', "a JSON object of settings"),
    ("final_particles", "5", "a JSON list of particle numbers"),
    ("ponder_format", "one", "a format number"),
    ("model_source", None, "there"),
])
def test_crafted_attributes_are_refused_naming_the_attribute(written, tmp_path, capsys, name, value, expected):
    _, path = written
    crafted = _changed(path, tmp_path / "crafted.nc", **{name: value})
    err = _refused(capsys, "summary", crafted)
    assert f"is not a results file ponder can read: its attribute `{name}` is not {expected}" in err


def test_plot_and_report_never_read_the_files_a_results_file_names(written, tmp_path, capsys):
    model, path = written
    secret = tmp_path / "secret"
    secret.mkdir()
    for name in ("passwd", "push.csv"):  # what the old figures would have read: a data file, the input file
        (secret / name).write_text(f"{MARKER}:x:0:0:root\n{MARKER}-2:x:1:1:daemon\n")
    source = MODEL.replace('"one.csv"', f'"{secret / "passwd"}"')  # data paths do not change the kernels' cache key
    crafted = _changed(path, tmp_path / "crafted.nc", model_source=source, model_base_dir=str(secret))

    rebuilt = plots.model_of(read_results(crafted))  # the data the run stored, not the files the source names
    for ours, stored in zip(model.datasets, rebuilt.datasets, strict=True):
        assert np.array_equal(ours.times, stored.times)
        assert np.array_equal(ours.values, stored.values, equal_nan=True)
        assert ours.overrides == stored.overrides
        assert np.array_equal(ours.inputs["push"].values, stored.inputs["push"].values)
        assert np.array_equal(model.consts(ours), rebuilt.consts(stored))

    capsys.readouterr()
    assert main(["report", str(crafted), "--out", str(tmp_path / "report.html")]) == 0
    page = (tmp_path / "report.html").read_text()
    assert MARKER not in page and 'id="figure-trace"' in page and 'id="figure-qq"' in page
    assert main(["plot", str(crafted), "--out", str(tmp_path / "figures"), "--kind", "qq"]) == 0
    assert [p.name for p in (tmp_path / "figures").iterdir()] == ["qq.png"]
    captured = capsys.readouterr()
    assert MARKER not in captured.out + captured.err


def test_stored_data_that_do_not_fit_the_model_are_an_error_not_a_traceback(written, tmp_path, capsys):
    _, path = written
    crafted = _changed(path, tmp_path / "crafted.nc")
    with h5py.File(crafted, "r+") as file:
        times = file["observed_data"]["time_r1"]
        times[...] = times[()][::-1]
    err = _refused(capsys, "plot", crafted, "--out", tmp_path / "figures", "--kind", "trace")
    assert "the data stored in the results do not fit their model: the times of `y_r1`" in err


def _table_error(path, text: str) -> str:
    path.write_text(text)
    with pytest.raises(ModelError) as info:
        read_table(path, path.name)
    return info.value.render()


def test_a_data_error_quotes_a_short_printable_excerpt_of_the_file(tmp_path):
    long = _table_error(tmp_path / "long.csv", "time,y\n1,0.5\n2," + "A" * 10_000 + "\x1b[2J\n")
    assert "long.csv:3:3" in long and "\x1b" not in long and len(long) < 4 * LINE_CHARS
    assert "`" + "A" * 31 + "\u2026` in column `y` is not a number" in long

    header = "time," + ",".join(f"c{i}" for i in range(60)) + ",y"
    row = "1," + ",".join("1.5" for _ in range(60)) + ",x\x1b]0;owned\x07"
    wide = _table_error(tmp_path / "wide.csv", f"{header}\n{row}\n")
    assert "wide.csv:2:243" in wide and "`x\ufffd]0;owned\ufffd` in column `y`" in wide
    line, caret = (text for text in wide.splitlines() if text.startswith(("2 |", "  |")) and text.strip(" |2"))
    shown = line.removeprefix("2 | ").strip()  # blanks keep the column: the cell and its neighbours are shown
    # the renderer cuts a line that is long only through those blanks once more, with "..." (lang/errors.py)
    shown = shown.removeprefix("...").strip()
    assert shown.startswith("\u2026") and len(shown) <= LINE_CHARS + 1
    assert line.endswith("x\ufffd]0;owned\ufffd") and caret.index("^") == line.index("x\ufffd")  # the caret under it
