"""Markov-chain sampling of purified Boltzmann machines.

* :func:`sample_tfim_network` — checkerboard Metropolis over the visible,
  ancilla and deep units of the deterministic transverse-field Ising network
  (:func:`arpes_sigma.thermal.network.tfim_network`), many chains in parallel.
* :func:`metropolis_sweeps` — Metropolis single-spin flips of system and
  ancilla units under |ψ_θ(σ, a)|² for the variational machine.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ConfigError
from .ansatz import PurifiedRBM
from .contraction import trotter_steps
from .models import TransverseFieldIsing
from .network import tfim_network
from .observables import chain_blocks, energy_and_heat, integrated_autocorrelation_time

__all__ = ["metropolis_sweeps", "sample_tfim_network"]


def metropolis_sweeps(
    machine: PurifiedRBM, params: dict, key: jax.Array, sigma: jax.Array, anc: jax.Array, n_sweeps: int
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Advance every chain by ``n_sweeps`` sweeps of 2N single-flip Metropolis proposals.

    Parameters
    ----------
    machine : PurifiedRBM
    params : dict
    key : jax.Array
        New-style PRNG key (``jax.random.key``).
    sigma, anc : jax.Array
        Current configurations, shape (C, N), ±1 floats.
    n_sweeps : int

    Returns
    -------
    sigma, anc : jax.Array
        Shape (C, N).
    acceptance : jax.Array
        Mean acceptance rate (scalar).
    """
    c, n = sigma.shape
    dense = machine.dense_weights(params)
    _, hidden = dense
    g = dense[0] + dense[0].T
    x, gx, theta, _ = machine.flip_state(params, dense, sigma, anc)

    def step(carry, k):
        x, gx, theta, acc = carry
        k1, k2 = jax.random.split(k)
        unit = jax.random.randint(k1, (c,), 0, 2 * n)  # < N: σ_unit, else a_(unit − N)
        idx = jnp.stack([unit, unit % n + 2 * n], axis=1)[:, None, :]  # flips r too
        delta, theta_new = machine.flip_log_ratio(params, dense, (x, gx, theta, None), idx, jnp.ones_like(idx))
        ok = jnp.log(jax.random.uniform(k2, (c,))) < 2.0 * delta[:, 0].real
        sign = 1.0 - 2.0 * ok[:, None] * jnp.sum(jax.nn.one_hot(idx[:, 0], 3 * n, dtype=x.dtype), axis=1)
        xu = jnp.take_along_axis(x, idx[:, 0], axis=1) * ok[:, None]
        gx = gx - 2.0 * jnp.einsum("bu,bui->bi", xu, g[idx[:, 0]])
        theta = jnp.where(ok[:, None], theta_new[:, 0], theta)
        return (x * sign, gx, theta, acc + jnp.mean(ok)), None

    steps = n_sweeps * 2 * n
    (x, _, _, acc), _ = jax.lax.scan(step, (x, gx, theta, 0.0), jax.random.split(key, steps))
    return x[:, :n].real.astype(sigma.dtype), x[:, n : 2 * n].real.astype(sigma.dtype), acc / steps


# ----------------------------------------------------------------------------- the deterministic TFIM network


def _ring_series(spins, key, k_time, a_space, coupling, field, open_mask, colours, n_burn, n_meas):
    """Checkerboard Metropolis on the doubled network; per-sweep estimators, shape (n_meas, 4, chains).

    spins: (chains, L, N) ±1 over the 2m layers of |ψ|²; colours: (2, L, N)
    masks; open_mask: (N,) 1 where the bond (i, i+1) exists.
    """

    def nb_space(s):
        return jnp.roll(s, -1, axis=2) * open_mask + jnp.roll(s * open_mask, 1, axis=2)

    def half(s, key, c):
        local = k_time * (jnp.roll(s, 1, axis=1) + jnp.roll(s, -1, axis=1)) + a_space * nb_space(s)
        u = jax.random.uniform(key, s.shape, dtype=s.dtype)
        return jnp.where((jnp.log(u) < -2.0 * s * local) & colours[c], -s, s)

    def sweep(s, key):
        k1, k2 = jax.random.split(key)
        return half(half(s, k1, 0), k2, 1)

    def measure(s):
        zz = jnp.sum(s * jnp.roll(s, -1, axis=2) * open_mask, axis=2)  # (chains, L)
        nb = nb_space(s)

        def ratio(shift):
            # ψ(σ^(i), a)/ψ(σ, a) from the deep layer d next to σ, with d_i summed given its
            # other neighbours (Rao–Blackwell): E[e^{−2Kσ_i d_i}] = cosh(g − Kσ_i)/cosh(g + Kσ_i)
            d = jnp.roll(s, shift, axis=1)
            g = k_time * jnp.roll(s, 2 * shift, axis=1) + a_space * nb_space(d)
            return jnp.exp(-a_space * s * nb) * jnp.cosh(g - k_time * s) / jnp.cosh(g + k_time * s)

        xk, xb = jnp.sum(ratio(1), axis=2), jnp.sum(ratio(-1), axis=2)
        a = -coupling * zz - field * xk
        b = -coupling * zz - field * xb
        mz = jnp.mean(s, axis=2)
        return jnp.stack(
            [jnp.mean(0.5 * (a + b), axis=1), jnp.mean(a * b, axis=1),
             jnp.mean(0.5 * (xk + xb), axis=1) / s.shape[2], jnp.mean(mz * mz, axis=1)]
        )

    def burn(s, key):
        return sweep(s, key), None

    def meas(s, key):
        s = sweep(s, key)
        return s, measure(s)

    kb, km = jax.random.split(key)
    spins, _ = jax.lax.scan(burn, spins, jax.random.split(kb, n_burn))
    return jax.lax.scan(meas, spins, jax.random.split(km, n_meas))[1]


