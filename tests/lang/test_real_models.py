"""The constructs for real models, against answers computed here with NumPy and SciPy.

Inputs (``input NAME [(interpolate = ...)] [from "f.csv"]``, per-replicate
input files), vector and matrix constants with elementwise arithmetic and
reductions, ``fn``, ``derived`` (and the ``derived_rows`` kernel),
``for i in 0..K { observe y[i] ~ ... }``, the predefined ``pi``, ``e`` and
``inf``, ``if`` inside ``ode``; and the errors found when the data files of
inputs are read (the ones the checking pass finds are ``tests/lang/bad``).

Every expected value is computed from the formula, never from ponder's own
output. Compiled models are shared through :func:`_load` (one Numba compile
per distinct model text).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import solve_ivp

import ponder
import ponder.cli
from ponder.lang import ir
from ponder.lang.errors import ModelError

BAD = Path(__file__).parent / "bad"

# ------------------------------------------------------------ the files the models read
# an irregular grid whose breakpoints are off the step grids used below (t0 + k dt), so the
# constant rule has no ties
RAIN_T = np.array([0.0, 0.3, 1.05, 2.0, 3.7, 5.0, 10.0])
RAIN_V = np.array([1.0, 2.5, 0.5, 3.0, 1.5, 2.0, 0.5])
RAIN2_T = np.array([0.0, 0.7, 1.9, 2.6, 4.0, 5.5])
RAIN2_V = np.array([0.2, 4.0, 1.0, 0.0, 2.5, 1.0])

# two datasets with an input column `temp`; the row at t0 has no observation (inputs must cover t0)
D1 = np.array([  # time, temp, y
    [0, 0.1, np.nan],
    [1, 0.5, 1.9],
    [2, 1.5, 3.2],
    [3, -0.3, 5.0],
    [4, 2.2, 9.1],
])
D2 = np.array([
    [0, -1.0, np.nan],
    [1, 0.0, 0.4],
    [2, 2.5, 2.0],
    [3, 1.0, np.nan],
    [4, -0.5, 4.4],
])
# for `for i in 0..3 { observe y[i] ~ ... }`: columns y_0, y_1, y_2, one value missing
Y3 = np.array([
    [1, 0.3, 1.1, 2.5],
    [2, 0.9, np.nan, 3.4],
    [3, 1.7, 2.2, 5.0],
])
VD = np.array([[1, -3.1], [2, -8.0], [3, -12.5]])  # time, y for the vector model


def _csv(path: Path, header: list[str], rows) -> Path:
    lines = [",".join(header)]
    for row in np.atleast_2d(rows):
        lines.append(",".join("" if np.isnan(v) else repr(float(v)) for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("real_models")
    _csv(d / "rain.csv", ["time", "rain"], np.column_stack([RAIN_T, RAIN_V]))
    _csv(d / "rain2.csv", ["time", "rain"], np.column_stack([RAIN2_T, RAIN2_V]))
    _csv(d / "d1.csv", ["time", "temp", "y"], D1)
    _csv(d / "d2.csv", ["time", "temp", "y"], D2)
    _csv(d / "y.csv", ["time", "y_0", "y_1", "y_2"], Y3)
    _csv(d / "vd.csv", ["time", "y"], VD)
    return d


_MODELS: dict = {}


def _load(text: str, base_dir: Path, **kw):
    """``ponder.loads``, once per (text, folder, options) in this module."""
    key = (text, str(base_dir), repr(sorted(kw.items())))
    if key not in _MODELS:
        _MODELS[key] = ponder.loads(text, base_dir=base_dir, name="m.model", **kw)
    return _MODELS[key]


def _series(mode: str, times: np.ndarray, values: np.ndarray):
    """The input's value at t: linear interpolation, or the last value at or before t."""
    if mode == "linear":
        return lambda t: np.interp(t, times, values)
    return lambda t: values[np.searchsorted(times, t, side="right") - 1]


def _step_sum(f, t0: float, dt: float, t_out) -> np.ndarray:
    """``x += dt * f(t)`` from x = 0, with f read at the start of each sub-step, at the times ``t_out``."""
    out = []
    for t in np.atleast_1d(t_out):
        n = round((t - t0) / dt)
        starts = t0 + dt * np.arange(n)
        out.append(np.sum(dt * f(starts)))
    return np.array(out)


