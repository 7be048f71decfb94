"""The two passes from syntax tree to IR: checking (ponder.lang.check), then lowering (ponder.lang.lower).

Every user-facing check is in the first pass, which resolves the tree into a
``Checked``; lowering only translates, and is reached only with checked
input. ``check()`` runs both.
"""

from __future__ import annotations

import ast as pyast
import importlib
from dataclasses import fields
from pathlib import Path

import pytest

from ponder.lang import ir
from ponder.lang import syntax as ast
from ponder.lang.check import check, check_program
from ponder.lang.errors import ModelError
from ponder.lang.lower import Checked, lower
from ponder.lang.parser import parse
from ponder.plugins.manager import plugins
from ponder.stdlib import BUILTIN_LIBRARY

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "bad"
# the plugin example needs its package installed (tests/test_plugin_distribution.py checks it there)
# the examples that need nothing installed (a folder with a pyproject.toml is a plugin package)
EXAMPLES = sorted(p for p in ROOT.glob("examples/*/*.model") if not (p.parent / "pyproject.toml").exists())


def _bad_programs():
    """The bad models that parse (the others never reach the checking pass)."""
    out = []
    for path in sorted(BAD.glob("*.model")):
        try:
            out.append((path.stem, parse(path.read_text(), f"{path.stem}.model")))
        except ModelError:
            pass
    return out


BAD_PROGRAMS = _bad_programs()
check_module = importlib.import_module("ponder.lang.check")

WALK = """
model m
const n = 2
const s = n * 1.5
param a ~ Normal(0, s)
param v[n] ~ Exponential(a ^ 2)
state x = a
state w[n] ~ Normal(0, 1)
accum c = 0
t0 = n
step(dt = 0.5) {
    for i in 0..n { w[i] += v[i] * dt }
    if x > 0 { r = 1 } else { r = -1 }
    e ~ Normal(r, 1)
    x = x + e
    c += if t > 1 then x else 0
}
observe y ~ Normal(x, s)
data "a.csv"
replicate "b*.csv" { const s = 2 }
infer { method = mh; samples = n * 10; warmup = 1:3 }
"""

DECAY = "param k ~ Normal(1, 1)\nstate x = 1\node(solver = rk4, dt = 0.1) { r = k * x; d(x) = -r }\n"


def Ref(kind, name, index=None):  # noqa: N802 - reads like the IR
    return ir.Ref(kind, name, index)


def test_lowering_builds_the_expected_ir():
    program = parse(WALK, "walk.model")
    i = Ref("loop", "i")
    expected = ir.ModelIR(
        name="m",
        params=(
            ir.Param("a", 0, 0, ir.Dist("Normal", (ir.Num(0.0), Ref("const", "s")))),
            ir.Param("v", 2, 1, ir.Dist("Exponential", (ir.Op("^", (Ref("param", "a"), ir.Num(2.0))),))),
        ),
        consts=(ir.Const("n", 0, ir.Num(2.0)), ir.Const("s", 1, ir.Op("*", (Ref("const", "n"), ir.Num(1.5))))),
        const_values=(2.0, 3.0),
        states=(
            ir.State("x", 0, 0, Ref("param", "a"), None, False),
            ir.State("w", 2, 1, None, ir.Dist("Normal", (ir.Num(0.0), ir.Num(1.0))), False),
            ir.State("c", 0, 3, ir.Num(0.0), None, True),
        ),
        t0=2.0,
        dynamics=ir.StepDynamics(0.5, (
            ir.Loop("i", 0, 2, (
                ir.Set(Ref("state", "w", i), "+=", ir.Op("*", (Ref("param", "v", i), Ref("dt", "dt")))),
            )),
            ir.IfS(ir.Op(">", (Ref("state", "x"), ir.Num(0.0))),
                   (ir.Let("r", ir.Num(1.0)),), (ir.Let("r", ir.Op("-", (ir.Num(1.0),))),)),
            ir.Sample(Ref("local", "e"), ir.Dist("Normal", (Ref("local", "r"), ir.Num(1.0))), True),
            ir.Set(Ref("state", "x"), "=", ir.Op("+", (Ref("state", "x"), Ref("local", "e")))),
            ir.Set(Ref("state", "c"), "+=",
                   ir.Cond(ir.Op(">", (Ref("time", "t"), ir.Num(1.0))), Ref("state", "x"), ir.Num(0.0))),
        )),
        observations=(ir.Observation("y", ir.Dist("Normal", (Ref("state", "x"), Ref("const", "s")))),),
        datasets=(
            ir.DatasetSpec("a.csv", (), program.declarations[-3].span, False),
            ir.DatasetSpec("b*.csv", (("s", 2.0),), program.declarations[-2].span, True),
        ),
        infer=(("method", "mh"), ("samples", 20), ("warmup", (1, 3))),
        deterministic=False,
        source=program.source,
    )
    model = check(program, BUILTIN_LIBRARY)
    assert model == expected
    assert repr(model) == repr(expected)
    assert model.kernel_key("salt") == expected.kernel_key("salt")
    assert list(model.spans) == ["n", "s", "a", "v", "x", "w", "c", "observe:y",
                                 "infer:method", "infer-value:method", "infer:samples", "infer-value:samples",
                                 "infer:warmup", "infer-value:warmup"]


