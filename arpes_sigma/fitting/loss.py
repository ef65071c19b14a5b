"""The fit's objective as a residual vector: pure functions of the parameter pytree.

The fit minimises ½‖r(θ)‖² with

    r = [ mask·(I − a_k m_k(ω) − Σ_j c_kj B_kj(ω))/σ(k, ω) ;  prior residuals ],

where m_k is the model spectrum [A f] ⊛ Gauss from
:func:`arpes_sigma.physics.observed`, σ(k, ω) the noise of each point, and
B_kj the extrinsic-background basis of the problem (a constant, b_k; with the
Shirley background also the Shirley integral of the measured EDC,
:func:`arpes_sigma.fitting.problem.background_basis`). The per-EDC amplitude
a_k and background coefficients c_kj are solved in closed form at every
evaluation by weighted least squares with weights 1/σ² (variable projection:
they enter linearly, so they are never iterated; Golub & Pereyra, SIAM J.
Numer. Anal. 10, 413 (1973)), and the derivative through that solve is
Kaufman's (:func:`projected_fit`). With ``FitConfig.amplitude = "smooth"``
a_k is a quadratic in k whose three coefficients are solved jointly with the
backgrounds (:func:`projected_fit_smooth`). Written as a residual vector, the whole
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
``band``        d_j / BAND_PRIOR_WIDTH (30 meV): a proper Gaussian prior on the
                coefficients of the learned band correction
                (:func:`arpes_sigma.model.band_correction`), the size of the
                errors of an MDC guess of ε_k; with the band fixed the
                coefficients see only this prior and stay at 0
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

from ..model import (
    BAND_PRIOR_WIDTH,
    ModelSpec,
    Params,
    background_density,
    band_coefficients,
    band_correction,
    gap,
    self_energy,
)
from ..physics import observed
from .problem import Problem, Settings

__all__ = [
    "WEAK_SCALE",
    "DataFit",
    "band_energies",
    "band_prior_residuals",
    "cho_solve_small",
    "cholesky_small",
    "curves_of",
    "data_fit",
    "model_curves",
    "prior_residuals",
    "projected_fit",
    "projected_fit_smooth",
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
    fitted : (K, E) a_k m_k(ω) + background
    """

    residual: jax.Array
    chi2: jax.Array
    fitted: jax.Array


class _Design(NamedTuple):
    """The per-EDC weighted linear least-squares problem of the nuisances (columns scaled to unit weighted norm)."""

    cols: jax.Array  # (K, P, E) [m_k, B_k1, …] / norm
    norm: jax.Array  # (K, P)
    weight: jax.Array  # (K, E) mask / σ²
    chol: jax.Array  # (K, P, P) lower Cholesky factor of the scaled Gram matrix
    coef: jax.Array  # (K, P) the solution in scaled units


def _design(model: jax.Array, data: jax.Array, mask: jax.Array, noise: jax.Array | None,
            basis: jax.Array | None) -> _Design:
    if basis is None:
        basis = jnp.ones((data.shape[0], 1, data.shape[1]), data.dtype)
    weight = jnp.broadcast_to(mask[None, :] if noise is None else mask[None, :] / noise**2, data.shape)
    cols = jnp.concatenate([model[:, None, :], basis], axis=1)  # (K, P, E)
    norm = jnp.sqrt(jnp.einsum("kpe,ke->kp", cols * cols, weight))
    norm = jnp.where(norm > 0, norm, 1.0)
    cols = cols / norm[..., None]
    gram = jnp.einsum("kpe,kqe,ke->kpq", cols, cols, weight) + 1e-6 * jnp.eye(cols.shape[1], dtype=cols.dtype)
    chol = cholesky_small(gram)
    coef = cho_solve_small(chol, jnp.einsum("kpe,ke->kp", cols, weight * data))
    return _Design(cols, norm, weight, chol, coef)


