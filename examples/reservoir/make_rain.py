"""Write rain.csv: 61 days of daily rainfall (mm/day) for the reservoir example.

A two-state Markov chain for wet and dry days (storms cluster: a wet day is
followed by another with probability 0.6, a dry day by a wet one with
probability 0.2) and exponential amounts on wet days (mean 12 mm/day),
rounded to 0.1 mm like a rain gauge. Seeded: running it again gives the same
file, byte for byte.

    python examples/reservoir/make_rain.py     # writes rain.csv next to this script
"""

from pathlib import Path

import numpy as np

DAYS = 61  # t = 0, 1, ..., 60: covers the observations at t = 1..60
rng = np.random.default_rng(20240601)
wet = False
rows = ["time,rain"]
for day in range(DAYS):
    wet = rng.random() < (0.6 if wet else 0.2)
    amount = round(float(rng.exponential(12.0)), 1) if wet else 0.0
    rows.append(f"{day},{amount:g}")
Path(__file__).with_name("rain.csv").write_text("\n".join(rows) + "\n")
