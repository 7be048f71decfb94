"""External Python simulators (issue 17): the language, the checks, and the loops around the contract.

Simulators are registered in this process with ``ponder.register_simulator``
(the installed-package route is tests/test_simulator_python.py). Correctness
is checked against exact answers: the Gaussian log-likelihood of a
deterministic simulator, and the `.model` randomwalk's particle filter
(whose dynamics the Python walk repeats) within standard errors.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from scipy import stats

import ponder
from ponder.lang.errors import ModelError
from ponder.plugins.manager import plugins
from tests.conftest import EXAMPLES

RANDOMWALK = EXAMPLES / "randomwalk"
TRUTH = {"origin": 100.0, "drift": 0.2, "sigma": 10.0}


class Walk:
    """SPUX's random walk over all particles (the `step` of examples/randomwalk, in NumPy)."""

    output_names = ("position",)
    parameters = ("origin", "drift", "stepsize")
    capabilities = ponder.SimulatorCapabilities(thread_safe=True)

    def __init__(self):
        self.opened = self.closed = 0

    def init(self, theta, consts, n, rng):
        self.opened += 1
        return {"position": np.full(n, theta["origin"]), "h": consts["stepsize"]}

    def advance(self, state, t0, t1, theta, rng):
        x = state["position"]
        for _ in range(int(round(t1 - t0))):
            x = x + np.where(rng.uniform(-1, 1, x.shape[0]) < theta["drift"], state["h"], -state["h"])
        state["position"] = x
        return state

    def outputs(self, state):
        return {"position": state["position"]}

    def close(self, state):
        self.closed += 1


class Line:
    """A deterministic straight walk: position = origin + drift (t - t0)."""

    output_names = ("position",)
    capabilities = ponder.SimulatorCapabilities(deterministic=True, thread_safe=True)

    def init(self, theta, consts, n, rng):
        return np.full(n, theta["origin"])

    def advance(self, x, t0, t1, theta, rng):
        return x + theta["drift"] * (t1 - t0)

    def outputs(self, x):
        return {"position": x}


@pytest.fixture
def register():
    names = []

    def add(name, simulator):
        ponder.register_simulator(name, simulator)
        names.append(name)
        return simulator

    yield add
    for name in names:
        plugins().unregister(f"simulator:{name}")


def walk_model(simulator="test.walk", extra="", data=f'"{RANDOMWALK / "randomwalk.csv"}"'):
    return f"""
model walk
param origin ~ Uniform(50, 150)
param drift  ~ Uniform(-1, 1)
param sigma  ~ LogNormal(log(10) - 0.5 * log(1.01), sqrt(log(1.01)))
const stepsize = 1
simulator {simulator}
output position
{extra}
observe position ~ Normal(position, sigma)
data {data}
"""


def test_python_walk_filter_agrees_with_the_language_randomwalk(register):
    walk = register("test.walk", Walk())
    python = ponder.loads(walk_model(), base_dir=RANDOMWALK)
    language = ponder.load(RANDOMWALK / "randomwalk.model")
    assert not python.is_deterministic
    a = np.array([python.loglik(TRUTH, particles=128, seed=s) for s in range(30)])
    b = np.array([language.loglik(TRUTH, particles=128, seed=s) for s in range(30)])
    se = math.hypot(a.std(ddof=1), b.std(ddof=1)) / math.sqrt(30)
    assert abs(a.mean() - b.mean()) < 3 * se, (a.mean(), b.mean(), se)
    assert walk.opened == walk.closed == 30  # every state the filter made was closed
    estimate = python.estimate(TRUTH, particles=64, seed=1)
    assert estimate.trajectory.shape == (50, 1) and np.isfinite(estimate.trajectory).all()
    assert estimate.diagnostics["particles"] == 64
    # the same key, the same estimate
    assert python.loglik(TRUTH, particles=64, seed=3) == python.loglik(TRUTH, particles=64, seed=3)


def test_per_particle_adapter_agrees_with_the_vectorised_walk(register):
    def init(theta, consts, rng):
        return {"position": theta["origin"]}

    def step(x, t0, t1, theta, rng):
        for _ in range(int(round(t1 - t0))):
            x["position"] += 1.0 if rng.uniform(-1, 1) < theta["drift"] else -1.0
        return x  # changed in place: resampling must copy repeated particles

    register("test.walk", Walk())
    register("test.walk1", ponder.per_particle(step, init, outputs=("position",)))
    one = ponder.loads(walk_model("test.walk1"), base_dir=RANDOMWALK)
    many = ponder.loads(walk_model(), base_dir=RANDOMWALK)
    a = np.array([one.loglik(TRUTH, particles=32, seed=s) for s in range(12)])
    b = np.array([many.loglik(TRUTH, particles=32, seed=s) for s in range(12)])
    se = math.hypot(a.std(ddof=1), b.std(ddof=1)) / math.sqrt(12)
    assert abs(a.mean() - b.mean()) < 3 * se, (a.mean(), b.mean(), se)


