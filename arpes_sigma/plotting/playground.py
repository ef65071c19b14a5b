"""The Playground's figure: spectrum image, one EDC, the pairing bound, Σ11, W and the normal-state inference.

Pure matplotlib: :class:`PlaygroundFigure` builds its six panels into a given
figure and :meth:`PlaygroundFigure.draw` updates them in place from the
curves of :func:`arpes_sigma.synthetic.curves.playground_curves`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .result import COLORS

__all__ = ["PlaygroundFigure"]


class PlaygroundFigure:
    """Artists of the Playground.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    omega : (E,) eV — energies of the curves and image columns
    eps_k : (K,) eV — bare band energies of the image rows
    """

    def __init__(self, fig: Figure, omega: np.ndarray, eps_k: np.ndarray):
        self.figure = fig
        self.omega = np.asarray(omega, dtype=float)
        self.eps_k = np.asarray(eps_k, dtype=float)
        self._build_panels()

    def _build_panels(self) -> None:
        axes = self.figure.subplots(2, 3)
        self._axes = axes
        e, eps = self.omega, self.eps_k
        ax = axes[0, 0]
        self._image = ax.imshow(np.zeros((eps.size, e.size)), origin="lower", aspect="auto", cmap="magma",
                                extent=(e[0], e[-1], eps[0], eps[-1]), vmin=0, vmax=1, interpolation="bilinear")
        ax.plot(eps, eps, ls="--", color="w", lw=0.8, alpha=0.7)
        ax.set_xlim(e[0], e[-1])
        ax.set_ylim(eps[0], eps[-1])
        self._k_line = ax.axhline(0, color="c", lw=0.9, ls=":")
        ax.set_xlabel("ω − E_F (eV)")
        ax.set_ylabel("ε_k (eV)")
        ax.set_title("observed intensity [A f] ⊛ resolution", fontsize=9)

        ax = axes[0, 1]
        (self._edc,) = ax.plot(e, np.zeros_like(e), color=COLORS["data"], lw=1.5, label="observed EDC")
        (self._a_sel,) = ax.plot(e, np.zeros_like(e), color=COLORS["fit"], lw=1, label="A(k, ω) (no f, no resolution)")
        ax.set_ylim(-0.02, 1.08)
        ax.set_xlabel("ω − E_F (eV)")
        ax.set_ylabel("normalised")
        ax.legend(fontsize=7, loc="upper left")

        ax = axes[0, 2]
        (self._bound_rhs,) = ax.plot(e, np.zeros_like(e), color="k", lw=1.5, label="Im Σ11 · Im Σ22")
        (self._bound_lhs,) = ax.plot(e, np.zeros_like(e), color=COLORS["anomalous"], lw=1.2, ls="--", label="(Im W)²")
        ax.set_xlabel("ω − E_F (eV)")
        ax.set_ylabel("eV²")
        ax.set_title("pairing bound (Im W)² ≤ Im Σ11 · Im Σ22", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")

        self._lines = {}
        for ax, key, name, color in ((axes[1, 0], "s11", "Σ11", COLORS["normal"]),
                                     (axes[1, 1], "w", "W", COLORS["anomalous"])):
            (im,) = ax.plot(e, np.zeros_like(e), color=color, lw=1.6, label=f"Im {name}")
            (re,) = ax.plot(e, np.zeros_like(e), color=color, lw=1.1, ls="--", label=f"Re {name}")
            self._lines[key] = (im, re)
            ax.axhline(0, color="0.8", lw=0.8)
            ax.set_xlabel("ω − E_F (eV)")
            ax.set_ylabel(f"{name} (eV)")
            ax.legend(fontsize=7, loc="lower left")
        axes[1, 0].set_title("normal self-energy Σ11(ω)", fontsize=9)
        axes[1, 1].set_title("anomalous self-energy W(ω)", fontsize=9)

        ax = axes[1, 2]
        (self._inf_normal,) = ax.plot(e, np.zeros_like(e), color=COLORS["normal"], lw=1.4, label="Im Σ11 (true)")
        (self._inf_anom,) = ax.plot(e, np.zeros_like(e), color=COLORS["anomalous"], lw=1.0,
                                    label="Im W²/(ω+ε_k−Σ22)")
        (self._inf_total,) = ax.plot(e, np.zeros_like(e), color=COLORS["total"], lw=2.2,
                                     label="Im Σ_tot (normal-state analysis)")
        ax.axhline(0, color="0.8", lw=0.8)
        ax.set_xlabel("ω − E_F (eV)")
        ax.set_ylabel("eV")
        ax.legend(fontsize=7, loc="lower left")
        self._inferred_ax = ax
        # hidden-fermion poles: −E on the EDC and self-energy panels, +E on the self-energy panels
        sigma_axes = (axes[1, 0], axes[1, 1], axes[1, 2])
        self._poles_neg = [a.axvline(0, color="0.45", lw=0.8, ls=":") for a in (axes[0, 1], *sigma_axes)]
        self._poles_pos = [a.axvline(0, color="0.45", lw=0.8, ls=":") for a in sigma_axes]

    def draw(self, values: dict, out: dict) -> float:
        """Update every artist from slider ``values`` (eV, K) and ``out`` = playground_curves(...).

        Returns the hidden-fermion pole energy E = √(ε_f² + D²) in eV.
        """
        v = values
        energy = float(np.hypot(v["eps_f"], v["D"]))
        img = out["image"]
        self._image.set_data(img / max(float(img.max()), 1e-12))
        self._k_line.set_ydata([v["eps_k"], v["eps_k"]])
        self._edc.set_ydata(out["edc"] / max(float(out["edc"].max()), 1e-12))
        self._a_sel.set_ydata(out["a_sel"] / max(float(out["a_sel"].max()), 1e-12))
        self._bound_rhs.set_ydata(out["s11"].imag * out["s22"].imag)
        self._bound_lhs.set_ydata(out["w"].imag ** 2)
        for key in ("s11", "w"):
            im, re = self._lines[key]
            im.set_ydata(out[key].imag)
            re.set_ydata(out[key].real)
        self._inf_normal.set_ydata(out["s11"].imag)
        self._inf_anom.set_ydata(out["anomalous"].imag)
        self._inf_total.set_ydata(out["total"].imag)
        for sign, lines in ((-1.0, self._poles_neg), (1.0, self._poles_pos)):
            for line in lines:
                line.set_xdata([sign * energy, sign * energy])
        for ax in (self._axes[0, 2], self._axes[1, 0], self._axes[1, 1], self._axes[1, 2]):
            ax.relim()
            ax.autoscale_view(scalex=False)
        self._axes[0, 1].set_title(f"EDC at ε_k = {v['eps_k']:+.3f} eV", fontsize=9)
        self._inferred_ax.set_title(f"what a normal-state analysis infers (ε_k = {v['eps_k']:+.3f} eV)", fontsize=9)
        return energy
