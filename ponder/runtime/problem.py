"""A problem: a compiled model and its datasets -- what the runtime works on.

:class:`Problem` is what likelihoods, samplers, methods and executors see
(:class:`ponder.Model` is a Problem with the user-facing API on top). A
worker process rebuilds the same problem from :class:`ProblemSpec`, a small
picklable description, with :func:`load_problem`: the source is compiled
against the plugin manager's library (so plugin distributions and functions
are loaded in workers too) and the data are read again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

import numpy as np

from ponder.lang.compiler import CompiledModel, compile_text
from ponder.lang import messages
from ponder.runtime.data import Dataset, load_datasets
from ponder.runtime.settings import infer_settings


@dataclass(frozen=True)
class ProblemSpec:
    """What a worker needs to rebuild a problem (picklable, small)."""

    source: str
    name: str  # the file name shown in errors
    base_dir: str
    default_name: str = "model"  # the model's name when it has no `model NAME` line
    #: datasets instead of the model's `data`/`replicate` lines (``--data``): ``(path or glob, ((const, value), ...))``
    #: pairs, relative to the current folder; None: the model's own
    data: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] | None = None
    #: constants overridden for every dataset (``--const``), winning over a replicate's own overrides
    consts: tuple[tuple[str, float], ...] = ()
    #: a data file that does not exist is no dataset instead of an error (``ponder simulate --times``)
    missing_data_ok: bool = False


class Problem:
    """A compiled model and its datasets."""

    def __init__(self, compiled: CompiledModel, datasets: list[Dataset], base_dir: Path, path: str,
                 infer: dict | None = None):
        self.compiled = compiled
        self.ir = compiled.ir
        self.kernels = compiled.kernels
        self.datasets = datasets
        self.base_dir = base_dir
        self.path = path
        if infer is None:
            settings, options = infer_settings(compiled.ir)
            infer = {**settings, **options}
        #: the ``infer { }`` block, checked: run settings, then sampler and likelihood options
        self.infer = infer

    @property
    def spec(self) -> ProblemSpec:
        loaded = self.__dict__.get("_spec")  # what load_problem read: --data files and --const overrides kept
        return loaded or ProblemSpec(self.source, str(self.path), str(self.base_dir), self.ir.name)

    @property
    def name(self) -> str:
        return self.ir.name

    @property
    def source(self) -> str:
        return self.ir.source.text

    @property
    def library(self):
        """The distributions and functions the model was compiled against."""
        return self.compiled.library

    @property
    def param_names(self) -> list[str]:
        """Declared parameter names, in order (a vector parameter is one name)."""
        return [p.name for p in self.ir.params]

    @property
    def param_slot_names(self) -> list[str]:
        """One name per entry of the flat parameter vector (``v[0]``, ``v[1]``, ...)."""
        return self.ir.param_slot_names

    @property
    def state_names(self) -> list[str]:
        return [s.name for s in self.ir.states]

    @property
    def observed_names(self) -> list[str]:
        return self.ir.observed_columns

    @property
    def is_deterministic(self) -> bool:
        return self.ir.deterministic

    @property
    def infer_defaults(self) -> dict:
        return dict(self.infer)

    def consts(self, dataset: Dataset | None = None, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """The constants vector the kernels take for ``dataset``: its constants (replicate overrides
        applied), then its inputs' tables (:func:`ponder.runtime.inputs.pack`).

        Without a dataset the inputs are the first dataset's, or else read from the model's
        ``input NAME from "file"`` lines.
        """
        over = np.full(self.ir.n_const_slots, np.nan)
        decls = {c.name: c for c in self.ir.consts}
        given = dict(dataset.overrides) if dataset is not None else {}
        given.update(overrides or {})
        for key, value in given.items():
            if key not in decls:
                raise messages.unknown_constant(key, decls)
            if decls[key].shape:
                raise messages.vector_constant_override(key)
            over[decls[key].offset] = float(value)
        out = np.empty(self.ir.n_const_slots)
        self.kernels.compute_consts(over, out)
        if not self.ir.inputs:
            return out
        from ponder.runtime.inputs import pack

        if dataset is None and self.datasets:
            dataset = self.datasets[0]
        if dataset is not None and dataset.inputs:
            inputs = dataset.inputs
        elif all(inp.path is not None for inp in self.ir.inputs):
            inputs = self.file_inputs()
        else:  # no data to read the inputs from: the prior's and derived quantities' kernels do not read them,
            return out  # and a simulation checks for them first (check_inputs_cover)
        return np.concatenate([out, pack(self.ir, inputs)])

    def file_inputs(self) -> dict:
        """The inputs read from the model's own files (``input NAME from "file"``), for runs without data."""
        cached = self.__dict__.get("_file_inputs")
        if cached is None:
            from ponder.runtime.inputs import load_for_dataset

            for inp in self.ir.inputs:
                if inp.path is None:
                    raise messages.input_needs_data(inp.name, self.ir.spans.get("input:" + inp.name), self.ir.source)
            cached = load_for_dataset(self.ir, None, np.empty(0), "", Path(self.base_dir))
            self.__dict__["_file_inputs"] = cached
        return cached

    def check_inputs_cover(self, dataset: Dataset | None, t_end: float) -> None:
        """Every input of ``dataset`` (or the model's files) covers ``t0`` to ``t_end`` (a simulation's last time)."""
        from ponder.runtime.inputs import check_covers

        inputs = dataset.inputs if dataset is not None and dataset.inputs else self.file_inputs() if self.ir.inputs else {}
        for name, series in inputs.items():
            check_covers(series, self.ir.t0, t_end, self.ir.spans.get("input:" + name), self.ir.source)


