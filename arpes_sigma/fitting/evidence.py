"""How sure a fit is, and whether the data need pairing: the Laplace approximation at the optimum.

With the objective ½‖r(θ)‖² = ½χ² + ½‖r_prior‖² (:mod:`arpes_sigma.fitting.loss`),
the Gauss–Newton matrix H = JᵀJ (J = ∂r/∂θ, forward-mode autodiff) is the
Hessian of −log posterior at the optimum θ*. The data part of J is Kaufman's
variable-projection Jacobian (:func:`arpes_sigma.fitting.loss.projected_fit`),
so JᵀJ is the curvature in θ with the linear nuisances a_k, c_k integrated
out (the Schur complement of the full Gauss–Newton matrix), and (MacKay, Neural Comput. 4,
415 (1992); Bishop, *Pattern Recognition and Machine Learning*, §4.4)

    log Z ≈ −½‖r(θ*)‖² + (P/2) log 2π − ½ log det H + log N_prior,
    cov(θ) ≈ H⁻¹,    p_eff = tr(H_data H⁻¹)

(p_eff: the number of parameters the data determine, used for an honest χ²_red).
Constants shared by every model compared here — the Gaussian likelihood's
normalisation and the normalisation of the priors every model has — are
dropped; only the proper priors of the pairing parameters (the coherence logits
φ_l and the static gap Δ0) and of the band coefficients d_j
(:func:`arpes_sigma.model.band_correction`) contribute their normalisation. The
band coefficients are in both models, so they drop out of the comparison; with
the band fixed they see only their prior, and (as for the pairing parameters of
the normal-only model, below) their three terms cancel exactly — so a fit with a
fixed band has the evidence it had before the band could be learned, and with a
learned band P counts the three coefficients honestly. The normal-only model
is the same parameters with the pairing switch off: its pairing parameters see
only their prior, and for them the three terms cancel exactly, so one formula
gives the nested models' evidences and

    pairing_evidence = log Z(paired) − log Z(normal-only)

(natural-log units; > 0 favours pairing), each model's best restart.

If the best paired fit has χ²_red > 1 (noise under-estimated or a model that
does not quite describe the data) the noise variance is scaled up by that
factor before the evidences are compared, so a misfit is not read as evidence
for extra structure. Statistical errors of Σ11, W and Σ_tot come from cov(θ)
by linearisation (the delta method), with the same noise scale.

Where the data determine Σ11 and W: the detectable changes
-----------------------------------------------------------
``*_std`` is the error *within the model*, and a rigid model makes it small
where the data say nothing: a static gap fixes W at −300 meV to ±3 meV through
W(0), while a change of W there of hundreds of meV leaves the spectrum as it
is. So the result also carries, per measured energy ω_j, the smallest local
change of each curve the spectrum would show. A causal change of half width η
(:func:`bump_width`: the resolution's HWHM) is added to the fitted W,

    δW = c_W [η/(ω − |ω_j| + iη) − η/(ω + |ω_j| + iη)],   |Im δW(ω_j)| ≈ c_W,

(the odd spectral density of an anomalous self-energy, W(−ω) = W(ω)*), and to
the fitted Σ11, δΣ11 = c_11 η/(ω − ω_j + iη) with its hole partner
δΣ22(ω) = −δΣ11(−ω)*, both at once. The detectable change of W at ω_j is the
standard deviation of c_W from the Fisher information of the data with c_11
and every parameter of the fit free to make up for it — the Schur complement
of [J_θ J_c]ᵀ[J_θ J_c] + priors, whose θθ block has the inverse cov(θ) — in
the fit's noise scale; likewise for Σ11. It bounds how well any model flexible
enough to change the curve there could fix it (the marginalised Cramér–Rao
bound: Kay, *Fundamentals of Statistical Signal Processing: Estimation
Theory*, §3.7; resolution analysis in the sense of Backus and Gilbert,
Geophys. J. R. Astron. Soc. 16, 169 (1968)). Where it exceeds the curve
itself, the curve is set by the model and its priors, not by the data.
Defined inside the fit window; for W only at |ω_j| ≥ η (a change centred at
E_F vanishes); NaN elsewhere.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from ..model import BAND_PRIOR_WIDTH, ENERGY_SCALE, ModelSpec, Params, self_energy
from ..physics import quasiparticle_band, sigma_total
from .aot import LIGHT, Program
from .loss import band_energies, curves_of, data_fit, residuals
from .problem import Problem, Settings

__all__ = ["SUPPORT_THRESHOLD", "Laplace", "laplace", "self_energy_std"]

#: Columns of the detectable changes' Jacobian computed together (memory against loop overhead).
_COLUMNS_AT_ONCE = 32
#: pairing_supported = 1 when pairing_evidence exceeds this (natural-log units):
#: a Bayes factor of e³ ≈ 20 : 1, "strong" on the scale of Kass and Raftery,
#: J. Am. Stat. Assoc. 90, 773 (1995) (2 ln B > 6).
SUPPORT_THRESHOLD = 3.0


class Laplace(NamedTuple):
    """The Laplace approximation of one restart (leading axis R when batched).

    Attributes
    ----------
    log_evidence : () nats, up to constants shared by all models (module docstring)
    p_eff : () effective number of parameters determined by the data
    logdet : () log det H
    cov : (P, P) H⁻¹ in stored parameter units
    ok : () bool — H was positive definite and everything finite
    """

    log_evidence: jax.Array
    p_eff: jax.Array
    logdet: jax.Array
    cov: jax.Array
    ok: jax.Array


def _split_jacobian(flat: jax.Array, unravel: Any, pairing: jax.Array | float, spec: ModelSpec,
                    problem: Problem, settings: Settings) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """The residual vector at ``flat`` and its Jacobian, each split into data and prior rows: (rd, rp, jd, jp)."""
    n_data = problem.intensity.size

    def r_flat(theta: jax.Array) -> jax.Array:
        return residuals(unravel(theta), spec, problem, settings, pairing)[0]

    r = r_flat(flat)
    jac = jax.jacfwd(r_flat)(flat)
    return r[:n_data], r[n_data:], jac[:n_data], jac[n_data:]


def _laplace_one(params: Params, pairing: jax.Array, noise_scale: jax.Array, spec: ModelSpec,
                 problem: Problem, settings: Settings) -> Laplace:
    flat, unravel = ravel_pytree(params)
    rd, rp, jd, jp = _split_jacobian(flat, unravel, pairing, spec, problem, settings)
    h_data = jd.T @ jd / noise_scale
    h = h_data + jp.T @ jp
    chol = jnp.linalg.cholesky(h)
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diag(chol)))
    eye = jnp.eye(h.shape[0], dtype=h.dtype)
    cov = jax.scipy.linalg.cho_solve((chol, True), eye)
    p_eff = jnp.trace(h_data @ cov)
    n_par = flat.size
    # proper priors of the pairing parameters: φ_l ~ N(0, s²) and Δ0 ~ N(0, s_Δ²) in stored units
    s_gap = settings.gap_scale / ENERGY_SCALE
    # and of the band coefficients, d_j ≈ ENERGY_SCALE·b_j ~ N(0, BAND_PRIOR_WIDTH²) near b = 0
    s_band = BAND_PRIOR_WIDTH / ENERGY_SCALE
    log_norm = -0.5 * (params["coherence_raw"].size * jnp.log(2 * jnp.pi * settings.pairing_scale**2)
                       + jnp.log(2 * jnp.pi * s_gap**2) + params["band"].size * jnp.log(2 * jnp.pi * s_band**2))
    log_z = (-0.5 * (jnp.sum(rd * rd) / noise_scale + jnp.sum(rp * rp)) + 0.5 * n_par * jnp.log(2 * jnp.pi)
             - 0.5 * logdet + log_norm)
    ok = jnp.isfinite(log_z) & jnp.all(jnp.isfinite(cov))
    return Laplace(log_z, p_eff, logdet, cov, ok)


@functools.lru_cache(maxsize=32)
def _compiled(spec: ModelSpec) -> Any:
    fn = functools.partial(_laplace_one, spec=spec)
    return Program(jax.jit(jax.vmap(lambda p, a, c, prob, st: fn(p, a, c, problem=prob, settings=st),
                                    in_axes=(0, 0, None, None, None))), "evidence.laplace", spec, LIGHT)


def laplace(params: Params, pairing: jax.Array, noise_scale: float, spec: ModelSpec,
            problem: Problem, settings: Settings, *, compile_only: bool = False) -> Laplace | None:
    """The Laplace approximation of every restart (params and pairing with a leading axis R).

    With ``compile_only`` the program for these arguments' shapes is made
    ready and nothing runs (None is returned).
    """
    program, args = _compiled(spec), (params, pairing, np.float32(noise_scale), problem, settings)
    if compile_only:
        return program.compile(*args)
    return program(*args)


def _self_energy_parts(theta: jax.Array, unravel: Any, spec: ModelSpec, problem: Problem,
                       settings: Settings) -> jax.Array:
    params = unravel(theta)
    s11, s22, w = self_energy(params, spec, problem.omega)
    eps = band_energies(params, problem, settings)
    tot = sigma_total(problem.omega, eps[:, None], s11, s22, w)
    band = quasiparticle_band(problem.omega, eps, s11)[0]
    return jnp.concatenate([s11.real, s11.imag, w.real, w.imag, tot.real.ravel(), tot.imag.ravel(), eps, band])


def bump_width(problem: Problem, settings: Settings) -> jax.Array:
    """Half width η (eV) of the local changes behind the detectable changes (module docstring).

    The resolution's HWHM, at least one grid step: a change narrower than the
    resolution is not a feature the spectrum can show.
    """
    return jnp.maximum(0.5 * settings.resolution, problem.grid[1] - problem.grid[0])


def _bumps(problem: Problem, settings: Settings) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Causal unit changes centred on each measured energy ω_j, on the model grid: (δΣ11, δΣ22, δW), each (G, E).

    δΣ11 = η/(ω − ω_j + iη) is a pole at ω_j with −Im δΣ11(ω_j) = 1; δΣ22(ω) =
    −δΣ11(−ω)* is its hole partner (the model's particle–hole relation); δW =
    η/(ω − |ω_j| + iη) − η/(ω + |ω_j| + iη) has the odd spectral density of an
    anomalous self-energy (W(−ω) = W(ω)*) and |Im δW| ≈ 1 at ±ω_j for |ω_j| ≫ η.
    """
    eta = bump_width(problem, settings)
    z = problem.grid[:, None] + 1j * eta
    w = problem.omega[None, :]
    x = jnp.abs(w)
    return eta / (z - w), eta / (z + w), eta / (z - x) - eta / (z + x)


