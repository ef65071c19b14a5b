"""Static teaching figures: the hidden cancellation for the Playground's presets, without a kernel.

Pure matplotlib (a :class:`~matplotlib.figure.Figure`, no pyplot state, no
widgets), so a notebook rendered on GitHub or nbviewer, or a PNG in the docs,
shows the physics the live Playground shows. The curves come from
:func:`arpes_sigma.synthetic.curves.playground_curves`, the Playground's own
function, for the presets of :mod:`arpes_sigma.synthetic.presets`.

Energies on the x axes are ω − E_F in eV; self-energies in eV.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..synthetic.curves import playground_curves
from ..synthetic.presets import PRESETS, Preset, preset
from .result import COLORS

__all__ = ["cancellation_figure", "plot_cancellation"]


def plot_cancellation(ax: Axes, omega: np.ndarray, curves: dict, *, energy: float | None = None,
                      legend: bool = True) -> dict:
    """Im Σ11, the anomalous term Im W²/(ω+ε_k−Σ22) and Im Σ_tot at one ε_k, on ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    omega : (E,) array, eV
    curves : dict
        ``s11``, ``anomalous`` and ``total``, complex (E,) arrays in eV, as
        returned by :func:`arpes_sigma.synthetic.curves.playground_curves`.
    energy : float, eV, optional
        Hidden-fermion energy E; dotted lines mark ±E.
    legend : bool

    Returns
    -------
    dict of artists: ``normal``, ``anomalous``, ``total`` (Line2D) and ``poles`` (list).
    """
    omega = np.asarray(omega, dtype=float)
    a: dict[str, Any] = {}
    (a["normal"],) = ax.plot(omega, np.asarray(curves["s11"]).imag, color=COLORS["normal"], lw=1.4,
                             label="Im Σ11 (true)")
    (a["anomalous"],) = ax.plot(omega, np.asarray(curves["anomalous"]).imag, color=COLORS["anomalous"], lw=1.0,
                                label="Im W²/(ω+ε_k−Σ22)")
    (a["total"],) = ax.plot(omega, np.asarray(curves["total"]).imag, color=COLORS["total"], lw=2.2,
                            label="Im Σ_tot (normal-state analysis)")
    a["poles"] = []
    if energy is not None and energy > 0:
        a["poles"] = [ax.axvline(s * energy, color="0.45", lw=0.8, ls=":") for s in (-1.0, 1.0)]
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel("ω − E_F (eV)")
    ax.set_ylabel("Im Σ (eV)")
    if legend:
        ax.legend(fontsize=7, loc="lower left")
    return a


def cancellation_figure(presets: Sequence[str | Preset] | None = None, *, omega: Any = None, eps_k: Any = None,
                        fig: Figure | None = None) -> tuple[Figure, dict]:
    """The Playground's presets side by side: spectrum, one EDC and the cancellation panel.

    One column per preset. Row 1: the observed intensity [A f] ⊛ Gauss over
    (ω, ε_k), bare band dashed, the EDC of row 2 dotted. Row 2: that EDC and
    A(k, ω), each normalised to its maximum. Row 3: :func:`plot_cancellation`
    — where the anomalous term cancels the Im Σ11 peak at −E (paired), does not
    exist (unpaired) or cancels part of it (spread pairing angles).

    Parameters
    ----------
    presets : sequence of str or Preset, optional
        Names (keys of :data:`arpes_sigma.synthetic.presets.PRESETS`) or
        presets; default all four, in lecture order.
    omega : (E,) array, eV, optional
        Uniform energies; default −0.30 … +0.10 eV in 1 meV steps (the
        Playground's, so its compiled function is reused).
    eps_k : (K,) array, eV, optional
        Image rows; default 71 values from −0.25 to +0.10 eV.
    fig : matplotlib.figure.Figure, optional
        Drawn into; a new constrained-layout figure by default.

    Returns
    -------
    fig, artists : the Figure and, per preset name, a dict with ``image``,
        ``edc``, ``a_sel`` and the cancellation artists (``normal``,
        ``anomalous``, ``total``, ``poles``).
    """
    chosen = [p if isinstance(p, Preset) else preset(p) for p in (presets or list(PRESETS))]
    omega = np.linspace(-0.30, 0.10, 401) if omega is None else np.asarray(omega, dtype=float)
    eps = np.linspace(-0.25, 0.10, 71) if eps_k is None else np.asarray(eps_k, dtype=float)
    n = len(chosen)
    fig = fig if fig is not None else Figure(figsize=(3.3 * n + 0.4, 8.4), layout="constrained")
    axes = fig.subplots(3, n, squeeze=False, sharex=True)
    art: dict[str, dict] = {}
    for j, p in enumerate(chosen):
        values = p.values
        curves = playground_curves(values, omega, eps)
        energy = float(np.hypot(values["eps_f"], values["D"])) if values["V"] > 0 else None
        a: dict[str, Any] = {}
        ax = axes[0, j]
        img = curves["image"]
        a["image"] = ax.imshow(img / max(float(img.max()), 1e-12), origin="lower", aspect="auto", cmap="magma",
                               extent=(omega[0], omega[-1], eps[0], eps[-1]), vmin=0, vmax=1,
                               interpolation="bilinear")
        ax.plot(eps, eps, ls="--", color="w", lw=0.8, alpha=0.7)
        ax.axhline(values["eps_k"], color="c", lw=0.9, ls=":")
        ax.set_xlim(omega[0], omega[-1])
        ax.set_ylim(eps[0], eps[-1])
        ax.set_title("\n".join(textwrap.wrap(p.name, 30)), fontsize=9)
        ax = axes[1, j]
        (a["edc"],) = ax.plot(omega, curves["edc"] / max(float(curves["edc"].max()), 1e-12), color=COLORS["data"],
                              lw=1.5, label="observed EDC")
        (a["a_sel"],) = ax.plot(omega, curves["a_sel"] / max(float(curves["a_sel"].max()), 1e-12),
                                color=COLORS["fit"], lw=1, label="A(k, ω)")
        ax.set_ylim(-0.02, 1.08)
        ax.text(0.03, 0.95, f"ε_k = {values['eps_k']:+.3f} eV", transform=ax.transAxes, fontsize=7, va="top")
        a.update(plot_cancellation(axes[2, j], omega, curves, energy=energy, legend=(j == 0)))
        art[p.name] = a
    axes[0, 0].set_ylabel("ε_k (eV)")
    axes[1, 0].set_ylabel("intensity (normalised)")
    axes[1, 0].legend(fontsize=7, loc="center left")
    for ax in axes[:2].ravel():
        ax.tick_params(labelbottom=False)
    for ax in axes[2]:
        ax.set_xlabel("ω − E_F (eV)")
    for ax in axes[2, 1:]:
        ax.set_ylabel("")
    fig.suptitle("What a normal-state analysis sees: Im Σ_tot = Im [Σ11 + W²/(ω + ε_k − Σ22)]", fontsize=10)
    return fig, art