def solve_nuisance(model: jax.Array, data: jax.Array, mask: jax.Array, noise: jax.Array | None = None,
                   basis: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
    """Per-EDC amplitude a_k and background coefficients c_kj minimising Σ_ω mask (I − a m − Σ_j c_j B_j)² / σ².

    A weighted linear least-squares problem per EDC with the 1 + B columns
    (m_k, B_k1, …), solved through its (K, 1+B, 1+B) normal equations after
    scaling every column to unit weighted norm (so that intensities of any
    size keep float32 precision); a ridge of 1e-6 on the scaled diagonal keeps
    a degenerate EDC (a model curve ≡ 0) finite.

    Parameters
    ----------
    model, data : arrays, shape (K, E)
    mask : array, shape (E,), 0/1 (the energy window)
    noise : array, shape (K, E) or broadcastable, optional
        σ of each point (intensity units); default 1 (unweighted).
    basis : array, shape (K, B, E), optional
        Background functions of each EDC; default one constant (B = 1).

    Returns
    -------
    a : array, shape (K,)
    c : array, shape (K, B) — the background coefficients (c[:, 0] is b_k for the default basis)
    """
    d = _design(model, data, mask, noise, basis)
    coef = d.coef / d.norm
    return coef[:, 0], coef[:, 1:]


@jax.custom_jvp
def projected_fit(model: jax.Array, data: jax.Array, mask: jax.Array, noise: jax.Array,
                  basis: jax.Array) -> jax.Array:
    """The fitted intensity a_k m_k + Σ_j c_kj B_kj with the nuisances of :func:`solve_nuisance`, shape (K, E).

    Its derivative with respect to ``model`` is Kaufman's variable-projection
    Jacobian (L. Kaufman, BIT 15, 49 (1975)): with X_k = [m_k, B_k] and the
    W-orthogonal projector P⊥ = 1 − X(XᵀWX)⁻¹XᵀW (W = mask/σ²),

        d(fitted) = a_k dm_k − X_k γ_k,   γ_k = (XᵀWX)⁻¹ XᵀW (a_k dm_k),

    i.e. the residual's derivative −√W P⊥(a dm), dropping Golub and Pereyra's
    second term (proportional to the residual). Why by hand: the automatic
    derivative of the solve costs about three times the model's own Jacobian
    (every tangent re-forms and re-solves the normal equations), while this
    one is two (K, P, E) contractions per tangent with the primal Cholesky
    factor. Kaufman's JᵀJ is the Schur complement of the full Gauss–Newton
    matrix over (θ, a, c), i.e. the curvature with the linear nuisances
    integrated out, which is what the Laplace evidence wants. The data,
    mask, noise and basis are constants of the fit: their tangents are not
    propagated.
    """
    d = _design(model, data, mask, noise, basis)
    return jnp.einsum("kp,kpe->ke", d.coef, d.cols)


@projected_fit.defjvp
def _projected_fit_jvp(primals: tuple, tangents: tuple) -> tuple[jax.Array, jax.Array]:
    model, data, mask, noise, basis = primals
    dmodel = tangents[0]
    d = _design(model, data, mask, noise, basis)
    fitted = jnp.einsum("kp,kpe->ke", d.coef, d.cols)
    a = d.coef[:, 0] / d.norm[:, 0]
    t = a[:, None] * dmodel
    gamma = cho_solve_small(d.chol, jnp.einsum("kpe,ke->kp", d.cols, d.weight * t))
    return fitted, t - jnp.einsum("kp,kpe->ke", gamma, d.cols)


class _SmoothDesign(NamedTuple):
    """Pieces of the closed-form solve with a_k = Σ_m L_km α_m (:func:`projected_fit_smooth`)."""

    weight: jax.Array  # (K, E) mask / σ²
    bcols: jax.Array  # (K, B, E) background rows / norm
    bchol: jax.Array  # (K, B, B) Cholesky factor of the scaled background Gram matrix of each EDC
    cols: jax.Array  # (K, M, E) the amplitude columns L_km m⊥_k (background projected out) / norm
    chol: jax.Array  # (M, M) Cholesky factor of their scaled Gram matrix
    alpha: jax.Array  # (M,) the amplitude coefficients in scaled units
    a: jax.Array  # (K,) the amplitudes a_k = Σ_m L_km α_m in data units


def _background_perp(v: jax.Array, bcols: jax.Array, bchol: jax.Array, weight: jax.Array) -> jax.Array:
    """The (K, E) curves v with each EDC's background part removed: v − B_k (B_kᵀWB_k)⁻¹ B_kᵀW v."""
    g = cho_solve_small(bchol, jnp.einsum("kbe,ke->kb", bcols, weight * v))
    return v - jnp.einsum("kb,kbe->ke", g, bcols)


def _smooth_design(model: jax.Array, data: jax.Array, mask: jax.Array, noise: jax.Array, basis: jax.Array,
                   amp: jax.Array) -> _SmoothDesign:
    weight = jnp.broadcast_to(mask[None, :] / noise**2, data.shape)
    bnorm = jnp.sqrt(jnp.einsum("kbe,ke->kb", basis * basis, weight))
    bcols = basis / jnp.where(bnorm > 0, bnorm, 1.0)[..., None]
    eye_b = jnp.eye(basis.shape[1], dtype=basis.dtype)
    bchol = cholesky_small(jnp.einsum("kpe,kqe,ke->kpq", bcols, bcols, weight) + 1e-6 * eye_b)
    cols = amp[:, :, None] * _background_perp(model, bcols, bchol, weight)[:, None, :]
    norm = jnp.sqrt(jnp.einsum("kme,kme,ke->m", cols, cols, weight))
    norm = jnp.where(norm > 0, norm, 1.0)
    cols = cols / norm[None, :, None]
    gram = jnp.einsum("kme,kne,ke->mn", cols, cols, weight) + 1e-6 * jnp.eye(amp.shape[1], dtype=cols.dtype)
    chol = cholesky_small(gram)
    alpha = cho_solve_small(chol, jnp.einsum("kme,ke->m", cols, weight * data))
    return _SmoothDesign(weight, bcols, bchol, cols, chol, alpha, amp @ (alpha / norm))


@jax.custom_jvp
def projected_fit_smooth(model: jax.Array, data: jax.Array, mask: jax.Array, noise: jax.Array, basis: jax.Array,
                         amp: jax.Array) -> jax.Array:
    """The fitted intensity a_k m_k + Σ_j c_kj B_kj with a_k = Σ_m L_km α_m smooth in k, shape (K, E).

    ``amp`` is the (K, M) basis L of :func:`arpes_sigma.fitting.problem.amplitude_basis`.
    The α are shared by all EDCs while each EDC keeps its own background
    coefficients c_k, so the weighted least-squares problem couples the EDCs;
    it is solved by first removing each EDC's background part (the
    W-orthogonal projector P⊥_B,k = 1 − B_k(B_kᵀWB_k)⁻¹B_kᵀW), which leaves one
    small M × M system for α with the columns L_km P⊥_B,k m_k:

        fitted = P_B I + Σ_m α_m L_km P⊥_B m_k,   α = S⁻¹ Σ_k L_k (P⊥_B m_k)ᵀ W I_k.

    The derivative is Kaufman's, as in :func:`projected_fit`: with
    t_k = a_k dm_k, d(fitted) = P⊥_X t = P⊥_B t − Σ_m γ_m L_km P⊥_B m_k,
    γ = S⁻¹ Σ_k L_k (P⊥_B m_k)ᵀ W P⊥_B t_k (span X = span B ⊕ span P⊥_B L⊗m,
    W-orthogonally).
    """
    d = _smooth_design(model, data, mask, noise, basis, amp)
    return data - _background_perp(data, d.bcols, d.bchol, d.weight) + jnp.einsum("m,kme->ke", d.alpha, d.cols)


@projected_fit_smooth.defjvp
def _projected_fit_smooth_jvp(primals: tuple, tangents: tuple) -> tuple[jax.Array, jax.Array]:
    model, data, mask, noise, basis, amp = primals
    d = _smooth_design(model, data, mask, noise, basis, amp)
    fitted = data - _background_perp(data, d.bcols, d.bchol, d.weight) + jnp.einsum("m,kme->ke", d.alpha, d.cols)
    t = _background_perp(d.a[:, None] * tangents[0], d.bcols, d.bchol, d.weight)
    gamma = cho_solve_small(d.chol, jnp.einsum("kme,ke->m", d.cols, d.weight * t))
    return fitted, t - jnp.einsum("m,kme->ke", gamma, d.cols)


def cholesky_small(gram: jax.Array) -> jax.Array:
    """Lower Cholesky factors of a batch of small symmetric positive definite matrices (..., P, P), unrolled.

    Written out (rather than ``jnp.linalg.cholesky``) because the matrices are
    tiny (1 + B ≤ 4 columns, one per EDC) and batched over EDCs and
    restarts: XLA's batched factorisations on CPU pay a per-matrix cost that
    the unrolled form (a few fused element-wise operations; the loops run at
    trace time over the static size) does not.
    """
    p = gram.shape[-1]
    low: list[list[Any]] = [[jnp.zeros_like(gram[..., 0, 0])] * p for _ in range(p)]
    for i in range(p):
        for j in range(i + 1):
            s = gram[..., i, j]
            for m in range(j):
                s = s - low[i][m] * low[j][m]
            low[i][j] = jnp.sqrt(s) if i == j else s / low[j][j]
    return jnp.stack([jnp.stack(row, axis=-1) for row in low], axis=-2)


def cho_solve_small(chol: jax.Array, rhs: jax.Array) -> jax.Array:
    """Solve (L Lᵀ) x = rhs with the factors L of :func:`cholesky_small`; rhs has shape (..., P)."""
    p = chol.shape[-1]
    y: list[Any] = []
    for i in range(p):
        v = rhs[..., i]
        for m in range(i):
            v = v - chol[..., i, m] * y[m]
        y.append(v / chol[..., i, i])
    x: list[Any] = [None] * p
    for i in reversed(range(p)):
        v = y[i]
        for m in range(i + 1, p):
            v = v - chol[..., m, i] * x[m]
        x[i] = v / chol[..., i, i]
    return jnp.stack(x, axis=-1)


def band_energies(params: Params, problem: Problem, settings: Settings) -> jax.Array:
    """The bare band of the fit, ε_k = ε_given + q δ(k), shape (K,), eV.

    q = ``settings.band``; δ is :func:`arpes_sigma.model.band_correction`.
    """
    return problem.eps + band_correction(params, problem.k_scaled, settings.band).astype(problem.eps.dtype)


def curves_of(eps: jax.Array, s11: jax.Array, s22: jax.Array, w: jax.Array, problem: Problem,
              settings: Settings) -> jax.Array:
    """[A f] ⊛ Gauss of every EDC on the measured energies, shape (K, E), from self-energies on the model grid.

    ``eps`` (K,) eV; ``s11``, ``s22``, ``w`` (G,) complex eV on ``problem.grid``: the problem's
    instrument (temperature, resolution, grid layout, per-EDC energy offsets) applied to any self-energy
    (the model's, the Norman baseline's, or one changed locally for the detectable changes).
    """
    return observed(problem.grid, problem.omega, eps, s11, s22, w, settings.temperature, settings.resolution,
                    problem.layout, problem.energy_offset)


def model_curves(
    params: Params, spec: ModelSpec, problem: Problem, settings: Settings, pairing: jax.Array | float = 1.0
) -> jax.Array:
    """Model spectrum [A f] ⊛ Gauss of every EDC on the measured energies, shape (K, E)."""
    return curves_of(band_energies(params, problem, settings), *self_energy(params, spec, problem.grid, pairing),
                     problem, settings)


def data_fit(curves: jax.Array, problem: Problem, settings: Settings) -> DataFit:
    """Residuals and χ² over the window of model ``curves`` (K, E); a_k and the background solved in closed form."""
    mask = settings.mask
    basis = problem.background * settings.background_rows[None, :, None]
    if problem.amplitude is None:
        fitted = projected_fit(curves, problem.intensity, mask, problem.noise, basis)
    else:
        fitted = projected_fit_smooth(curves, problem.intensity, mask, problem.noise, basis, problem.amplitude)
    r = (problem.intensity - fitted) / problem.noise * mask[None, :]
    return DataFit(r, jnp.sum(r * r), fitted)


def n_points(problem: Problem, settings: Settings) -> jax.Array:
    """Data points in the window (all EDCs)."""
    return jnp.sum(settings.mask) * problem.intensity.shape[0]


def band_prior_residuals(params: Params) -> jax.Array:
    """d_j / BAND_PRIOR_WIDTH for the three band coefficients (the ``band`` prior of the module docstring)."""
    return band_coefficients(params) / BAND_PRIOR_WIDTH


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
        "band": band_prior_residuals(params),
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


def reduced_chi2(chi2: Any, mask: Any, n_k: int, n_params: Any, n_linear: int) -> Any:
    """χ² / (N − p): N = points in the window over all K EDCs, p = model parameters + the linear nuisances.

    Parameters
    ----------
    chi2 : float or array
    mask : (E,) the window mask
    n_k : int, number of EDCs
    n_params : float or array, effective free parameters of the self-energy model
    n_linear : int
        Linear nuisances of the whole cut (:attr:`ProblemInfo.n_linear`): the
        amplitudes (K free, or 3 smooth in k) and one background coefficient
        per function and EDC (2K for a constant background, 3K with Shirley's).
    """
    n = float(np.sum(np.asarray(mask))) * n_k
    return np.asarray(chi2) / np.maximum(n - np.asarray(n_params) - n_linear, 1.0)
