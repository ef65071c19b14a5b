"""Exact references for the thermal code: models, ED, Jordan–Wigner, symmetry sectors.

Tolerances: 1e-10 where two exact methods are compared (both are exact up to
float64 round-off of sums over ≤ 2^12 terms); literature ground-state
energies to their quoted digits.
"""

import numpy as np
import pytest

from arpes_sigma.errors import ConfigError
from arpes_sigma.thermal.exact import ed_tfim, jw_tfim
from arpes_sigma.thermal.models import J1J2Square, TransverseFieldIsing
from arpes_sigma.thermal.observables import canonical_averages
from arpes_sigma.thermal.references import exact_reference
from arpes_sigma.thermal.sectors import ed_j1j2, heisenberg_spectrum

TEMPS = np.array([0.02, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0])


# ------------------------------------------------------------------ TFIM: ED == JW


@pytest.mark.parametrize("n", [6, 8])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("coupling,field", [(1.0, 1.0), (1.0, 0.5), (1.0, 2.0), (-0.7, 0.3), (1.0, -1.3)])
def test_jordan_wigner_equals_ed(n, periodic, coupling, field):
    m = TransverseFieldIsing(n, coupling, field, periodic)
    ed, jw = ed_tfim(m, TEMPS), jw_tfim(m, TEMPS)
    np.testing.assert_allclose(jw.energy, ed.energy, rtol=0, atol=1e-10)
    np.testing.assert_allclose(jw.specific_heat, ed.specific_heat, rtol=0, atol=1e-10)


@pytest.mark.parametrize("n", [5, 7])
def test_jordan_wigner_odd_frustrated_ring_low_temperature(n):
    """Odd antiferromagnetic ring: the parity projection cancels strongly at low T."""
    m = TransverseFieldIsing(n, -1.0, 0.3, True)
    ed, jw = ed_tfim(m, TEMPS), jw_tfim(m, TEMPS)
    np.testing.assert_allclose(jw.energy, ed.energy, atol=1e-10)
    np.testing.assert_allclose(jw.specific_heat, ed.specific_heat, atol=1e-10)


def test_jordan_wigner_thermodynamic_limit_ground_state():
    """Critical chain: E0/N → −4/π (Pfeuty 1970); finite-size correction ~ 1/N²."""
    e = jw_tfim(TransverseFieldIsing(2000, 1.0, 1.0), [1e-3]).energy[0]
    assert e == pytest.approx(-4 / np.pi, abs=1e-6)


def test_ed_tfim_magnetisation_limits():
    m = TransverseFieldIsing(6, 1.0, 1.0)
    r = ed_tfim(m, [1e3, 0.01])
    # T → ∞: ⟨σˣ⟩ → βh, ⟨mz²⟩ → 1/N
    assert r.observables["mx"][0] == pytest.approx(1e-3, rel=1e-2)
    assert r.observables["mz2"][0] == pytest.approx(1 / 6, rel=3e-3)  # + O(βJ) correlations
    assert 0 < r.observables["mx"][1] < 1


def test_temperatures_are_validated():
    m = TransverseFieldIsing(4)
    for bad in ([], [-1.0], [0.0], [float("inf")]):
        with pytest.raises(ConfigError):
            jw_tfim(m, bad)


# ------------------------------------------------------------------ Heisenberg sectors


@pytest.mark.parametrize("lx,ly", [(3, 3)])
def test_momentum_sectors_reproduce_sz_sectors(lx, ly):
    m = J1J2Square(lx, ly, 1.0, 0.5)
    e1, sz1 = heisenberg_spectrum(m, use_momentum=True)
    e2, sz2 = heisenberg_spectrum(m, use_momentum=False)
    assert e1.size == e2.size == 2 ** m.n_sites
    for sz in np.unique(sz2):
        np.testing.assert_allclose(np.sort(e1[sz1 == sz]), np.sort(e2[sz2 == sz]), atol=1e-10)


def test_sectors_match_dense_diagonalisation():
    m = J1J2Square(3, 3, 0.8, 0.35)
    e, _ = heisenberg_spectrum(m)
    np.testing.assert_allclose(np.sort(e), np.linalg.eigvalsh(m.dense()), atol=1e-10)


@pytest.mark.slow  # about a minute per case on 2 cores; bench_thermal.py prints the same 4 × 4 spectrum check
@pytest.mark.parametrize("j2,e0", [(0.0, -0.7017802), (0.5, -0.5286202)])
def test_4x4_ground_state_energy(j2, e0):
    """4 × 4 ground-state energies per site (e.g. Schulz, Ziman, Poilblanc, J. Phys. I 6, 675 (1996))."""
    e, _ = heisenberg_spectrum(J1J2Square(4, 4, 1.0, j2))
    assert e.size == 2**16
    assert e.min() / 16 == pytest.approx(e0, abs=1e-6)


def test_ed_j1j2_high_temperature_expansion():
    """β → 0: E ≈ −β⟨H²⟩_∞/N, C ≈ β²⟨H²⟩_∞/N (⟨H⟩_∞ = 0); E increases with T."""
    m = J1J2Square(3, 4, 1.0, 0.5)
    r = ed_j1j2(m, [200.0, 3.0, 1.0, 0.5])
    h2 = 3 / 8 * (1.0 + 0.5**2)  # ⟨H²⟩_∞ / N = 3/8 (J1² + J2²), see test_models
    assert r.energy[0] == pytest.approx(-h2 / 200, rel=1e-2)
    assert r.specific_heat[0] == pytest.approx(h2 / 200**2, rel=2e-2)
    assert np.all(np.diff(r.energy) < 0)


def test_canonical_averages_two_level_system():
    t = np.array([0.3, 1.0])
    out = canonical_averages([0.0, 1.0], t, 1)
    p = np.exp(-1 / t) / (1 + np.exp(-1 / t))
    np.testing.assert_allclose(out["energy"], p)
    np.testing.assert_allclose(out["specific_heat"], p * (1 - p) / t**2)


def test_exact_reference_dispatch():
    assert exact_reference(TransverseFieldIsing(30), [1.0]).method == "jordan-wigner"
    assert exact_reference(J1J2Square(3, 3), [1.0]).method == "ed-sectors"
