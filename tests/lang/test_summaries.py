"""``summary NAME = STAT(column, ...)``: parsing, the checks (message, hint, location), the IR, and the statistics
of ponder.runtime.summaries against direct computations (Python's ``statistics``, explicit sums, NumPy)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from rich.console import Console

import ponder
from ponder.lang import ir
from ponder.lang import syntax as ast
from ponder.lang.check import check
from ponder.lang.errors import ModelError
from ponder.lang.parser import parse
from ponder.runtime.summaries import (
    autocorrelation, like_data, observed_summaries, quantile, summarise, summary_names,
)
from ponder.stdlib import BUILTIN_LIBRARY
from ponder.summary import model_summary

HEAD = """param a ~ Normal(0, 1)
const Q = 0.9
state x = a
step { e ~ Normal(0, 1); x += e }
observe y ~ Normal(x, 1)
for i in 0..2 { observe z[i] ~ Normal(x, 1) }
"""
COLUMNS = "the observed columns are `y`, `z_0` or `z_1`"
STATISTICS = "`acf`, `max`, `mean`, `min`, `quantile`, `sd` or `sum`"


def checked(tail: str) -> ir.ModelIR:
    return check(parse(HEAD + tail, "m.model"), BUILTIN_LIBRARY)


# ------------------------------------------------------------ parsing and the IR
def test_a_summary_parses_to_its_declaration_and_summary_stays_a_name_elsewhere():
    (decl,) = parse("summary y_q = quantile(y, 0.5)").declarations
    assert isinstance(decl, ast.SummaryDecl) and decl.name == "y_q"
    assert isinstance(decl.value, ast.Call) and decl.value.name == "quantile" and len(decl.value.args) == 2
    assert (decl.name_span.line, decl.name_span.column) == (1, 9)
    (const,) = parse("const summary = 2").declarations  # a keyword only where a declaration starts
    assert isinstance(const, ast.ConstDecl) and const.name == "summary"


def test_the_ir_holds_each_summary_with_its_column_index_and_folded_arguments():
    model = checked("const L = 3\n"
                    "summary m = mean(y)\n"
                    "summary s = log1p(sd(z[1]))\n"
                    "summary q = quantile(z_0, Q / 3)\n"
                    "summary r = acf(y, L)\n"
                    "summary top = max(z[0])\n")
    assert model.observed_columns == ["y", "z_0", "z_1"]
    assert model.summaries == (
        ir.Summary("m", "mean", "y", 0, (), False),
        ir.Summary("s", "sd", "z_1", 2, (), True),
        ir.Summary("q", "quantile", "z_0", 1, (pytest.approx(0.3),), False),
        ir.Summary("r", "acf", "y", 0, (3.0,), False),
        ir.Summary("top", "max", "z_0", 1, (), False),
    )
    assert [s.text for s in model.summaries] == ["mean(y)", "log1p(sd(z_1))", "quantile(z_0, 0.3)", "acf(y, 3)",
                                                 "max(z_0)"]
    assert model.spans["summary:r"].line == 11


def test_an_element_of_a_multivariate_observation_is_its_column():
    model = check(parse("param a ~ Normal(0, 1)\nconst S = [[1, 0], [0, 1]]\nstate x[2] = a\nstep { x += 0 }\n"
                        "observe w ~ MvNormal(x, S)\nsummary s = sd(w[1])\n"), BUILTIN_LIBRARY)
    assert model.observed_columns == ["w_0", "w_1"]
    assert model.summaries == (ir.Summary("s", "sd", "w_1", 1, (), False),)


def test_summaries_are_part_of_the_ir_but_not_of_the_kernel_key():
    without, with_one = checked(""), checked("summary m = mean(y)\n")
    assert without.summaries == () and with_one != without
    # the kernels read no summary: adding one reuses the compiled kernels
    assert with_one.kernel_key("salt") == without.kernel_key("salt")


def test_ponder_check_lists_the_summaries():
    model = ponder.loads(HEAD + "summary y_top = log1p(quantile(y, 0.9))\nsummary z_acf = acf(z[1], 2)\n")
    console = Console(record=True, width=120)
    console.print(model_summary(model))
    text = console.export_text()
    assert "summaries" in text
    rows = [line.split() for line in text.splitlines()]
    assert ["y_top", "│", "log1p(quantile(y,", "0.9))"] in rows
    assert ["z_acf", "│", "acf(z_1,", "2)"] in rows
    assert "summaries" not in _summary_text(ponder.loads(HEAD))


def _summary_text(model) -> str:
    console = Console(record=True, width=120)
    console.print(model_summary(model))
    return console.export_text()


# ------------------------------------------------------------ the checks
ERRORS = [
    # (tail, where the caret starts, message, hint)
    ("summary m = kurtosis(y)", "kurtosis", "unknown statistic `kurtosis`", f"the statistics are {STATISTICS}"),
    ("summary m = maen(y)", "maen", "unknown statistic `maen`",
     f"did you mean `mean`? the statistics are {STATISTICS}"),
    ("summary m = mean(x)", "x)", "`x` is not an observed column", COLUMNS),
    ("summary m = mean(yy)", "yy", "`yy` is not an observed column", f"did you mean `y`? {COLUMNS}"),
    ("summary m = mean(z)", "z)", "`z` is not an observed column",
     "`z` is observed element by element: write `z[0]` for column `z_0`, and so on"),
    ("summary m = mean(z[2])", "z[2]", "`z[2]` is not an observed column", COLUMNS),
    ("summary m = mean(z[i])", "z[i]", "a summary picks an element of `z` by one whole number written as such",
     "write `z[0]` for data column `z_0`, `z[1]` for `z_1`, ..."),
    ("summary m = mean(z[0.5])", "z[0.5]", "a summary picks an element of `z` by one whole number written as such",
     "write `z[0]` for data column `z_0`, `z[1]` for `z_1`, ..."),
    ("summary m = mean(2 * y)", "2 * y", "the first argument of `mean` must be an observed column",
     f"a summary is computed from the data as observed; {COLUMNS}"),
    ("summary m = mean(y, 2)", "mean(", "`mean` in a summary takes 1 argument, not 2", "`mean(column)`"),
    ("summary m = quantile(y)", "quantile", "`quantile` in a summary takes 2 arguments, not 1",
     "`quantile(column, q)`"),
    ("summary m = acf(y, 1, 2)", "acf", "`acf` in a summary takes 2 arguments, not 3", "`acf(column, lag)`"),
    ("summary m = log1p(mean(y), 1)", "log1p", "`log1p` in a summary takes 1 argument, not 2",
     "`log1p(STAT(column, ...))`"),
    ("summary m = mean(y) + 1", "mean(y) + 1", "a summary is one statistic of an observed column",
     f"write `summary NAME = STAT(column, ...)` with STAT {STATISTICS}, or `log1p(STAT(column, ...))`"),
    ("summary m = y", "y", "a summary is one statistic of an observed column",
     f"write `summary NAME = STAT(column, ...)` with STAT {STATISTICS}, or `log1p(STAT(column, ...))`"),
    ("summary m = log1p(y)", "y)", "a summary is one statistic of an observed column",
     f"write `summary NAME = STAT(column, ...)` with STAT {STATISTICS}, or `log1p(STAT(column, ...))`"),
    ("summary m = log1p(log1p(mean(y)))", "log1p(mean(y))", "a summary is one statistic of an observed column",
     f"write `summary NAME = STAT(column, ...)` with STAT {STATISTICS}, or `log1p(STAT(column, ...))`"),
    ("summary m = quantile(y, 1.5)", "1.5", "the level of `quantile` must be in [0, 1], not 1.5",
     "a fraction, not a percentage: `quantile(y, 0.5)` is the median"),
    ("summary m = quantile(y, -0.1)", "-0.1", "the level of `quantile` must be in [0, 1], not -0.1",
     "a fraction, not a percentage: `quantile(y, 0.5)` is the median"),
    ("summary m = quantile(y, Q + 1)", "Q + 1", "the level of `quantile` must be in [0, 1], not 1.9",
     "a fraction, not a percentage: `quantile(y, 0.5)` is the median"),
    ("summary m = quantile(y, a)", "a)", "the parameter `a` cannot be used in the level of `quantile`",
     "constants are fixed numbers; parameters are only known at run time"),
    ("summary m = acf(y, 0)", "0)", "the lag of `acf` must be a whole number of at least 1, not 0",
     "`acf(y, 1)` correlates each observed value with the next one, `acf(y, 2)` with the one after that"),
    ("summary m = acf(y, 1.5)", "1.5", "the lag of `acf` must be a whole number of at least 1, not 1.5",
     "`acf(y, 1)` correlates each observed value with the next one, `acf(y, 2)` with the one after that"),
    ("summary m = acf(y, Q)", "Q)", "the lag of `acf` must be a whole number of at least 1, not 0.9",
     "`acf(y, 1)` correlates each observed value with the next one, `acf(y, 2)` with the one after that"),
    ("summary m = mean(y)\nsummary m = sd(y)", "m =", "`m` is declared twice", "it is already a summary on line 7"),
    ("summary a = mean(y)", "a =", "`a` is declared twice", "it is already a param on line 1"),
    ("summary Q = mean(y)", "Q =", "`Q` is declared twice", "it is already a const on line 2"),
    ("summary x = mean(y)", "x =", "`x` is declared twice", "it is already a state on line 3"),
    ("fn f(u) = 2 * u\nsummary f = mean(y)", "f =", "`f` is declared twice", "it is already a function on line 7"),
    ("summary t = mean(y)", "t =", "`t` is reserved", "`t` is the time, `dt` the step length; choose another name"),
]


@pytest.mark.parametrize("tail, culprit, message, hint", ERRORS, ids=[e[0].splitlines()[-1] for e in ERRORS])
def test_each_mistake_has_its_message_hint_and_location(tail, culprit, message, hint):
    with pytest.raises(ModelError) as info:
        checked(tail)
    err = info.value
    assert (err.message, err.hint) == (message, hint)
    last = HEAD.count("\n") + tail.count("\n") + 1
    assert (err.span.line, err.span.column) == (last, tail.splitlines()[-1].index(culprit, len("summary ")) + 1)


def test_a_summary_error_renders_with_file_line_and_caret():
    with pytest.raises(ModelError) as info:
        ponder.loads(HEAD + "summary m = mean(w)\n", name="m.model")
    text = info.value.render()
    assert "--> m.model:7:18" in text and "summary m = mean(w)" in text and "^" in text
    assert text.splitlines()[0] == "error: `w` is not an observed column"


# ------------------------------------------------------------ the statistics
MODEL = HEAD + """const L = 2
summary y_mean = mean(y)
summary y_sd = sd(y)
summary z0_min = min(z[0])
summary z1_max = max(z[1])
summary y_sum = sum(y)
summary y_q25 = quantile(y, 0.25)
summary z1_q90 = quantile(z[1], Q)
summary y_acf1 = acf(y, 1)
summary z0_acf2 = acf(z[0], L)
summary y_lmax = log1p(max(y))
summary z1_lsd = log1p(sd(z[1]))
data "a.csv"
data "b.csv"
"""
A = {"y": [1.5, 2.0, None, 4.0, 3.25, 0.5], "z_0": [0.1, 0.4, 0.2, 0.9, 0.3, 0.7], "z_1": [5, 3, 4, 4, 8, 1]}
B = {"y": [2.0, 1.0, 3.0, 7.0], "z_0": [1.0, None, 2.0, 0.5], "z_1": [0.5, 0.25, 2.0, 1.0]}


def _csv(columns: dict) -> str:
    n = len(next(iter(columns.values())))
    rows = ["time," + ",".join(columns)]
    for t in range(n):
        rows.append(",".join([str(t + 1)] + ["" if c[t] is None else str(c[t]) for c in columns.values()]))
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("summaries")
    (folder / "a.csv").write_text(_csv(A))
    (folder / "b.csv").write_text(_csv(B))
    return ponder.loads(MODEL, base_dir=folder)


def _acf(values: list[float], lag: int) -> float:
    """statsmodels' acf at one lag, written out: sum_t (x_t - m)(x_{t+lag} - m) / sum_t (x_t - m)^2."""
    m = math.fsum(values) / len(values)
    num = math.fsum((values[t] - m) * (values[t + lag] - m) for t in range(len(values) - lag))
    return num / math.fsum((v - m) ** 2 for v in values)


