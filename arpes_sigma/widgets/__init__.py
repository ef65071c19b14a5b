"""Interactive widgets (the only part of arpes_sigma that imports ipywidgets).

``Explorer``
    Fit Σ11(ω) and W(ω) to a cut interactively; the fit runs in a worker thread.
``Playground``
    No fitting: move the parameters of a hidden-fermion self-energy and watch
    A(k, ω), Σ11, W and the cancellation in Σ_tot.
``ThermalPanel``
    Thermal states of purified Boltzmann machines.

Widgets hold controls and few-line callbacks: read controls → call the library
→ update the artists of a figure class of :mod:`arpes_sigma.plotting`. Figures
are ipympl canvases made under ``plt.ioff()``; errors in callbacks are shown
in an :class:`ipywidgets.Output`.
"""

from .explorer import Explorer
from .playground import Playground
from .thermal_panel import ThermalPanel

__all__ = ["Explorer", "Playground", "ThermalPanel"]
