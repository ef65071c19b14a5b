"""Interactive panel: a purified Boltzmann machine against the exact thermodynamics of the Ising chain.

Controls → :func:`arpes_sigma.thermal.thermal` → :func:`arpes_sigma.plotting.thermal.update_thermal_curves`.
The figure is an ipympl canvas (the panels' ``make_figure``) whose artists are updated in place
(``set_data`` + ``draw_idle``); errors raised in a callback are shown in an
``ipywidgets.Output``. The ``exact`` method (exact contraction of the network)
recomputes when a slider moves; ``sample`` and ``variational`` take seconds to
minutes, so they run when **Run** is pressed.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..fitting.aot import exclusive
from ..plotting.thermal import network_diagram, thermal_curves, update_thermal_curves
from ..thermal import ThermalConfig, ThermalResult, TransverseFieldIsing, jw_tfim, tfim_network, thermal
from ._common import make_figure

__all__ = ["ThermalPanel"]

_SETTINGS = {  # quick settings per method, so that a press of Run takes seconds
    "exact": {},
    "sample": {"trotter_step": 0.1, "sweeps": 400, "chains": 32},
    "variational": {"features": 2, "beta_step": 0.05, "samples": 1024, "chains": 256, "measure_sweeps": 32},
}


class ThermalPanel(widgets.VBox):
    """E(T), C(T) of the transverse-field Ising chain from a purified machine, with the network drawn.

    Parameters
    ----------
    n_sites : int
        Chain length (periodic), 4–12, even.
    field : float
        Initial transverse field h (J = 1).
    temperature_range : tuple of float
        Initial (T_min, T_max).
    n_temperatures : int
        Temperatures computed (log-spaced in the range).
    method : {"exact", "sample", "variational"}
    compute : bool
        Run the first computation immediately.

    Attributes
    ----------
    controls : dict[str, ipywidgets.Widget]
        ``method``, ``temperature``, ``field``, ``trotter_step``, ``sites``, ``run``.
    figure : matplotlib.figure.Figure
    output : ipywidgets.Output
        Callback errors appear here.
    result : arpes_sigma.thermal.ThermalResult or None
    """

    def __init__(
        self,
        n_sites: int = 8,
        field: float = 1.0,
        temperature_range: tuple[float, float] = (0.25, 3.0),
        n_temperatures: int = 8,
        method: str = "exact",
        compute: bool = True,
    ):
        self.n_temperatures = int(n_temperatures)
        self.result = None
        st = {"description_width": "initial"}
        c = self.controls = {
            "method": widgets.ToggleButtons(options=list(_SETTINGS), value=method, description="method"),
            "temperature": widgets.FloatRangeSlider(value=tuple(temperature_range), min=0.1, max=5.0, step=0.05,
                                                    description="T range", continuous_update=False, style=st),
            "field": widgets.FloatSlider(value=field, min=0.1, max=3.0, step=0.05, description="field h",
                                         continuous_update=False, style=st),
            "trotter_step": widgets.FloatSlider(value=0.05, min=0.01, max=0.3, step=0.01, description="Trotter τ",
                                                continuous_update=False, style=st),
            "sites": widgets.IntSlider(value=n_sites, min=4, max=12, step=2, description="sites N",
                                       continuous_update=False, style=st),
            "run": widgets.Button(description="Run", button_style="primary"),
        }
        self.output = widgets.Output()
        self.status = widgets.HTML()
        # the panels' one figure helper: an ipympl canvas whatever pyplot's backend is at the time
        self.figure = make_figure((12.5, 3.6))
        ax_e, ax_c, self.ax_net = self.figure.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.3]})
        self.artists = thermal_curves(ax_e, ax_c, "purified machine")
        ax_e.legend(loc="lower right", fontsize="small")
        for name in ("temperature", "field", "trotter_step", "sites", "method"):
            c[name].observe(self._on_slider, names="value")
        c["run"].on_click(self._on_run)
        rows = [c["method"], widgets.HBox([c["temperature"], c["field"]]),
                widgets.HBox([c["trotter_step"], c["sites"], c["run"]])]
        super().__init__([*rows, self.status, self.figure.canvas, self.output])
        if compute:
            self._on_run()

    def _on_slider(self, change=None) -> None:
        if self.controls["method"].value == "exact":
            self._on_run()

    def _on_run(self, button=None) -> None:
        self.output.clear_output()
        try:
            self.update()
        except Exception as exc:  # shown to the user, never swallowed
            self.output.append_stdout(f"{type(exc).__name__}: {exc}\n")

    def update(self) -> ThermalResult:
        """Read controls → compute → update artists (raises on bad input)."""
        c = self.controls
        t_lo, t_hi = c["temperature"].value
        model = TransverseFieldIsing(int(c["sites"].value), 1.0, float(c["field"].value))
        method = c["method"].value
        config = ThermalConfig(method=method, **{"trotter_step": float(c["trotter_step"].value), **_SETTINGS[method]})
        temps = np.geomspace(t_lo, t_hi, self.n_temperatures)
        with exclusive():  # an Explorer's fit thread in the same kernel waits (two XLA LAPACK calls can deadlock)
            self.result = res = thermal(model, temps, config)
        update_thermal_curves(self.artists, res, jw_tfim(model, np.geomspace(t_lo, t_hi, 120)))
        self.ax_net.clear()
        m = max(1, min(3, int(res.n_steps.max()) if method != "variational" else 3))
        network_diagram(self.ax_net, tfim_network(model, m, config.trotter_step), max_sites=min(model.n_sites, 6))
        self.ax_net.set_title(f"first {m} Trotter steps of the network", fontsize="small")
        at = jw_tfim(model, temps)
        err_e = np.max(np.abs(res.energy / at.energy - 1))
        err_c = np.max(np.abs(res.specific_heat / at.specific_heat - 1))
        self.status.value = (
            f"{method}: N = {model.n_sites}; units at T = {t_lo:.2f}: {res.units}; "
            f"max rel. error E {err_e:.1e}, C {err_c:.1e}; {res.seconds:.1f} s"
        )
        self.figure.canvas.draw_idle()
        return res
