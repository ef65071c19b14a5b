"""Figures that work on real data: many EDCs, the fit window, a colorbar with k units, the quality banner."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import xarray as xr
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure

from arpes_sigma.analysis.quality import FitQuality
from arpes_sigma.io.raw import read
from arpes_sigma.plotting.calibration import calibration_figure, prepared_figure
from arpes_sigma.plotting.fermi_surface import fermi_surface_figure
from arpes_sigma.plotting.result import edc_indices, plot_spectrum, result_figure, update_result_figure


def test_plot_spectrum_has_colorbar_and_k_units():
    da = xr.DataArray(np.random.default_rng(0).random((5, 30)), dims=("k", "eV"),
                      coords={"k": ("k", np.linspace(-0.1, 0.1, 5), {"units": "1/Angstrom"}),
                              "eV": np.linspace(-0.2, 0.05, 30)})
    ax = Figure().add_subplot()
    mesh = plot_spectrum(da, ax=ax)
    assert isinstance(mesh, QuadMesh) and ax.get_ylabel() == "k (1/Å)"
    assert len(ax.figure.axes) == 2  # the colorbar


def test_many_edcs_window_and_quality_banner():
    n, omega = 60, np.linspace(-0.3, 0.1, 120)
    data = np.random.default_rng(1).random((n, omega.size)) + 1
    mask = omega < 0.05
    c = complex(0, -0.1)
    result = SimpleNamespace(
        omega=omega, intensity=data, model_intensity=data * 0.9, window_mask=mask, chi2_reduced=8.0, baselines={},
        sigma_normal=np.full(omega.size, c), sigma_anomalous=np.full(omega.size, c), sigma_normal_std=None,
        sigma_anomalous_std=None, eps_k=np.linspace(-0.2, 0.1, n),
        cancellation=lambda k=None: {"k_index": 3, "im_sigma_normal": omega * 0, "im_anomalous_term": omega * 0,
                                     "im_sigma_total": omega * 0})
    bad = FitQuality(8.0, 0.7, "per point (noise_sigma)", False, "the fit does not describe the data: ...")
    fig, art = result_figure(result, quality=bad)
    assert len(art["edcs"][0]) == 12 == len(edc_indices(n)) and art["edc_index"][-1] == n - 1
    assert len(art["window"]) == 1  # the energies above the window are shaded
    assert art["warning"].get_text().startswith("the fit does not describe the data")
    update_result_figure(art, result)  # the subset is kept in place


def test_calibration_prepared_and_fermi_surface_figures(raw_files, calibration):
    from arpes_sigma.io.prepare import prepare

    gold = read(raw_files["gold"])
    fig, art = calibration_figure(calibration, gold)
    assert len(art["axes"]) == 3 and "edge" in art
    cut = prepare(read(raw_files["cut"]), calibration)
    fig, art = prepared_figure(cut, calibration, gold)
    assert len(art["edcs"][0]) == 11
    summary = xr.Dataset(
        {"gap": ("cut", [0.01, 0.02]), "w0": ("cut", [0.02, 0.03]), "pairing_evidence": ("cut", [np.nan, np.nan]),
         "chi2_reduced": ("cut", [1.2, 5.0]), "fs_angle": ("cut", [np.nan, np.nan]),
         "status": ("cut", np.array(["ok", "ok"], dtype=object)),
         "source_file": ("cut", np.array(["/x/a.txt", "/x/b.txt"], dtype=object))})
    fig, art = fermi_surface_figure(summary)
    assert [t.get_text() for t in art["axes"][0].get_xticklabels()] == ["a.txt", "b.txt"]
