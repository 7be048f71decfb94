"""Batched simulation (``Model.simulate_batch``): the same datasets for any thread count, the right law, replicates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import ponder
from ponder.lang.errors import ModelError
from tests.conftest import EXAMPLES

# a random walk from 0 with N(0, q) steps, observed with sd 0.1 at times 1..4: Var(y_t) = t q^2 + 0.01, mean 0
WALK = """
param q ~ LogNormal(0, 0.5)
state x = 0
step {
    e ~ Normal(0, q)
    x += e
}
observe y ~ Normal(x, 0.1)
data "walk.csv"
"""


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    (folder / "walk.csv").write_text("time,y\n1,0\n2,0\n3,0\n4,0\n")
    return ponder.loads(WALK, base_dir=folder)


@pytest.fixture(scope="module")
def sir():
    return ponder.load(EXAMPLES / "sir" / "sir.model")


def test_the_same_datasets_on_any_number_of_threads(sir):
    draws = sir.prior_sample(70, seed=1)  # three blocks of 32
    one = sir.simulate_batch(draws, seed=4, threads=1)
    assert one.shape == (70, len(sir.datasets[0].times), 1)
    assert np.isfinite(one).all()
    for threads in (2, 3):
        assert np.array_equal(sir.simulate_batch(draws, seed=4, threads=threads), one), threads
    assert not np.array_equal(sir.simulate_batch(draws, seed=5, threads=1), one)  # the seed matters
    rows = np.column_stack([draws[p.name] for p in sir.ir.params])
    assert np.array_equal(sir.simulate_batch(rows, seed=4), one)  # an array of rows is the same as the mapping


def test_simulated_observations_have_the_model_law(walk):
    m, q = 4000, 0.7
    y = walk.simulate_batch(np.full((m, 1), q), seed=2)
    assert y.shape == (m, 4, 1)
    for k, t in enumerate((1, 2, 3, 4)):
        values = y[:, k, 0]
        var = t * q**2 + 0.01
        assert abs(values.mean()) < 4 * math.sqrt(var / m), (t, values.mean())
        assert abs(values.var(ddof=1) - var) < 4 * var * math.sqrt(2 / (m - 1)), (t, values.var(ddof=1), var)
        assert stats.kstest(values / math.sqrt(var), "norm").pvalue > 1e-3
    increments = np.diff(y[:, :, 0], axis=1)  # independent steps: neighbouring increments uncorrelated
    r = np.corrcoef(increments[:, 1], increments[:, 2])[0, 1]
    assert abs(r) < 4 / math.sqrt(m)
    datasets = [walk.simulate_batch(np.full((1, 1), q), seed=2)[0] for _ in range(2)]
    assert np.array_equal(datasets[0], datasets[1]) and np.array_equal(datasets[0], y[0])  # dataset m: stream (seed, m)


def test_replicates_each_get_a_dataset():
    model = ponder.load(EXAMPLES / "randomwalk-replicates" / "randomwalk-replicates.model")
    draws = model.prior_sample(5, seed=1)
    y = model.simulate_batch(draws, seed=3)
    replicates = len(model.datasets)
    assert replicates == 3 and y.shape == (5, 3, len(model.datasets[0].times), 1)
    assert np.isfinite(y).all()
    assert not np.array_equal(y[:, 0], y[:, 1])  # their own streams


def test_parameters_of_the_wrong_shape_are_refused(sir):
    with pytest.raises(ModelError, match="expected 3 parameter values"):
        sir.simulate_batch(np.zeros((4, 2)), seed=1)
    with pytest.raises(ModelError, match="no parameter `betta`"):
        sir.simulate_batch({"betta": np.zeros(3), "gamma": np.zeros(3), "rho": np.zeros(3)}, seed=1)
