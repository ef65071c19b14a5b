"""Spin models: bonds, dense Hamiltonians, the local form H = diag + moves, validation."""

import numpy as np
import pytest

from arpes_sigma.errors import ConfigError
from arpes_sigma.thermal.models import J1J2Square, TransverseFieldIsing, spin_configurations


def test_tfim_dense_is_symmetric_and_traceless():
    m = TransverseFieldIsing(6, 0.7, 1.3)
    h = m.dense()
    assert np.allclose(h, h.T)
    assert abs(np.trace(h)) < 1e-12
    # ⟨H²⟩ at β = 0 per site = J² + h² on a periodic chain
    assert np.trace(h @ h) / 2**6 / 6 == pytest.approx(0.7**2 + 1.3**2, rel=1e-12)


def test_tfim_bonds_and_basis_convention():
    assert TransverseFieldIsing(4).bonds.tolist() == [[0, 1], [1, 2], [2, 3], [3, 0]]
    assert TransverseFieldIsing(4, periodic=False).bonds.tolist() == [[0, 1], [1, 2], [2, 3]]
    s = spin_configurations(3)
    assert s[0].tolist() == [1, 1, 1] and s[1].tolist() == [-1, 1, 1]  # bit i set ↔ spin i down


def test_j1j2_bonds_counts_and_h2():
    m = J1J2Square(4, 4, 1.0, 0.5)
    assert m.nn_bonds.shape == (32, 2) and m.nnn_bonds.shape == (32, 2)
    # no repeated bonds on a 4 × 4 torus
    pairs = {tuple(sorted(b)) for b in m.bonds.tolist()}
    assert len(pairs) == 64
    m3 = J1J2Square(3, 3, 1.0, 0.5)
    h = m3.dense()
    assert np.allclose(h, h.T) and abs(np.trace(h)) < 1e-10
    # Tr(S_i·S_j)² / 2^N = 3/16 per bond; 2N bonds of each kind: ⟨H²⟩_∞ / N = 3/8 (J1² + J2²)
    assert np.trace(h @ h) / 2**9 / 9 == pytest.approx(3 / 8 * (1.0 + 0.25), rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [dict(n_sites=1), dict(n_sites=2.5), dict(n_sites=4, coupling=float("nan")), dict(n_sites=4, field="x")],
)
def test_tfim_rejects_bad_parameters(kwargs):
    with pytest.raises(ConfigError):
        TransverseFieldIsing(**kwargs)


def test_j1j2_rejects_small_cluster_and_dense_guard():
    with pytest.raises(ConfigError):
        J1J2Square(2, 4)
    with pytest.raises(ConfigError):
        J1J2Square(4, 4).dense()  # 16 spins: dense matrices are refused


def _dense_from_local_terms(model):
    """H rebuilt from model.local_terms() alone (the form the variational local energy uses)."""
    terms = model.local_terms()
    s = spin_configurations(model.n_sites).astype(float)
    dim = 2**model.n_sites
    h = np.diag(np.sum(terms.diag_coef * s[:, terms.diag_bonds[:, 0]] * s[:, terms.diag_bonds[:, 1]], axis=1))
    x = np.arange(dim)
    for (i, j), c in zip(terms.move_sites, terms.move_coef, strict=True):
        flip = (1 << int(i)) | ((1 << int(j)) if j >= 0 else 0)
        ok = np.ones(dim, bool) if not terms.antiparallel_only else s[:, i] != s[:, j]
        h[x[ok] ^ flip, x[ok]] += c
    return h


@pytest.mark.parametrize(
    "model", [TransverseFieldIsing(5, 0.7, -1.3), TransverseFieldIsing(4, 1.0, 0.5, False), J1J2Square(3, 3, 1.0, 0.45)]
)
def test_local_terms_rebuild_the_dense_hamiltonian(model):
    np.testing.assert_allclose(_dense_from_local_terms(model), model.dense(), atol=1e-12)
