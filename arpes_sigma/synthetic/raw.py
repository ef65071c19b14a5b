"""Synthetic raw measurements with a known truth: an SES cut in kinetic energy × angle and its gold reference.

What an analyser records, built from a known truth:

* **the cut**: every angle column α is one EDC of the one forward model
  (:func:`arpes_sigma.physics.observed`) with the truth self-energy of
  :mod:`arpes_sigma.synthetic.spectrum` and the bare band ε(kx, ky) of a named
  dispersion sampled along a :class:`~arpes_sigma.physics.band.CutGeometry`,
  at k∥ = 0.5123 √(E_F/eV) sin α Å⁻¹; times a smooth matrix element a(α);
  plus an energy-dependent extrinsic background (inelastic electrons: rising
  linearly with binding energy, cut off by the same broadened Fermi edge) and a
  flat dark count;
* **the gold**: a polycrystalline-metal edge, (1 + s ω) f(ω, T) ⊛ Gauss(FWHM),
  computed here with plain numpy (a separate code path from the fit model and
  from ERLabPy's edge model, so a calibration recovering it is a real test);
* **the analyser**: kinetic energy E = E_F(α) + ω with a curved-slit Fermi
  level E_F(α) = hν − φ + c α²; intensities that are not counts: the
  file holds g·N with N Poisson, so the variance is g·I (effective gain g,
  about 6 on a real SES export).

Each angle column is one EDC at the k of its Fermi-level crossing (the change
of k∥ with kinetic energy inside the window, < 1 %, is neglected, as the fit
model does).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import xarray as xr

from ..physics import model_grid
from ..physics.band import BANDS, CutGeometry
from ..physics.instrument import FWHM_TO_SIGMA, K_B
from .spectrum import TRUTHS, Truth, _observed, truth_self_energy

__all__ = ["K_PER_SQRT_EV", "RawMeasurement", "make_raw_measurement", "write_raw_measurement"]

#: k∥ (1/Å) = K_PER_SQRT_EV · √(E_kin/eV) · sin α  (√(2 m_e)/ħ in these units).
K_PER_SQRT_EV = 0.5123

#: Default geometry: a cut along ky at kx = 0.45π (1/a), centred at ky = 0.5π; one Fermi crossing
#: of the Bi2212 band near ky = 0.2π, Fermi-surface angle ≈ 35° (between node and antinode).
DEFAULT_GEOMETRY = CutGeometry(kx0=0.45 * np.pi, ky0=0.5 * np.pi, direction=90.0)


@dataclasses.dataclass(frozen=True)
class RawMeasurement:
    """A synthetic raw cut, its gold reference and the truth they were made from.

    Attributes
    ----------
    cut, gold : xarray.DataArray
        dims ``("alpha", "eV")`` (degrees, kinetic eV) with the attrs an SES
        export carries (``hv``, ``pass_energy``, ``lens_mode``, ...).
    truth : xarray.Dataset
        ``re/im_sigma_normal``, ``re/im_sigma_anomalous`` (eV, on ω), per angle
        ``eps_k`` (eV), ``k_parallel`` (1/Å), ``fermi_level`` (kinetic eV),
        ``amplitude``; attrs ``fermi_level_center`` (E_F at α = 0, eV),
        ``slit_curvature`` (eV/deg²), ``energy_resolution`` (FWHM, eV),
        ``sample_temp`` (K), ``gain``, ``band``, ``geometry`` (JSON),
        ``background`` (JSON), ``truth`` (JSON).
    """

    cut: xr.DataArray
    gold: xr.DataArray
    truth: xr.Dataset


def _gauss_numpy(e_out: np.ndarray, e_in: np.ndarray, fwhm: float) -> np.ndarray:
    sig = fwhm * FWHM_TO_SIGMA
    w = np.exp(-0.5 * ((e_out[:, None] - e_in[None, :]) / sig) ** 2)
    return w / w.sum(axis=1, keepdims=True)


def _fermi_numpy(omega: np.ndarray, temperature: float) -> np.ndarray:
    return 0.5 * (1.0 - np.tanh(omega / (2.0 * K_B * temperature)))


def _columns(fine_omega: np.ndarray, fine: np.ndarray, kinetic: np.ndarray, ef: np.ndarray) -> np.ndarray:
    """Sample each column's fine curve at its own ω = E_kin − E_F(α); (A, E)."""
    return np.stack([np.interp(kinetic - ef[i], fine_omega, fine[i]) for i in range(ef.size)])