def test_deterministic_simulator_gets_the_exact_likelihood(register):
    register("test.line", Line())
    model = ponder.loads(walk_model("test.line"), base_dir=RANDOMWALK)
    assert model.is_deterministic
    data = np.loadtxt(RANDOMWALK / "randomwalk.csv", delimiter=",", skiprows=1)
    params = {"origin": 101.0, "drift": 0.17, "sigma": 12.0}
    exact = stats.norm(params["origin"] + params["drift"] * data[:, 0], params["sigma"]).logpdf(data[:, 1]).sum()
    estimate = model.estimate(params)
    assert estimate.loglik == pytest.approx(exact, rel=1e-12)
    assert estimate.diagnostics["particles"] == 1
    assert estimate.trajectory[:, 0] == pytest.approx(params["origin"] + params["drift"] * data[:, 0])


def test_simulate_runs_the_simulator(register):
    register("test.line", Line())
    model = ponder.loads(walk_model("test.line"), base_dir=RANDOMWALK)
    sim = model.simulate({"origin": 100, "drift": 0.5, "sigma": 1e-9}, times=[1, 2, 4], seed=1)
    assert sim["position_state"].values == pytest.approx([100.5, 101.0, 102.0])
    assert sim["position"].values == pytest.approx([100.5, 101.0, 102.0], abs=1e-6)


def test_inputs_reach_the_simulator_as_functions_of_time(register, tmp_path):
    seen = {}

    class Forced(Line):
        def init(self, theta, consts, n, rng):
            seen["rain"] = consts["rain"]
            return np.zeros(n)

        def advance(self, x, t0, t1, theta, rng):
            return x + seen["rain"](t0) * (t1 - t0)

    register("test.forced", Forced())
    (tmp_path / "d.csv").write_text("time,position,rain\n0,,2\n1,0.5,2\n2,2.4,1\n3,3.1,4\n")
    model = ponder.loads(f"""
param sigma ~ LogNormal(0, 1)
input rain
simulator test.forced
output position
observe position ~ Normal(position, sigma)
data "d.csv"
""", base_dir=tmp_path)
    estimate = model.estimate({"sigma": 1.0})
    rain = seen["rain"]
    assert rain(1.5) == pytest.approx(1.5) and rain(9.0) == pytest.approx(4.0)  # linear, end values hold
    assert rain(np.array([0.5, 2.5])) == pytest.approx([2.0, 2.5])
    assert estimate.trajectory[:, 0] == pytest.approx([0.0, 2.0, 4.0, 5.0])  # + rain(t0) (t1 - t0) per interval


def test_failed_particles_get_zero_weight_and_all_failed_is_minus_inf(register):
    class Flaky(Walk):
        fail = 0.5

        def outputs(self, state):
            x = state["position"].copy()
            x[: int(self.fail * x.shape[0])] = np.nan
            return {"position": x}

    flaky = register("test.flaky", Flaky())
    model = ponder.loads(walk_model("test.flaky"), base_dir=RANDOMWALK)
    assert math.isfinite(model.loglik(TRUTH, particles=64, seed=1))
    flaky.fail = 1.0
    assert model.loglik(TRUTH, particles=64, seed=1) == -math.inf


def test_failed_runs_are_counted_and_a_run_with_many_says_so(register):
    class Sometimes(Walk):
        """Each particle's output fails with probability 5% at every observation time."""

        def outputs(self, state):
            x = state["position"].copy()
            x[state["fails"].uniform(size=x.shape[0]) < 0.05] = np.nan
            return {"position": x}

        def init(self, theta, consts, n, rng):
            state = super().init(theta, consts, n, rng)
            state["fails"] = np.random.default_rng(rng.integers(2**63))
            return state

    register("test.sometimes", Sometimes())
    model = ponder.loads(walk_model("test.sometimes"), base_dir=RANDOMWALK)
    idata = model.sample(sampler="mh", samples=20, warmup=20, chains=2, particles=32, seed=3)
    attrs = idata.posterior.attrs
    times = len(model.datasets[0].times)
    steps, failed = attrs["simulator_steps"], attrs["simulator_failures"]
    assert steps == attrs["likelihood_evaluations"] * 32 * times  # every particle at every time of every estimate
    se = math.sqrt(0.05 * 0.95 / steps)
    assert abs(failed / steps - 0.05) < 4 * se + 0.002, (failed, steps)  # + the starting points' extra estimates
    from ponder.runtime.convergence import run_warnings

    text = " ".join(run_warnings(idata))
    assert f"{failed} of {steps} runs of the external simulator failed" in text
    register("test.walk", Walk())
    clean = ponder.loads(walk_model(), base_dir=RANDOMWALK)
    quiet = clean.sample(sampler="mh", samples=20, warmup=20, chains=2, particles=32, seed=3)
    assert quiet.posterior.attrs["simulator_failures"] == 0
    assert "external simulator failed" not in " ".join(run_warnings(quiet))