_ring_series_jit = jax.jit(_ring_series, static_argnums=(8, 9))


def sample_tfim_network(
    model: TransverseFieldIsing,
    beta: float,
    trotter_step: float,
    chains: int,
    sweeps: int,
    burn_in: int,
    key: jax.Array,
) -> dict[str, float]:
    """Metropolis sampling of the purified DBM of the transverse-field Ising chain at one β.

    The network is built by :func:`~arpes_sigma.thermal.network.tfim_network`
    (at least two Trotter steps, so that σ has deep neighbours); its hidden
    units are summed analytically (:meth:`~arpes_sigma.thermal.network.PurifiedDBM.layer_couplings`),
    leaving the visible, ancilla and deep units with real couplings. Because
    |ψ(σ, a)|² = Σ_{d, d̃} W(σ, d, a) W(σ, d̃, a) joins the ket and bra copies at
    σ and a, the sampled object is a ring of 2m layers with couplings K between
    layers and the interior bond coupling within each layer (σ and a receive
    half of it from each copy). The local energy uses the deep layer next to σ:
    ψ(σ^(i), a)/ψ(σ, a) is estimated without bias by W(σ^(i), d)/W(σ, d) with d
    drawn given (σ, a) (Carleo, Nomura and Imada, Nat. Commun. 9, 5322
    (2018)); the ket and bra estimates a, b are independent given (σ, a), so
    ⟨H⟩ = ⟨(a+b)/2⟩ and ⟨H²⟩ = ⟨a b⟩. The ring is uniform, so every layer
    serves as σ. A negative field is first mapped to |h| by the unitary Π σᶻ,
    which leaves the spectrum unchanged.

    Parameters
    ----------
    model : TransverseFieldIsing
        h ≠ 0; periodic chains need even N (checkerboard updates).
    beta : float
        Inverse temperature > 0.
    trotter_step : float
        Largest Trotter step τ.
    chains, sweeps, burn_in : int
        Markov chains, measured sweeps per chain and discarded sweeps per chain.
    key : jax.Array
        New-style PRNG key.

    Returns
    -------
    dict
        ``energy``, ``energy_err``, ``specific_heat``, ``specific_heat_err``,
        ``tau_int`` (sweeps), ``mx``, ``mx_err`` (⟨σˣ⟩), ``mz2``, ``mz2_err``
        (⟨(Σσᶻ/N)²⟩), ``n_steps`` and ``units`` (the network's unit counts).
    """
    n = model.n_sites
    positive = dataclasses.replace(model, field=abs(float(model.field)))
    m, tau = trotter_steps(beta, trotter_step, minimum=2)
    net = tfim_network(positive, m, tau)
    couplings = net.layer_couplings()
    k_time = couplings.inter.real
    a_space = couplings.intra[1].real
    if not (couplings.ancilla_is_first_layer and np.allclose(k_time, k_time[0]) and np.allclose(a_space, a_space[0])):
        raise ConfigError("the sampled ring needs a uniform network; use a uniform chain")
    if not np.allclose(2 * couplings.intra[0], couplings.intra[1]):
        raise ConfigError("the end layers of the network do not match its interior; rebuild the network")
    layers = 2 * m
    open_mask = np.ones(n)
    if not model.periodic:
        open_mask[-1] = 0.0
    li, si = np.meshgrid(np.arange(layers), np.arange(n), indexing="ij")
    base = (li + si) % 2 == 0  # 2m is even; N even (periodic) or any N (open): bipartite
    k0, k1 = jax.random.split(key)
    with jax.enable_x64(True):
        # float32 spins and sweeps (twice as fast as float64 here); the per-sweep averages
        # are over 2m·N terms and are accumulated in float64 below
        spins = jnp.where(jax.random.bernoulli(k0, 0.5, (chains, layers, n)), 1.0, -1.0).astype(jnp.float32)
        series = _ring_series_jit(
            spins, k1, float(k_time[0]), float(a_space[0]), float(model.coupling), float(positive.field),
            jnp.asarray(open_mask, dtype=jnp.float32), jnp.asarray(np.stack([base, ~base])), int(burn_in), int(sweeps),
        )
        series = np.asarray(series, dtype=np.float64)  # (S, 4, chains)
    out = energy_and_heat(series[:, 0], series[:, 1], beta, n)
    for name, col in (("mx", 2), ("mz2", 3)):
        tau_o = integrated_autocorrelation_time(series[:, col])
        blocks = chain_blocks(series[:, col], tau_o)
        out[name] = float(blocks.mean())
        out[f"{name}_err"] = float(blocks.std(ddof=1) / np.sqrt(len(blocks)))
    if model.field < 0:
        out["mx"] = -out["mx"]
    out["n_steps"] = m
    out["units"] = net.counts()
    return out
