"""Tests for arpes_sigma.synthetic: the data contract, the physics of the truth, the noise.

Expected values come from the physics (sum rule, causality, the pairing bound,
particle–hole structure) and from the generator's documented noise model; no
number here was copied from a run of the code.
"""

from __future__ import annotations

import dataclasses
import json

import jax
import numpy as np
import pytest
import xarray as xr

from arpes_sigma.errors import ConfigError
from arpes_sigma.io.contract import validate
from arpes_sigma.physics import spectral_function
from arpes_sigma.synthetic import TRUTHS, Truth, make_spectrum, truth_self_energy

NAMES = sorted(TRUTHS)

# Truth is a frozen dataclass of tuples, hence hashable: a static jit argument.
_truth_sigma = jax.jit(truth_self_energy, static_argnums=1)
_spec = jax.jit(spectral_function)


def _sigma64(omega, truth):
    with jax.enable_x64(True):
        return tuple(np.asarray(t) for t in _truth_sigma(np.asarray(omega, dtype=float), truth))


@pytest.fixture(scope="module", params=NAMES)
def spectrum(request):
    """(name, intensity, truth dataset) with the defaults, seed 0."""
    da, ds = make_spectrum(request.param, seed=0)
    return request.param, da, ds


# --------------------------------------------------------------------------
# data contract
# --------------------------------------------------------------------------


def test_make_spectrum_contract(spectrum):
    name, da, ds = spectrum
    assert isinstance(da, xr.DataArray)
    assert da.dims == ("k", "eV")
    assert da.shape == (11, 171)  # documented defaults: 11 EDCs, −0.30…+0.04 eV in 2 meV
    assert "eps_k" in da.coords and da.coords["eps_k"].dims == ("k",)
    np.testing.assert_allclose(da["eps_k"].values, np.linspace(-0.20, 0.05, 11))
    np.testing.assert_allclose(np.diff(da["eV"].values), 0.002, atol=1e-12)  # float64 arange rounding
    assert da.attrs["sample_temp"] == 20.0
    assert da.attrs["energy_resolution"] == 0.010
    assert np.all(np.isfinite(da.values))
    # the truth dataset describes the same cut
    for var in ("re_sigma_normal", "im_sigma_normal", "re_sigma_anomalous", "im_sigma_anomalous"):
        assert ds[var].dims == ("eV",)
    for var in ("re_sigma_total", "im_sigma_total", "spectral_function", "clean_intensity"):
        assert ds[var].dims == ("k", "eV") and ds[var].shape == da.shape
    assert json.loads(ds.attrs["truth"]) == json.loads(json.dumps(dataclasses.asdict(TRUTHS[name])))


def test_validate_accepts_unchanged(spectrum):
    _, da, _ = spectrum
    before = da.copy(deep=True)
    out = validate(da)
    assert out.dims == da.dims and out.shape == da.shape
    np.testing.assert_array_equal(out.values, da.values)  # energies already ascending: no reorder
    np.testing.assert_array_equal(out["eps_k"].values, da["eps_k"].values)
    np.testing.assert_array_equal(out["eV"].values, da["eV"].values)
    assert out.attrs["sample_temp"] == da.attrs["sample_temp"]
    assert out.attrs["energy_resolution"] == da.attrs["energy_resolution"]
    xr.testing.assert_identical(da, before)  # input untouched


def test_custom_axes_are_used():
    # same sizes as the defaults (no recompile of the jitted forward model),
    # different values
    eps = np.linspace(-0.15, 0.08, 11)
    e = np.linspace(-0.31, 0.03, 171)
    da, ds = make_spectrum("bi2212_like", eps_k=eps, energies=e, temperature=35.0, seed=3)
    np.testing.assert_array_equal(da["eps_k"].values, eps)
    np.testing.assert_array_equal(da["eV"].values, e)
    assert da.attrs["sample_temp"] == 35.0
    np.testing.assert_array_equal(ds["eps_k"].values, eps)


