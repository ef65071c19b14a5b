"""The variational path without sampling: TDVP with exact sums over all (σ, a), for small systems.

:func:`evolve_exact` integrates the same flow as :func:`.variational.evolve`
(dθ/dβ = −½ S⁻¹F, Heun's method, the same machine, diagonal shift and
eigenvalue cut-off) but evaluates S, F, ⟨H⟩ and ⟨H²⟩ as exact weighted sums
over all 4^N configurations. Its error against exact diagonalisation is
therefore the error of the ansatz and of the integrator alone; the
difference between it and the sampled path is the Monte Carlo part. It is a
diagnostic (N ≤ 9: 2^18 configurations at 3 × 3), not a production method.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from ..errors import ConfigError
from .ansatz import machine_for
from .models import J1J2Square, TransverseFieldIsing, spin_configurations
from .propagation import log_amplitude_grads, sr_solve

__all__ = ["evolve_exact", "MAX_TDVP_SITES"]

#: largest system (N spins, 4^N configurations of system and ancilla) the exact sums accept
MAX_TDVP_SITES = 9


def evolve_exact(
    model: TransverseFieldIsing | J1J2Square,
    temperatures,
    features: int = 2,
    beta_step: float = 0.05,
    diag_shift: float = 1e-3,
    rcond: float = 1e-8,
    seed: int = 0,
    n_chunks: int | None = None,
    symmetry: str = "translation",
    progress=None,
) -> dict[str, np.ndarray]:
    """Exact-sum TDVP of the purified machine to each temperature (hot to cold).

    Parameters
    ----------
    model : TransverseFieldIsing (periodic) or J1J2Square, N ≤ :data:`MAX_TDVP_SITES`
    temperatures : array_like, shape (T,)
    features, beta_step, diag_shift, rcond, seed
        As in :class:`~.driver.ThermalConfig` and :data:`.variational.RCOND`.
    n_chunks : int, optional
        S and F are accumulated over this many slices of the configurations (memory);
        default: enough for ≤ 2^22 moved inputs per slice.
    symmetry : str
        Group the hidden features are shared over (:func:`~.ansatz.machine_for`).
    progress : callable, optional
        ``progress(steps_done)`` after each integration step.

    Returns
    -------
    dict
        ``energy``, ``specific_heat`` (per site, C = β²(⟨H²⟩ − ⟨H⟩²)/N, exact for the
        network) and ``n_steps`` (integration steps from β = 0), each shape (T,),
        in the order of ``temperatures``.
    """
    n = model.n_sites
    if n > MAX_TDVP_SITES:
        raise ConfigError(f"exact-sum TDVP needs 4^N configurations; use at most {MAX_TDVP_SITES} sites, got {n}")
    t = np.atleast_1d(np.asarray(temperatures, dtype=np.float64))
    order = np.argsort(-t, kind="stable")
    out = {"energy": np.zeros(t.size), "specific_heat": np.zeros(t.size), "n_steps": np.zeros(t.size, dtype=int)}
    dim = 2**n
    with jax.enable_x64(True):
        machine = machine_for(model, features, symmetry)
        if n_chunks is None:
            n_chunks = max(8, 2 ** math.ceil(math.log2(max(1, 4**n * machine.group_size * 3 * n / 2**22))))
        flat, unravel = ravel_pytree(machine.init_params(seed))
        conf = jnp.asarray(spin_configurations(n).astype(np.float64))
        sig = jnp.repeat(conf, dim, axis=0)  # row σ·2^N + a
        anc = jnp.tile(conf, (dim, 1))
        ham = jnp.asarray(model.dense())
        slices = [(sig[i::n_chunks], anc[i::n_chunks]) for i in range(n_chunks)]

        @jax.jit
        def moments(theta, sig, anc, ham):
            lp = machine.log_amplitude(unravel(theta), sig, anc)
            psi = jnp.exp(lp - jnp.max(lp.real)).reshape(dim, dim)  # [σ, a]
            hpsi = ham @ psi
            norm = jnp.sum(jnp.abs(psi) ** 2)
            w = (jnp.abs(psi) ** 2 / norm).reshape(-1)
            e_loc = (hpsi / psi).reshape(-1)
            return w, e_loc, jnp.sum(w * e_loc), jnp.sum(jnp.abs(hpsi) ** 2) / norm

        @jax.jit
        def partial(theta, sig, anc, w, e_loc):
            o = log_amplitude_grads(machine, unravel(theta), sig, anc)
            ow = o.conj().T * w
            return ow @ o, ow @ e_loc, w @ o

        @jax.jit
        def solve(s_raw, f_raw, o_mean, energy):
            s = s_raw - jnp.outer(o_mean.conj(), o_mean)
            f = f_raw - o_mean.conj() * energy
            return sr_solve(s, f, diag_shift, rcond)

        def flow(theta):
            w, e_loc, energy, h2 = moments(theta, sig, anc, ham)
            acc = None
            for i, (s_i, a_i) in enumerate(slices):
                part = partial(theta, s_i, a_i, w[i::n_chunks], e_loc[i::n_chunks])
                acc = part if acc is None else tuple(x + y for x, y in zip(acc, part, strict=True))
            return solve(*acc, energy), float(energy.real), float(h2)

        beta, done = 0.0, 0
        for pos in order:
            target = 1.0 / t[pos]
            m = max(1, math.ceil((target - beta) / beta_step - 1e-9))
            h = (target - beta) / m
            for _ in range(m):
                d1 = flow(flat)[0]
                d2 = flow(flat + h * d1)[0]
                flat = flat + 0.5 * h * (d1 + d2)
                done += 1
                if progress is not None:
                    progress(done)
            beta = target
            _, e, h2 = flow(flat)
            out["energy"][pos] = e / n
            out["specific_heat"][pos] = (h2 - e * e) * target**2 / n
            out["n_steps"][pos] = done
    return out
