"""Write reservoir-c.csv: 15 days of rain and noisy discharge from the linear reservoir at known parameters.

    python examples/reservoir-c/make_data.py

True values: k = 0.25 per day, sigma = 0.1, S at t = 0 = 20 mm (the package's
template/state.txt). Rain: a wet day with probability 0.4, an exponential
amount with mean 10 mm/day, rounded to 0.1. The row at time t holds the rain
rate r_t over the day from t to t + 1 (what `input rain (interpolate =
constant)` gives at every time of that day; the last row's is never used) and
the discharge measured at t (none at t = 0). The storage at the end of day t
is exactly

    S_t = r_{t-1} / k + (S_{t-1} - r_{t-1} / k) exp(-k),    Q_t = k S_t,

and the measured discharge is Q_t times a log-normal error: log Q_obs ~ Normal(log Q_t, sigma). Seeded: running it
again writes the same file.
"""

from pathlib import Path

import numpy as np

K, SIGMA, S0, DAYS, SEED = 0.25, 0.1, 20.0, 15, 4


def discharge(k: float, rain: np.ndarray, s0: float = S0) -> np.ndarray:
    """Q_t = k S_t for t = 1, 2, ...: the reservoir's exact solution, ``rain[t - 1]`` held from t - 1 to t."""
    storage, out = s0, []
    for r in rain:
        storage = r / k + (storage - r / k) * np.exp(-k)
        out.append(k * storage)
    return np.array(out)


def main() -> None:
    rng = np.random.default_rng(SEED)
    rain = np.where(rng.random(DAYS) < 0.4, np.round(rng.exponential(10.0, DAYS), 1), 0.0)
    q = discharge(K, rain) * np.exp(SIGMA * rng.standard_normal(DAYS))
    rows = ["time,rain,Q", f"0,{rain[0]:.1f},"]
    rows += [f"{t},{r:.1f},{y:.4f}" for t, r, y in zip(range(1, DAYS + 1), [*rain[1:], 0.0], q)]
    (Path(__file__).parent / "reservoir-c.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
