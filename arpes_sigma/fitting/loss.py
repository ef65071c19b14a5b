"""The fit's objective as a residual vector: pure functions of the parameter pytree.

The fit minimises ½‖r(θ)‖² with

    r = [ mask·(I − a_k m_k(ω) − b_k)/σ ;  prior residuals ],

where m_k is the model spectrum [A f] ⊛ Gauss from
:func:`arpes_sigma.physics.observed` and the per-EDC amplitude a_k and
background b_k are solved in closed form at every evaluation (variable
projection: they enter linearly, so they are never iterated; Golub & Pereyra,
SIAM J. Numer. Anal. 10, 413 (1973)). Written as a residual vector, the whole
objective — data and priors — is a sum of squares, so a Gauss–Newton /
Levenberg–Marquardt solver applies and JᵀJ is the Laplace approximation's
Hessian (:mod:`arpes_sigma.fitting.evidence`).

Prior residuals (each ½r² is −log prior up to a constant):

``smoothness``  √(N w/n)·curvature of the background density / (10 meV)
``gap_penalty`` √(N w)·(|Δ0| − gap_limit)₊ / (10 meV)
``l2``          √(N w)·network kernels
``pairing``     φ_l / pairing_scale and Δ0 / gap_scale — proper Gaussian priors on
                the pairing coherences' logits and the static gap (the shrinkage
                the evidence for pairing is computed against)
``weak``        every other raw parameter / 10 (stored units), so the Hessian is
                never singular; wide enough never to matter for the data

N is the number of data points in the window, so the weights keep the meaning
they have in χ²/N + Σ w·prior.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..model import ModelSpec, Params, background_density, gap, self_energy
from ..physics import observed
from .problem import Problem, Settings

__all__ = [
    "WEAK_SCALE",
    "DataFit",
    "data_fit",
    "model_curves",
    "prior_residuals",
    "reduced_chi2",
    "residuals",
    "solve_nuisance",
]

#: Width of the weak Gaussian prior on every parameter without another prior (stored units).
WEAK_SCALE = 10.0


class DataFit(NamedTuple):
    """The data term of a parameter set.

    Attributes
    ----------
    residual : (K, E) mask·(I − fitted)/σ
    chi2 : () χ² over the window
    fitted : (K, E) a_k m_k(ω) + b_k
    """

    residual: jax.Array
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


def model_curves(
    params: Params, spec: ModelSpec, problem: Problem, settings: Settings, pairing: jax.Array | float = 1.0
) -> jax.Array:
    """Model spectrum [A f] ⊛ Gauss of every EDC on the measured energies, shape (K, E)."""
    s11, s22, w = self_energy(params, spec, problem.grid, pairing)
    return observed(problem.grid, problem.omega, problem.eps, s11, s22, w, settings.temperature, settings.resolution,
                    problem.layout)


def data_fit(curves: jax.Array, problem: Problem, settings: Settings) -> DataFit:
    """Residuals and χ² over the window of model ``curves`` (K, E), with a_k, b_k solved in closed form."""
    mask = settings.mask
    a, b = solve_nuisance(curves, problem.intensity, mask)
    fitted = a[:, None] * curves + b[:, None]
    r = (problem.intensity - fitted) / problem.noise * mask[None, :]
    return DataFit(r, jnp.sum(r * r), fitted)


def n_points(problem: Problem, settings: Settings) -> jax.Array:
    """Data points in the window (all EDCs)."""
    return jnp.sum(settings.mask) * problem.intensity.shape[0]


def prior_residuals(params: Params, spec: ModelSpec, settings: Settings, n: jax.Array) -> dict[str, jax.Array]:
    """The prior residual vectors by name (see the module docstring); ½ Σ r² is −log prior + const."""
    _, dens = background_density(params, spec)
    curv = dens[2:] - 2 * dens[1:-1] + dens[:-2]
    d0 = gap(params)  # the stored gap, whatever the pairing switch: its prior acts in both models
    kernels = jnp.concatenate([jnp.ravel(layer["kernel"]) for layer in params["layers"]])
    biases = jnp.concatenate([jnp.ravel(layer["bias"]) for layer in params["layers"]])
    weak = jnp.concatenate(
        [params[k].ravel() for k in ("level", "split", "coupling", "width_raw")]
        + [params["floor_raw"][None], biases]
    )
    return {
        "smoothness": jnp.sqrt(n * settings.smoothness / curv.size) * curv / 0.01,
        "gap_penalty": jnp.sqrt(n * settings.gap_penalty)[None] * jax.nn.relu(jnp.abs(d0) - settings.gap_limit) / 0.01,
        "l2": jnp.sqrt(n * settings.l2) * kernels,
        "pairing": jnp.concatenate(
            [params["coherence_raw"] / settings.pairing_scale, (d0 / settings.gap_scale)[None]]
        ),
        "weak": weak / WEAK_SCALE,
    }


def residuals(
    params: Params, spec: ModelSpec, problem: Problem, settings: Settings, pairing: jax.Array | float = 1.0
) -> tuple[jax.Array, DataFit]:
    """The whole residual vector r(θ) (1-D, fixed length) and, as auxiliary output, the data fit."""
    fit = data_fit(model_curves(params, spec, problem, settings, pairing), problem, settings)
    priors = prior_residuals(params, spec, settings, n_points(problem, settings))
    return jnp.concatenate([fit.residual.ravel(), *priors.values()]), fit


def prior_terms(params: Params, spec: ModelSpec, problem: Problem, settings: Settings) -> dict[str, jax.Array]:
    """Each prior's ½ Σ r² divided by N (the scale of χ²/N), for progress reports."""
    n = n_points(problem, settings)
    return {k: 0.5 * jnp.sum(v * v) / n for k, v in prior_residuals(params, spec, settings, n).items()}


def reduced_chi2(chi2: Any, mask: Any, n_k: int, n_params: float) -> Any:
    """χ² / (N − p): N = points in the window over all K EDCs, p = model parameters + 2 per EDC (a_k, b_k).

    Parameters
    ----------
    chi2 : float or array
    mask : (E,) the window mask
    n_k : int, number of EDCs
    n_params : float, effective free parameters of the self-energy model
    """
    n = float(np.sum(np.asarray(mask))) * n_k
    return np.asarray(chi2) / max(n - n_params - 2 * n_k, 1.0)

