"""A problem: a compiled model and its datasets -- what the runtime works on.

:class:`Problem` is what likelihoods, samplers, methods and executors see
(:class:`ponder.Model` is a Problem with the user-facing API on top). A
worker process rebuilds the same problem from :class:`ProblemSpec`, a small
picklable description, with :func:`load_problem`: the source is compiled
against the plugin manager's library (so plugin distributions and functions
are loaded in workers too) and the data are read again.
"""

from __future__ import annotations

from dataclasses import dataclass
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
        return ProblemSpec(self.source, str(self.path), str(self.base_dir), self.ir.name)

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
        return [o.column for o in self.ir.observations]

    @property
    def is_deterministic(self) -> bool:
        return self.ir.deterministic

    @property
    def infer_defaults(self) -> dict:
        return dict(self.infer)

    def consts(self, dataset: Dataset | None = None, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """Constant values for ``dataset`` (its replicate overrides applied)."""
        over = np.full(len(self.ir.consts), np.nan)
        names = {c.name: c.offset for c in self.ir.consts}
        given = dict(dataset.overrides) if dataset is not None else {}
        given.update(overrides or {})
        for key, value in given.items():
            if key not in names:
                raise messages.unknown_constant(key, names)
            over[names[key]] = float(value)
        out = np.empty(len(self.ir.consts))
        self.kernels.compute_consts(over, out)
        return out


def compile_model(text: str, name: str = "<string>", default_name: str = "model") -> CompiledModel:
    """Compile model text against ponder's and the installed plugins' library."""
    from ponder.plugins.manager import plugins

    return compile_text(text, plugins().library, name, default_name=default_name)


def load_problem(spec: ProblemSpec, cls=Problem) -> Problem:
    """Compile ``spec``'s source and read its data (in a worker process, or for :func:`ponder.loads`)."""
    compiled = compile_model(spec.source, spec.name, default_name=_identifier(spec.default_name))
    settings, options = infer_settings(compiled.ir)  # before the data: an `infer { }` mistake is reported first
    base = Path(spec.base_dir).resolve()
    return cls(compiled, load_datasets(compiled.ir, base), base, spec.name, {**settings, **options})


def _identifier(stem: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in stem)
    return cleaned if cleaned and not cleaned[0].isdigit() else "model"