#: each summary of MODEL, computed directly from a series' observed values (missing ones dropped)
REFERENCE = {
    "y_mean": ("y", statistics.fmean),
    "y_sd": ("y", statistics.stdev),
    "z0_min": ("z_0", min),
    "z1_max": ("z_1", max),
    "y_sum": ("y", math.fsum),
    "y_q25": ("y", lambda v: statistics.quantiles(v, n=4, method="inclusive")[0]),
    "z1_q90": ("z_1", lambda v: statistics.quantiles(v, n=10, method="inclusive")[8]),
    "y_acf1": ("y", lambda v: _acf(v, 1)),
    "z0_acf2": ("z_0", lambda v: _acf(v, 2)),
    "y_lmax": ("y", lambda v: math.log1p(max(v))),
    "z1_lsd": ("z_1", lambda v: math.log1p(statistics.stdev(v))),
}


def _reference(columns: list[str], y: np.ndarray) -> np.ndarray:
    """(M, R, S) from loops over datasets, replicates and summaries."""
    out = np.empty(y.shape[:2] + (len(REFERENCE),))
    for m in range(y.shape[0]):
        for r in range(y.shape[1]):
            for s, (column, fn) in enumerate(REFERENCE.values()):
                series = y[m, r, :, columns.index(column)]
                out[m, r, s] = fn([float(v) for v in series if not math.isnan(v)])
    return out


