"""Non-reversible parallel tempering with an adaptive schedule and the evidence.

Replicas i = 0..N-1 target the path pi_b(theta) ~ prior(theta) L(theta)^b at
0 = b_0 < b_1 < ... < b_{N-1} = 1 (Syed, Bouchard-Cote, Deligiannidis and
Doucet 2021, "NRPT"; the schedule adaptation and round structure of
Surjanovic et al. 2023, Pigeons.jl). One *scan* is

1. exploration: replica 0 draws a fresh prior sample (and estimates its
   likelihood); every other replica takes local steps targeting its pi_b --
   a coordinate-wise slice sampler (Neal 2003) for exact likelihoods, a
   random-walk Metropolis step for particle-filter likelihoods, which keeps
   each replica's current estimate (pseudo-marginal) -- all replicas' target
   evaluations batched, so replicas are the parallel tasks;
2. communication: the pairs (i, i+1) with i even on even scans and odd on
   odd scans (deterministic alternation: the non-reversible scheme) swap
   states with probability min(1, exp((b_{i+1} - b_i)(l_i - l_{i+1}))),
   where l are the stored log-likelihoods -- never re-estimated.

Scans run in rounds; round r has 2^r scans. After each round the
rejection rates r_i give the cumulative barrier Lambda(b_k) = sum_{i<k} r_i,
interpolated monotonically (PCHIP), and the new schedule puts N - 1 equal
steps of Lambda between 0 and the global barrier Lambda = Lambda(1).
The last round, with the final schedule, gives the posterior draws (the
b = 1 replica) and the evidence by stepping stone:

    log Z = sum_i log E_{pi_{b_i}} [ exp((b_{i+1} - b_i) l) ],

each expectation a mean over the round's scans; its standard error comes
from 8 consecutive blocks of the round. ``--samples`` is the number of
scans of the last round (rounded up to a power of two); the rounds before
it are the warm-up.

For exact likelihoods with fixed prior bounds whole scans run in Numba, a
block of them per call (:mod:`ponder.runtime.samplers.fast_slice`);
otherwise each scan runs in Python. Either way the explorers and swaps
draw in order from one generator per round, whose state is kept in the
sampler's state, so a run does not depend on where its blocks are cut.
Likelihood estimates draw from streams keyed by scan, replica and
replicate, so it does not depend on the executor either.

What adapts never depends on where the warm-up ends, so a finished run
continued with more samples (its last round becoming warm-up) draws what a
run asking for them from the start draws: the schedule and the MH
explorer's step sizes change only between rounds, from the finished round's
swap and acceptance rates; particle-filter particle numbers adapt in the
warm-up's scans before :data:`PARTICLE_SCANS` only (a run with at least that
many warm-up scans, i.e. 512 samples or more, locks them at the same point
whatever its length).
"""

from __future__ import annotations

import math
import time

import numpy as np

from ponder.lang import messages
from ponder.plugins.options import Option
from ponder.runtime.samplers.base import accept_rows
from ponder.runtime.samplers.contract import record_keys
from ponder.runtime.seeds import generator
from ponder.runtime.evaluation import EVAL_KEYS

BLOCKS = 8
#: adaptive particle numbers adapt in scans before this one (the end of round 8), and in the warm-up only
PARTICLE_SCANS = 511
#: the MH explorer's target acceptance rate (Roberts, Gelman and Gilks 1997)
TARGET_ACCEPT = 0.234
BLOCK_SECONDS = 0.2  # a block of scans takes about this long, so progress, Ctrl-C and checkpoints stay responsive
TABLE_COLUMNS = ("round", "scans", "barrier", "seconds", "log_Z", "log_Z_se", "min_swap", "mean_swap", "round_trips")


def _kernels():
    """The Numba helpers of the scans (:mod:`pt_kernels`), imported when a scan first needs them.

    Importing them (and so Numba) when the module is imported would make
    every ``ponder`` command that lists the samplers pay for Numba.
    """
    from ponder.runtime.samplers import pt_kernels

    return pt_kernels


