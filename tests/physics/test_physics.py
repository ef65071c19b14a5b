"""Tests for arpes_sigma.physics: exact references and structural properties.

Every expected value comes from an analytic formula (Lorentzian KK pair, the
BCS spectral function, the Gaussian convolution theorem, the Fermi function);
every tolerance is stated with the reason for its size. Exactness tests run
in float64 (``jax.enable_x64``); jit/vmap tests run in JAX's default float32.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import erfc

from arpes_sigma.physics import (
    fermi,
    gaussian_matrix,
    hidden_fermion_sigma,
    kk_matrix,
    kramers_kronig,
    model_grid,
    nambu_g11,
    observe,
    sigma_total,
    spectral_function,
)
from arpes_sigma.physics.instrument import FWHM_TO_SIGMA, convolve_uniform, uniform_layout

F32_EPS = float(np.finfo(np.float32).eps)
F64_EPS = float(np.finfo(np.float64).eps)


def x64():
    """Float64 context for exactness tests (float32 rounding would hide the physics)."""
    return jax.enable_x64(True)


# Exactness tests call the library through jit: one compile per function
# instead of one per primitive (eager dispatch), which keeps the suite fast.
# jit == eager is tested separately below.
_g11 = jax.jit(nambu_g11)
_spec = jax.jit(spectral_function)
_stot = jax.jit(sigma_total)
_hfs = jax.jit(hidden_fermion_sigma)
_gm = jax.jit(gaussian_matrix)
_obs = jax.jit(observe)


# --------------------------------------------------------------------------
# Kramers–Kronig
# --------------------------------------------------------------------------

# A Lorentzian pole f(ω) = 1/(ω − ε + iη): analytic in the upper half plane.
KK_ETA, KK_EPS, KK_L = 0.2, 0.3, 20.0


def _im_lorentz(w):
    return -KK_ETA / ((w - KK_EPS) ** 2 + KK_ETA**2)


def _re_lorentz(w):
    return (w - KK_EPS) / ((w - KK_EPS) ** 2 + KK_ETA**2)


def _kk_grid(h):
    return np.linspace(-KK_L, KK_L, int(round(2 * KK_L / h)) + 1)


def _kk_interp_bound(h):
    # Piecewise-linear interpolation error of Im f is ≤ h²/8 · max|Im f''|
    # = h²/8 · 2/η³; its Hilbert transform (a smooth bump, not a log
    # singularity) has the same size. Grid truncation at ±L adds
    # ≈ 2η|ω|/(3πL³) ≈ 2e-5 for |ω| ≤ 1.3, negligible against this.
    return h**2 / (4 * KK_ETA**3)


@pytest.mark.parametrize("h", [0.04, 0.01])
def test_kk_lorentzian_on_grid(h):
    x = _kk_grid(h)
    w = x[np.abs(x - KK_EPS) <= 1.0]  # central region, exactly on grid nodes
    re = kk_matrix(x, w) @ _im_lorentz(x)
    err = np.max(np.abs(re - _re_lorentz(w)))
    assert err < _kk_interp_bound(h)


def test_kk_second_order_convergence():
    errs = []
    coarse = _kk_grid(0.04)
    w = coarse[np.abs(coarse - KK_EPS) <= 1.0]  # nodes of every (nested) grid
    for h in (0.04, 0.02, 0.01):
        x = _kk_grid(h)
        re = kk_matrix(x, w) @ _im_lorentz(x)
        errs.append(np.max(np.abs(re - _re_lorentz(w))))
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    # Second order: halving h divides the error by 4; ±0.6 allows the O(h⁴)
    # term (relative size (h/η)² ≤ 0.04) and the h-independent truncation
    # error (~1 % of the finest error).
    np.testing.assert_allclose(ratios, 4.0, atol=0.6)


def test_kk_off_grid_output():
    h = 0.01
    x = _kk_grid(h)
    # random frequencies, none on a node (checked), so the output is off-grid
    rng = np.random.default_rng(1)
    w = KK_EPS + rng.uniform(-1.0, 1.0, 60)
    frac = (w - x[0]) / h % 1.0
    assert np.all((frac > 1e-3) & (frac < 1 - 1e-3))
    re = kk_matrix(x, w) @ _im_lorentz(x)
    assert np.max(np.abs(re - _re_lorentz(w))) < _kk_interp_bound(h)


def test_kramers_kronig_wrapper_matches_matrix_and_batches():
    with x64():
        x = _kk_grid(0.04)
        w = np.array([-0.5, 0.0, 0.31, 0.77])
        ims = np.stack([_im_lorentz(x), 2.0 * _im_lorentz(x)])
        out = np.asarray(kramers_kronig(x, ims, w))
        ref = ims @ kk_matrix(x, w).T
        assert out.shape == (2, 4)
        # same float64 products summed in possibly another order: rounding only
        np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
        # linearity: the doubled input gives the doubled output
        np.testing.assert_allclose(out[1], 2 * out[0], rtol=1e-12)


def test_kk_is_linear_and_maps_even_to_odd_on_the_default_grid():
    x = np.linspace(-1, 1, 41)
    assert kk_matrix(x).shape == (41, 41)
    even = 0.05 / (x**2 + 0.05**2)  # an even Im part
    bump = np.exp(-((x - 0.3) / 0.1) ** 2)
    re_even = np.asarray(kramers_kronig(x, even))
    # a symmetric grid: the transform of an even function is odd, and not zero
    np.testing.assert_allclose(re_even, -re_even[::-1], atol=1e-5 * np.abs(re_even).max())
    assert np.abs(re_even).max() > 0.1
    both = np.asarray(kramers_kronig(x, 2.0 * even - 3.0 * bump))
    np.testing.assert_allclose(both, 2.0 * re_even - 3.0 * np.asarray(kramers_kronig(x, bump)),
                               atol=1e-5 * np.abs(both).max())


# --------------------------------------------------------------------------
# BCS limit
# --------------------------------------------------------------------------

BCS_DELTA, BCS_ETA = 0.03, 2e-4


@pytest.mark.parametrize("eps", [-0.1, -0.03, 0.0, 0.02, 0.08])
def test_bcs_limit_peaks_and_coherence_weights(eps):
    with x64():
        h = BCS_ETA / 5  # resolves the Lorentzians: trapezoid error ~ e^{-2πη/h}
        w = np.arange(-0.4, 0.4 + h / 2, h)
        s = -1j * BCS_ETA * np.ones_like(w)
        a = np.asarray(_spec(w, eps, s, s, BCS_DELTA * np.ones_like(w) + 0j))
        e_k = np.hypot(eps, BCS_DELTA)
        u2, v2 = (1 + eps / e_k) / 2, (1 - eps / e_k) / 2

        assert a.min() >= 0.0
        half = 0.02  # window half-width, < E_k (≥ Δ = 0.03) so windows do not overlap
        # Each window misses its own Lorentzian tails, (2/π)·arctan(η/half) ≤
        # (η/π)·(2/half), and catches < 1e-4 of the other peak's tail.
        tol = BCS_ETA / np.pi * (2 / half) + 1e-4
        for centre, weight in ((e_k, u2), (-e_k, v2)):
            m = np.abs(w - centre) <= half
            got = np.trapezoid(a[m], w[m])
            assert abs(got - weight) < tol, (centre, got, weight)
            # the peak maximum is at ±E_k within one grid step (+ a pull of
            # the other peak's tail, far below a step here)
            if weight > 0.05:
                assert abs(w[m][np.argmax(a[m])] - centre) <= 1.5 * h
        # The weights add up to one: the ±0.4 eV window only misses the outer
        # Lorentzian tails, ≤ (η/π)·2/(0.4 − E_k).
        missing = 1.0 - np.trapezoid(a, w)
        assert 0 <= missing < BCS_ETA / np.pi * 2 / (0.4 - e_k) + 1e-6


def test_bcs_limit_equals_analytic_two_pole_form():
    # G11 = u²/(ω − E + iη) + v²/(ω + E + iη) exactly when Σ11 = Σ22 = −iη, W = Δ.
    with x64():
        w = np.linspace(-0.3, 0.3, 601)
        eps = np.array([-0.1, 0.0, 0.05])[:, None]
        s = -1j * BCS_ETA * np.ones_like(w)
        g = np.asarray(_g11(w, eps, s, s, BCS_DELTA * np.ones_like(w) + 0j))
        e_k = np.sqrt(eps**2 + BCS_DELTA**2)
        u2, v2 = (1 + eps / e_k) / 2, (1 - eps / e_k) / 2
        z = w + 1j * BCS_ETA
        ref = u2 / (z - e_k) + v2 / (z + e_k)
        # float64 rounding of a few complex operations, relative to |G|
        np.testing.assert_allclose(g, ref, rtol=1e-10)


def test_eta_argument_equals_imaginary_shift():
    # nambu_g11(..., eta) is ω → ω + iη, i.e. the same as −iη added to both Σ11, Σ22.
    with x64():
        w = np.linspace(-0.2, 0.2, 41)
        s11, s22, ww = 0.01 - 0.02j, -0.01 - 0.02j, 0.03 + 0.0j
        a = _g11(w, 0.05, s11, s22, ww, eta=0.004)
        b = _g11(w, 0.05, s11 - 0.004j, s22 - 0.004j, ww)
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)


# --------------------------------------------------------------------------
# Hidden fermion: sum rule, Σ_tot identity, cancellation
# --------------------------------------------------------------------------

HF = dict(v=0.1, eps_f=0.02, d=0.045)


def _hf(w, gamma, v=HF["v"], eps_f=HF["eps_f"], d=HF["d"]):
    return _hfs(w, np.array([v]), np.array([eps_f]), np.array([d]), np.array([gamma]))


def test_hidden_fermion_matches_closed_form():
    # Σ11 = V²(z+ε_f)/(z²−E²), Σ22 = V²(z−ε_f)/(z²−E²), W = −V²D/(z²−E²)
    with x64():
        w = np.linspace(-0.3, 0.3, 301)
        s11, s22, ww = (np.asarray(t) for t in _hf(w, 0.005))
        z = w + 0.005j
        den = z**2 - HF["eps_f"] ** 2 - HF["d"] ** 2
        v2 = HF["v"] ** 2
        np.testing.assert_allclose(s11, v2 * (z + HF["eps_f"]) / den, rtol=1e-10)  # float64 rounding
        np.testing.assert_allclose(s22, v2 * (z - HF["eps_f"]) / den, rtol=1e-10)
        np.testing.assert_allclose(ww, -v2 * HF["d"] / den, rtol=1e-10)


def test_sum_rule_hidden_fermion_with_floor():
    gamma0, big_l = 0.01, 10.0
    with x64():
        w = np.linspace(-big_l, big_l, 40001)  # step 5e-4 ≪ widths ≥ Z·Γ0
        s11, s22, ww = (np.asarray(t) for t in _hf(w, 0.005))
        s11, s22 = s11 - 1j * gamma0, s22 - 1j * gamma0
        eps = np.array([-0.2, -0.05, 0.0, 0.03, 0.3])[:, None]
        a = np.asarray(_spec(w, eps, s11, s22, ww))
        total = np.trapezoid(a, w, axis=-1)
    # Beyond ±L, A ≈ Γ0/(π ω²): the window misses 2Γ0/(πL) (= 6.4e-4).
    # What is left: the next tail order 2Γ0 a²/(πL³) with the peak shift
    # |a| ≲ 0.4 (≈ 1e-6) and quadrature error (≪ 1e-6 at this step).
    expected = 1.0 - 2 * gamma0 / (np.pi * big_l)
    np.testing.assert_allclose(total, expected, atol=5e-6)


def test_sigma_total_identity():
    rng = np.random.default_rng(3)
    with x64():
        w = np.linspace(-0.5, 0.5, 201)
        eps = rng.uniform(-0.3, 0.3, (6, 1))
        s11 = rng.normal(size=201) * 0.05 - 1j * rng.uniform(0.001, 0.05, 201)
        s22 = -np.conj(s11[::-1])  # particle–hole partner on the symmetric grid
        ww = rng.normal(size=201) * 0.03 + 1j * rng.normal(size=201) * 0.01
        g = _g11(w, eps, s11, s22, ww)
        st = np.asarray(_stot(w, eps, s11, s22, ww))
        # G11 = 1/(ω − ε − Σ_tot) is an algebraic identity; float64 rounding of
        # ~10 operations, relative to |G| (no near-singular denominators here
        # since Im Σ ≤ −0.001 keeps |G| ≤ 1e3)
        np.testing.assert_allclose(np.asarray(g), np.asarray(1.0 / (w - eps - st)), rtol=1e-9)


@pytest.mark.parametrize("eps_k", [-0.2, -0.05, 0.0, 0.03, 0.1])
def test_cancellation_of_shared_pole(eps_k):
    gamma = 1e-3
    e_f = np.hypot(HF["eps_f"], HF["d"])
    with x64():
        w = np.array([-e_f])
        s11, s22, ww = (np.asarray(t) for t in _hf(w, gamma))
        ratio = float(np.imag(_stot(w, eps_k, s11, s22, ww))[0] / s11.imag[0])
        # Control: W halved is no longer rank one; the pole survives with
        # residue a² − a²/4, so the ratio is 3/4 up to O(γ) corrections.
        ratio_half = float(np.imag(_stot(w, eps_k, s11, s22, 0.5 * ww))[0] / s11.imag[0])
    # Im Σ11(−E) ≈ −V²v_f²/γ (pole); with a rank-one residue the 1/γ pole
    # cancels in Σ_tot, leaving Im Σ_tot = O(γ). The ratio is O(γ²)·(1/E², 1/b⁴
    # factors) ≈ 1e-3 for γ = 1 meV, E = 49 meV; 0.05 is a 50× margin and far
    # below the uncancelled value (≈ 1 for W = 0, 0.75 for W/2).
    assert 0 <= ratio < 0.05
    assert abs(ratio_half - 0.75) < 0.01  # O(γ/E) corrections ≈ 0.02·small factors


# --------------------------------------------------------------------------
# jit == eager, vmap == loop (float32, JAX's default)
# --------------------------------------------------------------------------

# jit may fuse and reorder float32 operations; results agree to a few ulp of the
# largest term. 1e-5 relative to max|·| is ~100 ulp.
JIT_RTOL = 1e-5


def _close_f32(a, b):
    a, b = np.asarray(a), np.asarray(b)
    scale = np.max(np.abs(b))
    assert scale > 0
    np.testing.assert_allclose(a, b, rtol=0, atol=JIT_RTOL * scale)


def _np_hf(w, v, eps_f, d, gamma):
    """Closed-form hidden-fermion Σ11, Σ22, W in numpy (builds inputs without JAX dispatch)."""
    z = w[:, None] + 1j * np.asarray(gamma)
    den = z * z - np.asarray(eps_f) ** 2 - np.asarray(d) ** 2
    v2 = np.asarray(v) ** 2
    return ((v2 * (z + eps_f) / den).sum(-1), (v2 * (z - eps_f) / den).sum(-1), (-v2 * np.asarray(d) / den).sum(-1))


def _sample_inputs():
    """float32/complex64 JAX arrays: ω (81,), ε_k (5, 1), Σ11, Σ22, W (81,)."""
    w = np.linspace(-0.3, 0.1, 81)
    s11, s22, ww = _np_hf(w, [0.1, 0.05], [0.02, -0.1], [0.045, 0.0], [0.01, 0.02])
    c64 = lambda t: jnp.asarray(t, dtype=jnp.complex64)  # noqa: E731
    return (jnp.asarray(w, dtype=jnp.float32), jnp.asarray(np.linspace(-0.2, 0.05, 5)[:, None], dtype=jnp.float32),
            c64(s11 - 0.01j), c64(s22 - 0.01j), c64(ww + 0.01))


def test_jit_equals_eager_greens():
    w, eps, s11, s22, ww = _sample_inputs()
    _close_f32(jax.jit(nambu_g11)(w, eps, s11, s22, ww), nambu_g11(w, eps, s11, s22, ww))
    _close_f32(jax.jit(sigma_total)(w, eps, s11, s22, ww), sigma_total(w, eps, s11, s22, ww))


def test_jit_equals_eager_hidden_fermion():
    w = jnp.asarray(np.linspace(-0.3, 0.3, 61), dtype=jnp.float32)
    args = tuple(jnp.asarray(a, dtype=jnp.float32) for a in ([0.1, 0.05], [0.02, -0.1], [0.045, 0.01], [0.01, 0.02]))
    for a, b in zip(jax.jit(hidden_fermion_sigma)(w, *args), hidden_fermion_sigma(w, *args), strict=True):
        _close_f32(a, b)


def test_jit_equals_eager_instrument():
    e_np = np.linspace(-0.2, 0.04, 61)
    grid_np = model_grid(e_np, 0.02)
    s11, s22, ww = _np_hf(grid_np, [0.1], [0.02], [0.045], [0.01])
    eps = np.linspace(-0.2, 0.05, 5)[:, None]
    g = (grid_np + eps + 0.01j - s22) / ((grid_np - eps + 0.01j - s11) * (grid_np + eps + 0.01j - s22) - ww**2)
    spec = jnp.asarray(-g.imag / np.pi, dtype=jnp.float32)
    e_out, grid = jnp.asarray(e_np, dtype=jnp.float32), jnp.asarray(grid_np, dtype=jnp.float32)

    def pipeline(fwhm, temp):
        return observe(spec, grid, temp, gaussian_matrix(e_out, grid, fwhm))

    _close_f32(jax.jit(pipeline)(0.015, 30.0), pipeline(0.015, 30.0))
    # fwhm and T are traced: a new value does not recompile and still agrees
    _close_f32(jax.jit(pipeline)(0.008, 10.0), pipeline(0.008, 10.0))


def test_vmap_equals_loop():
    # Both sides jitted (one compile each) so this checks batching, not jit.
    w, eps, s11, s22, ww = _sample_inputs()
    eps_batch = jnp.asarray(np.linspace(-0.2, 0.05, 7), dtype=jnp.float32)
    g_one = jax.jit(lambda e: nambu_g11(w, e, s11, s22, ww))
    out = jax.jit(jax.vmap(g_one))(eps_batch)
    _close_f32(out, np.stack([np.asarray(g_one(e)) for e in eps_batch]))

    params = jnp.asarray([[0.1, 0.02, 0.045, 0.01], [0.2, -0.05, 0.01, 0.03], [0.05, 0.1, -0.02, 0.005]],
                         dtype=jnp.float32)
    hf_one = jax.jit(lambda p: hidden_fermion_sigma(w, p[0:1], p[1:2], p[2:3], p[3:4]))
    batched = jax.jit(jax.vmap(hf_one))(params)
    for i, p in enumerate(params):
        for a, b in zip(batched, hf_one(p), strict=True):
            _close_f32(a[i], b)

    e_np = np.linspace(-0.2, 0.04, 41)
    grid_np = model_grid(e_np, 0.03)
    e_out, grid = jnp.asarray(e_np, dtype=jnp.float32), jnp.asarray(grid_np, dtype=jnp.float32)
    spec = jnp.asarray(np.exp(-((grid_np - 0.01) ** 2) / 0.002)[None, :], dtype=jnp.float32)
    obs_one = jax.jit(lambda f: observe(spec, grid, 20.0, gaussian_matrix(e_out, grid, f)))
    fwhms = jnp.asarray([0.005, 0.01, 0.03], dtype=jnp.float32)
    vm = jax.jit(jax.vmap(obs_one))(fwhms)
    for i, f in enumerate(fwhms):
        _close_f32(vm[i], obs_one(f))


# --------------------------------------------------------------------------
# Instrument: Fermi function and Gaussian resolution
# --------------------------------------------------------------------------


def test_fermi_values_and_symmetry():
    w = jnp.linspace(-0.1, 0.1, 201)
    for temp in (5.0, 300.0):
        assert float(fermi(0.0, temp)) == 0.5  # tanh(0) = 0 exactly
        # f(ω) + f(−ω) = 1: tanh is odd; float32 rounding of 0.5(1 ∓ t), a few ulp
        np.testing.assert_allclose(np.asarray(fermi(w, temp) + fermi(-w, temp)), 1.0, atol=4 * F32_EPS)
    with x64():
        from arpes_sigma.physics import K_B

        wn = np.linspace(-0.1, 0.1, 201)
        ref = 1.0 / (np.exp(wn / (K_B * 30.0)) + 1.0)
        # tanh form vs the textbook 1/(e^x+1): float64 rounding; 0.5(1 − tanh)
        # loses relative precision in the tail, so the bound is absolute there
        np.testing.assert_allclose(np.asarray(jax.jit(fermi)(wn, 30.0)), ref, rtol=1e-12, atol=4 * F64_EPS)


def test_fermi_zero_temperature_is_step():
    w = jnp.array([-0.1, -1e-4, -1e-6, 0.0, 1e-6, 1e-4, 0.1])
    f0 = np.asarray(fermi(w, 0.0))
    np.testing.assert_array_equal(f0, [1, 1, 1, 0.5, 0, 0, 0])
    # T → 0 approaches the step: at 0.01 K, k_B T ≈ 0.9 µeV, so |ω| ≥ 0.1 meV
    # is > 100 k_B T away and e^{-100} underflows against 1 in float32.
    np.testing.assert_array_equal(np.asarray(fermi(w, 0.01))[[0, 1, 5, 6]], [1, 1, 0, 0])
    assert np.all(np.isfinite(np.asarray(fermi(w, 0.0))))


def _gauss(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (np.sqrt(2 * np.pi) * sigma)


@pytest.mark.parametrize("fwhm", [0.005, 0.02])
def test_gaussian_resolution_convolution_is_exact_to_the_edges(fwhm):
    sigma = fwhm * FWHM_TO_SIGMA
    sigma1 = 0.01
    sigma_t = np.hypot(sigma1, sigma)
    with x64():
        e_out = np.arange(-0.3, 0.0401, 0.002)
        grid = model_grid(e_out, fwhm)
        k = np.asarray(_gm(e_out, grid, fwhm))
        assert k.shape == (len(e_out), len(grid))
        # rows are probability vectors
        np.testing.assert_allclose(k.sum(axis=1), 1.0, atol=1e-12)
        for mu in (e_out[0], e_out[-1], -0.13):
            conv = k @ _gauss(grid, mu, sigma1)
            ref = _gauss(e_out, mu, sigma_t)
            # The grid step is h = 2 meV. A sampled Gaussian sum of width s
            # equals its integral up to aliasing 2·e^{-2π²(s/h)²}; the narrowest
            # here (the product of the two Gaussians, s = σσ1/σ_t = 2.1 meV at
            # FWHM 5 meV) gives ≈ 2e-9, far below 1e-6 of the peak.
            np.testing.assert_allclose(conv, ref, rtol=0, atol=1e-6 * ref.max())
            # the edge values are the point: full height where the peak sits
            edge = 0 if mu == e_out[0] else (-1 if mu == e_out[-1] else None)
            if edge is not None:
                assert abs(conv[edge] - ref[edge]) < 1e-6 * ref[edge]

        if fwhm < 0.01:
            return
        # Control (resolution comparable to the feature): without the padded
        # grid (e_in = e_out) the edge value is wrong by more than 1 %, so the
        # checks above are what detect a missing padding.
        k_nopad = np.asarray(_gm(e_out, e_out, fwhm))
        conv_nopad = k_nopad @ _gauss(e_out, e_out[0], sigma1)
        ref0 = _gauss(e_out[0], e_out[0], sigma_t)
        assert abs(conv_nopad[0] - ref0) > 0.01 * ref0


def test_gaussian_resolution_keeps_constants_and_convolves_the_step():
    fwhm = 0.012
    sigma = fwhm * FWHM_TO_SIGMA
    with x64():
        e_out = np.linspace(-0.2, 0.04, 121)
        grid = model_grid(e_out, fwhm, step=0.0002)
        k = np.asarray(_gm(e_out, grid, fwhm))
        const = 3.7 * np.ones((2, len(grid)))
        # row-stochastic: a constant is reproduced to float64 rounding
        np.testing.assert_allclose(const @ k.T, 3.7, rtol=1e-12)
        # At T = 0, observe(constant c) = c · (step ⊛ Gauss) = c/2 · erfc(ω/(√2 σ)).
        got = np.asarray(_obs(const, grid, 0.0, k))
        ref = 3.7 * 0.5 * erfc(e_out / (np.sqrt(2) * sigma))
        # The step is sampled on a grid of step h = 0.2 meV: the sampled jump
        # sits within h/2 of ω = 0, which moves the smoothed edge by ≤ h/2, an
        # error ≤ c·max(g)·h/2 = c·h/(2√(2π)σ) (≈ 0.02·c); the Gaussian's own
        # quadrature error is spectrally small.
        tol = 3.7 * 0.0002 / (2 * np.sqrt(2 * np.pi) * sigma)
        np.testing.assert_allclose(got, np.broadcast_to(ref, got.shape), rtol=0, atol=tol)


def test_gaussian_matrix_zero_fwhm_is_finite_nearest_neighbour():
    grid = np.linspace(-0.1, 0.1, 101)
    e_out = grid[10:90:7]  # on the nodes
    k = np.asarray(_gm(e_out, grid, 0.0))
    assert np.all(np.isfinite(k))
    # σ → 1e-7 eV: neighbours 2 meV away get weight e^{-2e8} = 0 exactly, so
    # the matrix samples the nearest node (float32 rounding of sin only)
    np.testing.assert_allclose(k @ np.sin(7 * grid), np.sin(7 * e_out), atol=4 * F32_EPS)
    np.testing.assert_allclose(k.sum(axis=1), 1.0, atol=4 * F32_EPS)
    f = jnp.asarray(np.sin(7 * grid), dtype=jnp.float32)
    grad = jax.jit(jax.grad(lambda fw: jnp.sum(gaussian_matrix(e_out, grid, fw) @ f)))(0.0)
    assert np.isfinite(float(grad))
    # tiny but positive FWHM also finite
    assert np.all(np.isfinite(np.asarray(_gm(e_out, grid, 1e-9))))


@pytest.mark.parametrize("spacing", [0.0017, 0.005])  # one grid step per measured step, and three
@pytest.mark.parametrize("fwhm", [0.004, 0.012])
def test_uniform_convolution_equals_a_direct_gaussian_sum(spacing, fwhm):
    """The fit's banded convolution against a plain NumPy sum over the whole grid (another code path)."""
    e_out = np.arange(-0.2, 0.03 + 1e-9, spacing)
    grid, layout = uniform_layout(e_out, max_fwhm=0.02)
    rng = np.random.default_rng(4)
    occupied = rng.random((3, grid.size))
    got = np.asarray(convolve_uniform(jnp.asarray(occupied), grid[1] - grid[0], fwhm, layout, e_out.size))
    sigma = fwhm * FWHM_TO_SIGMA
    w = np.exp(-0.5 * ((e_out[:, None] - grid[None, :]) / sigma) ** 2)
    want = occupied @ (w / w.sum(axis=1, keepdims=True)).T
    assert got.shape == (3, e_out.size)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("spacing", [0.0017, 0.005])
