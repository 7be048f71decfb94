"""A sampling run: settings, the iteration loop, checkpoints and results.

:func:`sample` resolves settings (explicit arguments, then the model's
``infer`` block, then ponder's defaults), builds the target and the sampler
from their plugins, and iterates. Every iteration it records the sampler's
current rows (positions, log densities, particle-filter diagnostics, latent
paths) -- a sampler with ``step_block`` runs and returns several iterations
per call, and Ctrl-C and checkpoints then wait for the block's end; every
``checkpoint_every`` seconds it appends to ``OUT.checkpoint`` what is new
(the records since the last checkpoint, the sampler's arrays, adaptive
particle numbers: :mod:`ponder.runtime.checkpoint`).
Everything random depends only on (seed, iteration, chain, replicate), so a
run resumed from a checkpoint, after Ctrl-C or ``kill -9``, finishes
bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import signal
import time
from pathlib import Path

import numpy as np

from ponder.lang import messages
from ponder.plugins.options import coerce_options, declared_options
from ponder.runtime import arviz_io, outputs
from ponder.runtime.executors import WorkerLost, make_executor
from ponder.runtime.likelihoods.select import choose_likelihood
from ponder.runtime.convergence import unconverged
from ponder.runtime.plan import (MIN_SAMPLES, WARMUP_BLOCK, WARMUP_SHARE, RunPlan, convergence_of, initial_plan,
                                 more_samples, warmup_settled)
from ponder.runtime.samplers.contract import plan_of, record_keys
from ponder.runtime.settings import (ALIASES, DEFAULT_PARTICLES_FOR_RUNS, LENGTH_SETTINGS, NOT_RESUMED, SETTING_NAMES,
                                     Settings, coerce_setting, settings_dict)
from ponder.runtime.target import Target


def resolve_settings(model, options: dict | None = None, **given) -> Settings:
    """Explicit values win, then the model's ``infer`` block, then the defaults.

    ``options`` (sampler and likelihood options) are merged over the infer
    block's the same way, key by key.
    """
    settings = Settings()
    infer = model.infer_defaults
    for key, value in infer.items():
        key = ALIASES.get(key, key)
        if key in SETTING_NAMES:
            setattr(settings, key, value)
    settings.options = {k: v for k, v in infer.items() if ALIASES.get(k, k) not in SETTING_NAMES}
    settings.options.update({k: v for k, v in (options or {}).items() if v is not None})
    for key, value in given.items():
        if value is not None:
            if key not in SETTING_NAMES:
                raise messages.unknown_run_setting(key)
            if key != "executor" or isinstance(value, str):  # an executor may be an object
                value = coerce_setting(key, value)
            setattr(settings, key, value)
    if isinstance(settings.particles, tuple):
        settings.particles = f"{settings.particles[0]}:{settings.particles[1]}"
    if settings.particles is None and not model.is_deterministic:
        settings.particles = DEFAULT_PARTICLES_FOR_RUNS
    if settings.seed is None:
        settings.seed = int(np.random.SeedSequence().entropy % (2**63))
    return settings


def split_options(model, settings: Settings) -> tuple[dict, dict]:
    """``settings.options`` split into (likelihood options, sampler options) by what each declares.

    An option the likelihood declares goes to it; any other to the sampler,
    which checks it against its own declaration (a sampler that declares
    none gets what is left as it is).
    """
    from ponder.plugins.manager import plugins

    likelihood = plugins().likelihoods.get(choose_likelihood(model, settings.likelihood))
    for_likelihood = {o.name for o in declared_options(likelihood) or ()}
    lik = {k: v for k, v in settings.options.items() if k in for_likelihood}
    rest = {k: v for k, v in settings.options.items() if k not in for_likelihood}
    return lik, rest


class RunInterrupted(Exception):
    """Ctrl-C during a run; the checkpoint and the partial results are written."""

    def __init__(self, iteration: int, checkpoint: Path, results: Path | None):
        super().__init__(f"interrupted at iteration {iteration}")
        self.iteration = iteration
        self.checkpoint = checkpoint
        self.results = results


def make_sampler(name: str, target: Target, chains: int | None, options: dict):
    """The sampler plugin ``name`` with ``options`` checked and converted against its declaration."""
    from ponder.plugins.manager import plugins

    factory = plugins().samplers.get(name)
    return factory(target, chains=chains, **coerce_options(declared_options(factory), options, f"the `{name}` sampler"))


def sample(
    model,
    out: str | Path | None = None,
    resume: bool = False,
    checkpoint_every: float = 5.0,
    progress=None,
    sampler_options: dict | None = None,
    **given,
):
    """Run a sampler on ``model``; returns ``arviz.InferenceData`` (also written to ``out``).

    ``executor`` is a registered name, or an executor object (anything with
    ``map``), which is then reused and not shut down: a notebook can keep one
    pool of workers across runs.
    """
    from ponder.runtime import checkpoint as ckpt

    out_path = Path(out) if out is not None else None
    ckpt_path = ckpt.path_for(out_path) if out_path is not None else None
    with outputs.guard_outputs(out_path, ckpt_path):
        return _sample(model, out_path, ckpt_path, resume, checkpoint_every, progress, sampler_options, given)


def _sample(model, out_path, ckpt_path, resume, checkpoint_every, progress, sampler_options, given):
    from ponder.runtime import checkpoint as ckpt
    from ponder.runtime.results import build_inference_data

    sampler_options = dict(sampler_options or {})
    asked = {k: v for k, v in given.items() if v is not None}  # what this call sets (a resumed run may change lengths)
    if resume and ckpt_path is not None and ckpt_path.exists():
        # settings and options not given again (the seed above all) are the interrupted run's
        saved = ckpt.saved_settings(ckpt_path)
        given = {k: (saved.get(k) if v is None and k not in NOT_RESUMED else v) for k, v in given.items()}
        sampler_options = {**saved.get("options", {}), **sampler_options}
    settings = resolve_settings(model, sampler_options, **given)
    likelihood_options, sampler_options = split_options(model, settings)
    options = {"particles": settings.particles, "resampling": settings.resampling, **likelihood_options}
    options = {k: v for k, v in options.items() if v is not None}
    own_executor = isinstance(settings.executor, str)
    executor = make_executor(settings.executor, settings.workers) if own_executor else settings.executor
    started = time.time()
    try:
        target = Target(model, settings.likelihood, options, executor, settings.seed)
        sampler = make_sampler(settings.sampler, target, settings.chains, sampler_options)
        fingerprint = _fingerprint(model, settings)
        checkpoint = ckpt.Checkpoint(ckpt_path, fingerprint) if ckpt_path is not None else None
        rows = getattr(sampler, "recorded_rows", None)
        if resume:
            if ckpt_path is None or not ckpt_path.exists():
                raise messages.no_checkpoint_to_resume(ckpt_path)
            state, records, iteration, extra = checkpoint.load()
            target.restore_adaptations(extra["adapters"])
            target.evaluations = int(extra.get("evaluations", 0))
            target.simulator_counts[:] = [int(c) for c in extra.get("simulator_counts", (0, 0))]
            elapsed_before = extra.get("elapsed", 0.0)
            plan = _resumed_plan(sampler, RunPlan.from_dict(extra["plan"]), iteration, asked, settings)
            records = _grow(records, plan.total)
            block_particles = extra.get("block_particles")
        else:
            plan = initial_plan(sampler, settings.samples, settings.warmup)
            state = sampler.start()
            shapes = {k: ((plan.total,) + np.shape(_rows(state[k], rows)), np.asarray(state[k]).dtype)
                      for k in record_keys(state)}
            _check_memory(sum(math.prod(shape) * dtype.itemsize for shape, dtype in shapes.values()), plan.total)
            records = {k: np.zeros(shape, dtype=dtype) for k, (shape, dtype) in shapes.items()}
            iteration = 0
            elapsed_before = 0.0
            block_particles = target.particles()
        last_save = time.monotonic()
        progress = progress or _NoProgress()
        progress.start(plan.total, iteration, plan.warmup)
        note = getattr(progress, "note", None)  # optional: a progress display may not print lines
        if plan.until_converged and note is not None and not resume:
            note(f"sampling until every parameter has R-hat <= {settings.target_rhat:g} and bulk and tail ESS >= "
                 f"{settings.target_ess}, for at most {_duration(settings.max_time)} (--max-time)")
        committed = _copy(state)  # the state after the last completed iteration
        block = getattr(sampler, "step_block", None)
        notes = getattr(sampler, "progress_notes", None)
        clock = time.monotonic()  # this session's start: the time budget counts from here
        sampling_clock = None  # (time, iteration) when this session's sampling started: its speed

        def spent() -> float:
            return time.monotonic() - clock

        def keep_going() -> bool:
            """At ``plan.total``: decide whether the warm-up or the sampling goes on (and plan it); False to stop."""
            nonlocal records, block_particles
            if iteration == plan.warmup and not plan.warmup_settled:
                now = target.particles()
                out_of_time = spent() >= WARMUP_SHARE * settings.max_time
                if out_of_time or warmup_settled(records, plan, block_particles, now, sampler, state):
                    plan.warmup_settled = True
                    plan.warmup_cut = out_of_time
                    if out_of_time and note is not None:
                        note(f"the warm-up used its share of --max-time and ends at {plan.warmup} iterations "
                             "before it settled")
                else:
                    plan.warmup += WARMUP_BLOCK
                    block_particles = now
                records = _grow(records, plan.total)
                _retarget(progress, plan)
                return True
            if not plan.until_converged:
                plan.stopped = "samples"
                return False
            diagnostics = convergence_of(model, target, records, plan, settings.thin)
            missing = unconverged(diagnostics, settings.target_rhat, settings.target_ess)
            if not missing:
                plan.stopped = "converged"
                return False
            wanted = more_samples(diagnostics, plan.samples, settings.target_rhat, settings.target_ess)
            if sampling_clock is not None and iteration > sampling_clock[1]:
                rate = (iteration - sampling_clock[1]) / max(time.monotonic() - sampling_clock[0], 1e-9)
                affordable = int((settings.max_time - spent()) * rate)
                if affordable < max(MIN_SAMPLES, plan.samples // 10):
                    plan.stopped = "max_time"
                    return False
                wanted = min(wanted, plan.samples + affordable)
            if note is not None:
                worst = ", ".join(f"{d.name} ({', '.join(d.failures(settings.target_rhat, settings.target_ess))})"
                                  for d in missing[:3])
                note(f"after {plan.samples} draws per chain not converged: {worst}{' ...' if len(missing) > 3 else ''}"
                     f"; sampling on to {wanted}")
            samples, warmup = plan_of(sampler, wanted, plan.warmup)
            while warmup + samples <= iteration or warmup < plan.warmup:  # never less than what is done
                wanted *= 2
                samples, warmup = plan_of(sampler, wanted, plan.warmup)
            if not _fits_in_memory(records, warmup + samples):
                plan.stopped = "memory"  # the records of a longer run would not fit: keep these
                return False
            if warmup != plan.warmup:  # the draws so far become warm-up (pt's rounds): kept if time runs out
                plan.fallback = [plan.warmup, plan.samples]
            plan.samples, plan.warmup = samples, warmup
            records = _grow(records, plan.total)
            _retarget(progress, plan)
            return True

        try:
            with _deferred_interrupt() as interrupted:
                while True:
                    if iteration >= plan.total or (iteration == plan.warmup and not plan.warmup_settled):
                        if not keep_going():
                            break
                        continue
                    in_warmup = iteration < plan.warmup
                    if not in_warmup and not plan.warmup_ended:  # once, before the first draw (also for warmup 0)
                        state = _end_warmup(sampler, target, state)
                        plan.warmup_ended = True
                    target.adapting = not plan.holds_particles(iteration)
                    if not in_warmup and sampling_clock is None:
                        sampling_clock = (time.monotonic(), iteration)
                    try:
                        if block is not None:  # several iterations in one call
                            rows_done = block(state, iteration, (plan.warmup if in_warmup else plan.total) - iteration,
                                              in_warmup)
                        else:
                            state = sampler.step(state, iteration, in_warmup)
                    except Exception:
                        if interrupted():  # workers stopped by the same Ctrl-C
                            raise KeyboardInterrupt from None
                        raise
                    if block is not None:
                        done = len(next(iter(rows_done.values())))
                        for k, record in records.items():
                            record[iteration:iteration + done] = rows_done[k]
                        iteration += done
                    else:
                        for k, record in records.items():
                            record[iteration] = _rows(state[k], rows)
                        iteration += 1
                    committed = _copy(state)
                    for line in notes(state) if notes is not None and note is not None else ():
                        note(line)
                    progress.update(iteration, state, target)
                    if interrupted():
                        raise KeyboardInterrupt
                    if (not plan.warmup_settled and iteration < plan.warmup
                            and spent() >= WARMUP_SHARE * settings.max_time):
                        plan.warmup, plan.warmup_settled, plan.warmup_cut = iteration, True, True  # its share spent
                        if note is not None:
                            note(f"the warm-up used its share of --max-time and ends at {iteration} iterations "
                                 "before it settled")
                        _retarget(progress, plan)
                    if (plan.until_converged and iteration > plan.warmup and spent() >= settings.max_time
                            and iteration - plan.warmup >= MIN_SAMPLES):
                        plan.samples, plan.stopped = iteration - plan.warmup, "max_time"  # out of time: keep what is done
                        if not unconverged(convergence_of(model, target, records, plan, settings.thin),
                                           settings.target_rhat, settings.target_ess):
                            plan.stopped = "converged"  # the draws it has meet the targets after all
                        break
                    if (plan.until_converged and plan.fallback and iteration < plan.warmup
                            and spent() >= settings.max_time):
                        # out of time in rounds that made the last draws warm-up: the last whole sampling round stays
                        plan.warmup, plan.samples = plan.fallback
                        plan.stopped = "max_time"
                        break
                    if ckpt_path is not None and time.monotonic() - last_save >= checkpoint_every and iteration < plan.total:
                        checkpoint.save(state, records, iteration,
                                        _extra(target, elapsed_before + time.time() - started, settings, plan,
                                               block_particles))
                        last_save = time.monotonic()
        except WorkerLost:
            progress.stop()  # the last periodic checkpoint stays: it holds whole iterations
            raise
        except KeyboardInterrupt:
            progress.stop()
            if ckpt_path is None:
                raise
            checkpoint.save(committed, records, iteration,
                            _extra(target, elapsed_before + time.time() - started, settings, plan, block_particles))
            partial = None
            if iteration > plan.warmup and plan.warmup_settled and out_path is not None:
                idata = build_inference_data(model, target, settings, records, iteration, plan.warmup,
                                             sampler, elapsed_before + time.time() - started, partial=True,
                                             state=committed, plan=plan)
                partial = arviz_io.write(idata, out_path)
            raise RunInterrupted(iteration, ckpt_path, partial) from None
        progress.stop()
        seconds = elapsed_before + time.time() - started
        idata = build_inference_data(model, target, settings, records, plan.total, plan.warmup, sampler, seconds,
                                     state=state, plan=plan)
        if out_path is not None:
            arviz_io.write_results(idata, out_path, ckpt_path)
            # kept, marked finished: ``--resume --samples N`` continues the run from here without re-evaluating
            checkpoint.save(state, records, plan.total, _extra(target, seconds, settings, plan, block_particles))
        return idata
    finally:
        if own_executor:
            executor.shutdown()


def _resumed_plan(sampler, plan: RunPlan, iteration: int, asked: dict, settings: Settings) -> RunPlan:
    """The checkpoint's plan, with the lengths this call asks for (``--samples`` to continue a finished run)."""
    if "warmup" in asked and asked["warmup"] != plan.warmup and getattr(sampler, "plan", None) is None:
        # (a sampler with a plan decides its warm-up itself: a --warmup given again changes nothing)
        if plan.warmup_ended or asked["warmup"] < iteration:
            raise messages.resume_changes_warmup(plan.warmup, asked["warmup"])
        plan.warmup, plan.warmup_settled, plan.adaptive_warmup = int(asked["warmup"]), True, False
    if "samples" in asked:
        samples, warmup = plan_of(sampler, asked["samples"], plan.warmup)
        if warmup + samples < iteration:
            raise messages.resume_fewer_samples(iteration - plan.warmup, asked["samples"])
        plan.samples, plan.warmup, plan.until_converged = samples, warmup, False
    elif plan.stopped == "max_time":
        plan.until_converged = True  # a fresh time budget to get there
    elif plan.stopped:
        raise messages.run_already_finished(plan.samples, plan.stopped)
    plan.stopped = ""
    return plan


