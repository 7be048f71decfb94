"""Neural posterior estimation (method ``npe``, on the optional ``sbi`` extra): the conjugate posterior, resume,
and the message when the extra is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from ponder.lang.errors import ModelError
from ponder.runtime import arviz_io
from ponder.runtime.methods import rounds_path, run_method
from tests.runtime.test_abc import EXACT_MEAN, EXACT_SD, _mu, conjugate  # noqa: F401 - the same conjugate model

OPTIONS = {"simulations": 1000, "draws": 2000}


def test_npe_without_the_extra_says_how_to_install_it(conjugate, monkeypatch):
    monkeypatch.setitem(sys.modules, "sbi", None)  # as if not installed: importing it raises ImportError
    monkeypatch.setitem(sys.modules, "sbi.inference", None)
    with pytest.raises(ModelError, match="needs the `sbi` extra") as err:
        run_method(conjugate, "npe", seed=1, options=OPTIONS)
    assert "pip install 'ponder[sbi]'" in err.value.hint and "torch==2.13.0" in err.value.hint


def test_npe_finds_the_conjugate_posterior(conjugate):
    pytest.importorskip("sbi")
    idata = run_method(conjugate, "npe", seed=1, options=OPTIONS)
    mu = _mu(idata)
    assert mu.shape == (2, 2000)
    # not Monte Carlo error (4000 draws: SE 0.008) but the estimator's: a shift of 0.25 posterior sds or a 20% wrong
    # sd is what a classifier two-sample test would call clearly different (C2ST about 0.55)
    assert abs(mu.mean() - EXACT_MEAN) < 0.25 * EXACT_SD, mu.mean()
    assert abs(mu.std() / EXACT_SD - 1) < 0.2, mu.std()
    attrs = arviz_io.group(idata, "posterior").attrs
    assert attrs["simulations"] == 1000 and attrs["npe_features"] == "raw"


def test_an_interrupted_npe_run_resumes_to_the_same_draws(conjugate, tmp_path, monkeypatch):
    pytest.importorskip("sbi")
    monkeypatch.chdir(tmp_path)
    options = {"simulations": 500, "draws": 200, "chains": 1, "stop_after_epochs": 5}
    reference = run_method(conjugate, "npe", seed=5, options=options)
    out = tmp_path / "npe.nc"

    def stop_once_simulated(done, total, text):  # the simulations are saved; training has not started
        if text.startswith("training"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_method(conjugate, "npe", out=out, seed=5, progress=stop_once_simulated, options=options)
    assert rounds_path(out).exists()
    resumed = run_method(conjugate, "npe", out=out, resume=True, options=options)
    assert np.array_equal(_mu(resumed), _mu(reference))
    assert not (tmp_path / "sbi-logs").exists()  # sbi's TensorBoard logs are not left in the user's folder