def test_a_per_edc_energy_offset_convolves_each_edc_at_its_true_energies(spacing):
    """EDC k measured at e_i + δ_k (a raw cut's sub-step Fermi-level remainder): the banded convolution with
    ``offset`` and the dense Gaussian matrix on (K, E) energies, both against a NumPy sum at e + δ_k."""
    e_out = np.arange(-0.2, 0.03 + 1e-9, spacing)
    grid, layout = uniform_layout(e_out, max_fwhm=0.02)
    rng = np.random.default_rng(5)
    occupied = rng.random((3, grid.size))
    delta = np.array([-0.5, 0.0, 0.45]) * spacing
    fwhm = 0.008
    sigma = fwhm * FWHM_TO_SIGMA
    true_e = e_out[None, :] + delta[:, None]
    w = np.exp(-0.5 * ((true_e[:, :, None] - grid[None, None, :]) / sigma) ** 2)
    want = np.einsum("km,kem->ke", occupied, w / w.sum(axis=-1, keepdims=True))
    banded = np.asarray(convolve_uniform(jnp.asarray(occupied), grid[1] - grid[0], fwhm, layout, e_out.size,
                                         jnp.asarray(delta)))
    np.testing.assert_allclose(banded, want, rtol=2e-6, atol=1e-7)
    # the dense path (any grids) through observe: [A f] with f at 20 K, one (E, M) matrix per EDC
    f = np.asarray(fermi(jnp.asarray(grid), 20.0))
    dense = np.asarray(observe(jnp.asarray(occupied), jnp.asarray(grid), 20.0, gaussian_matrix(true_e, grid, fwhm)))
    want_f = np.einsum("km,kem->ke", occupied * f[None, :], w / w.sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(dense, want_f, rtol=2e-5, atol=1e-6)
    # the offsets matter at this size: half a step moves a random curve by far more than the tolerance
    no_offset = np.asarray(convolve_uniform(jnp.asarray(occupied), grid[1] - grid[0], fwhm, layout, e_out.size))
    assert np.max(np.abs(no_offset[0] - want[0])) > 1e-3
