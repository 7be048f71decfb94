"""The language end to end: semantics of each element against hand computations."""

import math

import numpy as np
import pytest

import ponder
from ponder.lang import parse
from ponder.lang.parser import is_incomplete


def sim(text, params=None, times=range(0, 6), seed=1, **kw):
    model = ponder.loads(text)
    return model, model.simulate(params or {}, times=times, seed=seed, **kw)


def test_unit_steps_and_t0_initial_state():
    model, ds = sim(
        """
        param a ~ Normal(0, 1)
        state x = a
        step { x += 2 }
        observe y ~ Normal(x, 1)
        """,
        {"a": 1.5},
    )
    # An observation at t0 sees the initial state; each unit step adds 2.
    np.testing.assert_array_equal(ds["x"].values, 1.5 + 2 * np.arange(6))
    assert model.is_deterministic


def test_sub_steps_time_and_dt():
    _, ds = sim(
        """
        state x = 0
        state clock = 0
        step(dt = 0.25) { x += dt; clock = t + dt }
        """,
        times=[0, 1, 2.5],
    )
    np.testing.assert_allclose(ds["x"].values, [0, 1, 2.5])
    np.testing.assert_allclose(ds["clock"].values, [0, 1, 2.5])


def test_t0_declaration_shifts_start():
    _, ds = sim("t0 = 10\nstate x = t\nstep { x += 1 }", times=[10, 13])
    np.testing.assert_array_equal(ds["x"].values, [10, 13])


def test_accumulator_resets_after_each_observation():
    _, ds = sim("state x = 0\naccum total = 0\nstep { x += 1; total += x }", times=[0, 2, 5])
    # total over (0,2] = 1+2, over (2,5] = 3+4+5
    np.testing.assert_array_equal(ds["total"].values, [0, 3, 12])


def test_if_blocks_if_expressions_loops_and_vectors():
    _, ds = sim(
        """
        param v[3] ~ Normal(0, 1)
        state w[3] = 1
        state s = 0
        step {
            for i in 0..3 { w[i] *= v[i] }
            if s > 2 { s = s - 10 } else if s > 1 { s += 0.5 } else { s += 1 }
            big = if w[0] > 100 then 1 else 0
            s += big
        }
        """,
        {"v": [2.0, -1.0, 0.5]},
        times=range(0, 5),
    )
    np.testing.assert_allclose(ds["w"].values[:, 0], 2.0 ** np.arange(5))
    np.testing.assert_allclose(ds["w"].values[:, 1], (-1.0) ** np.arange(5))
    np.testing.assert_allclose(ds["w"].values[:, 2], 0.5 ** np.arange(5))
    # s: 0 -> 1 -> 2 -> 2.5 -> -7.5
    np.testing.assert_allclose(ds["s"].values, [0, 1, 2, 2.5, -7.5])


def test_local_defined_on_both_branches_is_visible_after_if():
    _, ds = sim("state x = 0\nstep { if x < 2 { r = 1 } else { r = -5 }\n x += r }", times=[0, 1, 2, 3])
    np.testing.assert_array_equal(ds["x"].values, [0, 1, 2, -3])


def test_math_functions_and_precedence():
    _, ds = sim(
        """
        const a = 2
        state x = -a^2 + 3 * 2 ^ 3 / 4 - (1 - 4)
        state y = max(1, 5, 3) + min(2, -1) + clamp(7, 0, 5) + round(-2.5) + round(2.5)
        state z = logistic(0) + logit(0.5) + log1p(0) + expm1(0) + abs(-3) + floor(1.7) + ceil(1.2)
        state b = if not (1 < 2 and 3 < 2) or 0 then 10 else 20
        """,
        times=[0],
    )
    assert ds["x"].values[0] == -4 + 6 + 3
    assert ds["y"].values[0] == 5 - 1 + 5 - 3 + 3
    assert ds["z"].values[0] == 0.5 + 0 + 0 + 0 + 3 + 1 + 2
    assert ds["b"].values[0] == 10


def test_consts_depend_on_earlier_consts_and_replicate_overrides(tmp_path):
    (tmp_path / "a.csv").write_text("time,y\n0,1\n")
    (tmp_path / "b.csv").write_text("time,y\n0,1\n")
    model = ponder.loads(
        """
        const N = 100
        const S0 = N - 1
        state S = S0
        observe y ~ Normal(S, 1)
        replicate "a.csv" { }
        replicate "b.csv" { const N = 50 }
        """,
        base_dir=tmp_path,
    )
    assert [model.simulate({}, dataset=i)["S"].values[0] for i in (0, 1)] == [99, 49]


