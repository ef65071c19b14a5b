"""The Playground: move the parameters of a hidden-fermion self-energy and watch the spectrum.

No fitting. One hidden fermion (hybridisation V, level ε_f, pairing D, width γ;
Sakai, Civelli and Imada, PRL 116, 057003 (2016)), a static gap Δ0 and a
marginal-Fermi-liquid-like normal background (−Im Σ_bg ≈ Γ0 + α|ω| up to
Ω_c) give Σ11(ω), Σ22(ω) = −Σ11(−ω)* and W(ω); from them

    A(k, ω) = −Im G11 / π,   I = [A f_T] ⊛ Gauss(FWHM),
    Σ_tot(k, ω) = Σ11 + W² / (ω + ε_k − Σ22),

as in :mod:`arpes_sigma.physics`. Every slider tick evaluates one jitted
function of fixed shapes (so it compiles once per session) and updates the
artists with ``set_data`` + ``draw_idle``.

The panel "what a normal-state analysis would infer" puts Im Σ_tot — the
self-energy one reads off the spectrum when W is ignored — next to the true
Im Σ11: at the hidden-fermion energy −E = −√(ε_f² + D²) the peak of Im Σ11 is
cancelled by the anomalous term (Yamaji, Yoshida, Fujimori and Imada,
Phys. Rev. Research 3, 043099 (2021)).
"""

from __future__ import annotations

import time

import ipywidgets as widgets
import jax
import jax.numpy as jnp
import numpy as np

from ..physics import (
    anomalous_term,
    background_sigma,
    gaussian_matrix,
    hidden_fermion_sigma,
    model_grid,
    observe,
    sigma_total,
    spectral_function,
)
from ..plotting import COLORS
from ..synthetic import TRUTHS, Truth
from ._common import ErrorPanel, close_panel, float_slider, freeze_layout, guarded, make_figure, section

__all__ = ["Playground", "PARAMETERS", "playground_curves"]

#: Slider name -> (label, min, max, step, readout format). Energies in eV,
#: temperature in K; ``eps_k`` picks the EDC of the line panels.
PARAMETERS = {
    "V": ("V (eV)", 0.0, 0.25, 0.002, ".3f"),
    "eps_f": ("ε_f (eV)", -0.10, 0.10, 0.002, ".3f"),
    "D": ("D (eV)", 0.0, 0.12, 0.002, ".3f"),
    "static_gap": ("static gap Δ0 (eV)", 0.0, 0.05, 0.001, ".3f"),
    "gamma": ("γ (eV)", 0.002, 0.05, 0.001, ".3f"),
    "gamma0": ("Γ0 (eV)", 0.0, 0.05, 0.001, ".3f"),
    "alpha": ("α", 0.0, 1.0, 0.01, ".2f"),
    "temperature": ("T (K)", 1.0, 150.0, 1.0, ".0f"),
    "resolution": ("resolution (eV)", 0.0, 0.05, 0.0005, ".4f"),
    "eps_k": ("EDC ε_k (eV)", -0.25, 0.10, 0.005, ".3f"),
}
_ORDER = tuple(PARAMETERS)

#: Upper edge Ω_c (eV) of the background density, node count and smoothing
#: width (eV): 401 nodes on [−0.5, 0.5] eV are 2.5 meV apart, finer than the
#: 4 meV Lorentzian that smooths them, so Σ_bg has no visible ripples.
BG_OMEGA_C, BG_NODES, BG_SMOOTHING = 0.5, 401, 0.004

_TRACES = [0]


def _self_energy(omega, p, nodes):
    """Σ11, Σ22, W (complex, eV) on ``omega`` for the parameter vector ``p``."""
    v, ef, d, gap, gam, g0, alpha = (p[i] for i in range(7))
    p11, p22, pw = hidden_fermion_sigma(omega, v[None], ef[None], d[None], gam[None])
    dx = nodes[1] - nodes[0]
    rho = (g0 + alpha * jnp.abs(nodes)) / jnp.pi * dx
    b11, b22 = background_sigma(omega, nodes, rho, jnp.full_like(nodes, BG_SMOOTHING))
    return p11 + b11, p22 + b22, pw + gap


def _curves(p, omega, grid, eps, nodes):
    _TRACES[0] += 1  # runs only while tracing: counts compilations
    temp, res, eps_sel = p[7], p[8], p[9]
    s11g, s22g, wg = _self_energy(grid, p, nodes)
    kernel = gaussian_matrix(omega, grid, res)
    spec = spectral_function(grid, eps[:, None], s11g, s22g, wg)
    image = observe(spec, grid, temp, kernel)
    edc = observe(spectral_function(grid, eps_sel, s11g, s22g, wg)[None, :], grid, temp, kernel)[0]
    s11, s22, w = _self_energy(omega, p, nodes)
    return {
        "image": image,
        "edc": edc,
        "a_sel": spectral_function(omega, eps_sel, s11, s22, w),
        "s11": s11,
        "s22": s22,
        "w": w,
        "total": sigma_total(omega, eps_sel, s11, s22, w),
        "anomalous": anomalous_term(omega, eps_sel, s22, w),
    }


