"""Datasets: CSV files of observations, one per replicate.

A data file is a CSV with a header row, a ``time`` column with strictly
increasing times, and one column per observed variable. Empty cells, ``NA``,
``NaN`` and ``.`` are missing values, which the likelihoods skip. Other
columns are kept (``extra``) but not used. Every problem is a
:class:`~ponder.lang.errors.ModelError` pointing at the file, line and column
of the culprit, or at the ``data`` line of the model when the file is missing.

Observed values are checked against what their error model can give (its
distribution's support, with the arguments known from the data: constants,
inputs, the time): a count for ``Poisson`` is a whole number at least 0, a
``Binomial`` count at most its ``n``. A file whose observed values are all
missing is read with a warning (a run on it gives back the prior).
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ponder.lang import ir, messages
from ponder.lang.errors import Source, Span
from ponder.lang.fold import fold
from ponder.lang.library import Library, python_function
from ponder.runtime.inputs import load_for_dataset, values_at
from ponder.runtime.tables import (  # noqa: F401 (read_table: re-exported)
    MISSING,
    Table,
    _column_of,
    excerpt_at,
    path_kind,
    read_table,
    shown_names,
)


@dataclass(frozen=True)
class Dataset:
    """One replicate: observation times, values (NaN = missing), const overrides."""

    name: str
    path: str
    times: np.ndarray  # (T,)
    values: np.ndarray  # (T, K), columns in the model's observation order
    columns: tuple[str, ...]
    overrides: tuple[tuple[str, float], ...] = ()
    extra: dict = field(default_factory=dict, compare=False)
    #: each input's series (:class:`ponder.runtime.inputs.InputSeries`), by name
    inputs: dict = field(default_factory=dict, compare=False)
    #: what reading the file found suspicious (:class:`~ponder.lang.errors.ModelWarning`)
    warnings: tuple = field(default=(), compare=False)

    @property
    def n_times(self) -> int:
        return len(self.times)

    @property
    def n_observed(self) -> int:
        """Number of non-missing observed values."""
        return int(np.sum(~np.isnan(self.values)))


def load_datasets(model: ir.ModelIR, base_dir: Path, files=None, consts=(), missing_ok: bool = False,
                  library: Library | None = None) -> list[Dataset]:
    """Read every dataset a model declares and check it against the model (with ``library``, the one it was
    compiled against, observed values against their error models too).

    ``files``, when given, replaces the model's ``data``/``replicate`` lines
    (``--data``): ``(path or glob, overrides)`` pairs, relative to the current
    folder. ``consts`` (``--const``: ``(name, value)`` pairs) override the
    constants of every dataset, winning over a replicate's own overrides.
    With ``missing_ok`` a file that does not exist is no dataset rather than an
    error (``ponder simulate --times`` needs no data).
    """
    if files is None:
        specs = model.datasets
    else:
        specs = tuple(ir.DatasetSpec(str(pattern), tuple(dict(over).items()), None, any(c in str(pattern) for c in "*?["))
                      for pattern, over in files)
    consts = tuple(dict(consts).items())
    out: list[Dataset] = []
    read: dict = {}  # input files read once, shared by the datasets that use them
    for spec in specs:
        paths = _resolve(spec, base_dir if files is None else Path.cwd(), model.source, missing_ok)
        overrides = tuple({**dict(spec.overrides), **dict(consts)}.items())
        for path in paths:
            display = _display(path, base_dir)
            table = read_table(path, display, spec.span, model.source)
            out.append(dataset_from_table(model, table, display, str(path), overrides, base_dir, spec.inputs, read,
                                          library))
    return out


def _display(path: Path, base_dir: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _resolve(spec: ir.DatasetSpec, base_dir: Path, source: Source, missing_ok: bool = False) -> list[Path]:
    pattern = Path(spec.pattern)
    full = pattern if pattern.is_absolute() else base_dir / pattern
    given = spec.span is None  # from --data (or the API's data=), not a line of the model
    if spec.is_glob:
        found = sorted(Path(p) for p in glob.glob(str(full)) if Path(p).is_file())
        if not found and not missing_ok:
            if given:
                raise messages.given_data_no_match(spec.pattern, base_dir)
            raise messages.no_file_matches(spec.pattern, spec.span, base_dir, source)
        return found
    if path_kind(full, spec.pattern, spec.span, source) is None:  # a folder: reading it says so
        if missing_ok:
            return []
        nearby = [p.name for p in full.parent.iterdir() if p.is_file()] if full.parent.is_dir() else []
        if given:
            raise messages.given_data_file_not_found(spec.pattern, base_dir, full.name, nearby)
        raise messages.data_file_not_found(spec.pattern, spec.span, base_dir, source, full.name, nearby)
    return [full]


def dataset_from_table(
    model: ir.ModelIR, table: Table, name: str, path: str, overrides: tuple[tuple[str, float], ...] = (),
    base_dir: Path | None = None, input_files: tuple[tuple[str, str], ...] = (), read: dict | None = None,
    library: Library | None = None,
) -> Dataset:
    """Check a table against the model (time column, observed columns, times, inputs) and build a Dataset.

    ``input_files``: the dataset's own input files (a replicate's); ``read``
    caches input files across datasets; with ``library`` (the model's) the
    observed values are checked against their error models.
    """
    source = table.source
    if "time" not in table.columns:
        span, shown = excerpt_at(Span.point(table.header_line, 1, len(source.line(table.header_line))), source)
        raise messages.data_without_time_column(span, shown_names(table.header), shown)
    times = table.columns["time"]
    time_col = _column_of(source.text, table.header_line, table.header.index("time"))
    for i, t in enumerate(times):
        if np.isnan(t):
            raise messages.data_time_missing(*excerpt_at(Span.point(table.lines[i], time_col), source))
        if i and t <= times[i - 1]:
            raise messages.data_times_not_increasing(
                t, times[i - 1], *excerpt_at(Span.point(table.lines[i], time_col, len(str(t))), source)
            )
    if times[0] < model.t0:
        raise messages.data_before_t0(times[0], model.t0, *excerpt_at(Span.point(table.lines[0], time_col), source))
    _check_grid(model, times, table, time_col)
    columns = []
    for column in model.observed_columns:
        if column not in table.columns:
            span = model.spans.get("observe:" + column)
            raise messages.observed_column_missing(column, name, span, shown_names(table.header), model.source)
        columns.append(table.columns[column])
    values = np.column_stack(columns) if columns else np.zeros((len(times), 0))
    extra = {k: v for k, v in table.columns.items() if k != "time" and k not in set(model.observed_columns)}
    inputs = {}
    if model.inputs:
        inputs = load_for_dataset(model, table, times, name, base_dir or Path("."), input_files, read)
    if library is not None:
        _check_support(model, library, table, times, values, dict(overrides), inputs)
    return Dataset(name, path, times.copy(), values, tuple(model.observed_columns), overrides, extra,
                   inputs, warnings=_all_missing(model, table, values))


def _all_missing(model: ir.ModelIR, table: Table, values: np.ndarray) -> tuple:
    """A warning when the table observes nothing: every value of every observed column missing."""
    if not values.size or not np.isnan(values).all():
        return ()
    columns = list(model.observed_columns)
    first = table.header.index(columns[0])
    where = Span.point(table.header_line, _column_of(table.source.text, table.header_line, first), len(columns[0]))
    return (messages.observations_all_missing(columns, *excerpt_at(where, table.source)),)


def _check_support(model: ir.ModelIR, library: Library, table: Table, times: np.ndarray, values: np.ndarray,
                   overrides: dict, inputs: dict) -> None:
    """Every observed value must be one its error model can give: inside the support of the distribution
    (with the arguments the data fix: constants, inputs, time; the others nan), a whole number for a
    discrete one. The first value that is not, in file order, is a ModelError at its cell."""
    consts = _constant_values(model, overrides, library)
    at_times = {name: values_at(series, times, _interpolation(model, name)) for name, series in inputs.items()}
    bad = []  # (row, column, observation, lower, upper): each column's first impossible value
    k = 0
    for obs in model.observations:
        if obs.size:  # a multivariate observation: not checked
            k += obs.size
            continue
        dist = library.distributions[obs.dist.name]
        lower, upper = _support_at_rows(model, dist, obs.dist.args, consts, at_times, times, library)
        x = values[:, k]
        with np.errstate(invalid="ignore"):
            wrong = ~np.isnan(x) & ((x < lower) | (x > upper) | (dist.discrete & (x != np.floor(x))))
        if wrong.any():
            i = int(np.argmax(wrong))
            bad.append((i, k, obs, float(np.broadcast_to(lower, x.shape)[i]), float(np.broadcast_to(upper, x.shape)[i])))
        k += 1
    if not bad:
        return
    i, k, obs, lower, upper = min(bad, key=lambda b: b[:2])
    x = float(values[i, k])
    line = table.lines[i]
    start = _column_of(table.source.text, line, table.header.index(obs.column))
    cell = table.source.line(line)[start - 1:].split(",", 1)[0].rstrip()
    span, shown = excerpt_at(Span.point(line, start, len(cell)), table.source)
    declared = model.spans.get("observe:" + obs.column)
    if declared is None or model.source is None:
        error_model = f"`observe {obs.column} ~ {ir.format_dist(obs.dist)}`"
    else:
        text = model.source.line(declared.line).split("#", 1)[0].strip()  # no strings on an `observe` line
        error_model = f"`{text}` ({model.source.name}:{declared.line})"
    if x < lower or x > upper:
        raise messages.observed_outside_support(obs.column, x, obs.dist.name, lower if x < lower else upper,
                                                error_model, span, shown, below=x < lower)
    raise messages.observed_not_whole(obs.column, x, obs.dist.name, error_model, span, shown)


def _interpolation(model: ir.ModelIR, name: str) -> str:
    return next(inp.interpolate for inp in model.inputs if inp.name == name)


def _constant_values(model: ir.ModelIR, overrides: dict, library: Library) -> dict[str, tuple[float, ...]]:
    """Each constant's elements for a dataset with ``overrides`` (a replicate's or ``--const``), folded."""
    values: dict[str, tuple[float, ...]] = {}
    ref = _constants_ref(model, values)  # sees the constants as they are added (one table, not one per constant)
    for c in model.consts:
        if c.name in overrides:
            values[c.name] = (float(overrides[c.name]),)
            continue
        elements = [_fold_or_none(e, ref, library) for e in (c.elements or (c.value,))]
        if all(v is not None for v in elements):
            values[c.name] = tuple(elements)
    return values


def _constants_ref(model: ir.ModelIR, consts: dict[str, tuple[float, ...]], row: int | None = None,
                   at_times: dict | None = None, times: np.ndarray | None = None):
    """The ``ref`` of :func:`~ponder.lang.fold.fold` that knows the constants ``consts`` and, at a data row,
    the inputs and the time there; every other name is unknown."""
    shapes = {c.name: c.shape for c in model.consts}

    def ref(node: ir.Ref, index: int | None, column: int | None) -> float | None:
        if node.kind == "const" and node.name in consts:
            k = 0 if index is None else index if column is None else index * shapes[node.name][1] + column
            return consts[node.name][k] if 0 <= k < len(consts[node.name]) else None
        if row is not None and node.kind == "input" and node.name in at_times:
            return float(at_times[node.name][row])
        if row is not None and node.kind == "time":
            return float(times[row])
        return None

    return ref


def _support_at_rows(model: ir.ModelIR, dist, args, consts: dict, at_times: dict, times: np.ndarray,
                     library: Library):
    """The support of ``dist`` at every row (arrays), or once (numbers) when its arguments do not change with
    the rows; an argument the data do not fix is nan, and so is every end that depends on it."""
    def arguments(row: int | None) -> list[float]:
        ref = _constants_ref(model, consts, row, at_times, times)
        found = [_fold_or_none(a, ref, library) for a in args]
        return [np.nan if v is None else v for v in found]

    support = python_function(dist.support)
    varying = any(isinstance(n, ir.Ref) and n.kind in ("input", "time") for n in ir.walk(args))
    try:
        if not varying:
            lower, upper = support(*arguments(None))
            return float(lower), float(upper)
        ends = np.array([support(*arguments(i)) for i in range(len(times))], dtype=float).reshape(len(times), 2)
        return ends[:, 0], ends[:, 1]
    except (ValueError, ArithmeticError, TypeError):  # a plugin's support that cannot take nan: nothing checked
        return np.nan, np.nan


def _fold_or_none(e: ir.IExpr, ref, library: Library) -> float | None:
    try:
        return fold(e, ref, library.functions)
    except OverflowError:
        return None


def first_off_grid(model: ir.ModelIR, times: np.ndarray) -> int:
    """Index of the first time not on a `step` model's grid t0 + k dt, or -1."""
    dyn = model.dynamics
    if not isinstance(dyn, ir.StepDynamics):
        return -1
    steps = (np.asarray(times, dtype=float) - model.t0) / dyn.dt
    off = np.abs(steps - np.round(steps)) > 1e-6 * np.maximum(1.0, np.abs(steps))
    return int(np.argmax(off)) if off.any() else -1


