"""Pure matplotlib figures of spectra and fit results (no ipywidgets, no pyplot state).

Every function takes a :class:`matplotlib.figure.Figure` or axes and returns the
artists it made, so an interactive shell can update them with ``set_data`` +
``canvas.draw_idle()`` instead of redrawing (see :mod:`arpes_sigma.widgets`).
Energies on the x axes are in eV (ω − E_F); self-energies in eV.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "plot_spectrum",
    "edc_indices",
    "edc_stack",
    "result_figure",
    "update_result_figure",
    "verdict_color",
    "cancellation_lines",
    "bogoliubov_pole",
    "save_figure",
]

COLORS = {"normal": "C0", "anomalous": "C3", "total": "C2", "truth": "0.35", "data": "0.2", "fit": "C1"}


def _axis_label(da: Any, dim: str) -> str:
    units = str(da[dim].attrs.get("units", "")) if dim in da.coords else ""
    units = {"1/Angstrom": "1/Å", "1/angstrom": "1/Å", "deg": "°"}.get(units, units)
    return f"{dim} ({units})" if units else dim


def plot_spectrum(da: Any, ax: Axes | None = None, *, colorbar: bool = True, **kwargs: Any) -> Any:
    """Intensity image of a cut (momentum vertical, energy horizontal) with a colorbar; returns the QuadMesh.

    The momentum axis is labelled with its units (``k (1/Å)`` for a prepared cut).
    """
    if ax is None:
        ax = Figure(figsize=(5, 4), layout="constrained").add_subplot()
    mdim = [d for d in da.dims if d != "eV"]
    if not mdim:
        (line,) = ax.plot(da["eV"].values, da.values, color=COLORS["data"])
        ax.set_xlabel("ω − E_F (eV)")
        ax.set_ylabel("intensity")
        return line
    y = da[mdim[0]].values if mdim[0] in da.coords else np.arange(da.sizes[mdim[0]])
    mesh = ax.pcolormesh(da["eV"].values, y, da.transpose(mdim[0], "eV").values, shading="nearest", **kwargs)
    ax.set_xlabel("ω − E_F (eV)")
    ax.set_ylabel(_axis_label(da, mdim[0]))
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label="intensity (as read)")
    return mesh


def edc_indices(n: int, max_curves: int = 12) -> np.ndarray:
    """At most ``max_curves`` evenly spread EDC indices of ``n`` (all of them when n ≤ max_curves)."""
    if n <= max_curves:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, max_curves)).astype(int))


def edc_stack(
    ax: Axes, omega: np.ndarray, data: np.ndarray, model: np.ndarray | None = None, *, offset: float | None = None,
    indices: np.ndarray | None = None,
) -> tuple[list, list]:
    """EDCs stacked with a vertical offset; returns (data_lines, model_lines).

    Parameters
    ----------
    omega : (E,) eV; data : (K, E); model : (K, E) or None
    offset : float, default 0.35 × max(data)
    indices : which EDCs to draw (default all); line j shows EDC ``indices[j]``
    """
    data = np.asarray(data)
    off = 0.35 * float(np.nanmax(data)) if offset is None else offset
    rows = np.arange(len(data)) if indices is None else np.asarray(indices)
    dl, ml = [], []
    for i, r in enumerate(rows):
        (d,) = ax.plot(omega, data[r] + i * off, ".", ms=2, color=COLORS["data"])
        dl.append(d)
        if model is not None:
            (m,) = ax.plot(omega, np.asarray(model)[r] + i * off, "-", lw=1.2, color=COLORS["fit"])
            ml.append(m)
    ax.set_xlabel("ω − E_F (eV)")
    ax.set_ylabel("intensity + offset")
    ax.set_yticks([])
    return dl, ml


def cancellation_lines(ax: Axes, omega: np.ndarray, parts: dict) -> dict:
    """The cancellation panel: Im Σ11, Im W²/(ω+ε_k−Σ22) and Im Σ_tot at one k.

    ``parts`` is the dict of :meth:`arpes_sigma.fit.FitResult.cancellation`.
    The peak of Im Σ11 on the occupied side is marked; at that energy the
    anomalous term nearly cancels it in Σ_tot. Returns a dict of artists
    (``bogoliubov``, the annotation of :func:`bogoliubov_pole`, starts as None;
    :func:`result_figure` adds it).
    """
    a = {}
    (a["normal"],) = ax.plot(omega, parts["im_sigma_normal"], color=COLORS["normal"], label="Im Σ11")
    (a["anomalous"],) = ax.plot(omega, parts["im_anomalous_term"], color=COLORS["anomalous"], label="Im W²/(ω+ε_k−Σ22)")
    (a["total"],) = ax.plot(omega, parts["im_sigma_total"], color=COLORS["total"], lw=2, label="Im Σ_tot (observed)")
    a["marker"] = ax.axvline(_peak_energy(omega, parts["im_sigma_normal"]), color="0.5", ls=":", lw=1)
    a["bogoliubov"] = None
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel("ω − E_F (eV)")
    ax.set_ylabel("Im Σ (eV)")
    ax.legend(fontsize=7, loc="lower left")
    return a


def bogoliubov_pole(omega: np.ndarray, parts: dict, mask: np.ndarray | None = None) -> float | None:
    """Energy (eV) of the Bogoliubov pole of Im Σ_tot above E_F, or None when there is none.

    The anomalous term W²/(ω + ε_k − Σ22) has a pole near ω ≈ −ε_k (+|E_k| for
    an occupied ε_k), where Im Σ_tot has a sharp minimum that no normal
    self-energy explains. It is reported when, among the energies ω > 0 inside
    the fit window ``mask``, the lowest Im Σ_tot is an interior local minimum
    and the anomalous term makes at least half of it. Without pairing
    (W ≡ 0) the anomalous term vanishes and the answer is None.

    Parameters
    ----------
    omega : (E,) eV
    parts : dict
        ``im_sigma_total`` and ``im_anomalous_term`` (E,) in eV, as from
        :meth:`arpes_sigma.fit.FitResult.cancellation`.
    mask : (E,) bool, optional
        The fit window (default: every energy).
    """
    omega = np.asarray(omega, dtype=float)
    total = np.asarray(parts["im_sigma_total"], dtype=float)
    anomalous = np.asarray(parts["im_anomalous_term"], dtype=float)
    keep = omega > 0 if mask is None else (omega > 0) & np.asarray(mask, dtype=bool)
    idx = np.flatnonzero(keep)
    if idx.size < 3:
        return None
    j = int(np.argmin(total[idx]))
    if j in (0, idx.size - 1):  # at the edge of the region: not a pole inside it
        return None
    i = idx[j]
    if not (total[i] < total[i - 1] and total[i] < total[i + 1]):
        return None
    if not anomalous[i] <= 0.5 * total[i] < 0:
        return None
    return float(omega[i])


def _annotate_bogoliubov(ax: Axes, omega: np.ndarray, parts: dict, mask: np.ndarray | None) -> Any:
    """Arrow and text at the Bogoliubov pole of Im Σ_tot, when :func:`bogoliubov_pole` finds one (else None)."""
    x = bogoliubov_pole(omega, parts, mask)
    if x is None:
        return None
    y = float(np.interp(x, omega, parts["im_sigma_total"]))
    return ax.annotate(f"Bogoliubov pole\nω ≈ {1e3 * x:+.0f} meV", xy=(x, y), xytext=(-70, -4),
                       textcoords="offset points", fontsize=7, color=COLORS["total"], va="center",
                       arrowprops={"arrowstyle": "->", "color": COLORS["total"], "lw": 0.8})


def _peak_energy(omega, im):
    occ = np.asarray(omega) < 0
    if not occ.any():
        return float(np.asarray(omega)[np.argmin(im)])
    return float(np.asarray(omega)[occ][np.argmin(np.asarray(im)[occ])])


def _sigma_lines(ax, omega, value, std, color, name, truth=None):
    a = {}
    (a["im"],) = ax.plot(omega, value.imag, color=color, lw=1.8, label=f"Im {name}")
    (a["re"],) = ax.plot(omega, value.real, color=color, lw=1.2, ls="--", label=f"Re {name}")
    if std is not None:
        a["band"] = ax.fill_between(omega, value.imag - std.imag, value.imag + std.imag, color=color, alpha=0.25, lw=0)
    if truth is not None:
        (a["truth_im"],) = ax.plot(omega, truth.imag, color=COLORS["truth"], lw=1, label="truth (Im)")
        (a["truth_re"],) = ax.plot(omega, truth.real, color=COLORS["truth"], lw=1, ls="--", label="truth (Re)")
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel("ω − E_F (eV)")
    ax.set_ylabel(f"{name} (eV)")
    ax.legend(fontsize=7, loc="lower left")
    return a


def _truth_complex(truth, name):
    if truth is None:
        return None
    return truth[f"re_{name}"].values + 1j * truth[f"im_{name}"].values


def _window_shading(ax: Axes, omega: np.ndarray, mask: np.ndarray) -> list:
    """Grey bands over the energies outside the fit window; returns the artists."""
    omega, mask = np.asarray(omega), np.asarray(mask, dtype=bool)
    if mask.all() or not mask.any():
        return []
    inside = omega[mask]
    out = []
    if omega.min() < inside.min():
        out.append(ax.axvspan(omega.min(), inside.min(), color="0.85", zorder=0, lw=0, label="outside fit window"))
    if omega.max() > inside.max():
        out.append(ax.axvspan(inside.max(), omega.max(), color="0.85", zorder=0, lw=0))
    return out


def _undetermined_span(ax: Axes, result: Any, name: str) -> Any:
    """Hatch the occupied energies where the data do not determine the curve ``name``; the artist.

    None when the whole window is determined or the detectable changes were not
    computed (:meth:`~arpes_sigma.fitting.result.FitResult.determined_to`).
    """
    to = result.determined_to(name) if hasattr(result, "determined_to") else float("nan")
    omega = np.asarray(result.omega)
    mask = np.asarray(getattr(result, "window_mask", np.ones(len(omega))), dtype=bool)
    bottom = float(omega[mask].min()) if mask.any() else float(omega.min())
    if not np.isfinite(to) or to <= bottom:
        return None
    span = ax.axvspan(bottom, to, facecolor="none", edgecolor="0.78", hatch="//", lw=0, zorder=0,
                      label="not determined by the data")
    ax.legend(fontsize=7, loc="lower left")
    return span


def _window_lines(ax: Axes, omega: np.ndarray, mask: np.ndarray) -> list:
    """Dash-dotted lines at the edges of the fit window (only where it is narrower than the data); the artists."""
    omega, mask = np.asarray(omega), np.asarray(mask, dtype=bool)
    if mask.all() or not mask.any():
        return []
    inside = omega[mask]
    edges = [x for x, cut in ((inside.min(), omega.min() < inside.min()), (inside.max(), omega.max() > inside.max()))
             if cut]
    return [ax.axvline(x, color="0.55", ls="-.", lw=0.8, label="fit window" if i == 0 else None)
            for i, x in enumerate(edges)]


def _edc_labels(ax: Axes, result: Any, rows: np.ndarray) -> list:
    """Momentum (or ε_k) of each drawn EDC, written at its right end; the Text artists."""
    omega = np.asarray(result.omega)
    data = np.asarray(result.intensity)
    off = 0.35 * float(np.nanmax(data))
    k = getattr(result, "k", None)
    dim = getattr(result, "momentum_dim", "k")
    out = []
    for i, r in enumerate(rows):
        if k is not None:
            text = f"{dim} = {float(np.asarray(k)[r]):+.3f}"
        else:
            text = f"ε_k = {float(np.asarray(result.eps_k)[r]):+.3f} eV"
        y = float(np.nanmedian(data[r][-max(3, len(omega) // 20):])) + i * off
        out.append(ax.text(omega[-1], y, text, fontsize=6, ha="right", va="bottom", color="0.3"))
    return out


def result_figure(
    result: Any, *, truth: Any = None, k_index: int | None = None, fig: Any = None, quality: Any = None,
    max_edcs: int = 12,
) -> tuple[Any, dict]:
    """Four-panel summary of a :class:`~arpes_sigma.fit.FitResult`.

    Panels: data vs fit EDCs (at most ``max_edcs`` of them, evenly spread,
    each labelled with its momentum; a data/fit legend; energies outside the
    fit window shaded); Im/Re Σ11; Im/Re W; the cancellation panel at
    ``k_index`` (default: the EDC closest to k_F), with the Bogoliubov pole of
    Im Σ_tot above E_F annotated where there is one (:func:`bogoliubov_pole`).
    The edges of the fit window are dash-dotted lines on the self-energy panels;
    on the Σ11 and W panels the occupied energies where the data do not
    determine the curve (its detectable change exceeds it) are hatched.
    ``truth`` (a Dataset from :func:`arpes_sigma.synthetic.make_spectrum`)
    adds the true curves. ``quality`` (:func:`arpes_sigma.analysis.quality.fit_quality`)
    that says the fit does not describe its data puts that sentence on top of
    the figure, in place of a verdict.

    Returns
    -------
    fig, artists : Figure and a dict of artists by panel.
    """
    fig = fig if fig is not None else Figure(figsize=(11, 7.5), layout="constrained")
    axes = fig.subplots(2, 2)
    omega = result.omega
    art = {}
    art["edc_index"] = edc_indices(len(result.intensity), max_edcs)
    art["edcs"] = edc_stack(axes[0, 0], omega, result.intensity, result.model_intensity, indices=art["edc_index"])
    mask = np.asarray(getattr(result, "window_mask", np.ones(len(omega), bool)), dtype=bool)
    art["window"] = _window_shading(axes[0, 0], omega, mask)
    data_lines, model_lines = art["edcs"]
    handles = [data_lines[0]] + model_lines[:1]
    data_lines[0].set_label("data")
    if model_lines:
        model_lines[0].set_label("fit")
    art["edc_legend"] = axes[0, 0].legend(handles=handles + art["window"][:1], fontsize=7, loc="upper left")
    art["edc_labels"] = _edc_labels(axes[0, 0], result, art["edc_index"])
    title = f"data vs fit, χ²_red = {result.chi2_reduced:.3f}"
    if result.baselines:
        title += " (" + ", ".join(f"{k}: {v:.2f}" for k, v in result.baselines.items()) + ")"
    axes[0, 0].set_title(title, fontsize=9)
    art["normal"] = _sigma_lines(
        axes[0, 1], omega, result.sigma_normal, result.sigma_normal_std, COLORS["normal"], "Σ11",
        _truth_complex(truth, "sigma_normal"),
    )
    axes[0, 1].set_title("normal self-energy Σ11(ω)", fontsize=9)
    art["anomalous"] = _sigma_lines(
        axes[1, 0], omega, result.sigma_anomalous, result.sigma_anomalous_std, COLORS["anomalous"], "W",
        _truth_complex(truth, "sigma_anomalous"),
    )
    axes[1, 0].set_title("anomalous self-energy W(ω) (gauge Re W(0) ≥ 0)", fontsize=9)
    for key, name, ax in (("normal", "sigma_normal", axes[0, 1]), ("anomalous", "sigma_anomalous", axes[1, 0])):
        art[key]["undetermined"] = _undetermined_span(ax, result, name)
    parts = result.cancellation(k_index)
    art["cancellation"] = cancellation_lines(axes[1, 1], omega, parts)
    art["cancellation"]["bogoliubov"] = _annotate_bogoliubov(axes[1, 1], omega, parts, mask)
    axes[1, 1].set_title(f"cancellation at ε_k = {result.eps_k[parts['k_index']]:+.3f} eV", fontsize=9)
    energy_axes = (axes[0, 1], axes[1, 0], axes[1, 1])
    art["window_lines"] = [line for ax in energy_axes for line in _window_lines(ax, omega, mask)]
    art["verdict"] = fig.suptitle("", fontsize=10, wrap=True)
    art["warning"] = art["verdict"]  # the same banner: it says "does not describe the data" on a misfit
    art["axes"] = axes
    art["quality"] = quality
    _show_verdict(art, result)
    return fig, art


def verdict_color(result: Any) -> str:
    """Colour of the verdict line: green supported, orange not supported, red no verdict (misfit)."""
    if not result.describes_data or not np.isfinite(result.pairing_evidence):
        return "C3"
    return "C2" if result.pairing_supported else "C1"


def _show_verdict(art: dict, result: Any) -> None:
    """The verdict on top of the figure, or — for a fit that does not describe its data — that sentence instead."""
    quality = art.get("quality")
    misfit = quality is not None and not quality.describes_data
    art["verdict"].set_text(quality.message if misfit else result.verdict)
    art["verdict"].set_color("C3" if misfit else verdict_color(result))
    w_title = "anomalous self-energy W(ω) (gauge Re W(0) ≥ 0)"
    if misfit or not (result.pairing_supported and result.describes_data):
        w_title += " — not supported by the data"
    art["axes"][1, 0].set_title(w_title, fontsize=9)


def update_result_figure(art: dict, result: Any, k_index: int | None = None) -> None:
    """Update the artists of :func:`result_figure` in place (``set_data``); rescale axes."""
    omega = result.omega
    off = 0.35 * float(np.nanmax(result.intensity))
    rows = art.get("edc_index", np.arange(len(art["edcs"][1])))
    for i, (r, line) in enumerate(zip(rows, art["edcs"][1], strict=False)):
        line.set_data(omega, result.model_intensity[r] + i * off)
    for key, value in (("normal", result.sigma_normal), ("anomalous", result.sigma_anomalous)):
        art[key]["im"].set_data(omega, value.imag)
        art[key]["re"].set_data(omega, value.real)
        if art[key].get("undetermined") is not None:
            art[key]["undetermined"].remove()
        art[key]["undetermined"] = _undetermined_span(art[key]["im"].axes, result, f"sigma_{key}")
    parts = result.cancellation(k_index)
    c = art["cancellation"]
    c["normal"].set_data(omega, parts["im_sigma_normal"])
    c["anomalous"].set_data(omega, parts["im_anomalous_term"])
    c["total"].set_data(omega, parts["im_sigma_total"])
    x = _peak_energy(omega, parts["im_sigma_normal"])
    c["marker"].set_xdata([x, x])
    if c.get("bogoliubov") is not None:
        c["bogoliubov"].remove()
    mask = getattr(result, "window_mask", None)
    c["bogoliubov"] = _annotate_bogoliubov(c["total"].axes, omega, parts, mask)
    _show_verdict(art, result)
    for ax in np.ravel(art["axes"]):
        ax.relim()
        ax.autoscale_view()


def save_figure(fig: Figure, path: Any, *, dpi: float = 110) -> str:
    """Save ``fig`` to ``path`` atomically (temp file in the same folder, then rename)."""
    import os

    from ..io.writers import atomic_write

    suffix = os.path.splitext(os.fspath(path))[1] or ".png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi), suffix=suffix)
    return os.fspath(path)