_curves_jit = jax.jit(_curves)


def playground_curves(values: dict, omega, eps_k):
    """Everything the Playground draws, for one set of parameter values (numpy arrays).

    Parameters
    ----------
    values : dict
        One value per key of :data:`PARAMETERS` (eV, K).
    omega : (E,) array, eV
        Energies of the curves and of the image columns (uniform).
    eps_k : (K,) array, eV
        Bare band energies of the image rows.

    Returns
    -------
    dict of numpy arrays
        ``image`` (K, E) observed intensity [A f] ⊛ Gauss; ``edc`` and
        ``a_sel`` (E,) observed intensity and A(k, ω) at ``values["eps_k"]``;
        ``s11``, ``s22``, ``w`` (E,) complex; ``total`` Σ_tot and
        ``anomalous`` W²/(ω+ε_k−Σ22) at ``values["eps_k"]``, (E,) complex.
    """
    return _evaluate(values, _fixed_arrays(omega, eps_k))


def _fixed_arrays(omega, eps_k):
    """The fixed-shape inputs of the tick function: energies, model grid, ε_k, background nodes."""
    omega = np.asarray(omega, dtype=float)
    grid = model_grid(omega, PARAMETERS["resolution"][2], step=float(np.median(np.diff(omega))))
    nodes = np.linspace(-BG_OMEGA_C, BG_OMEGA_C, BG_NODES)
    return tuple(jnp.asarray(a, dtype=jnp.float32) for a in (omega, grid, np.asarray(eps_k, dtype=float), nodes))


def _evaluate(values, arrays):
    p = jnp.asarray(np.array([values[name] for name in _ORDER], dtype=np.float32))
    out = jax.device_get(_curves_jit(p, *arrays))
    return {k: np.asarray(v) for k, v in out.items()}


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

    Attributes
    ----------
    controls : dict of str -> ipywidgets.FloatSlider
        One slider per key of :data:`PARAMETERS`.
    figure : matplotlib.figure.Figure
        On an ipympl canvas.
    last_tick : float, s
        Wall time of the last redraw (computation + artist update, not the
        browser's rendering).
    """

    def __init__(self, truth: Truth | str = "bi2212_like", *, temperature=20.0, resolution=0.010, energies=None,
                 eps_k=None, figsize=(12.5, 6.6)):
        super().__init__()
        truth = TRUTHS[truth] if isinstance(truth, str) else truth
        self.omega = np.linspace(-0.30, 0.10, 401) if energies is None else np.asarray(energies, dtype=float)
        self.eps_k = np.linspace(-0.25, 0.10, 71) if eps_k is None else np.asarray(eps_k, dtype=float)
        start = {
            "V": truth.v[0], "eps_f": truth.eps_f[0], "D": truth.d[0], "static_gap": truth.static_gap,
            "gamma": truth.gamma[0], "gamma0": truth.gamma0, "alpha": truth.alpha,
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
        self._arrays = _fixed_arrays(self.omega, self.eps_k)
        self.figure = make_figure(figsize)
        self._build_panels()
        self.redraw()
        freeze_layout(self.figure)
        for ctl in self.controls.values():
            ctl.observe(self._on_change, names="value")
        c = self.controls
        columns = widgets.HBox(
            [
                section("hidden fermion", c["V"], c["eps_f"], c["D"], c["gamma"]),
                section("gap and normal background", c["static_gap"], c["gamma0"], c["alpha"]),
                section("instrument and cut", c["temperature"], c["resolution"], c["eps_k"]),
            ],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        self.children = [columns, self.status, self.figure.canvas, self.errors.output]

    @property
    def traces(self) -> int:
        """How many times the tick function has been compiled in this process."""
        return _TRACES[0]

    def values(self) -> dict:
        """Current slider values (eV, K) by name."""
        return {name: float(ctl.value) for name, ctl in self.controls.items()}

    # ------------------------------------------------------------------ figure
    def _build_panels(self):
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

    # ------------------------------------------------------------------ ticks
    def redraw(self):
        """Recompute every curve for the current sliders and update the artists.

        Returns the wall time in seconds (also in :attr:`last_tick`).
        """
        t0 = time.perf_counter()
        v = self.values()
        out = _evaluate(v, self._arrays)
        energy = float(np.hypot(v["eps_f"], v["D"]))
        with self.figure.canvas.draw_lock:
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
            self._inferred_ax.set_title(
                f"what a normal-state analysis infers (ε_k = {v['eps_k']:+.3f} eV)", fontsize=9
            )
        self.figure.canvas.draw_idle()
        self.last_tick = time.perf_counter() - t0
        self.ticks += 1
        self.status.value = (
            f"<code>hidden-fermion poles at ±E, E = √(ε_f² + D²) = {energy:.3f} eV · "
            f"tick {1e3 * self.last_tick:.1f} ms</code>"
        )
        return self.last_tick

    @guarded
    def _on_change(self, change=None):
        self.redraw()

    def close(self):
        """Close every widget."""
        close_panel(self)
        super().close()
