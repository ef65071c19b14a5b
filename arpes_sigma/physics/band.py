"""Bare band dispersions ε_k of cuprate planes (eV, measured from E_F)."""

from __future__ import annotations

import numpy as np
import numpy.typing

__all__ = ["tight_binding_eps"]


def tight_binding_eps(kx: np.typing.ArrayLike, ky: np.typing.ArrayLike, *, t: float = 0.36, t1: float = -0.10,
                      t2: float = 0.035, mu: float = -0.40) -> np.ndarray:
    r"""Single-band tight-binding dispersion of a Bi2212-like CuO2 plane.

    .. math::

        \varepsilon_k = -2t(\cos k_x + \cos k_y) - 4t_1 \cos k_x \cos k_y
                        - 2t_2(\cos 2k_x + \cos 2k_y) - \mu

    The functional form (nearest, next-nearest and third-nearest neighbour
    hopping on a square lattice) is the one of Norman, Randeria, Ding and
    Campuzano, Phys. Rev. B 52, 615 (1995); the default numbers are a common
    simplified Bi2212 parametrisation, kept as named keywords.

    Parameters
    ----------
    kx, ky : array_like
        In-plane momenta in units of 1/a (a = in-plane lattice constant), so
        the zone boundary is at ``pi``. Broadcast against each other.
    t, t1, t2 : float, optional
        Hopping amplitudes, eV (nearest, next-nearest, third-nearest).
    mu : float, optional
        Chemical potential, eV.

    Returns
    -------
    numpy.ndarray or float
        Bare band energy relative to the Fermi level, eV, with the broadcast
        shape of ``kx`` and ``ky``.

    Examples
    --------
    >>> eps = tight_binding_eps(np.linspace(0, np.pi, 5), np.pi)
    """
    kx = np.asarray(kx, dtype=float)
    ky = np.asarray(ky, dtype=float)
    cx, cy = np.cos(kx), np.cos(ky)
    return (-2.0 * t * (cx + cy) - 4.0 * t1 * cx * cy
            - 2.0 * t2 * (np.cos(2.0 * kx) + np.cos(2.0 * ky)) - mu)