def round_of(scan: int) -> int:
    """Round r holds scans 2^r - 1 ... 2^(r+1) - 2."""
    return int(math.floor(math.log2(scan + 1)))


class TemperingChain:
    """One chain of replicas at N temperatures (the algorithm above); :class:`ParallelTempering` runs several."""

    name = "pt"
    options = (
        Option("explorer", str, None, "local moves: slice (exact likelihoods only; their default) or mh",
               choices=("slice", "mh")),
        Option("slice_width", float, 1.0, "initial slice width on the unconstrained scale (above 0)", above=0.0),
    )

    def __init__(self, target, chains: int | None = None, explorer: str | None = None, slice_width: float = 1.0,
                 **options):
        if options:
            raise messages.unknown_option(f"the `{self.name}` sampler", next(iter(options)),
                                          (o.name for o in self.options), own_check=True)
        self.target = target
        self.replicas = int(chains or 10)
        if self.replicas < 2:
            raise messages.too_few_replicas()
        exact = target.exact
        self.explorer = explorer or ("slice" if exact else "mh")
        if self.explorer not in ("slice", "mh"):
            raise messages.unknown_explorer(self.explorer)
        if self.explorer == "slice" and not exact:
            raise messages.slice_needs_exact_likelihood()
        self.width = float(slice_width)
        from ponder.runtime.samplers.fast_slice import FastSlice  # the compiler: loaded when a run starts

        self.fast = FastSlice(target, self.width) if self.explorer == "slice" and FastSlice.applies(target) else None
        self.recorded_rows = np.array([self.replicas - 1])
        self.rows_then_0 = np.append(np.arange(1, self.replicas), 0)  # the MH explorer's batch with the prior draw
        self.block_scans = 1  # scans in the next block, from the time the last one took

    def plan(self, samples: int, warmup: int | None) -> tuple[int, int]:
        """The last round's 2^r scans for ``samples`` (rounded up); the rounds before it are the warm-up."""
        r = last_round(samples)
        return 2**r, 2**r - 1

    def progress_notes(self, state: dict) -> list[str]:
        """One line per round finished since the last call, as Pigeons prints them."""
        table = state["pt_table"]
        done = int(np.sum(np.isfinite(table[:, 0])))
        shown, self._rounds_noted = getattr(self, "_rounds_noted", 0), done
        return [f"round {r:>2.0f}  scans {scans:>6.0f}  Lambda {barrier:6.3f}  time {seconds:7.2f} s  "
                f"log Z {log_z:10.4f}  swap min {lo:.2f} mean {mean:.2f}  round trips {trips:.0f}"
                for r, scans, barrier, seconds, log_z, se, lo, mean, trips in table[shown:done]]

    def start(self) -> dict:
        n, d = self.replicas, self.target.dim
        state = self.target.initial(n)
        state["accept"] = np.ones(n)
        state["pt_betas"] = np.linspace(0.0, 1.0, n) ** 3  # a first guess, refitted after round 0
        state["pt_reject"] = np.zeros(n - 1)  # sums of swap rejection probabilities this round
        state["pt_swaps"] = np.zeros(n - 1)  # number of swap attempts this round
        state["pt_swap_rates"] = np.full(n - 1, math.nan)  # per-pair swap acceptance of the last round
        state["pt_log_scale"] = np.full(n, math.log(0.5 * 2.38 / math.sqrt(d)))
        state["pt_accept_sum"] = np.zeros(n)  # the MH explorer's acceptance probabilities summed over this round
        state["pt_accept_scans"] = np.zeros(1)
        state["pt_index"] = np.arange(n)  # which "machine" sits at each level (for round trips)
        state["pt_visited_top"] = np.zeros(n, dtype=bool)
        state["pt_round_trips"] = np.zeros(1)
        state["pt_ss_sum"] = np.full((BLOCKS, n - 1), -math.inf)  # log-sum-exp of (db l) per block
        state["pt_ss_count"] = np.zeros(BLOCKS)
        state["pt_table"] = np.full((64, len(TABLE_COLUMNS)), math.nan)
        state["pt_round_start"] = np.zeros(1)
        state["pt_rng"] = np.zeros(6, dtype=np.uint64)  # the explorers' generator within the round
        state["pt_prior_rng"] = np.zeros(6, dtype=np.uint64)  # replica 0's prior draws within the round (Python)
        return state

    # ------------------------------------------------------------ scans
    def step(self, state: dict, scan: int, warmup: bool) -> dict:
        """One scan."""
        self.step_block(state, scan, 1, warmup)
        return state

    def step_block(self, state: dict, first: int, count: int, warmup: bool) -> dict:
        """Up to ``count`` scans from ``first`` (a block ends with its round); the recorded rows after each.

        The result maps each recorded key to an array (scans, recorded rows, ...).
        """
        r = round_of(first)
        start, length = 2**r - 1, 2**r
        count = max(1, min(count, start + length - first, self.block_scans))
        began = time.perf_counter()
        if first == start:
            state["pt_round_start"][0] = began
        rng = self._round_generator(state, "pt_rng", first, r, 1)
        if self.fast is not None:
            records = self._fast_scans(state, first, count, r, rng)
        else:
            records = self._python_scans(state, first, count, warmup, rng)
        state["pt_rng"][:] = pack_generator(rng)
        seconds = time.perf_counter() - began
        self.block_scans = max(1, min(4 * count, int(BLOCK_SECONDS * count / max(seconds, 1e-6))))
        if first + count == start + length:
            # the schedule is refitted after every round, the sampling one too: when the run samples on, that round
            # becomes warm-up, and the next one must start from the schedule a run planning it so would have
            self._end_round(state, r, time.perf_counter() - state["pt_round_start"][0], adapt=True)
        return records

    def _round_generator(self, state: dict, key: str, first: int, r: int, stream: int) -> np.random.Generator:
        """The round's generator ``stream``: new at the round's first scan, else as the last block left it."""
        start = 2**r - 1
        return generator(self.target.seed, 0, start, stream) if first == start else unpack_generator(state[key])

    def _python_scans(self, state: dict, first: int, count: int, warmup: bool, rng: np.random.Generator) -> dict:
        """Scans with the Python explorers.

        The explorers and swaps draw in order from the round's generator
        ``rng``, replica 0's prior draws from a second one, so a block's
        prior draws are made in one call and the draws do not depend on
        where blocks are cut.
        """
        top = self.replicas - 1  # the recorded row (``recorded_rows``)
        records = {k: np.empty((count, 1) + np.shape(state[k])[1:], dtype=np.asarray(state[k]).dtype)
                   for k in record_keys(state)}
        prior_rng = self._round_generator(state, "pt_prior_rng", first, round_of(first), 2)
        draws = np.empty((count, self.target.dim))
        self.target.model.kernels.prior_sample(prior_rng, self.target.consts, draws)
        state["pt_prior_rng"][:] = pack_generator(prior_rng)
        prior_z = self.target.to_z(draws)
        prior_finite = np.isfinite(prior_z).all(axis=1).tolist()  # not finite: outside the transform's range
        for i, scan in enumerate(range(first, first + count)):
            adapt = warmup and scan < PARTICLE_SCANS
            self._explore(state, scan, rng, prior_z[i:i + 1] if prior_finite[i] else None, adapt=adapt)
            self._communicate(state, scan, rng)
            self._stepping_stone(state, scan, round_of(scan))
            for k, record in records.items():
                record[i, 0] = state[k][top]
        return records

    def _fast_scans(self, state: dict, first: int, count: int, r: int, rng: np.random.Generator) -> dict:
        """Scans in one Numba call, drawing in order from the round's generator ``rng``."""
        records = self.fast.scans(state, first, count, 2**r - 1, 2**r, BLOCKS, rng)
        state["accept"][:] = 1.0
        for k in record_keys(state):  # the rest is the same in every scan (see fast_slice.MOVING_KEYS)
            if k not in self.fast.moving_keys:
                records[k] = np.repeat(state[k][self.recorded_rows][None], count, axis=0)
        return records

    def _explore(self, state: dict, scan: int, rng: np.random.Generator, z0: np.ndarray | None, adapt: bool) -> None:
        """Replica 0 takes its prior draw ``z0`` (1, d) unless None; the others take a local step (``adapt``: the
        estimates' variances adapt the particle numbers)."""
        rows = np.arange(1, self.replicas)
        if self.explorer == "mh":
            self._mh(state, rows, scan, rng, adapt, z0)
        else:
            if z0 is not None:
                ev = self.target.evaluate(z0, [(scan + 1, 0, 0)])
                accept_rows(state, np.array([0]), z0, ev, np.array([True]))
            self._slice(state, rows, scan, rng)
        state["accept"][0] = 1.0

    def _mh(self, state, rows, scan, rng, adapt, z0) -> None:
        """A random-walk Metropolis step of every row; replica 0's prior draw ``z0`` is evaluated in the same batch."""
        m = len(rows)
        betas = state["pt_betas"][rows]
        scale = np.exp(state["pt_log_scale"][rows])
        proposal = state["z"][rows] + scale[:, None] * rng.standard_normal((m, self.target.dim))
        keys = [(scan + 1, int(k), 1) for k in rows]
        if z0 is None:
            ev = self.target.evaluate(proposal, keys, adapt=adapt)
        else:  # replica 0's prior draw goes last; only the proposals' variance estimates adapt the particle numbers
            proposal, rows = np.concatenate((proposal, z0)), self.rows_then_0
            ev = self.target.evaluate(proposal, keys + [(scan + 1, 0, 0)], adapt=adapt, adapt_rows=rows > 0)
        accepted, prob = np.ones(len(rows), dtype=np.bool_), np.ones(len(rows))  # replica 0 always moves
        _kernels().mh_decisions(state["logpost"][rows], state["loglik"][rows], ev["logpost"], ev["loglik"], betas,
                                rng.random(m),
                     accepted, prob)
        accept_rows(state, rows, proposal, ev, accepted)
        rows, prob = rows[:m], prob[:m]
        state["accept"][rows] = prob
        state["pt_accept_sum"][rows] += prob
        state["pt_accept_scans"][0] += 1

    def _slice(self, state, rows, scan, rng, max_steps: int = 30) -> None:
        """One sweep of coordinate-wise slice sampling (stepping out, shrinkage), batched over replicas."""
        betas = state["pt_betas"][rows]
        m = len(rows)
        counter = [0]

        def tempered_at(z):
            counter[0] += 1
            ev = self.target.evaluate(z, [(scan + 1, int(k), 2 + counter[0]) for k in rows])
            return _kernels().tempered_rows(ev["logpost"], ev["loglik"], betas), ev

        for coord in range(self.target.dim):
            x = state["z"][rows].copy()
            current = _kernels().tempered_rows(state["logpost"][rows], state["loglik"][rows], betas)
            height = current + np.log(rng.random(m))
            left = x[:, coord] - self.width * rng.random(m)
            right = left + self.width
            for side, sign in ((left, -1.0), (right, 1.0)):
                active = np.ones(m, dtype=bool)
                for _ in range(max_steps):
                    probe = x.copy()
                    probe[:, coord] = side
                    value, _ = tempered_at(probe)
                    active &= value > height
                    if not active.any():
                        break
                    side += sign * self.width * active
            best_z, best_ev = x.copy(), None
            done = np.zeros(m, dtype=bool)
            for _ in range(max_steps):
                probe = x.copy()
                probe[:, coord] = left + (right - left) * rng.random(m)
                value, ev = tempered_at(probe)
                take = ~done & (value > height)
                if best_ev is None:
                    best_ev = {k: state[k][rows].copy() for k in EVAL_KEYS}
                best_z[take] = probe[take]
                for k in EVAL_KEYS:
                    best_ev[k][take] = ev[k][take]
                done |= take
                shrink_left = ~done & (probe[:, coord] < x[:, coord])
                left = np.where(shrink_left, probe[:, coord], left)
                right = np.where(~done & ~shrink_left, probe[:, coord], right)
                if done.all():
                    break
            accept_rows(state, rows, best_z, best_ev, done)
        state["accept"][rows] = 1.0

    def _communicate(self, state: dict, scan: int, rng: np.random.Generator) -> None:
        parity = scan % 2
        order = np.arange(self.replicas)
        u = rng.random(_kernels().pair_count(self.replicas, parity))  # one uniform per pair, in pair order
        if _kernels().swap_pass(parity, state["pt_betas"], state["loglik"], u, state["pt_reject"], state["pt_swaps"],
                                order):
            for k in ("z", "pt_index") + EVAL_KEYS:
                state[k][:] = state[k][order]
        _kernels().count_round_trip(state["pt_index"], state["pt_visited_top"], state["pt_round_trips"])

    def _stepping_stone(self, state: dict, scan: int, r: int) -> None:
        _kernels().stepping_stone(scan, 2**r - 1, 2**r, BLOCKS, state["pt_betas"], state["loglik"], state["pt_ss_sum"],
                       state["pt_ss_count"])

    def _end_round(self, state: dict, r: int, seconds: float, adapt: bool) -> None:
        swaps = np.maximum(state["pt_swaps"], 1)
        reject = state["pt_reject"] / swaps
        barrier = float(reject.sum())
        log_z, se = evidence(state)
        accept = 1.0 - reject
        state["pt_swap_rates"][:] = accept
        if r < len(state["pt_table"]):
            state["pt_table"][r] = (r, 2**r, barrier, seconds, log_z, se, accept.min(), accept.mean(),
                                    state["pt_round_trips"][0])
        if adapt:
            state["pt_betas"] = refit_schedule(state["pt_betas"], reject)
            if state["pt_accept_scans"][0] > 0:
                rates = state["pt_accept_sum"][1:] / state["pt_accept_scans"][0]
                state["pt_log_scale"][1:] += rescale_for_acceptance(rates)
        state["pt_accept_sum"][:] = 0.0
        state["pt_accept_scans"][:] = 0.0
        state["pt_reject"][:] = 0.0
        state["pt_swaps"][:] = 0.0
        state["pt_round_trips"][:] = 0.0
        state["pt_ss_sum"][:] = -math.inf
        state["pt_ss_count"][:] = 0.0

    def end_warmup(self, state: dict) -> dict:
        return state

    def run_attrs(self, state: dict) -> dict:
        table = state["pt_table"]
        table = table[np.isfinite(table[:, 0])]
        last = table[-1] if len(table) else None
        log_z, se = (float(last[4]), float(last[5])) if last is not None else (math.nan, math.nan)
        return {
            "log_evidence": log_z,
            "log_evidence_se": se,
            "pt_barrier": float(last[2]) if last is not None else math.nan,
            "pt_schedule": [float(b) for b in state["pt_betas"]],
            "pt_swap_rates": [float(a) for a in state["pt_swap_rates"]],
            "pt_round_table": {"columns": list(TABLE_COLUMNS), "rows": table.tolist()},
        }


