"""Variational imaginary-time evolution of the purified machine by stochastic reconfiguration (TDVP).

The purified state obeys ∂ψ/∂β = −½ (H ⊗ 1) ψ. Projecting that flow onto the
tangent space of a network ψ_θ (the time-dependent variational principle in
imaginary time, i.e. stochastic reconfiguration: Sorella, PRL 80, 4558 (1998);
Carleo and Troyer, Science 355, 602 (2017)) gives

    S θ̇ = −½ F,   S_kl = ⟨O_k* O_l⟩ − ⟨O_k*⟩⟨O_l⟩,   F_k = ⟨O_k* E_loc⟩ − ⟨O_k*⟩⟨E_loc⟩,

with O_k = ∂ ln ψ/∂θ_k, E_loc(σ, a) = Σ_σ̃ H_σσ̃ ψ(σ̃, a)/ψ(σ, a) and ⟨·⟩ over
|ψ_θ(σ, a)|², the joint distribution of system and ancilla spins — the scheme
Nomura, Yoshioka and Nori, PRL 127, 060601 (2021) use for frustrated magnets.
Averages are sampled by Metropolis chains (:mod:`.sampling`); θ is advanced
by Heun's method (second order) with fresh samples at each stage. S is
regularised by a diagonal shift and solved in its eigenbasis, dropping
directions with eigenvalues below ``rcond`` times the largest.

Thermodynamics follow from the same samples: ⟨H⟩ = ⟨Re E_loc⟩ and, because
H is Hermitian, ⟨H²⟩ = ‖Hψ‖²/‖ψ‖² = ⟨|E_loc|²⟩, so C = β²(⟨|E_loc|²⟩ − ⟨E_loc⟩²)/N.

NetKet (the field's library for this) is not used: importing it switches
``jax_enable_x64`` on for the whole process, which this project forbids
(the ARPES fitting code in the same kernel runs in float32). The few pieces
needed — sampler, local energy, SR solve, Heun step — are written here.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from .ansatz import PurifiedRBM
from .models import LocalTerms

__all__ = ["local_energy", "log_amplitude_grads", "sr_flow", "sr_solve"]


def local_energy(
    machine: PurifiedRBM, params: dict, terms: LocalTerms, sigma: jax.Array, anc: jax.Array, chunk: int = 256
) -> jax.Array:
    """E_loc(σ, a) of the system Hamiltonian H ⊗ 1 for a batch of configurations.

    Parameters
    ----------
    machine : PurifiedRBM
    params : dict
        Network weights.
    terms : LocalTerms
        H in local form (``model.local_terms()``).
    sigma, anc : jax.Array
        Shape (B, N), ±1; B must be a multiple of ``chunk`` or smaller than it.
    chunk : int
        Samples evaluated together (bounds memory: chunk·K moved configurations).

    Returns
    -------
    jax.Array
        Complex, shape (B,).
    """
    bonds = jnp.asarray(terms.diag_bonds)
    diag = jnp.sum(jnp.asarray(terms.diag_coef) * sigma[:, bonds[:, 0]] * sigma[:, bonds[:, 1]], axis=1)
    sites = jnp.asarray(terms.move_sites)
    n = sigma.shape[1]
    single = sites[:, 1] < 0
    second = jnp.where(single, sites[:, 0], sites[:, 1])
    # flipping σ_k flips the entries k (σ) and 2N + k (r = σ a) of x
    idx = jnp.stack([sites[:, 0], sites[:, 0] + 2 * n, second, second + 2 * n], axis=1)[None]
    mask = jnp.stack([jnp.ones_like(single), jnp.ones_like(single), ~single, ~single], axis=1)[None]
    coef = jnp.asarray(terms.move_coef)
    dense = machine.dense_weights(params)

    def one_chunk(xs):
        s, a = xs
        state = machine.flip_state(params, dense, s, a)
        delta, _ = machine.flip_log_ratio(params, dense, state, idx, mask)
        amp = coef[None, :] * jnp.ones_like(delta.real)
        if terms.antiparallel_only:
            amp = amp * (s[:, sites[:, 0]] != s[:, second])
        return jnp.sum(amp * jnp.exp(delta), axis=1)

    b = sigma.shape[0]
    size = min(chunk, b)
    off = jax.lax.map(one_chunk, (sigma.reshape(-1, size, n), anc.reshape(-1, size, n))).reshape(b)
    return diag + off


def log_amplitude_grads(machine: PurifiedRBM, params: dict, sigma: jax.Array, anc: jax.Array) -> jax.Array:
    """O_k = ∂ ln ψ/∂θ_k per sample, flattened like ``ravel_pytree(params)``, shape (B, P)."""
    return jax.vmap(lambda d: ravel_pytree(d)[0])(machine.log_derivatives(params, sigma, anc))


def sr_flow(
    machine: PurifiedRBM,
    params: dict,
    terms: LocalTerms,
    sigma: jax.Array,
    anc: jax.Array,
    diag_shift: float,
    rcond: float,
) -> tuple[jax.Array, jax.Array]:
    """dθ/dβ = −½ S⁻¹F from one set of samples (flattened parameters).

    Parameters
    ----------
    machine, params, terms
        As in :func:`local_energy`.
    sigma, anc : jax.Array
        Samples of |ψ_θ|², shape (B, N).
    diag_shift : float
        Relative shift ε: S + ε diag(S) is inverted.
    rcond : float
        Eigenvalues of the shifted S below ``rcond`` × the largest are dropped.

    Returns
    -------
    theta_dot : jax.Array
        Complex, shape (P,).
    e_loc : jax.Array
        Complex, shape (B,), the local energies (for monitoring).
    """
    e_loc = local_energy(machine, params, terms, sigma, anc)
    o = log_amplitude_grads(machine, params, sigma, anc)
    b = o.shape[0]
    oc = (o - jnp.mean(o, axis=0)) / jnp.sqrt(b)
    ec = (e_loc - jnp.mean(e_loc)) / jnp.sqrt(b)
    return sr_solve(oc.conj().T @ oc, oc.conj().T @ ec, diag_shift, rcond), e_loc


def sr_solve(s: jax.Array, f: jax.Array, diag_shift: float, rcond: float) -> jax.Array:
    """dθ/dβ = −½ (S + ε diag S)⁺ F, the pseudo-inverse dropping eigenvalues below ``rcond`` × the largest.

    Parameters
    ----------
    s : jax.Array
        The covariance S of the log-derivatives, shape (P, P), Hermitian.
    f : jax.Array
        The force F = ⟨O* E_loc⟩ − ⟨O*⟩⟨E_loc⟩, shape (P,).
    diag_shift, rcond : float
        As in :func:`sr_flow`.
    """
    s = s + diag_shift * jnp.diag(jnp.diag(s).real)
    lam, vec = jnp.linalg.eigh(s)
    keep = lam > rcond * lam[-1]
    inv = jnp.where(keep, 1.0 / jnp.where(keep, lam, 1.0), 0.0)
    return -0.5 * (vec @ (inv * (vec.conj().T @ f)))
