"""The fit's loss as pure functions of the parameter pytree.

    L = χ²/N_window + Σ_name weight_name · prior_name,

with χ² = Σ_{k, ω in window} (I − a_k m_k(ω) − b_k)² / σ², where m_k is the
model spectrum [A f] ⊛ Gauss from :func:`arpes_sigma.physics.observed` and the
per-EDC amplitude a_k and background b_k are solved in closed form at every
evaluation (variable projection: they are linear, so they never need to be
learned). The prior terms are listed in :mod:`arpes_sigma.fitting.config`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..model import ModelSpec, Params, background_density, gap, self_energy
from ..physics import observed
from .config import PRIOR_NAMES
from .problem import Problem, Settings

__all__ = ["DataTerm", "data_term", "loss", "model_curves", "priors", "reduced_chi2", "solve_nuisance"]


class DataTerm(NamedTuple):
    """χ² of a model against the data, with the closed-form nuisance parameters applied.

    Attributes
    ----------
    chi2_over_n : () χ² divided by the number of points in the window
    chi2 : () χ² over the window
    fitted : (K, E) a_k m_k(ω) + b_k
    """

    chi2_over_n: jax.Array
    chi2: jax.Array
    fitted: jax.Array


def solve_nuisance(model: jax.Array, data: jax.Array, mask: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Per-EDC amplitude a_k and background b_k minimising Σ mask (I − a m − b)².

    Parameters
    ----------
    model, data : arrays, shape (K, E)
    mask : array, shape (E,), 0/1 (the energy window)

    Returns
    -------
    a, b : arrays, shape (K,)
    """
    s = jnp.sum(mask)
    sm = model @ mask
    smm = (model * model) @ mask
    si = data @ mask
    smi = (model * data) @ mask
    det = s * smm - sm * sm
    det = jnp.where(jnp.abs(det) > 1e-30, det, 1e-30)
    a = (s * smi - sm * si) / det
    b = (smm * si - sm * smi) / det
    return a, b


def model_curves(params: Params, spec: ModelSpec, problem: Problem, settings: Settings) -> jax.Array:
    """Model spectrum [A f] ⊛ Gauss of every EDC on the measured energies, shape (K, E)."""
    s11, s22, w = self_energy(params, spec, problem.grid)
    return observed(problem.grid, problem.omega, problem.eps, s11, s22, w, settings.temperature, settings.resolution)


def data_term(curves: jax.Array, problem: Problem, settings: Settings) -> DataTerm:
    """χ² over the window of model ``curves`` (K, E), with a_k, b_k solved in closed form."""
    mask = settings.mask
    a, b = solve_nuisance(curves, problem.intensity, mask)
    fitted = a[:, None] * curves + b[:, None]
    r = (problem.intensity - fitted) / problem.noise
    chi2 = jnp.sum(r * r * mask[None, :])
    n = jnp.maximum(jnp.sum(mask) * curves.shape[0], 1.0)
    return DataTerm(chi2 / n, chi2, fitted)


def priors(params: Params, spec: ModelSpec, settings: Settings) -> dict[str, jax.Array]:
    """Named soft-prior terms (unweighted), each a scalar; keys are :data:`PRIOR_NAMES`."""
    _, dens = background_density(params, spec)
    curv = dens[2:] - 2 * dens[1:-1] + dens[:-2]
    gap_excess = jax.nn.relu(jnp.abs(gap(params, spec)) - settings.gap_limit)
    l2 = sum(jnp.sum(layer["kernel"] ** 2) for layer in params["layers"])
    return {
        "smoothness": jnp.mean((curv / 0.01) ** 2),
        "gap_penalty": (gap_excess / 0.01) ** 2,
        "l2": l2,
    }


def loss(
    params: Params, spec: ModelSpec, problem: Problem, settings: Settings
) -> tuple[jax.Array, tuple[DataTerm, dict[str, jax.Array]]]:
    """The loss L and, as auxiliary output, the data term and the prior terms."""
    term = data_term(model_curves(params, spec, problem, settings), problem, settings)
    terms = priors(params, spec, settings)
    total = term.chi2_over_n + sum(getattr(settings, name) * terms[name] for name in PRIOR_NAMES)
    return total, (term, terms)


def reduced_chi2(chi2: Any, mask: Any, n_k: int, n_params: float) -> Any:
    """χ² / (N − p): N = points in the window over all K EDCs, p = model parameters + 2 per EDC (a_k, b_k).

    Parameters
    ----------
    chi2 : float or array
    mask : (E,) the window mask
    n_k : int, number of EDCs
    n_params : float, free parameters of the self-energy model
    """
    n = float(np.sum(np.asarray(mask))) * n_k
    return np.asarray(chi2) / max(n - n_params - 2 * n_k, 1.0)