def _normal_loglik(y, mu, sigma) -> float:
    y, mu = np.broadcast_arrays(np.asarray(y, float), np.asarray(mu, float))
    ok = ~np.isnan(y)
    return float(stats.norm.logpdf(y[ok], mu[ok], sigma).sum())


# ------------------------------------------------------------ inputs in a step block
# (with pi, e and inf: one model, one compile per interpolation)
STEP_INPUT = """
input rain (interpolate = {mode}) from "rain.csv"
const c = pi * e
const big = inf
param s ~ Uniform(0, 10)
param u ~ TruncatedNormal(0, 1, 0, inf)
t0 = 0.1
state last = 0
state x = 0
state pe = c
state f = 0
step(dt = 0.25) {{
    last = rain
    x += dt * rain
    pe += dt
    if pe < inf {{ f = s }} else {{ f = -1 }}
}}
"""
SU = {"s": 2.0, "u": 0.7}
STEP_TIMES = [0.35, 1.1, 2.6, 4.1, 4.85]


@pytest.mark.parametrize("mode", ["linear", "constant"])
def test_step_input_is_read_at_the_start_of_each_sub_step(work, mode):
    model = _load(STEP_INPUT.format(mode=mode), work)
    ds = model.simulate(SU, times=STEP_TIMES)
    f = _series(mode, RAIN_T, RAIN_V)
    np.testing.assert_allclose(ds["x"].values, _step_sum(f, 0.1, 0.25, STEP_TIMES), rtol=0, atol=1e-12)
    # `last` holds the input at the start of the last sub-step
    np.testing.assert_allclose(ds["last"].values, f(np.array(STEP_TIMES) - 0.25), rtol=0, atol=1e-12)


def test_an_initial_state_reads_the_input_at_t0(work):
    text = STEP_INPUT.format(mode="linear").replace("state last = 0", "state last = 0\nstate r0 = rain")
    ds = _load(text, work).simulate(SU, times=STEP_TIMES)
    np.testing.assert_allclose(ds["r0"].values, np.interp(0.1, RAIN_T, RAIN_V), rtol=0, atol=1e-14)


def test_linear_and_constant_interpolation_differ(work):
    lin = _load(STEP_INPUT.format(mode="linear"), work).simulate(SU, times=STEP_TIMES)
    const = _load(STEP_INPUT.format(mode="constant"), work).simulate(SU, times=STEP_TIMES)
    assert np.all(np.abs(lin["x"].values - const["x"].values)[1:] > 1e-3)


# ------------------------------------------------------------ inputs in an ode block
# (with `if` in the ode block: one model, one compile per interpolation)
ODE_INPUT = """
input rain (interpolate = {mode}) from "rain.csv"
const e = 2
param k ~ Uniform(0, 5)
state S = 1
state x = 3
state y = 0
ode(rtol = 1e-10, atol = 1e-12) {{
    d(S) = rain - k * S
    if t < 5 {{ d(x) = 1 }} else {{ d(x) = -1 }}
    if t < 4 {{ r = e }} else {{ r = 0 }}
    d(y) = r
}}
"""
ODE_TIMES = [0.5, 1.0, 2.5, 4.0, 5.0, 7.5, 10.0]


def _ode_reference(mode: str, k: float, times) -> np.ndarray:
    """dS/dt = rain(t) - k S, S(0) = 1, integrated piece by piece between the input's times
    (the right-hand side is smooth on each piece: no kink for the solver to step over)."""
    times = np.asarray(times, float)
    out = np.full(len(times), np.nan)
    s = 1.0
    for j in range(len(RAIN_T) - 1):
        a, b = RAIN_T[j], RAIN_T[j + 1]
        if mode == "linear":
            def rain(t, a=a, b=b, j=j):
                return RAIN_V[j] + (t - a) / (b - a) * (RAIN_V[j + 1] - RAIN_V[j])
        else:
            def rain(t, j=j):
                return RAIN_V[j]
        inside = (times > a) & (times < b)
        sol = solve_ivp(lambda t, y: rain(t) - k * y, (a, b), [s], method="DOP853", rtol=1e-12, atol=1e-14,
                        t_eval=np.concatenate([times[inside], [b]]))
        out[inside] = sol.y[0][:-1]
        s = sol.y[0][-1]
        out[times == b] = s
    return out