def make_raw_measurement(
    truth: Truth | str = "bi2212_like",
    *,
    band: str = "bi2212",
    geometry: CutGeometry = DEFAULT_GEOMETRY,
    temperature: float = 20.0,
    resolution: float = 0.010,
    hv: float = 21.2,
    work_function: float = 4.3,
    slit_curvature: float = 4e-5,
    angles: np.ndarray | None = None,
    energy_window: tuple[float, float] = (-0.40, 0.12),
    energy_step: float = 0.002,
    peak_counts: float = 200.0,
    gold_counts: float = 300.0,
    gain: float = 6.0,
    background: float = 0.15,
    background_slope: float = 1.0,
    dark: float = 0.01,
    seed: int = 0,
) -> RawMeasurement:
    """Build a raw cut and its gold reference (kinetic energy × angle) with a known truth.

    Parameters
    ----------
    truth : Truth or str
        Self-energy (see :mod:`arpes_sigma.synthetic.spectrum`).
    band : str
        Name of a dispersion in :data:`arpes_sigma.physics.band.BANDS`.
    geometry : CutGeometry
        Where the cut lies in the zone.
    temperature : float, K
        Sample (and gold) temperature.
    resolution : float, eV
        Gaussian FWHM of the instrument.
    hv, work_function : float, eV
        Photon energy and analyser work function: E_F(0) = hν − φ (kinetic).
    slit_curvature : float, eV/deg²
        Curved-slit Fermi level E_F(α) = E_F(0) + c α².
    angles : array, degrees, optional
        Analyser angles; default −12 … 12° in 0.1° steps.
    energy_window : (float, float), eV
        ω range recorded around E_F(0); energy_step its spacing (eV).
    peak_counts, gold_counts : float
        Counts N at the cut's maximum and on the gold plateau (per channel).
    gain : float
        Effective gain g: the file holds g·N (variance g·I).
    background, background_slope, dark : float
        Extrinsic background b·(1 + s·|ω|/0.3 eV) below the broadened edge and
        a flat dark count, both as fractions of the peak intensity.
    seed : int

    Returns
    -------
    RawMeasurement
    """
    if isinstance(truth, str):
        truth = TRUTHS[truth]
    rng = np.random.default_rng(seed)
    a = np.arange(-12.0, 12.0001, 0.1) if angles is None else np.asarray(angles, dtype=float)
    ef0 = hv - work_function
    ef = ef0 + slit_curvature * a**2
    kinetic = ef0 + np.arange(energy_window[0], energy_window[1] + 1e-9, energy_step)
    kpar = K_PER_SQRT_EV * np.sqrt(ef) * np.sin(np.radians(a))
    kx, ky = geometry.kxky(kpar)
    eps = np.asarray(BANDS[band](kx, ky), dtype=float)

    # one fine ω grid covering every column's window, then each column sampled at its own E_F
    lo = kinetic[0] - ef.max() - 0.002
    hi = kinetic[-1] - ef.min() + 0.002
    fine = np.arange(lo, hi + 0.0005, 0.0005)
    grid = model_grid(fine, resolution, step=0.0005)
    spec = np.asarray(_observed(truth, grid, fine, eps, temperature, resolution), dtype=float)  # physics.observed
    edge = _gauss_numpy(fine, grid, resolution) @ (
        (1.0 + background_slope * np.clip(-grid, 0, None) / 0.3) * _fermi_numpy(grid, temperature))
    amp = 1.0 + 0.25 * np.cos(np.radians(a) * 4.0)  # smooth matrix element
    signal = _columns(fine, amp[:, None] * spec, kinetic, ef)
    peak = float(signal.max())
    bg = _columns(fine, np.broadcast_to(edge, spec.shape), kinetic, ef)
    clean = signal + background * peak * bg + dark * peak
    scale = peak_counts / peak
    cut_values = gain * rng.poisson(clean * scale).astype(float)

    gold_curve = _gauss_numpy(fine, grid, resolution) @ ((1.0 - 0.3 * grid) * _fermi_numpy(grid, temperature))
    gold_clean = gold_counts * (1.0 + 0.1 * np.cos(np.radians(a) * 6.0))[:, None] * (
        _columns(fine, np.broadcast_to(gold_curve, (a.size, fine.size)), kinetic, ef) + 0.01)
    gold_values = gain * rng.poisson(gold_clean).astype(float)

    common = {"hv": float(hv), "pass_energy": 5.0, "lens_mode": "Angular30", "n_sweeps": 10, "step_time": 300.0,
              "acquisition_mode": "Swept", "date": "2024-01-01", "instrument": "synthetic R4000"}

    def raw(values: np.ndarray, name: str, sample: str) -> xr.DataArray:
        return xr.DataArray(values, dims=("alpha", "eV"),
                            coords={"alpha": ("alpha", a, {"units": "deg"}),
                                    "eV": ("eV", kinetic, {"units": "eV", "long_name": "kinetic energy"})},
                            name="intensity", attrs={**common, "region_name": name, "sample": sample})

    omega = kinetic - ef0
    t11, _t22, tw = (np.asarray(x) for x in truth_self_energy(omega, truth))
    truth_ds = xr.Dataset(
        {"re_sigma_normal": ("eV", t11.real), "im_sigma_normal": ("eV", t11.imag),
         "re_sigma_anomalous": ("eV", tw.real), "im_sigma_anomalous": ("eV", tw.imag),
         "eps_k": ("alpha", eps), "k_parallel": ("alpha", kpar), "fermi_level": ("alpha", ef),
         "amplitude": ("alpha", amp * scale * gain)},
        coords={"eV": ("eV", omega, {"units": "eV"}), "alpha": ("alpha", a, {"units": "deg"})},
        attrs={"fermi_level_center": float(ef0), "slit_curvature": float(slit_curvature),
               "energy_resolution": float(resolution), "sample_temp": float(temperature), "gain": float(gain),
               "hv": float(hv), "band": band, "geometry": json.dumps(geometry.to_dict()),
               "background": json.dumps({"background": background, "slope": background_slope, "dark": dark}),
               "truth": json.dumps(dataclasses.asdict(truth))},
    )
    return RawMeasurement(cut=raw(cut_values, "cut", "synthetic Bi2212"),
                          gold=raw(gold_values, "gold", "polycrystalline gold"), truth=truth_ds)


def write_raw_measurement(folder: str | os.PathLike, **kwargs: object) -> dict[str, Path]:
    """Write a synthetic SES text export of the cut and of its gold reference, and the truth.

    Parameters
    ----------
    folder : str or os.PathLike
        Existing folder; receives ``cut.txt``, ``gold.txt`` (SES text exports)
        and ``truth.nc``.
    **kwargs
        Passed to :func:`make_raw_measurement`.

    Returns
    -------
    dict
        ``{"cut": path, "gold": path, "truth": path}``.
    """
    from ..io.ses_text import write_ses_text
    from ..io.writers import to_netcdf_atomic

    folder = Path(os.fspath(folder))
    m = make_raw_measurement(**kwargs)  # type: ignore[arg-type]
    paths = {"cut": folder / "cut.txt", "gold": folder / "gold.txt", "truth": folder / "truth.nc"}
    write_ses_text(paths["cut"], m.cut)
    write_ses_text(paths["gold"], m.gold)
    to_netcdf_atomic(m.truth, paths["truth"])
    return paths
