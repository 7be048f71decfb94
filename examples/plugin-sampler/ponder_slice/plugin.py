"""The ``slice`` sampler and the hook that registers it with ponder.

Coordinate-wise slice sampling (Neal 2003, "Slice sampling", Ann. Statist.
31(3), 705-767): for each coordinate z_i in turn,

1. draw a level  log y = log p(z) - e,  e ~ Exponential(1);
2. place an interval of width ``w`` at random around z_i and step it out,
   w at a time, while its ends are still above the level (to at most
   ``m`` w in all, the m - 1 steps split at random between the two ends);
3. draw z_i' uniformly from the interval, shrinking the interval towards
   z_i after each draw below the level, until one lies above it.

The sampler works on ponder's unconstrained space, where every parameter
lives on the whole real line. Each of the C chains is independent, but all
chains take their steps together: every round of stepping out or shrinking
is one batched ``target.evaluate`` call, so the executor can run the
chains' likelihoods in parallel.

Slice sampling needs the exact density, so the model must be deterministic
(ponder's ``direct`` likelihood); a particle filter's noisy estimates would
not do. There is no accept/reject step: every update moves, so ``accept``
is 1.0 -- except that shrinkage is capped at ``m`` draws (rarely reached
with the default m = 50) and a coordinate whose budget runs out keeps its
value; ``accept`` is then the fraction of coordinates that moved.
"""

from __future__ import annotations

import numpy as np

from ponder import ModelError
from ponder.plugins.hookspecs import hookimpl
from ponder.plugins.options import Option
from ponder.runtime.samplers import accept_rows
from ponder.runtime.seeds import generator


@hookimpl
def ponder_add_samplers(registry):
    """Called once by ponder's plugin manager."""
    registry.add("slice", SliceSampler, "coordinate-wise slice sampler (example plugin; exact likelihoods)")


class SliceSampler:
    """C independent coordinate-wise slice samplers, advanced in lockstep.

    Options (``ponder run ... --sampler slice --option w=0.5``): ``w``, the
    initial slice width in unconstrained space (default 1.0), and ``m``, the
    widest interval in units of w and the most shrink draws per coordinate
    (default 50).
    """

    name = "slice"
    # declared options: ponder checks and converts `--option w=0.5` (and `infer { w = 0.5 }`) before __init__
    options = (
        Option("w", float, 1.0, "initial slice width on the unconstrained scale", minimum=0.0),
        Option("m", int, 50, "widest interval in units of w, and most shrink draws per coordinate", minimum=1),
    )

    def __init__(self, target, chains: int | None = None, w: float = 1.0, m: int = 50):
        if not target.exact:  # ask the target's capability, never the likelihood's name
            raise ModelError("the `slice` sampler needs an exact likelihood, and this model's is a noisy estimate",
                             hint="use `--sampler mh` or `--sampler ensemble`")
        if not (w > 0 and int(m) >= 1):
            raise ModelError(f"the slice sampler needs w > 0 and m >= 1, not w={w}, m={m}")
        self.target = target
        self.chains = int(chains or 4)
        if self.chains < 1:
            raise ModelError("the number of chains must be at least 1")
        self.w = float(w)
        self.m = int(m)

    def start(self) -> dict:
        """Prior draws with a finite density; plus ``accept`` and an evaluation counter."""
        state = self.target.initial(self.chains)
        state["accept"] = np.ones(self.chains)
        state["slice_evaluations"] = np.zeros(self.chains, dtype=np.int64)  # extra state goes in the dict
        return state

    def step(self, state: dict, iteration: int, warmup: bool) -> dict:
        """One sweep over all coordinates, for every chain."""
        rng = generator(self.target.seed, 0, iteration)
        counter = np.zeros(self.chains, dtype=np.int64)  # evaluations of each chain in this iteration
        moved = np.zeros(self.chains)
        for i in range(self.target.dim):
            moved += self._update(state, i, rng, iteration, counter)
        state["accept"][:] = moved / self.target.dim
        state["slice_evaluations"] += counter
        return state

    def _logpost(self, state, rows, i, x, iteration, counter):
        """Evaluate chains ``rows`` with coordinate i set to ``x``: (positions, evaluation)."""
        z = state["z"][rows].copy()
        z[:, i] = x
        keys = []
        for row in rows:  # (iteration + 1, chain, k): unique for every evaluation of a run
            keys.append((iteration + 1, int(row), int(counter[row])))
            counter[row] += 1
        return z, self.target.evaluate(z, keys)

    def _update(self, state, i, rng, iteration, counter) -> np.ndarray:
        """Slice-sample coordinate i of every chain; returns which chains moved."""
        c, w = self.chains, self.w
        x0 = state["z"][:, i].copy()
        level = state["logpost"] - rng.exponential(size=c)
        left = x0 - w * rng.random(c)
        right = left + w
        steps_left = np.floor(self.m * rng.random(c)).astype(np.int64)
        steps_right = self.m - 1 - steps_left

        # stepping out: each round evaluates the ends that may still grow
        grow_left, grow_right = steps_left > 0, steps_right > 0
        while grow_left.any() or grow_right.any():
            rows_l, rows_r = np.flatnonzero(grow_left), np.flatnonzero(grow_right)
            rows = np.concatenate([rows_l, rows_r])
            _, ev = self._logpost(state, rows, i, np.concatenate([left[rows_l], right[rows_r]]), iteration, counter)
            above = ev["logpost"] > level[rows]
            up_l, up_r = rows_l[above[:len(rows_l)]], rows_r[above[len(rows_l):]]
            left[up_l] -= w
            right[up_r] += w
            steps_left[up_l] -= 1
            steps_right[up_r] -= 1
            grow_left[:] = False
            grow_left[up_l[steps_left[up_l] > 0]] = True
            grow_right[:] = False
            grow_right[up_r[steps_right[up_r] > 0]] = True

        # shrinkage: draw from the interval until a point lies above the level
        pending = np.ones(c, dtype=bool)
        for _ in range(self.m):
            rows = np.flatnonzero(pending)
            if not len(rows):
                break
            x = left[rows] + rng.random(len(rows)) * (right[rows] - left[rows])
            z, ev = self._logpost(state, rows, i, x, iteration, counter)
            above = ev["logpost"] > level[rows]  # nan counts as below
            accept_rows(state, rows, z, ev, above)
            pending[rows[above]] = False
            below = rows[~above]
            lower = x[~above] < x0[below]
            left[below[lower]] = x[~above][lower]
            right[below[~lower]] = x[~above][~lower]
        return ~pending
