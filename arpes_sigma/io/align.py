"""Energies from E_F, angle by angle, without resampling: each column moves by a whole number of energy steps.

A curved slit puts the Fermi level at a different kinetic energy E_F(α) for
every angle. Interpolating each column onto ω = E − E_F(α) would mix
neighbouring points, correlate their noise and lower its variance, so that a
noise model measured afterwards is wrong. Instead each column is moved by the
whole number of steps n(α) nearest to E_F(α); the intensities stay exactly as
read, on the common grid ω_i = i·ΔE (0 is a grid point), and the sub-step
remainder r(α), |r| ≤ ΔE/2, is kept: the true energy of a sample is ω + r(α).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ArpesDataError

__all__ = ["Aligned", "align_columns", "energy_step"]


@dataclasses.dataclass(frozen=True)
class Aligned:
    """Columns on a common ω grid.

    Attributes
    ----------
    omega : (E,) eV — ω_i = i·ΔE, ascending, where every column has data
    values : (A, E) — the intensities as read
    offset : (A,) eV — r(α): the true ω of column a is ``omega + offset[a]``
    """

    omega: np.ndarray
    values: np.ndarray
    offset: np.ndarray


def energy_step(kinetic: np.ndarray) -> float:
    """The uniform step of a kinetic-energy axis (eV), or a one-line error if it is not uniform."""
    e = np.asarray(kinetic, dtype=float)
    d = np.diff(e)
    step = float(np.median(d))
    if not step > 0 or np.max(np.abs(d - step)) > 0.02 * step + 1e-9:
        raise ArpesDataError(
            f"the kinetic-energy axis is not uniformly spaced (steps {d.min():.6g} … {d.max():.6g} eV); "
            f"measure in swept mode or resample it first")
    return step


def align_columns(kinetic: np.ndarray, values: np.ndarray, fermi: np.ndarray,
                  window: tuple[float, float] | None = None) -> Aligned:
    """Move each column (one angle) by whole energy steps so that energies count from its E_F.

    Parameters
    ----------
    kinetic : (E0,) eV — uniform kinetic-energy axis
    values : (A, E0) — intensities, one row per angle
    fermi : (A,) eV — kinetic energy of E_F for each angle
    window : (float, float), eV, optional
        Keep only ω in this range (after alignment).

    Returns
    -------
    Aligned
        On the ω points every column covers (inside ``window``).

    Raises
    ------
    ArpesDataError
        When no energy is common to all columns (E_F outside the recorded range).
    """
    e = np.asarray(kinetic, dtype=float)
    v = np.asarray(values, dtype=float)
    ef = np.asarray(fermi, dtype=float)
    step = energy_step(e)
    exact = (e[0] - ef) / step  # ω of row 0 of each column, in steps
    n0 = np.rint(exact).astype(int)
    offset = (exact - n0) * step
    lo, hi = int(n0.max()), int(n0.min()) + e.size - 1  # grid indices every column covers
    if window is not None:
        lo = max(lo, int(np.ceil(window[0] / step - 1e-9)))
        hi = min(hi, int(np.floor(window[1] / step + 1e-9)))
    if hi - lo + 1 < 10:
        raise ArpesDataError(
            f"after moving every angle to its own Fermi level only {max(hi - lo + 1, 0)} energies are common "
            f"(ω {lo * step:+.3f} … {hi * step:+.3f} eV); the cut does not reach E_F or the window is too narrow")
    idx = np.arange(lo, hi + 1)
    rows = idx[None, :] - n0[:, None]
    out = np.take_along_axis(v, rows, axis=1)
    return Aligned(omega=idx * step, values=out, offset=offset)
