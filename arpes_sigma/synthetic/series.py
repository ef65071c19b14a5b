"""Synthetic temperature series with a known T_c.

:func:`make_temperature_series` builds one synthetic cut per temperature with
:func:`arpes_sigma.synthetic.make_spectrum`, closing the superconducting gap at
T_c with the BCS-like interpolation

    Δ(T) = Δ0 · tanh(1.74 · √(T_c/T − 1))   for T < T_c,   Δ(T) = 0 for T ≥ T_c

(a standard closed-form approximation to the weak-coupling BCS gap equation;
see e.g. Gross et al., Z. Phys. B 64, 175 (1986)). Both pairing amplitudes of
the hidden-fermion truth — the hidden fermion's pairing ``d`` and the static
gap Δ0 — are scaled by Δ(T)/Δ0, so W(ω) → 0 above T_c while the normal
self-energy Σ11 keeps its poles (Sakai, Civelli and Imada, PRL 116, 057003
(2016)).

A fitted series is read with :mod:`arpes_sigma.analysis.series` and drawn
with :mod:`arpes_sigma.plotting.series`.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from ..errors import ConfigError
from .spectrum import TRUTHS, Truth, make_spectrum

__all__ = ["bcs_gap_ratio", "make_temperature_series"]


def bcs_gap_ratio(temperature: ArrayLike, tc: float) -> np.ndarray | float:
    """Δ(T)/Δ0 = tanh(1.74 √(T_c/T − 1)) below T_c, 0 at and above T_c.

    Parameters
    ----------
    temperature : float or array_like, K (> 0)
    tc : float, K (> 0)

    Returns
    -------
    numpy.ndarray or float
        Dimensionless ratio in [0, 1], the shape of ``temperature``.
    """
    t = np.asarray(temperature, dtype=float)
    if not (np.all(t > 0) and tc > 0):
        raise ConfigError("temperatures and tc must be > 0 K; give them in kelvin")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(t < tc, np.tanh(1.74 * np.sqrt(np.clip(tc / t - 1.0, 0.0, None))), 0.0)
    return r if r.ndim else float(r)


def make_temperature_series(
    temperatures: ArrayLike,
    tc: float = 90.0,
    *,
    truth: Truth | str = "bi2212_like",
    eps_k: ArrayLike | None = None,
    energies: ArrayLike | None = None,
    resolution: float = 0.010,
    noise: float = 0.02,
    seed: int = 0,
    **spectrum_kwargs: Any,
) -> tuple[xr.DataArray, xr.Dataset]:
    """A synthetic ARPES temperature series whose gap closes at ``tc``.

    Parameters
    ----------
    temperatures : array_like, K
        Sample temperatures (> 0), one cut each; kept in the given order.
    tc : float, K
        Transition temperature of the BCS-like Δ(T) (module docstring).
    truth : Truth or str
        The T = 0 self-energy (see :data:`arpes_sigma.synthetic.TRUTHS`); its
        pairing ``d`` and ``static_gap`` are scaled by Δ(T)/Δ0.
    eps_k, energies : array_like, eV, optional
        Bare band energies (K,) and measured energies (E,); defaults of
        :func:`arpes_sigma.synthetic.make_spectrum`.
    resolution : float, eV
        Gaussian FWHM, the same at every temperature.
    noise : float
        Noise standard deviation as a fraction of each cut's maximum.
    seed : int
        Cut ``i`` uses seed ``seed + i`` (independent noise per temperature).
    **spectrum_kwargs
        Passed on to :func:`arpes_sigma.synthetic.make_spectrum`
        (``amplitude_spread``, ``background``).

    Returns
    -------
    intensity : xarray.DataArray, dims (sample_temp, k, eV)
        Coordinates ``sample_temp`` (K), ``k``, ``eV`` (eV), ``eps_k`` (eV,
        along k) and ``noise_sigma`` (absolute noise level of each cut, along
        sample_temp); attrs ``energy_resolution`` (eV) and ``tc`` (K). Each
        slice ``intensity.isel(sample_temp=i)`` is a valid cut once its
        ``sample_temp`` attr is set (what :func:`arpes_sigma.many.fit_many`
        does).
    truth : xarray.Dataset
        The truth datasets of every temperature concatenated along
        ``sample_temp``, plus per temperature ``gap_ratio`` Δ(T)/Δ0,
        ``static_gap`` (eV), ``re_w0`` = Re W at the energy closest to 0 (eV)
        and ``anomalous_kf`` = |Σ_tot − Σ11| at the EDC with the smallest
        |ε_k| and that energy (eV; see :func:`series_summary`), and attrs
        ``tc`` (K) and ``truth`` (T = 0 parameters, JSON). Note that in the
        hidden-fermion truth Re W(0) = V²D/(ε_f² + D²) + Δ0 is not monotonic in
        D: it *grows* as D falls towards |ε_f| before jumping to 0 at T_c.
    """
    if isinstance(truth, str):
        if truth not in TRUTHS:
            raise ConfigError(f"unknown truth {truth!r}; use one of {sorted(TRUTHS)} or a Truth(...)")
        truth = TRUTHS[truth]
    if not isinstance(truth, Truth):
        raise ConfigError(f"truth must be a Truth or a name in {sorted(TRUTHS)}, got {type(truth).__name__}")
    temps = np.atleast_1d(np.asarray(temperatures, dtype=float))
    if temps.ndim != 1 or temps.size == 0:
        raise ConfigError("temperatures must be a non-empty 1-D list of kelvin values")
    if len(np.unique(temps)) != temps.size:
        raise ConfigError("temperatures must be distinct (they become the sample_temp coordinate)")
    if not np.isfinite(tc) or tc <= 0:
        raise ConfigError(f"tc={tc!r} K must be a positive number of kelvin")
    ratios = np.atleast_1d(bcs_gap_ratio(temps, tc))

    cuts, truths, sigmas = [], [], []
    for i, (t, r) in enumerate(zip(temps, ratios, strict=True)):
        tr = dataclasses.replace(truth, d=tuple(float(x) * r for x in truth.d), static_gap=truth.static_gap * r)
        da, tds = make_spectrum(
            tr, eps_k=eps_k, energies=energies, temperature=float(t), resolution=resolution, noise=noise,
            seed=seed + i, **spectrum_kwargs,
        )
        sigmas.append(da.attrs["noise_sigma"])
        da = da.copy()
        da.attrs = {}
        cuts.append(da)
        i0 = int(np.argmin(np.abs(tds["eV"].values)))
        ik = int(np.argmin(np.abs(tds["eps_k"].values)))
        s_an = complex(
            tds["re_sigma_total"].values[ik, i0] - tds["re_sigma_normal"].values[i0],
            tds["im_sigma_total"].values[ik, i0] - tds["im_sigma_normal"].values[i0],
        )
        tds = tds.assign(
            gap_ratio=float(r),
            static_gap=float(tr.static_gap),
            re_w0=float(tds["re_sigma_anomalous"].values[i0]),
            anomalous_kf=abs(s_an),
            noise_sigma=float(tds.attrs["noise_sigma"]),
        )
        tds.attrs = {}
        truths.append(tds)

    coord = xr.DataArray(temps, dims="sample_temp", attrs={"units": "K", "long_name": "sample temperature"})
    intensity = xr.concat(cuts, dim=coord)
    intensity.name = "intensity"
    intensity = intensity.assign_coords(
        noise_sigma=("sample_temp", np.asarray(sigmas, dtype=float), {"long_name": "noise standard deviation"})
    )
    intensity.attrs = {
        "energy_resolution": float(resolution),
        "tc": float(tc),
        "source": "arpes_sigma.synthetic.series.make_temperature_series",
    }
    truth_ds = xr.concat(truths, dim=coord)
    truth_ds.attrs = {"tc": float(tc), "truth": json.dumps(dataclasses.asdict(truth))}
    return intensity, truth_ds
