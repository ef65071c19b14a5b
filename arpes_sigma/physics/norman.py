"""The phenomenological superconducting self-energy of Norman et al.

Norman, Randeria, Ding and Campuzano, Phys. Rev. B 57, R11093 (1998):

    Σ(k, ω) = −iΓ1 + Δ² / (ω + ε_k + iΓ0),   G = 1 / (ω − ε_k − Σ).

In the Nambu form of :mod:`arpes_sigma.physics.greens` this is Σ11 = −iΓ1,
W = Δ and Σ22 = −iΓ0 (Σ_tot = Σ11 + W²/(ω + ε_k − Σ22)); :func:`norman_nambu`
returns those three so the spectrum goes through the one forward model.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["norman_nambu", "norman_sigma"]


def norman_sigma(omega: jax.Array, eps_k: jax.Array, gamma1: float, delta: float, gamma0: float) -> jax.Array:
    """Norman et al. (1998) self-energy Σ(k, ω), complex, eV (broadcasts ω against ε_k)."""
    return -1j * gamma1 + delta**2 / (omega + eps_k + 1j * gamma0)


def norman_nambu(gamma1: jax.Array, delta: jax.Array, gamma0: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Σ11 = −iΓ1, Σ22 = −iΓ0 and W = Δ (eV, complex scalars) of the Norman self-energy."""
    one = jnp.ones((), jnp.complex64)
    return -1j * gamma1 * one, -1j * gamma0 * one, delta * one
