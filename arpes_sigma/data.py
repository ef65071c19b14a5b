"""Reading, checking and writing ARPES spectra: the toolkit's only xarray boundary.

Everything numerical in :mod:`arpes_sigma` works on bare arrays; this module
turns files and user-made :class:`xarray.DataArray` objects into the one form the
rest of the package relies on (see ``DESIGN.md`` section 2, "data contract"):

* dims ``("k", "eV")`` for a cut, or ``("eV",)`` for a single EDC;
* energy ``eV`` in eV, measured from the Fermi level, strictly ascending;
* a coordinate ``eps_k`` (bare band energy, eV) along ``k`` (a scalar for an EDC);
* attrs ``sample_temp`` (K) and ``energy_resolution`` (Gaussian FWHM, eV);
* float64 intensity, finite (negative noise around zero is kept).

Every problem with the input raises :class:`arpes_sigma.errors.ArpesDataError`
with a one-line message that names the problem and the fix; exceptions from
xarray, h5py or igor2 are caught and re-worded, never passed through. Input
files are only ever opened for reading.

Importing this module registers the ``da.sigma`` accessor on
:class:`xarray.DataArray` (``import arpes_sigma.data``).
"""

from __future__ import annotations

import math
import os
import re
import struct
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .io.writers import to_netcdf_atomic  # noqa: F401  (re-exported)
from .errors import ArpesDataError, describe

__all__ = [
    "ENERGY_DIMS",
    "MOMENTUM_DIMS",
    "SUPPORTED_EXTENSIONS",
    "SigmaAccessor",
    "edc",
    "load",
    "tight_binding_eps",
    "to_netcdf_atomic",
    "validate",
]

#: Dimension names accepted for the energy axis (renamed to ``"eV"``).
ENERGY_DIMS: tuple[str, ...] = ("eV", "energy", "E")
#: Dimension names accepted for the momentum axis (renamed to ``"k"``).
MOMENTUM_DIMS: tuple[str, ...] = ("k", "kx", "ky", "alpha", "phi")
#: File suffixes :func:`load` understands (case-insensitive).
SUPPORTED_EXTENSIONS: tuple[str, ...] = (
    ".nc", ".h5", ".hdf5", ".ibw", ".pxt", ".txt", ".csv", ".dat",
)

_NETCDF_EXT = (".nc", ".h5", ".hdf5")
_IGOR_EXT = (".ibw", ".pxt")
_TEXT_EXT = (".txt", ".csv", ".dat")

# attrs holding the temperature / resolution; first is the canonical name,
# the others are ERLabPy-style alternatives accepted on input.
_TEMP_KEYS = ("sample_temp", "temperature", "temp_sample")
_RES_KEYS = ("energy_resolution", "resolution")
_META_KEYS = _TEMP_KEYS + _RES_KEYS

_UNNAMED = "__xarray_dataarray_variable__"  # what DataArray.to_netcdf calls an unnamed array
_MAX_RESOLUTION_EV = 0.5
_MEV_SPAN_EV = 5.0  # an energy window wider than this without units is taken as meV
_MIN_ENERGY_POINTS = 10
#: Fraction of negative intensities above which validate() warns (values are kept).
NEGATIVE_WARN_FRACTION = 0.05


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------



def _fmt(x: float) -> str:
    """Compact number formatting for messages."""
    return f"{float(x):.6g}"


def _first_present(mapping: dict, keys: Iterable[str]) -> tuple[str | None, Any]:
    for key in keys:
        if key in mapping:
            return key, mapping[key]
    return None, None


# --------------------------------------------------------------------------
# tight binding
# --------------------------------------------------------------------------

