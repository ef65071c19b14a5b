"""What the detector does to A(k, ω): Fermi occupation and Gaussian resolution.

    I(k, ω) = a_k · [A(k, ·) f(·, T)] ⊛ Gauss(FWHM) (ω) + b_k

The convolution is done correctly at the edges of the measured window: the
model is evaluated on a wider, uniform *model grid* (built once per data set by
:func:`model_grid`, fixed shape) and the Gaussian matrix maps it onto the
measured energies, so nothing is lost or zero-padded at the window edges.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.nn import softmax
from jax.typing import ArrayLike

__all__ = ["K_B", "FWHM_TO_SIGMA", "fermi", "gaussian_matrix", "model_grid", "observe"]

#: Boltzmann constant, eV/K (CODATA 2018, exact).
K_B = 8.617333262e-5
#: σ = FWHM / (2 √(2 ln 2)) for a Gaussian.
FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


def fermi(omega: ArrayLike, temperature: ArrayLike) -> jax.Array:
    """Fermi–Dirac occupation f(ω) = 1/(e^{ω/k_B T} + 1).

    Parameters
    ----------
    omega : array, eV (measured from E_F)
    temperature : float or array, K (T = 0 gives the step function)

    Returns
    -------
    array, dimensionless, same shape as ``omega``
    """
    kt = jnp.maximum(K_B * temperature, 1e-12)
    return 0.5 * (1.0 - jnp.tanh(omega / (2.0 * kt)))


def gaussian_matrix(e_out: ArrayLike, e_in: ArrayLike, fwhm: ArrayLike) -> jax.Array:
    """Row-stochastic matrix of a Gaussian resolution, shape (len(e_out), len(e_in)).

    Row i holds the trapezoid-weighted Gaussian g(e_out[i] − e_in[j]) normalised
    to sum 1, computed as a softmax so that it stays finite as FWHM → 0 (where
    it tends to nearest-neighbour sampling). ``e_in`` must be uniform and
    extend at least ~2.5 FWHM beyond ``e_out`` on both sides (see
    :func:`model_grid`); then the normalisation is the exact Gaussian area.

    Parameters
    ----------
    e_out : array, shape (E,), eV
    e_in : array, shape (M,), eV, uniform
    fwhm : float, eV (traced: changing it does not recompile)
    """
    sigma = jnp.maximum(fwhm * FWHM_TO_SIGMA, 1e-7)
    d = e_out[:, None] - e_in[None, :]
    return softmax(-0.5 * (d / sigma) ** 2, axis=-1)


def model_grid(e_data: ArrayLike, max_fwhm: float, *, step: float | None = None, margin: float = 3.0) -> np.ndarray:
    """Uniform energy grid on which the model is evaluated before convolution.

    Parameters
    ----------
    e_data : array, eV
        Measured energies (any spacing).
    max_fwhm : float, eV
        Largest resolution that will be used with this grid; the grid extends
        ``margin × max_fwhm`` beyond the data on each side.
    step : float, eV, optional
        Grid spacing; default min(median data spacing, 2 meV).
    margin : float
        Padding in units of ``max_fwhm`` (3 FWHM ≈ 7 σ: the truncated Gaussian
        tail is < 1e-11).

    Returns
    -------
    numpy array, shape (M,), eV
    """
    e = np.asarray(e_data, dtype=float)
    if step is None:
        step = min(float(np.median(np.abs(np.diff(e)))), 0.002)
    pad = margin * float(max_fwhm) + step
    lo, hi = e.min() - pad, e.max() + pad
    n = int(np.ceil((hi - lo) / step)) + 1
    return lo + step * np.arange(n)


def observe(spectral: ArrayLike, omega_model: ArrayLike, temperature: ArrayLike, kernel: ArrayLike) -> jax.Array:
    """Resolution-broadened occupied spectral weight on the measured energies.

    Parameters
    ----------
    spectral : array, shape (K, M), 1/eV
        A(k, ω) on the model grid.
    omega_model : array, shape (M,), eV
    temperature : float, K
    kernel : array, shape (E, M)
        From :func:`gaussian_matrix`.

    Returns
    -------
    array, shape (K, E): [A f] ⊛ Gauss, before amplitude and background.
    """
    return (spectral * fermi(omega_model, temperature)) @ kernel.T
