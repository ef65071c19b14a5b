"""The variational purified machine: exact β = 0 state, exact first imaginary-time order,
local energies, derivatives, sampler, and a short evolution against the exact answer.
"""


import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from arpes_sigma.errors import ConfigError
from arpes_sigma.thermal import J1J2Square, ThermalConfig, TransverseFieldIsing, thermal
from arpes_sigma.thermal.ansatz import PurifiedRBM, machine_for, translation_table
from arpes_sigma.thermal.exact import jw_tfim
from arpes_sigma.thermal.models import spin_configurations
from arpes_sigma.thermal.propagation import local_energy, log_amplitude_grads, sr_flow
from arpes_sigma.thermal.sampling import metropolis_sweeps


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _perturbed(machine, seed=0, scale=0.2):
    rng = np.random.default_rng(seed)
    p = machine.init_params(seed)
    return {k: jnp.asarray(np.asarray(v) + scale * (rng.normal(size=v.shape) + 1j * rng.normal(size=v.shape)))
            for k, v in p.items()}


def _all(n):
    c = spin_configurations(2 * n).astype(float)
    return jnp.asarray(c[:, :n]), jnp.asarray(c[:, n:])


def test_beta_zero_weights_give_the_purified_identity():
    """ψ(σ, a; 0) ∝ Π a_i^{n_i}: Bell pairs with the ancilla along x, so Σ_a ψ(σ, a) ψ(σ', a)* ∝ δ_σσ'."""
    model = TransverseFieldIsing(4, 1.0, 1.0)
    machine = PurifiedRBM(translation_table(model), features=3)
    s, a = _all(4)
    psi = np.exp(np.asarray(machine.log_amplitude(machine.init_params(7), s, a))).reshape(16, 16)  # [σ, a]
    rho = psi @ psi.conj().T
    np.testing.assert_allclose(rho / rho[0, 0], np.eye(16), atol=1e-12)
    np.testing.assert_allclose(np.abs(psi), np.abs(psi[0, 0]), rtol=1e-12)  # uniform |ψ|²: exact chains


def test_beta_zero_weights_with_the_ancilla_along_y():
    """ψ(σ, a; 0) ∝ Π i^{(1 − σ_i a_i)/2} (gate e^{iπX/4}): Σ_a ψ ψ'* ∝ δ_σσ' and |ψ|² uniform."""
    machine = PurifiedRBM(translation_table(TransverseFieldIsing(4, 1.0, 1.0)), features=2, ancilla="y")
    s, a = _all(4)
    psi = np.exp(np.asarray(machine.log_amplitude(machine.init_params(7), s, a))).reshape(16, 16)
    want = np.prod(np.where(np.asarray(s) == np.asarray(a), 1.0, 1j), axis=1).reshape(16, 16)
    np.testing.assert_allclose(psi / psi[0, 0], want, atol=1e-12)
    rho = psi @ psi.conj().T
    np.testing.assert_allclose(rho / rho[0, 0], np.eye(16), atol=1e-12)


def test_heisenberg_purified_state_is_symmetric_under_swapping_system_and_ancilla():
    """ψ = e^{−βH/2} Had^{⊗N} as a [σ, a] matrix is symmetric for J1–J2 (Had^{⊗N} commutes with H), not for Ising."""
    conf = spin_configurations(9)
    had = np.prod(np.where(conf[:, None, :] < 0, conf[None, :, :], 1.0), axis=2)  # Π a_i^{n_i}
    for model, symmetric in [(J1J2Square(3, 3, 1.0, 0.5), True), (TransverseFieldIsing(9, 1.0, 1.0), False)]:
        w, v = np.linalg.eigh(model.dense())
        psi = (v * np.exp(-0.5 * w)) @ (v.T @ had)
        assert (np.abs(psi - psi.T).max() < 1e-12 * np.abs(psi).max()) == symmetric


@pytest.mark.parametrize("model,symmetry,g", [(J1J2Square(3, 3, 1.0, 0.5), "full", 144),
                                               (J1J2Square(3, 3, 1.0, 0.5), "swap", 18),
                                               (TransverseFieldIsing(4, 1.0, 1.0), "full", 8)])