def _detectable(theta: jax.Array, unravel: Any, cov: jax.Array, noise_scale: jax.Array, spec: ModelSpec,
                problem: Problem, settings: Settings) -> jax.Array:
    """(2, E) eV: the detectable change of W (row 0) and of Σ11 (row 1) at each measured energy.

    See the module docstring; NaN outside the window, and for W within η of E_F.
    """
    b11, b22, bw = _bumps(problem, settings)

    def r_data(t: jax.Array, c11: jax.Array, cw: jax.Array) -> jax.Array:
        params = unravel(t)
        s11, s22, w = self_energy(params, spec, problem.grid, 1.0)
        curves = curves_of(band_energies(params, problem, settings), s11 + b11 @ c11, s22 + b22 @ c11,
                           w + bw @ cw, problem, settings)
        return data_fit(curves, problem, settings).residual.ravel() / jnp.sqrt(noise_scale)

    e = problem.omega.shape[0]
    zero = jnp.zeros(e, theta.dtype)
    _, _, jt, jp = _split_jacobian(theta, unravel, 1.0, spec, problem, settings)
    jt = jt / jnp.sqrt(noise_scale)
    tangent = jax.linearize(lambda c11, cw: r_data(theta, c11, cw), zero, zero)[1]

    # Fisher information of the two extra coefficients at ω_j with every fit parameter marginalised: the
    # Schur complement jᵀj − jᵀJ cov Jᵀj of H = JᵀJ + priors, written as the squared length of j's part
    # outside the fit's tangent space, j − J cov Jᵀj (and its prior rows), so no large numbers cancel
    def outside(j: jax.Array) -> tuple[jax.Array, jax.Array]:
        g = cov @ (jt.T @ j)
        return j - jt @ g, -(jp @ g)

    def dot(a: tuple, b: tuple) -> jax.Array:
        return jnp.sum(a[0] * b[0]) + jnp.sum(a[1] * b[1])

    def variance(a: tuple, b: tuple) -> jax.Array:
        # 1/‖a − (a·b/b·b) b‖²: the variance of a's coefficient with b's free too (the 2 × 2 Schur
        # complement, again as a length: the two changes can be nearly parallel, Σ11 and W trading)
        k = dot(a, b) / dot(b, b)
        rest = (a[0] - k * b[0], a[1] - k * b[1])
        return 1.0 / dot(rest, rest)

    def at(unit: jax.Array) -> jax.Array:
        """(var of c_W, var of c_11) for the changes centred where ``unit`` (E,) is 1."""
        w_out, s_out = outside(tangent(zero, unit)), outside(tangent(unit, zero))
        return jnp.stack([variance(w_out, s_out), variance(s_out, w_out)])

    # a few energies at a time through one linearisation: all at once, their tangents of the whole forward
    # model would hold 2E copies of every intermediate (O(M·E) memory instead of O(M·batch))
    var = jax.lax.map(at, jnp.eye(e, dtype=theta.dtype), batch_size=_COLUMNS_AT_ONCE).T
    out = jnp.where(jnp.isfinite(var) & (var > 0), jnp.sqrt(var), jnp.inf)
    inside = settings.mask > 0
    far = jnp.abs(problem.omega) >= bump_width(problem, settings)  # δW vanishes as ω_j → 0 (odd density)
    return jnp.where(jnp.stack([inside & far, inside]), out, jnp.nan)


