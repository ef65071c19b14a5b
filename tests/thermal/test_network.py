"""The explicit purified DBM: its units and weights, summed three independent ways.

1. brute force over every hidden and deep unit (tiny networks),
2. layer by layer (:mod:`arpes_sigma.thermal.contraction`),
3. matrix exponentials of the Hamiltonian (Trotter products and e^{−βH/2}).

Tolerances: 1e-12 where two exact constructions meet (float64 round-off);
Trotter errors from measured values at the default step 0.05 (TFIM N = 8:
|ΔE/E| ≤ 3.5e-4, |ΔC/C| ≤ 4.4e-3 at T = 0.25–3; J1–J2 3 × 3 at step 0.1:
see the test), with a factor of about 3 on top.
"""

import numpy as np
import pytest
import scipy.linalg

from arpes_sigma.errors import ConfigError
from arpes_sigma.thermal import ThermalConfig, thermal
from arpes_sigma.thermal.contraction import network_amplitudes, trotter_steps
from arpes_sigma.thermal.exact import jw_tfim
from arpes_sigma.thermal.models import J1J2Square, TransverseFieldIsing, swap_permutations
from arpes_sigma.thermal.network import heisenberg_bond_factor, tfim_network, transverse_field_weights
from arpes_sigma.thermal.sectors import ed_j1j2

SX = np.array([[0.0, 1.0], [1.0, 0.0]])
SY = np.array([[0, -1j], [1j, 0]])
SZ = np.diag([1.0, -1.0])


def _trotter_step(model, tau):
    h = model.dense()
    hz = np.diag(np.diag(h))
    return scipy.linalg.expm(-tau * hz / 2) @ scipy.linalg.expm(-tau * (h - hz)) @ scipy.linalg.expm(-tau * hz / 2)


@pytest.mark.parametrize("coupling,field", [(0.7, 1.1), (-0.6, 0.4), (1.0, -0.8)])
@pytest.mark.parametrize("n_sites,periodic,n_steps", [(3, True, 0), (3, True, 1), (2, False, 3)])
def test_brute_force_sum_over_all_units_is_the_trotter_product(coupling, field, n_sites, periodic, n_steps):
    """Every hidden (Bell, bond) and deep unit enumerated: ψ(σ, a) = ⟨σ|(Trotter step)^m|a⟩."""
    model = TransverseFieldIsing(n_sites, coupling, field, periodic)
    net = tfim_network(model, n_steps, 0.1)
    want = np.linalg.matrix_power(_trotter_step(model, 0.1), n_steps)
    np.testing.assert_allclose(net.brute_force_amplitude(), want, rtol=0, atol=1e-12)


def test_unit_counts_and_weights_of_the_construction():
    model = TransverseFieldIsing(8, 1.0, 1.0)
    net = tfim_network(model, 10, 0.05)
    # 8 Bell + (10 + 1) layers × 8 bond units; 10 deep layers of 8, the last one visible
    assert net.counts() == {"visible": 8, "ancilla": 8, "hidden": 8 + 11 * 8, "deep": 80, "couplings": 16 + 80 + 176}
    bell = net.weight[np.isclose(np.abs(net.weight), np.pi / 4) & np.isclose(net.weight.real, 0)]
    assert len(bell) == 16
    _, k = transverse_field_weights(0.05, 1.0)
    assert np.sum(np.isclose(net.weight, k)) == 80  # one deep coupling per site per step


def test_layer_couplings_sum_the_hidden_units():
    model = TransverseFieldIsing(4, 0.8, 0.9)
    c = tfim_network(model, 3, 0.1).layer_couplings()
    assert c.ancilla_is_first_layer
    np.testing.assert_allclose(c.inter, -0.5 * np.log(np.tanh(0.09)))
    # the bond hidden units give τ'J: half a step on the end layers, a full step inside
    np.testing.assert_allclose(c.intra.real, np.array([0.04, 0.08, 0.08, 0.04])[:, None] * np.ones(4), atol=1e-14)


def test_heisenberg_bond_factor_from_its_hidden_units_is_exact():
    ss = 0.25 * sum(np.kron(p, p) for p in (SX, SY, SZ))
    for tau, j in [(0.05, 1.0), (0.1, 0.5), (0.2, -0.8)]:
        expected = scipy.linalg.expm(-tau * j * ss).reshape(2, 2, 2, 2)
        np.testing.assert_allclose(heisenberg_bond_factor(tau, j), expected, atol=1e-12)
    with pytest.raises(ConfigError):
        heisenberg_bond_factor(0.1, 0.0)


