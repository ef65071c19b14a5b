"""Temperature series: a synthetic generator with a known T_c, and the series plot.

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

:func:`series_summary` reduces a :func:`arpes_sigma.many.fit_many` result
along ``sample_temp`` to the numbers a temperature series is read for — the
height and energy of the anomalous peak |Im W| on the occupied side, and the
gap Re W(ω=0) (or the fitted static gap) — each with its spread over restarts;
:func:`temperature_series_figure` plots them (pure matplotlib, returns artists).
:func:`recovered_tc` turns the gap curve into a transition temperature.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from .errors import ArpesDataError, ConfigError

__all__ = [
    "bcs_gap_ratio",
    "make_temperature_series",
    "series_summary",
    "recovered_tc",
    "temperature_series_lines",
    "temperature_series_figure",
]


def bcs_gap_ratio(temperature, tc):
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
    temperatures,
    tc: float = 90.0,
    *,
    truth="bi2212_like",
    eps_k=None,
    energies=None,
    resolution: float = 0.010,
    noise: float = 0.02,
    seed: int = 0,
    **spectrum_kwargs,
):
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
    from .synthetic import TRUTHS, Truth, make_spectrum

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
        "source": "arpes_sigma.series.make_temperature_series",
    }
    truth_ds = xr.concat(truths, dim=coord)
    truth_ds.attrs = {"tc": float(tc), "truth": json.dumps(dataclasses.asdict(truth))}
    return intensity, truth_ds


# --------------------------------------------------------------------------
# reading a fitted series
# --------------------------------------------------------------------------
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


def series_summary(result, *, gap: str = "re_w0", occupied_max: float = -0.005):
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
            each other (the cancellation of DESIGN.md §1), so Re W(0) alone can
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
    tot = ds[["re_sigma_total", "im_sigma_total"] + [v for v in ("re_sigma_total_std", "im_sigma_total_std") if v in ds]]
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


def recovered_tc(temperatures, gap, *, threshold: float = 0.5, reference=None):
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


# --------------------------------------------------------------------------
# plot
# --------------------------------------------------------------------------
def temperature_series_lines(axes, summary, *, truth=None, tc=None):
    """Draw a series summary on three axes; returns a dict of artists.

    Parameters
    ----------
    axes : sequence of 3 matplotlib Axes
        (peak height, peak energy, gap) panels.
    summary : xarray.Dataset
        From :func:`series_summary`.
    truth : xarray.Dataset, optional
        The truth of :func:`make_temperature_series`; its ``re_w0`` or
        ``static_gap`` (matching ``summary['gap'].attrs['definition']``) is drawn
        as a grey line on the gap panel.
    tc : float, K, optional
        Draws a dotted vertical line at T_c on every panel.

    Returns
    -------
    dict
        ``peak``, ``energy``, ``gap`` (ErrorbarContainer), optionally
        ``truth_gap`` (Line2D) and ``tc`` (list of Line2D).
    """
    t = summary["sample_temp"].values
    art = {}
    ax_p, ax_e, ax_g = axes
    art["peak"] = ax_p.errorbar(t, summary["w_peak"].values * 1e3, yerr=summary["w_peak_std"].values * 1e3,
                                fmt="o-", color="C3", capsize=3, label="max |Im W|")
    ax_p.set_ylabel("max |Im W|, ω<0 (meV)")
    art["energy"] = ax_e.errorbar(t, summary["w_peak_energy"].values * 1e3, fmt="s-", color="C0",
                                  label="peak energy")
    ax_e.set_ylabel("peak energy ω − E_F (meV)")
    definition = summary["gap"].attrs.get("definition", "re_w0")
    label = {"re_w0": "Re W(ω=0)", "static_gap": "static gap Δ0", "anomalous_kf": "|W²/(ε−Σ22)| at k_F, ω=0"}[definition]
    art["gap"] = ax_g.errorbar(t, summary["gap"].values * 1e3, yerr=summary["gap_std"].values * 1e3,
                               fmt="o-", color="C2", capsize=3, label=f"fit: {label}")
    ax_g.set_ylabel(f"{label} (meV)")
    if truth is not None:
        key = definition if definition in truth else None
    if truth is not None and key is not None:
        (art["truth_gap"],) = ax_g.plot(truth["sample_temp"].values, truth[key].values * 1e3, "-", color="0.35",
                                        lw=1, label="truth")
    if tc is not None:
        art["tc"] = [ax.axvline(tc, color="0.5", ls=":", lw=1) for ax in axes]
    for ax in axes:
        ax.set_xlabel("T (K)")
    ax_g.axhline(0, color="0.8", lw=0.8)
    ax_g.legend(fontsize="small")
    return art


def temperature_series_figure(result, *, truth=None, tc=None, gap: str = "re_w0", fig=None):
    """Figure of a fitted temperature series: W peak height and energy, and the gap vs T.

    Error bars are the spreads over restarts (the result's ``*_std``
    variables; absent when restarts = 1).

    Parameters
    ----------
    result : xarray.Dataset
        A :func:`arpes_sigma.many.fit_many` result with dim ``sample_temp``.
    truth : xarray.Dataset, optional
        From :func:`make_temperature_series`, drawn on the gap panel.
    tc : float, K, optional
        Marked on every panel; defaults to ``truth.attrs['tc']`` when given.
    gap : {"re_w0", "static_gap"}
        See :func:`series_summary`.
    fig : matplotlib Figure, optional
        Drawn into (a new 3-panel figure when None; no pyplot state is used).

    Returns
    -------
    fig : matplotlib.figure.Figure
    artists : dict
        From :func:`temperature_series_lines`, plus ``axes`` and ``summary``.
    """
    summary = series_summary(result, gap=gap)
    if fig is None:
        fig = Figure(figsize=(11, 3.4), layout="constrained")
    axes = fig.subplots(1, 3)
    if tc is None and truth is not None:
        tc = truth.attrs.get("tc")
    art = temperature_series_lines(axes, summary, truth=truth, tc=tc)
    art["axes"] = axes
    art["summary"] = summary
    return fig, art
