"""The Norman baseline a physicist expects next to the neural answer.

Norman, Randeria, Ding and Campuzano, PRB 57, R11093 (1998):

    Σ(k, ω) = −λω − iΓ1 + Δ² / (ω + ε_k + iΓ0),   G = 1/(ω − ε_k − Σ),

four parameters shared by all EDCs: the gap Δ, the single-particle scattering
rate Γ1 ≥ 0, the pair-breaking rate Γ0 ≥ 0 (no floor) and a mass
renormalisation λ ≥ 0 (Re Σ = −λω, i.e. Z = 1/(1 + λ)). It goes through the
one forward model (:func:`arpes_sigma.physics.norman.norman_nambu`) and is
fitted with the same Levenberg–Marquardt solver, the same closed-form per-EDC
amplitude and background, the same data, window, temperature, resolution and
noise level, and as many starting points as the main fit has restarts, so its
χ²_red is an honest comparison. When the main fit learns the bare band
(``Settings.band`` = 1, :func:`arpes_sigma.model.band_correction`) so does
the Norman fit, with the same bounded quadratic correction δ(k) and the same
Gaussian prior on its three coefficients — otherwise a wrong MDC guess of ε_k
would handicap the baseline alone. The normal-only model (W ≡ 0) is not here:
it is part of every fit (:mod:`arpes_sigma.fitting.fitter`).

This module uses the Fitter; the Fitter never imports it.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from ..physics.norman import norman_nambu
from .aot import Program
from .config import FitConfig
from .engine import explicit_jacobian, levenberg_marquardt
from .fitter import Fitter
from .loss import band_energies, band_prior_residuals, curves_of, data_fit, reduced_chi2
from .problem import Problem, ProblemInfo, Settings

__all__ = ["NormanResult", "fit_baselines", "fit_norman", "norman_fit"]

#: Starting gaps Δ (eV) of the Norman fit's starting points (cycled over the restarts).
NORMAN_STARTS = (0.0, 0.01, 0.02, 0.04, 0.06, 0.08)


#: Length of the Norman parameter vector: Γ1, Δ, Γ0, λ and the three band coefficients.
N_NORMAN = 7


def _norman_params(p: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Γ1, Δ, Γ0, λ (eV, eV, eV, 1) from the unconstrained vector p (Γ1, Γ0, λ ≥ 0 by softplus)."""
    return 0.1 * jax.nn.softplus(p[0]), 0.1 * p[1], 0.1 * jax.nn.softplus(p[2]), jax.nn.softplus(p[3])


def _band(p: jax.Array) -> dict[str, jax.Array]:
    """The band-correction leaf of p in the model's parameter form (:func:`arpes_sigma.model.band_correction`)."""
    return {"band": p[4:N_NORMAN]}


def _norman_curves(p: jax.Array, problem: Problem, settings: Settings) -> jax.Array:
    g1, d, g0, lam = _norman_params(p)
    s11, s22, w = norman_nambu(g1, d, g0)
    s11 = s11 - lam * problem.grid
    s22 = s22 - lam * problem.grid  # Σ22(ω) = −Σ11(−ω)* for the real part −λω
    eps = band_energies(_band(p), problem, settings)
    return curves_of(eps, s11, s22, w, problem, settings)


def _residual(p: jax.Array, args: tuple) -> jax.Array:
    problem, settings = args
    data = data_fit(_norman_curves(p, problem, settings), problem, settings).residual.ravel()
    # the main fit's prior on the band coefficients (with the band fixed they see only this and stay at 0)
    return jnp.concatenate([data, band_prior_residuals(_band(p))])


#: The same residual, its derivative carried as one Jacobian matrix in the solver state (as the main fit's).
_residual_jac = explicit_jacobian(_residual)


@dataclasses.dataclass(frozen=True)
class NormanResult:
    """Fitted Norman parameters (eV, and λ dimensionless), its bare band and reduced χ².

    Attributes
    ----------
    gamma1, delta, gamma0 : float, eV
    renormalisation : float
        λ (Re Σ = −λω).
    chi2_reduced : float
        χ²/(N − p) with p = 4, or 7 when the band is learned.
    model_intensity : (K, E) array
    eps_k : (K,) array, eV
        The bare band it used: the data's, or learned as in the main fit.
    """

    gamma1: float
    delta: float
    gamma0: float
    renormalisation: float
    chi2_reduced: float
    model_intensity: np.ndarray
    eps_k: np.ndarray