@functools.lru_cache(maxsize=32)
def _std_compiled(spec: ModelSpec) -> Any:
    def run(params: Params, cov: jax.Array, noise_scale: jax.Array, problem: Problem,
            settings: Settings) -> tuple[jax.Array, jax.Array]:
        flat, unravel = ravel_pytree(params)
        jac = jax.jacfwd(lambda t: _self_energy_parts(t, unravel, spec, problem, settings))(flat)
        std = jnp.sqrt(jnp.maximum(jnp.einsum("ip,pq,iq->i", jac, cov, jac), 0.0))
        return std, _detectable(flat, unravel, cov, noise_scale, spec, problem, settings)

    return Program(jax.jit(run), "evidence.self_energy_std", spec, LIGHT)


def self_energy_std(params: Params, cov: jax.Array, spec: ModelSpec, problem: Problem,
                    settings: Settings, noise_scale: float = 1.0, *,
                    compile_only: bool = False) -> dict[str, np.ndarray] | None:
    """Statistical standard deviations by linearisation (the delta method), and the detectable changes.

    ``params`` is one restart's parameter pytree (the paired model) and
    ``cov`` its H⁻¹ with the noise variance scaled by ``noise_scale``; Σ_tot
    uses the fit's bare band (learned when ``settings.band`` is 1).

    Returns
    -------
    dict
        ``sigma_normal``, ``sigma_anomalous`` (E,) and ``sigma_total`` (K, E),
        complex (re + i·im: the errors of the real and imaginary parts), eV;
        ``eps_k`` (K,) real, eV — zero when the band is fixed; ``quasiparticle_band`` (K,)
        real, eV — the error of E*_k = Z (ε_k + Re Σ11(0))
        (:func:`~arpes_sigma.physics.quasiparticle_band`);
        ``sigma_normal_detectable``, ``sigma_anomalous_detectable`` (E,) real, eV — the
        detectable changes (module docstring). None with ``compile_only``: the program for
        these shapes is made ready, nothing runs.
    """
    program = _std_compiled(spec)
    args = (params, cov, np.float64(noise_scale), problem, settings)
    if compile_only:  # make the program for these shapes ready; nothing runs
        return program.compile(*args)
    flat, detect = (np.asarray(a) for a in program(*args))
    e = int(problem.omega.shape[0])
    k = int(problem.eps.shape[0])
    s11 = flat[:e] + 1j * flat[e:2 * e]
    w = flat[2 * e:3 * e] + 1j * flat[3 * e:4 * e]
    tot = flat[4 * e:4 * e + k * e].reshape(k, e) + 1j * flat[4 * e + k * e:4 * e + 2 * k * e].reshape(k, e)
    band = flat[4 * e + 2 * k * e:]
    return {"sigma_normal": s11, "sigma_anomalous": w, "sigma_total": tot, "eps_k": band[:k],
            "quasiparticle_band": band[k:], "sigma_anomalous_detectable": detect[0],
            "sigma_normal_detectable": detect[1]}

