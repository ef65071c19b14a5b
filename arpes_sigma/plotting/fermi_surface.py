"""The gap, W(0) and the evidence for pairing along the Fermi surface (many cuts), pure matplotlib."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .result import COLORS

__all__ = ["fermi_surface_figure"]


def fermi_surface_figure(summary: Any, *, fig: Figure | None = None) -> tuple[Figure, dict]:
    """Three panels over the cuts: gap (meV), Re W(0) (meV), pairing evidence (nats).

    The x axis is the Fermi-surface angle (0° antinode … 45° node) when every
    cut's geometry is known, the file order otherwise. Cuts whose fit failed
    are left out; cuts whose fit does not describe the data (``describes_data``
    = 0: χ²_red > 3 against the measured noise, or a structured residual) are
    drawn hollow, not joined.

    Parameters
    ----------
    summary : xarray.Dataset
        From :func:`arpes_sigma.analysis.fermi_surface.fermi_surface_summary`.
    """
    fig = fig if fig is not None else Figure(figsize=(12, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    angle = np.asarray(summary["fs_angle"].values, dtype=float)
    use_angle = bool(np.all(np.isfinite(angle)))
    x = angle if use_angle else np.arange(summary.sizes["cut"])
    ok = np.asarray([str(s) == "ok" for s in summary["status"].values])
    if "describes_data" in summary:
        good = ok & np.asarray(summary["describes_data"].values, dtype=bool)
    else:
        good = ok & (np.asarray(summary["chi2_reduced"].values, dtype=float) <= 3.0)
    art: dict = {"axes": axes}
    panels = (("gap", 1e3, "gap |W(0)|/Z (meV)", COLORS["anomalous"]),
              ("w0", 1e3, "Re W(0) (meV)", COLORS["anomalous"]),
              ("pairing_evidence", 1.0, "pairing evidence (nats)", COLORS["total"]))
    for ax, (name, scale, label, color) in zip(axes, panels, strict=True):
        y = np.asarray(summary[name].values, dtype=float) * scale
        art[name] = ax.plot(x[good], y[good], "o-", color=color, ms=5)
        ax.plot(x[ok & ~good], y[ok & ~good], "o", mfc="none", color=color, ms=6,
                label="fit does not describe the data")
        if name == "pairing_evidence":
            ax.axhline(0, color="0.6", lw=0.8)
            if not np.any(np.isfinite(y)):
                ax.text(0.5, 0.5, "no evidence: fit the normal-only baseline", transform=ax.transAxes,
                        ha="center", fontsize=8, color="0.4")
        ax.set_ylabel(label)
        ax.set_xlabel("Fermi-surface angle (°; 0 antinode, 45 node)" if use_angle else "cut (file order)")
        if not use_angle:
            names = [str(s).rsplit("/", 1)[-1] for s in summary["source_file"].values]
            ax.set_xticks(x, names, rotation=60, fontsize=6)
    if np.any(ok & ~good):
        axes[0].legend(fontsize=7)
    return fig, art
