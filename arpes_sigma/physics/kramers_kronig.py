"""Kramers–Kronig (Hilbert) transform on a grid.

For a function f(ω) analytic in the upper half plane and vanishing at
infinity (a retarded self-energy or Green's function),

    Re f(ω) = (1/π) P∫ Im f(ω′) / (ω′ − ω) dω′.

The integral is done exactly for Im f linear between grid points (a sum of hat
functions), so the result is a matrix acting on the samples of Im f; the
principal value at a grid point is taken symmetrically, which is why the
logarithms log|x_j − ω| at the singular node simply drop out.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = ["kk_matrix", "kramers_kronig"]


def _xlogabs(d):
    a = np.abs(d)
    return np.where(a > 0, np.log(np.where(a > 0, a, 1.0)), 0.0)


def kk_matrix(x: ArrayLike, omega: ArrayLike | None = None) -> np.ndarray:
    """Matrix M with Re f(omega) = M @ Im f(x), for Im f piecewise linear on ``x``.

    Parameters
    ----------
    x : array, shape (N,), strictly increasing, eV
        Grid on which Im f is sampled (Im f is taken as 0 outside it).
    omega : array, shape (P,), optional
        Where Re f is wanted; default ``x``.

    Returns
    -------
    numpy array, shape (P, N), 1 (dimensionless; f and Re f share units)
    """
    x = np.asarray(x, dtype=float)
    w = x if omega is None else np.asarray(omega, dtype=float)
    n = len(x)
    m = np.zeros((len(w), n))
    for j in range(n - 1):
        x0, x1 = x[j], x[j + 1]
        h = x1 - x0
        # ∫_{x0}^{x1} φ(x')/(x' − ω) dx' for the two hat pieces on this segment
        logr = _xlogabs(x1 - w) - _xlogabs(x0 - w)
        # piece rising 0→1 on [x0, x1]: φ = (x' − x0)/h
        m[:, j + 1] += 1.0 + (w - x0) / h * logr
        # piece falling 1→0: φ = (x1 − x')/h
        m[:, j] += -1.0 + (x1 - w) / h * logr
    return m / np.pi


def kramers_kronig(x: ArrayLike, im: ArrayLike, omega: ArrayLike | None = None) -> jax.Array:
    """Real part of a retarded function from its imaginary part on a grid.

    Parameters
    ----------
    x : array, shape (N,), eV
    im : array, shape (..., N)
        Im f sampled on ``x``.
    omega : array, optional
        Output frequencies (default ``x``).

    Returns
    -------
    jax array, shape (..., P): Re f(omega).
    """
    return jnp.asarray(im) @ jnp.asarray(kk_matrix(x, omega).T)