def test_summary_names_follow_the_declarations(model):
    assert summary_names(model) == list(REFERENCE)
    assert [s.column_index for s in model.ir.summaries] == [0, 0, 1, 2, 0, 0, 2, 0, 1, 0, 2]


def test_observed_summaries_are_the_statistics_of_each_replicate(model):
    got = observed_summaries(model)
    assert got.shape == (2, len(REFERENCE))
    for r, data in enumerate((A, B)):
        for s, (column, fn) in enumerate(REFERENCE.values()):
            values = [float(v) for v in data[column] if v is not None]
            assert got[r, s] == pytest.approx(fn(values), rel=1e-12, abs=1e-14), (r, list(REFERENCE)[s])
    # one number written out: replicate a's y (1.5, 2, 4, 3.25, 0.5; the third is missing) at lag 1
    d = np.array([1.5, 2.0, 4.0, 3.25, 0.5]) - 2.25
    assert got[0, list(REFERENCE).index("y_acf1")] == pytest.approx(np.sum(d[:-1] * d[1:]) / np.sum(d * d))


def test_summarise_matches_direct_computation_with_holes_and_padding(model):
    rng = np.random.default_rng(7)
    y = rng.uniform(0.0, 5.0, size=(6, 2, 6, 3))
    y[:, 1, 4:] = np.nan  # replicate b has 4 times: padding after them
    y[0, 0, 2, 0] = np.nan
    y[1, 0, [0, 3], 1] = np.nan
    y[2, 1, 1, :] = np.nan
    y[3, 0, 5, 2] = np.nan
    got = summarise(model, y)
    assert got.shape == (6, 2, len(REFERENCE))
    np.testing.assert_allclose(got, _reference(model.ir.observed_columns, y), rtol=1e-12, atol=1e-14)


