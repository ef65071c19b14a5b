"""fit_quality (χ² against the measured noise, residual structure) and the per-cut Fermi-surface summary."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

from arpes_sigma.analysis.fermi_surface import fermi_surface_summary
from arpes_sigma.analysis.quality import fit_quality

OMEGA = np.linspace(-0.3, 0.05, 176)


def fake_result(residual, sigma=1.0, mask=None):
    model = 100 + 50 * np.exp(-(OMEGA / 0.05) ** 2) * np.ones((11, 1))
    return SimpleNamespace(intensity=model + residual * sigma, model_intensity=model,
                           window_mask=np.ones(OMEGA.size, bool) if mask is None else mask)


def test_white_residual_describes_the_data():
    rng = np.random.default_rng(0)
    q = fit_quality(fake_result(rng.standard_normal((11, OMEGA.size)), 2.0), np.full((11, OMEGA.size), 2.0))
    assert q.describes_data and q.chi2_reduced == pytest.approx(1.0, abs=0.1) and abs(q.correlation) < 0.1
    assert q.message.startswith("fit quality:")


def test_structured_or_large_residual_does_not():
    rng = np.random.default_rng(1)
    wiggle = 1.5 * np.sin(OMEGA / 0.02)[None, :] + rng.standard_normal((11, OMEGA.size))
    q = fit_quality(fake_result(wiggle), np.ones((11, OMEGA.size)))
    assert not q.describes_data and "structured along energy" in q.message and "not to be read" in q.message
    q = fit_quality(fake_result(3 * rng.standard_normal((11, OMEGA.size))), np.ones((11, OMEGA.size)))
    assert not q.describes_data and "chi2_red = 8.8" in q.message and q.correlation < 0.1
    # outside the window nothing counts
    mask = OMEGA < -0.2
    bad = np.where(mask, rng.standard_normal((11, OMEGA.size)), 50.0)
    assert fit_quality(fake_result(bad, mask=mask), np.ones((11, OMEGA.size))).describes_data


def test_fermi_surface_summary():
    w = np.array([0.005, 0.020, 0.040])
    slope = -0.5  # Re Σ11 = −0.5 ω  →  Z = 1/1.5
    ds = xr.Dataset(
        {"re_sigma_normal": (("cut", "eV"), np.tile(slope * OMEGA, (3, 1))),
         "re_sigma_anomalous": (("cut", "eV"), np.tile(w[:, None], (1, OMEGA.size))),
         "chi2_reduced": ("cut", [1.1, 1.2, 1.3]), "chi2_reduced_normal_only": ("cut", [1.1, 1.5, 2.3]),
         "status": ("cut", np.array(["ok"] * 3, dtype=object))},
        coords={"cut": [0, 1, 2], "eV": OMEGA})
    cuts = xr.DataArray(np.zeros((3, 11, OMEGA.size)), dims=("cut", "k", "eV"),
                        coords={"fs_angle": ("cut", [40.0, 20.0, 5.0]),
                                "source_file": ("cut", np.array(["a", "b", "c"], dtype=object))})
    s = fermi_surface_summary(ds, cuts)
    np.testing.assert_allclose(s["gap"].values, w / 1.5, rtol=1e-6)
    np.testing.assert_allclose(s["w0"].values, w)
    np.testing.assert_allclose(s["pairing_evidence"].values, 0.5 * np.array([0.0, 0.3, 1.0]) * 11 * OMEGA.size)
    assert list(s["fs_angle"].values) == [40.0, 20.0, 5.0]
    no_baseline = fermi_surface_summary(ds.drop_vars("chi2_reduced_normal_only"))
    assert np.all(np.isnan(no_baseline["pairing_evidence"].values))


def test_fermi_surface_summary_judges_each_cut_against_its_measured_noise():
    rng = np.random.default_rng(3)
    shape = (2, 11, OMEGA.size)
    residual = rng.standard_normal(shape) * 2.0
    residual[1] += 6.0 * np.sin(OMEGA / 0.02)  # structure left in the second cut
    ds = xr.Dataset(
        {"re_sigma_normal": (("cut", "eV"), np.zeros((2, OMEGA.size))),
         "re_sigma_anomalous": (("cut", "eV"), np.full((2, OMEGA.size), 0.02)),
         "residual": (("cut", "k", "eV"), residual), "window": (("cut", "eV"), np.ones((2, OMEGA.size), np.int8)),
         "chi2_reduced": ("cut", [1.0, 1.0])},
        coords={"cut": [0, 1], "eV": OMEGA})
    cuts = xr.DataArray(np.zeros(shape), dims=("cut", "k", "eV"),
                        coords={"noise_sigma": (("cut", "k", "eV"), np.full(shape, 2.0))})
    s = fermi_surface_summary(ds, cuts)
    assert list(s["describes_data"].values) == [1, 0]
    assert s["chi2_measured_noise"].values[0] == pytest.approx(1.0, abs=0.1)
    assert s["residual_correlation"].values[1] > 0.3
