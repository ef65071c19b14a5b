"""The observed-intensity function: self-energies → what the detector records.

    I(k, ω) = a_k · [A(k, ·) f(·, T)] ⊛ Gauss(FWHM) (ω) + b_k,
    A(k, ω) = −Im G11(k, ω) / π   (Nambu form, :mod:`arpes_sigma.physics.greens`)

:func:`observed` computes the bracket (before the per-EDC amplitude a_k and
background b_k, which the fit solves in closed form). It is the one place this
formula is written: the fit, the synthetic data, the Playground and the Norman
baseline all call it.

Norman et al.'s phenomenological self-energy Σ = −iΓ1 + Δ²/(ω + ε_k + iΓ0)
(PRB 57, R11093 (1998)) is the Nambu form with Σ11 = −iΓ1, W = Δ and
Σ22 = −iΓ0, so it goes through the same function.
"""

from __future__ import annotations

import jax

from .greens import spectral_function
from .instrument import convolve_uniform, fermi, gaussian_matrix, observe

__all__ = ["observed"]


def observed(
    omega_model: jax.Array,
    omega: jax.Array,
    eps_k: jax.Array,
    sigma11: jax.Array,
    sigma22: jax.Array,
    w: jax.Array,
    temperature: jax.Array | float,
    resolution: jax.Array | float,
    layout: tuple[int, int, int] | None = None,
    offset: jax.Array | None = None,
) -> jax.Array:
    """Resolution-broadened occupied spectral weight [A f] ⊛ Gauss on the measured energies.

    Parameters
    ----------
    omega_model : array, shape (M,), eV
        Uniform model grid that extends beyond ``omega`` by a few FWHM on each
        side (:func:`arpes_sigma.physics.instrument.model_grid`).
    omega : array, shape (E,), eV
        Measured energies (from E_F).
    eps_k : array, shape (K,), eV
        Bare band energies of the EDCs.
    sigma11, sigma22, w : complex arrays, eV
        Σ11, Σ22 and W on ``omega_model``: shape (M,), or (K, M) for a
        k-dependent self-energy, or scalars.
    temperature : float, K
    resolution : float, eV
        Gaussian FWHM (traced: changing it does not recompile).
    layout : (c0, stride, h), optional, static
        When ``omega_model`` comes from
        :func:`arpes_sigma.physics.instrument.uniform_layout`, the convolution
        is a banded (2h+1)-weight product (the fit's fast path); None uses the dense
        Gaussian matrix (any grids).
    offset : array, shape (K,), eV, optional
        The true energy of EDC k's measured point i is ``omega[i] + offset[k]``
        (a raw cut's sub-step Fermi-level remainder,
        :func:`arpes_sigma.io.align.align_columns`); None: every EDC at ``omega``.

    Returns
    -------
    array, shape (K, E)
    """
    spec = spectral_function(omega_model, eps_k[:, None], sigma11, sigma22, w)
    if layout is None:
        e_out = omega if offset is None else omega[None, :] + offset[:, None]
        return observe(spec, omega_model, temperature, gaussian_matrix(e_out, omega_model, resolution))
    step = omega_model[1] - omega_model[0]
    occupied = spec * fermi(omega_model, temperature)
    return convolve_uniform(occupied, step, resolution, layout, omega.shape[0], offset)