def test_a_series_too_short_for_a_statistic_gives_nan(model):
    y = np.full((3, 2, 6, 3), np.nan)
    y[1, :, 0, :] = 2.0  # one value per series
    y[2, :, :3, :] = 2.5  # three equal values
    got = summarise(model, y)
    assert np.isnan(got[0]).all()  # nothing observed: every statistic NaN, the sum too
    names = list(REFERENCE)
    one = dict(zip(names, got[1, 0]))
    assert one["y_mean"] == 2.0 and one["z0_min"] == 2.0 and one["y_sum"] == 2.0 and one["y_q25"] == 2.0
    assert one["y_lmax"] == pytest.approx(math.log1p(2.0))
    assert all(math.isnan(one[k]) for k in ("y_sd", "z1_lsd", "y_acf1", "z0_acf2"))
    flat = dict(zip(names, got[2, 1]))
    assert flat["y_sd"] == 0 and flat["y_sum"] == 7.5
    assert math.isnan(flat["y_acf1"]) and math.isnan(flat["z0_acf2"])  # no variation to correlate


def test_a_one_replicate_model_takes_m_t_c(tmp_path):
    (tmp_path / "a.csv").write_text(_csv(A))
    one = ponder.loads(HEAD + "summary s = sum(z[1])\ndata \"a.csv\"\n", base_dir=tmp_path)
    y = np.arange(2 * 6 * 3, dtype=float).reshape(2, 6, 3)
    got = summarise(one, y)
    assert got.shape == (2, 1, 1)
    np.testing.assert_array_equal(got[:, 0, 0], y[:, :, 2].sum(axis=1))
    np.testing.assert_array_equal(summarise(one, y[:, np.newaxis]), got)


