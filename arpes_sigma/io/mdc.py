"""Momentum distribution curves (MDCs): the Fermi crossing and a first guess of the band from the data.

An MDC is the intensity along k at one energy. Its maximum at E_F marks the
Fermi crossing k_F; the maxima at lower energies follow the *renormalised*
dispersion ω = v (k − k_F). That is a starting guess for the bare band ε_k,
not the bare band itself: Re Σ shifts MDC peaks by tens of meV away from E_F,
which is why the fit refines ε_k when ``eps_k_source == "mdc"``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ArpesDataError

__all__ = ["dispersion_guess", "fermi_crossing", "occupied_side"]


def _smooth(y: np.ndarray, width: int) -> np.ndarray:
    width = max(1, int(width))
    if width == 1:
        return y
    kernel = np.ones(width) / width
    return np.convolve(np.pad(y, width // 2, mode="edge"), kernel, mode="valid")[: y.size]


def _mdc(omega: np.ndarray, image: np.ndarray, lo: float, hi: float) -> np.ndarray:
    sel = (omega >= lo) & (omega <= hi)
    if not sel.any():
        sel = np.abs(omega - (lo + hi) / 2) == np.abs(omega - (lo + hi) / 2).min()
    return image[:, sel].mean(axis=1)


def fermi_crossing(k: np.ndarray, omega: np.ndarray, image: np.ndarray, *, smooth: int = 3,
                   source: str = "the cut") -> tuple[int, int]:
    """The Fermi crossing from the momentum distribution n(k) = Σ_ω I(k, ω): where |dn/dk| is largest.

    Summed over the whole window (well below and above E_F), n(k) steps down
    from the occupied to the unoccupied side at k_F whatever the
    superconducting gap does near E_F (the spectral weight moves but stays
    in the window; Campuzano et al., "Photoemission in the high-Tc
    superconductors", 2004). The MDC at E_F would not do: in the
    superconducting state its maximum follows the coherent peak, not k_F.

    Parameters
    ----------
    k : (A,) 1/Å — momentum of each angle column (monotonic)
    omega : (E,) eV; image : (A, E) intensities
    smooth : int — running mean over this many columns first

    Returns
    -------
    index : int — column of the crossing
    side : int — +1 if the occupied side is at larger index, −1 if at smaller
    """
    n = _smooth(image.sum(axis=1), max(3, 3 * smooth))
    grad = np.gradient(n)
    margin = max(2, 2 * smooth)
    inner = np.abs(grad[margin:-margin]) if grad.size > 2 * margin + 4 else np.abs(grad)
    i = int(np.argmax(inner)) + (margin if inner.size != grad.size else 0)
    step = float(np.abs(grad[i]))
    typical = float(np.median(np.abs(grad))) + 1e-300
    if not step > 3.0 * typical:
        raise ArpesDataError(
            f"{source}: no Fermi crossing found (the momentum distribution has no step); the cut may miss the "
            f"Fermi surface, give k_center=<1/Å> to choose the EDCs yourself")
    return i, (-1 if grad[i] < 0 else 1)


def dispersion_guess(k: np.ndarray, omega: np.ndarray, image: np.ndarray, *,
                     energies: tuple[float, float] = (-0.25, -0.08), smooth: int = 3) -> tuple[float, float, int]:
    """Straight line ω = v (k − k0) through the MDC maxima at energies below the low-energy kink.

    At ``energies`` (every 10 meV, ±5 meV averaged) the dispersing band is
    the strongest feature of each MDC and least renormalised; the line
    through the maxima, continued to ω = 0, crosses at k0, the bare k_F
    (up to Re Σ there). A flat band (the antinode) gives no usable line.

    Returns
    -------
    v : float — velocity dω/dk, eV·Å (NaN when the line is not usable)
    k0 : float — where the line crosses ω = 0, 1/Å
    n : int — MDC maxima used
    """
    ws, ks = [], []
    for w in np.arange(energies[1], energies[0] - 1e-9, -0.010):
        if w - 0.005 < omega.min() or w + 0.005 > omega.max():
            continue
        mdc = _smooth(_mdc(omega, image, w - 0.005, w + 0.005), smooth)
        i = int(np.argmax(mdc))
        if 2 < i < mdc.size - 3 and mdc[i] > 1.1 * np.median(mdc):
            ws.append(w)
            ks.append(k[i])
    ws_a, ks_a = np.asarray(ws), np.asarray(ks)
    slope = icpt = 0.0
    for _ in range(2):  # one pass of outlier rejection
        if ws_a.size < 4:
            return float("nan"), float("nan"), int(ws_a.size)
        slope, icpt = np.polyfit(ws_a, ks_a, 1)  # k = icpt + slope·ω
        resid = ks_a - (icpt + slope * ws_a)
        keep = np.abs(resid) <= 3 * (1.4826 * np.median(np.abs(resid)) + 1e-6)
        if keep.all():
            break
        ws_a, ks_a = ws_a[keep], ks_a[keep]
    rms = float(np.sqrt(np.mean((ks_a - (icpt + slope * ws_a)) ** 2)))
    inside = min(k[0], k[-1]) <= icpt <= max(k[0], k[-1])
    if slope == 0 or rms > 0.02 or not inside or not 0.1 < abs(1.0 / slope) < 20:
        return float("nan"), float(icpt), int(ws_a.size)
    return float(1.0 / slope), float(icpt), int(ws_a.size)


def occupied_side(k: np.ndarray, image: np.ndarray, index: int, reach: float = 0.05) -> int:
    """+1 if n(k) is higher on the larger-index side of ``index`` (within ``reach`` 1/Å), else −1."""
    n = image.sum(axis=1)
    right = n[index + 1:][np.abs(k[index + 1:] - k[index]) <= reach]
    left = n[:index][np.abs(k[:index] - k[index]) <= reach]
    if right.size == 0 or left.size == 0:
        return 1 if right.size == 0 else -1
    return 1 if right.mean() > left.mean() else -1
