"""R independent likelihood estimates at one parameter vector: their spread and their cost."""

from __future__ import annotations

import time

import numpy as np

from ponder.lang import messages
from ponder.runtime.seeds import stream
from ponder.runtime.stats import log_mean_exp, log_mean_exp_se


def repeated_loglik(model, params, likelihood: str = "auto", particles=None, resampling=None, repeat: int = 1,
                    seed: int | None = None, on_estimate=None) -> dict:
    """Mean, sd, log-mean-exp (with its jackknife s.e.) and ms per estimate of ``repeat`` estimates.

    Estimate r uses the random stream ``stream(seed, r)``; ``on_estimate()``
    is called after each one (for progress bars).
    """
    if repeat < 1:
        raise messages.repeat_too_small(repeat)
    theta = model.theta(params)
    options = {"particles": particles, "resampling": resampling}
    estimator = model.likelihood(likelihood, **{k: v for k, v in options.items() if v is not None})
    seed = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    if hasattr(estimator, "warm_up"):
        estimator.warm_up(theta)
    values, used, seconds = [], [], 0.0
    for r in range(repeat):
        start = time.perf_counter()
        est = estimator.estimate(theta, stream(seed, r), trajectory=False)
        seconds += time.perf_counter() - start
        values.append(est.loglik)
        used.append(est.diagnostics.get("particles", 1))
        if on_estimate is not None:
            on_estimate()
    values = np.array(values)
    all_finite = bool(np.isfinite(values).all())
    return {
        "loglik_mean": float(values.mean()) if all_finite else float("-inf"),
        "loglik_sd": float(values.std(ddof=1)) if values.size > 1 and all_finite else float("nan"),
        "loglik_logmeanexp": log_mean_exp(values),
        "loglik_se": log_mean_exp_se(values),
        "ms_per_estimate": 1e3 * seconds / repeat,
        "particles": int(used[-1]),
        "particles_mean": float(np.mean(used)),
        "repeats": int(repeat),
        "likelihood": getattr(estimator, "name", likelihood),
        "seed": seed,
    }