class ParallelTempering:
    """``runs`` independent tempering chains (default 2), each with ``chains`` replicas; R-hat compares them.

    Chain k draws from its own seed (chain 0 from the run's): its random
    numbers, starting points and likelihood estimates are independent of the
    others', and it adapts its own schedule. They share the likelihood (and
    its adaptive particle numbers) and advance block by block together, so
    each records its b = 1 replica as one chain of the results. The evidence
    is the mean of the chains' log Z; its standard error is the larger of
    the one from the chains' own batch-means errors,
    sqrt(sum_k se_k^2) / K, and the one from their spread,
    sd_k(log Z_k) / sqrt(K) -- the batch means of one round alone understate
    it when scans are autocorrelated over a block's length.
    """

    name = "pt"
    options = TemperingChain.options + (
        Option("runs", int, 2, "independent tempering chains, each with all its replicas (R-hat compares them)",
               minimum=1, maximum=64),
    )

    def __init__(self, target, chains: int | None = None, runs: int = 2, **options):
        self.target = target
        self.runs = int(runs)  # at least 1: the option's bounds are checked before
        self.parts = [TemperingChain(target if k == 0 else target.with_seed(_chain_seed(target.seed, k)), chains,
                                     **options) for k in range(self.runs)]
        self.replicas = self.parts[0].replicas
        self.explorer, self.fast = self.parts[0].explorer, self.parts[0].fast  # the same for every chain
        self.recorded_rows = np.array([k * self.replicas + self.replicas - 1 for k in range(self.runs)])

    def plan(self, samples: int, warmup: int | None) -> tuple[int, int]:
        return self.parts[0].plan(samples, warmup)

    # the state: chain k's arrays under "k/KEY"; the row arrays (z, the evaluations, accept, ...) of all chains
    # one after another under their plain names, for the runtime's records and progress
    def _part(self, state: dict, k: int) -> dict:
        prefix = f"{k}/"
        return {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}

    def _store(self, state: dict, k: int, part: dict) -> None:
        for key, value in part.items():
            state[f"{k}/{key}"] = value

    def _merge_rows(self, state: dict) -> None:
        for key in record_keys(self._part(state, 0)):
            state[key] = np.concatenate([state[f"{k}/{key}"] for k in range(self.runs)])

    def start(self) -> dict:
        state = {}
        for k, part in enumerate(self.parts):
            self._store(state, k, part.start())
        self._merge_rows(state)
        return state

    def step(self, state: dict, scan: int, warmup: bool) -> dict:
        self.step_block(state, scan, 1, warmup)
        return state

    def step_block(self, state: dict, first: int, count: int, warmup: bool) -> dict:
        """The chains' next block, of the length the first chain chose; records (scans, runs, ...)."""
        found = []
        for k, part in enumerate(self.parts):
            sub = self._part(state, k)
            if found:
                count = part.block_scans = len(next(iter(found[0].values())))
            found.append(part.step_block(sub, first, count, warmup))
            self._store(state, k, sub)
        self._merge_rows(state)
        return {key: np.concatenate([f[key] for f in found], axis=1) for key in found[0]}

    def progress_notes(self, state: dict) -> list[str]:
        lines = self.parts[0].progress_notes(self._part(state, 0))
        return [f"{line}  (chain 1 of {self.runs})" if self.runs > 1 else line for line in lines]

    def end_warmup(self, state: dict) -> dict:
        return state

    def run_attrs(self, state: dict) -> dict:
        parts = [part.run_attrs(self._part(state, k)) for k, part in enumerate(self.parts)]
        attrs = dict(parts[0])
        log_z = np.array([p["log_evidence"] for p in parts])
        se = np.array([p["log_evidence_se"] for p in parts])
        attrs["log_evidence"], attrs["log_evidence_se"] = combine_evidence(log_z, se)
        attrs["log_evidence_chains"] = [float(v) for v in log_z]
        attrs["pt_runs"] = self.runs
        tables = [np.array(p["pt_round_table"]["rows"]) for p in parts]
        rounds = min(len(t) for t in tables)
        if self.runs > 1 and rounds:
            combined = []
            for r in range(rounds):
                rows = np.array([t[r] for t in tables])
                z, e = combine_evidence(rows[:, 4], rows[:, 5])
                combined.append([rows[0, 0], rows[0, 1], rows[:, 2].mean(), rows[:, 3].sum(), z, e,
                                 rows[:, 6].min(), rows[:, 7].mean(), rows[:, 8].sum()])
            attrs["pt_round_table"] = {"columns": list(TABLE_COLUMNS), "rows": combined}
        return attrs


