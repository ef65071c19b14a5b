"""Reading analysis-ready spectra from files: netCDF/HDF5, Igor and text (:func:`load`).

Input files are only ever opened for reading; exceptions from xarray, h5py or
igor2 are caught and re-worded as one-line
:class:`arpes_sigma.errors.ArpesDataError` messages, never passed through.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, describe
from .contract import ENERGY_DIMS, META_KEYS
from .contract import validate as _validate_da
from .formats import NETCDF_EXTENSIONS, SUPPORTED_EXTENSIONS, TEXT_EXTENSIONS, input_file, netcdf_engine
from .igor import parse_note, read_ibw, read_pxt

__all__ = ["SUPPORTED_EXTENSIONS", "load"]

_UNNAMED = "__xarray_dataarray_variable__"  # what DataArray.to_netcdf calls an unnamed array


def _read_netcdf(path: Path, variable: str | None) -> xr.DataArray:
    # netCDF-4 / HDF5 through h5netcdf; classic netCDF-3 ("CDF\x01"/"CDF\x02") through scipy.
    engine = netcdf_engine(path)
    opts: dict = {"engine": engine, "phony_dims": "access"} if engine == "h5netcdf" else {"engine": engine}
    try:
        with xr.open_dataset(path, **opts) as ds:
            ds = ds.load()
    except Exception as exc:  # h5py OSError, h5netcdf ValueError, ...
        raise ArpesDataError(
            f"could not read {path} as netCDF ({describe(exc)}); the file may be truncated "
            f"or not netCDF/HDF5") from None
    if "eps_k" in ds.data_vars:
        ds = ds.set_coords("eps_k")
    names = [str(n) for n in ds.data_vars]
    if variable is not None:
        if variable not in ds.data_vars:
            raise ArpesDataError(
                f"{path} has no variable '{variable}' (variables: {', '.join(names) or 'none'}); "
                f"pass variable= one of those")
        name = variable
    elif len(names) == 1:
        name = names[0]
    elif "intensity" in names:
        name = "intensity"
    elif not names:
        raise ArpesDataError(
            f"{path} holds no data variables; check that it is an ARPES spectrum")
    else:
        raise ArpesDataError(
            f"{path} holds several data variables ({', '.join(names)}); choose one with "
            f"load(path, variable=name) or xr.open_dataset(path, engine='h5netcdf')[name], "
            f"or name it 'intensity'")
    da = ds[name]
    for key in META_KEYS:
        if key in ds.attrs and key not in da.attrs:
            da.attrs[key] = ds.attrs[key]
    if name == _UNNAMED:
        da.name = None
    return da


def _parse_float(tok: str) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


_RAW_HINT = ("make it fit-ready against a gold reference with arpes_sigma.prepare(arpes_sigma.read(RAW), "
             "arpes_sigma.calibrate(GOLD, T)) or `arpes-sigma prepare RAW --gold GOLD --temperature T --out cut.nc`, "
             "or fit it at once with `arpes-sigma fit RAW --gold GOLD --temperature T --out result.nc`")


def _read_text(path: Path) -> xr.DataArray:
    head = path.read_bytes()[:64].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"[Info]"):
        raise ArpesDataError(f"{path} is a raw SES text export (kinetic energy x angle); {_RAW_HINT}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ArpesDataError(
            f"could not read {path} as text (not UTF-8); the file may be binary or "
            f"use another encoding, save it as UTF-8 text") from None
    except OSError as exc:
        raise ArpesDataError(f"could not open {path} ({describe(exc)}); check permissions") from None
    meta: dict = {}
    rows: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        body, hash_, comment = line.partition("#")
        if hash_:
            meta.update(parse_note(comment))
        if body.strip():
            rows.append((lineno, body))
    if not rows:
        raise ArpesDataError(f"{path} contains no data rows; check the file")
    comma = any("," in body for _, body in rows)

    def split(body):
        if comma:
            return [c.strip() for c in body.split(",")]
        return body.split()

    table = [(n, split(b)) for n, b in rows]
    header = None
    first = table[0][1]
    if any(_parse_float(c) is None for c in first):
        header = first
        table = table[1:]
    if header is None and len(table) >= 2 and len(first) > 2 and \
            len(first) == len(table[1][1]) - 1:
        header = first  # matrix with an empty top-left cell
        table = table[1:]
    if not table:
        raise ArpesDataError(f"{path} has a header but no data rows; check the file")
    width = len(table[0][1])
    for n, cells in table:
        if len(cells) != width:
            raise ArpesDataError(
                f"{path} line {n} has {len(cells)} columns, expected {width}; fix the row or "
                f"the delimiter (comma or whitespace)")
    nums = np.empty((len(table), width))
    for i, (n, cells) in enumerate(table):
        for j, c in enumerate(cells):
            v = _parse_float(c)
            if v is None:
                raise ArpesDataError(
                    f"{path} line {n} has a non-numeric cell {c!r}; fix it or comment the "
                    f"line out with '#'")
            nums[i, j] = v
    head_text = " ".join(header) if header else ""
    e_units = {"units": "meV"} if "meV" in head_text else {}
    eps = meta.pop("eps_k", None)
    if width == 2:
        coords = {"eV": xr.Variable(("eV",), nums[:, 0], e_units)}
        if eps is not None:
            coords["eps_k"] = eps
        return xr.DataArray(nums[:, 1], dims=("eV",), coords=coords,
                            name="intensity", attrs=meta)
    if width < 2:
        raise ArpesDataError(
            f"{path} has a single column; write two columns (energy, intensity) or a matrix "
            f"with a header row of energies")
    if header is None:
        raise ArpesDataError(
            f"{path} has {width} columns but no header row of energies; add a first row "
            f"'k, E1, E2, ...' (eV) above the matrix")
    e_cells = header[1:] if len(header) == width else header
    if len(e_cells) != width - 1:
        raise ArpesDataError(
            f"{path} header has {len(header)} cells but rows have {width}; the header must be "
            f"a label followed by one energy per column")
    energies = [_parse_float(c) for c in e_cells]
    if any(v is None for v in energies):
        bad = e_cells[[v is None for v in energies].index(True)]
        raise ArpesDataError(
            f"{path} header cell {bad!r} is not an energy; the header row must hold the "
            f"energies (eV) after the first cell")
    coords = {
        "k": xr.Variable(("k",), nums[:, 0]),
        "eV": xr.Variable(("eV",), np.asarray(energies, dtype=float), e_units),
    }
    return xr.DataArray(nums[:, 1:], dims=("k", "eV"), coords=coords,
                        name="intensity", attrs=meta)


def _apply_raw_overrides(da: xr.DataArray, eps_k, sample_temp, energy_resolution):
    """Attach keyword metadata without checking it (``load(..., validate=False)``)."""
    da = da.copy()
    if sample_temp is not None:
        da.attrs["sample_temp"] = sample_temp
    if energy_resolution is not None:
        da.attrs["energy_resolution"] = energy_resolution
    if eps_k is not None:
        arr = np.asarray(eps_k)
        if arr.ndim == 0:
            da = da.assign_coords(eps_k=arr.item())
        else:
            dims = [d for d in da.dims if d not in ENERGY_DIMS and da.sizes[d] == arr.size]
            if len(dims) != 1:
                raise ArpesDataError(
                    f"cannot place eps_k of shape {arr.shape} on dims {tuple(da.dims)}; use "
                    f"validate=True or assign it yourself with "
                    f"da.assign_coords(eps_k=(dim, values))")
            da = da.assign_coords(eps_k=(dims[0], arr))
    return da


def load(path: str | os.PathLike, *, eps_k: Any = None, sample_temp: float | None = None,
         energy_resolution: float | None = None, validate: bool = True,
         variable: str | None = None) -> xr.DataArray:
    """Read an ARPES spectrum from a file (read-only) and, by default, validate it.

    Parameters
    ----------
    path : str or os.PathLike
        File to read. Supported suffixes (case-insensitive): ``.nc``, ``.h5``,
        ``.hdf5`` (netCDF4/HDF5 through h5netcdf), ``.ibw`` (Igor binary wave),
        ``.pxt`` (Igor packed experiment template), ``.txt``, ``.csv``,
        ``.dat`` (text).
    eps_k : float or array_like, optional
        Bare band energy, eV, one per momentum point (scalar for an EDC);
        replaces the file's ``eps_k`` when given.
    sample_temp : float, optional
        Sample temperature, K; replaces the file's value when given.
    energy_resolution : float, optional
        Gaussian FWHM, eV; replaces the file's value when given.
    validate : bool, optional
        Run :func:`validate` on the result (default). With ``False`` the raw
        array is returned with the keyword values attached but unchecked.
    variable : str, optional
        Which data variable (netCDF) or wave (``.pxt``) to read when the file
        holds several.

    Returns
    -------
    xarray.DataArray
        The spectrum; with ``validate=True`` it follows the data contract
        (dims ``("k", "eV")`` or ``("eV",)``, see :func:`validate`).

    Raises
    ------
    ArpesDataError
        Missing file, unsupported suffix, unreadable/truncated content, or a
        spectrum that fails :func:`validate`.

    Notes
    -----
    **netCDF/HDF5**: read with h5netcdf (classic netCDF-3 files, recognised
    by their ``CDF`` signature, with scipy). A file with one data variable gives that variable; with
    several, ``intensity`` is preferred (or pass ``variable=``). A data
    variable ``eps_k`` is promoted to a coordinate; file-level attrs
    ``sample_temp``/``energy_resolution`` (and their alternative names) are
    copied onto the array when it lacks them. Files written with
    ``DataArray.to_netcdf`` load back identical.

    **Igor** (``.ibw``, ``.pxt``): the wave scaling ``sfB + sfA * index``
    gives each axis and the header's dimension units become coordinate
    ``units`` attrs. The energy axis is chosen by this rule:

    1. an axis whose dimension label is ``eV``, ``energy`` or ``E``;
    2. otherwise the single axis whose units are ``eV`` or ``meV``;
    3. otherwise the first axis (Igor's rows, "x"), the usual layout of
       (energy, angle) images from hemispherical analysers.

    The other axis is named by its label if that is an accepted momentum
    name, else ``alpha`` when its units are degrees, else ``k``. ``key=value``
    lines in the wave note for ``sample_temp``, ``energy_resolution`` (and
    alternatives) become attrs; the full note is kept in ``attrs['note']``.
    A ``.pxt`` with several waves needs ``variable=`` unless exactly one of
    them is 2-D or more.

    **Text**: ``#`` starts a comment; comment lines like
    ``# sample_temp = 20`` are read as metadata. Comma-separated if any data
    line has a comma, otherwise whitespace-separated. Two columns →
    one EDC (energy, intensity) with dim ``eV``; more columns → a matrix
    whose header row holds the energies (the first header cell, a label or
    empty, is ignored) and whose first column holds the momenta → dims
    ``("k", "eV")``. A header containing ``meV`` marks the energies as meV.
    """
    p = input_file(path)
    ext = p.suffix.lower()
    readers = {**{e: lambda: _read_netcdf(p, variable) for e in NETCDF_EXTENSIONS},
               ".ibw": lambda: read_ibw(p),
               ".pxt": lambda: read_pxt(p, variable),
               **{e: lambda: _read_text(p) for e in TEXT_EXTENSIONS}}
    try:
        da = readers[ext]()
    except ArpesDataError:
        raise
    except Exception as exc:  # safety net: no reader traceback reaches the user
        raise ArpesDataError(
            f"could not read {p} as {ext} ({describe(exc)}); the file may be corrupt or in an "
            f"unexpected layout, open it yourself and pass an xarray.DataArray to validate()"
        ) from None
    if validate:
        return _validate_da(da, eps_k=eps_k, sample_temp=sample_temp,
                            energy_resolution=energy_resolution)
    return _apply_raw_overrides(da, eps_k, sample_temp, energy_resolution)


