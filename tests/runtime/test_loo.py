"""PSIS-LOO and WAIC on a model with several datasets: one log-likelihood variable over every observation."""

import warnings

import numpy as np

import ponder
from ponder.runtime import arviz_io
from tests.conftest import EXAMPLES


def test_loo_and_waic_work_on_replicates(tmp_path):
    model = ponder.load(EXAMPLES / "randomwalk-replicates" / "randomwalk-replicates.model")
    out = tmp_path / "rep.nc"
    model.sample(sampler="ensemble", samples=50, warmup=50, particles=128, seed=1, out=out)  # 16 x 50 draws
    idata = arviz_io.read(out)
    az = arviz_io.arviz()
    ll = arviz_io.group(idata, "log_likelihood")
    assert list(ll.data_vars) == ["position"]
    n = sum(ds.n_times for ds in model.datasets)
    assert ll["position"].dims == ("chain", "draw", "observation") and ll.sizes["observation"] == n
    assert np.array_equal(np.unique(ll["replicate"].values), np.arange(len(model.datasets)))
    assert np.array_equal(ll["time"].values, np.concatenate([ds.times for ds in model.datasets]))
    # the pointwise values add up to each draw's log-likelihood estimate
    total = ll["position"].values.sum(axis=-1)
    assert np.allclose(total, arviz_io.group(idata, "sample_stats")["log_likelihood"].values)
    elpd, se, points = arviz_io.loo(idata)
    assert points == n and np.isfinite(elpd) and se > 0
    if hasattr(az, "waic"):  # ArviZ 1.x has no WAIC
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            waic = az.waic(idata)
        assert abs(elpd - waic.elpd_waic) < 3 * se