def test_a_simulator_that_is_not_thread_safe_runs_one_estimate_at_a_time(register):
    class Guarded(Walk):
        capabilities = ponder.SimulatorCapabilities(thread_safe=False)
        active = 0
        most = 0
        lock = threading.Lock()

        def advance(self, state, t0, t1, theta, rng):
            with self.lock:
                type(self).active += 1
                type(self).most = max(self.most, self.active)
            try:
                return super().advance(state, t0, t1, theta, rng)
            finally:
                with self.lock:
                    type(self).active -= 1

    register("test.guarded", Guarded())
    model = ponder.loads(walk_model("test.guarded"), base_dir=RANDOMWALK)
    idata = model.sample(samples=10, warmup=10, chains=4, particles=16, seed=1, executor="threads", workers=4)
    assert idata.posterior.sizes["draw"] == 10
    assert Guarded.most == 1


BAD = [
    ("simulator test.wlak\noutput position", "there is no simulator `test.wlak`", "test.walk"),
    ("simulator test.walk\noutput velocity", "has no output `velocity`", "position"),
    ("simulator test.walk\noutput position\nstep { }", "has no `step` block", "remove one"),
    ("simulator test.walk\nstate position = 1", "declares `output`s, not `state`s", "output position"),
    ("output position", "`output position` needs a `simulator` line", "state position"),
    ("simulator test.walk", "declares no `output`", "output Q"),
]


@pytest.mark.parametrize("body, message, hint", BAD)
def test_model_mistakes_around_a_simulator(register, body, message, hint):
    register("test.walk", Walk())
    text = f"""param origin ~ Uniform(50, 150)
param drift ~ Uniform(-1, 1)
const stepsize = 1
{body}
"""
    with pytest.raises(ModelError) as err:
        ponder.loads(text)
    shown = str(err.value)
    assert message in shown and hint in shown, shown


def test_a_parameter_the_simulator_reads_must_be_declared(register):
    register("test.walk", Walk())
    with pytest.raises(ModelError, match="reads `stepsize`, which the model does not declare"):
        ponder.loads("param origin ~ Uniform(50, 150)\nparam drift ~ Uniform(-1, 1)\n"
                     "simulator test.walk\noutput position\n")


def test_register_simulator_refuses_a_name_a_model_cannot_write():
    with pytest.raises(ModelError, match="cannot register a simulator"):
        ponder.register_simulator("../walk", Walk())


def test_numba_simulator_is_compiled_into_the_filter_and_matches_the_language_bit_for_bit(register):
    from tests.runtime.numba_walk import NumbaWalk

    register("test.numba_walk", NumbaWalk())
    numba_model = ponder.loads(walk_model("test.numba_walk"), base_dir=RANDOMWALK)
    language = ponder.load(RANDOMWALK / "randomwalk.model")
    params = {"origin": 100.0, "drift": 0.2, "sigma": 10.0}
    for seed in range(3):  # the same draws in the same order: the same estimate
        assert numba_model.loglik(params, particles=64, seed=seed) == language.loglik(params, particles=64, seed=seed)
    from ponder.runtime.kernels import link

    assert getattr(link(numba_model.compiled), "in_numba", True)  # the Numba template, not the Python loops


def test_numba_simulator_outputs_must_all_be_declared(register):
    from tests.runtime.numba_walk import NumbaWalk

    class Two(NumbaWalk):
        output_names = ("position", "velocity")

    register("test.two", Two())
    with pytest.raises(ModelError, match="does not declare `velocity`"):
        ponder.loads(walk_model("test.two"), base_dir=RANDOMWALK)


def test_numba_simulator_posterior_is_the_language_models_draw_for_draw(register):
    from tests.runtime.numba_walk import NumbaWalk

    register("test.numba_walk", NumbaWalk())
    numba_model = ponder.loads(walk_model("test.numba_walk"), base_dir=RANDOMWALK)
    language = ponder.load(RANDOMWALK / "randomwalk.model")  # the same priors, data and observation model
    runs = [m.sample(samples=20, warmup=20, chains=2, particles=32, seed=5) for m in (numba_model, language)]
    for name in ("origin", "drift", "sigma"):
        assert np.array_equal(runs[0].posterior[name].values, runs[1].posterior[name].values), name


def test_concurrent_estimates_of_a_thread_safe_simulator_keep_their_own_parameters(register):
    from concurrent.futures import ThreadPoolExecutor

    register("test.line", Line())
    model = ponder.loads(walk_model("test.line"), base_dir=RANDOMWALK)
    points = [{"origin": 90.0 + k, "drift": 0.05 * k, "sigma": 10.0} for k in range(8)]
    serial = [model.loglik(p) for p in points]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert list(pool.map(model.loglik, points)) == serial
