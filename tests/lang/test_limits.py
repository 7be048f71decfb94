"""Constant folding with domain checks and explicit limits: located errors, never a Python exception (issue 13, part)."""

import pytest

import ponder
from ponder.lang.errors import ModelError


@pytest.mark.parametrize("body, message", [
    ("param w[1/0] ~ Normal(0, 1)", "a vector size must be a whole number of at least 1, not inf"),
    ("param w[0/0] ~ Normal(0, 1)", "a vector size must be a whole number of at least 1, not nan"),
    ("const K = 1/0\nparam w[K] ~ Normal(0, 1)", "not inf"),
    ("param w[1e9] ~ Normal(0, 1)", "longer than ponder allows"),
    ("step { for i in 0..1/0 { x += 1 } }", "a loop bound must be a whole number, not inf"),
    ("step { for i in 0..1e12 { x += 1 } }", "beyond the limit"),
    ("step(dt = 1/0) { x += 1 }", "option `dt` must be a finite number, not inf"),
    ("step(dt = pow(10, 400)) { x += 1 }", "this constant overflows"),
    ("const c = pow(10, 400)", "this constant overflows"),
    ("ode(rtol = 1/0) { d(x) = -x }", "option `rtol` must be a finite number"),
    ("ode(max_steps = 1/0) { d(x) = -x }", "option `max_steps` must be a finite number"),
    ("param a ~ Normal(0/0, 1)", "`mu` of `Normal` must be in (-inf, inf), not nan"),
    ("const s = -2\nparam a ~ Normal(0, 2 * s)", "`sigma` of `Normal` must be in (0, inf), not -4"),
])
def test_bad_constants_are_located_errors(body, message):
    text = f"state x = 0\n{body}\nobserve y ~ Normal(x, 1)\n"
    with pytest.raises(ModelError) as err:
        ponder.loads(text, name="m.model")
    assert message in err.value.render() and err.value.span is not None


def test_a_step_count_beyond_the_limit_points_at_the_data_row(tmp_path):
    (tmp_path / "d.csv").write_text("time,y\n1,1\n2,2\n")
    text = 'state x = 0\nstep(dt = 1e-300) { x += 1 }\nobserve y ~ Normal(x, 1)\ndata "d.csv"\n'
    with pytest.raises(ModelError) as err:
        ponder.loads(text, base_dir=tmp_path)
    assert "more than the limit" in err.value.message and err.value.location.endswith("d.csv:3:1")
    model = ponder.loads(text.replace('data "d.csv"\n', ""))
    with pytest.raises(ModelError, match="more than the limit"):
        model.simulate({}, times=[1.0, 2.0])


# ------------------------------------------------------------ nesting: located limits, never Python's
def _nested(kind: str, n: int) -> str:
    if kind == "sum":
        return "param a ~ Normal(0, 1)\nstate x = " + " - ".join(["a"] * n) + "\nobserve y ~ Normal(x, 1)"
    if kind == "if":
        return ("state x = 0\nstep {\n" + "".join(f"if x < {i} {{\n" for i in range(n)) + "x += 1\n" + "}\n" * n
                + "}\nobserve y ~ Normal(x, 1)")
    if kind == "for":
        return ("state x = 0\nstep {\n" + "".join(f"for i{i} in 0..2 {{\n" for i in range(n)) + "x += 1\n"
                + "}\n" * n + "}\nobserve y ~ Normal(x, 1)")
    if kind == "ifexpr":
        return ("param a ~ Normal(0, 1)\nstate x = " + "".join(f"if a < {i} then {i} else " for i in range(n))
                + "0\nobserve y ~ Normal(x, 1)")
    if kind == "neg":
        return "param a ~ Normal(0, 1)\nstate x = " + "-" * n + "a\nobserve y ~ Normal(x, 1)"
    if kind == "abs":
        return "param a ~ Normal(0, 1)\nstate x = " + "abs(" * n + "a" + ")" * n + "\nobserve y ~ Normal(x, 1)"
    if kind == "pow":
        return "param a ~ Normal(0, 1)\nstate x = " + " ^ ".join(["a"] * n) + "\nobserve y ~ Normal(x, 1)"
    raise ValueError(kind)


def test_long_sums_and_deep_blocks_within_the_limits_compile_and_run():
    """A 400-term chain is one flat Python expression (nested, it passed Python's 200 parentheses); 30 nested ifs
    and 10 nested loops fit Python's limits (100 indentation levels, 20 nested loops)."""
    model = ponder.loads(_nested("sum", 400))
    assert model.simulate({"a": 0.5}, times=[1.0], seed=1)["x"].values[0] == 0.5 - 399 * 0.5
    assert ponder.loads(_nested("for", 10)).simulate({}, times=[1.0])["x"].values[0] == 2.0**10
    assert ponder.loads(_nested("if", 30)).simulate({}, times=[1.0])["x"].values[0] == 0.0