#: The most sub-steps a `step` model may take from t0 to its last time (beyond, a count overflows or never ends).
MAX_STEPS = 10**9


def too_many_steps(model: ir.ModelIR, times: np.ndarray) -> float:
    """The number of `step` sub-steps from t0 to the last time when it exceeds :data:`MAX_STEPS`, else 0."""
    dyn = model.dynamics
    if not isinstance(dyn, ir.StepDynamics) or len(times) == 0:
        return 0.0
    steps = (float(np.max(times)) - model.t0) / dyn.dt
    return steps if not steps <= MAX_STEPS else 0.0


def _check_grid(model: ir.ModelIR, times: np.ndarray, table: Table, time_col: int) -> None:
    """Observation times of a `step` model must fall on its step grid, within :data:`MAX_STEPS` steps of t0."""
    steps = too_many_steps(model, times)
    if steps:
        last = int(np.argmax(times))
        raise messages.data_too_many_steps(steps, MAX_STEPS, model.dynamics.dt,
                                           *excerpt_at(Span.point(table.lines[last], time_col), table.source))
    i = first_off_grid(model, times)
    if i >= 0:
        dyn = model.dynamics
        raise messages.data_time_off_grid(
            times[i], dyn.dt, model.t0, *excerpt_at(Span.point(table.lines[i], time_col), table.source)
        )


def times_dataset(model: ir.ModelIR, times: np.ndarray) -> Dataset:
    """A dataset with the given times and every value missing (for simulation)."""
    times = np.asarray(times, dtype=float)
    k = len(model.observed_columns)
    return Dataset("times", "", times, np.full((len(times), k), np.nan), tuple(model.observed_columns))
