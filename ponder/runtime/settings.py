"""Run settings: the one table the checker's ``infer`` block, the CLI, the REPL and the API all read.

Each setting is an :class:`~ponder.plugins.options.Option` (name, type,
default, help, bounds). A run's settings come from explicit values, then the
model's ``infer { }`` block, then these defaults (:func:`resolve_settings`).
Any other key of ``infer { }`` must be an option declared by the chosen
sampler or likelihood (:func:`infer_settings` checks both, with the key's
file:line:column).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ponder.lang import messages
from ponder.lang.errors import ModelError, located
from ponder.plugins.options import Option, coerce_options, declared_options

#: The most particles a filter may use: each particle array takes N x states x 8 bytes (2**24 x 8 states: 1 GiB).
MAX_PARTICLES = 2**24


def check_particles(value) -> None:
    """A ModelError unless ``value`` ("N" or "MIN:MAX", as the ``particles`` option's text) is at most :data:`MAX_PARTICLES`.

    Its form is checked too (the filter's ``parse_particles`` would refuse it later, after the model's set-up).
    """
    parts = str(value).split(":")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise messages.not_a_particle_number(value) from None
    if len(numbers) not in (1, 2) or numbers[0] < 1 or numbers[-1] < numbers[0]:
        raise messages.not_a_particle_number(value)
    if numbers[-1] > MAX_PARTICLES:
        raise messages.too_many_particles(value, MAX_PARTICLES)

#: the default sampler: 4 chains of adaptive Metropolis reach R-hat <= 1.01 and ESS >= 400 on every example within the
#: default time budget, where 16 ensemble walkers need many times the likelihood evaluations
#: (``benchmarks/defaults.py``)
DEFAULT_SAMPLER = "mh"
#: the defaults of ``--target-rhat`` and ``--target-ess`` (Vehtari et al. 2021's recommendations)
TARGET_RHAT = 1.01
TARGET_ESS = 400
#: seconds a run that samples until converged may take (``--max-time``)
DEFAULT_MAX_TIME = 300.0

#: the most samples (and warm-up iterations) per chain a run may ask for
MAX_SAMPLES = 10**9

SETTINGS = (
    Option("sampler", str, DEFAULT_SAMPLER, "the sampler (mh, ensemble, pt or a plugin's)"),
    Option("likelihood", str, "auto", "auto, direct, pf or a plugin's"),
    Option("samples", int, None, "draws per chain after warm-up, exactly (default: until converged)", minimum=1,
           maximum=MAX_SAMPLES),
    Option("warmup", int, None, "warm-up iterations (default: until the warm-up settles)", minimum=0,
           maximum=MAX_SAMPLES),
    Option("chains", int, None, "chains, walkers or replicas (the sampler's default)", minimum=1),
    Option("particles", str, None, f"N or MIN:MAX for the particle filter (runs: 64:4096; N at most {MAX_PARTICLES})",
           check=check_particles),
    Option("executor", str, "auto", "auto, serial, threads, processes, mpi or a plugin's"),
    Option("workers", int, None, "workers of the executor", minimum=1),
    Option("seed", int, None, "random seed in [0, 2**63) (default: a fresh one, printed in the report)", minimum=0,
           below=2**63),
    Option("resampling", str, None, "the particle filter's resampling scheme"),
    Option("thin", int, 1, "keep every thin-th draw", minimum=1),
    Option("target_rhat", float, TARGET_RHAT, "sample until every parameter's R-hat is at most this", above=1.0,
           maximum=2.0),
    Option("target_ess", int, TARGET_ESS, "... and its bulk and tail ESS at least this", minimum=1,
           maximum=MAX_SAMPLES),
    Option("max_time", float, DEFAULT_MAX_TIME, "seconds the run may take when sampling until converged",
           above=0.0),
)
SETTING_NAMES = tuple(o.name for o in SETTINGS)
ALIASES = {"walkers": "chains"}
#: settings a resumed run takes from its checkpoint unless given again (where it runs is the caller's choice)
NOT_RESUMED = ("executor", "workers")
#: settings a resumed run may change: how long it runs, not what it draws
LENGTH_SETTINGS = ("samples", "warmup", "target_rhat", "target_ess", "max_time", "thin")
DEFAULT_PARTICLES_FOR_RUNS = "64:4096"


@dataclass
class Settings:
    sampler: str = DEFAULT_SAMPLER
    likelihood: str = "auto"
    samples: int | None = None
    warmup: int | None = None
    chains: int | None = None
    particles: object = None
    executor: object = "auto"
    workers: int | None = None
    seed: int | None = None
    resampling: str | None = None
    thin: int = 1
    target_rhat: float = TARGET_RHAT
    target_ess: int = TARGET_ESS
    max_time: float = DEFAULT_MAX_TIME
    #: options of the sampler and the likelihood (``--option``, ``infer { }``, keyword arguments)
    options: dict = field(default_factory=dict)


def settings_dict(settings: Settings) -> dict:
    """Settings as plain values (an executor object appears as its name)."""
    out = {f.name: getattr(settings, f.name) for f in fields(settings)}
    if not isinstance(out["executor"], str):
        out["executor"] = getattr(out["executor"], "name", type(out["executor"]).__name__)
    return out


def _setting(name: str) -> Option:
    return SETTINGS[SETTING_NAMES.index(name)]


def coerce_setting(name: str, value):
    """One run setting, converted to its type and checked (a ModelError otherwise)."""
    return _setting(name).coerce(value, "") if value is not None else None


def infer_settings(model_ir) -> tuple[dict, dict]:
    """The model's ``infer { }`` block checked: (run settings, sampler and likelihood options).

    Keys that are not run settings must be options declared by the block's
    (or the default) sampler or likelihood. Errors point at the key.
    """
    from ponder.plugins.manager import plugins

    raw = dict(model_ir.infer)
    spans = model_ir.spans
    settings, options = {}, {}
    for key, value in raw.items():
        name = ALIASES.get(key, key)
        if name in SETTING_NAMES:
            try:
                settings[name] = coerce_setting(name, value)
            except ModelError as err:
                raise located(err, spans.get("infer-value:" + key), model_ir.source) from None
    owners = {}
    for kind, registry, default in (("sampler", plugins().samplers, DEFAULT_SAMPLER),
                                    ("likelihood", plugins().likelihoods, None)):
        chosen = settings.get(kind, default)
        if chosen in (None, "auto", "replicates"):
            continue
        try:
            factory = registry.get(chosen)
        except ModelError as err:
            raise located(err, spans.get("infer-value:" + kind), model_ir.source) from None
        for option in declared_options(factory) or ():
            owners.setdefault(option.name, (f"the `{chosen}` {kind}", declared_options(factory)))
    for key, value in raw.items():
        if ALIASES.get(key, key) in SETTING_NAMES:
            continue
        if key not in owners:
            known = list(SETTING_NAMES) + list(ALIASES) + list(owners)
            raise messages.unknown_infer_setting(key, spans.get("infer:" + key), known, model_ir.source)
        owner, declared = owners[key]
        try:
            options.update(coerce_options(declared, {key: value}, owner))
        except ModelError as err:
            raise located(err, spans.get("infer-value:" + key), model_ir.source) from None
    return settings, options
