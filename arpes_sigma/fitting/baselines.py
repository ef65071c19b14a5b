"""Baselines a physicist expects next to the neural answer.

``norman``
    The phenomenological self-energy of Norman, Randeria, Ding and Campuzano,
    PRB 57, R11093 (1998):

        Σ(k, ω) = −iΓ1 + Δ² / (ω + ε_k + iΓ0),   G = 1/(ω − ε_k − Σ),

    three parameters (Γ1, Δ, Γ0) shared by all EDCs, computed through the one
    forward model (:func:`arpes_sigma.physics.norman.norman_nambu`).
``normal_only``
    The same hidden-fermion model as the main fit with W ≡ 0 (no pairing).
    How much worse it fits is the evidence for W.

Both are fitted to the same data, window, temperature, resolution and noise
level as the main fit, with the same closed-form per-EDC amplitude and
background, and report a reduced χ². This module uses the Fitter; the Fitter
never imports it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..physics import observed
from ..physics.norman import norman_nambu
from .fitter import Fitter, drive
from .loss import data_term, reduced_chi2
from .problem import Problem, Settings

__all__ = ["NormanResult", "fit_baselines", "fit_norman", "fit_normal_only"]

#: Adam steps of the Norman fit.
NORMAN_STEPS = 1500


def _norman_params(p: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Γ1, Δ, Γ0 (eV) from the unconstrained vector p (Γ1 ≥ 0, Γ0 ≥ 10 meV)."""
    return 0.1 * jax.nn.softplus(p[0]), 0.1 * p[1], 0.01 + 0.1 * jax.nn.softplus(p[2])


def _norman_curves(p: jax.Array, problem: Problem, settings: Settings) -> jax.Array:
    s11, s22, w = norman_nambu(*_norman_params(p))
    return observed(problem.grid, problem.omega, problem.eps, s11, s22, w, settings.temperature, settings.resolution)


@dataclasses.dataclass(frozen=True)
class NormanResult:
    """Fitted Norman parameters (eV) and reduced χ²."""

    gamma1: float
    delta: float
    gamma0: float
    chi2_reduced: float
    model_intensity: np.ndarray


@jax.jit
def _norman_run(p0: jax.Array, problem: Problem, settings: Settings) -> tuple[jax.Array, jax.Array]:
    tx = optax.adam(0.03)

    def loss(p: jax.Array) -> jax.Array:
        return data_term(_norman_curves(p, problem, settings), problem, settings).chi2_over_n

    def step(carry: tuple, _: Any) -> tuple:
        p, s = carry
        val, g = jax.value_and_grad(loss)(p)
        u, s = tx.update(g, s, p)
        return (optax.apply_updates(p, u), s), val

    def one(p: jax.Array) -> tuple[jax.Array, jax.Array]:
        (p, _), _ = jax.lax.scan(step, (p, tx.init(p)), None, length=NORMAN_STEPS)
        return p, loss(p)

    return jax.vmap(one)(p0)


def fit_norman(fitter: Fitter) -> NormanResult:
    """Fit the Norman model to the problem of a :class:`~arpes_sigma.fitting.fitter.Fitter`.

    Four starting gaps (0–60 meV) run side by side; the best is kept.
    """
    p0 = jnp.asarray([[-1.0, d, -2.0] for d in (0.05, 0.2, 0.4, 0.6)], dtype=jnp.float32)
    ps, losses = _norman_run(p0, fitter.problem, fitter.settings)
    ib = int(np.nanargmin(np.asarray(losses)))
    p = ps[ib]
    term = data_term(_norman_curves(p, fitter.problem, fitter.settings), fitter.problem, fitter.settings)
    chi2r = float(reduced_chi2(term.chi2, fitter.settings.mask, fitter.problem.n_k, 3))
    g1, d, g0 = (float(x) for x in _norman_params(p))
    return NormanResult(gamma1=g1, delta=abs(d), gamma0=g0, chi2_reduced=chi2r, model_intensity=np.asarray(term.fitted))


def fit_normal_only(fitter: Fitter) -> Fitter:
    """The main model with W ≡ 0 on the same problem and settings, run to the end; returns its Fitter."""
    config = fitter.config.replace(anomalous=False, restarts=1)
    normal = Fitter.from_problem(fitter.problem, fitter.info, config)
    drive(normal, -(-config.steps // config.steps_per_call))
    return normal


def fit_baselines(fitter: Fitter) -> dict[str, float]:
    """Reduced χ² of both baselines on the main fit's problem: ``{"norman": ..., "normal_only": ...}``."""
    norman = fit_norman(fitter)
    normal = fit_normal_only(fitter)
    return {"norman": norman.chi2_reduced, "normal_only": normal.result().chi2_reduced}
