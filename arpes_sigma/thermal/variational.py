"""The variational path: the purified machine evolved from β = 0 by stochastic reconfiguration.

:func:`evolve` starts from the exact β = 0 weights of :class:`~.ansatz.PurifiedRBM`,
with Markov chains drawn exactly from the uniform |ψ(σ, a; 0)|², integrates
dθ/dβ = −½ S⁻¹F (:func:`~.propagation.sr_flow`) with Heun's method up to
each requested β (hot to cold), and measures E and C there from a longer run
of the chains, with errors that account for their autocorrelation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .ansatz import machine_for
from .models import J1J2Square, TransverseFieldIsing
from .observables import energy_and_heat
from .propagation import local_energy, sr_flow
from .sampling import metropolis_sweeps

if TYPE_CHECKING:
    from .driver import ThermalConfig

__all__ = ["evolve", "RCOND"]

#: eigenvalues of S below RCOND × the largest are dropped (after the diagonal shift)
RCOND = 1e-8


def _random_spins(key: jax.Array, shape: tuple[int, int]) -> jax.Array:
    return jnp.where(jax.random.bernoulli(key, 0.5, shape), 1.0, -1.0)


def evolve(
    model: TransverseFieldIsing | J1J2Square,
    temperatures: np.ndarray,
    config: ThermalConfig,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Variational imaginary-time evolution of the purified machine to each temperature.

    Parameters
    ----------
    model : TransverseFieldIsing (periodic) or J1J2Square
    temperatures : numpy.ndarray, shape (T,)
    config : ThermalConfig
        Uses ``features``, ``symmetry``, ``beta_step``, ``samples``, ``chains``,
        ``measure_sweeps``, ``diag_shift`` and ``seed``.
    progress : callable, optional
        ``progress(done, total)`` after each integration step.

    Returns
    -------
    dict
        ``energy``, ``energy_err``, ``specific_heat``, ``specific_heat_err``,
        ``tau_int`` (sweeps), ``n_steps`` (integration steps from β = 0) and
        ``seconds_per_temperature`` (each shape (T,)), ``units`` (counts) and
        ``params`` (final weights, a dict of numpy arrays).
    """
    n = model.n_sites
    t = np.asarray(temperatures, dtype=np.float64)
    order = np.argsort(-t, kind="stable")
    betas = 1.0 / t[order]
    per_chain = config.samples // config.chains
    gaps = np.diff(np.r_[0.0, betas])
    steps = [max(1, math.ceil(g / config.beta_step - 1e-9)) for g in gaps]
    total = int(sum(steps))
    out = {k: np.zeros(t.size) for k in ("energy", "energy_err", "specific_heat", "specific_heat_err", "tau_int")}
    out["n_steps"] = np.zeros(t.size, dtype=int)
    out["seconds_per_temperature"] = np.zeros(t.size)
    with jax.enable_x64(True):
        machine = machine_for(model, config.features, config.symmetry)
        terms = model.local_terms()
        flat, unravel = ravel_pytree(machine.init_params(config.seed))

        @jax.jit
        def draw(theta, key, s, a):
            params = unravel(theta)

            def one(carry, k):
                s, a, _ = metropolis_sweeps(machine, params, k, carry[0], carry[1], 1)
                return (s, a), (s, a)

            (s, a), (ss, aa) = jax.lax.scan(one, (s, a), jax.random.split(key, per_chain))
            return s, a, ss.reshape(-1, n), aa.reshape(-1, n)

        @jax.jit
        def flow(theta, ss, aa):
            return sr_flow(machine, unravel(theta), terms, ss, aa, config.diag_shift, RCOND)[0]

        @jax.jit
        def measure(theta, key, s, a):
            params = unravel(theta)

            def one(carry, k):
                s, a, _ = metropolis_sweeps(machine, params, k, carry[0], carry[1], 1)
                return (s, a), local_energy(machine, params, terms, s, a, chunk=s.shape[0])

            (s, a), e = jax.lax.scan(one, (s, a), jax.random.split(key, config.measure_sweeps))
            return s, a, e

        key, k0, k1 = jax.random.split(jax.random.key(config.seed), 3)
        s, a = _random_spins(k0, (config.chains, n)), _random_spins(k1, (config.chains, n))  # exact at β = 0
        beta, done = 0.0, 0
        for pos, target, m in zip(order, betas, steps, strict=True):
            t0 = time.perf_counter()
            h = (target - beta) / m
            for _ in range(m):
                key, k1, k2 = jax.random.split(key, 3)
                s, a, ss, aa = draw(flat, k1, s, a)
                d1 = flow(flat, ss, aa)
                _, _, ss, aa = draw(flat + h * d1, k2, s, a)
                d2 = flow(flat + h * d1, ss, aa)
                flat = flat + 0.5 * h * (d1 + d2)
                done += 1
                if progress is not None:
                    progress(done, total)
            beta = target
            key, k1 = jax.random.split(key)
            s, a, e = measure(flat, k1, s, a)
            e = np.asarray(e)  # (sweeps, chains)
            stats = energy_and_heat(e.real, np.abs(e) ** 2, target, n)
            for k in ("energy", "energy_err", "specific_heat", "specific_heat_err", "tau_int"):
                out[k][pos] = stats[k]
            out["n_steps"][pos] = done
            out["seconds_per_temperature"][pos] = time.perf_counter() - t0
        out["params"] = {k: np.asarray(v) for k, v in unravel(flat).items()}
    out["units"] = {"visible": n, "ancilla": n, "hidden": config.features * machine.group_size,
                    "parameters": int(flat.size)}
    return out