@pytest.mark.parametrize("kind, n, message", [
    ("sum", 2500, "more than 2000 terms"),
    ("if", 98, "`if` and `for` blocks nest more than 40 deep"),
    ("for", 20, "`for` loops nest more than 10 deep"),
    ("ifexpr", 200, "expressions nest more than 60 deep"),
    ("neg", 1000, "expressions nest more than 60 deep"),
    ("abs", 1000, "expressions nest more than 60 deep"),
    ("pow", 1000, "expressions nest more than 60 deep"),
    ("abs", 5000, "nests more than 3000 levels deep"),
])
def test_too_deep_nesting_is_a_located_error(kind, n, message):
    from ponder.lang.parser import parse

    with pytest.raises(ModelError) as err:
        parse(_nested(kind, n), "m.model")
    assert message in err.value.message and err.value.location.startswith("m.model:")


def _check_seconds(program) -> float:
    """Seconds the check of a parsed ``program`` takes (both passes, the check and lowering), with the collector
    off: its full collections grow with the heap and made a linear check's ratio 6 here and 20 in a CI run whose
    other test process shared the cores (4.3 with the collector off)."""
    import gc
    import time

    from ponder.lang.check import check
    from ponder.stdlib import BUILTIN_LIBRARY

    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        check(program, BUILTIN_LIBRARY)
        return time.perf_counter() - started
    finally:
        gc.enable()


def _growth(make, small: int, large: int) -> float:
    """How much longer the check of ``make(large)`` takes than of ``make(small)``: the least time of five
    interleaved pairs each (a burst of load hits both sizes), so the machine's speed cancels out."""
    from ponder.lang.parser import parse

    programs = [parse(make(n)) for n in (small // 5, small, large)]
    _check_seconds(programs[0])  # warm up
    pairs = [(_check_seconds(programs[1]), _check_seconds(programs[2])) for _ in range(5)]
    return min(p[1] for p in pairs) / min(p[0] for p in pairs)


def test_fifty_thousand_constants_check_in_linear_time():
    """The check kept one scope per kind of declaration up to date instead of rebuilding it per constant (quadratic:
    8,000 constants took 2.7 s, 50,000 about 100 s). Linear gives a ratio of about 4, quadratic about 16."""
    growth = _growth(lambda n: "".join(f"const c{i} = {i}\n" for i in range(n)) + "state x = c1\nstep { x += c0 }\n",
                     2500, 10000)
    assert growth < 9, growth


def test_a_long_sum_of_products_checks_in_linear_time():
    """Syntax nodes hash by type and span: the generated hash went through the whole subtree at each lookup in the
    check's and lowering's tables, so a chain of n terms cost n^2 (four sums of 1,900 products took 70 s to check,
    9 s since, most of it the parse). 400 and 1,600 terms: linear gives about 4, quadratic about 16."""
    growth = _growth(lambda n: "param a ~ Normal(0, 1)\nstate x = " + " + ".join(["a * a"] * n) + "\n", 400, 1600)
    assert growth < 9, growth


def test_a_model_beyond_the_token_limit_is_refused_before_parsing(monkeypatch):
    """110,000 statements in one block, and an expression of a million characters, parse for minutes (the parser
    reads some 20,000 tokens a second here): refused at the first token past the limit, without parsing."""
    from ponder.lang import parser
    from ponder.lang.limits import MAX_TOKENS

    statements = "state x = 0\nstep {\n" + "x += 1\n" * 110_000 + "}\n"  # 6 tokens, then 3 a line
    expression = "param a ~ Normal(0, 1)\nstate x = " + " + ".join(["a"] * 250_000) + "\n"  # 10^6 characters
    with monkeypatch.context() as patch:
        patch.setattr(parser, "_lark", lambda: pytest.fail("the parser ran"))
        for text, line in ((statements, 3 + (MAX_TOKENS - 6) // 3), (expression, 2)):
            with pytest.raises(ModelError) as err:
                parser.parse(text, "m.model")
            assert "longer than ponder compiles" in err.value.message and err.value.hint
            assert err.value.location.startswith(f"m.model:{line}:"), err.value.location
    with pytest.raises(ModelError) as err:
        parser.parse("state x = " + "1" * 10**6, "m.model")  # a million characters, one token
    lines = err.value.render().splitlines()  # cut around the culprit, not a million characters twice
    assert lines[0] == "error: the number `" + "1" * 30 + "...` (1,000,000 characters) is too large"
    assert lines[3] == "1 | state x = " + "1" * 150 + "..." and lines[4] == "  |           " + "^" * 80, lines[3:5]