def test_layer_contraction_equals_exp_minus_beta_h_to_second_order():
    model = TransverseFieldIsing(5, 1.0, 0.8)
    exact = scipy.linalg.expm(-0.5 * 1.2 * model.dense())
    err = []
    for step in (0.1, 0.05):
        psi, ln = network_amplitudes(model, 1.2, step)
        full = psi * np.exp(ln - ln.max())[None]
        err.append(np.abs(full / np.abs(full).max() - exact / np.abs(exact).max()).max())
    assert err[1] < 5e-4  # measured 4.0e-4
    assert err[0] / err[1] == pytest.approx(4.0, rel=0.05)  # symmetric Trotter: O(τ²)


def test_gate_contraction_of_the_j1j2_network_equals_the_trotter_product():
    """Bond factors from the network's weights vs e^{−τJ(P/2 − 1/4)} = e^{τJ/4}(cosh(τJ/2) − sinh(τJ/2) P), P² = 1."""
    model = J1J2Square(3, 3, 1.0, 0.5)
    psi, ln = network_amplitudes(model, 0.4, 0.1)  # two symmetric steps of τ = 0.1 (each bond twice with τ/2)
    keep = model.bond_couplings != 0
    perms = swap_permutations(model.bonds[keep], 9)
    want = np.eye(2**9)
    for _ in range(2):
        for k in list(range(len(perms))) + list(range(len(perms)))[::-1]:
            y = 0.05 * model.bond_couplings[keep][k]
            want = np.exp(y / 4) * (np.cosh(y / 2) * want - np.sinh(y / 2) * want[perms[k]])
    full = psi * np.exp(ln)[None]
    np.testing.assert_allclose(full / np.abs(full).max(), want / np.abs(want).max(), atol=1e-12)


def test_beta_zero_network_is_the_identity():
    psi, ln = network_amplitudes(TransverseFieldIsing(4, 1.0, 0.7), 0.0)
    np.testing.assert_array_equal(psi, np.eye(16))
    assert trotter_steps(0.0, 0.05) == (0, 0.0)


ACCEPT_T = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0])


def test_exact_path_tfim_n8_against_jordan_wigner():
    m = TransverseFieldIsing(8, 1.0, 1.0)
    ref = jw_tfim(m, ACCEPT_T)
    res = thermal(m, ACCEPT_T, ThermalConfig(method="exact", trotter_step=0.05))
    assert res.method == "exact" and res.n_steps.tolist() == [40, 20, 10, 7, 5, 4]
    assert np.all(np.abs(res.energy / ref.energy - 1) < 1e-3)  # measured ≤ 3.5e-4
    assert np.all(np.abs(res.specific_heat / ref.specific_heat - 1) < 1.3e-2)  # measured ≤ 4.4e-3
    assert np.all(res.energy_err == 0)


def test_exact_path_results_follow_input_order_and_converge():
    m = TransverseFieldIsing(6, 1.0, 0.6, periodic=False)
    temps = [1.0, 0.3, 2.0]
    ref = jw_tfim(m, temps)
    errs = []
    for step in (0.1, 0.05):
        r = thermal(m, temps, ThermalConfig(method="exact", trotter_step=step))
        np.testing.assert_array_equal(r.temperature, temps)
        errs.append(np.abs(r.energy - ref.energy).max())
    assert errs[0] / errs[1] > 3.0  # the steps are rounded up, so not exactly 4


def test_exact_path_j1j2_3x3_against_ed():
    m = J1J2Square(3, 3, 1.0, 0.5)
    temps = np.array([0.5, 2.0])
    ref = ed_j1j2(m, temps)
    r = thermal(m, temps, ThermalConfig(method="exact", trotter_step=0.1))
    rel_e = np.abs(r.energy / ref.energy - 1)
    rel_c = np.abs(r.specific_heat / ref.specific_heat - 1)
    assert np.all(rel_e < 1e-3), rel_e  # measured 2.8e-4, 1.9e-4
    assert np.all(rel_c < 4e-3), rel_c  # measured 1.2e-3, 7e-6