@functools.partial(jax.jit, static_argnames="max_steps")
def _norman_run(p0: jax.Array, problem: Problem, settings: Settings, max_steps: int) -> tuple[jax.Array, ...]:
    """Every start p0 (R, N_NORMAN) fitted, and evaluated in the same program (no eager dispatch after it).

    Returns p (R, N_NORMAN), the cost Σr² with the band prior (R,), Γ1, Δ, Γ0, λ (R, 4), the data's χ² (R,),
    the fitted intensity (R, K, E) and the bare band (R, K).
    """
    solver = levenberg_marquardt()

    def one(p: jax.Array) -> tuple[jax.Array, ...]:
        p = optx.least_squares(_residual_jac, solver, p, (problem, settings), max_steps=max_steps, throw=False).value
        r = _residual(p, (problem, settings))
        fit = data_fit(_norman_curves(p, problem, settings), problem, settings)
        return (p, jnp.sum(r * r), jnp.stack(_norman_params(p)), fit.chi2, fit.fitted,
                band_energies(_band(p), problem, settings))

    return jax.vmap(one)(p0)


@functools.lru_cache(maxsize=8)
def _norman_program(max_steps: int) -> Program:
    """:func:`_norman_run` for ``max_steps`` (exported to disk when the CLI keeps compiled programs)."""
    return Program(functools.partial(_norman_run, max_steps=max_steps), "baselines.norman", (N_NORMAN, max_steps))


def fit_norman(fitter: Fitter, settings: Settings | None = None) -> NormanResult:
    """Fit the Norman model to the problem of a :class:`~arpes_sigma.fitting.fitter.Fitter`.

    ``settings`` default to the Fitter's current ones. See :func:`norman_fit`.
    """
    return norman_fit(fitter.problem, fitter.info, fitter.config,
                      fitter.settings if settings is None else settings)


def norman_fit(problem: Problem, info: ProblemInfo, config: FitConfig, settings: Settings) -> NormanResult:
    """Fit the Norman model to ``problem`` under ``settings``.

    As many starting points as ``config.restarts`` (gaps cycled over
    :data:`NORMAN_STARTS`) and the same step limit as the main fit; the best
    is kept. It needs no Fitter, so it can start on a second thread before the
    main fit's own start is compiled (:func:`arpes_sigma.fitting.pipeline.fit_with_baselines`,
    with :attr:`Fitter.final_settings`' values).
    """
    starts = [NORMAN_STARTS[i % len(NORMAN_STARTS)] for i in range(max(config.restarts, 2))]
    p0 = np.asarray([[-1.0, 10.0 * d, -2.0, -2.0, 0.0, 0.0, 0.0] for d in starts], dtype=np.float32)
    out = [np.asarray(x) for x in _norman_program(config.steps)(p0, problem, settings)]
    _, cost, physical, chi2, fitted, eps = out
    ib = int(np.nanargmin(np.where(np.isfinite(cost), cost, np.nan)))
    n_params = 4 + (N_NORMAN - 4) * float(settings.band)
    chi2r = float(reduced_chi2(chi2[ib], np.asarray(settings.mask), problem.n_k, n_params, info.n_linear))
    g1, d, g0, lam = (float(x) for x in physical[ib])
    return NormanResult(gamma1=g1, delta=abs(d), gamma0=g0, renormalisation=lam, chi2_reduced=chi2r,
                        model_intensity=fitted[ib], eps_k=eps[ib])


def fit_baselines(fitter: Fitter, settings: Settings | None = None) -> dict[str, Any]:
    """Reduced χ² of the Norman baseline on the main fit's problem: ``{"norman": ...}``.

    ``settings`` as in :func:`fit_norman`.
    """
    return {"norman": fit_norman(fitter, settings).chi2_reduced}
