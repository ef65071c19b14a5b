"""Reading a fitted temperature series: the W peak, the gap and T_c per temperature.

:func:`series_summary` reduces a :func:`arpes_sigma.fit_many` result along
``sample_temp`` to the numbers a temperature series is read for — the height
and energy of the anomalous peak |Im W| on the occupied side, and the gap —
each with its spread over restarts; :func:`recovered_tc` turns the gap curve
into a transition temperature.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from ..errors import ArpesDataError, ConfigError

__all__ = ["recovered_tc", "series_summary"]


def _static_gaps(ds):
    """Fitted static gap Δ0 per slice (eV) from the per-slice ``params`` JSON, NaN if absent."""
    if "static_gap" in ds:
        return np.asarray(ds["static_gap"].values, dtype=float)
    if "params" in ds:
        out = []
        for text in np.atleast_1d(ds["params"].values):
            try:
                out.append(float(json.loads(str(text))["static_gap"]))
            except (ValueError, KeyError, TypeError):
                out.append(np.nan)
        return np.asarray(out)
    return np.full(ds.sizes.get("sample_temp", 1), np.nan)


def series_summary(result: xr.Dataset, *, gap: str = "re_w0", occupied_max: float = -0.005) -> xr.Dataset:
    """Peak of |Im W| on the occupied side and the gap, per temperature.

    Parameters
    ----------
    result : xarray.Dataset
        A :func:`arpes_sigma.many.fit_many` result with dim ``sample_temp``
        (variables ``re/im_sigma_anomalous`` over (sample_temp, eV), optional
        ``*_std`` from restarts, optional ``static_gap`` / ``params``).
    gap : {"re_w0", "static_gap", "anomalous_kf"}
        Which number is "the gap" (all in eV):

        ``"re_w0"``
            Re W at the energy closest to ω = 0.
        ``"static_gap"``
            The fitted static gap parameter Δ0 (no spread available).
        ``"anomalous_kf"``
            |Σ_tot(k_F, 0) − Σ11(0)| = |W(0)² / (ε_kF − Σ22(0))|, the pairing
            part of the self-energy a normal-state analysis sees at E_F, at the
            EDC with the smallest |ε_k| and the energy closest to 0 (for the
            Norman form it is Δ²/Γ0; Norman et al., PRB 57, R11093 (1998)).
            Quadratic in the pairing amplitude, and the best determined of the
            three: the data fix Σ_tot, whereas W and Σ11 can trade off against
            each other (the cancellation of the physics section of README.md), so Re W(0) alone can
            stay finite above T_c with an equally good fit.
    occupied_max : float, eV
        Only ω ≤ ``occupied_max`` counts as the occupied side (keeps the
        resolution-smeared region at E_F out of the peak search).

    Returns
    -------
    xarray.Dataset
        Over ``sample_temp`` (K): ``w_peak`` and ``w_peak_std`` (max |Im W|,
        eV), ``w_peak_energy`` (eV), ``gap`` and ``gap_std`` (eV; for
        ``anomalous_kf`` the spreads of the real and imaginary parts of Σ_tot
        and Σ11 are added in quadrature, an upper bound); NaN for failed
        slices. The spreads are 0 without restarts.
    """
    if "sample_temp" not in result.dims:
        raise ArpesDataError(
            f"the result has no sample_temp dimension (dims {tuple(result.dims)}); fit a temperature series "
            f"with fit_many(..., by='temperature')"
        )
    if gap not in ("re_w0", "static_gap", "anomalous_kf"):
        raise ConfigError(f"gap={gap!r} must be 're_w0', 'static_gap' or 'anomalous_kf'")
    ds = result.transpose("sample_temp", "eV", ...)
    omega = np.asarray(ds["eV"].values, dtype=float)
    temps = np.asarray(ds["sample_temp"].values, dtype=float)

    def get(name, std=False):
        key = f"{name}_std" if std else name
        if key in ds:
            return np.asarray(ds[key].values, dtype=float)
        if std:
            return np.zeros(ds[name].shape)
        raise ArpesDataError(f"the result lacks the variable {name!r}; is it a fit_many result?")

    im_w, re_w = get("im_sigma_anomalous"), get("re_sigma_anomalous")
    im_std, re_std = get("im_sigma_anomalous", True), get("re_sigma_anomalous", True)
    occ = omega <= occupied_max
    if not occ.any():
        raise ArpesDataError(f"no energies at or below occupied_max={occupied_max} eV; lower it or check the eV axis")
    n = len(temps)
    peak, peak_std, peak_e = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for i in range(n):
        row = np.abs(im_w[i, occ])
        if not np.isfinite(row).any():
            continue
        j = int(np.nanargmax(row))
        peak[i], peak_std[i], peak_e[i] = row[j], im_std[i, occ][j], omega[occ][j]
    i0 = int(np.argmin(np.abs(omega)))
    if gap == "re_w0":
        g, g_std = re_w[:, i0], re_std[:, i0]
    elif gap == "static_gap":
        g, g_std = _static_gaps(ds), np.zeros(n)
    else:
        g, g_std = _anomalous_kf(ds, i0)
    coords = {"sample_temp": ("sample_temp", temps, {"units": "K"})}
    return xr.Dataset(
        {
            "w_peak": ("sample_temp", peak, {"units": "eV", "long_name": "max |Im W| (occupied side)"}),
            "w_peak_std": ("sample_temp", np.nan_to_num(peak_std), {"units": "eV"}),
            "w_peak_energy": ("sample_temp", peak_e, {"units": "eV"}),
            "gap": ("sample_temp", np.asarray(g, dtype=float), {"units": "eV", "definition": gap}),
            "gap_std": ("sample_temp", np.nan_to_num(np.asarray(g_std, dtype=float)), {"units": "eV"}),
        },
        coords=coords,
    )


def _anomalous_kf(ds, i0):
    """|Σ_tot − Σ11| at k_F (smallest |ε_k|) and ω index ``i0``, and its spread; eV."""
    eps = np.asarray(ds["eps_k"].values, dtype=float)
    n = ds.sizes["sample_temp"]
    eps = np.broadcast_to(eps, (n, eps.shape[-1])) if eps.ndim == 1 else eps
    ik = np.argmin(np.abs(np.where(np.isfinite(eps), eps, np.inf)), axis=-1)
    stds = [v for v in ("re_sigma_total_std", "im_sigma_total_std") if v in ds]
    tot = ds[["re_sigma_total", "im_sigma_total", *stds]]
    tot = tot.transpose("sample_temp", "k", "eV")
    rows = np.arange(n)

    def at_kf(name):
        return np.asarray(tot[name].values, dtype=float)[rows, ik, i0] if name in tot else np.zeros(n)

    def at_0(name):
        return np.asarray(ds[name].values, dtype=float)[:, i0] if name in ds else np.zeros(n)

    re = at_kf("re_sigma_total") - at_0("re_sigma_normal")
    im = at_kf("im_sigma_total") - at_0("im_sigma_normal")
    std = np.sqrt(at_kf("re_sigma_total_std") ** 2 + at_0("re_sigma_normal_std") ** 2
                  + at_kf("im_sigma_total_std") ** 2 + at_0("im_sigma_normal_std") ** 2)
    return np.hypot(re, im), std


def recovered_tc(
    temperatures: ArrayLike, gap: ArrayLike, *, threshold: float = 0.5, reference: float | None = None
) -> float:
    """The first temperature at which the gap drops below ``threshold`` × its low-T value.

    Definition: sort by temperature; the reference Δ_ref is ``reference`` or,
    by default, the gap at the lowest temperature with a finite value;
    T_c(recovered) is the lowest temperature T_i with Δ(T_i) < threshold · Δ_ref
    *and* every later (hotter) finite Δ also below it (so a single noisy dip
    below T_c does not count). With temperature steps ΔT, a faithful fit gives
    T_c(true) ≤ T_c(recovered) < T_c(true) + ΔT whenever Δ(T)/Δ0 ≥ threshold
    for all grid points below T_c.

    Parameters
    ----------
    temperatures : array_like, K
    gap : array_like, eV
        Fitted gap per temperature (e.g. ``series_summary(...)['gap']``); NaN
        entries (failed slices) are skipped.
    threshold : float
        Fraction of the low-T gap, in (0, 1).
    reference : float, eV, optional

    Returns
    -------
    float, K
        NaN when the gap never drops below the threshold (T_c above the series).
    """
    t = np.asarray(temperatures, dtype=float)
    g = np.asarray(gap, dtype=float)
    if t.shape != g.shape:
        raise ConfigError(f"temperatures {t.shape} and gap {g.shape} must have the same shape")
    if not 0 < threshold < 1:
        raise ConfigError(f"threshold={threshold!r} must be in (0, 1)")
    order = np.argsort(t)
    t, g = t[order], g[order]
    ok = np.isfinite(g)
    if not ok.any():
        return float("nan")
    t, g = t[ok], g[ok]
    ref = float(g[0]) if reference is None else float(reference)
    below = np.abs(g) < threshold * abs(ref)
    for i in range(len(t)):
        if below[i:].all():
            return float(t[i])
    return float("nan")
