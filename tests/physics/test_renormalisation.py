"""The renormalised band E*_k = Z (ε_k + Re Σ11(0)) (:mod:`arpes_sigma.physics.renormalisation`)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from arpes_sigma.physics import quasiparticle_band, spectral_function

OMEGA = np.linspace(-0.25, 0.05, 151)  # 2 meV steps, 0 on the grid (the first test moves it off)
EPS = np.linspace(-0.15, 0.03, 7)


def test_linear_self_energy_gives_the_textbook_pole():
    # Σ11 = c − λω − iΓ: G11⁻¹ = (1 + λ)ω − ε − c + iΓ, a pole at (ε + c)/(1 + λ), Z = 1/(1 + λ)
    lam, c = 1.5, -0.04
    omega = OMEGA + 0.001  # 0 falls between two grid points
    band, z = quasiparticle_band(omega, EPS, c - lam * omega - 0.05j)
    np.testing.assert_allclose(z, 1 / (1 + lam), rtol=1e-12)
    np.testing.assert_allclose(band, (EPS + c) / (1 + lam), atol=1e-12)


def test_unchanged_by_the_shift_a_learned_band_cannot_see():
    # ε_k → ε_k + δ with Σ11 → Σ11 − δ leaves G11, hence the spectrum, unchanged: E*_k must not move
    sigma = -0.3 * np.tanh(OMEGA / 0.05) - 1j * (0.02 + OMEGA**2)
    band, z = quasiparticle_band(OMEGA, EPS, sigma)
    shifted, z2 = quasiparticle_band(OMEGA, EPS + 0.03, sigma - 0.03)
    np.testing.assert_allclose(shifted, band, atol=1e-12)
    np.testing.assert_allclose(z2, z, rtol=1e-12)
    # a nonlinear Σ11: Z from its slope at 0 (−0.3/0.05 = −6 → Z = 1/7), not from a chord
    np.testing.assert_allclose(z, 1 / 7, rtol=2e-3)


def test_numpy_and_jax_arrays_give_the_same_band():
    sigma = -0.3 * np.tanh(OMEGA / 0.05) - 0.02j
    band, z = quasiparticle_band(OMEGA, EPS, sigma)
    band_j, z_j = quasiparticle_band(jnp.asarray(OMEGA), jnp.asarray(EPS), jnp.asarray(sigma))
    assert isinstance(band, np.ndarray) and not isinstance(band_j, np.ndarray)
    np.testing.assert_allclose(np.asarray(band_j), band, atol=1e-6)
    np.testing.assert_allclose(float(z_j), z, rtol=1e-6)


def test_spectrum_and_renormalised_band_are_blind_to_an_affine_change_of_the_bare_band():
    """ε → aε + b with Σ11 → aΣ11 + (1 − a)ω − b, Σ22 → aΣ22 + (1 − a)ω + b and W → aW gives
    G11 → G11 / a in the paired state too (every denominator scales by a): the spectrum changes only by the
    amplitude a_k absorbs, so no fit of one cut fixes the bare band's shift and velocity. E*_k = Z (ε + Re Σ11(0))
    is exactly invariant (Z → Z / a): what the learned band reports as known."""
    a, b = 1.4, -0.025
    sigma11 = -0.3 * np.tanh(OMEGA / 0.05) - 1j * (0.02 + OMEGA**2)
    sigma22 = sigma11  # = −Σ11(−ω)* for this Σ11 (odd real part, even imaginary part)
    w = 0.02 / (1 - (OMEGA / 0.06 + 0.3j) ** 2)
    e, om = EPS[:, None], OMEGA[None, :]
    before = spectral_function(om, e, sigma11, sigma22, w)
    after = spectral_function(om, a * e + b, a * sigma11 + (1 - a) * OMEGA - b, a * sigma22 + (1 - a) * OMEGA + b,
                              a * w)
    scale = np.max(np.asarray(before))
    np.testing.assert_allclose(np.asarray(after) * a, np.asarray(before), atol=1e-5 * scale)  # float32 on the JAX path
    assert np.max(np.abs(np.asarray(after) - np.asarray(before))) > 0.1 * scale  # not the same curves: a_k differs
    band, z = quasiparticle_band(OMEGA, EPS, sigma11)
    band2, z2 = quasiparticle_band(OMEGA, a * EPS + b, a * sigma11 + (1 - a) * OMEGA - b)
    np.testing.assert_allclose(band2, band, atol=1e-12)
    np.testing.assert_allclose(z2, z / a, rtol=1e-12)
