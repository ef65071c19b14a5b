"""Exact evaluation of the deterministic purified network: sum every hidden and deep unit.

For a small system the amplitude ψ(σ, a) of the network of
:mod:`arpes_sigma.thermal.network` is contracted exactly, one ancilla
configuration a per column of a (2^N, C) array:

* transverse-field Ising chain — the hidden units are summed by
  :meth:`~arpes_sigma.thermal.network.PurifiedDBM.layer_couplings`; a deep layer
  is then summed by one multiplication with the site-by-site transfer matrix
  [[e^K, e^−K], [e^−K, e^K]] of its coupling K to the next layer, and each
  layer's bond couplings are a diagonal factor;
* J1–J2 model — every bond factor of the symmetric Trotter sweep (forwards,
  then backwards, τ/2 each) is the 16-entry table obtained by summing the
  bond's hidden units from :func:`~arpes_sigma.thermal.network.heisenberg_bond_weights`,
  applied to the two sites it couples.

Summing |ψ|² over all σ and a then gives Z, ⟨H⟩ and ⟨H²⟩ of the network
(N ≤ :data:`MAX_EXACT_SITES`). The result differs from e^{−βH} only by the
Trotter error of the construction (second order in τ).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ConfigError
from .models import J1J2Square, TransverseFieldIsing, flip_permutations, spin_configurations, swap_permutations
from .network import heisenberg_bond_factor, tfim_network
from .observables import weighted_thermal_estimates

__all__ = ["MAX_EXACT_SITES", "trotter_steps", "network_amplitudes", "exact_thermal"]

#: Largest system contracted exactly (2^N × 2^N amplitudes).
MAX_EXACT_SITES = 12


def trotter_steps(beta: float, trotter_step: float, minimum: int = 0) -> tuple[int, float]:
    """Number of symmetric Trotter steps m and step τ ≤ ``trotter_step`` with 2 m τ = β.

    Returns
    -------
    n_steps, tau : int, float
        (0, 0.0) for β = 0 unless ``minimum`` > 0.
    """
    m = max(minimum, int(math.ceil(0.5 * beta / trotter_step - 1e-9)))
    return m, (0.5 * beta / m if m else 0.0)


def _transfer(psi: jax.Array, flips: jax.Array, same: jax.Array, other: jax.Array) -> jax.Array:
    """Apply Π_i (same + other σˣ_i) to columns psi (2^N, C); ``flips`` are the σˣ_i index maps."""

    def body(p, perm):
        return same * p + other * jnp.take(p, perm, axis=0), None

    return jax.lax.scan(body, psi, flips)[0]


@jax.jit
def _contract_layers(psi, flips, zz, inter, intra):
    """Σ over the deep layers of a layered network; returns columns and their log norms."""

    def body(carry, xs):
        p, ln = carry
        k, bond = xs
        p = jnp.exp(zz @ bond)[:, None] * p
        p = _transfer(p, flips, jnp.exp(k), jnp.exp(-k))
        nrm = jnp.sqrt(jnp.sum(jnp.abs(p) ** 2, axis=0))
        return (p / nrm, ln + jnp.log(nrm)), None

    (psi, ln), _ = jax.lax.scan(body, (psi, jnp.zeros(psi.shape[1])), (inter, intra[:-1]))
    psi = jnp.exp(zz @ intra[-1])[:, None] * psi
    nrm = jnp.sqrt(jnp.sum(jnp.abs(psi) ** 2, axis=0))
    return psi / nrm, ln + jnp.log(nrm)


def _gate_indices(bonds: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each bond: the 4 source rows (bits of (i, j) set to 00, 01, 10, 11) and the target's own bits."""
    x = np.arange(2**n, dtype=np.int64)
    src, own = [], []
    for i, j in bonds:
        base = x & ~((1 << int(i)) | (1 << int(j)))
        src.append([base | (b1 << int(i)) | (b2 << int(j)) for b1 in (0, 1) for b2 in (0, 1)])
        own.append(2 * ((x >> int(i)) & 1) + ((x >> int(j)) & 1))
    return np.asarray(src, dtype=np.int32), np.asarray(own, dtype=np.int32)


@jax.jit
def _contract_gates(psi, src, own, tables, n_steps):
    """Apply the two-site factors (tables (G, 4, 4), [target bits, source bits]) ``n_steps`` times."""

    def gate(p, xs):
        s, o, t = xs
        return jnp.einsum("dk,kdc->dc", t[o], p[s]), None

    def step(_, carry):
        p, ln = carry
        p = jax.lax.scan(gate, p, (src, own, tables))[0]
        nrm = jnp.sqrt(jnp.sum(jnp.abs(p) ** 2, axis=0))
        return p / nrm, ln + jnp.log(nrm)

    return jax.lax.fori_loop(0, n_steps, step, (psi, jnp.zeros(psi.shape[1], dtype=jnp.real(psi).dtype)))


