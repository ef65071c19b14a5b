"""The Playground: move the parameters of a hidden-fermion self-energy and watch the spectrum.

No fitting. One hidden fermion (hybridisation V, level ε_f, pairing D, width γ,
pairing coherence c; Sakai, Civelli and Imada, PRL 116, 057003 (2016)), a static gap Δ0 and a
marginal-Fermi-liquid-like normal background (−Im Σ_bg ≈ Γ0 + α|ω| up to
Ω_c) give Σ11(ω), Σ22(ω) = −Σ11(−ω)* and W(ω); from them

    A(k, ω) = −Im G11 / π,   I = [A f_T] ⊛ Gauss(FWHM),
    Σ_tot(k, ω) = Σ11 + W² / (ω + ε_k − Σ22),

computed by :func:`arpes_sigma.synthetic.curves.playground_curves` (one jitted
function of fixed shapes, so it compiles once per session) and drawn by
:class:`arpes_sigma.plotting.playground.PlaygroundFigure` (``set_data`` +
``draw_idle``).

The panel "what a normal-state analysis would infer" puts Im Σ_tot — the
self-energy one reads off the spectrum when W is ignored — next to the true
Im Σ11: at the hidden-fermion energy −E = −√(ε_f² + D²) the peak of Im Σ11 is
cancelled by the anomalous term (Yamaji, Yoshida, Fujimori and Imada,
Phys. Rev. Research 3, 043099 (2021)).

Buttons above the sliders load the teaching presets of
:mod:`arpes_sigma.synthetic.presets` (BCS; one hidden fermion paired;
the same one unpaired; spread pairing angles) and show a caption that says
what to look at.
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..plotting.playground import PlaygroundFigure
from ..synthetic import TRUTHS, Truth
from ..synthetic.curves import playground_curves, trace_count
from ..synthetic.presets import PRESETS
from ._common import ErrorPanel, close_panel, float_slider, freeze_layout, guarded, make_figure, section

__all__ = ["PARAMETERS", "Playground"]

_NO_PRESET = "<i>Choose a preset above to step through the lecture, or move the sliders freely.</i>"

#: Slider name -> (label, min, max, step, readout format). Energies in eV,
#: temperature in K; ``eps_k`` picks the EDC of the line panels.
PARAMETERS = {
    "V": ("V (eV)", 0.0, 0.25, 0.002, ".3f"),
    "eps_f": ("ε_f (eV)", -0.10, 0.10, 0.002, ".3f"),
    "D": ("D (eV)", 0.0, 0.12, 0.002, ".3f"),
    "coherence": ("coherence c", 0.0, 1.0, 0.01, ".2f"),
    "static_gap": ("static gap Δ0 (eV)", 0.0, 0.05, 0.001, ".3f"),
    "gamma": ("γ (eV)", 0.002, 0.05, 0.001, ".3f"),
    "gamma0": ("Γ0 (eV)", 0.0, 0.05, 0.001, ".3f"),
    "alpha": ("α", 0.0, 1.0, 0.01, ".2f"),
    "temperature": ("T (K)", 1.0, 150.0, 1.0, ".0f"),
    "resolution": ("resolution (eV)", 0.0, 0.05, 0.0005, ".4f"),
    "eps_k": ("EDC ε_k (eV)", -0.25, 0.10, 0.005, ".3f"),
}


class Playground(widgets.VBox):
    """Sliders for a hidden-fermion Nambu self-energy, redrawing the spectrum live.

    Panels: the observed intensity I(ε_k, ω) (bare band dashed, the chosen EDC
    dotted); that EDC with A(k, ω); the pairing bound (Im W)² ≤ Im Σ11·Im Σ22;
    Im/Re Σ11; Im/Re W; and "what a normal-state analysis would infer": Im Σ_tot
    at the chosen ε_k next to the true Im Σ11 and the anomalous term. Dotted
    vertical lines mark the hidden-fermion poles ±E, E = √(ε_f² + D²).

    Parameters
    ----------
    truth : Truth or str
        Starting values (its first hidden fermion); a key of
        :data:`arpes_sigma.synthetic.TRUTHS` or a :class:`~arpes_sigma.synthetic.Truth`.
    temperature, resolution : float
        Starting temperature (K) and Gaussian FWHM (eV).
    energies : (E,) array, eV, optional
        Uniform energies; default −0.30 … +0.10 eV in 1 meV steps.
    eps_k : (K,) array, eV, optional
        Image rows; default 71 values from −0.25 to +0.10 eV.
    figsize : (float, float), inches
    preset : str, optional
        Start from this key of :data:`arpes_sigma.synthetic.presets.PRESETS`
        instead of ``truth``.

    Attributes
    ----------
    controls : dict of str -> ipywidgets.FloatSlider
        One slider per key of :data:`PARAMETERS`.
    presets : ipywidgets.ToggleButtons
        One button per preset; choosing one sets every slider and the caption.
    caption : ipywidgets.HTML
        What the chosen preset shows and what to look at.
    figure : matplotlib.figure.Figure
        On an ipympl canvas.
    last_tick : float, s
        Wall time of the last redraw (computation + artist update, not the
        browser's rendering).
    """

    def __init__(self, truth: Truth | str = "bi2212_like", *, temperature: float = 20.0, resolution: float = 0.010,
                 energies: Any = None,
                 eps_k: Any = None, figsize: tuple[float, float] = (12.5, 6.6), preset: str | None = None):
        super().__init__()
        truth = TRUTHS[truth] if isinstance(truth, str) else truth
        self.omega = np.linspace(-0.30, 0.10, 401) if energies is None else np.asarray(energies, dtype=float)
        self.eps_k = np.linspace(-0.25, 0.10, 71) if eps_k is None else np.asarray(eps_k, dtype=float)
        start = {
            "V": truth.v[0], "eps_f": truth.eps_f[0], "D": truth.d[0], "static_gap": truth.static_gap,
            "gamma": truth.gamma[0], "gamma0": truth.gamma0, "alpha": truth.alpha, "coherence": 1.0,
            "temperature": temperature, "resolution": resolution, "eps_k": -0.03,
        }
        self.status = widgets.HTML()
        self.errors = ErrorPanel(self.status)
        self.controls = {}
        for name, (label, lo, hi, step, fmt) in PARAMETERS.items():
            value = float(np.clip(start[name], lo, hi))
            self.controls[name] = float_slider(label, value, lo, hi, step, fmt=fmt)
        self.last_tick = float("nan")
        self.ticks = 0
        self._holding = False  # True while a preset sets several sliders: one redraw at the end
        self.presets = widgets.ToggleButtons(options=list(PRESETS), value=None, description="preset",
                                             style={"button_width": "auto", "description_width": "4em"})
        self.caption = widgets.HTML(_NO_PRESET, layout=widgets.Layout(max_width="62em"))
        self.figure = make_figure(figsize)
        self.view = PlaygroundFigure(self.figure, self.omega, self.eps_k)
        self.redraw()
        freeze_layout(self.figure)
        for ctl in self.controls.values():
            ctl.observe(self._on_change, names="value")
        self.presets.observe(self._on_preset, names="value")
        if preset is not None:
            self.presets.value = preset
        c = self.controls
        columns = widgets.HBox(
            [
                section("hidden fermion", c["V"], c["eps_f"], c["D"], c["coherence"], c["gamma"]),
                section("gap and normal background", c["static_gap"], c["gamma0"], c["alpha"]),
                section("instrument and cut", c["temperature"], c["resolution"], c["eps_k"]),
            ],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        self.children = [self.presets, self.caption, columns, self.status, self.figure.canvas, self.errors.output]

    @property
    def traces(self) -> int:
        """How many times the tick function has been compiled in this process."""
        return trace_count()

    def values(self) -> dict:
        """Current slider values (eV, K) by name."""
        return {name: float(ctl.value) for name, ctl in self.controls.items()}

    # ------------------------------------------------------------------ ticks
    def redraw(self) -> float:
        """Recompute every curve for the current sliders and update the artists.

        Returns the wall time in seconds (also in :attr:`last_tick`).
        """
        t0 = time.perf_counter()
        v = self.values()
        out = playground_curves(v, self.omega, self.eps_k, max_resolution=PARAMETERS["resolution"][2])
        with self.figure.canvas.draw_lock:
            energy = self.view.draw(v, out)
        self.figure.canvas.draw_idle()
        self.last_tick = time.perf_counter() - t0
        self.ticks += 1
        self.status.value = (
            f"<code>hidden-fermion poles at ±E, E = √(ε_f² + D²) = {energy:.3f} eV · "
            f"tick {1e3 * self.last_tick:.1f} ms</code>"
        )
        return self.last_tick

    def apply_preset(self, name: str) -> None:
        """Set every slider to the preset ``name`` and redraw once; show its caption.

        Parameters
        ----------
        name : str
            A key of :data:`arpes_sigma.synthetic.presets.PRESETS`.
        """
        chosen = PRESETS[name]
        self._holding = True
        try:
            for key, value in chosen.values.items():
                lo, hi = PARAMETERS[key][1:3]
                self.controls[key].value = float(np.clip(value, lo, hi))
        finally:
            self._holding = False
        self.caption.value = f"<div style='line-height:1.35'>{chosen.caption}</div>"
        self.redraw()

    @guarded
    def _on_preset(self, change=None):
        if change["new"] is not None:
            self.apply_preset(change["new"])

    @guarded
    def _on_change(self, change=None):
        if not self._holding:
            self.redraw()

    def close(self) -> None:
        """Close every widget."""
        self.presets.close()
        self.caption.close()
        close_panel(self)
        super().close()