def test_symmetric_machine_is_invariant_and_differentiates_correctly(model, symmetry, g):
    """Hidden features shared over translations × point group (× σ ↔ a for J1–J2), or translations × σ ↔ a."""
    machine = machine_for(model, 2, symmetry)
    assert machine.group_size == g
    p = _perturbed(machine, 2)
    n = model.n_sites
    rng = np.random.default_rng(3)
    s, a = (jnp.asarray(rng.choice([-1.0, 1.0], (5, n))) for _ in range(2))
    hidden_only = dict(p, bias=jnp.zeros_like(p["bias"]), pairs=jnp.zeros_like(p["pairs"]))
    x = jnp.concatenate([s, a, s * a], axis=1)
    base = machine.log_amplitude(hidden_only, s, a)
    for perm in machine.hidden_perms:
        moved = x[:, perm]
        np.testing.assert_allclose(machine.log_amplitude(hidden_only, moved[:, :n], moved[:, n : 2 * n]), base,
                                   atol=1e-12)
    flat, unravel = ravel_pytree(p)
    auto = jax.vmap(jax.grad(lambda t, x, y: machine.log_amplitude(unravel(t), x[None], y[None])[0],
                             holomorphic=True), in_axes=(None, 0, 0))(flat, s, a)
    np.testing.assert_allclose(log_amplitude_grads(machine, p, s, a), auto, atol=1e-12)


def test_log_derivatives_match_automatic_differentiation():
    model = J1J2Square(3, 3, 1.0, 0.5)
    machine = PurifiedRBM(translation_table(model), features=2)
    p = _perturbed(machine)
    rng = np.random.default_rng(1)
    s, a = (jnp.asarray(rng.choice([-1.0, 1.0], (6, 9))) for _ in range(2))
    flat, unravel = ravel_pytree(p)
    auto = jax.vmap(jax.grad(lambda t, x, y: machine.log_amplitude(unravel(t), x[None], y[None])[0],
                             holomorphic=True), in_axes=(None, 0, 0))(flat, s, a)
    np.testing.assert_allclose(log_amplitude_grads(machine, p, s, a), auto, atol=1e-12)


@pytest.mark.parametrize("model", [TransverseFieldIsing(4, 0.8, 1.3), J1J2Square(3, 3, 1.0, 0.4)])
def test_local_energy_equals_h_applied_to_the_network(model):
    machine = PurifiedRBM(translation_table(model), features=2)
    p = _perturbed(machine, 3)
    n = model.n_sites
    rng = np.random.default_rng(2)
    s, a = (jnp.asarray(rng.choice([-1.0, 1.0], (8, n))) for _ in range(2))
    got = local_energy(machine, p, model.local_terms(), s, a, chunk=8)
    # ⟨σ|H|ψ(·, a)⟩ / ψ(σ, a) with the dense H over all σ' (same a)
    h = model.dense()
    configs = jnp.asarray(spin_configurations(n).astype(float))
    index = ((1 - np.asarray(s)) / 2) @ (1 << np.arange(n))
    for b in range(8):
        col = np.exp(np.asarray(machine.log_amplitude(p, configs, jnp.repeat(a[b][None], 2**n, axis=0))))
        want = (h @ col)[int(index[b])] / col[int(index[b])]
        assert got[b] == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("model,features", [(TransverseFieldIsing(4, 0.7, 1.2), 2), (J1J2Square(3, 3, 1.0, 0.5), 0)])
def test_first_imaginary_time_order_is_exact(model, features):
    """At β = 0 the flow −½ S⁻¹F reproduces ∂ ln ψ/∂β = −½ (E_loc − ⟨E_loc⟩) on every sample.

    |ψ(σ, a; 0)|² is uniform, so any set of configurations is an exact sample of it;
    the residual is round-off because the first order is inside the ansatz.
    """
    machine = PurifiedRBM(translation_table(model), features)
    p = machine.init_params(0)
    n = model.n_sites
    rng = np.random.default_rng(4)
    s, a = (jnp.asarray(rng.choice([-1.0, 1.0], (2048, n))) for _ in range(2))
    theta_dot, e_loc = sr_flow(machine, p, model.local_terms(), s, a, diag_shift=0.0, rcond=1e-12)
    o = log_amplitude_grads(machine, p, s, a)
    change = (o - o.mean(axis=0)) @ theta_dot
    np.testing.assert_allclose(change, -0.5 * (e_loc - e_loc.mean()), atol=1e-9)