def test_like_data_hides_what_the_data_miss(model):
    y = np.ones((2, 2, 6, 3))
    masked = like_data(model, y)
    assert np.isnan(masked[:, 0, 2, 0]).all() and np.isnan(masked[:, 1, 1, 1]).all()
    assert np.isnan(masked[:, 1, 4:]).all()  # after b's last time
    assert np.isnan(masked).sum() == 2 * (1 + 1 + 2 * 3) and (y == 1).all()  # and a copy
    sums = summarise(model, masked)[..., list(REFERENCE).index("y_sum")]
    np.testing.assert_array_equal(sums, [[5, 4], [5, 4]])  # a: 6 times, one missing; b: 4 times


def test_summarise_refuses_a_model_without_summaries_and_a_wrong_shape(model):
    bare = ponder.loads(HEAD)
    with pytest.raises(ModelError, match="declares no `summary`"):
        summarise(bare, np.zeros((1, 1, 3, 3)))
    with pytest.raises(ModelError, match="declares no `summary`"):
        observed_summaries(bare)
    with pytest.raises(ModelError) as info:
        summarise(model, np.zeros((4, 2, 6, 2)))
    assert info.value.message == "summaries need observations of shape (M, 2, T, 3), not (4, 2, 6, 2)"
    with pytest.raises(ModelError, match=r"\(M, 2, T, 3\)"):
        summarise(model, np.zeros((4, 6, 3)))  # two replicates: the replicate axis is needed


def test_the_vectorised_quantile_and_acf_agree_with_numpy_and_the_formula():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 9))
    x[rng.uniform(size=x.shape) < 0.3] = np.nan
    x[0] = np.nan
    x[1, 1:] = np.nan
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        for q in (0.0, 0.1, 1 / 3, 0.5, 0.75, 0.99, 1.0):
            np.testing.assert_allclose(quantile(x, q), np.nanquantile(x, q, axis=-1), rtol=1e-13, atol=1e-15,
                                       equal_nan=True)
    assert (quantile(x, 1.0)[2:] == np.nanmax(x[2:], axis=-1)).all()
    for lag in (1, 2, 5, 9, 40):
        got = autocorrelation(x, lag)
        for row, value in zip(x, got):
            values = [float(v) for v in row if not math.isnan(v)]
            if len(values) <= lag:
                assert math.isnan(value)
            else:
                assert value == pytest.approx(_acf(values, lag), rel=1e-12, abs=1e-14)
