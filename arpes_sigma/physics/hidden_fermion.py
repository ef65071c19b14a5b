"""Causal, pairing-bounded Nambu self-energies built from hidden fermions.

A hidden fermion f with level ε_f, pairing D and hybridisation V with the
electron, traced out, gives the Nambu self-energy (Sakai, Civelli and Imada,
PRL 116, 057003 (2016))

    Σ̂_f(ω) = V² τ3 [z − ε_f τ3 − D τ1]⁻¹ τ3,   z = ω + iγ,

i.e.

    Σ11 = V² (z + ε_f) / (z² − E²),   Σ22 = V² (z − ε_f) / (z² − E²),
    W   = −V² D / (z² − E²),           E = √(ε_f² + D²).

In partial fractions the residue matrices at ±E are V²[[u², ∓uv], [∓uv, v²]]
and V²[[v², ±uv], [±uv, u²]] — rank one and positive semidefinite. Hence for
any real ε_f, D, V and any γ > 0:

* every component is analytic in the upper half plane and Im Σ11 ≤ 0
  (causality);
* −Im Σ̂/π is positive semidefinite, so (Im W)² ≤ Im Σ11 · Im Σ22 (the bound
  on pairing);
* Σ22(ω) = −Σ11(−ω)* and W(ω) = W(−ω)* (particle–hole structure, real gauge).

Gauge: W → −W (D → −D) leaves every observable unchanged. arpes_sigma fixes
the sign so that Re W(ω = 0) ≥ 0, which for a single dominant hidden fermion
means D > 0 and Im W < 0 at its occupied-side pole ω = −E.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

__all__ = ["hidden_fermion_sigma", "background_sigma", "particle_hole"]


def hidden_fermion_sigma(
    omega: ArrayLike, v: ArrayLike, eps_f: ArrayLike, d: ArrayLike, gamma: ArrayLike, coherence: ArrayLike = 1.0
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Nambu self-energy of a set of hidden fermions.

    Parameters
    ----------
    omega : array, shape (E,), eV
    v, eps_f, d, gamma : arrays, shape (L,), eV
        Hybridisation, level, pairing and broadening (γ > 0) of each hidden
        fermion.
    coherence : array, shape (L,) or scalar, in [−1, 1]
        Scales each pole pair's off-diagonal residue: 1 is the single hidden
        fermion (rank-one residues), |c| < 1 the average over hidden fermions
        at the same energy whose pairing angles are spread, whose residue
        matrices V²[[u², ∓c uv], [∓c uv, v²]] stay positive semidefinite
        (determinant V⁴u²v²(1 − c²) ≥ 0), so the bound on pairing holds for
        every |c| ≤ 1.

    Returns
    -------
    sigma11, sigma22, w : complex arrays, shape (E,), eV
    """
    z = omega[..., None] + 1j * gamma
    # one reciprocal, then products: a derivative (the fit's Jacobian, one tangent per parameter)
    # is then made of multiplications by primal arrays, not a complex division per tangent
    v2_den = v**2 * (1.0 / (z * z - eps_f**2 - d**2))
    sigma11 = jnp.sum(v2_den * (z + eps_f), axis=-1)
    sigma22 = jnp.sum(v2_den * (z - eps_f), axis=-1)
    w = jnp.sum(-coherence * d * v2_den, axis=-1)
    return sigma11, sigma22, w


def background_sigma(
    omega: ArrayLike, centers: ArrayLike, weights: ArrayLike, widths: ArrayLike
) -> tuple[jax.Array, jax.Array]:
    """Normal-only causal background: Σ11 from a non-negative spectral density.

    Σ11_bg(ω) = Σ_j ρ_j / (ω − x_j + iΓ_j) with ρ_j ≥ 0 and Γ_j > 0 — a spectral
    density turned into a self-energy by the (Lorentzian-smoothed) Cauchy
    kernel, causal for any ρ ≥ 0. Its particle–hole partner is
    Σ22_bg(ω) = −Σ11_bg(−ω)* = Σ_j ρ_j / (ω + x_j + iΓ_j).

    Parameters
    ----------
    omega : array, shape (E,), eV
    centers, widths : arrays, shape (J,)
        x_j (eV) and Γ_j (eV, > 0).
    weights : array, shape (J,) or (J, B)
        ρ_j (eV², ≥ 0); with a trailing axis B, B densities at once (the
        result then has shape (E, B)).

    Returns
    -------
    sigma11, sigma22 : complex arrays, shape (E,) (or (E, B)), eV
    """
    o = jnp.asarray(omega)[..., None]
    # a matrix product with the (parameter-independent) Cauchy kernel rather than
    # a sum of quotients: derivatives with respect to the weights are then one
    # matrix product per tangent (the fit's Jacobian), not a division per node
    w = jnp.asarray(weights).astype(jnp.result_type(weights, jnp.complex64))
    sigma11 = (1.0 / (o - centers + 1j * widths)) @ w
    sigma22 = (1.0 / (o + centers + 1j * widths)) @ w
    return sigma11, sigma22


def particle_hole(sigma11_at_minus_omega: ArrayLike) -> jax.Array:
    """Σ22(ω) = −Σ11(−ω)*, given Σ11 evaluated at −ω."""
    return -jnp.conj(sigma11_at_minus_omega)