def tight_binding_eps(kx, ky, *, t: float = 0.36, t1: float = -0.10,
                      t2: float = 0.035, mu: float = -0.40):
    r"""Single-band tight-binding dispersion of a Bi2212-like CuO2 plane.

    .. math::

        \varepsilon_k = -2t(\cos k_x + \cos k_y) - 4t_1 \cos k_x \cos k_y
                        - 2t_2(\cos 2k_x + \cos 2k_y) - \mu

    The functional form (nearest, next-nearest and third-nearest neighbour
    hopping on a square lattice) is the one of Norman, Randeria, Ding and
    Campuzano, Phys. Rev. B 52, 615 (1995); the default numbers are a common
    simplified Bi2212 parametrisation, kept as named keywords.

    Parameters
    ----------
    kx, ky : array_like
        In-plane momenta in units of 1/a (a = in-plane lattice constant), so
        the zone boundary is at ``pi``. Broadcast against each other.
    t, t1, t2 : float, optional
        Hopping amplitudes, eV (nearest, next-nearest, third-nearest).
    mu : float, optional
        Chemical potential, eV.

    Returns
    -------
    numpy.ndarray or float
        Bare band energy relative to the Fermi level, eV, with the broadcast
        shape of ``kx`` and ``ky``.

    Examples
    --------
    >>> eps = tight_binding_eps(np.linspace(0, np.pi, 5), np.pi)
    """
    kx = np.asarray(kx, dtype=float)
    ky = np.asarray(ky, dtype=float)
    cx, cy = np.cos(kx), np.cos(ky)
    return (-2.0 * t * (cx + cy) - 4.0 * t1 * cx * cy
            - 2.0 * t2 * (np.cos(2.0 * kx) + np.cos(2.0 * ky)) - mu)


# --------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------

def _classify_dims(da: xr.DataArray) -> tuple[str, str | None]:
    """Return (energy dim, momentum dim or None) of a DataArray or raise."""
    dims = tuple(str(d) for d in da.dims)
    energy = [d for d in dims if d in ENERGY_DIMS]
    if da.ndim == 0:
        raise ArpesDataError(
            "intensity is a scalar (0-D); pass a cut with dims ('k', 'eV') or an EDC with dim 'eV'")
    if len(energy) > 1:
        raise ArpesDataError(
            f"several energy-like dims {tuple(energy)}; keep one, e.g. "
            f"da.isel({energy[1]}=0), and name it 'eV'")
    if da.ndim >= 3:
        others = [d for d in dims if d not in energy]
        moms = [d for d in others if d in MOMENTUM_DIMS]
        keep = moms[0] if moms else None
        extra = next(d for d in others if d != keep)
        raise ArpesDataError(
            f"{da.ndim}-D data with dims {dims}; select one cut first, e.g. "
            f"da.isel({extra}=0) or da.sel({extra}=..., method='nearest')")
    if not energy:
        if da.ndim == 1 and dims[0] in MOMENTUM_DIMS:
            raise ArpesDataError(
                f"no energy axis (dims {dims}: a momentum curve?); pass an EDC or the full "
                f"cut and name the energy dimension 'eV'")
        if da.ndim == 1:
            raise ArpesDataError(
                f"no energy axis (dims {dims}); name the energy dimension 'eV', "
                f"e.g. da.rename({dims[0]}='eV')")
        guess = dims[-1]
        raise ArpesDataError(
            f"no energy axis among dims {dims}; name the energy dimension 'eV', "
            f"e.g. da.rename({guess}='eV')")
    e_dim = energy[0]
    if da.ndim == 1:
        return e_dim, None
    k_dim = next(d for d in dims if d != e_dim)
    if k_dim not in MOMENTUM_DIMS:
        raise ArpesDataError(
            f"unrecognised momentum dimension '{k_dim}' (dims {dims}); rename it with "
            f"da.rename({k_dim}='k') if it is a momentum or angle axis "
            f"(accepted: {', '.join(MOMENTUM_DIMS)})")
    return e_dim, k_dim


def _check_intensity(values: np.ndarray) -> np.ndarray:
    """Type, finiteness and sign checks; returns a float64 copy (negative values kept)."""
    if np.iscomplexobj(values):
        raise ArpesDataError(
            "complex intensity; pass np.abs(da) or the real part da.real")
    if values.dtype.kind == "b" or not np.issubdtype(values.dtype, np.number):
        raise ArpesDataError(
            f"intensity has dtype {values.dtype}; convert it to numbers, e.g. da.astype(float)")
    out = np.array(values, dtype=np.float64, copy=True)
    if out.size == 0:
        raise ArpesDataError("intensity is empty; check the file or the selected region")
    n_nan = int(np.isnan(out).sum())
    n_inf = int(np.isinf(out).sum())
    if n_nan or n_inf:
        parts = []
        if n_nan:
            parts.append(f"{n_nan} NaN")
        if n_inf:
            parts.append(f"{n_inf} infinite")
        raise ArpesDataError(
            f"intensity has {' and '.join(parts)} value(s) of {out.size}; fill them with "
            f"da.fillna(0) / da.where(np.isfinite(da), 0) or crop them away with da.sel(...)")
    if not np.any(out):
        raise ArpesDataError(
            "intensity is all zero; check the file, the variable or the selected cut")
    if np.all(out == out.flat[0]):
        raise ArpesDataError(
            f"intensity is constant ({_fmt(out.flat[0])}) everywhere; check the file, "
            f"the variable or the selected cut")
    n_neg = int((out < 0).sum())
    if n_neg * 2 > out.size:
        raise ArpesDataError(
            f"{n_neg} of {out.size} intensity points are negative (background-subtracted "
            f"data?); add the background back or shift it, e.g. da - da.min()")
    if n_neg > NEGATIVE_WARN_FRACTION * out.size:
        warnings.warn(
            f"{n_neg} of {out.size} intensity points are negative; they are kept as they are "
            f"(clipping would bias the fit), but check the background subtraction",
            UserWarning, stacklevel=3)
    return out


