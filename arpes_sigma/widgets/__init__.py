"""Interactive widgets (the only part of arpes_sigma that imports ipywidgets).

``Explorer``
    Fit Σ11(ω) and W(ω) to a cut interactively; the fit runs in a worker thread.
``Playground``
    No fitting: move the parameters of a hidden-fermion self-energy and watch
    A(k, ω), Σ11, W and the cancellation in Σ_tot.
``ThermalPanel``
    Thermal states of purified Boltzmann machines (when that module is present).

Figures are ipympl canvases made under ``plt.ioff()``; callbacks update
artists with ``set_data`` + ``draw_idle`` and report errors in an
:class:`ipywidgets.Output`.
"""

from .explorer import Explorer
from .playground import Playground

__all__ = ["Explorer", "Playground"]

try:  # written separately; optional until it lands
    from .thermal_panel import ThermalPanel
except ImportError:
    pass
else:
    __all__.append("ThermalPanel")