def rescale_for_acceptance(rates: np.ndarray) -> np.ndarray:
    """Log factors that move random-walk step sizes from acceptance ``rates`` towards :data:`TARGET_ACCEPT`.

    For a Gaussian target a random walk with step l accepts at about
    a(l) = 2 Phi(-c l) (Roberts, Gelman and Gilks 1997), so the step that
    accepts at a* is l Phi^-1(a*/2) / Phi^-1(a/2). Rates are clipped to
    [0.02, 0.98] and factors to [1/3, 3]: a short round's rate is noisy.
    """
    from scipy.special import ndtri

    a = np.clip(np.asarray(rates, dtype=float), 0.02, 0.98)
    factor = ndtri(TARGET_ACCEPT / 2) / ndtri(a / 2)
    return np.log(np.clip(factor, 1 / 3, 3.0))


def combine_evidence(log_z: np.ndarray, se: np.ndarray) -> tuple[float, float]:
    """The mean of K independent log Z estimates and its standard error (see :class:`ParallelTempering`)."""
    k = len(log_z)
    mean = float(np.mean(log_z))
    within = float(np.sqrt(np.sum(np.square(se)))) / k if np.all(np.isfinite(se)) else math.nan
    if k < 2:
        return mean, within
    between = float(np.std(log_z, ddof=1)) / math.sqrt(k)
    return mean, max(within, between) if within == within else between