def compile_model(text: str, name: str = "<string>", default_name: str = "model") -> CompiledModel:
    """Compile model text against ponder's and the installed plugins' library."""
    from ponder.plugins.manager import plugins

    return compile_text(text, plugins().library, name, default_name=default_name)


def load_problem(spec: ProblemSpec, cls=Problem) -> Problem:
    """Compile ``spec``'s source and read its data (in a worker process, or for :func:`ponder.loads`)."""
    compiled = compile_model(spec.source, spec.name, default_name=_identifier(spec.default_name))
    if compiled.ir.warnings and os.environ.get("PONDER_STRICT", "") not in ("", "0"):
        raise compiled.ir.warnings[0].as_error()
    settings, options = infer_settings(compiled.ir)  # before the data: an `infer { }` mistake is reported first
    base = Path(spec.base_dir).resolve()
    for _, overrides in spec.data or ():
        _check_overrides(compiled, overrides)
    _check_overrides(compiled, spec.consts, every_dataset=True)
    datasets = load_datasets(compiled.ir, base, spec.data, spec.consts, spec.missing_data_ok, compiled.library)
    found = tuple(w for ds in datasets for w in ds.warnings)  # the data's warnings join the model's
    if found:
        if os.environ.get("PONDER_STRICT", "") not in ("", "0"):
            raise found[0].as_error()
        compiled = replace(compiled, ir=replace(compiled.ir, warnings=compiled.ir.warnings + found))
    problem = cls(compiled, datasets, base, spec.name, {**settings, **options})
    if spec.data is not None or spec.consts:
        # workers read the very files read here (absolute paths, globs expanded), whatever their folder
        files = tuple((ds.path, ds.overrides) for ds in datasets) if spec.data is not None else None
        problem.__dict__["_spec"] = replace(spec, data=files, missing_data_ok=False)
    return problem


def _check_overrides(compiled: CompiledModel, overrides, every_dataset: bool = False) -> None:
    """Constant overrides given to a command or the API: each names a `const` that sizes nothing.

    ``every_dataset`` (``--const``): the prior may not depend on it either,
    as the prior is one for all datasets and keeps the model's constants.
    """
    if not overrides:
        return
    model = compiled.ir
    names = [c.name for c in model.consts]
    for name, _ in overrides:
        if name not in names:
            raise messages.unknown_constant_override(name, names)
    sizes = _size_consts(compiled)
    for name, _ in overrides:
        if name in sizes:
            raise messages.override_of_a_size(name, sizes[name], sizes[name]).with_source(model.source)
    if every_dataset:
        from ponder.lang import ir

        defined = {c.name: c.value for c in model.consts}

        def uses(expr, seen):  # the constants an expression depends on, through other constants
            for node in ir.walk(expr):
                if isinstance(node, ir.Ref) and node.kind == "const" and node.name not in seen:
                    seen.add(node.name)
                    if node.name in defined:
                        uses(defined[node.name], seen)
            return seen

        for p in model.params:
            used = uses(p.prior, set())
            hit = next((name for name, _ in overrides if name in used), None)
            if hit is not None:
                raise messages.override_of_a_prior_constant(hit, model.spans.get(p.name), model.source)


def _size_consts(compiled: CompiledModel) -> dict:
    """``{const: span of its use}`` for the constants a size, loop bound, step or ``t0`` was computed from.

    The IR keeps the sizes, not where they came from, so the check that
    rejects a replicate overriding one is run again on the model's source.
    """
    from ponder.lang.check import _Checker
    from ponder.lang.parser import parse

    source = compiled.ir.source
    checker = _Checker(parse(source.text, source.name), compiled.library, compiled.ir.name)
    checker.run()
    return dict(getattr(checker, "size_consts", {}))


def _identifier(stem: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in stem)
    return cleaned if cleaned and not cleaned[0].isdigit() else "model"
