"""Raw analyser files → a raw cut in ERLabPy's conventions (:func:`read`).

A raw cut is what the analyser recorded, untouched: intensity with dims
``("alpha", "eV")`` — ``alpha`` the angle along the slit (degrees), ``eV`` the
**kinetic** energy (eV) — and attrs ``hv`` (photon energy, eV) and the analyser
settings (``pass_energy`` eV, ``lens_mode``, ``n_sweeps``, ``step_time`` ms,
``sample``, ``date``, ...). It is made fit-ready by
:func:`arpes_sigma.calibrate` and :func:`arpes_sigma.prepare`.

Formats
-------
* SES text exports (``.txt``): :mod:`arpes_sigma.io.ses_text`.
* SES Igor waves (``.ibw``, ``.pxt``) and DA30 archives (``.zip``): through
  ERLabPy's DA30 loader (``erlab.io.loaders["da30"]``, its Igor backend), so
  its knowledge of SES's axis names and wave notes is used rather than
  repeated here.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, describe
from .formats import RAW_EXTENSIONS, raw_file
from .ses_text import ANALYSER_ATTRS, read_ses_text

__all__ = ["RAW_EXTENSIONS", "read", "require_raw"]

def _erlab_load(p: Path) -> xr.DataArray:
    """Load with ERLabPy's DA30 loader; its exceptions become one-line errors."""
    try:
        import erlab.io
    except ImportError as exc:  # pragma: no cover - erlab is a dependency
        raise ArpesDataError(f"reading {p.suffix} files needs ERLabPy ({describe(exc)}); pip install erlab") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ERLabPy's own notes on coordinates it fills in
            out = erlab.io.loaders["da30"].load(p, progress=False)
    except Exception as exc:
        raise ArpesDataError(
            f"could not read {p} with ERLabPy's DA30/SES loader ({describe(exc)}); the file may be truncated "
            f"or not an SES export") from None
    if isinstance(out, xr.DataTree):
        names = [str(n) for n in out.children]
        raise ArpesDataError(
            f"{p} holds several regions ({', '.join(names)}); export one region per file or read it with "
            f"erlab.io.load and pass one cut on")
    if not isinstance(out, xr.DataArray):
        raise ArpesDataError(f"{p} did not read as one spectrum (got {type(out).__name__}); export one cut")
    return out


def _canonical(da: xr.DataArray, p: Path, beta: float | None) -> xr.DataArray:
    """ERLabPy's array → dims ("alpha", "eV"), canonical attrs."""
    if "beta" in da.dims:
        if da.sizes["beta"] == 1:
            da = da.isel(beta=0)
        elif beta is None:
            raise ArpesDataError(
                f"{p} is a deflector map ({da.sizes['beta']} beta angles); pick one cut with "
                f"arpes_sigma.read(path, beta=<degrees>)")
        else:
            da = da.sel(beta=float(beta), method="nearest")
    if "eV" not in da.dims:
        raise ArpesDataError(f"{p} has no energy axis (dims {tuple(map(str, da.dims))}); export the cut with energy")
    others = [d for d in da.dims if d != "eV"]
    if not others or "alpha" not in others:
        raise ArpesDataError(
            f"{p} has no angle axis (dims {tuple(map(str, da.dims))}): an angle-integrated spectrum; "
            f"measure or export the cut in an angular lens mode")
    if len(others) > 1:
        raise ArpesDataError(f"{p} has dims {tuple(map(str, da.dims))}; export one cut (energy and angle)")
    raw_attrs = dict(da.attrs)
    attrs: dict[str, Any] = {}
    for key, (name, kind) in ANALYSER_ATTRS.items():
        if key in raw_attrs:
            value = raw_attrs[key]
            try:
                attrs[name] = kind(value) if kind is str else kind(float(value))
            except (TypeError, ValueError):
                attrs[name] = str(value)
    if "hv" not in attrs and "hv" in raw_attrs:
        attrs["hv"] = float(raw_attrs["hv"])
    scale = str(raw_attrs.get("Energy Scale", "Kinetic")).strip().lower()
    if scale.startswith("binding"):
        raise ArpesDataError(f"{p} is on the binding-energy scale; export it on the kinetic-energy scale from SES")
    attrs["region_name"] = str(raw_attrs.get("Region Name", da.name or ""))
    attrs["energy_scale"] = "kinetic"
    attrs["analyser_info"] = "\n".join(f"{k}={v}" for k, v in raw_attrs.items() if k != "data_loader_name")
    values = np.asarray(da.transpose("alpha", "eV").values, dtype=np.float64)
    out = xr.DataArray(
        values,
        dims=("alpha", "eV"),
        coords={"alpha": ("alpha", np.asarray(da["alpha"].values, float), {"units": "deg"}),
                "eV": ("eV", np.asarray(da["eV"].values, float), {"units": "eV", "long_name": "kinetic energy"})},
        name="intensity",
        attrs=attrs,
    )
    if out.sizes["eV"] > 1 and np.all(np.diff(out["eV"].values) < 0):
        out = out.isel(eV=slice(None, None, -1))
    return out


