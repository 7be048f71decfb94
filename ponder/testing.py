"""Conformance checks for plugin authors: does a sampler keep the sampler contract?

:func:`check_sampler` runs a registered sampler on two models whose
posteriors are known exactly and asserts, with tolerances from the run's own
Monte Carlo standard errors, that it samples them, and that a run
interrupted half way and resumed from its checkpoint gives the same draws,
bit for bit, as an uninterrupted one::

    from ponder.testing import check_sampler

    def test_my_sampler():
        check_sampler("my-sampler", chains=4, samples=2000)

The models (each written to a temporary folder with its data):

* **conjugate normal**: ``mu ~ Normal(1, 2)``, 30 observations
  ``y ~ Normal(mu, 1.5)``; the posterior is Normal with known mean and sd;
* **bimodal**: ``x ~ Normal(0, 2)``, ``y ~ Normal(x^2, 1)`` with 5
  observations of mean 1; the posterior is symmetric with modes near
  x = +-1 and mass between them, known by quadrature on a fine grid.

Checked: the posterior mean and sd of ``mu``, and ``E[x^2]``, ``E|x|`` and
``P(x > 0)`` of the bimodal posterior, each within ``tolerance`` (default 4)
Monte Carlo standard errors (ArviZ's ESS-based MCSE of the run); the state
arrays the contract requires; and resume bit-identity. ponder's own samplers
pass it (``tests/test_conformance.py``).
"""

from __future__ import annotations

import math
import os
import signal
import tempfile
from pathlib import Path

import numpy as np

CONJUGATE = 'param mu ~ Normal(1, 2)\nstate m = mu\nobserve y ~ Normal(m, 1.5)\ndata "y.csv"\n'
BIMODAL = 'param x ~ Normal(0, 2)\nstate s = x\nobserve y ~ Normal(s * s, 1)\ndata "y.csv"\n'


class ConformanceError(AssertionError):
    """A sampler broke the contract or missed a known posterior."""


def check_sampler(name: str, chains: int | None = None, samples: int = 2000, warmup: int | None = None,
                  seed: int = 1, tolerance: float = 4.0, options: dict | None = None,
                  resume: bool = True, folder: str | Path | None = None) -> dict:
    """Run the sampler ``name`` on the conjugate and bimodal models; raise ConformanceError on a failure.

    Returns the estimates and their standard errors, for reports.
    """
    from ponder.runtime import arviz_io

    options = dict(options or {})
    with tempfile.TemporaryDirectory() if folder is None else _keep(folder) as where:
        where = Path(where)
        conj, conj_exact = _conjugate(where / "conjugate")
        bim, bim_exact = _bimodal(where / "bimodal")
        found = {}
        for label, model, exact in (("conjugate", conj, conj_exact), ("bimodal", bim, bim_exact)):
            idata = model.sample(sampler=name, chains=chains, samples=samples, warmup=warmup, seed=seed, **options)
            post = arviz_io.group(idata, "posterior")
            for key in ("lp", "acceptance_rate", "log_likelihood"):
                if key not in arviz_io.group(idata, "sample_stats"):
                    raise ConformanceError(f"{label}: the results have no sample_stats `{key}`")
            draws = post[model.param_names[0]].values
            if not np.isfinite(draws).all():
                raise ConformanceError(f"{label}: {name} gave non-finite draws")
            for stat, values in _statistics(label, draws).items():
                estimate, se = _mean_and_mcse(values)
                found[f"{label} {stat}"] = (estimate, se, exact[stat])
                if not abs(estimate - exact[stat]) <= tolerance * se:
                    raise ConformanceError(
                        f"{label}: {stat} is {estimate:.4g} +- {se:.2g} (MCSE) but exactly {exact[stat]:.4g}: "
                        f"off by {abs(estimate - exact[stat]) / se:.1f} standard errors (tolerance {tolerance})")
        if resume:
            _check_resume(name, conj, where, chains, min(samples, 200), seed, options)
        return found


