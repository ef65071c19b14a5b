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

__all__ = ["FWHM_TO_SIGMA", "K_B", "MARGIN", "convolve_uniform", "fermi", "gaussian_matrix", "model_grid", "observe",
           "uniform_layout"]

#: Boltzmann constant, eV/K (CODATA 2018, exact).
K_B = 8.617333262e-5
#: σ = FWHM / (2 √(2 ln 2)) for a Gaussian.
FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))
#: Half-width of the resolution kernel, in units of the largest FWHM a grid is built for.
MARGIN = 2.5


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
    e_out : array, shape (E,) or (K, E), eV
        Measured energies; one row per EDC when they differ between EDCs
        (a raw cut's sub-step Fermi-level remainders), giving a (K, E, M) matrix.
    e_in : array, shape (M,), eV, uniform
    fwhm : float, eV (traced: changing it does not recompile)
    """
    sigma = jnp.maximum(fwhm * FWHM_TO_SIGMA, 1e-7)
    d = jnp.asarray(e_out)[..., None] - jnp.asarray(e_in)
    return softmax(-0.5 * (d / sigma) ** 2, axis=-1)


def model_grid(e_data: ArrayLike, max_fwhm: float, *, step: float | None = None, margin: float = MARGIN) -> np.ndarray:
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
        Padding in units of ``max_fwhm`` (2.5 FWHM ≈ 5.9 σ: the truncated
        Gaussian tail is < 4e-9).

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
    kernel : array, shape (E, M) or (K, E, M)
        From :func:`gaussian_matrix`; one matrix per EDC when their measured
        energies differ.

    Returns
    -------
    array, shape (K, E): [A f] ⊛ Gauss, before amplitude and background.
    """
    occupied = spectral * fermi(omega_model, temperature)
    if jnp.ndim(kernel) == 3:
        return jnp.einsum("km,kem->ke", occupied, kernel, precision=jax.lax.Precision.HIGHEST)
    return occupied @ jnp.asarray(kernel).T


def uniform_layout(e_out: ArrayLike, max_fwhm: float, *, max_step: float = 0.002,
                   margin: float = MARGIN) -> tuple[np.ndarray, tuple[int, int, int]] | None:
    """A model grid on which uniformly spaced measured energies are grid points, and its layout.

    For energies e_i = e_0 + i·Δ the grid step is Δ/n (n = ⌈Δ/max_step⌉) and
    the grid extends ``margin``·``max_fwhm`` beyond the data, so measured
    energy i is grid point c0 + n·i and the resolution convolution has the
    same 2h+1 weights for every energy (:func:`convolve_uniform`), computed
    once instead of a Gaussian for every pair of energies.

    Returns
    -------
    (grid (M,) eV, (c0, stride, h)) or None when the energies are not uniform.
    """
    e = np.asarray(e_out, dtype=float)
    d = np.diff(e)
    if e.size < 2 or not np.allclose(d, d[0], rtol=1e-6, atol=1e-9) or d[0] <= 0:
        return None
    stride = int(np.ceil(d[0] / max_step - 1e-9))
    step = d[0] / stride
    h = int(np.ceil(margin * float(max_fwhm) / step))
    c0 = h + 1
    n = c0 + stride * (e.size - 1) + h + 2
    grid = e[0] + step * (np.arange(n) - c0)
    return grid, (c0, stride, h)


def convolve_uniform(occupied: jax.Array, step: float, fwhm: ArrayLike, layout: tuple[int, int, int],
                     n_out: int, offset: ArrayLike | None = None) -> jax.Array:
    """[A f] ⊛ Gauss at the measured energies of :func:`uniform_layout` (a band of 2h+1 weights).

    The weights are the softmax-normalised Gaussian of :func:`gaussian_matrix`
    on the offsets −h…h (the same numbers, up to the truncated tail beyond
    ±``MARGIN`` FWHM, < 4e-9 of the weight), placed in a banded (E, M) matrix:
    measured energy i takes grid points c0 + stride·i − h … + h.

    Why a matrix product and not 2h+1 strided slices: the fit differentiates
    this for every parameter, and XLA on the CPU copies a fused chain of
    slices into each consumer of the tangent (the variable projection uses it
    twice, :func:`arpes_sigma.fitting.loss.projected_fit`), while a matrix
    product is computed once and runs as a GEMM. Measured on the demo cut
    (8 fits' residual Jacobian, min of 30, loaded 2-core machine): slices
    22.6–24.1 ms, this 13.5–15.5 ms, despite twice the floating-point work.

    ``offset`` (K,), eV: the true energy of measured point i of EDC k is
    e_i + offset_k (a raw cut aligned by whole energy steps keeps the
    sub-step remainder of its Fermi level, :mod:`arpes_sigma.io.align`), so
    EDC k takes the weights g(step·j − offset_k): one banded matrix per EDC,
    (K, E, M), and ``occupied`` must be (K, M). The product is then batched
    over K: the fit's 10-step chunk on the raw export (11 × 226, 8 fits) took
    61 ms against 50 ms for the same cut without offsets (min of 8).
    """
    c0, stride, h = layout
    sigma = jnp.maximum(fwhm * FWHM_TO_SIGMA, 1e-7)
    offsets = step * jnp.arange(-h, h + 1)
    rows = np.arange(n_out)[:, None]
    cols = c0 - h + stride * rows + np.arange(2 * h + 1)[None, :]
    # HIGHEST: a GPU would otherwise multiply float32 in TF32 (about 1e-3 relative error); no cost on the CPU
    if offset is not None:
        offsets = offsets - jnp.asarray(offset, offsets.dtype)[:, None]  # (K, 2h+1): each EDC's own weights
    weights = softmax(-0.5 * (offsets / sigma) ** 2, axis=-1)
    lead = weights.shape[:-1]  # () or (K,)
    band = jnp.zeros((*lead, n_out, occupied.shape[-1]), weights.dtype).at[..., rows, cols].set(
        jnp.broadcast_to(weights[..., None, :], (*lead, *cols.shape)))
    if offset is None:
        return jnp.matmul(occupied, band.T, precision=jax.lax.Precision.HIGHEST)
    return jnp.einsum("km,kem->ke", occupied, band, precision=jax.lax.Precision.HIGHEST)
