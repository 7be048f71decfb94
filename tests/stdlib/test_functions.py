"""Every built-in math function's Numba implementation agrees with its NumPy twin, at the edges too (NaN, infinities,
overflow, the ends of each domain)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ponder.stdlib.functions import FUNCTIONS

EDGES = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, 2.5, -2.5, 1e-300, 709.0, 710.0, -745.5, 1e308]


@pytest.mark.parametrize("name", sorted(n for n, f in FUNCTIONS.items() if f.min_arity == 1 and f.max_arity == 1))
def test_one_argument_functions_match_numpy(name):
    f = FUNCTIONS[name]
    with np.errstate(all="ignore"):
        for x in EDGES:
            got, want = f.impl(x), float(f.numpy(np.float64(x)))
            if math.isnan(want):
                assert math.isnan(got), (name, x, got)
            else:
                assert got == pytest.approx(want, rel=1e-12, abs=0.0) or got == want, (name, x, got, want)