def read(path: str | os.PathLike, *, region: int | str | None = None, beta: float | None = None,
         work_function: float | None = None) -> xr.DataArray:
    """Read a raw ARPES measurement (read-only): kinetic energy × analyser angle.

    Parameters
    ----------
    path : str or os.PathLike
        An SES text export (``.txt``), SES Igor wave (``.ibw``) or packed
        experiment (``.pxt``), or a DA30 archive (``.zip``).
    region : int or str, optional
        Region number or name of a multi-region SES text export.
    beta : float, optional
        Deflector angle (degrees) of the cut to take from a DA30 deflector map.
    work_function : float, optional
        Analyser work function, eV; only for an SES text export on the binding
        energy scale.

    Returns
    -------
    xarray.DataArray
        Intensity **as written in the file** (float64), dims
        ``("alpha", "eV")``: ``alpha`` in degrees, ``eV`` kinetic energy in eV,
        ascending. attrs: ``hv`` (eV), ``pass_energy`` (eV), ``lens_mode``,
        ``n_sweeps``, ``step_time`` (ms), ``sample``, ``date``, ... when the
        file has them; ``source_file`` (absolute path) and ``source_format``.

    Raises
    ------
    ArpesDataError
        Missing or unreadable file, unknown suffix, no angle axis, several
        regions without ``region=``, or no photon energy in the file (one line
        that names the fix).

    Examples
    --------
    >>> raw = arpes_sigma.read("R99S10057.txt")  # doctest: +SKIP
    >>> raw.dims, raw.attrs["hv"]  # doctest: +SKIP
    (('alpha', 'eV'), 21.2)
    """
    p = raw_file(path)
    ext = p.suffix.lower()
    if ext == ".txt":
        da = read_ses_text(p, region=region, work_function=work_function)
        fmt = "SES text"
    else:
        loaded = _erlab_load(p)
        try:
            da = _canonical(loaded, p, beta)
        except ArpesDataError:
            raise
        except Exception as exc:  # an array ERLabPy read but in a layout we do not know
            raise ArpesDataError(
                f"{p} read with ERLabPy, but not as one cut ({describe(exc)}); export a single energy-angle cut"
            ) from None
        fmt = {".ibw": "SES Igor binary wave", ".pxt": "SES Igor packed experiment", ".zip": "DA30 zip"}[ext]
    hv = da.attrs.get("hv")
    if not isinstance(hv, float) or not np.isfinite(hv) or hv <= 0:
        raise ArpesDataError(
            f"{p} records no photon energy ('Excitation Energy'); set it with raw.attrs['hv'] = <eV> after "
            f"arpes_sigma.read, or fix the export")
    da.attrs["source_file"] = str(p.resolve())
    da.attrs["source_format"] = fmt
    return da


def require_raw(raw: Any, what: str = "raw") -> xr.DataArray:
    """Check that ``raw`` is a raw cut (dims ``alpha``, ``eV`` kinetic; attr ``hv``) or raise one line.

    Returns it with dims ``("alpha", "eV")`` and the angles ascending (columns reordered, values untouched).
    """
    if not isinstance(raw, xr.DataArray):
        raise ArpesDataError(
            f"the {what} spectrum must be an xarray.DataArray from arpes_sigma.read, got {type(raw).__name__}")
    dims = tuple(map(str, raw.dims))
    if "eV" not in dims:
        raise ArpesDataError(
            f"the {what} spectrum has no 'eV' (kinetic energy) dim (dims {dims}); use arpes_sigma.read")
    if "alpha" not in dims or raw.ndim != 2:
        raise ArpesDataError(
            f"the {what} spectrum has no angle axis 'alpha' (dims {dims}); an angle-integrated spectrum cannot be "
            f"calibrated or prepared, measure the cut in an angular lens mode")
    hv = raw.attrs.get("hv")
    try:
        hv_ok = hv is not None and float(hv) > 0
    except (TypeError, ValueError):
        hv_ok = False
    if not hv_ok:
        raise ArpesDataError(f"the {what} spectrum has no photon energy attrs['hv']; set it (eV)")
    e = np.asarray(raw["eV"].values, dtype=float)
    if e.size < 10 or not np.all(np.diff(e) > 0):
        raise ArpesDataError(
            f"the {what} spectrum's energy axis must hold >= 10 ascending values; use arpes_sigma.read")
    if float(e.min()) < 1.0:
        raise ArpesDataError(
            f"the {what} spectrum's energies ({e.min():.3g} … {e.max():.3g} eV) are not kinetic energies; "
            f"it is already prepared (use arpes_sigma.fit on it) or on the binding scale")
    raw = raw.transpose("alpha", "eV")
    a = np.asarray(raw["alpha"].values, dtype=float)
    if a.size > 1 and not np.all(np.diff(a) > 0):
        if np.unique(a).size != a.size:
            raise ArpesDataError(f"the {what} spectrum has repeated angles; it is not one cut")
        raw = raw.sortby("alpha")
    return raw