def test_metropolis_samples_follow_the_amplitude_squared():
    """Two-site chain (4 units, 16 states): histogram of the chains against |ψ|² (chi-square, 15 dof)."""
    model = TransverseFieldIsing(2, 1.0, 1.0)
    machine = PurifiedRBM(translation_table(model), features=1)
    p = _perturbed(machine, 5, scale=0.15)  # a single-mode |ψ|² (a rugged one mixes too slowly for this test)
    s, a = _all(2)
    prob = np.exp(2 * np.asarray(machine.log_amplitude(p, s, a)).real)
    prob /= prob.sum()
    k0, k1 = jax.random.split(jax.random.key(11))
    start = jax.random.randint(k0, (3000,), 0, 16)  # uniform starts, as the evolution's β = 0 chains
    cs, ca, acc = metropolis_sweeps(machine, p, k1, s[start], a[start], 60)
    bits = np.concatenate([(1 - np.asarray(cs)) / 2, (1 - np.asarray(ca)) / 2], axis=1) @ (1 << np.arange(4))
    counts = np.bincount(bits.astype(int), minlength=16)
    chi2 = np.sum((counts - 3000 * prob) ** 2 / (3000 * prob))
    assert chi2 < 40, chi2  # 15 dof: P(chi2 > 40) ≈ 5e-4
    assert 0.05 < float(acc) < 1.0


def test_short_variational_evolution_of_the_ising_chain():
    """N = 6, T = 2 (β = 0.5, 10 Heun steps), ancilla along y.

    Measured ΔE/E = −1.45 ± 0.36 %, ΔC/C = +3.6 ± 1.0 % at seed 1 (−0.03 ± 0.35 %, +0.6 ± 1.0 % at
    seed 2); with the ancilla along x the same runs gave −0.7 ± 0.5 % / −1.4 ± 0.6 % and
    +3.6 ± 2.3 % / +7.6 ± 2.8 %. Noise-dominated at these sample sizes.
    """
    model = TransverseFieldIsing(6, 1.0, 1.0)
    cfg = ThermalConfig(method="variational", features=2, beta_step=0.05, samples=1024, chains=256,
                        measure_sweeps=48, seed=1)
    r = thermal(model, [2.0], cfg)
    ref = jw_tfim(model, [2.0])
    assert r.n_steps[0] == 10 and r.units["hidden"] == 12
    assert abs(r.energy[0] / ref.energy[0] - 1) < 0.025
    assert abs(r.specific_heat[0] / ref.specific_heat[0] - 1) < 0.08
    assert r.energy_err[0] > 0 and r.tau_int[0] >= 0.5
    assert set(r.weights) == {"bias", "pairs", "hidden_power", "hidden_bias", "hidden"}


@pytest.mark.parametrize(
    "kwargs,word",
    [(dict(features=-1), "features"), (dict(beta_step=0.5), "beta_step"), (dict(samples=100, chains=64), "multiple"),
     (dict(diag_shift=2.0), "diag_shift"), (dict(method="probe"), "method"), (dict(symmetry="point"), "symmetry")],
)
def test_config_rejects_bad_values(kwargs, word):
    with pytest.raises(ConfigError, match=word):
        ThermalConfig(**kwargs)


def test_samples_are_checked_against_the_chains_only_where_they_are_used():
    with pytest.raises(ConfigError, match="multiple"):
        ThermalConfig(method="variational", chains=64, samples=100)
    assert ThermalConfig(method="sample", chains=64, samples=100).samples == 100  # unused by the sampled network


def test_open_chain_is_refused_by_the_translation_symmetric_machine():
    with pytest.raises(ConfigError, match="periodic"):
        thermal(TransverseFieldIsing(6, periodic=False), [1.0], ThermalConfig(method="variational"))