def _grow(records: dict, length: int) -> dict:
    """The records with room for ``length`` iterations (doubling, so extensions copy little)."""
    have = len(next(iter(records.values()))) if records else 0
    if length <= have:
        return records
    size = max(length, 2 * have)
    grown = {}
    for k, record in records.items():
        grown[k] = np.zeros((size,) + record.shape[1:], dtype=record.dtype)
        grown[k][:have] = record
    return grown


def _retarget(progress, plan: RunPlan) -> None:
    retarget = getattr(progress, "retarget", None)  # optional: a display that can change its total
    if retarget is not None:
        retarget(plan.total, plan.warmup)


def _duration(seconds: float) -> str:
    return f"{seconds:g} s" if seconds < 120 else f"{seconds / 60:g} min"


def _physical_memory() -> int | None:
    """This machine's memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not a POSIX system
        return None


def _check_memory(needed: int, iterations: int) -> None:
    """Refuse, before sampling, a run whose records would not fit in this machine's memory."""
    available = _physical_memory()
    if available is not None and needed > 0.8 * available:
        raise messages.run_too_large(needed, available, iterations)


def _fits_in_memory(records: dict, length: int) -> bool:
    """Whether records of ``length`` iterations would fit in 80% of this machine's memory (True if unknown)."""
    available = _physical_memory()
    per_iteration = sum(r[0].nbytes for r in records.values() if len(r))
    return available is None or per_iteration * max(length, 1) <= 0.8 * available