@pytest.mark.parametrize("mode", ["linear", "constant"])
def test_ode_input_matches_solve_ivp(work, mode):
    model = _load(ODE_INPUT.format(mode=mode), work)
    ds = model.simulate({"k": 0.7}, times=ODE_TIMES)
    np.testing.assert_allclose(ds["S"].values, _ode_reference(mode, 0.7, ODE_TIMES), rtol=0, atol=1e-6)


# ------------------------------------------------------------ an input from the data, and a replicate's own file
DATA_INPUT = """
input temp
input rain from "rain.csv"
param a ~ Normal(0, 2)
state x = 0
step(dt = 0.5) { x += dt * rain }
observe y ~ Normal(a * temp + x - rain, 1)
data "d1.csv"
replicate "d2.csv" { input rain from "rain2.csv" }
"""


def _dataset_loglik(table: np.ndarray, rain_t, rain_v, a: float) -> float:
    times, temp, y = table[:, 0], table[:, 1], table[:, 2]
    rain = _series("linear", rain_t, rain_v)
    x = _step_sum(rain, 0.0, 0.5, times)
    return _normal_loglik(y, a * temp + x - rain(times), 1.0)  # an observation reads the input at its time


def test_input_from_a_data_column_in_observe(work):
    model = _load(DATA_INPUT, work, data=[str(work / "d1.csv")])  # only the first dataset
    assert model.observed_names == ["y"]  # the input column is not observed
    for a in (0.7, -1.3):
        assert model.loglik({"a": a}) == pytest.approx(_dataset_loglik(D1, RAIN_T, RAIN_V, a), abs=1e-10)


def test_a_replicate_reads_its_own_input_file(work):
    model = _load(DATA_INPUT, work)
    assert len(model.datasets) == 2
    a = 0.7
    own = _dataset_loglik(D2, RAIN2_T, RAIN2_V, a)
    shared = _dataset_loglik(D2, RAIN_T, RAIN_V, a)
    assert abs(own - shared) > 1.0  # the file matters
    total = model.loglik({"a": a})
    assert total == pytest.approx(_dataset_loglik(D1, RAIN_T, RAIN_V, a) + own, abs=1e-10)
    # the same file read with the model's input file instead
    alone = _load(DATA_INPUT, work, data=[str(work / "d2.csv")])
    assert alone.loglik({"a": a}) == pytest.approx(shared, abs=1e-10)
    # and the replicate's simulated states follow its own rain
    times = D2[:, 0]
    ds = model.simulate({"a": a}, dataset=1, seed=0)
    np.testing.assert_allclose(ds["x"].values, _step_sum(_series("linear", RAIN2_T, RAIN2_V), 0, 0.5, times),
                               rtol=0, atol=1e-12)


# ------------------------------------------------------------ vectors, matrices, fn, derived
VECTORS = """
const w = [1.5, -2, 0.25]
const S = [[1, 0.5, 0.2], [0.5, 2, -1], [0.2, -1, 3]]
const K = length(w)
const tot = sum(w) * 2
const off = 0.5
fn hill(x, k, n) = x^n / (k^n + x^n)
fn f(a) { b = a * 2; c = b + off; return c + 1 }
fn g(u) = f(u) * tot
param a[K] ~ Normal(0, 1)
param beta ~ Uniform(0, 10)
param gamma ~ Uniform(0.1, 10)
derived R0 = beta / gamma
derived aw = a * w
derived r2 = R0 * 2 + sum(aw)
state x[K] = 0
state xd[K] = 0
state dw = 0
state q = 0
state h = 0
state z1 = 0
state z2 = 0
state ex = 0
step {
    x += a * w
    xd += aw
    dw = dot(w, x)
    q = sum(x) + prod(w) + mean(x) + S[1, 2] * x[0] + dot(S[1], x)
    h = hill(t + 1, beta, gamma) + f(x[0]) + g(t)
    z1 += r2
    z2 += beta / gamma * 2 + sum(a * w)
    ex = sum(exp(w) * x)
}
observe y ~ Normal(dot(w, x) + R0, 1)
data "vd.csv"
"""
W = np.array([1.5, -2, 0.25])
SM = np.array([[1, 0.5, 0.2], [0.5, 2, -1], [0.2, -1, 3]])
VPARAMS = {"a": np.array([0.3, -1.2, 2.0]), "beta": 2.0, "gamma": 1.5}