def _check_energy(da: xr.DataArray, e_dim: str) -> xr.DataArray:
    """Unit conversion, ordering and range checks on the (already renamed) eV axis."""
    if "eV" not in da.coords:
        raise ArpesDataError(
            f"energy axis '{e_dim}' has no coordinate values; assign them, e.g. "
            f"da.assign_coords({e_dim}=energies_in_eV)")
    coord = da.coords["eV"]
    attrs = dict(coord.attrs)
    try:
        e = np.asarray(coord.values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArpesDataError(
            f"energy axis '{e_dim}' is not numeric (dtype {coord.dtype}); assign numbers in eV "
            f"with da.assign_coords({e_dim}=...)") from None
    if not np.all(np.isfinite(e)):
        raise ArpesDataError(
            f"energy axis '{e_dim}' contains NaN or inf; assign a clean grid with "
            f"da.assign_coords({e_dim}=...)")
    if e.size < _MIN_ENERGY_POINTS:
        raise ArpesDataError(
            f"energy axis '{e_dim}' has only {e.size} points; at least "
            f"{_MIN_ENERGY_POINTS} are needed, pass a wider energy window")

    units = attrs.get("units")
    units_s = str(units).strip() if units is not None else ""
    history = None
    if units_s.lower() == "mev":
        e = e / 1000.0
        attrs["units"] = "eV"
        history = "arpes_sigma.validate: energy axis converted from meV to eV"
    elif units_s and units_s.lower() != "ev":
        raise ArpesDataError(
            f"energy axis '{e_dim}' has units '{units_s}'; convert it to eV and set "
            f"da.{e_dim}.attrs['units']='eV' (or 'meV')")

    d = np.diff(e)
    if np.any(d == 0):
        dup = e[1:][d == 0][0]
        raise ArpesDataError(
            f"energy axis '{e_dim}' has duplicated values at {_fmt(dup)} eV; remove duplicates, "
            f"e.g. da.drop_duplicates('{e_dim}'), or pass a clean grid")
    flip = False
    if np.all(d < 0):
        flip = True
    elif not np.all(d > 0):
        raise ArpesDataError(
            f"energy axis '{e_dim}' is not monotonic; sort it first with da.sortby('{e_dim}')")

    span = float(e.max() - e.min())
    if not units_s and span > _MEV_SPAN_EV:
        raise ArpesDataError(
            f"energy axis '{e_dim}' spans {_fmt(span)} (looks like meV); convert with "
            f"da.assign_coords({e_dim}=da.{e_dim}/1000) or set da.{e_dim}.attrs['units']='meV'")
    if e.min() > _MEV_SPAN_EV:
        raise ArpesDataError(
            f"energy axis '{e_dim}' runs from {_fmt(e.min())} to {_fmt(e.max())} eV (kinetic "
            f"energies?); subtract the Fermi level, e.g. "
            f"da.assign_coords({e_dim}=da.{e_dim} - E_F)")

    changed = history is not None or coord.dtype != np.float64
    if changed:
        da = da.assign_coords(eV=xr.Variable(("eV",), e, attrs))
    if history is not None:
        old = da.attrs.get("history")
        da.attrs["history"] = f"{old}\n{history}" if old else history
    if flip:
        da = da.isel(eV=slice(None, None, -1))
        da = da.copy(data=np.ascontiguousarray(da.values))
    return da


def _eps_from(da: xr.DataArray, eps_k, k_dim: str | None) -> xr.DataArray:
    """Attach and check the bare-band coordinate ``eps_k``."""
    if eps_k is not None:
        try:
            arr = np.asarray(eps_k.values if isinstance(eps_k, xr.DataArray) else eps_k,
                             dtype=np.float64)
        except (TypeError, ValueError):
            raise ArpesDataError(
                "eps_k is not numeric; pass the bare band energies in eV as floats") from None
        if k_dim is None:
            if arr.size != 1:
                raise ArpesDataError(
                    f"eps_k has {arr.size} values but the data are a single EDC; pass one "
                    f"number, e.g. eps_k=-0.05")
            da = da.assign_coords(eps_k=float(arr.reshape(())))
        else:
            n = da.sizes["k"]
            if arr.ndim != 1 or arr.size != n:
                raise ArpesDataError(
                    f"eps_k has shape {arr.shape} but the momentum axis has {n} points; pass "
                    f"one value per k, e.g. tight_binding_eps(kx, ky) evaluated on the cut")
            attrs = dict(da.coords["eps_k"].attrs) if "eps_k" in da.coords else {}
            da = da.assign_coords(eps_k=xr.Variable(("k",), arr, attrs))
    if "eps_k" not in da.coords:
        raise ArpesDataError(
            "no 'eps_k' (bare band energy, eV) coordinate; pass eps_k=... or compute it, "
            "e.g. with arpes_sigma.data.tight_binding_eps(...)")
    c = da.coords["eps_k"]
    want = () if k_dim is None else ("k",)
    if c.dims != want:
        where = "a scalar coordinate" if k_dim is None else "a coordinate along 'k'"
        raise ArpesDataError(
            f"'eps_k' has dims {c.dims} but must be {where}; pass eps_k=... with "
            f"{'one number' if k_dim is None else 'one value per k'}")
    try:
        v = np.asarray(c.values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArpesDataError(
            "'eps_k' is not numeric; pass the bare band energies in eV as floats") from None
    if not np.all(np.isfinite(v)):
        raise ArpesDataError(
            f"'eps_k' has {int((~np.isfinite(v)).sum())} NaN/inf value(s); crop those k "
            f"points or pass a finite eps_k=...")
    if v.size and float(np.max(np.abs(v))) > 20.0:
        raise ArpesDataError(
            f"'eps_k' reaches {_fmt(np.max(np.abs(v)))} (looks like meV); pass it in eV")
    if c.dtype != np.float64:
        da = da.assign_coords(eps_k=xr.Variable(c.dims, v, dict(c.attrs)))
    return da


def _positive_attr(da: xr.DataArray, keys: tuple[str, ...], given, what: str,
                   unit: str, example: str) -> float:
    """Look up a positive scalar from a keyword or attrs (canonical name first)."""
    src = keys[0]
    value = given
    if value is None:
        key, value = _first_present(da.attrs, keys)
        if key is None:
            raise ArpesDataError(
                f"no {what} ({unit}); pass {keys[0]}={example} or set "
                f"da.attrs['{keys[0]}']")
        src = f"attrs['{key}']"
    try:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError
        x = float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise ArpesDataError(
            f"{what} {src}={value!r} is not a single number; pass {keys[0]}={example} "
            f"({unit})") from None
    if not math.isfinite(x) or x <= 0:
        raise ArpesDataError(
            f"{what} {src}={_fmt(x)} must be a positive number; pass {keys[0]}={example} ({unit})")
    return x


def validate(da: xr.DataArray, *, eps_k=None, sample_temp: float | None = None,
             energy_resolution: float | None = None) -> xr.DataArray:
    """Check a spectrum against the data contract and return a clean copy.

    The input is never modified. Keyword values replace what ``da`` carries.

    Parameters
    ----------
    da : xarray.DataArray
        Intensity (arbitrary units). Either a cut with one energy dim
        (``eV``, ``energy`` or ``E``) and one momentum dim (``k``, ``kx``,
        ``ky``, ``alpha`` or ``phi``), in either order, or a single EDC with
        the energy dim only.
    eps_k : float or array_like, optional
        Bare band energy, eV: one value per momentum point (shape ``(n_k,)``),
        or one number for an EDC. Default: the ``eps_k`` coordinate of ``da``.
    sample_temp : float, optional
        Sample temperature, K (> 0). Default: ``da.attrs['sample_temp']``
        (or ``'temperature'`` / ``'temp_sample'``).
    energy_resolution : float, optional
        Gaussian FWHM of the instrument resolution, eV (0 < value < 0.5).
        Default: ``da.attrs['energy_resolution']`` (or ``'resolution'``).

    Returns
    -------
    xarray.DataArray
        New float64 array with dims ``("k", "eV")`` (or ``("eV",)`` for an
        EDC); energy ascending in eV; coordinate ``eps_k`` (eV) along ``k``
        (scalar for an EDC); attrs ``sample_temp`` (K) and
        ``energy_resolution`` (eV). A renamed momentum dim is remembered in
        ``attrs['momentum_dim']``; a momentum dim without coordinate gets the
        integer index ``0..n_k-1``.

    Raises
    ------
    ArpesDataError
        For every input that breaks the contract, with a one-line message
        naming the fix.

    Warns
    -----
    UserWarning
        When more than 5 % of the intensities are negative. Negative values
        are **kept as they are**: noise around zero after a dark-count or
        background correction is common, and clipping it to 0 would bias the
        χ² fit upwards. A few negative points pass silently; more than 5 %
        warns; more than half is taken as background-subtracted data and
        raises an error instead.

    Notes
    -----
    Rules applied to the energy axis, in order:

    * ``attrs['units'] == 'meV'`` → divided by 1000 (noted in
      ``attrs['history']``); other units than eV/meV → error;
    * duplicated values → error; strictly descending → flipped to ascending;
      otherwise non-monotonic → error (sort with ``da.sortby``);
    * no units and a span > 5 → refused as probably meV;
    * all energies > 5 eV → refused as kinetic energies (subtract E_F);
    * fewer than 10 points → error.
    """
    if isinstance(da, xr.Dataset):
        names = ", ".join(map(str, da.data_vars)) or "none"
        raise ArpesDataError(
            f"validate() needs an xarray.DataArray, got a Dataset (variables: {names}); "
            f"pick one, e.g. ds['intensity']")
    if not isinstance(da, xr.DataArray):
        raise ArpesDataError(
            f"validate() needs an xarray.DataArray, got {type(da).__name__}; wrap it, e.g. "
            f"xr.DataArray(arr, dims=('k', 'eV'), coords={{'eV': energies}})")

    e_dim, k_dim_in = _classify_dims(da)
    values = _check_intensity(da.values)

    out = da.copy(deep=True)
    renames = {}
    if e_dim != "eV":
        renames[e_dim] = "eV"
    if k_dim_in is not None and k_dim_in != "k":
        if "k" in out.coords:
            raise ArpesDataError(
                f"cannot rename momentum dim '{k_dim_in}' to 'k': a coordinate 'k' already "
                f"exists; drop it with da.drop_vars('k')")
        renames[k_dim_in] = "k"
    if renames:
        out = out.rename(renames)
        if k_dim_in is not None and k_dim_in != "k":
            out.attrs["momentum_dim"] = k_dim_in
    out = out.copy(data=values)

    k_dim = None if k_dim_in is None else "k"
    if k_dim is not None:
        out = out.transpose("k", "eV")
        if out.sizes["k"] == 0:
            raise ArpesDataError("the momentum axis is empty; select a non-empty cut")
        if "k" not in out.coords:
            out = out.assign_coords(k=np.arange(out.sizes["k"]))

    out = _check_energy(out, e_dim)
    out = _eps_from(out, eps_k, k_dim)

    temp = _positive_attr(out, _TEMP_KEYS, sample_temp, "sample temperature", "K", "20.0")
    res = _positive_attr(out, _RES_KEYS, energy_resolution, "energy resolution",
                         "FWHM, eV", "0.010")
    if res >= _MAX_RESOLUTION_EV:
        raise ArpesDataError(
            f"energy_resolution={_fmt(res)} looks like meV; pass it in eV, e.g. "
            f"energy_resolution={_fmt(res / 1000)}")
    if out.attrs.get("sample_temp") != temp:
        out.attrs["sample_temp"] = temp
    if out.attrs.get("energy_resolution") != res:
        out.attrs["energy_resolution"] = res
    return out


_validate_da = validate  # ``load`` has a keyword named ``validate``


def edc(da: xr.DataArray, k_index: int) -> xr.DataArray:
    """One energy distribution curve (EDC) of a cut.

    Parameters
    ----------
    da : xarray.DataArray
        Cut with an energy dim and a momentum dim (names as in :func:`validate`).
    k_index : int
        Integer position along the momentum axis (negative counts from the end).

    Returns
    -------
    xarray.DataArray
        Intensity with dim ``eV`` (or the input's energy dim) only; ``eps_k``
        (eV) and the momentum value become scalar coordinates.
    """
    if not isinstance(da, xr.DataArray):
        raise ArpesDataError(f"edc() needs an xarray.DataArray, got {type(da).__name__}")
    if da.ndim != 2:
        raise ArpesDataError(
            f"edc() needs a 2-D cut, got dims {tuple(da.dims)}; an EDC is already 1-D")
    moms = [d for d in da.dims if d in MOMENTUM_DIMS]
    if len(moms) != 1:
        raise ArpesDataError(
            f"edc() cannot tell the momentum dim among {tuple(da.dims)}; rename it to 'k'")
    k_dim = moms[0]
    n = da.sizes[k_dim]
    if isinstance(k_index, (bool, np.bool_)) or not isinstance(k_index, (int, np.integer)):
        raise ArpesDataError(f"k_index must be an integer position, got {k_index!r}")
    if not -n <= int(k_index) < n:
        raise ArpesDataError(
            f"k_index {int(k_index)} out of range for {n} momentum points; use 0..{n - 1}")
    return da.isel({k_dim: int(k_index)})


# --------------------------------------------------------------------------
# file readers
# --------------------------------------------------------------------------

def _read_netcdf(path: Path, variable: str | None) -> xr.DataArray:
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ArpesDataError(f"could not open {path} ({describe(exc)}); check permissions") from None
    # netCDF-4 / HDF5 through h5netcdf; classic netCDF-3 ("CDF\x01"/"CDF\x02") through scipy.
    if magic[:3] == b"CDF":
        opts: dict = {"engine": "scipy"}
    else:
        opts = {"engine": "h5netcdf", "phony_dims": "access"}
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
    for key in _META_KEYS:
        if key in ds.attrs and key not in da.attrs:
            da.attrs[key] = ds.attrs[key]
    if name == _UNNAMED:
        da.name = None
    return da


def _igor_precheck(path: Path, raw: bytes) -> None:
    """Refuse obviously broken .ibw bytes before igor2 sees them."""
    size = len(raw)
    if size < 8:
        raise ArpesDataError(
            f"could not read {path} as an Igor binary wave (only {size} bytes); the file may "
            f"be truncated or not .ibw")
    for order in "<>":
        version = struct.unpack_from(order + "h", raw, 0)[0]
        if version in (1, 2, 3, 5):
            break
    else:
        raise ArpesDataError(
            f"could not read {path} as an Igor binary wave (unknown version field); the file "
            f"may be corrupt or not .ibw")
    if version == 5:
        if size < 64 + 320:
            raise ArpesDataError(
                f"could not read {path} as an Igor binary wave (header cut short); the file "
                f"may be truncated")
        wfm = struct.unpack_from(order + "l", raw, 4)[0]
        need = 64 + wfm
    else:
        wfm = struct.unpack_from(order + "l", raw, 2)[0]
        need = wfm  # versions 1-3 count the headers inside wfmSize
    if wfm <= 0 or need > size:
        raise ArpesDataError(
            f"could not read {path} as an Igor binary wave (header promises {need} bytes, "
            f"file has {size}); the file may be truncated or corrupt")


def _igor_text(b) -> str:
    if isinstance(b, (bytes, bytearray)):
        return bytes(b).split(b"\x00", 1)[0].decode("latin-1").strip()
    arr = np.asarray(b)
    if arr.dtype.kind == "S":
        return b"".join(arr.ravel().tolist()).split(b"\x00", 1)[0].decode("latin-1").strip()
    return str(b).strip()


_NOTE_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(.+?)\s*$")


def _parse_note(note: str) -> dict:
    """``key=value`` lines of a wave note / text comment with a known metadata key."""
    out = {}
    for line in re.split(r"[\r\n;]+", note):
        m = _NOTE_LINE.match(line)
        if m and m.group(1) in _META_KEYS + ("eps_k",):
            try:
                out[m.group(1)] = float(m.group(2).split()[0])
            except ValueError:
                continue
    return out


def _wave_to_dataarray(wave: dict, path: Path) -> xr.DataArray:
    """Build a DataArray from an igor2 wave dict (``load(...)['wave']``).

    Axis naming rule (documented in :func:`load`): a dimension label that is
    an accepted energy/momentum name wins; otherwise the one axis whose
    units are ``eV``/``meV`` is energy; otherwise the first axis (Igor's
    rows, "x") is energy. Non-energy axes are ``k`` (``alpha`` if the units
    look like degrees).
    """
    head = wave["wave_header"]
    data = np.asarray(wave["wData"])
    if data.dtype.kind in "SUO" or data.dtype.names is not None:
        raise ArpesDataError(
            f"{path} holds a text or complex-integer Igor wave; save the intensity as a "
            f"real numeric wave")
    data = data.astype(data.dtype.newbyteorder("="), copy=True)
    ndim = data.ndim
    name = _igor_text(head.get("bname", b"")) or None
    if "sfA" in head:  # version 5: per-dimension scaling
        sfa = [float(x) for x in head["sfA"]]
        sfb = [float(x) for x in head["sfB"]]
        raw_units = list(head.get("dimUnits", [b""] * 4))
        units = [_igor_text(u) for u in raw_units][:4]
        ext = wave.get("dimension_units") or []
        ext = list(ext) if isinstance(ext, list) else []
        bh = wave.get("bin_header", {})
        if any(bh.get("dimEUnitsSize", [0] * 4)):
            it = iter(ext)
            for d, sz in enumerate(bh["dimEUnitsSize"]):
                if sz:
                    units[d] = _igor_text(next(it, b""))
        labels = []
        for d in range(4):
            lab = wave.get("labels") or []
            dl = lab[d] if d < len(lab) else []
            labels.append(_igor_text(dl[0]) if dl else "")
    else:  # versions 1-3: one dimension
        sfa = [float(head["hsA"])] + [1.0] * 3
        sfb = [float(head["hsB"])] + [0.0] * 3
        units = [_igor_text(head.get("xUnits", b""))] + [""] * 3
        labels = [""] * 4

    def is_energy_unit(u):
        return u.lower() in ("ev", "mev")

    e_axis = next((d for d in range(ndim) if labels[d] in ENERGY_DIMS), None)
    if e_axis is None:
        cand = [d for d in range(ndim) if is_energy_unit(units[d])]
        e_axis = cand[0] if len(cand) == 1 else 0
    dims, coords = [], {}
    momentum_named = False
    for d in range(ndim):
        if d == e_axis:
            dim = labels[d] if labels[d] in ENERGY_DIMS else "eV"
        elif not momentum_named:
            momentum_named = True
            if labels[d] in MOMENTUM_DIMS:
                dim = labels[d]
            elif units[d].lower() in ("deg", "degree", "degrees", "\u00b0"):
                dim = "alpha"
            else:
                dim = "k"
        else:
            dim = labels[d] or f"dim_{d}"
        if dim in dims:
            dim = f"dim_{d}"
        n = data.shape[d]
        attrs = {"units": units[d]} if units[d] else {}
        if labels[d] and labels[d] != dim:
            attrs["long_name"] = labels[d]
        coords[dim] = xr.Variable((dim,), sfb[d] + sfa[d] * np.arange(n), attrs)
        dims.append(dim)
    attrs = {}
    note = _igor_text(wave.get("note", b"")) if wave.get("note") is not None else ""
    note = note.replace("\r\n", "\n").replace("\r", "\n")
    if note:
        meta = _parse_note(note)
        eps = meta.pop("eps_k", None)
        attrs.update(meta)
        attrs["note"] = note
        if eps is not None and ndim == 1:
            coords["eps_k"] = eps
    return xr.DataArray(data, dims=dims, coords=coords, name=name, attrs=attrs)


def _read_ibw(path: Path) -> xr.DataArray:
    from igor2 import binarywave

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArpesDataError(f"could not open {path} ({describe(exc)}); check permissions") from None
    _igor_precheck(path, raw)
    import io

    try:
        wave = binarywave.load(io.BytesIO(raw))["wave"]
    except Exception as exc:
        raise ArpesDataError(
            f"could not read {path} as an Igor binary wave ({describe(exc)}); the file may be "
            f"truncated or not .ibw") from None
    return _wave_to_dataarray(wave, path)


def _read_pxt(path: Path, variable: str | None) -> xr.DataArray:
    from igor2 import packed
    from igor2.record.wave import WaveRecord

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArpesDataError(f"could not open {path} ({describe(exc)}); check permissions") from None
    ok = len(raw) >= 8
    if ok:
        for order in "<>":
            rtype, _ver, nbytes = struct.unpack_from(order + "Hhl", raw, 0)
            if (rtype & 0x7FFF) in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 101) and \
                    0 <= nbytes <= len(raw) - 8:
                break
        else:
            ok = False
    if not ok:
        raise ArpesDataError(
            f"could not read {path} as an Igor packed experiment (bad record header); the file "
            f"may be truncated or not .pxt")
    import io

    try:
        records, _fs = packed.load(io.BytesIO(raw))
    except Exception as exc:
        raise ArpesDataError(
            f"could not read {path} as an Igor packed experiment ({describe(exc)}); the file may "
            f"be truncated or not .pxt") from None
    waves = [r.wave["wave"] for r in records if isinstance(r, WaveRecord)]
    names = [_igor_text(w["wave_header"].get("bname", b"")) for w in waves]
    if variable is not None:
        if variable not in names:
            raise ArpesDataError(
                f"{path} has no wave '{variable}' (waves: {', '.join(names) or 'none'}); pass "
                f"variable= one of those")
        return _wave_to_dataarray(waves[names.index(variable)], path)
    if not waves:
        raise ArpesDataError(f"{path} holds no waves; export the spectrum from Igor as .ibw")
    multi = [i for i, w in enumerate(waves) if np.asarray(w["wData"]).ndim >= 2]
    if len(waves) == 1:
        return _wave_to_dataarray(waves[0], path)
    if len(multi) == 1:
        return _wave_to_dataarray(waves[multi[0]], path)
    raise ArpesDataError(
        f"{path} holds several waves ({', '.join(names)}); choose one with "
        f"load(path, variable=name)")


def _parse_float(tok: str) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


def _read_text(path: Path) -> xr.DataArray:
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
            meta.update(_parse_note(comment))
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


def load(path, *, eps_k=None, sample_temp: float | None = None,
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
    try:
        p = Path(os.fspath(path)).expanduser()
    except TypeError:
        raise ArpesDataError(
            f"path must be a file name, got {type(path).__name__}; pass a str or pathlib.Path"
        ) from None
    if not p.exists():
        raise ArpesDataError(f"file not found: {p}; check the path")
    if p.is_dir():
        raise ArpesDataError(f"{p} is a directory; pass the path of a data file inside it")
    ext = p.suffix.lower()
    readers = {**{e: lambda: _read_netcdf(p, variable) for e in _NETCDF_EXT},
               ".ibw": lambda: _read_ibw(p),
               ".pxt": lambda: _read_pxt(p, variable),
               **{e: lambda: _read_text(p) for e in _TEXT_EXT}}
    if ext not in readers:
        raise ArpesDataError(
            f"unsupported file type '{ext or '(no suffix)'}' for {p}; supported: "
            f"{', '.join(SUPPORTED_EXTENSIONS)} (or build an xarray.DataArray and call validate())")
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


# --------------------------------------------------------------------------
# accessor
# --------------------------------------------------------------------------

@xr.register_dataarray_accessor("sigma")
class SigmaAccessor:
    """``da.sigma``: thin forwarding to :mod:`arpes_sigma` functions.

    Registered when :mod:`arpes_sigma.data` is imported. Holds no state
    besides the wrapped array; every method calls a module function.

    Parameters
    ----------
    obj : xarray.DataArray
        The array the accessor is attached to.
    """

    def __init__(self, obj: xr.DataArray):
        self._obj = obj

    def validate(self, **kw) -> xr.DataArray:
        """Clean copy checked against the data contract; see :func:`arpes_sigma.data.validate`."""
        from arpes_sigma.data import validate as _validate

        return _validate(self._obj, **kw)

    def fit(self, config=None, callback=None, **kw):
        """Fit the self-energy model; see :func:`arpes_sigma.fit.fit`."""
        from arpes_sigma.fit import fit as _fit

        return _fit(self._obj, config, callback=callback, **kw)

    def edc(self, k_index: int) -> xr.DataArray:
        """One EDC with a scalar ``eps_k``; see :func:`arpes_sigma.data.edc`."""
        from arpes_sigma.data import edc as _edc

        return _edc(self._obj, k_index)

    def plot(self, ax=None):
        """Plot the spectrum; see :func:`arpes_sigma.plotting.plot_spectrum`."""
        from arpes_sigma.plotting import plot_spectrum

        return plot_spectrum(self._obj, ax=ax)
