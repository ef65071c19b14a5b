"""Baselines a physicist expects next to the neural answer.

``norman``
    The phenomenological self-energy of Norman, Randeria, Ding and Campuzano,
    PRB 57, R11093 (1998):

        Σ(k, ω) = −iΓ1 + Δ² / (ω + ε_k + iΓ0),   G = 1/(ω − ε_k − Σ),

    three parameters (Γ1, Δ, Γ0) shared by all EDCs.
``normal_only``
    The same hidden-fermion model as the main fit with W ≡ 0 (no pairing).
    How much worse it fits is the evidence for W.

Both are fitted to the same data, window, temperature, resolution and noise
level as the main fit, with the same closed-form per-EDC amplitude and
background, and report a reduced χ².
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .physics import gaussian_matrix, observe

__all__ = ["NormanResult", "norman_sigma", "fit_norman", "fit_normal_only", "fit_baselines"]


def norman_sigma(omega, eps_k, gamma1, delta, gamma0):
    """Norman et al. (1998) self-energy Σ(k, ω), complex, eV (broadcasts ω against ε_k)."""
    return -1j * gamma1 + delta**2 / (omega + eps_k + 1j * gamma0)


def _norman_params(p):
    return 0.1 * jax.nn.softplus(p[0]), 0.1 * p[1], 0.01 + 0.1 * jax.nn.softplus(p[2])


def _norman_curves(p, prob, hyper):
    g1, d, g0 = _norman_params(p)
    grid = prob["grid"]
    eps = prob["eps"][:, None]
    sig = norman_sigma(grid, eps, g1, d, g0)
    spec = -jnp.imag(1.0 / (grid - eps - sig)) / jnp.pi
    kernel = gaussian_matrix(prob["omega"], grid, hyper["resolution"])
    return observe(spec, grid, hyper["temperature"], kernel)


@dataclasses.dataclass(frozen=True)
class NormanResult:
    """Fitted Norman parameters (eV) and reduced χ²."""

    gamma1: float
    delta: float
    gamma0: float
    chi2_reduced: float
    model_intensity: np.ndarray


@jax.jit
def _norman_run(p0, prob, hyper):
    from .fit import data_term

    tx = optax.adam(0.03)

    def loss(p):
        return data_term(_norman_curves(p, prob, hyper), prob, hyper)[0]

    def step(carry, _):
        p, s = carry
        val, g = jax.value_and_grad(loss)(p)
        u, s = tx.update(g, s, p)
        return (optax.apply_updates(p, u), s), val

    def one(p):
        (p, _), _ = jax.lax.scan(step, (p, tx.init(p)), None, length=1500)
        return p, loss(p)

    return jax.vmap(one)(p0)


def fit_norman(fitter) -> NormanResult:
    """Fit the Norman model to the data of a :class:`arpes_sigma.fit.Fitter`.

    Four starting gaps (0–60 meV) run side by side; the best is kept.
    """
    from .fit import data_term

    p0 = jnp.asarray([[-1.0, d, -2.0] for d in (0.05, 0.2, 0.4, 0.6)], dtype=jnp.float32)
    ps, losses = _norman_run(p0, fitter.prob, fitter.hyper)
    ib = int(np.nanargmin(np.asarray(losses)))
    p = ps[ib]
    _, chi2, fitted = data_term(_norman_curves(p, fitter.prob, fitter.hyper), fitter.prob, fitter.hyper)
    n = float(np.sum(np.asarray(fitter.hyper["mask"]))) * fitter.prob["intensity"].shape[0]
    dof = max(n - 3 - 2 * fitter.prob["intensity"].shape[0], 1.0)
    g1, d, g0 = (float(x) for x in _norman_params(p))
    return NormanResult(gamma1=g1, delta=abs(d), gamma0=g0, chi2_reduced=float(chi2) / dof, model_intensity=np.asarray(fitted))


def fit_normal_only(data, config):
    """The main model with W ≡ 0, fitted with ``config`` otherwise unchanged; returns a FitResult."""
    from .fit import fit

    return fit(data, config.replace(anomalous=False, baselines=False))


def fit_baselines(data, config, fitter=None) -> dict:
    """Reduced χ² of both baselines: ``{"norman": ..., "normal_only": ...}``.

    ``fitter`` — the main fit's :class:`~arpes_sigma.fit.Fitter`, if there is
    one — lends its prepared data and settings to the Norman fit, so the data
    are not validated and prepared again.
    """
    from .fit import Fitter

    if fitter is None:
        fitter = Fitter(data, config.replace(baselines=False, restarts=1))
    norman = fit_norman(fitter)
    normal = fit_normal_only(data, config.replace(restarts=1))
    return {"norman": norman.chi2_reduced, "normal_only": normal.chi2_reduced}