def test_ode_rk45_and_rk4_match_exact_solution():
    for options, tol in (("", 1e-6), ("(solver = rk4, dt = 0.01)", 1e-8)):
        _, ds = sim(
            f"""
            param k ~ Normal(1, 1)
            state x = 1
            state y = 0
            ode{options} {{
                r = k * x
                d(x) = -r
                d(y) = cos(t)
            }}
            """,
            {"k": 0.7},
            times=[0, 0.5, 2, 5],
        )
        t = np.array([0, 0.5, 2, 5])
        np.testing.assert_allclose(ds["x"].values, np.exp(-0.7 * t), rtol=tol, atol=tol)
        np.testing.assert_allclose(ds["y"].values, np.sin(t), rtol=tol, atol=tol)


def test_deterministic_detection():
    assert ponder.loads("state x = 0\nstep { x += 1 }").is_deterministic
    assert ponder.loads("state x = 0\node { d(x) = 1 }").is_deterministic
    assert not ponder.loads("state x = 0\nstep { e ~ Normal(0, 1); x += e }").is_deterministic
    assert not ponder.loads("state x ~ Normal(0, 1)\nstep { x += 1 }").is_deterministic
    assert not ponder.loads("state x = 0\nstep { if x > 0 { x ~ Normal(0, 1) } }").is_deterministic


def test_stochastic_simulation_reproducible_by_seed():
    text = "param s ~ Normal(1, 1)\nstate x ~ Normal(0, 1)\nstep { e ~ Normal(0, s); x += e }\nobserve y ~ Normal(x, 1)"
    model = ponder.loads(text)
    a = model.simulate({"s": 1.0}, times=range(20), seed=5)
    b = model.simulate({"s": 1.0}, times=range(20), seed=5)
    c = model.simulate({"s": 1.0}, times=range(20), seed=6)
    np.testing.assert_array_equal(a["y"].values, b["y"].values)
    np.testing.assert_array_equal(a["x"].values, b["x"].values)
    assert not np.allclose(a["y"].values, c["y"].values)


def test_simulated_random_walk_has_the_right_law():
    # Steps are +-1 with P(+1) = (1 + drift) / 2: after 400 steps the mean
    # displacement is 400 drift and the variance 400 (1 - drift^2).
    model = ponder.loads(
        """
        param drift ~ Uniform(-1, 1)
        state x = 0
        step { u ~ Uniform(-1, 1); x += if u < drift then 1 else -1 }
        """
    )
    finals = np.array([model.simulate({"drift": 0.2}, times=[400], seed=s)["x"].values[0] for s in range(400)])
    mean, var = 400 * 0.2, 400 * (1 - 0.04)
    assert abs(finals.mean() - mean) < 4 * math.sqrt(var / len(finals))
    assert abs(finals.var() - var) < 4 * var * math.sqrt(2 / len(finals))


def test_prior_sample_and_log_prior_agree_with_scipy():
    from scipy import stats

    model = ponder.loads("param a ~ Normal(1, 2)\nparam b[2] ~ Exponential(a^2)")
    draws = model.prior_sample(5000, seed=3)
    assert draws["a"].shape == (5000,) and draws["b"].shape == (5000, 2)
    assert abs(draws["a"].mean() - 1) < 4 * 2 / math.sqrt(5000)
    lp = model.log_prior({"a": 0.5, "b": [0.3, 1.2]})
    expected = stats.norm(1, 2).logpdf(0.5) + stats.expon(scale=1 / 0.25).logpdf([0.3, 1.2]).sum()
    assert lp == pytest.approx(expected, abs=1e-12)
    assert model.log_prior({"a": 0.5, "b": [-1.0, 1.0]}) == -math.inf


def test_is_incomplete_for_repl_continuation():
    assert is_incomplete("step {\n x += 1")
    assert is_incomplete("param a ~ Normal(0,")
    assert not is_incomplete("param a ~ Normal(0, 1)")
    assert not is_incomplete("param a ~ ~")


def test_syntax_tree_nodes_are_frozen_with_spans():
    program = parse("param a ~ Normal(0, 1)\nstate x = a", "m.model")
    decl = program.declarations[0]
    assert (decl.name_span.line, decl.name_span.column) == (1, 7)
    assert (program.declarations[1].span.line, program.declarations[1].span.column) == (2, 1)
    with pytest.raises(Exception):
        decl.name = "b"


def test_the_grammar_passes_lark_strict_mode():
    """No shift/reduce conflict and no terminal collision (Lark's strict mode); the runtime parser skips the check."""
    from ponder.lang import parser

    strict = parser._lark.__wrapped__(strict=True)
    text = "param a ~ Normal(0, 1)\nstate x = a\nstep { e ~ Normal(0, 1); x += e }\nobserve y ~ Normal(x, 1)\n"
    assert strict.parse(text) == parser._lark().parse(text)
