"""Markov chains over the deterministic network, and the error analysis they rely on.

Sampled values are compared with exact ones by z-scores (|z| < 4 for each
point: a correct estimator with honest errors fails this with probability
< 1e-4 per point) plus a relative bound a few times the measured error.
"""

import jax
import numpy as np
import pytest

from arpes_sigma.errors import ConfigError
from arpes_sigma.thermal import ThermalConfig, TransverseFieldIsing, thermal
from arpes_sigma.thermal.exact import ed_tfim, jw_tfim
from arpes_sigma.thermal.observables import chain_blocks, energy_and_heat, integrated_autocorrelation_time, jackknife


def _ar1(phi, steps, chains, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros((steps, chains))
    noise = rng.normal(size=(steps, chains))
    for t in range(1, steps):
        x[t] = phi * x[t - 1] + noise[t]
    return x


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_autocorrelation_time_of_an_ar1_process(phi):
    """AR(1): ρ(t) = φ^t, so τ_int = ½ + φ/(1 − φ) = (1 + φ)/(2(1 − φ))."""
    tau = integrated_autocorrelation_time(_ar1(phi, 4000, 16, 1))
    assert tau == pytest.approx((1 + phi) / (2 * (1 - phi)), rel=0.1)


def test_blocked_errors_cover_the_spread_of_independent_runs():
    """The jackknife error over blocks ≥ 4 τ_int matches the spread of 40 independent means (φ = 0.8)."""
    means, errs = [], []
    for seed in range(40):
        x = _ar1(0.8, 800, 4, seed)
        blocks = chain_blocks(x, integrated_autocorrelation_time(x))
        m, e = jackknife(lambda v: v, blocks)
        means.append(m)
        errs.append(e)
    assert np.mean(errs) == pytest.approx(np.std(means, ddof=1), rel=0.3)  # 40 runs: spread known to ~11 %


def test_energy_and_heat_of_uncorrelated_gaussian_energies():
    rng = np.random.default_rng(0)
    e = rng.normal(2.0, 3.0, size=(2000, 8))
    out = energy_and_heat(e, e**2, beta=0.5, n_sites=4)
    assert out["energy"] == pytest.approx(0.5, abs=4 * out["energy_err"])
    assert out["specific_heat"] == pytest.approx(0.25 * 9 / 4, abs=4 * out["specific_heat_err"])
    assert out["tau_int"] < 0.7


def test_sampled_network_n16_agrees_with_jordan_wigner():
    m = TransverseFieldIsing(16, 1.0, 1.0)
    temps = np.array([0.5, 1.0, 2.0])
    ref = jw_tfim(m, temps)
    cfg = ThermalConfig(method="sample", trotter_step=0.1, sweeps=1500, chains=32, seed=3)
    r = thermal(m, temps, cfg)
    assert r.method == "sample" and np.all(r.tau_int >= 0.5)
    z_e = (r.energy - ref.energy) / r.energy_err
    z_c = (r.specific_heat - ref.specific_heat) / r.specific_heat_err
    assert np.all(np.abs(z_e) < 4), z_e
    assert np.all(np.abs(z_c) < 4), z_c
    # measured at these settings: |ΔE/E| ≤ 1.2e-2 (T = 2, where the error bar is 5e-3), |ΔC/C| ≤ 5e-2
    assert np.all(np.abs(r.energy / ref.energy - 1) < 0.03)
    assert r.units["deep"] == 16 * r.n_steps[0]  # the network sampled at the lowest T


def test_sampled_magnetisations_agree_with_ed():
    m = TransverseFieldIsing(8, 1.0, -1.0)  # negative field: mapped by Π σᶻ, ⟨σˣ⟩ changes sign
    temps = np.array([0.5, 1.0])
    ed = ed_tfim(m, temps)
    r = thermal(m, temps, ThermalConfig(method="sample", trotter_step=0.1, sweeps=800, seed=2))
    for name in ("mx", "mz2"):
        z = (r.observables[name] - ed.observables[name]) / r.observables[f"{name}_err"]
        assert np.all(np.abs(z) < 4), (name, z)
    assert np.all(r.observables["mx"] < 0)


def test_sample_method_is_refused_where_it_cannot_work():
    with pytest.raises(ConfigError, match="even number"):
        thermal(TransverseFieldIsing(7), [1.0], ThermalConfig(method="sample"))
    with pytest.raises(ConfigError, match="nonzero transverse field"):
        thermal(TransverseFieldIsing(8, 1.0, 0.0), [1.0], ThermalConfig(method="sample"))


def test_new_style_keys_give_reproducible_chains():
    m = TransverseFieldIsing(8, 1.0, 1.0)
    cfg = ThermalConfig(method="sample", sweeps=64, chains=4, burn_in=16, seed=5)
    a, b = thermal(m, [1.0], cfg), thermal(m, [1.0], cfg)
    assert a.energy[0] == b.energy[0]


def test_x64_stays_off_outside_the_library():
    jax.config.update("jax_enable_x64", False)
    try:
        thermal(TransverseFieldIsing(8), [1.0], ThermalConfig(method="sample", sweeps=32, chains=4, burn_in=8))
        assert not jax.config.jax_enable_x64
    finally:
        jax.config.update("jax_enable_x64", False)


