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
