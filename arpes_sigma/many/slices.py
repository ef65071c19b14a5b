"""Splitting a data set into cuts, and the fingerprint that ties results to their input.

A data set is an intensity with dims (S, k, eV): S is ``sample_temp`` (a
temperature series, K), ``cut`` or any other name. Each slice becomes a 2-D cut
with its own attrs (per-slice ``sample_temp``, ``energy_resolution`` and
``noise_sigma`` may be coordinates along S).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, ConfigError
from ..io.contract import ENERGY_DIMS, MOMENTUM_DIMS
from ..io.readers import load

__all__ = ["FORMAT", "SLICE_META", "TEMPERATURE_DIMS", "as_dataarray", "fingerprint", "slice_dim", "split"]

#: Slice-dimension names that mean "a temperature series" (values in K).
TEMPERATURE_DIMS = ("sample_temp", "temperature", "temp_sample")


#: Per-slice metadata that may be given as coordinates along the slice dim;
#: they become the slice's attrs (what :func:`arpes_sigma.data.validate` reads).
SLICE_META = ("sample_temp", "energy_resolution", "noise_sigma")


FORMAT = 1



def as_dataarray(data: Any, variable: str | None = None) -> tuple[xr.DataArray, Path | None]:
    """The intensity of a DataArray, Dataset or file (read-only), and the file path (None for in-memory data)."""
    if isinstance(data, (str, os.PathLike)):
        return load(data, validate=False, variable=variable), Path(os.fspath(data))
    if isinstance(data, xr.Dataset):
        names = [str(n) for n in data.data_vars]
        name = variable or ("intensity" if "intensity" in names else (names[0] if len(names) == 1 else None))
        if name is None or name not in data.data_vars:
            raise ArpesDataError(
                f"the Dataset holds variables {names or 'none'}; name the intensity 'intensity' or pass variable=..."
            )
        da = data[name].copy(deep=False)
        da.attrs = dict(da.attrs)  # never write into the caller's Dataset
        for key in SLICE_META + ("energy_resolution", "resolution", "temperature"):
            if key in data.attrs and key not in da.attrs:
                da.attrs[key] = data.attrs[key]
        return da, None
    if isinstance(data, xr.DataArray):
        return data, None
    raise ArpesDataError(
        f"fit_many() needs an xarray.DataArray/Dataset or a file path, got {type(data).__name__}; "
        f"build e.g. xr.DataArray(arr, dims=('sample_temp', 'k', 'eV'), coords=...)"
    )


def slice_dim(da: xr.DataArray, by: str | None) -> str:
    """The dimension to split along: ``by`` ('temperature', 'cut', a name) or the one non-energy, non-momentum dim."""
    dims = tuple(str(d) for d in da.dims)
    extra = [d for d in dims if d not in ENERGY_DIMS and d not in MOMENTUM_DIMS]
    if by is None:
        if len(extra) != 1:
            raise ArpesDataError(
                f"cannot tell which dimension of {dims} to split into cuts; pass by='temperature' "
                f"(dim sample_temp), by='cut' or by=<dimension name>"
            )
        dim = extra[0]
    elif by == "temperature":
        found = [d for d in TEMPERATURE_DIMS if d in dims]
        if not found:
            raise ArpesDataError(f"by='temperature' needs a dimension named 'sample_temp' (dims are {dims}); rename it")
        dim = found[0]
    elif by == "cut":
        if "cut" not in dims:
            raise ArpesDataError(
                f"by='cut' needs a dimension named 'cut' (dims are {dims}); rename it or pass by=<name>"
            )
        dim = "cut"
    elif isinstance(by, str) and by in dims:
        dim = by
    else:
        raise ConfigError(f"by={by!r} is not 'temperature', 'cut' or a dimension of the data {dims}")
    if da.ndim != 3:
        raise ArpesDataError(
            f"fit_many() needs 3-D data ({dim}, k, eV), got dims {dims}; for a single cut use arpes_sigma.fit"
        )
    if da.sizes[dim] == 0:
        raise ArpesDataError(f"dimension {dim!r} is empty; nothing to fit")
    return dim


def split(da: xr.DataArray, dim: str) -> tuple[list[xr.DataArray], np.ndarray]:
    """The 2-D cuts along ``dim``, each with its own attrs; and the coordinate values."""
    da = da.transpose(dim, ...)
    n = da.sizes[dim]
    coord = np.asarray(da[dim].values) if dim in da.coords else np.arange(n)
    temperature = dim in TEMPERATURE_DIMS
    if temperature:
        t = np.asarray(coord, dtype=float) if np.issubdtype(np.asarray(coord).dtype, np.number) else None
        if t is None or not np.all(np.isfinite(t)) or not np.all(t > 0):
            raise ArpesDataError(
                f"the {dim} coordinate must hold temperatures in K (> 0), got {coord!r}; assign them with "
                f"da.assign_coords({dim}=[...])"
            )
    base = {k: v for k, v in da.attrs.items()}
    out = []
    for i in range(n):
        s = da.isel({dim: i})
        attrs = dict(base)
        for name in SLICE_META:
            if name in s.coords and s[name].ndim == 0:
                attrs[name] = float(s[name].values)
                s = s.drop_vars(name)
        if dim in s.coords:
            s = s.drop_vars(dim)
        if temperature:
            attrs["sample_temp"] = float(coord[i])
        s = s.copy()
        s.attrs = attrs
        out.append(s)
    return out, coord


def fingerprint(da: xr.DataArray, dim: str, config: Any) -> str:
    """SHA-256 of the input data, coordinates, attrs, slice dim and the full configuration."""
    h = hashlib.sha256()
    head = {"format": FORMAT, "dims": list(map(str, da.dims)), "shape": list(da.shape), "dim": dim}
    h.update(json.dumps(head).encode())
    h.update(np.ascontiguousarray(np.asarray(da.values, dtype=float)).tobytes())
    for name in sorted(map(str, da.coords)):
        v = np.asarray(da.coords[name].values)
        h.update(name.encode())
        h.update(json.dumps(list(map(str, da.coords[name].dims))).encode())
        h.update(np.ascontiguousarray(v).tobytes() if v.dtype.kind in "biuf" else str(v.tolist()).encode())
    attrs = {str(k): v for k, v in da.attrs.items() if isinstance(v, (int, float, str, np.number))}
    h.update(json.dumps(attrs, sort_keys=True, default=str).encode())
    h.update(config.to_json().encode())
    return h.hexdigest()