def _chain_seed(seed: int, chain: int) -> int:
    """Chain ``chain``'s seed, derived from the run's (chain 0 uses the run's own)."""
    return int(np.random.SeedSequence([int(seed), 0x7E3D, chain]).generate_state(1, np.uint64)[0] % (2**63))


def last_round(samples: int) -> int:
    """The round whose 2^r scans give at least ``samples`` draws (at least round 1)."""
    return max(int(math.ceil(math.log2(max(samples, 1)))), 1)


def pack_generator(rng: np.random.Generator) -> np.ndarray:
    """A PCG64 generator's state as 6 unsigned integers (checkpointed with the sampler's state)."""
    st = rng.bit_generator.state
    mask = (1 << 64) - 1
    return np.array([st["state"]["state"] >> 64, st["state"]["state"] & mask, st["state"]["inc"] >> 64,
                     st["state"]["inc"] & mask, st["has_uint32"], st["uinteger"]], dtype=np.uint64)


def unpack_generator(packed: np.ndarray) -> np.random.Generator:
    """The generator of :func:`pack_generator`'s state."""
    a = [int(v) for v in packed]
    bits = np.random.PCG64()
    bits.state = {"bit_generator": "PCG64", "state": {"state": (a[0] << 64) | a[1], "inc": (a[2] << 64) | a[3]},
                  "has_uint32": a[4], "uinteger": a[5]}
    return np.random.Generator(bits)


def evidence(state: dict) -> tuple[float, float]:
    """Stepping-stone log Z of the current round and its standard error over blocks."""
    sums, counts = state["pt_ss_sum"], state["pt_ss_count"]
    total = np.logaddexp.reduce(sums, axis=0) - math.log(max(counts.sum(), 1))
    log_z = float(total.sum())
    filled = counts > 0
    if filled.sum() < 2:
        return log_z, math.nan
    per_block = (sums[filled] - np.log(counts[filled])[:, None]).sum(axis=1)
    return log_z, float(per_block.std(ddof=1) / math.sqrt(filled.sum()))


def refit_schedule(betas: np.ndarray, reject: np.ndarray) -> np.ndarray:
    """Equally spaced points of the cumulative barrier, by monotone (PCHIP) interpolation."""
    from scipy.interpolate import PchipInterpolator  # here: importing it costs a second at start-up

    cumulative = np.concatenate([[0.0], np.cumsum(np.maximum(reject, 1e-12))])
    total = cumulative[-1]
    inverse = PchipInterpolator(cumulative, betas)  # Lambda -> beta, monotone
    new = inverse(np.linspace(0.0, total, len(betas)))
    new[0], new[-1] = 0.0, 1.0
    return np.maximum.accumulate(new)
