"""The data contract: what a fit-ready spectrum looks like, checked by :func:`validate`.

A fit-ready spectrum (the data contract of README.md) is an :class:`xarray.DataArray`

* with dims ``("k", "eV")`` for a cut, or ``("eV",)`` for a single EDC;
* energy ``eV`` in eV, measured from the Fermi level, strictly ascending;
* a coordinate ``eps_k`` (bare band energy, eV) along ``k`` (a scalar for an EDC);
* attrs ``sample_temp`` (K) and ``energy_resolution`` (Gaussian FWHM, eV);
* float64 intensity, finite (negative noise around zero is kept).

Every problem with the input raises :class:`arpes_sigma.errors.ArpesDataError`
with a one-line message that names the problem and the fix. The input is never
modified.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError
from .checks import (
    ENERGY_DIMS,
    MAX_RESOLUTION_EV,
    META_KEYS,
    MOMENTUM_DIMS,
    NEGATIVE_WARN_FRACTION,
    RES_KEYS,
    TEMP_KEYS,
    check_energy,
    check_eps_not_placeholder,
    check_fermi_level,
    check_intensity,
    check_momentum_units,
    classify_dims,
    eps_from,
    fmt_number,
    positive_attr,
)

__all__ = [
    "ENERGY_DIMS",
    "META_KEYS",
    "MOMENTUM_DIMS",
    "NEGATIVE_WARN_FRACTION",
    "edc",
    "validate",
]


def validate(da: xr.DataArray, *, eps_k: Any = None, sample_temp: float | None = None,
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
    * all energies > 5 eV → refused as kinetic energies: a raw measurement,
      made fit-ready by ``arpes_sigma.read`` + ``calibrate`` + ``prepare``;
    * fewer than 10 points → error.

    Then every other problem is collected and reported in **one** message:
    a Fermi level that leaves most of the window or of the intensity above
    E_F; a momentum axis in degrees (``units`` deg, or values beyond ±2π);
    ε_k missing, of the wrong shape, or ≡ 0 on a cut (a placeholder); sample
    temperature or resolution missing or implausible.
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

    e_dim, k_dim_in = classify_dims(da)
    values = check_intensity(da.values)

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

    out = check_energy(out, e_dim)

    # every remaining problem is collected, so that one message names them all
    problems: list[str] = []

    def attempt(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except ArpesDataError as err:
            problems.append(str(err))
            return None

    attempt(check_fermi_level, out)
    if k_dim is not None:
        attempt(check_momentum_units, out, k_dim_in)
    with_eps = attempt(eps_from, out, eps_k, k_dim)
    if with_eps is not None:
        out = with_eps
        if k_dim is not None:
            attempt(check_eps_not_placeholder, out)
    temp = attempt(positive_attr, out, TEMP_KEYS, sample_temp, "sample temperature", "K", "20.0")
    res = attempt(positive_attr, out, RES_KEYS, energy_resolution, "energy resolution", "FWHM, eV", "0.010")
    if res is not None and res >= MAX_RESOLUTION_EV:
        problems.append(f"energy_resolution={fmt_number(res)} looks like meV; pass it in eV, e.g. "
                        f"energy_resolution={fmt_number(res / 1000)}")
    if problems:
        head = f"{len(problems)} problems: " if len(problems) > 1 else ""
        raise ArpesDataError(head + "; ".join(problems))
    if out.attrs.get("sample_temp") != temp:
        out.attrs["sample_temp"] = temp
    if out.attrs.get("energy_resolution") != res:
        out.attrs["energy_resolution"] = res
    return out



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