def test_lowering_an_ode_fills_in_the_default_options():
    model = check(parse(DECAY), BUILTIN_LIBRARY, "decay")
    assert model.name == "decay" and model.deterministic
    assert model.dynamics == ir.OdeDynamics("rk4", 0.1, 1e-6, 1e-9, 100000, (
        ir.Let("r", ir.Op("*", (Ref("param", "k"), Ref("state", "x")))),
        ir.Deriv(Ref("state", "x"), ir.Op("-", (Ref("local", "r"),))),
    ))


def test_the_check_result_holds_what_lowering_needs_and_no_ir():
    program = parse(WALK)
    checked = check_program(program, BUILTIN_LIBRARY)
    assert checked.name == "m"
    assert dict(checked.sizes) == {"n": 0, "s": 0, "a": 0, "v": 2, "x": 0, "w": 2, "c": 0}
    assert dict(checked.const_values) == {"n": (2.0,), "s": (3.0,)}  # a constant's elements (one for a number)
    assert checked.t0 == 2.0 and dict(checked.options) == {"dt": 0.5}
    assert list(checked.loops.values()) == [(0, 2)]
    assert sorted(t.name for t in checked.new_locals) == ["e", "r", "r"]
    assert list(checked.overrides.values()) == [(("s", 2.0),)]
    step = next(d for d in program.declarations if isinstance(d, ast.StepBlock))
    names = [n for n in ir.walk(step) if isinstance(n, (ast.Name, ast.Index, ast.Target))]
    assert {n.name: checked.kinds[n] for n in names} == {
        "w": "state", "v": "param", "i": "loop", "dt": "dt", "x": "state", "r": "local", "e": "local",
        "c": "state", "t": "time", "n": "const",
    }
    # the check lowers nothing: no IR node anywhere in its result
    values = [getattr(checked, f.name) for f in fields(checked)]
    flat = [x for v in values for x in (list(v.items()) if isinstance(v, dict) else [v])]
    ir_types = tuple(t for t in vars(ir).values() if isinstance(t, type) and t.__module__ == ir.__name__)
    assert not [n for n in ir.walk(tuple(flat)) if isinstance(n, ir_types)]