@pytest.fixture(scope="module")
def vectors(work):
    return _load(VECTORS, work)


def test_constants_sizes_and_folding(vectors):
    consts = {c.name: c for c in vectors.ir.consts}
    values = vectors.consts()
    k = consts["K"]
    assert isinstance(k.value, ir.Num) and k.value.value == 3  # length(w) is folded
    assert values[consts["tot"].offset] == pytest.approx(2 * W.sum(), abs=1e-15)
    assert list(values[consts["w"].offset:consts["w"].offset + 3]) == list(W)
    np.testing.assert_array_equal(values[consts["S"].offset:consts["S"].offset + 9], SM.ravel())
    assert vectors.param_slot_names[:3] == ["a[0]", "a[1]", "a[2]"]  # a size from a const


def test_vector_arithmetic_reductions_and_fns(vectors):
    times = np.array([1.0, 2.0, 3.0])
    ds = vectors.simulate(VPARAMS, times=times)
    a, beta, gamma = VPARAMS["a"], VPARAMS["beta"], VPARAMS["gamma"]
    x = times[:, None] * (a * W)  # x += a * w once per unit step
    np.testing.assert_allclose(ds["x"].values, x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds["dw"].values, x @ W, rtol=0, atol=1e-12)
    q = x.sum(1) + np.prod(W) + x.mean(1) + SM[1, 2] * x[:, 0] + x @ SM[1]
    np.testing.assert_allclose(ds["q"].values, q, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds["ex"].values, x @ np.exp(W), rtol=0, atol=1e-12)
    # the step body reads t at the start of the step: t = T - 1 at the output time T
    t = times - 1

    def hill(x, k, n):
        return x**n / (k**n + x**n)

    def f(arg):  # its argument `a` hides the parameter `a`
        return 2 * arg + 0.5 + 1

    h = hill(t + 1, beta, gamma) + f(x[:, 0]) + f(t) * 2 * W.sum()
    np.testing.assert_allclose(ds["h"].values, h, rtol=1e-13, atol=1e-13)


def test_derived_in_a_step_is_the_formula_inline(vectors):
    times = np.array([1.0, 2.0, 5.0])
    ds = vectors.simulate(VPARAMS, times=times)
    np.testing.assert_allclose(ds["xd"].values, ds["x"].values, rtol=0, atol=1e-13)
    np.testing.assert_allclose(ds["z1"].values, ds["z2"].values, rtol=0, atol=1e-13)
    r2 = VPARAMS["beta"] / VPARAMS["gamma"] * 2 + np.sum(VPARAMS["a"] * W)
    np.testing.assert_allclose(ds["z1"].values, times * r2, rtol=1e-14, atol=1e-13)


def test_derived_in_an_observation(vectors):
    a, beta, gamma = VPARAMS["a"], VPARAMS["beta"], VPARAMS["gamma"]
    times, y = VD[:, 0], VD[:, 1]
    mu = times * np.dot(W, a * W) + beta / gamma
    assert vectors.loglik(VPARAMS) == pytest.approx(_normal_loglik(y, mu, 1.0), abs=1e-10)


def test_derived_rows_on_random_draws(vectors):
    assert vectors.ir.n_derived == 5
    assert vectors.ir.derived_slot_names == ["R0", "aw[0]", "aw[1]", "aw[2]", "r2"]
    assert [d.name for d in vectors.ir.derived] == ["R0", "aw", "r2"]
    rng = np.random.default_rng(7)
    thetas = np.column_stack([rng.normal(size=(20, 3)), rng.uniform(0, 10, 20), rng.uniform(0.1, 10, 20)])
    out = np.full((20, vectors.ir.n_derived), np.nan)
    vectors.kernels.derived_rows(thetas, vectors.consts(), out)
    r0 = thetas[:, 3] / thetas[:, 4]
    aw = thetas[:, :3] * W
    np.testing.assert_allclose(out[:, 0], r0, rtol=1e-15)
    np.testing.assert_allclose(out[:, 1:4], aw, rtol=1e-15)
    np.testing.assert_allclose(out[:, 4], 2 * r0 + aw.sum(1), rtol=1e-14, atol=1e-14)


