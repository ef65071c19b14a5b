"""Prepared cuts of several files → one array with a ``cut`` dimension, for :func:`arpes_sigma.fit_many`.

Cuts prepared with the same number of EDCs and the same energy step share the
ω grid i·ΔE (:mod:`arpes_sigma.io.align`), so they stack on the energies they
all cover without resampling. Their momenta differ, so ``k`` becomes the EDC
index and the momentum of each cut is kept as the coordinate ``k_parallel``
(cut, k); ``eps_k``, ``alpha``, ``eV_offset`` and ``noise_sigma`` become
coordinates along (cut, k[, eV]) as well, and per-cut numbers (``fermi_level``,
``k_F``, the source file, the Fermi-surface angle when the geometry is known)
coordinates along ``cut``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import xarray as xr

from ..errors import ArpesDataError
from ..physics.band import CutGeometry, fermi_surface_angle

__all__ = ["fs_angle", "stack_cuts"]

_PER_CUT = ("fermi_level", "k_F", "effective_gain")
_SHARED = ("sample_temp", "energy_resolution", "hv", "pass_energy", "lens_mode", "calibration", "eps_k_source")


def fs_angle(cut: xr.DataArray) -> float:
    """Fermi-surface angle (degrees, 0 antinode … 45 node) of a prepared cut's k_F, NaN without a geometry."""
    if "geometry" not in cut.attrs:
        return float("nan")
    g = CutGeometry(**json.loads(cut.attrs["geometry"]))
    kx, ky = g.kxky(float(cut.attrs.get("k_F", cut["k"].values[cut.sizes["k"] // 2])))
    return float(fermi_surface_angle(kx, ky))


def stack_cuts(cuts: Sequence[xr.DataArray]) -> xr.DataArray:
    """Stack prepared cuts (:func:`arpes_sigma.prepare`) along a new ``cut`` dimension.

    Parameters
    ----------
    cuts : sequence of xarray.DataArray
        Prepared cuts with equal numbers of EDCs, the same energy step and
        the same temperature and resolution.

    Returns
    -------
    xarray.DataArray
        dims ``("cut", "k", "eV")`` on the energies every cut covers; ``k`` is
        the EDC index 0…K−1; coordinates ``k_parallel``, ``eps_k``, ``alpha``,
        ``eV_offset`` (cut, k), ``noise_sigma`` (cut, k, eV), ``fermi_level``,
        ``k_F``, ``source_file``, ``fs_angle`` (cut; NaN without a geometry).
        attrs: those all cuts share.

    Raises
    ------
    ArpesDataError
        Cuts that cannot share one grid (different numbers of EDCs, energy
        steps, temperatures or resolutions, or no common energies).
    """
    cuts = list(cuts)
    if not cuts:
        raise ArpesDataError("no cuts to stack; pass at least one prepared cut")
    n_k = {c.sizes["k"] for c in cuts}
    if len(n_k) > 1:
        raise ArpesDataError(f"the cuts have different numbers of EDCs {sorted(n_k)}; prepare them with one n_edcs")
    steps = [float(np.median(np.diff(c["eV"].values))) for c in cuts]
    if max(steps) - min(steps) > 1e-6 * max(steps):
        raise ArpesDataError(
            f"the cuts have different energy steps ({min(steps):.6g} … {max(steps):.6g} eV); measure them alike")
    for key in ("sample_temp", "energy_resolution"):
        values = {round(float(c.attrs[key]), 9) for c in cuts}
        if len(values) > 1:
            raise ArpesDataError(f"the cuts differ in {key} ({sorted(values)}); fit them separately")
    step = steps[0]
    index = [np.rint(c["eV"].values / step).astype(int) for c in cuts]
    lo, hi = max(i.min() for i in index), min(i.max() for i in index)
    if hi - lo + 1 < 10:
        raise ArpesDataError("the cuts share fewer than 10 energies; prepare them with one energy_window")
    parts = []
    for c, idx in zip(cuts, index, strict=True):
        keep = (idx >= lo) & (idx <= hi)
        parts.append(c.isel(eV=np.flatnonzero(keep)))
    omega = np.arange(lo, hi + 1) * step
    per_k = {name: (("cut", "k"), np.stack([np.asarray(p[name].values, float) for p in parts]),
                    dict(parts[0][name].attrs))
             for name in ("eps_k", "alpha", "eV_offset")}
    per_k["k_parallel"] = (("cut", "k"), np.stack([p["k"].values for p in parts]), {"units": "1/Angstrom"})
    coords = {
        "cut": ("cut", np.arange(len(parts))),
        "k": ("k", np.arange(parts[0].sizes["k"]), {"long_name": "EDC index"}),
        "eV": ("eV", omega, {"units": "eV"}),
        "noise_sigma": (("cut", "k", "eV"), np.stack([p["noise_sigma"].values for p in parts])),
        "source_file": ("cut", np.array([json.loads(p.attrs.get("source_files", '["?"]'))[0] for p in parts],
                                        dtype=object)),
        "fs_angle": ("cut", np.array([fs_angle(p) for p in parts]), {"units": "deg"}),
        **per_k,
    }
    for name in _PER_CUT:
        coords[name] = ("cut", np.array([float(p.attrs.get(name, np.nan)) for p in parts]))
    attrs = {key: cuts[0].attrs[key] for key in _SHARED
             if key in cuts[0].attrs and all(c.attrs.get(key) == cuts[0].attrs[key] for c in cuts)}
    attrs["source"] = "arpes_sigma.io.stack.stack_cuts"
    return xr.DataArray(np.stack([p.values for p in parts]), dims=("cut", "k", "eV"), coords=coords,
                        name="intensity", attrs=attrs)