def test_ir_walk_visits_syntax_trees_which_the_checking_pass_relies_on():
    expr = parse("const k = max(a, -b[2]) + 1").declarations[0].value
    assert [type(n).__name__ for n in ir.walk(expr)] == ["Binary", "Call", "Name", "Unary", "Index", "Number",
                                                         "Number"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_check_is_the_checking_pass_then_lowering(path):
    library = plugins().library
    text = path.read_text()
    checked = check_program(parse(text, path.name), library, path.stem)
    model = check(parse(text, path.name), library, path.stem)
    # a second parse gives an equal tree, which the same check result lowers: nodes key it by value
    again = lower(parse(text, path.name), checked)
    assert again == model and again.kernel_key("x") == model.kernel_key("x")
    assert again.spans == model.spans and again.const_values == model.const_values and again.infer == model.infer


def test_lowering_refuses_input_the_check_did_not_resolve():
    checked = check_program(parse("param a ~ Normal(0, 1)\nstate x = a"), BUILTIN_LIBRARY)
    with pytest.raises(AssertionError, match="did not"):
        lower(parse("param a ~ Normal(0, 1)\nstate x = 2 * a"), checked)  # the same names, elsewhere
    with pytest.raises(AssertionError, match="did not"):
        lower(parse("param a ~ Normal(0, 1)\nparam b ~ Normal(a, 1)"), checked)
    empty = Checked(name="m", sizes={}, shapes={}, const_values={}, kinds={}, new_locals=frozenset(), loops={},
                    t0=0.0, options={}, overrides={}, replicate_inputs={}, infer=(), spans={}, functions={},
                    derived={}, inputs=(), observations=())
    with pytest.raises(AssertionError, match="did not"):
        lower(parse("state x = 0\nstep { for i in 0..2 { x += i } }"), empty)


@pytest.mark.parametrize("name, program", BAD_PROGRAMS, ids=[n for n, _ in BAD_PROGRAMS])
def test_the_checking_pass_alone_catches_each_bad_model(name, program, monkeypatch):
    """A bad model the check rejects fails before lowering, with the expected message; one it accepts lowers."""
    lowered = []
    monkeypatch.setattr(check_module, "lower", lambda p, c: lowered.append(p) or lower(p, c))
    library = plugins().library
    expected = (BAD / f"{name}.err").read_text().rstrip("\n")
    try:
        check_program(program, library, name)
    except ModelError as err:
        assert err.render() == expected
        with pytest.raises(ModelError) as again:
            check(program, library, name)
        assert again.value.render() == expected
        assert lowered == []
        return
    # found later, when the data are read or the run is set up: lowering succeeds
    check(program, library, name)
    assert lowered == [program]


def test_most_bad_models_are_rejected_by_the_check():
    rejected = 0
    for _, program in BAD_PROGRAMS:
        try:
            check_program(program, plugins().library)
        except ModelError:
            rejected += 1
    assert rejected >= 20


@pytest.mark.parametrize(
    "text, line, column",
    [
        # each has several mistakes; the first one in reading order is reported
        ("param a ~ Normal(0, -1)\nstate x = 0\nstep { x += u; q = Normall(1) }\nobserve y ~ Normal(x, -2)", 1, 21),
        ("const k = 1\nconst k = 2\nparam a ~ Poisson(k)\nstate k = 3", 2, 7),
        ("state v[2] = 0\nstep { v[2] = v[-1] + v[0.5] }", 2, 17),  # the value before the target
        ("state x = 0\node { y = zz }", 2, 11),  # the body before the missing derivative
        ("state x = 0\node(solver = euler) { y = zz }", 2, 5),  # the options before the body
        ("const n = 2\nstate v[n] = 0\nreplicate \"a.csv\" { const n = 3; const m = 1 }", 3, 27),
    ],
)
def test_the_first_mistake_is_reported(text, line, column):
    with pytest.raises(ModelError) as info:
        check_program(parse(text, "m.model"), BUILTIN_LIBRARY)
    assert (info.value.span.line, info.value.span.column) == (line, column), info.value.render()


def _module_tree(name: str) -> pyast.AST:
    return pyast.parse((ROOT / "ponder" / "lang" / name).read_text())


def test_lowering_makes_no_user_facing_check():
    tree = _module_tree("lower.py")
    names = {n.id for n in pyast.walk(tree) if isinstance(n, pyast.Name)}
    attrs = {n.attr for n in pyast.walk(tree) if isinstance(n, pyast.Attribute)}
    assert not ({"messages", "ModelError"} & (names | attrs))


def test_the_checking_pass_builds_no_ir():
    built = sorted({
        node.func.attr for node in pyast.walk(_module_tree("check.py"))
        if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Attribute)
        and isinstance(node.func.value, pyast.Name) and node.func.value.id == "ir" and node.func.attr != "walk"
    })
    assert built == [], f"check.py builds IR nodes {built}: that is lower.py's job"
