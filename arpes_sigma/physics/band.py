"""Bare band dispersions ε_k of cuprate planes (eV, measured from E_F), and the cut geometry that samples them.

The documented default for Bi2212 is :func:`bi2212_eps`, the six-coefficient
fit of Norman, Randeria, Ding and Campuzano, Phys. Rev. B 52, 615 (1995)
(table I, "tb2"): its antinodal band, ε(π, 0) ≈ −34 meV, sits where ARPES
sees it. :func:`tight_binding_eps` is a generic square-lattice form with
simplified hoppings (ε(π, 0) = −0.14 eV with its defaults), kept for teaching.

Momenta are in units of 1/a (a = in-plane lattice constant), so the zone
boundary is at π.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import numpy.typing

__all__ = [
    "BANDS",
    "BI2212_LATTICE_CONSTANT",
    "NORMAN1995_BI2212",
    "CutGeometry",
    "band_eps",
    "bi2212_eps",
    "fermi_surface_angle",
    "tight_binding_eps",
]

#: Norman et al. PRB 52, 615 (1995), Bi2212 tight-binding fit: coefficients (eV) of the harmonics
#: 1, (cos kx + cos ky)/2, cos kx cos ky, (cos 2kx + cos 2ky)/2, (cos 2kx cos ky + cos kx cos 2ky)/2,
#: cos 2kx cos 2ky.
NORMAN1995_BI2212: tuple[float, ...] = (0.1305, -0.5951, 0.1636, -0.0519, -0.1117, 0.0510)

#: In-plane lattice constant of Bi2212 (Cu–Cu distance), Å; converts k (1/Å) to units of 1/a.
BI2212_LATTICE_CONSTANT = 3.83


def tight_binding_eps(kx: np.typing.ArrayLike, ky: np.typing.ArrayLike, *, t: float = 0.36, t1: float = -0.10,
                      t2: float = 0.035, mu: float = -0.40) -> np.ndarray:
    r"""Single-band tight-binding dispersion of a square CuO2 plane (simplified hoppings).

    .. math::

        \varepsilon_k = -2t(\cos k_x + \cos k_y) - 4t_1 \cos k_x \cos k_y
                        - 2t_2(\cos 2k_x + \cos 2k_y) - \mu

    The functional form (nearest, next-nearest and third-nearest neighbour
    hopping) is that of Norman et al., Phys. Rev. B 52, 615 (1995); the default
    numbers are a common simplified parametrisation that puts the antinodal
    band at −0.14 eV, well below where Bi2212 has it. **For Bi2212 use**
    :func:`bi2212_eps` (the paper's six-coefficient fit).

    Parameters
    ----------
    kx, ky : array_like
        In-plane momenta in units of 1/a, broadcast against each other.
    t, t1, t2 : float, optional
        Hopping amplitudes, eV (nearest, next-nearest, third-nearest).
    mu : float, optional
        Chemical potential, eV.

    Returns
    -------
    numpy.ndarray or float
        Bare band energy relative to the Fermi level, eV.

    Examples
    --------
    >>> eps = tight_binding_eps(np.linspace(0, np.pi, 5), np.pi)
    """
    kx = np.asarray(kx, dtype=float)
    ky = np.asarray(ky, dtype=float)
    cx, cy = np.cos(kx), np.cos(ky)
    return (-2.0 * t * (cx + cy) - 4.0 * t1 * cx * cy
            - 2.0 * t2 * (np.cos(2.0 * kx) + np.cos(2.0 * ky)) - mu)


def bi2212_eps(kx: np.typing.ArrayLike, ky: np.typing.ArrayLike,
               coefficients: tuple[float, ...] = NORMAN1995_BI2212) -> np.ndarray:
    r"""Bare band of Bi2212 from the six-coefficient fit of Norman et al., PRB 52, 615 (1995).

    .. math::

        \varepsilon_k = c_0 + c_1 \tfrac{\cos k_x + \cos k_y}{2} + c_2 \cos k_x \cos k_y
            + c_3 \tfrac{\cos 2k_x + \cos 2k_y}{2}
            + c_4 \tfrac{\cos 2k_x \cos k_y + \cos k_x \cos 2k_y}{2} + c_5 \cos 2k_x \cos 2k_y

    with (c0 … c5) = (0.1305, −0.5951, 0.1636, −0.0519, −0.1117, 0.0510) eV.
    The antinodal band ε(π, 0) is −34 meV; the nodal Fermi crossing is near
    (0.36π, 0.36π).

    Parameters
    ----------
    kx, ky : array_like
        In-plane momenta in units of 1/a (a = 3.83 Å for Bi2212), broadcast
        against each other.
    coefficients : tuple of six floats, optional
        The coefficients c0 … c5, eV.

    Returns
    -------
    numpy.ndarray or float
        Bare band energy relative to the Fermi level, eV.
    """
    c = np.asarray(coefficients, dtype=float)
    if c.shape != (6,):
        raise ValueError(f"bi2212_eps needs six coefficients, got {c.shape}")
    kx = np.asarray(kx, dtype=float)
    ky = np.asarray(ky, dtype=float)
    cx, cy, c2x, c2y = np.cos(kx), np.cos(ky), np.cos(2 * kx), np.cos(2 * ky)
    return (c[0] + c[1] * (cx + cy) / 2 + c[2] * cx * cy + c[3] * (c2x + c2y) / 2
            + c[4] * (c2x * cy + cx * c2y) / 2 + c[5] * c2x * c2y)


#: Named dispersions (kx, ky in 1/a → eV). ``"bi2212"`` is the documented default for Bi2212.
BANDS: dict[str, Callable[..., np.ndarray]] = {
    "bi2212": bi2212_eps,
    "bi2212_norman1995": bi2212_eps,
    "square_lattice_simple": tight_binding_eps,
}


def band_eps(name: str, kx: np.typing.ArrayLike, ky: np.typing.ArrayLike) -> np.ndarray:
    """ε(kx, ky) (eV) of a named band of :data:`BANDS`; kx, ky in units of 1/a."""
    if name not in BANDS:
        raise KeyError(name)
    return BANDS[name](kx, ky)


@dataclasses.dataclass(frozen=True)
class CutGeometry:
    """Where a cut lies in the Brillouin zone: k∥ along the analyser slit → (kx, ky).

    ``(kx, ky) = (kx0, ky0) + a · k∥ · (cos θ, sin θ)`` with k∥ in 1/Å (the
    momentum along the slit, zero at α = 0), a the lattice constant in Å and
    θ = ``direction`` in degrees; kx0, ky0 (units of 1/a) are the in-plane
    momentum at α = 0 (set by the manipulator angles).

    Parameters
    ----------
    kx0, ky0 : float
        In-plane momentum at α = 0, units of 1/a.
    direction : float
        Direction of the cut in the (kx, ky) plane, degrees (90 = along ky).
    lattice_constant : float
        a, Å (default Bi2212, 3.83 Å).
    """

    kx0: float
    ky0: float
    direction: float = 90.0
    lattice_constant: float = BI2212_LATTICE_CONSTANT

    def __post_init__(self) -> None:
        for name in ("kx0", "ky0", "direction", "lattice_constant"):
            if not math.isfinite(float(getattr(self, name))):
                raise ValueError(f"CutGeometry.{name} must be finite")
        if not 1.0 < self.lattice_constant < 20.0:
            raise ValueError(f"lattice_constant={self.lattice_constant} Å is implausible; give it in Å")

    def kxky(self, k_parallel: np.typing.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(kx, ky) in units of 1/a of the momenta ``k_parallel`` (1/Å) along the cut."""
        k = np.asarray(k_parallel, dtype=float) * self.lattice_constant
        th = math.radians(self.direction)
        return self.kx0 + k * math.cos(th), self.ky0 + k * math.sin(th)

    def to_dict(self) -> dict:
        """The geometry as a plain dict (for JSON attrs)."""
        return dataclasses.asdict(self)


def fermi_surface_angle(kx: np.typing.ArrayLike, ky: np.typing.ArrayLike) -> np.ndarray:
    """Fermi-surface angle, degrees: 0 at the antinode (π, 0), 45 at the node, 90 at (0, π).

    Measured around (π, π) in the first quadrant (momenta folded with |k|):
    φ = atan2(π − |kx|, π − |ky|).
    """
    kx = np.abs(np.asarray(kx, dtype=float))
    ky = np.abs(np.asarray(ky, dtype=float))
    return np.degrees(np.arctan2(np.pi - kx, np.pi - ky))