# ------------------------------------------------------------ observations over arrays
ARRAY_OBS = """
const w = [0.5, 1, 1.5]
param s ~ Uniform(0, 10)
state x[3] = 0
step { x += w }
for i in 0..3 { observe y[i] ~ Normal(x[i], s) }
data "y.csv"
"""


@pytest.fixture(scope="module")
def array_obs(work):
    return _load(ARRAY_OBS, work)


def test_observe_in_a_top_level_for_reads_indexed_columns(array_obs):
    assert array_obs.observed_names == ["y_0", "y_1", "y_2"]
    values = array_obs.datasets[0].values
    assert np.isnan(values[1, 1]) and np.isfinite(values).sum() == 8
    mu = np.outer(Y3[:, 0], [0.5, 1, 1.5])
    for s in (0.8, 2.0):
        assert array_obs.loglik({"s": s}) == pytest.approx(_normal_loglik(Y3[:, 1:], mu, s), abs=1e-10)


def test_simulate_names_array_observations_like_their_columns(array_obs):
    ds = array_obs.simulate({"s": 0.8}, seed=3)
    assert [v for v in ds.data_vars] == ["y_0", "y_1", "y_2", "x"]
    assert ds["y_1"].dims == ("time",)


def test_cli_simulate_writes_columns_that_read_back_as_data(array_obs, work, capsys):
    (work / "arr.model").write_text(ARRAY_OBS)
    out = work / "sim_arr.csv"
    code = ponder.cli.main(["simulate", str(work / "arr.model"), "-p", "s=0.8", "--seed", "3", "--out", str(out)])
    assert code == 0
    assert out.read_text().splitlines()[0] == "time,y_0,y_1,y_2"
    back = _load(ARRAY_OBS, work, data=[str(out)])
    expected = array_obs.simulate({"s": 0.8}, seed=3)
    np.testing.assert_array_equal(back.datasets[0].times, Y3[:, 0])
    for j, name in enumerate(["y_0", "y_1", "y_2"]):
        np.testing.assert_allclose(back.datasets[0].values[:, j], expected[name].values, rtol=1e-15)


SAME_NAME = """
state y[3] = 0
step { y += 1 }
for i in 0..3 { observe y[i] ~ Normal(y[i], 1) }
"""


def test_cli_simulate_states_of_a_vector_named_like_the_observations(work, capsys):
    (work / "same.model").write_text(SAME_NAME)
    out = work / "sim_same.csv"
    code = ponder.cli.main(["simulate", str(work / "same.model"), "--times", "1,2", "--states", "--seed", "1",
                            "--out", str(out)])
    assert code == 0
    header = out.read_text().splitlines()[0].split(",")
    assert len(header) == len(set(header)), header
    back = _load(SAME_NAME, work, data=[str(out)])
    assert back.datasets[0].values.shape == (2, 3)


# ------------------------------------------------------------ pi, e, inf
def test_pi_e_and_inf(work):
    model = _load(STEP_INPUT.format(mode="linear"), work)
    consts = {c.name: c for c in model.ir.consts}
    values = model.consts()
    assert values[consts["c"].offset] == pytest.approx(np.pi * np.e, rel=1e-15)
    assert values[consts["big"].offset] == np.inf
    lp = stats.uniform(0, 10).logpdf(2.0) + stats.truncnorm(0, np.inf).logpdf(0.7)
    assert model.log_prior(SU) == pytest.approx(lp, abs=1e-12)
    assert model.log_prior({"s": 2.0, "u": -0.1}) == -np.inf
    ds = model.simulate(SU, times=STEP_TIMES)
    np.testing.assert_allclose(ds["pe"].values, np.pi * np.e + np.array(STEP_TIMES) - 0.1, rtol=1e-14)
    np.testing.assert_array_equal(ds["f"].values, 2.0)


# ------------------------------------------------------------ if in an ode block
def test_if_in_an_ode_block(work):
    model = _load(ODE_INPUT.format(mode="linear"), work)
    ds = model.simulate({"k": 0.7}, times=[2.5, 5, 7.5, 10])
    # x: up 1 per unit of time until t = 5, then down; y: the declared `e` (2), not Euler's number, until t = 4
    np.testing.assert_allclose(ds["x"].values, [5.5, 8, 5.5, 3], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ds["y"].values, [5, 8, 8, 8], rtol=0, atol=1e-6)


