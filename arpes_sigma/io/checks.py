"""The rules of the data contract, one check each (used by :func:`arpes_sigma.io.contract.validate`).

Every check raises :class:`arpes_sigma.errors.ArpesDataError` with a one-line
message that names the problem and the fix.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError

__all__ = [
    "ENERGY_DIMS",
    "MAX_RESOLUTION_EV",
    "META_KEYS",
    "MOMENTUM_DIMS",
    "NEGATIVE_WARN_FRACTION",
    "RES_KEYS",
    "TEMP_KEYS",
    "check_energy",
    "check_eps_not_placeholder",
    "check_fermi_level",
    "check_intensity",
    "check_momentum_units",
    "classify_dims",
    "eps_from",
    "fmt_number",
    "positive_attr",
]

ENERGY_DIMS: tuple[str, ...] = ("eV", "energy", "E")
#: Dimension names accepted for the momentum axis (renamed to ``"k"``).
MOMENTUM_DIMS: tuple[str, ...] = ("k", "kx", "ky", "alpha", "phi")


# attrs holding the temperature / resolution; first is the canonical name,
# the others are ERLabPy-style alternatives accepted on input.
TEMP_KEYS = ("sample_temp", "temperature", "temp_sample")
RES_KEYS = ("energy_resolution", "resolution")
META_KEYS = TEMP_KEYS + RES_KEYS

MAX_RESOLUTION_EV = 0.5
_MEV_SPAN_EV = 5.0  # an energy window wider than this without units is taken as meV
_MIN_ENERGY_POINTS = 10
#: Fraction of negative intensities above which validate() warns (values are kept).
NEGATIVE_WARN_FRACTION = 0.05


def fmt_number(x: float) -> str:
    """Compact number formatting for messages."""
    return f"{float(x):.6g}"


def _first_present(mapping: dict, keys: Iterable[str]) -> tuple[str | None, Any]:
    for key in keys:
        if key in mapping:
            return key, mapping[key]
    return None, None



def classify_dims(da: xr.DataArray) -> tuple[str, str | None]:
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


def check_intensity(values: np.ndarray) -> np.ndarray:
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
            f"intensity is constant ({fmt_number(out.flat[0])}) everywhere; check the file, "
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


def check_energy(da: xr.DataArray, e_dim: str) -> xr.DataArray:
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
            f"energy axis '{e_dim}' has duplicated values at {fmt_number(dup)} eV; remove duplicates, "
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
            f"energy axis '{e_dim}' spans {fmt_number(span)} (looks like meV); convert with "
            f"da.assign_coords({e_dim}=da.{e_dim}/1000) or set da.{e_dim}.attrs['units']='meV'")
    if e.min() > _MEV_SPAN_EV:
        raise ArpesDataError(
            f"energy axis '{e_dim}' runs from {fmt_number(e.min())} to {fmt_number(e.max())} eV: kinetic "
            f"energies of a raw measurement; make it fit-ready against a gold reference with "
            f"arpes_sigma.prepare(arpes_sigma.read(RAW), arpes_sigma.calibrate(GOLD, T)) or "
            f"`arpes-sigma prepare RAW --gold GOLD --temperature T --out cut.nc` (energies from E_F, k from angles); "
            f"if E_F is known, subtract the Fermi level: da.assign_coords({e_dim}=da.{e_dim} - E_F)")

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


def eps_from(da: xr.DataArray, eps_k: Any, k_dim: str | None) -> xr.DataArray:
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
            "e.g. with arpes_sigma.physics.band.bi2212_eps(kx, ky) on the cut (Norman et al. 1995), or prepare "
            "a raw cut with arpes_sigma.prepare(..., band='bi2212', geometry=...)")
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
            f"'eps_k' reaches {fmt_number(np.max(np.abs(v)))} (looks like meV); pass it in eV")
    if c.dtype != np.float64:
        da = da.assign_coords(eps_k=xr.Variable(c.dims, v, dict(c.attrs)))
    return da


def positive_attr(da: xr.DataArray, keys: tuple[str, ...], given: Any, what: str,
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
            f"{what} {src}={fmt_number(x)} must be a positive number; pass {keys[0]}={example} ({unit})")
    return x


#: Energies more than this above E_F (eV) are "well above" it for :func:`check_fermi_level`.
ABOVE_EF_EV = 0.06
_DEGREE_UNITS = ("deg", "degree", "degrees", "\u00b0")


def check_fermi_level(da: xr.DataArray) -> None:
    """Refuse an E_F that leaves most of the window, or as much intensity as below it, well above E_F."""
    e = np.asarray(da["eV"].values, dtype=float)
    above = e > ABOVE_EF_EV
    frac = float(above.mean())
    below = (e < -ABOVE_EF_EV) & (e > -ABOVE_EF_EV - 0.2)
    ratio = 0.0
    if above.sum() >= 3 and below.sum() >= 3:
        v = np.asarray(da.values, dtype=float)
        ratio = float(v[..., above].mean() / max(v[..., below].mean(), 1e-300))
    if frac > 0.5 or ratio > 0.5:
        raise ArpesDataError(
            f"the Fermi level looks wrong: energies run {fmt_number(e.min())} … {fmt_number(e.max())} eV and "
            f"{frac:.0%} of them (holding {ratio:.0%} of the intensity below E_F) lie more than "
            f"{int(ABOVE_EF_EV * 1000)} meV above E_F, so the band would sit above E_F; measure E_F on a gold "
            f"reference (arpes_sigma.calibrate) or fix the subtracted Fermi level")


def check_momentum_units(da: xr.DataArray, name: str | None) -> None:
    """Refuse a momentum axis in degrees: its ``units``, or values beyond ±2π that no k in 1/Å or 1/a reaches.

    A bare index 0, 1, 2, ... (what :func:`validate` assigns to a momentum dim without a coordinate) passes.
    """
    if "k" not in da.coords:
        return
    c = da.coords["k"]
    units = str(c.attrs.get("units", "")).strip().lower()
    try:
        kmax = float(np.nanmax(np.abs(np.asarray(c.values, dtype=float))))
    except (TypeError, ValueError):
        return
    index = np.array_equal(np.asarray(c.values), np.arange(c.size))  # a bare index, not a momentum
    if units in _DEGREE_UNITS or (not units and kmax > 2 * np.pi and not index):
        shown = name or "k"
        raise ArpesDataError(
            f"momentum axis '{shown}' holds angles in degrees (up to {fmt_number(kmax)}), not momenta; convert the "
            f"raw cut with arpes_sigma.prepare(arpes_sigma.read(RAW), arpes_sigma.calibrate(GOLD, T)) "
            f"(k = 0.5123 sqrt(E_kin/eV) sin(alpha) 1/Angstrom)")


def check_eps_not_placeholder(da: xr.DataArray) -> None:
    """Refuse ε_k ≡ 0 on a cut of several EDCs (a placeholder, not a band)."""
    v = np.asarray(da.coords["eps_k"].values, dtype=float)
    if v.size > 1 and not np.any(v):
        raise ArpesDataError(
            "eps_k is 0 for every EDC (a placeholder, not a band); give the bare band, e.g. "
            "arpes_sigma.physics.band.bi2212_eps(kx, ky) along the cut, or prepare the raw cut with "
            "arpes_sigma.prepare(..., band='bi2212', geometry=...)")