def _rows(values, rows):
    """The rows a sampler records as chains (all rows unless it says otherwise)."""
    return values if rows is None else np.asarray(values)[rows]


def _copy(state: dict) -> dict:
    return {k: np.array(v, copy=True) for k, v in state.items()}


@contextlib.contextmanager
def _deferred_interrupt():
    """Turn the first Ctrl-C into a flag checked between iterations (a second one stops at once).

    So a checkpoint always holds a whole iteration. Outside the main thread
    (where signal handlers cannot be set) Ctrl-C keeps its usual meaning.
    """
    hits = []

    def handler(signum, frame):
        hits.append(signum)
        if len(hits) > 1:
            raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        yield lambda: False
        return
    try:
        yield lambda: bool(hits)
    finally:
        signal.signal(signal.SIGINT, previous)


def _end_warmup(sampler, target, state):
    target.lock_adaptations()
    end = getattr(sampler, "end_warmup", None)
    return end(state) if end is not None else state


def _extra(target, elapsed: float, settings: Settings, plan: RunPlan, block_particles) -> dict:
    return {
        "adapters": target.adaptation_states(),
        "evaluations": target.evaluations,
        "simulator_counts": list(target.simulator_counts),
        "elapsed": elapsed,
        "settings": {k: v for k, v in settings_dict(settings).items() if k not in NOT_RESUMED},
        "plan": plan.as_dict(),
        "block_particles": block_particles,
    }


def _fingerprint(model, settings: Settings) -> str:
    """What must match for a checkpoint to be resumed: model, data, settings and options."""
    payload = {
        "source": model.source,
        "data": [hashlib.sha256(ds.values.tobytes() + ds.times.tobytes()).hexdigest() for ds in model.datasets],
        "settings": {k: v for k, v in settings_dict(settings).items() if k not in NOT_RESUMED + LENGTH_SETTINGS},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class _NoProgress:
    def start(self, total, done, warmup=None):
        pass

    def update(self, iteration, state, target):
        pass

    def note(self, line):
        pass

    def stop(self):
        pass

