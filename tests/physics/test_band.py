"""Bare bands: the Norman et al. (1995) Bi2212 fit, the cut geometry and the Fermi-surface angle."""

from __future__ import annotations

import numpy as np
import pytest

from arpes_sigma.physics.band import BANDS, CutGeometry, bi2212_eps, fermi_surface_angle, tight_binding_eps


def test_norman_1995_values():
    # harmonics at (π, 0): 1, 0, −1, 1, 0, 1  →  c0 − c2 + c3 + c5
    assert bi2212_eps(np.pi, 0.0) == pytest.approx(0.1305 - 0.1636 - 0.0519 + 0.0510)
    assert bi2212_eps(np.pi, 0.0) == pytest.approx(-0.034, abs=1e-3)  # the antinodal band near −35 meV
    # at Γ every harmonic is 1
    assert bi2212_eps(0.0, 0.0) == pytest.approx(sum((0.1305, -0.5951, 0.1636, -0.0519, -0.1117, 0.0510)))
    k = np.linspace(0, np.pi, 20001)
    node = k[np.argmin(np.abs(bi2212_eps(k, k)))]
    assert node / np.pi == pytest.approx(0.365, abs=0.005)  # nodal k_F
    grid = bi2212_eps(k[::500, None], k[None, ::500])
    np.testing.assert_allclose(grid, grid.T)  # kx <-> ky
    np.testing.assert_allclose(bi2212_eps(-0.3, 0.7), bi2212_eps(0.3, -0.7))
    assert BANDS["bi2212"] is bi2212_eps
    # the old simplified default is far off at the antinode — why bi2212 is the default for Bi2212
    assert tight_binding_eps(np.pi, 0.0) == pytest.approx(-0.14)


def test_cut_geometry_and_fs_angle():
    g = CutGeometry(kx0=np.pi, ky0=0.0, direction=90.0, lattice_constant=4.0)
    kx, ky = g.kxky([0.0, 0.25])
    np.testing.assert_allclose(kx, [np.pi, np.pi])
    np.testing.assert_allclose(ky, [0.0, 1.0])
    assert fermi_surface_angle(np.pi, 0.6) == pytest.approx(0.0)  # antinode
    assert fermi_surface_angle(1.15, 1.15) == pytest.approx(45.0)  # node
    assert fermi_surface_angle(-0.6, -np.pi) == pytest.approx(90.0)
    with pytest.raises(ValueError, match="Å"):
        CutGeometry(0.0, 0.0, lattice_constant=0.383)
