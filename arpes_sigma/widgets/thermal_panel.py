"""Interactive panel: purified deep Boltzmann machine vs exact thermodynamics (TFIM chain).

The panel reads its controls, calls :func:`arpes_sigma.thermal.purified_thermal`
and :func:`arpes_sigma.thermal.jw_tfim`, and updates existing matplotlib
artists with ``set_data`` + ``draw_idle`` (the figure is made under
``plt.ioff()``, as in the ipympl examples). Errors raised in a callback are
shown in an ``ipywidgets.Output`` instead of vanishing.

The machine uses exact summation over the network (N ≤ 10), so each update
takes a second or two after the first compilation; shapes do not depend on
the slider values, so moving a slider never recompiles.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from ..thermal import PurifiedConfig, TransverseFieldIsing, jw_tfim, network_size, purified_thermal

__all__ = ["ThermalPanel"]


class ThermalPanel(widgets.VBox):
    """E(T) and C(T) of the transverse-field Ising chain: purified DBM against Jordan–Wigner.

    Parameters
    ----------
    n_sites : int
        Chain length (periodic), 4–10, even.
    coupling : float
        Ising coupling J.
    field : float
        Initial transverse field h.
    temperature_range : tuple of float
        Initial (T_min, T_max).
    n_temperatures : int
        Temperatures computed by the machine (log-spaced in the range).
    trotter_step : float
        Initial largest imaginary-time step.
    compute : bool
        Run the first computation immediately.

    Attributes
    ----------
    controls : dict[str, ipywidgets.Widget]
        ``temperature`` (range slider), ``field``, ``trotter_step``, ``sites``.
    figure : matplotlib.figure.Figure
    output : ipywidgets.Output
        Where callback errors and status messages appear.
    result : arpes_sigma.thermal.PurifiedResult or None
        The latest machine result.
    """

    def __init__(
        self,
        n_sites=8,
        coupling=1.0,
        field=1.0,
        temperature_range=(0.25, 3.0),
        n_temperatures=8,
        trotter_step=0.05,
        compute=True,
    ):
        self.coupling = float(coupling)
        self.n_temperatures = int(n_temperatures)
        self.result = None
        style = {"description_width": "initial"}
        self.controls = {
            "temperature": widgets.FloatRangeSlider(
                value=tuple(temperature_range), min=0.1, max=5.0, step=0.05,
                description="T range", continuous_update=False, style=style,
            ),
            "field": widgets.FloatSlider(
                value=field, min=0.05, max=3.0, step=0.05, description="field h", continuous_update=False, style=style
            ),
            "trotter_step": widgets.FloatSlider(
                value=trotter_step, min=0.01, max=0.3, step=0.01, description="Trotter step τ",
                continuous_update=False, readout_format=".2f", style=style,
            ),
            "sites": widgets.IntSlider(
                value=n_sites, min=4, max=10, step=2, description="sites N", continuous_update=False, style=style
            ),
        }
        self.output = widgets.Output()
        self.status = widgets.HTML()
        with plt.ioff():
            self.figure, (ax_e, ax_c) = plt.subplots(1, 2, figsize=(8.5, 3.4), constrained_layout=True)
        self.axes = {"energy": ax_e, "specific_heat": ax_c}
        self.lines = {
            "energy_exact": ax_e.plot([], [], "-", color="0.3", label="exact (Jordan–Wigner)")[0],
            "energy": ax_e.plot([], [], "o", color="C0", label="purified DBM")[0],
            "specific_heat_exact": ax_c.plot([], [], "-", color="0.3", label="exact")[0],
            "specific_heat": ax_c.plot([], [], "o", color="C3", label="purified DBM")[0],
        }
        ax_e.set(xlabel="temperature T / J", ylabel="energy per site E / J")
        ax_c.set(xlabel="temperature T / J", ylabel="specific heat per site C")
        ax_e.legend(loc="lower right", fontsize="small")
        canvas = self.figure.canvas
        if isinstance(canvas, widgets.DOMWidget):  # ipympl
            self._figure_box = canvas
            self._static = None
        else:  # non-interactive backend: show a static image in an Output
            self._static = widgets.Output()
            self._figure_box = self._static
        for w in self.controls.values():
            w.observe(self._on_change, names="value")
        row1 = widgets.HBox([self.controls["temperature"], self.controls["field"]])
        row2 = widgets.HBox([self.controls["trotter_step"], self.controls["sites"]])
        super().__init__([row1, row2, self.status, self._figure_box, self.output])
        if compute:
            self._on_change()

    # ------------------------------------------------------------------ callbacks
    def _on_change(self, change=None):
        self.output.clear_output()
        try:
            self.update()
        except Exception as exc:  # shown to the user, never swallowed
            self.output.append_stdout(f"{type(exc).__name__}: {exc}\n")

    def update(self):
        """Read controls → compute → update artists (raises on bad input)."""
        c = self.controls
        t_lo, t_hi = c["temperature"].value
        model = TransverseFieldIsing(int(c["sites"].value), self.coupling, float(c["field"].value))
        config = PurifiedConfig(trotter_step=float(c["trotter_step"].value), method="exact")
        temps = np.geomspace(t_lo, t_hi, self.n_temperatures)
        fine = np.geomspace(t_lo, t_hi, 120)
        self.result = res = purified_thermal(model, temps, config)
        ref = jw_tfim(model, fine)
        at = jw_tfim(model, temps)
        self.lines["energy_exact"].set_data(fine, ref.energy)
        self.lines["energy"].set_data(temps, res.energy)
        self.lines["specific_heat_exact"].set_data(fine, ref.specific_heat)
        self.lines["specific_heat"].set_data(temps, res.specific_heat)
        for ax in self.axes.values():
            ax.relim()
            ax.autoscale_view()
        size = network_size(model, int(res.n_steps.max()))
        err_e = np.max(np.abs(res.energy / at.energy - 1))
        err_c = np.max(np.abs(res.specific_heat / at.specific_heat - 1))
        self.status.value = (
            f"N = {model.n_sites}, {int(res.n_steps.max())} Trotter steps to T = {t_lo:.2f}: "
            f"{size['deep']} deep + {size['hidden']} hidden units; "
            f"max rel. error E {err_e:.1e}, C {err_c:.1e}; {res.seconds:.1f} s"
        )
        self.figure.canvas.draw_idle()
        if self._static is not None:
            self._static.clear_output(wait=True)
            with self._static:
                from IPython.display import display

                display(self.figure)
        return res
