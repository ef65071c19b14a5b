"""The parts folder of a resumable fit-many run: per-slice files, manifest, lock, and combining.

With ``out="RESULT.nc"`` every finished slice is written at once, atomically,
to ``RESULT.nc.parts/slice_<i>.nc`` next to a ``manifest.json`` that records
which run the parts belong to (the fingerprint of
:func:`arpes_sigma.many.slices.fingerprint`). Each part carries the
fingerprint too, so a part is trusted even if the manifest update after it was
cut off; parts of a different run are refused. A lock file keeps two runs from
writing the same parts folder at once.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ConfigError
from ..io.writers import atomic_write

__all__ = [
    "COMMON_ATTRS",
    "LOCK",
    "MANIFEST",
    "coord_json",
    "combine",
    "locked",
    "part_ok",
    "part_path",
    "parts_folder",
    "read_manifest",
    "write_json_atomic",
]

MANIFEST = "manifest.json"
LOCK = ".lock"
#: Result attrs shared by every slice (taken from the first part).
COMMON_ATTRS = ("config", "gauge", "momentum_dim")


def parts_folder(out: Any) -> Path:
    """The folder of per-slice parts for a result file: ``<out>.parts``."""
    out = Path(os.fspath(out))
    return out.with_name(out.name + ".parts")


def part_path(folder: Path, index: int) -> Path:
    """The file of slice ``index`` in a parts folder."""
    return folder / f"slice_{index}.nc"


def read_manifest(out: Any) -> dict | None:
    """The manifest of an unfinished (or kept) run for result file ``out``, or None.

    Keys: ``fingerprint``, ``slice_dim``, ``n_slices``, ``coords``, ``done``
    (list of finished slice indices), ``failed`` (index → reason), ``config``
    (JSON), ``input``.
    """
    path = parts_folder(out) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON through the one atomic writer (fsync'd before the rename)."""

    def write(tmp: str) -> None:
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=1)
            f.flush()
            os.fsync(f.fileno())

    atomic_write(path, write)


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Exclusive lock on the parts folder (released when the process ends, however it ends)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fh = open(folder / LOCK, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ConfigError(
                f"another fit-many run is writing {folder}; wait for it to finish or choose another output"
            ) from None
        yield
    finally:
        fh.close()


def part_ok(path: Path, fingerprint: str, index: int) -> bool:
    """True when ``path`` is a readable part of this run (fingerprint) for slice ``index``."""
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.attrs.get("many_fingerprint") == fingerprint and int(ds.attrs.get("many_index", -1)) == index
    except Exception:
        return False


def coord_json(coord: Any) -> list:
    """A coordinate as a JSON list (floats, or strings for non-numeric values)."""
    c = np.asarray(coord)
    return [float(x) for x in c] if c.dtype.kind in "biuf" else [str(x) for x in c]


def _nan_like(template: xr.Dataset) -> xr.Dataset:
    out = template.copy(deep=True)
    for name, var in out.data_vars.items():
        if var.dtype.kind == "f":
            out[name] = var.copy(data=np.full(var.shape, np.nan))
        elif var.dtype.kind in "biu":
            out[name] = var.copy(data=np.zeros(var.shape, dtype=var.dtype))
        else:
            out[name] = var.copy(data=np.full(var.shape, "", dtype=object))
    return out


def combine(
    parts: dict, failures: dict, n: int, dim: str, coord: Any, coord_attrs: dict, slices: list | None = None
) -> xr.Dataset:
    """Concatenate per-slice Datasets along ``dim``; missing slices become NaN with their status.

    A missing slice takes its ``eps_k`` from its input cut (``slices``) when
    that has the right length, so per-cut bands stay right.
    """
    index = xr.DataArray(np.asarray(coord), dims=dim, attrs=coord_attrs)
    if not parts:
        status = np.array([failures.get(i, "failed: not fitted") for i in range(n)], dtype=object)
        return xr.Dataset({"status": (dim, status)}, coords={dim: index})
    template = parts[min(parts)]
    pads = {d: max(p.sizes.get(d, 0) for p in parts.values()) for d in ("chunk",)}
    items = []
    for i in range(n):
        ds = parts[i] if i in parts else _nan_like(template)
        if i not in parts:
            ds["status"] = ((), np.asarray(failures.get(i, "failed: not fitted"), dtype=object))
            eps = slices[i].coords.get("eps_k") if slices is not None else None
            if eps is not None and "eps_k" in ds.coords and eps.size == ds["eps_k"].size:
                values = np.asarray(eps.values, dtype=ds["eps_k"].dtype).ravel()
                ds = ds.assign_coords(eps_k=ds["eps_k"].copy(data=values))
        for d, size in pads.items():
            if d in ds.dims and ds.sizes[d] < size:
                ds = ds.pad({d: (0, size - ds.sizes[d])})
        ds.attrs = {}
        items.append(ds)
    # variable attrs that agree over the slices (units, long names) stay; per-slice ones (determined_to) go —
    # those numbers are 0-d variables of each part (tasks.part_dataset)
    out = xr.concat(items, dim=index, coords="different", compat="equals", join="exact",
                    combine_attrs="drop_conflicts")
    out.attrs = {k: template.attrs[k] for k in COMMON_ATTRS if k in template.attrs}
    out["status"] = out["status"].astype(object)
    return out
