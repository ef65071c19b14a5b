"""The Explorer's figure: result panels, the shaded window, peak marks, residual image and loss curves.

Pure matplotlib: :class:`ExplorerFigure` builds its panels into a given
figure and updates them in place with ``set_data`` (no ipywidgets, no pyplot
state); :class:`arpes_sigma.widgets.Explorer` owns the canvas and calls
:meth:`ExplorerFigure.draw`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .result import COLORS, result_figure, update_result_figure

__all__ = ["ExplorerFigure"]


class ExplorerFigure:
    """Artists of the Explorer, built once into ``fig`` and updated by :meth:`draw`.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    result : FitResult
        The first result to draw (sets the axes' data ranges).
    noise : float or array (K, E)
        Noise σ of the data (one level or per point); the residual image shows (data − fit)/σ.
    truth : xarray.Dataset, optional
        The truth of a synthetic spectrum, drawn in grey.
    k_index : int
        EDC of the cancellation panel.
    """

    def __init__(self, fig: Figure, result: Any, *, noise: Any, truth: Any = None, k_index: int = 0):
        self.noise = np.asarray(noise, dtype=float)
        left, right = fig.subfigures(1, 2, width_ratios=[2.1, 1.0])
        _, self.art = result_figure(result, truth=truth, k_index=k_index, fig=left)
        axes = self.art["axes"]
        omega = result.omega
        # energy window: shaded outside on the EDC panel
        self._shade = [axes[0, 0].axvspan(omega[0], omega[0], color="0.6", alpha=0.25, lw=0, zorder=0)
                       for _ in range(2)]
        # cancellation panel: mark the peaks
        ax_c = axes[1, 1]
        (m_n,) = ax_c.plot([], [], "v", color=COLORS["normal"], ms=7)
        (m_a,) = ax_c.plot([], [], "^", color=COLORS["anomalous"], ms=7)
        (m_t,) = ax_c.plot([], [], "o", mfc="none", mec=COLORS["total"], ms=8, mew=1.5)
        self._marks = {"normal": m_n, "anomalous": m_a, "total": m_t}
        self._mark_text = ax_c.text(0.02, 0.97, "", transform=ax_c.transAxes, ha="left", va="top", fontsize=7)
        # right column: normalised residual image and loss curves
        ax_r, ax_l = right.subplots(2, 1)
        n_k = result.intensity.shape[0]
        self._residual = ax_r.imshow(
            (result.intensity - result.model_intensity) / self.noise, origin="lower", aspect="auto", cmap="RdBu_r",
            vmin=-4, vmax=4, extent=(omega[0], omega[-1], -0.5, n_k - 0.5), interpolation="nearest",
        )
        right.colorbar(self._residual, ax=ax_r, shrink=0.8, label="(data − fit)/σ")
        self._win_lines = [ax_r.axvline(x, color="k", lw=0.8, ls="--") for x in (omega[0], omega[-1])]
        self._k_line = ax_r.axhline(k_index, color="k", lw=0.8, ls=":")
        ax_r.set_xlabel("ω − E_F (eV)")
        ax_r.set_ylabel("EDC (k index)")
        ax_r.set_title("residual, k–ω", fontsize=9)
        ax_l.set_yscale("log")
        ax_l.set_xlabel("step")
        ax_l.set_ylabel("loss")
        ax_l.set_title("loss (each restart)", fontsize=9)
        self._ax_loss = ax_l
        self._loss_lines: list = []

    def draw(self, result: Any, k_index: int, window: tuple[float, float] | None,
             loss_steps: np.ndarray, loss_values: np.ndarray) -> None:
        """Push ``result``, the chosen EDC, the window (eV) and the loss history (steps (N,), values (N, R))."""
        k = int(k_index)
        update_result_figure(self.art, result, k)
        self._draw_bands(result)
        self._draw_marks(result, k)
        self.draw_window(result.omega, window)
        self._residual.set_data((result.intensity - result.model_intensity) / self.noise)
        self._k_line.set_ydata([k, k])
        self._draw_loss(loss_steps, loss_values)
        axes = self.art["axes"]
        axes[0, 0].set_title(f"data vs fit, step {result.steps}, χ²_red = {result.chi2_reduced:.3f}", fontsize=9)
        axes[1, 1].set_title(f"cancellation at ε_k = {result.eps_k[k]:+.3f} eV (EDC {k})", fontsize=9)

    def _draw_bands(self, result: Any) -> None:
        axes = self.art["axes"]
        parts = (("normal", axes[0, 1], result.sigma_normal, result.sigma_normal_std),
                 ("anomalous", axes[1, 0], result.sigma_anomalous, result.sigma_anomalous_std))
        for key, ax, value, std in parts:
            band = self.art[key].pop("band", None)
            if band is not None:
                band.remove()
            if std is not None:
                self.art[key]["band"] = ax.fill_between(
                    result.omega, value.imag - std.imag, value.imag + std.imag, color=COLORS[key], alpha=0.25, lw=0
                )

    def _draw_marks(self, result: Any, k: int) -> None:
        parts = result.cancellation(k)
        omega = result.omega
        occ = np.flatnonzero(omega < 0) if np.any(omega < 0) else np.arange(omega.size)
        i_n = occ[np.argmin(parts["im_sigma_normal"][occ])]
        i_a = occ[np.argmax(parts["im_anomalous_term"][occ])]
        self._marks["normal"].set_data([omega[i_n]], [parts["im_sigma_normal"][i_n]])
        self._marks["anomalous"].set_data([omega[i_a]], [parts["im_anomalous_term"][i_a]])
        self._marks["total"].set_data([omega[i_n]], [parts["im_sigma_total"][i_n]])
        self._mark_text.set_text(
            f"at ω = {omega[i_n]:+.3f} eV: Im Σ11 = {parts['im_sigma_normal'][i_n]:.3f}, "
            f"Im Σ_tot = {parts['im_sigma_total'][i_n]:.3f} eV"
        )

    def draw_window(self, omega: np.ndarray, window: tuple[float, float] | None) -> tuple[float, float]:
        """Shade the EDC panel outside ``window`` and mark it on the residual; returns (lo, hi) in eV."""
        lo, hi = window if window is not None else (omega[0], omega[-1])
        left, right = self._shade
        left.set_x(omega[0])
        left.set_width(max(lo - omega[0], 0.0))
        right.set_x(hi)
        right.set_width(max(omega[-1] - hi, 0.0))
        for line, x in zip(self._win_lines, (lo, hi), strict=True):
            line.set_xdata([x, x])
        return float(lo), float(hi)

    def _draw_loss(self, steps: np.ndarray, values: np.ndarray) -> None:
        ax = self._ax_loss
        n_r = values.shape[1] if values.ndim == 2 else 0
        if len(self._loss_lines) != n_r:
            for line in self._loss_lines:
                line.remove()
            self._loss_lines = [ax.plot([], [], lw=1.2, color=f"C{r % 10}")[0] for r in range(n_r)]
        for r, line in enumerate(self._loss_lines):
            y = values[:, r]
            line.set_data(steps, np.where(np.isfinite(y) & (y > 0), y, np.nan))
        if len(steps):
            ax.relim()
            ax.autoscale_view()
