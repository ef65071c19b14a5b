"""Pure matplotlib figures of purified Boltzmann machines and their thermal curves (no ipywidgets).

Every function draws on given axes and returns its artists, so an interactive
shell (:mod:`arpes_sigma.widgets.thermal_panel`) can update them with
``set_data`` + ``draw_idle``. Temperatures and energies are in units of the
coupling (k_B = 1); energies and specific heats are per site.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..thermal.driver import ThermalResult
from ..thermal.exact import ExactThermo
from ..thermal.network import KINDS, PurifiedDBM

__all__ = ["thermal_curves", "update_thermal_curves", "network_diagram", "thermal_figure"]

_KIND_STYLE = {
    "visible": ("o", "C0", 60),
    "ancilla": ("s", "C2", 60),
    "hidden": ("D", "C1", 18),
    "deep": ("o", "0.55", 40),
}


def thermal_curves(ax_e: Axes, ax_c: Axes, label: str, color: str = "C0") -> dict:
    """Empty artists for one machine's E(T), C(T) with error bars and the exact curves.

    Parameters
    ----------
    ax_e, ax_c : matplotlib.axes.Axes
        Axes for energy and specific heat per site.
    label : str
        Legend label of the machine's points.
    color : str

    Returns
    -------
    dict
        ``energy_exact``, ``specific_heat_exact`` (Line2D), ``energy``,
        ``specific_heat`` (ErrorbarContainer); fill them with
        :func:`update_thermal_curves`.
    """
    art = {
        "energy_exact": ax_e.plot([], [], "-", color="0.3", lw=1.2, label="exact")[0],
        "specific_heat_exact": ax_c.plot([], [], "-", color="0.3", lw=1.2, label="exact")[0],
        "energy": ax_e.errorbar([], [], yerr=[], fmt="o", color=color, ms=4, capsize=2, label=label),
        "specific_heat": ax_c.errorbar([], [], yerr=[], fmt="o", color=color, ms=4, capsize=2, label=label),
    }
    ax_e.set(xlabel="temperature T / J", ylabel="energy per site E / J")
    ax_c.set(xlabel="temperature T / J", ylabel="specific heat per site C")
    return art


def _set_errorbar(container, x: np.ndarray, y: np.ndarray, err: np.ndarray) -> None:
    line, _, (bars,) = container.lines[0], container.lines[1], container.lines[2]
    line.set_data(x, y)
    bars.set_segments([np.array([[xi, yi - ei], [xi, yi + ei]]) for xi, yi, ei in zip(x, y, err, strict=True)])


def update_thermal_curves(art: dict, result: ThermalResult, exact_fine: ExactThermo | None = None) -> None:
    """Put a :class:`~arpes_sigma.thermal.ThermalResult` (and an exact curve) into the artists.

    Parameters
    ----------
    art : dict
        From :func:`thermal_curves`.
    result : ThermalResult
    exact_fine : ExactThermo, optional
        Exact curves on a fine temperature grid.
    """
    t = result.temperature
    _set_errorbar(art["energy"], t, result.energy, result.energy_err)
    _set_errorbar(art["specific_heat"], t, result.specific_heat, result.specific_heat_err)
    if exact_fine is not None:
        art["energy_exact"].set_data(exact_fine.temperature, exact_fine.energy)
        art["specific_heat_exact"].set_data(exact_fine.temperature, exact_fine.specific_heat)
    for ax in {art["energy_exact"].axes, art["specific_heat_exact"].axes}:
        ax.relim()
        ax.autoscale_view()


def network_diagram(ax: Axes, net: PurifiedDBM, max_sites: int = 8) -> dict:
    """Draw the units and couplings of a deterministic purified DBM (layers left to right).

    Spin units sit at (imaginary-time layer, site): ancillas at layer −1, deep
    layers, the visible layer last; hidden units sit between the units they
    couple. Line width grows with |weight|; imaginary weights (the Bell pairs)
    are dashed.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    net : PurifiedDBM
    max_sites : int
        Only sites below this index are drawn (a chain is periodic, so this is a window).

    Returns
    -------
    dict
        One PathCollection per unit kind present, and ``couplings`` (list of Line2D).
    """
    pos = np.zeros((len(net.kind), 2))
    spin = np.isin(net.kind, [KINDS.index("visible"), KINDS.index("ancilla"), KINDS.index("deep")])
    pos[spin, 0] = net.layer[spin]
    pos[spin, 1] = net.site[spin]
    neighbours: dict[int, list[int]] = {}
    for i, j in net.edges:
        neighbours.setdefault(int(i), []).append(int(j))
        neighbours.setdefault(int(j), []).append(int(i))
    hidden = np.nonzero(net.kind == KINDS.index("hidden"))[0]
    for h in hidden:
        pos[h] = pos[neighbours[int(h)]].mean(axis=0) + np.array([0.18, 0.0])
    shown = np.zeros(len(net.kind), dtype=bool)
    shown[spin] = net.site[spin] < max_sites
    for h in hidden:
        shown[h] = all(shown[u] for u in neighbours[int(h)])
    art: dict = {"couplings": []}
    wmax = max(float(np.max(np.abs(net.weight))), 1e-12)
    for (i, j), w in zip(net.edges, net.weight, strict=True):
        if shown[i] and shown[j]:
            style = "--" if abs(w.real) < 1e-12 else "-"
            line = ax.plot(pos[[i, j], 0], pos[[i, j], 1], style, color="0.5", lw=0.4 + 2.0 * abs(w) / wmax, zorder=1)
            art["couplings"].append(line[0])
    for k, name in enumerate(KINDS):
        sel = (net.kind == k) & shown
        if np.any(sel):
            marker, color, size = _KIND_STYLE[name]
            art[name] = ax.scatter(pos[sel, 0], pos[sel, 1], marker=marker, c=color, s=size, zorder=2,
                                   label=f"{name} ({int(np.sum(net.kind == k))})")
    ax.set(xlabel="imaginary-time layer (ancilla = −1)", ylabel="site")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return art


def thermal_figure(
    results: dict, exact_fine: ExactThermo | None = None, figsize: tuple[float, float] = (9.0, 3.6)
) -> tuple[Figure, dict]:
    """E(T) and C(T) of several machines against the exact curves, one colour each.

    Parameters
    ----------
    results : dict[str, ThermalResult]
        Label → result.
    exact_fine : ExactThermo, optional
    figsize : tuple of float

    Returns
    -------
    figure : matplotlib.figure.Figure
    artists : dict[str, dict]
        Label → the artists of :func:`thermal_curves`.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    ax_e, ax_c = fig.subplots(1, 2)
    arts = {}
    for k, (label, res) in enumerate(results.items()):
        arts[label] = thermal_curves(ax_e, ax_c, label, color=f"C{k}")
        update_thermal_curves(arts[label], res, exact_fine if k == 0 else None)
    ax_e.legend(fontsize="small")
    return fig, arts
