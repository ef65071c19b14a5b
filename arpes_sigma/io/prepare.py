"""A raw cut + its calibration → a fit-ready cut (:func:`prepare`).

Steps, in order:

1. energies from E_F angle by angle (:mod:`arpes_sigma.io.align`: whole energy
   steps, intensities as read, the sub-step remainder kept as ``eV_offset``);
2. k∥ = 0.5123 √(E_F/eV) sin(α − α0) Å⁻¹ per angle — with E_F measured, no
   work function is needed;
3. the noise model, measured from the data: variance = g · I with the
   effective gain g from second differences along energy
   (:func:`arpes_sigma.io.noise.effective_gain`), on the unbinned columns;
4. the Fermi crossing from the MDC at E_F (:mod:`arpes_sigma.io.mdc`) and a
   fixed number of EDCs around it, each the **sum** of a few adjacent angles
   (never rescaled), so cuts from different files stack;
5. ε_k from a named band and the cut geometry, or given, or a first guess
   from the MDC dispersion (``attrs["eps_k_source"]`` says which).
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, ConfigError
from ..physics.band import BANDS, CutGeometry
from .align import align_columns
from .calibrate import Calibration
from .contract import validate
from .mdc import dispersion_guess, fermi_crossing, occupied_side
from .noise import effective_gain, gain_noise
from .raw import read, require_raw

__all__ = ["ANALYSER_KEYS", "K_PER_SQRT_EV", "prepare"]

#: k∥ (1/Å) = K_PER_SQRT_EV · √(E_kin/eV) · sin α  (√(2 m_e)/ħ).
K_PER_SQRT_EV = 0.5123
#: Analyser settings copied from the raw cut to the prepared one.
ANALYSER_KEYS = ("hv", "pass_energy", "lens_mode", "n_sweeps", "step_time", "acquisition_mode", "sample", "date",
                 "time", "instrument", "region_name")
_K_B = 8.617333262e-5
_FALLBACK_VELOCITY = 0.5  # eV·Å, when MDC peaks cannot be followed (flat antinodal band)


def _options(raw: xr.DataArray, calibration: Any, temperature: Any, n_edcs: Any, band: Any, geometry: Any,
             eps_k: Any, k_span: Any, bin_width: Any) -> float:
    """Every problem with the arguments, in one message; returns the temperature (K)."""
    problems = []
    if not isinstance(calibration, Calibration):
        raise ConfigError(
            f"calibration must be an arpes_sigma.calibrate(...) result, got {type(calibration).__name__}; "
            f"run calibrate(gold_file, temperature) first")
    try:
        calibration.check_matches(raw)
    except ArpesDataError as err:
        problems.append(str(err))
    t = calibration.temperature if temperature is None else temperature
    try:
        t = float(t)
    except (TypeError, ValueError):
        t = float("nan")
    if not 0 < t < 1000:
        problems.append(f"temperature={temperature!r} must be the sample temperature in K (0 < T < 1000), e.g. 20")
    if not isinstance(n_edcs, int) or isinstance(n_edcs, bool) or not 3 <= n_edcs <= 201:
        problems.append(f"n_edcs={n_edcs!r} must be an integer 3…201 (default 11)")
    if not (isinstance(k_span, (int, float)) and 0 < k_span < 3):
        problems.append(f"k_span={k_span!r} must be the momentum range of the EDCs in 1/Å, e.g. 0.2")
    if bin_width is not None and (not isinstance(bin_width, int) or bin_width < 1):
        problems.append(f"bin_width={bin_width!r} must be a whole number of angle channels >= 1")
    if band is not None and band not in BANDS:
        problems.append(f"unknown band {band!r}; use one of {sorted(BANDS)}")
    if band is not None and not isinstance(geometry, CutGeometry):
        problems.append("band= needs geometry=CutGeometry(kx0, ky0, direction) to place the cut in the zone")
    if eps_k is not None and band is not None:
        problems.append("give eps_k= or band=, not both")
    if eps_k is not None and np.asarray(eps_k).shape != (n_edcs,):
        problems.append(f"eps_k has shape {np.asarray(eps_k).shape}; give one value per EDC ({n_edcs}), eV")
    if problems:
        raise ArpesDataError(
            (f"{len(problems)} problems: " if len(problems) > 1 else "") + "; ".join(problems))
    return t


def _bins(k: np.ndarray, centre: int, n: int, span: float, width: int) -> list[np.ndarray]:
    dk = float(np.median(np.abs(np.diff(k))))
    spacing = max(span / (n - 1), width * dk)
    targets = k[centre] + (np.arange(n) - (n - 1) / 2) * spacing * np.sign(k[-1] - k[0])
    first = [int(np.argmin(np.abs(k - t))) - (width - 1) // 2 for t in targets]
    shift = 0
    if first[0] < 0:
        shift = -first[0]
    if first[-1] + width > k.size:
        shift = k.size - width - first[-1]
    first = [f + shift for f in first]
    if first[0] < 0 or first[-1] + width > k.size or len(set(first)) < n:
        raise ArpesDataError(
            f"{n} EDCs of {width} angles spaced {spacing:.3f} 1/Å do not fit in the measured angles "
            f"(k {k.min():.3f} … {k.max():.3f} 1/Å); lower n_edcs, k_span or bin_width")
    return [np.arange(f, f + width) for f in first]


def _check_edge(omega: np.ndarray, values: np.ndarray, fermi: float, margin: float, source: str) -> None:
    """A guessed E_F that puts the band above E_F shows as much intensity above E_F as below."""
    above = values[:, omega > margin]
    below = values[:, (omega < -margin) & (omega > -margin - 0.15)]
    if above.shape[1] >= 3 and below.shape[1] >= 3:
        ratio = float(above.mean() / max(below.mean(), 1e-300))
        if ratio > 0.5:
            raise ArpesDataError(
                f"{source}: intensity above E_F is {ratio:.0%} of that below it, so E_F = {fermi:.4f} eV (kinetic) "
                f"does not fit this cut (the band would lie above E_F); calibrate with a gold reference measured "
                f"with the cut, or correct the guessed Fermi level")


def _crossing(kpar: np.ndarray, omega: np.ndarray, values: np.ndarray, width: int, k_center: Any, band: Any,
              geometry: Any, source: str) -> tuple[int, int, str]:
    """Column of the Fermi crossing, the occupied side (+1: larger index) and how it was found."""
    if k_center is not None:
        centre = int(np.argmin(np.abs(kpar - float(k_center))))
        return centre, occupied_side(kpar, values, centre), "given"
    try:
        centre, side = fermi_crossing(kpar, omega, values, smooth=width, source=source)
    except ArpesDataError:
        if band is None:
            raise
        centre, side = kpar.size // 2, 0
    if band is not None:
        eps = np.asarray(BANDS[band](*geometry.kxky(kpar)), dtype=float)
        crossings = np.flatnonzero(np.diff(np.sign(eps)) != 0)
        if crossings.size:
            c = int(crossings[np.argmin(np.abs(crossings - centre))])
            c += int(abs(eps[c + 1]) < abs(eps[c]))
            return c, (1 if eps[min(c + 1, eps.size - 1)] < eps[max(c - 1, 0)] else -1), f"crossing of band {band}"
    return centre, side, "step of the momentum distribution"


def prepare(raw: Any, calibration: Calibration, *, temperature: float | None = None, n_edcs: int = 11,
            k_span: float = 0.2, k_center: float | None = None, bin_width: int | None = None,
            energy_window: tuple[float, float] = (-0.35, 0.10), band: str | None = None,
            geometry: CutGeometry | None = None, eps_k: Any = None, angle_offset: float = 0.0) -> xr.DataArray:
    """A fit-ready cut from a raw measurement and its gold calibration.

    Parameters
    ----------
    raw : path or xarray.DataArray
        A raw cut (:func:`arpes_sigma.read`): dims ``alpha`` (deg), ``eV`` (kinetic).
    calibration : Calibration
        From :func:`arpes_sigma.calibrate` on a gold reference measured at the
        same photon and pass energy.
    temperature : float, optional
        Sample temperature, K; default the calibration's.
    n_edcs : int
        Number of EDCs (fixed, so cuts from different files stack).
    k_span : float
        Momentum range the EDCs span, 1/Å, centred on ``k_center``.
    k_center : float, optional
        Centre of the EDCs, 1/Å; default the Fermi crossing found in the MDC at E_F.
    bin_width : int, optional
        Adjacent angles summed into one EDC; default the number within 0.006 1/Å
        (about the angular resolution), at least 1.
    energy_window : (float, float)
        ω range kept, eV (clipped to the data).
    band : str, optional
        A dispersion of :data:`arpes_sigma.physics.band.BANDS` (``"bi2212"``:
        Norman et al. 1995); with ``geometry`` it gives ε_k.
    geometry : CutGeometry, optional
        Where the cut lies in the zone.
    eps_k : array, optional
        ε_k (eV) per EDC, given.
    angle_offset : float
        Angle of normal emission α0, degrees.

    Returns
    -------
    xarray.DataArray
        dims ``("k", "eV")``; ``eV`` from E_F (ascending), ``k`` = k∥ (1/Å);
        coordinates ``eps_k`` (k, eV), ``alpha`` (k, deg, bin centres),
        ``eV_offset`` (k, eV: the true ω of a point is eV + eV_offset),
        ``noise_sigma`` (k, eV; intensity units); attrs ``sample_temp``,
        ``energy_resolution``, ``hv``, ``fermi_level`` (kinetic E_F at the
        centre EDC, eV), ``calibration`` (JSON), ``source_files`` (JSON list),
        ``eps_k_source`` ("band:<name>" | "mdc" | "given"), ``effective_gain``,
        ``noise_model``, ``k_F`` (1/Å), ``bin_width`` and the analyser settings.
        Intensities are the sums of the raw values, never rescaled.

    Raises
    ------
    ArpesDataError, ConfigError
        One line naming every problem with the inputs (mismatched photon or
        pass energy, no overlap between the cut and the gold's E_F, no Fermi
        crossing, a Fermi level that leaves the band above E_F, ...).
    """
    raw = require_raw(read(raw) if isinstance(raw, (str, os.PathLike)) else raw)
    source = str(raw.attrs.get("source_file", "the cut"))
    t = _options(raw, calibration, temperature, n_edcs, band, geometry, eps_k, k_span, bin_width)
    fwhm = float(calibration.energy_resolution)

    alpha = np.asarray(raw["alpha"].values, dtype=float)
    kinetic = np.asarray(raw["eV"].values, dtype=float)
    lo, hi = calibration.angle_range
    if alpha.max() < lo or alpha.min() > hi:
        raise ArpesDataError(
            f"{source}: angles {alpha.min():.1f} … {alpha.max():.1f}° do not overlap the gold's {lo:.1f} … {hi:.1f}°; "
            f"use a gold reference measured with the same lens mode and angles")
    ef = calibration.fermi_level(alpha)
    if ef.max() < kinetic[0] or ef.min() > kinetic[-1]:
        raise ArpesDataError(
            f"{source}: kinetic energies {kinetic[0]:.3f} … {kinetic[-1]:.3f} eV do not include the gold's E_F "
            f"({ef.min():.3f} … {ef.max():.3f} eV): no overlap; was the gold taken with the same photon energy "
            f"and in the same session?")
    aligned = align_columns(kinetic, raw.values, ef, window=energy_window)
    omega, values = aligned.omega, aligned.values
    margin = 3 * fwhm + 5 * _K_B * t
    _check_edge(omega, values, float(np.median(ef)), margin, source)

    kpar = K_PER_SQRT_EV * np.sqrt(ef) * np.sin(np.radians(alpha - angle_offset))
    gain = effective_gain(values)
    if not np.isfinite(gain):
        raise ArpesDataError(f"{source}: too few positive intensities to measure the noise; check the file")
    dk = float(np.median(np.abs(np.diff(kpar))))
    width = bin_width or max(1, int(round(0.006 / dk)))
    centre, side, how = _crossing(kpar, omega, values, width, k_center, band, geometry, source)
    bins = _bins(kpar, centre, n_edcs, float(k_span), width)

    # each EDC: its angles summed as read on the kinetic axis, then moved by the whole number of steps
    # nearest to their mean E_F; moving each angle by its own whole number first would sum, in a bin
    # whose angles round to different steps, points a whole step apart in true energy
    as_read = np.asarray(raw.values, dtype=float)
    binned = align_columns(kinetic, np.stack([as_read[b].sum(axis=0) for b in bins]),
                           np.array([ef[b].mean() for b in bins]), window=energy_window)
    omega_cut, edcs, off = binned.omega, binned.values, binned.offset
    k = np.array([kpar[b].mean() for b in bins])
    a_c = np.array([alpha[b].mean() for b in bins])
    note = ""
    if eps_k is not None:
        eps, eps_source = np.asarray(eps_k, dtype=float), "given"
    elif band is not None:
        eps, eps_source = np.asarray(BANDS[band](*geometry.kxky(k)), dtype=float), f"band:{band}"
    else:
        v, _k0, n_peaks = dispersion_guess(kpar, omega, values, smooth=width)
        want = -side * np.sign(kpar[-1] - kpar[0])  # ε < 0 on the occupied side
        if np.isfinite(v) and np.sign(v) == want:
            note = f"ε = v (k − k_F): v = {v:.3f} eV·Å from {n_peaks} MDC maxima at −0.25…−0.08 eV, k_F by {how}"
        else:  # a flat band (antinode): a gentle slope through the crossing
            v = want * _FALLBACK_VELOCITY
            note = f"ε = v (k − k_F) with |v| = {_FALLBACK_VELOCITY} eV·Å (MDC maxima not usable), k_F by {how}"
        eps, eps_source = v * (k - kpar[centre]), "mdc"

    mid = (n_edcs - 1) // 2
    cal_attrs = calibration.to_attrs()
    attrs = {key: raw.attrs[key] for key in ANALYSER_KEYS if key in raw.attrs}
    attrs.update(
        sample_temp=t, energy_resolution=fwhm, fermi_level=float(calibration.fermi_level(a_c[mid])),
        calibration=cal_attrs["calibration"], source_files=json.dumps([source, calibration.source]),
        eps_k_source=eps_source, eps_k_note=note, effective_gain=float(gain),
        noise_model=f"variance = g * I (I: 5-point running mean along energy, floored at g), g = {gain:.4g}",
        k_F=float(kpar[centre]), k_F_method=how, bin_width=int(width), angle_offset=float(angle_offset),
        prepared_by="arpes_sigma.prepare",
    )
    if geometry is not None:
        attrs["geometry"] = json.dumps(geometry.to_dict())
    out = xr.DataArray(
        edcs, dims=("k", "eV"), name="intensity", attrs=attrs,
        coords={
            "k": ("k", k, {"units": "1/Angstrom", "long_name": "k∥"}),
            "eV": ("eV", omega_cut, {"units": "eV", "long_name": "ω − E_F"}),
            "eps_k": ("k", eps, {"units": "eV", "long_name": "bare band energy"}),
            "alpha": ("k", a_c, {"units": "deg", "long_name": "analyser angle (bin centre)"}),
            "eV_offset": ("k", off, {"units": "eV", "long_name": "true ω − eV (sub-step E_F remainder)"}),
            "noise_sigma": (("k", "eV"), gain_noise(edcs, gain), {"long_name": "noise standard deviation"}),
        },
    )
    if math.copysign(1.0, k[-1] - k[0]) < 0:
        out = out.isel(k=slice(None, None, -1))
    validate(out)  # the contract the fit relies on (raises one line if not)
    return out
