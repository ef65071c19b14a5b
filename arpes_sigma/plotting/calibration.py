"""Figures of the raw-data path: the gold-edge calibration and a prepared cut (pure matplotlib)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .result import COLORS, edc_indices, edc_stack, plot_spectrum

__all__ = ["calibration_figure", "prepared_figure"]


def _edge_model(omega: np.ndarray, params: dict) -> np.ndarray | None:
    """ERLabPy's FermiEdgeModel at ``params`` (the calibration's averaged-edge fit), or None without it."""
    if not params:
        return None
    from erlab.analysis.fit.models import FermiEdgeModel

    return np.asarray(FermiEdgeModel().eval(x=omega, **params), dtype=float)


def calibration_figure(calibration: Any, gold: Any = None, *, fig: Figure | None = None) -> tuple[Figure, dict]:
    """The gold-edge fit: E_F along the detector and the averaged edge with its resolution.

    Panels: (left) the gold image, kinetic energy against angle, with the
    per-bin edge positions (error bars) and the fitted polynomial E_F(α);
    (middle) their deviation from the polynomial, meV; (right) the columns
    moved onto their own E_F and averaged, with ERLabPy's fitted edge and its
    FWHM.

    Parameters
    ----------
    calibration : Calibration
    gold : xarray.DataArray, optional
        The raw gold (:func:`arpes_sigma.read`); without it only the middle panel has data.

    Returns
    -------
    fig, artists
    """
    from ..io.align import align_columns

    fig = fig if fig is not None else Figure(figsize=(13, 4), layout="constrained")
    axes = fig.subplots(1, 3)
    art: dict = {"axes": axes}
    ang = np.asarray(calibration.edge_angles)
    cen = np.asarray(calibration.edge_centers)
    err = np.asarray(calibration.edge_errors)
    if gold is not None:
        g = gold.transpose("alpha", "eV")
        mesh = axes[0].pcolormesh(g["alpha"].values, g["eV"].values, g.values.T, shading="nearest", cmap="copper")
        fig.colorbar(mesh, ax=axes[0], label="intensity (as read)")
    a = np.linspace(*calibration.angle_range, 200)
    (art["poly"],) = axes[0].plot(a, calibration.fermi_level(a), color="C0", lw=1.5, label="E_F(α) polynomial")
    art["centres"] = axes[0].errorbar(ang, cen, yerr=err, fmt=".", color="w", ms=3, label="edge per angle bin")
    axes[0].set_xlabel("α (°)")
    axes[0].set_ylabel("kinetic energy (eV)")
    if gold is not None:
        ef0 = float(calibration.fermi_level(0.0))
        axes[0].set_ylim(ef0 - 0.15, ef0 + 0.1)
    axes[0].legend(fontsize=7, loc="lower left")
    axes[0].set_title(f"gold at hν = {calibration.hv:g} eV, {calibration.temperature:g} K", fontsize=9)

    axes[1].errorbar(ang, 1e3 * (cen - calibration.fermi_level(ang)), yerr=1e3 * err, fmt="o", ms=3, color="C0")
    axes[1].axhline(0, color="0.6", lw=0.8)
    axes[1].set_xlabel("α (°)")
    axes[1].set_ylabel("edge − polynomial (meV)")
    axes[1].set_title(f"rms {1e3 * calibration.fermi_rms:.2f} meV", fontsize=9)

    if gold is not None and np.isfinite(calibration.energy_step):
        g = gold.sel(alpha=slice(*calibration.angle_range)).transpose("alpha", "eV")
        al = align_columns(g["eV"].values, g.values, calibration.fermi_level(g["alpha"].values), window=(-0.15, 0.15))
        avg = al.values.mean(axis=0)
        axes[2].plot(al.omega * 1e3, avg, ".", ms=3, color=COLORS["data"], label="gold, averaged on E_F(α)")
        model = _edge_model(al.omega, calibration.edge_params)
        if model is not None:
            (art["edge"],) = axes[2].plot(al.omega * 1e3, model, color=COLORS["fit"], label="Fermi edge fit")
    axes[2].set_xlabel("E − E_F(α) (meV)")
    axes[2].set_ylabel("intensity (as read)")
    axes[2].set_title(f"FWHM = {1e3 * calibration.energy_resolution:.2f} ± "
                      f"{1e3 * calibration.resolution_error:.2f} meV (T fixed)", fontsize=9)
    axes[2].legend(fontsize=7)
    return fig, art


def prepared_figure(cut: Any, calibration: Any = None, gold: Any = None, *, fig: Figure | None = None
                    ) -> tuple[Figure, dict]:
    """A prepared cut: its image (k∥ against ω, colorbar) and its EDCs with their noise; plus the calibration.

    Returns
    -------
    fig, artists
    """
    rows = 2 if calibration is not None else 1
    fig = fig if fig is not None else Figure(figsize=(13, 4.2 * rows), layout="constrained")
    top, bottom = (fig.subfigures(2, 1) if rows == 2 else (fig, None))
    axes = top.subplots(1, 2)
    art: dict = {"image": plot_spectrum(cut, ax=axes[0])}
    axes[0].set_title(f"prepared cut: {cut.sizes['k']} EDCs, E_F = {cut.attrs.get('fermi_level', np.nan):.4f} eV "
                      f"(kinetic), ε_k from {cut.attrs.get('eps_k_source', '?')}", fontsize=9)
    idx = edc_indices(cut.sizes["k"])
    art["edcs"] = edc_stack(axes[1], cut["eV"].values, cut.values, indices=idx)
    if "noise_sigma" in cut.coords:
        off = 0.35 * float(np.nanmax(cut.values))
        for i, r in enumerate(idx):
            row = cut.values[r] + i * off
            sig = cut["noise_sigma"].values[r]
            axes[1].fill_between(cut["eV"].values, row - sig, row + sig, color="C0", alpha=0.2, lw=0)
    axes[1].set_title(f"EDCs ±1σ (variance g·I, g = {cut.attrs.get('effective_gain', np.nan):.3g})", fontsize=9)
    if bottom is not None:
        calibration_figure(calibration, gold, fig=bottom)
    return fig, art
