"""a_k smooth in k (``FitConfig.amplitude = "smooth"``): the joint closed-form solve and its derivative.

Checked against code paths it does not share: a dense least-squares solve of
the whole (K·E) × (M + K·B) design in float64 NumPy, the per-EDC solve of the
free amplitudes (:func:`projected_fit`) when the basis is the identity, and
JAX's own derivative of a dense solve where Kaufman's derivative is exact
(data the design reproduces exactly).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from arpes_sigma import FitConfig
from arpes_sigma.errors import ConfigError
from arpes_sigma.fitting.loss import projected_fit, projected_fit_smooth, reduced_chi2
from arpes_sigma.fitting.problem import amplitude_basis, scaled_momentum

#: The solves add a ridge of 1e-6 to the unit-scaled Gram matrices (loss.py), which moves the
#: solution by ~1e-6 × the condition number (constant and Shirley-like columns are close): ~2e-5 here.
TOL = {"rtol": 1e-4, "atol": 1e-4}


@pytest.fixture
def x64():
    """The closed-form checks compare at float64 precision (the fits below run in JAX's default float32)."""
    with jax.enable_x64(True):
        yield


def _case(seed=0, k=7, e=60, exact=False):
    rng = np.random.default_rng(seed)
    omega = np.linspace(-0.3, 0.05, e)
    model = np.exp(-0.5 * ((omega[None, :] - rng.uniform(-0.2, -0.02, (k, 1))) / 0.04) ** 2) + 0.1
    shirley_like = np.cumsum(model[:, ::-1], axis=1)[:, ::-1] / e
    basis = np.stack([np.ones((k, e)), shirley_like], axis=1)
    amp = amplitude_basis(scaled_momentum(np.linspace(-0.1, 0.1, k)), "smooth")
    a = amp @ np.array([2.0, 0.5, -0.3])
    clean = a[:, None] * model + np.einsum("kb,kbe->ke", rng.uniform(0.1, 0.3, (k, 2)), basis)
    noise = 0.02 + 0.01 * rng.random((k, e))
    data = clean if exact else clean + noise * rng.normal(size=(k, e))
    mask = ((omega > -0.25) & (omega < 0.03)).astype(float)
    return model, data, mask, noise, basis, amp


def _dense(model, data, mask, noise, basis, amp):
    """Weighted least squares of the whole cut at once: columns L_km m_k (shared α) and B_kj (own c_k)."""
    k, b, e = basis.shape
    x = np.zeros((k * e, amp.shape[1] + k * b))
    for i in range(k):
        rows = slice(i * e, (i + 1) * e)
        x[rows, : amp.shape[1]] = amp[i][None, :] * model[i][:, None]
        x[rows, amp.shape[1] + i * b: amp.shape[1] + (i + 1) * b] = basis[i].T
    w = np.sqrt((mask[None, :] / noise**2).ravel())
    coef = np.linalg.lstsq(x * w[:, None], data.ravel() * w, rcond=None)[0]
    return (x @ coef).reshape(k, e), amp @ coef[: amp.shape[1]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smooth_solve_matches_a_dense_least_squares(seed, x64):
    args = _case(seed)
    fitted = np.asarray(projected_fit_smooth(*map(jnp.asarray, args)))
    dense, _ = _dense(*args)
    mask = args[2].astype(bool)
    np.testing.assert_allclose(fitted[:, mask], dense[:, mask], **TOL)


def test_identity_basis_is_the_free_amplitude_solve(x64):
    model, data, mask, noise, basis, _ = _case(3)
    eye = np.eye(model.shape[0])
    smooth = projected_fit_smooth(*map(jnp.asarray, (model, data, mask, noise, basis, eye)))
    free = projected_fit(*map(jnp.asarray, (model, data, mask, noise, basis)))
    np.testing.assert_allclose(np.asarray(smooth)[:, mask > 0], np.asarray(free)[:, mask > 0], **TOL)
    tangent = jnp.asarray(np.random.default_rng(4).normal(size=model.shape))
    consts = tuple(map(jnp.asarray, (data, mask, noise, basis)))
    m0 = jnp.asarray(model)
    _, d_smooth = jax.jvp(lambda m: projected_fit_smooth(m, *consts, jnp.asarray(eye)), (m0,), (tangent,))
    _, d_free = jax.jvp(lambda m: projected_fit(m, *consts), (m0,), (tangent,))
    np.testing.assert_allclose(np.asarray(d_smooth)[:, mask > 0], np.asarray(d_free)[:, mask > 0], **TOL)


def test_kaufman_derivative_is_exact_for_data_the_design_reproduces(x64):
    model, data, mask, noise, basis, amp = map(jnp.asarray, _case(5, exact=True))

    def dense_fit(m):  # a plain weighted solve that JAX differentiates itself
        k, b, e = basis.shape
        cols = jnp.concatenate([amp[:, :, None] * m[:, None, :],
                                jnp.einsum("kbe,kj->kbje", basis, jnp.eye(k)).reshape(k, b * k, e)], axis=1)
        x = jnp.transpose(cols, (0, 2, 1)).reshape(k * e, -1)
        w = jnp.sqrt((mask[None, :] / noise**2).ravel())
        coef = jnp.linalg.lstsq(x * w[:, None], data.ravel() * w)[0]
        return (x @ coef).reshape(k, e)

    tangent = jnp.asarray(np.random.default_rng(6).normal(size=model.shape))
    _, d_ours = jax.jvp(lambda m: projected_fit_smooth(m, data, mask, noise, basis, amp), (model,), (tangent,))
    _, d_auto = jax.jvp(dense_fit, (model,), (tangent,))
    sel = np.asarray(mask) > 0
    np.testing.assert_allclose(np.asarray(d_ours)[:, sel], np.asarray(d_auto)[:, sel], **TOL)


def test_basis_and_counts():
    x = scaled_momentum(np.linspace(0.2, 0.4, 9))
    basis = amplitude_basis(x, "smooth")
    assert basis.shape == (9, 3) and amplitude_basis(x, "free") is None
    np.testing.assert_allclose(basis[:, 0], 1.0)
    np.testing.assert_allclose(basis[:, 2], 1.5 * x**2 - 0.5)
    assert amplitude_basis(x[:2], "smooth").shape == (2, 2)  # a quadratic through 2 EDCs is no constraint
    mask = np.ones(100)
    assert reduced_chi2(940.0, mask, 10, 60.0, 3 + 20) == pytest.approx(940.0 / (1000 - 60 - 23))
    with pytest.raises(ConfigError, match="amplitude='linear' is unknown"):
        FitConfig(amplitude="linear")


def _cut_with_amplitudes(spread):
    """The continuum truth through the NumPy reference path; spread 0: smooth matrix elements
    a(k) = 1 + 0.3x − 0.2x² applied afterwards (noise scaled with them), else random a_k = 1 ± spread."""
    from arpes_sigma.synthetic.families import family_truth
    from arpes_sigma.synthetic.reference import reference_spectrum

    data, _ = reference_spectrum(family_truth("continuum"), seed=0, amplitude_spread=spread)
    if spread:
        return data
    x = np.linspace(-1, 1, data.sizes["k"])
    a = (1 + 0.3 * x - 0.2 * x**2)[:, None]
    sigma = float(data.attrs.pop("noise_sigma"))
    return (data * a).assign_coords(noise_sigma=(("k", "eV"), np.broadcast_to(sigma * a, data.shape).copy()))


@pytest.mark.parametrize("spread", [0.0, 0.2], ids=["smooth-truth", "random-truth"])
def test_smooth_amplitude_fit_describes_only_smooth_matrix_elements(spread):
    from arpes_sigma import fit

    result = fit(_cut_with_amplitudes(spread), FitConfig(amplitude="smooth", restarts=2))
    if spread == 0.0:
        assert result.describes_data and result.chi2_reduced < 1.1, result.chi2_reduced
        assert result.pairing_supported == 1
    else:  # a_k scattered by ±20 % from EDC to EDC: a quadratic cannot follow, and the result says so
        assert not result.describes_data and result.chi2_reduced > 1.5, result.chi2_reduced