def network_amplitudes(
    model: TransverseFieldIsing | J1J2Square, beta: float, trotter_step: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised columns ψ(·, a) of the network for β and their log norms.

    Parameters
    ----------
    model : TransverseFieldIsing or J1J2Square
        N ≤ :data:`MAX_EXACT_SITES`.
    beta : float
        Inverse temperature ≥ 0.
    trotter_step : float
        Largest Trotter step τ.

    Returns
    -------
    columns : numpy.ndarray, shape (2**N, 2**N)
        Column a is ψ(·, a)/‖ψ(·, a)‖ (complex for complex weights).
    log_norm : numpy.ndarray, shape (2**N,)
        ln ‖ψ(·, a)‖, up to one constant common to all columns.
    """
    n = model.n_sites
    if n > MAX_EXACT_SITES:
        raise ConfigError(f"exact contraction needs 4^{n} numbers; use at most {MAX_EXACT_SITES} sites or sampling")
    if not (math.isfinite(beta) and beta >= 0):
        raise ConfigError(f"beta must be finite and >= 0, got {beta!r}")
    with jax.enable_x64(True):
        start = jnp.eye(2**n, dtype=jnp.complex128)
        if isinstance(model, TransverseFieldIsing):
            m, tau = trotter_steps(beta, trotter_step)
            if m == 0:
                return np.eye(2**n), np.zeros(2**n)
            couplings = tfim_network(model, m, tau).layer_couplings()
            if not couplings.ancilla_is_first_layer:
                raise ConfigError("the network's first layer is not tied to the ancillas")
            s = spin_configurations(n).astype(np.float64)
            zz = s[:, couplings.bonds[:, 0]] * s[:, couplings.bonds[:, 1]]
            psi, ln = _contract_layers(
                start, jnp.asarray(flip_permutations(n)), jnp.asarray(zz), jnp.asarray(couplings.inter),
                jnp.asarray(couplings.intra),
            )
        elif isinstance(model, J1J2Square):
            m, tau = trotter_steps(beta, trotter_step)
            keep = model.bond_couplings != 0
            bonds, jb = model.bonds[keep], model.bond_couplings[keep]
            if m == 0:
                return np.eye(2**n), np.zeros(2**n)
            tables = np.stack([heisenberg_bond_factor(0.5 * tau, j).reshape(4, 4) for j in jb])
            if np.all(tables.imag == 0):
                tables, start = tables.real, start.real
            order = np.concatenate([np.arange(len(bonds)), np.arange(len(bonds))[::-1]])
            src, own = _gate_indices(bonds, n)
            psi, ln = _contract_gates(
                start, jnp.asarray(src[order]), jnp.asarray(own[order]), jnp.asarray(tables[order]), m
            )
        else:
            raise ConfigError(f"unknown model {type(model).__name__}; use TransverseFieldIsing or J1J2Square")
        psi = np.asarray(psi)
        if np.max(np.abs(psi.imag)) < 1e-12 * max(1.0, np.max(np.abs(psi.real))):
            psi = psi.real
        return psi, np.asarray(ln)


def _apply_h(model: TransverseFieldIsing | J1J2Square, psi: np.ndarray) -> np.ndarray:
    """H acting on columns (2^N, C)."""
    n = model.n_sites
    if isinstance(model, TransverseFieldIsing):
        out = model.diagonal()[:, None] * psi
        for perm in flip_permutations(n):
            out -= model.field * psi[perm]
        return out
    out = np.zeros_like(psi)
    keep = model.bond_couplings != 0
    for jb, perm in zip(model.bond_couplings[keep], swap_permutations(model.bonds[keep], n), strict=True):
        out += jb * (0.5 * psi[perm] - 0.25 * psi)  # S_i·S_j = P_ij/2 − 1/4
    return out


def exact_thermal(
    model: TransverseFieldIsing | J1J2Square,
    temperatures: np.ndarray,
    trotter_step: float,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Energy and specific heat per site of the exactly contracted network.

    Parameters
    ----------
    model : TransverseFieldIsing or J1J2Square
    temperatures : numpy.ndarray, shape (T,)
    trotter_step : float
    progress : callable, optional
        ``progress(done, total)`` after each temperature.

    Returns
    -------
    dict
        ``energy``, ``specific_heat``, ``n_steps`` (each shape (T,)).
    """
    out = {k: np.zeros(len(temperatures)) for k in ("energy", "specific_heat")}
    out["n_steps"] = np.zeros(len(temperatures), dtype=int)
    for j, t in enumerate(temperatures):
        psi, ln = network_amplitudes(model, 1.0 / t, trotter_step)
        hpsi = _apply_h(model, psi)
        e = np.real(np.sum(psi.conj() * hpsi, axis=0))
        q = np.sum(np.abs(hpsi) ** 2, axis=0)
        out["energy"][j], out["specific_heat"][j] = weighted_thermal_estimates(2 * ln, e, q, 1.0 / t, model.n_sites)
        out["n_steps"][j] = trotter_steps(1.0 / t, trotter_step)[0]
        if progress is not None:
            progress(j + 1, len(temperatures))
    return out
