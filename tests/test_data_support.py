"""Accepted but impossible (issue 13, item 11): prior arguments out of order, priors that cannot be drawn, observed
values no error model can give, and data files that observe nothing.

* constant arguments out of the order a distribution declares (``Uniform(1, 1)``) are located errors of the
  check, for ponder's distributions and a plugin's alike (``Distribution.ordered``);
* arguments computed at a draw (from other parameters, through a ``fn``) are checked when the prior is first
  drawn: at once when they depend on no parameter, and when no draw at all is valid otherwise;
* observed values outside the support of their error model (a negative or fractional count, a count above
  ``n``, given as a constant, a replicate's override or a data column) are located errors at their cell;
* a file whose observed values are all missing gives a warning, which ``ponder check`` prints.

The data are read against the checked IR (no kernels are compiled) except for the two command-line tests.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from ponder.cli import main
from ponder.lang.check import check
from ponder.lang.errors import ModelError, ModelWarning
from ponder.lang.library import Distribution, Library, Ordered, python_function
from ponder.lang.parser import parse
from ponder.runtime.data import load_datasets
from ponder.runtime.priors import PriorDraws, invalid_prior
from ponder.stdlib import BUILTIN_LIBRARY
from ponder.stdlib import distributions as d


def _ir(text: str, library: Library = BUILTIN_LIBRARY):
    return check(parse(text, "m.model"), library)


def _error(text: str, library: Library = BUILTIN_LIBRARY) -> ModelError:
    with pytest.raises(ModelError) as err:
        _ir(text, library)
    return err.value


# ------------------------------------------------------------ arguments out of order, at check time
@pytest.mark.parametrize("line, message, column", [
    ("param a ~ Uniform(1, 1)", "`Uniform` needs lower < upper, but lower = 1 and upper = 1", 11),
    ("param a ~ TruncatedNormal(0, 1, 5, 4)", "`TruncatedNormal` needs lower < upper, but lower = 5 and upper = 4", 11),
    ("const lo = 3\nparam a ~ Uniform(lo, 2 * 1)", "but lower = 3 and upper = 2", 11),
    ("param a ~ Normal(0, 1)\nstep { u ~ Uniform(2, -2); x += u * a }", "but lower = 2 and upper = -2", 12),
])
def test_constant_arguments_out_of_order_are_located_errors(line, message, column):
    err = _error(f"state x = 0\n{line}\nobserve y ~ Normal(x, 1)\n")
    assert message in err.message
    assert err.location == f"m.model:{line.count(chr(10)) + 2}:{column}"
    assert "hint:" in err.render()


@pytest.mark.parametrize("prior", ["Uniform(0, 1)", "TruncatedNormal(0, 1, -inf, inf)", "TruncatedNormal(0, 1, 0, inf)"])
def test_arguments_in_order_pass(prior):
    _ir(f"param a ~ {prior}\nstate x = a\nstep {{ x += 0 }}\nobserve y ~ Normal(x, 1)\n")


def test_a_plugin_distribution_declares_its_order_through_the_library():
    between = Distribution("Between", ("a", "b"), (d.REAL, d.REAL), d.uniform_logpdf, d.uniform_sample,
                           d.uniform_support, d.Uniform.scipy, ordered=(Ordered("a", "b", strict=False),))
    library = Library({**BUILTIN_LIBRARY.distributions, "Between": between}, BUILTIN_LIBRARY.functions)
    _ir("param p ~ Between(2, 2)\nstate x = p\nobserve y ~ Normal(x, 1)\n", library)  # a <= b holds
    err = _error("param p ~ Between(3, 2)\nstate x = p\nobserve y ~ Normal(x, 1)\n", library)
    assert err.message == "`Between` needs a <= b, but a = 3 and b = 2"
    with pytest.raises(ValueError, match="`Between` orders `c`"):
        Distribution("Between", ("a", "b"), (d.REAL, d.REAL), d.uniform_logpdf, d.uniform_sample,
                     d.uniform_support, d.Uniform.scipy, ordered=(Ordered("a", "c"),))


# ------------------------------------------------------------ priors that cannot be drawn, at the first draw
def _model(text: str):
    """What the prior check reads of a model: its IR, its library and its constants vector."""
    model_ir = _ir(text)
    return SimpleNamespace(ir=model_ir, library=BUILTIN_LIBRARY), np.array(model_ir.const_values, dtype=float)


HIERARCHICAL = "param s ~ Normal(0, 1)\nparam a ~ Normal(0, s)\nstate x = a\nobserve y ~ Normal(x, 1)\n"


def test_a_prior_whose_arguments_a_draw_made_invalid_is_named_with_the_values():
    model, consts = _model(HIERARCHICAL)
    err, depends = invalid_prior(model, np.array([-0.25, math.nan]), consts)
    assert depends
    assert err.message == "the prior of `a` cannot be drawn: `sigma` of `Normal` must be in (0, inf), but is -0.25"
    assert err.location == "m.model:2:7" and "with s = -0.25 drawn from the prior" in err.hint
    assert invalid_prior(model, np.array([0.5, 0.1]), consts) is None


def test_hierarchical_priors_valid_for_some_draws_are_kept_and_named_when_no_draw_is_valid():
    model, consts = _model(HIERARCHICAL)
    watch = PriorDraws(model, consts)
    watch.check(np.array([[-0.25, math.nan], [0.5, 0.1]]))  # one valid draw: no error, the search goes on
    assert watch.failure() is None
    watch = PriorDraws(model, consts)
    watch.check(np.array([[-0.25, math.nan], [-1.0, math.nan]]))
    assert "the prior of `a` cannot be drawn" in watch.failure().message


def test_arguments_that_depend_on_no_parameter_fail_at_the_first_draw():
    model, consts = _model("const k = 3\nfn lo() = k - 1\nparam a ~ Uniform(lo(), 1)\nstate x = a\n"
                           "observe y ~ Normal(x, 1)\n")
    with pytest.raises(ModelError) as err:
        PriorDraws(model, consts).check(np.array([[math.nan]]))
    assert err.value.message == ("the prior of `a` cannot be drawn: `Uniform` needs lower < upper, "
                                 "but lower = 2 and upper = 1")
    assert err.value.location == "m.model:3:7" and "depend on no parameter" in err.value.hint


# ------------------------------------------------------------ observed values against the error model
BINOMIAL_INPUT = "param p ~ Beta(2, 2)\ninput n\nstate x = 0\nstep { x += 1 }\nobserve y ~ Binomial(n, p)\n"


@pytest.mark.parametrize("model, csv, message, where", [
    ("observe y ~ Poisson(x)", "time,y\n1,3\n2,-1\n", "`y` = -1 is below 0, the least value `Poisson` gives", "3:3"),
    ("observe y ~ Poisson(x)", "time,y\n1,3\n2, 2.5\n",
     "`y` = 2.5 is not a whole number, but `Poisson` gives whole numbers only", "3:4"),
    ("const N = 10\nobserve y ~ Binomial(N, 0.5)", "time,y\n1,10\n2,11\n",
     "`y` = 11 is above 10, the largest value `Binomial` gives", "3:3"),
    ("observe y ~ Bernoulli(0.5)", "time,y\n1,1\n2,NA\n3,2\n", "`y` = 2 is above 1", "4:3"),
    ("observe y ~ LogNormal(x, 1)", "time,y\n1,0.5\n2,-0.1\n", "`y` = -0.1 is below 0", "3:3"),
    ("observe y ~ Normal(x, 1)\nobserve z ~ Poisson(x)", "time,y,z\n1,-5,1\n2,-5,-2\n", "`z` = -2 is below 0", "3:6"),
])
def test_observed_values_no_error_model_can_give_are_located_at_their_cell(tmp_path, model, csv, message, where):
    (tmp_path / "d.csv").write_text(csv)
    model_ir = _ir(f"param a ~ Normal(0, 1)\nstate x = a\nstep {{ x += 0 }}\n{model}\ndata \"d.csv\"\n")
    with pytest.raises(ModelError) as err:
        load_datasets(model_ir, tmp_path, library=BUILTIN_LIBRARY)
    assert message in err.value.message
    assert err.value.location.endswith(f"d.csv:{where}")
    assert "the error model `observe" in err.value.hint and "m.model:" in err.value.hint


@pytest.mark.parametrize("name", sorted(n for n, dist in BUILTIN_LIBRARY.distributions.items() if not dist.multivariate))
def test_every_builtin_support_takes_unknown_arguments(name):
    """The contract the data check relies on: with nan arguments an end is nan if it depends on them, else a number."""
    dist = BUILTIN_LIBRARY.distributions[name]
    lower, upper = python_function(dist.support)(*[math.nan] * dist.arity)
    assert not (math.isnan(lower) and math.isnan(upper)) or name in ("Uniform", "TruncatedNormal")
    if name in ("Binomial", "BetaBinomial"):
        assert lower == 0 and math.isnan(upper)


def test_a_binomial_count_is_checked_against_the_n_of_its_own_row(tmp_path):
    (tmp_path / "d.csv").write_text("time,y,n\n0,,5\n1,7,8\n2,6,5\n")
    model_ir = _ir(BINOMIAL_INPUT + 'data "d.csv"\n')
    with pytest.raises(ModelError) as err:
        load_datasets(model_ir, tmp_path, library=BUILTIN_LIBRARY)
    assert err.value.message.startswith("`y` = 6 is above 5") and err.value.location.endswith("d.csv:4:3")
    (tmp_path / "d.csv").write_text("time,y,n\n0,,5\n1,7,8\n2,5,5\n")
    assert load_datasets(model_ir, tmp_path, library=BUILTIN_LIBRARY)[0].n_observed == 2


def test_a_replicate_override_of_n_is_what_its_counts_are_checked_against(tmp_path):
    (tmp_path / "d.csv").write_text("time,y\n1,15\n")
    text = ("const N = 10\nparam p ~ Beta(2, 2)\nconst M = 2 * N\nstate x = 0\nstep { x += 1 }\n"
            "observe y ~ Binomial(M - 5, p)\n")
    assert load_datasets(_ir(text + 'data "d.csv"\n'), tmp_path, library=BUILTIN_LIBRARY)  # 15 <= 2 * 10 - 5
    with pytest.raises(ModelError, match="`y` = 15 is above 11"):
        load_datasets(_ir(text + 'replicate "d.csv" { const N = 8 }\n'), tmp_path, library=BUILTIN_LIBRARY)


def test_possible_values_and_missing_ones_pass(tmp_path):
    (tmp_path / "d.csv").write_text("time,y,z\n1,0,-3.5\n2,,1e3\n3,7,NA\n")
    model_ir = _ir('param a ~ Normal(0, 1)\nstate x = a\nstep { x += 0 }\nobserve y ~ Poisson(exp(x))\n'
                   'observe z ~ StudentT(3, x, 1)\ndata "d.csv"\n')
    (dataset,) = load_datasets(model_ir, tmp_path, library=BUILTIN_LIBRARY)
    assert dataset.n_observed == 4 and dataset.warnings == ()


# ------------------------------------------------------------ data files that observe nothing
def test_a_file_whose_observed_values_are_all_missing_warns(tmp_path):
    (tmp_path / "d.csv").write_text("time,y\n1,\n2,NA\n")
    model_ir = _ir('param a ~ Normal(0, 1)\nstate x = a\nstep { x += 0 }\nobserve y ~ Normal(x, 1)\ndata "d.csv"\n')
    (dataset,) = load_datasets(model_ir, tmp_path, library=BUILTIN_LIBRARY)
    (warning,) = dataset.warnings
    assert isinstance(warning, ModelWarning)
    assert warning.message == "every observed value in this file is missing (`y`)"
    assert warning.location.endswith("d.csv:1:6") and "the posterior is the prior" in warning.hint


def test_check_prints_the_data_warning_and_run_names_the_prior_that_cannot_be_drawn(tmp_path, capsys):
    """The command line: one compiled model, whose data observe nothing and whose prior's arguments come from a `fn`."""
    (tmp_path / "d.csv").write_text("time,y\n1,\n2,\n")
    model = tmp_path / "m.model"
    model.write_text('fn lo() = 2\nparam a ~ Uniform(lo(), 1)\nstate x = a\nstep { x += 0 }\n'
                     'observe y ~ Normal(x, 1)\ndata "d.csv"\n')
    assert main(["check", str(model)]) == 0
    assert "warning: every observed value in this file is missing (`y`)" in capsys.readouterr().err
    assert main(["check", "--strict", str(model)]) == 2
    assert main(["run", str(model), "--samples", "10", "--warmup", "10", "--quiet", "--out", str(tmp_path / "r.nc")]) == 2
    err = capsys.readouterr().err
    assert "error: the prior of `a` cannot be drawn: `Uniform` needs lower < upper, but lower = 2 and upper = 1" in err
    assert f"--> {model}:2:7" in err and "Traceback" not in err
