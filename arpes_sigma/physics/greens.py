"""Nambu Green's function of a superconductor with normal and anomalous self-energies.

With the Nambu spinor (c_k↑, c†_-k↓) the inverse Green's function is

    Ĝ(k, ω)⁻¹ = ω − ε_k τ3 − Σ̂(ω),   Σ̂ = [[Σ11, W], [W, Σ22]],

so that the electron (11) component is

    G11 = (ω + ε_k − Σ22) / [(ω − ε_k − Σ11)(ω + ε_k − Σ22) − W²].

A normal-state analysis that forces G11 = 1/(ω − ε_k − Σ_tot) sees the total
self-energy Σ_tot = Σ11 + W²/(ω + ε_k − Σ22). See Yamaji, Yoshida, Fujimori and
Imada, Phys. Rev. Research 3, 043099 (2021), Eqs. (1)–(3).

Shapes: ``omega`` broadcasts against ``eps_k``; the usual call passes
``omega`` with shape (E,), ``eps_k`` with shape (K, 1) and self-energies of
shape (E,), giving (K, E).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

__all__ = ["nambu_g11", "spectral_function", "sigma_total", "anomalous_term"]


def _z(omega, eta):
    return omega + 1j * eta


def nambu_g11(omega: ArrayLike, eps_k: ArrayLike, sigma11: ArrayLike, sigma22: ArrayLike, w: ArrayLike,
              eta: float = 0.0) -> jax.Array:
    """Electron component G11(k, ω) of the Nambu Green's function.

    Parameters
    ----------
    omega : array, eV
        Real frequencies.
    eps_k : array, eV
        Bare band energies; broadcast against ``omega`` (e.g. shape (K, 1)).
    sigma11, sigma22, w : complex arrays, eV
        Σ11(ω), Σ22(ω) = −Σ11(−ω)* and W(ω) on the same frequencies.
    eta : float, eV
        Extra positive infinitesimal added to ω (ω → ω + iη); 0 when the
        self-energies already carry a negative imaginary part.

    Returns
    -------
    complex array, 1/eV
        G11 with the broadcast shape of the inputs.
    """
    z = _z(omega, eta)
    particle = z - eps_k - sigma11
    hole = z + eps_k - sigma22
    # the reciprocal, then a product: the fit's Jacobian (one tangent per parameter) then costs
    # multiplications by primal arrays instead of a complex division per tangent
    return hole * (1.0 / (particle * hole - w * w))


def spectral_function(omega: ArrayLike, eps_k: ArrayLike, sigma11: ArrayLike, sigma22: ArrayLike, w: ArrayLike,
                      eta: float = 0.0) -> jax.Array:
    """Single-particle spectral function A(k, ω) = −Im G11 / π, in 1/eV."""
    return -jnp.imag(nambu_g11(omega, eps_k, sigma11, sigma22, w, eta)) / jnp.pi


def anomalous_term(omega: ArrayLike, eps_k: ArrayLike, sigma22: ArrayLike, w: ArrayLike,
                   eta: float = 0.0) -> jax.Array:
    """The anomalous contribution W² / (ω + ε_k − Σ22) to Σ_tot, in eV."""
    return w * w / (_z(omega, eta) + eps_k - sigma22)


def sigma_total(omega: ArrayLike, eps_k: ArrayLike, sigma11: ArrayLike, sigma22: ArrayLike, w: ArrayLike,
                eta: float = 0.0) -> jax.Array:
    """Total self-energy Σ_tot = Σ11 + W²/(ω + ε_k − Σ22), in eV.

    G11 = 1/(ω − ε_k − Σ_tot) holds exactly, so Σ_tot is what a normal-state
    analysis of the spectrum infers. A pole shared by Σ11 and W (rank-one
    residue) cancels in Σ_tot.
    """
    return sigma11 + anomalous_term(omega, eps_k, sigma22, w, eta)