# ------------------------------------------------------------ errors in the files of inputs (found at load)
def _input_error(folder: Path, rain: str | None) -> str:
    """The error loading DATA_INPUT (the same kernels) from ``folder``, whose ``rain.csv`` is ``rain``
    (None: no such file); its datasets and the replicate's input file are the good ones."""
    folder.mkdir()
    _csv(folder / "d1.csv", ["time", "temp", "y"], D1)  # times 0..4
    _csv(folder / "d2.csv", ["time", "temp", "y"], D2)
    _csv(folder / "rain2.csv", ["time", "rain"], np.column_stack([RAIN2_T, RAIN2_V]))
    if rain is not None:
        (folder / "rain.csv").write_text(rain)
    with pytest.raises(ModelError) as info:
        ponder.loads(DATA_INPUT, base_dir=folder, name="m.model")
    return info.value.render()


def test_input_file_with_a_missing_value(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = _input_error(tmp_path / "a", "time,rain\n0,1\n1,2\n2,\n4,4\n")
    assert text.startswith("error: the input `rain` has a missing value here")
    assert re.search(r"--> a/rain\.csv:4:3\n", text), text
    assert "2,\n" in text and "fill in every value" in text


def test_input_file_that_does_not_cover_the_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = _input_error(tmp_path / "a", "time,rain\n0.5,1\n1,2\n3,3\n")
    assert "the input `rain` in a/rain.csv runs from t = 0.5 to 3, but the model needs it from t = 0 to 4" in text
    assert "--> m.model:3:7" in text  # the model's input line


def test_input_file_without_the_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = _input_error(tmp_path / "a", "time,rainfall\n0,1\n4,2\n")
    assert text.startswith("error: this input file has no column `rain`")
    assert "--> a/rain.csv:1:1" in text
    assert "did you mean `rainfall`?" in text


def test_input_file_not_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = _input_error(tmp_path / "a", None)
    assert text.startswith("error: the file of the input `rain` does not exist: a/rain.csv")
    assert "--> m.model:3:7" in text
    assert "relative to the model file's folder" in text


def test_input_column_of_the_data_missing_or_with_a_gap(tmp_path, monkeypatch, work):
    monkeypatch.chdir(tmp_path)
    gap = _csv(tmp_path / "gap.csv", ["time", "temp", "y"], [[0, 1, np.nan], [1, np.nan, 2], [2, 3, 4]])
    with pytest.raises(ModelError) as info:
        _load(DATA_INPUT, work, data=[str(gap)])
    text = info.value.render()
    assert text.startswith("error: the input `temp` has a missing value here")
    assert "--> gap.csv:3:5" in text, text
    nocol = _csv(tmp_path / "nocol.csv", ["time", "y"], [[0, np.nan], [1, 2]])
    with pytest.raises(ModelError) as info:
        _load(DATA_INPUT, work, data=[str(nocol)])
    text = info.value.render()
    assert text.startswith("error: the input `temp` is not a column of nocol.csv")
    assert "--> m.model:2:7" in text
    assert '`input temp from "temp.csv"`' in text


def test_input_from_the_data_without_a_dataset(work):
    model = _load(DATA_INPUT, work, data=[])
    with pytest.raises(ModelError) as info:
        model.simulate({"a": 1.0}, times=[1, 2])
    rendered = info.value.render()
    assert rendered.startswith("error: the input `temp` is read from the data, and there is no dataset")
    assert "--> m.model:2:7" in rendered


def test_simulating_past_the_end_of_an_input(work):
    model = _load(STEP_INPUT.format(mode="linear"), work)
    with pytest.raises(ModelError) as info:
        model.simulate(SU, times=[1.1, 10.1])
    assert "runs from t = 0 to 10, but the model needs it from t = 0.1 to 10.1" in info.value.render()


# ------------------------------------------------------------ checking errors the bad/ cases cannot hold
def test_derivative_in_a_step_block_says_where_it_belongs():
    with pytest.raises(ModelError) as info:
        ponder.loads("param k ~ Gamma(2, 1)\nstate x = 1\nstep { d(x) = -k * x }\n", name="m.model")
    text = info.value.render()
    assert "`d(x) = ...` belongs in an `ode` block" in text, text
    assert "--> m.model:3:8" in text, text


def test_a_state_named_d_can_be_assigned_on_its_own_line():
    from ponder.lang.parser import parse

    parse("state x = 0\nstate d = 0\nstep {\n    x += 1\n    d = x\n}\n", "m.model")


def _check_error(text: str) -> str:
    from ponder.lang.check import check_program
    from ponder.lang.parser import parse
    from ponder.stdlib import BUILTIN_LIBRARY

    with pytest.raises(ModelError) as info:
        check_program(parse(text, "m.model"), BUILTIN_LIBRARY, "m.model")
    return info.value.render()


def test_a_prior_using_a_derived_quantity_is_told_the_real_reason():
    text = _check_error("param b ~ Normal(0, 1)\nderived r = b * 2\nparam c ~ Normal(r, 1)\nstate x = 0\n"
                        "step { x += c }\n")
    assert "--> m.model:3:18" in text
    assert "used before it is declared" not in text, text


def test_an_input_declared_twice():
    text = _check_error("input rain\ninput rain\nstate x = 0\nstep { x += rain }\n")
    assert text.startswith("error: `rain` is declared twice")
    assert "it is already an input on line 1" in text, text


def test_a_replicate_input_with_an_option_is_told_about_the_option():
    text = _check_error('input rain from "r.csv"\nstate x = 0\nstep { x += rain }\nobserve y ~ Normal(x, 1)\n'
                        'replicate "a.csv" { input rain (interpolate = constant) from "b.csv" }\n')
    assert "--> m.model:5:" in text
    assert "gives its input a file" not in text.splitlines()[0], text


def test_ponder_check_of_a_bad_model_exits_2_without_traceback():
    result = subprocess.run([sys.executable, "-m", "ponder", "check", str(BAD / "fn_recursive.model")],
                            check=False, capture_output=True, text=True, timeout=120, cwd=BAD)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: `fact` calls itself")
    assert re.search(r"--> .*fn_recursive\.model:1:39", result.stderr), result.stderr


# ------------------------------------------------------------ vector initial values; simulate --inputs
def test_a_vector_state_starts_from_a_vector_value_and_an_accumulator_restarts_from_it(work):
    model = _load("const w = [1, 2, 3]\nparam a ~ Normal(0, 1)\nstate x[3] = 2 * w\naccum c[3] = w\n"
                  "step { x += a; c += 1 }\nobserve y ~ Normal(sum(x) + sum(c), 1)", work)
    ds = model.simulate({"a": 0.5}, times=[0, 1, 3], seed=1)
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ds["x"].values, [2 * w, 2 * w + 0.5, 2 * w + 1.5])
    np.testing.assert_array_equal(ds["c"].values, [w, w + 1, w + 2])  # restarts after every observation time


def test_simulate_writes_the_inputs_it_used_and_the_file_reads_back_as_data(work, capsys):
    text_file = ('input rain from "rain.csv"\nt0 = 0.1\nparam k ~ Uniform(0, 1)\nstate x = 0\n'
                 'step(dt = 0.25) { x += dt * rain }\nobserve y ~ Normal(k * x, 0.1)')
    (work / "from_file.model").write_text(text_file)
    out = work / "sim_inputs.csv"
    code = ponder.cli.main(["simulate", str(work / "from_file.model"), "-p", "k=0.5", "--times", "0.1:5.1:1",
                            "--inputs", "--seed", "2", "--out", str(out)])
    assert code == 0
    header = out.read_text().splitlines()[0].split(",")
    assert header == ["time", "y", "rain"]
    written = np.loadtxt(out, delimiter=",", skiprows=1)
    np.testing.assert_allclose(written[:, 2], np.interp(written[:, 0], RAIN_T, RAIN_V), rtol=0, atol=1e-12)
    # the same model reading `rain` from the data's own column, on the written file
    from_column = _load(text_file.replace('input rain from "rain.csv"', "input rain"), work, data=[str(out)])
    assert np.allclose(from_column.datasets[0].inputs["rain"].values, written[:, 2])
