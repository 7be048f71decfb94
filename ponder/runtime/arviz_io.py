"""The one adapter between ponder's results and ArviZ: ``InferenceData`` (ArviZ 0.23) or ``DataTree`` (ArviZ >= 1).

Results are built as one nested dict ``{group: {variable: array}}`` with
``dims`` and ``coords`` (:func:`ponder.runtime.results.results_dict`);
:func:`from_groups` turns it into whichever object the installed ArviZ
makes. Every reader (summary tables, figures, reports, the REPL) goes
through :func:`group`, :func:`group_names`, :func:`read` and
:func:`summary_frame`, so both ArviZ lines work. On Python 3.11 pip installs
ArviZ 0.23; on 3.12 and later the newest ArviZ.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

from ponder.lang import messages


@functools.lru_cache(maxsize=1)
def arviz():
    """The ``arviz`` module, imported quietly (ArviZ 0.23 announces its refactor on import)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz as az
    return az


def is_datatree() -> bool:
    """True with ArviZ 1.x, whose results are an ``xarray.DataTree``."""
    return int(arviz().__version__.split(".")[0]) >= 1


def from_groups(groups: dict, coords: dict, dims: dict, attrs: dict, warmup: bool, extra_coords: dict | None = None):
    """The ArviZ object of ``groups`` (empty groups left out); ``attrs`` go on every group.

    ``extra_coords`` maps a group to non-dimension coordinates
    ``{name: (dim, values)}`` added after conversion.
    """
    az = arviz()
    groups = {name: values for name, values in groups.items() if values}
    with warnings.catch_warnings():
        # ponder keeps the likelihood estimate in sample_stats on purpose; one-chain runs warn about shapes
        warnings.simplefilter("ignore")
        if is_datatree():
            results = az.from_dict(groups, coords=coords, dims=dims, save_warmup=warmup,
                                   attrs={name: dict(attrs) for name in groups})
        else:
            results = az.from_dict(**groups, coords=coords, dims=dims, save_warmup=warmup, attrs=attrs)
    for name, extra in (extra_coords or {}).items():
        set_group(results, name, group(results, name).assign_coords(extra))
    for name in group_names(results):
        _node(results, name).attrs.update(attrs)
    return results


def group_names(results) -> list[str]:
    """The groups a results object has (``posterior``, ``sample_stats``, ...)."""
    if hasattr(results, "children"):  # DataTree
        return list(results.children)
    return list(results.groups())


def group(results, name: str):
    """Group ``name`` as an ``xarray.Dataset`` (with its attributes), or None if the results lack it."""
    if name not in group_names(results):
        return None
    node = _node(results, name)
    return node.to_dataset() if hasattr(node, "to_dataset") else node


def set_group(results, name: str, dataset) -> None:
    """Replace group ``name`` by ``dataset``."""
    if hasattr(results, "children"):
        import xarray as xr

        results[name] = xr.DataTree(dataset)
    else:
        setattr(results, name, dataset)


def _node(results, name: str):
    return results[name] if hasattr(results, "children") else getattr(results, name)


def write(results, path: Path) -> Path:
    """Write netCDF (engine ``h5netcdf``) atomically: to a fresh temporary file next to ``path``, renamed over it."""
    import os

    from ponder.runtime.outputs import scratch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = scratch(path)  # its own name: two writers never share a temporary file
    try:
        results.to_netcdf(str(tmp), engine="h5netcdf")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_results(idata, out_path: Path, ckpt_path: Path | None) -> None:
    """Write the finished results to ``out_path``; if the write fails after all (the disk filled, the folder went
    away), save them next to the checkpoint instead and say where."""
    try:
        write(idata, out_path)
    except OSError as err:
        if ckpt_path is None:
            raise messages.results_not_written(str(out_path), err.strerror or str(err), None) from None
        rescue = ckpt_path.with_name(out_path.name + ".saved.nc")
        write(idata, rescue)
        raise messages.results_not_written(str(out_path), err.strerror or str(err), str(rescue)) from None


def read(path: Path):
    """A results object from a netCDF file (raises what ArviZ raises for a file that is not one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return arviz().from_netcdf(str(path))


def summary_frame(results, var_names, prob: float = 0.94):
    """ArviZ's summary as a DataFrame with columns mean, sd, hdi_3%, hdi_97%, mcse_*, ess_bulk, ess_tail, r_hat."""
    az = arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if is_datatree():
            frame = az.summary(results, var_names=var_names, kind="all", ci_prob=prob, ci_kind="hdi")
            pct = round(100 * prob)
            low, high = f"hdi_{round(50 - pct / 2):g}%", f"hdi_{round(50 + pct / 2):g}%"
            frame = frame.rename(columns={f"hdi{pct}_lb": low, f"hdi{pct}_ub": high})
            return frame.apply(lambda column: column.astype(float) if column.dtype == object else column)
        return az.summary(results, var_names=var_names, hdi_prob=prob, kind="all")


def loo(results) -> tuple[float, float, int]:
    """PSIS-LOO of the results: (elpd_loo, its standard error, number of observations), on either ArviZ line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = arviz().loo(results)
    elpd = getattr(found, "elpd_loo", None)
    return float(found.elpd if elpd is None else elpd), float(found.se), int(found.n_data_points)
