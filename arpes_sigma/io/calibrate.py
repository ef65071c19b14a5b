"""The Fermi level along the detector and the energy resolution, from a gold reference (:func:`calibrate`).

A polycrystalline metal (gold) measured in the same conditions as the cut has
a featureless Fermi edge: (DOS) · f(ω, T) ⊛ Gauss(FWHM). ERLabPy's gold tools
(:mod:`erlab.analysis.gold`) fit it:

1. ``gold.edge`` fits the edge of each (binned) angle → E_F(α) with errors;
2. ``gold.poly_from_edge`` fits a polynomial through them (the curved slit);
3. the columns are moved onto their own E_F (whole energy steps,
   :mod:`arpes_sigma.io.align`), averaged, and ``gold.quick_fit`` fits the
   Gaussian FWHM with the temperature held at the given value. The sub-step
   remainders spread the edge by a uniform distribution of width ΔE (variance
   ΔE²/12), which is removed in quadrature.

The result is a frozen :class:`Calibration`; :func:`arpes_sigma.prepare` uses
it. ``arpes_sigma.plotting.calibration_figure`` draws the edge fit.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import warnings
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, ConfigError, describe
from .align import align_columns, energy_step
from .raw import read, require_raw

__all__ = ["Calibration", "calibrate", "find_edge"]

_SIGMA2_PER_FWHM2 = 1.0 / (8.0 * math.log(2.0))


@dataclasses.dataclass(frozen=True)
class Calibration:
    """Fermi level along the detector and Gaussian resolution from a gold edge (frozen).

    Attributes
    ----------
    fermi_poly : tuple of float
        E_F(α) = Σ c_i α^i, kinetic energy in eV, α in degrees, lowest order first.
    energy_resolution, resolution_error : float
        Gaussian FWHM and its standard error, eV.
    temperature : float
        Temperature the edge was fitted at, K.
    hv, pass_energy : float
        Photon energy and pass energy of the gold measurement, eV (NaN if unknown).
    lens_mode : str
    angle_range : (float, float)
        Angles (degrees) where E_F was measured; :meth:`fermi_level` holds its
        value constant beyond them.
    energy_step : float
        Energy step of the gold measurement, eV.
    edge_angles, edge_centers, edge_errors : tuple of float
        The per-bin edge positions (deg, kinetic eV, eV) the polynomial was fitted to.
    fermi_rms : float
        RMS deviation of those positions from the polynomial, eV.
    edge_params : dict
        Parameters of the angle-averaged edge fit (ERLabPy's FermiEdgeModel; energy
        measured from E_F), for the figure.
    source : str
        The gold file (or "in-memory").
    """

    fermi_poly: tuple[float, ...]
    energy_resolution: float
    resolution_error: float
    temperature: float
    hv: float
    pass_energy: float
    lens_mode: str
    angle_range: tuple[float, float]
    energy_step: float
    edge_angles: tuple[float, ...]
    edge_centers: tuple[float, ...]
    edge_errors: tuple[float, ...]
    fermi_rms: float
    edge_params: dict
    source: str

    def fermi_level(self, alpha: Any) -> np.ndarray:
        """Kinetic energy of E_F (eV) at angles ``alpha`` (degrees), constant beyond :attr:`angle_range`."""
        a = np.clip(np.asarray(alpha, dtype=float), *self.angle_range)
        return np.polynomial.polynomial.polyval(a, np.asarray(self.fermi_poly))

    def to_json(self) -> str:
        """All fields as JSON text (the ``calibration`` attr of a prepared cut)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        """Rebuild from :meth:`to_json`."""
        d = json.loads(text)
        for key in ("fermi_poly", "angle_range", "edge_angles", "edge_centers", "edge_errors"):
            d[key] = tuple(d[key])
        return cls(**d)

    @classmethod
    def from_fermi_level(cls, fermi_level: float, energy_resolution: float, temperature: float, hv: float,
                         pass_energy: float = float("nan")) -> Calibration:
        """A calibration without gold: one guessed Fermi level (kinetic eV) for every angle, and a given FWHM (eV).

        :func:`arpes_sigma.prepare` still checks it against the cut (a guess
        that leaves the band above E_F is refused), but a curved slit is not
        corrected; measure a gold reference when you can.
        """
        for name, value in (("fermi_level", fermi_level), ("energy_resolution", energy_resolution),
                            ("temperature", temperature), ("hv", hv)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(f"{name}={value!r} must be a positive number")
        if energy_resolution >= 0.5:
            raise ConfigError(f"energy_resolution={energy_resolution} looks like meV; give the FWHM in eV")
        return cls(fermi_poly=(float(fermi_level),), energy_resolution=float(energy_resolution),
                   resolution_error=float("nan"), temperature=float(temperature), hv=float(hv),
                   pass_energy=float(pass_energy), lens_mode="", angle_range=(-90.0, 90.0), energy_step=float("nan"),
                   edge_angles=(), edge_centers=(), edge_errors=(), fermi_rms=float("nan"), edge_params={},
                   source="guess")

    def to_attrs(self) -> dict:
        """Attrs for a prepared cut or a result: ``energy_resolution``, ``calibration`` (JSON), ``gold_file``."""
        return {"energy_resolution": float(self.energy_resolution), "calibration": self.to_json(),
                "gold_file": self.source}

    def check_matches(self, raw: xr.DataArray) -> None:
        """Refuse a cut taken at another photon or pass energy than the gold (one line)."""
        where = raw.attrs.get("source_file", "the cut")
        hv = float(raw.attrs.get("hv", np.nan))
        if not abs(hv - self.hv) <= 0.01:
            raise ArpesDataError(
                f"the gold ({self.source}) was measured at hv = {self.hv:g} eV but {where} at hv = {hv:g} eV; "
                f"use a gold reference taken at the cut's photon energy")
        pe = float(raw.attrs.get("pass_energy", np.nan))
        if np.isfinite(pe) and np.isfinite(self.pass_energy) and abs(pe - self.pass_energy) > 1e-6:
            raise ArpesDataError(
                f"the gold ({self.source}) was measured at pass energy {self.pass_energy:g} eV but {where} at "
                f"{pe:g} eV; the resolution differs, use a gold reference taken at the cut's pass energy")


def find_edge(kinetic: np.ndarray, edc: np.ndarray, source: str) -> float:
    """Kinetic energy of the steepest fall of an angle-integrated EDC; refuses a spectrum without an edge.

    The EDC is smoothed over ~10 meV; an edge needs the intensity 60–120 meV
    below it to exceed the intensity 60–120 meV above it at least twice over
    (gold at low temperature: ≫ 10) and the fall to stand well out of the noise.
    """
    e = np.asarray(kinetic, dtype=float)
    y = np.asarray(edc, dtype=float)
    step = energy_step(e)
    width = max(1, int(round(0.010 / step)))
    smooth = np.convolve(y, np.ones(width) / width, mode="same")
    grad = np.gradient(smooth, e)
    inner = slice(width, e.size - width) if e.size > 2 * width + 2 else slice(None)
    idx = np.arange(e.size)[inner][np.argmin(grad[inner])]
    centre = float(e[idx])
    below = y[(e > centre - 0.12) & (e < centre - 0.06)]
    above = y[(e > centre + 0.06) & (e < centre + 0.12)]
    if below.size < 3 or above.size < 3:
        raise ArpesDataError(
            f"{source}: the steepest fall, at {centre:.3f} eV, is too close to the end of the energy window "
            f"({e[0]:.3f} … {e[-1]:.3f} eV) to be a Fermi edge; measure the gold with E_F inside the window "
            f"(≥ 0.12 eV either side)")
    lo, hi = float(np.median(below)), float(np.median(above))
    noise = float(np.median(np.abs(np.diff(y, 2)))) * 1.4826 / math.sqrt(6.0) + 1e-12
    if not (lo > 2.0 * max(hi, 0.0) and lo - hi > 10.0 * noise):
        raise ArpesDataError(
            f"{source} shows no Fermi edge (intensity {lo:.4g} below vs {hi:.4g} above the steepest fall at "
            f"{centre:.3f} eV); the gold reference must be a metal measured across E_F")
    return centre


def _fit_edges(gold: xr.DataArray, temperature: float, centre: float, half: float, resolution: float,
               n_bins: int):
    import erlab.analysis.gold as erlab_gold

    n = gold.sizes["alpha"]
    binning = max(1, n // n_bins)
    a = gold["alpha"].values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lmfit/uncertainties notes from inside the per-angle fits
        centers, errors = erlab_gold.edge(
            gold, along="alpha", angle_range=(float(a.min()), float(a.max())),
            eV_range=(centre - half, centre + half), bin_size=(binning, 1), temp=temperature,
            resolution=resolution, progress=False, parallel_kw={"n_jobs": 1}, drop_nans=True)
    c, err, ang = (np.asarray(x, dtype=float) for x in (centers.values, errors.values, centers["alpha"].values))
    good = np.isfinite(c) & np.isfinite(err) & (err > 0) & (np.abs(c - centre) < half)
    if good.sum() >= 5:
        good &= err < 5.0 * np.median(err[good])
    return ang[good], c[good], err[good]


def calibrate(gold: Any, temperature: float, *, degree: int = 2, energy_window: float | None = None,
              n_bins: int = 24) -> Calibration:
    """Fermi level E_F(α) along the detector and Gaussian resolution from a gold reference.

    Parameters
    ----------
    gold : path or xarray.DataArray
        The gold (polycrystalline metal) measurement: a file for
        :func:`arpes_sigma.read`, or its result (dims ``alpha``, ``eV`` kinetic).
    temperature : float
        Temperature of the gold, K (its Fermi–Dirac width is held fixed).
    degree : int
        Degree of the polynomial E_F(α) (2 describes a curved slit).
    energy_window : float, optional
        Half width (eV) of the energy range around E_F used by the fits;
        default max(0.08, 10 k_B T + 0.05).
    n_bins : int
        About how many angle bins get their own edge fit.

    Returns
    -------
    Calibration

    Raises
    ------
    ArpesDataError
        No edge in the gold, no angle axis, too few good edge fits.
    ConfigError
        A temperature or degree out of range.
    """
    if isinstance(gold, (str, os.PathLike)):
        gold = read(gold)
    gold = require_raw(gold, "gold")
    source = str(gold.attrs.get("source_file", "in-memory"))
    try:
        t = float(temperature)
    except (TypeError, ValueError):
        raise ConfigError(f"temperature={temperature!r} must be a number in K, e.g. 20") from None
    if not 0 < t < 1000:
        raise ConfigError(f"temperature={t:g} K is out of range; give the sample temperature in K (0 < T < 1000)")
    if not isinstance(degree, int) or not 0 <= degree <= 6:
        raise ConfigError(f"degree={degree!r} must be an integer 0…6 (2 for a curved slit)")
    e = np.asarray(gold["eV"].values, dtype=float)
    step = energy_step(e)
    centre = find_edge(e, gold.mean("alpha").values, source)
    kt = 8.617333262e-5 * t
    half = energy_window if energy_window is not None else max(0.08, 10 * kt + 0.05)

    import erlab.analysis.gold as erlab_gold

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rough = erlab_gold.quick_fit(gold, eV_range=(centre - half, centre + half), temp=t, resolution=0.02)
        coeff = rough.modelfit_coefficients
        centre = float(coeff.sel(param="center"))
        res0 = float(np.clip(coeff.sel(param="resolution"), 0.002, 0.1))
        ang, cen, err = _fit_edges(gold, t, centre, half, res0, n_bins)
    except ArpesDataError:
        raise
    except Exception as exc:  # lmfit/ERLabPy failure on a pathological edge
        raise ArpesDataError(
            f"{source}: the Fermi-edge fits failed ({describe(exc)}); check the gold spectrum and the temperature"
        ) from None
    if ang.size < degree + 2:
        raise ArpesDataError(
            f"{source}: only {ang.size} angle bins gave a Fermi-edge fit (need {degree + 2}); the gold is too "
            f"noisy or its edge is not in every angle, sum more sweeps or lower degree=")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            poly = erlab_gold.poly_from_edge(
                xr.DataArray(cen, dims="alpha", coords={"alpha": ang}), weights=1.0 / err, degree=degree)
        coefs = tuple(float(poly.modelfit_coefficients.sel(param=f"c{i}")) for i in range(degree + 1))
    except Exception as exc:
        raise ArpesDataError(f"{source}: the polynomial through the edges failed ({describe(exc)}); lower degree="
                             ) from None
    fermi_rms = float(np.sqrt(np.mean((np.polynomial.polynomial.polyval(ang, coefs) - cen) ** 2)))
    angle_range = (float(ang.min()), float(ang.max()))

    inside = gold.sel(alpha=slice(*angle_range))
    ef = np.polynomial.polynomial.polyval(inside["alpha"].values, coefs)
    aligned = align_columns(e, inside.values, ef, window=(-half, half))
    avg = xr.DataArray(aligned.values.mean(axis=0), dims="eV", coords={"eV": aligned.omega})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = erlab_gold.quick_fit(avg, temp=t, resolution=res0, center=0.0)
    except Exception as exc:  # lmfit failure on a pathological edge
        raise ArpesDataError(
            f"{source}: the Fermi-edge fit failed ({describe(exc)}); check the gold spectrum") from None
    params = {str(p): float(fit.modelfit_coefficients.sel(param=p)) for p in fit.modelfit_coefficients.param.values}
    fwhm_fit = params["resolution"]
    fwhm = math.sqrt(max(fwhm_fit**2 - step**2 / 12.0 / _SIGMA2_PER_FWHM2, 0.0))
    res_err = float(fit.modelfit_stderr.sel(param="resolution"))
    if not (np.isfinite(fwhm) and 0 < fwhm < 0.2):
        raise ArpesDataError(
            f"{source}: the fitted resolution {fwhm_fit:.4g} eV is implausible; the gold edge is not sharp (check "
            f"temperature={t:g} K and that the reference is a metal)")
    coefs = (coefs[0] + params["center"], *coefs[1:])  # the averaged edge sits at ω = center
    return Calibration(
        fermi_poly=coefs, energy_resolution=fwhm, resolution_error=res_err if np.isfinite(res_err) else float("nan"),
        temperature=t, hv=float(gold.attrs["hv"]), pass_energy=float(gold.attrs.get("pass_energy", np.nan)),
        lens_mode=str(gold.attrs.get("lens_mode", "")), angle_range=angle_range, energy_step=step,
        edge_angles=tuple(map(float, ang)), edge_centers=tuple(map(float, cen)), edge_errors=tuple(map(float, err)),
        fermi_rms=fermi_rms, edge_params=params, source=source,
    )
