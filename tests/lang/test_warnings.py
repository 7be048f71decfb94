"""Warnings that catch wrong models: they fire where they must, stay quiet on good models, and --strict makes them errors."""

from pathlib import Path

import pytest

import ponder
from ponder.cli import main
from ponder.lang.compiler import compile_text
from ponder.lang.errors import ModelError, ModelWarning
from ponder.session import Session
from ponder.stdlib import BUILTIN_LIBRARY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TYPO = """\
param origin ~ Uniform(50, 150)
param drift ~ Uniform(-1, 1)
param sigma ~ HalfNormal(5)
state position = origin
step {
    a ~ Normal(drift, 1)
    positon = position + a
}
observe position ~ Normal(position, sigma)
"""


def _warnings(text: str) -> list[ModelWarning]:
    return list(compile_text(text, BUILTIN_LIBRARY, "m.model").ir.warnings)


def test_the_misspelt_state_warns_naming_the_state():
    warnings = _warnings(TYPO)
    texts = [w.render() for w in warnings]
    local = next(t for t in texts if "positon" in t)
    assert local.startswith("warning: the local `positon` is assigned but never used")
    assert "--> m.model:7:5" in local and "did you mean the state `position`?" in local
    never = next(t for t in texts if "never updated" in t)
    assert never.startswith("warning: the state `position` is never updated by the `step` block")
    assert "--> m.model:4:7" in never
    assert all(isinstance(w, ModelWarning) and w.severity == "warning" for w in warnings)


@pytest.mark.parametrize("text, expected", [
    ("param a ~ Normal(0, 1)\nparam b ~ Normal(0, 1)\nstate x = 0\nstep { x += a }", "the parameter `b` is never used"),
    ("const K = 3\nstate x = 0\nstep { x += 1 }", "the constant `K` is never used"),
    ("input rain\nstate x = 0\nstep { x += 1 }", "the input `rain` is never used"),
    ("fn f(x) = 2 * x\nstate x = 0\nstep { x += 1 }", "the function `f` is never used"),
    ("state x = 0\nstate y = 1\node { d(x) = -x }", "the state `y` is never updated by the `ode` block"),
])
def test_unused_names_and_states_never_updated_warn(text, expected):
    assert expected in [w.message for w in _warnings(text)]


def test_used_names_do_not_warn():
    text = ("const K = 2\nconst w = [1, 2]\nparam a[K] ~ Normal(0, 1)\ninput rain\nfn f(x) = 2 * x\n"
            "derived r = a[0] / 2\nstate x = 0\nstep { u = f(a[0]) + dot(w, a); x += u * rain }\n"
            "observe y ~ Normal(x, 1)")
    assert _warnings(text) == []


@pytest.mark.parametrize("path", sorted(p for p in EXAMPLES.glob("*/*.model") if not (p.parent / "pyproject.toml").exists()),
                         ids=lambda p: p.stem)
def test_the_examples_have_no_warnings(path):
    assert [w.render() for w in _warnings(path.read_text())] == []


def test_check_prints_warnings_and_strict_makes_them_errors(tmp_path, capsys, monkeypatch):
    model = tmp_path / "typo.model"
    model.write_text(TYPO)
    assert main(["check", str(model)]) == 0
    err = capsys.readouterr().err
    assert "warning: the local `positon` is assigned but never used" in err
    monkeypatch.delenv("PONDER_STRICT", raising=False)
    assert main(["check", "--strict", str(model)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the state `position` is never updated")  # the first warning, in file order
    monkeypatch.setenv("PONDER_STRICT", "1")
    with pytest.raises(ModelError, match="never updated"):
        ponder.loads(TYPO)
    monkeypatch.setenv("PONDER_STRICT", "0")
    assert ponder.loads(TYPO).ir.warnings


def test_the_repl_prints_warnings_when_it_loads_a_model(tmp_path):
    from rich.console import Console

    model = tmp_path / "typo.model"
    model.write_text(TYPO)
    console = Console(record=True, width=120)
    Session(model, console=console)
    assert "did you mean the state `position`?" in console.export_text()


def test_thousands_of_warnings_print_the_first_ones_and_a_count(capsys):
    """9,000 unused locals took 9 s to print, one warning after another; the first ones and a count are enough."""
    from ponder.console import MAX_WARNINGS_SHOWN, print_warnings

    warnings = _warnings("state x = 0\nstep {\n" + "".join(f"u{i} = 1\n" for i in range(50)) + "x += 1\n}\n")
    assert len(warnings) == 50
    print_warnings(warnings)
    err = capsys.readouterr().err
    assert err.count("is assigned but never used") == MAX_WARNINGS_SHOWN and "`u0`" in err and "`u49`" not in err
    assert err.rstrip().endswith(f"warning: and {50 - MAX_WARNINGS_SHOWN} more warnings")