# --------------------------------------------------------------------------
# physics of the truth
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_truth_spectral_function_nonnegative_and_sum_rule(name):
    truth = TRUTHS[name]
    big_l, core = 3.0, 0.7
    # 0.5 meV steps where the spectrum has structure (|ω| < 0.7 eV: peaks are
    # ≳ 3 meV wide since −Im Σ ≥ Γ0 there), 5 meV in the smooth tails
    inner = np.arange(-core, core + 1e-7, 5e-4)
    outer = np.arange(core + 5e-3, big_l + 1e-7, 5e-3)
    w = np.concatenate([-outer[::-1], inner, outer])
    eps = np.linspace(-0.25, 0.1, 8)[:, None]
    with jax.enable_x64(True):
        s11, s22, ww = (np.asarray(t) for t in _truth_sigma(w, truth))
        a = np.asarray(_spec(w, eps, s11, s22, ww))
    # A = −Im G11/π ≥ 0 follows from causality; float64 rounding relative to max A
    assert a.min() >= -1e-12 * a.max()
    missing = 1.0 - np.trapezoid(a, w, axis=-1)
    # Beyond ±L, A ≈ |Im Σ11(ω)|/(π (ω − ε − Re Σ)²) with |Im Σ11| decaying
    # (Lorentzian tails of the background nodes and poles), |ε + Re Σ| < 0.5
    # eV: the window misses ≤ (2/π)|Im Σ11(±L)|/(L − 0.5). Trapezoid error
    # at these steps is < 1e-7 (halving them changes the integral by < 1e-7).
    tail = 2 / np.pi * max(abs(s11.imag[0]), abs(s11.imag[-1])) / (big_l - 0.5)
    assert tail < 1e-5  # ±3 eV is "wide": almost all weight is inside
    assert np.all(missing > -1e-7)
    assert np.all(missing < tail + 1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_truth_pairing_bound_and_particle_hole(name):
    truth = TRUTHS[name]
    rng = np.random.default_rng(0)
    w = np.concatenate([np.linspace(-1.0, 1.0, 2001), rng.uniform(-2, 2, 200)])
    s11, s22, ww = _sigma64(w, truth)
    m11, m22, mw = _sigma64(-w, truth)
    mag = np.abs(s11) + np.abs(s22) + np.abs(ww)
    # causality (float64 rounding of ~1600 summed terms: ≲ 1e-12 relative)
    assert np.all(s11.imag <= 1e-12 * mag) and np.all(s22.imag <= 1e-12 * mag)
    # pairing bound (Im W)² ≤ Im Σ11 · Im Σ22 (rounding enters as ~mag² × 1e-12)
    assert np.all(ww.imag**2 <= s11.imag * s22.imag + 1e-12 * mag**2)
    # the bound is active (not trivially satisfied by Im W = 0) near the pole −E
    assert np.max(np.abs(ww.imag)) > 0.1 * np.max(np.abs(s11.imag))
    # Σ22(ω) = −Σ11(−ω)*, W(−ω)* = W(ω): same terms mirrored, rounding only
    np.testing.assert_allclose(s22, -np.conj(m11), rtol=0, atol=1e-12 * mag.max())
    np.testing.assert_allclose(np.conj(mw), ww, rtol=0, atol=1e-12 * mag.max())


def test_truth_dataset_matches_truth_self_energy(spectrum):
    name, _, ds = spectrum
    s11, s22, ww = _sigma64(ds["eV"].values, TRUTHS[name])
    # the stored truth is the same function (float32 vs float64 evaluation)
    np.testing.assert_allclose(ds["im_sigma_normal"].values, s11.imag, rtol=0, atol=1e-5 * np.abs(s11).max())
    np.testing.assert_allclose(ds["re_sigma_anomalous"].values, ww.real, rtol=0, atol=1e-5 * np.abs(ww).max())
    assert np.all(ds["spectral_function"].values >= -1e-5 * ds["spectral_function"].values.max())
    assert np.all(ds["im_sigma_normal"].values <= 0)


# --------------------------------------------------------------------------
# randomness and noise
# --------------------------------------------------------------------------


def test_same_seed_same_data_different_seed_different_noise():
    a1, t1 = make_spectrum("deep_pole", seed=5)
    a2, t2 = make_spectrum("deep_pole", seed=5)
    a3, t3 = make_spectrum("deep_pole", seed=6)
    np.testing.assert_array_equal(a1.values, a2.values)
    np.testing.assert_array_equal(t1["clean_intensity"].values, t2["clean_intensity"].values)
    n1 = a1.values - t1["clean_intensity"].values
    n3 = a3.values - t3["clean_intensity"].values
    sigma = a1.attrs["noise_sigma"]
    # independent noise: the difference of two draws has std √2 σ, far from 0
    assert np.std(n1 - n3) > sigma
    # the noise-free part differs only through a_k, b_k (also drawn from the seed)
    assert not np.array_equal(a1.values, a3.values)


@pytest.mark.parametrize("noise", [0.01, 0.05])
def test_noise_level(noise):
    da, ds = make_spectrum("bi2212_like", noise=noise, seed=11)
    clean = ds["clean_intensity"].values
    resid = da.values - clean
    expected = noise * clean.max()
    assert da.attrs["noise_sigma"] == pytest.approx(expected, rel=1e-12)
    n = resid.size  # 1881 samples
    # the sample std of n Gaussian draws has relative standard error 1/√(2n)
    # ≈ 1.6 %; 5 standard errors
    assert abs(resid.std() / expected - 1) < 5 / np.sqrt(2 * n)
    # zero mean: 5 standard errors of the mean
    assert abs(resid.mean()) < 5 * expected / np.sqrt(n)


def test_zero_noise_gives_clean_data():
    da, ds = make_spectrum("bi2212_like", noise=0.0, seed=2)
    np.testing.assert_array_equal(da.values, ds["clean_intensity"].values)
    assert da.attrs["noise_sigma"] == 0.0


# --------------------------------------------------------------------------
# validation of the truth and the arguments
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"v": (0.1, 0.2)},
        {"eps_f": (0.0, 0.1)},
        {"d": ()},
        {"gamma": (0.01, 0.01)},
        {"gamma": (0.0,)},
        {"gamma": (-0.01,)},
        {"gamma0": -0.001},
        {"alpha": -0.1},
    ],
)
def test_truth_rejects_inconsistent_or_noncausal(kwargs):
    with pytest.raises(ConfigError) as err:
        Truth(**kwargs)
    assert "\n" not in str(err.value)


def test_truth_accepts_valid_multi_pole_and_zero_floor():
    t = Truth(v=(0.1, 0.05), eps_f=(0.02, -0.1), d=(0.04, 0.0), gamma=(0.01, 0.02), gamma0=0.0, alpha=0.0)
    np.testing.assert_allclose(t.pole_energies(), [np.hypot(0.02, 0.04), 0.1])


@pytest.mark.parametrize(
    "kwargs",
    [{"truth": "no_such_truth"}, {"temperature": 0.0}, {"temperature": -5.0}, {"resolution": -0.01},
     {"noise": -0.1}],
)
def test_make_spectrum_rejects_bad_arguments(kwargs):
    with pytest.raises(ConfigError):
        make_spectrum(**kwargs)
