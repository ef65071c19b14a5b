"""Figure of a fitted temperature series: W peak height and energy, and the gap vs T (pure matplotlib)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from ..analysis.series import series_summary

__all__ = ["temperature_series_figure", "temperature_series_lines"]


def temperature_series_lines(axes: Any, summary: Any, *, truth: Any = None, tc: float | None = None) -> dict:
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
    labels = {"re_w0": "Re W(ω=0)", "static_gap": "static gap Δ0", "anomalous_kf": "|W²/(ε−Σ22)| at k_F, ω=0"}
    label = labels[definition]
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


def temperature_series_figure(
    result: Any, *, truth: Any = None, tc: float | None = None, gap: str = "re_w0", fig: Figure | None = None
) -> tuple[Figure, dict]:
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