def _statistics(label: str, draws: np.ndarray) -> dict[str, np.ndarray]:
    if label == "conjugate":
        centred = draws - draws.mean()
        return {"mean": draws, "variance": centred**2}
    return {"E[x^2]": draws**2, "E|x|": np.abs(draws), "P(x>0)": (draws > 0).astype(float)}


def _mean_and_mcse(values: np.ndarray) -> tuple[float, float]:
    """Mean over (chain, draw) and its Monte Carlo standard error from ArviZ's bulk ESS."""
    from ponder.runtime.arviz_io import arviz

    az = arviz()
    values = np.asarray(values, dtype=float)
    if values.shape[0] == 1:  # one chain: ESS by splitting it (ArviZ wants at least one chain of two halves)
        values = values.reshape(2, -1) if values.shape[1] % 2 == 0 else values[:, 1:].reshape(2, -1)
    ess = float(np.ravel(az.ess(values, method="mean"))[0])
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(max(ess, 1.0)))


def _conjugate(folder: Path):
    from ponder.model import loads

    folder.mkdir(parents=True, exist_ok=True)
    y = np.random.default_rng(12).normal(2.3, 1.5, size=30)
    (folder / "y.csv").write_text("time,y\n" + "\n".join(f"{t},{float(v)!r}" for t, v in enumerate(y)) + "\n")
    precision = 1 / 2**2 + len(y) / 1.5**2
    mean = (1 / 2**2 + y.sum() / 1.5**2) / precision
    return loads(CONJUGATE, base_dir=folder), {"mean": mean, "variance": 1 / precision}


def _bimodal(folder: Path):
    from ponder.model import loads

    folder.mkdir(parents=True, exist_ok=True)
    y = np.array([0.2, 1.8, 1.1, 0.6, 1.3])  # mean 1
    (folder / "y.csv").write_text("time,y\n" + "\n".join(f"{t},{float(v)!r}" for t, v in enumerate(y)) + "\n")
    x = np.linspace(-8, 8, 400001)
    logp = -0.5 * (x / 2) ** 2 - 0.5 * ((y[None, :] - x[:, None] ** 2) ** 2).sum(axis=1)
    w = np.exp(logp - logp.max())
    w /= w.sum()
    exact = {"E[x^2]": float(np.sum(w * x**2)), "E|x|": float(np.sum(w * np.abs(x))), "P(x>0)": 0.5}
    return loads(BIMODAL, base_dir=folder), exact


def _check_resume(name, model, where: Path, chains, samples, seed, options) -> None:
    """Interrupt a run half way (as Ctrl-C does), resume it, and compare with an uninterrupted run."""
    from ponder.runtime import arviz_io, run

    settings = dict(sampler=name, chains=chains, samples=samples, warmup=samples, seed=seed)
    reference = run.sample(model, sampler_options=options, **settings)
    out = where / "resumed.nc"
    total = None

    class StopHalfWay:
        def start(self, n, done, warmup=None):
            nonlocal total
            total = n

        def update(self, iteration, state, target):
            if iteration >= total // 2:
                os.kill(os.getpid(), signal.SIGINT)

        def stop(self):
            pass

    try:
        run.sample(model, out=out, progress=StopHalfWay(), sampler_options=options, **settings)
    except run.RunInterrupted:
        pass
    else:
        raise ConformanceError(f"the run of {name} was not interrupted (did it ignore Ctrl-C?)")
    resumed = run.sample(model, out=out, resume=True, sampler_options=options, **settings)
    for group in ("posterior", "sample_stats"):
        ref, res = arviz_io.group(reference, group), arviz_io.group(resumed, group)
        for var in ref.data_vars:
            if not np.array_equal(ref[var].values, res[var].values, equal_nan=True):
                raise ConformanceError(f"resumed run differs from the uninterrupted one in {group}.{var}")


class _keep:
    """A context manager yielding an existing folder (kept afterwards), like TemporaryDirectory."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return str(self.folder)

    def __exit__(self, *exc):
        return False
