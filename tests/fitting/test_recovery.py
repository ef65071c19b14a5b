"""Recovering a known truth: the acceptance test of the extraction engine.

Synthetic cuts from :func:`arpes_sigma.synthetic.make_spectrum` — 11 EDCs
across k_F, 2 % noise, 10 meV resolution, 20 K, fixed seeds — for two
different truths, fitted with the *default* FitConfig. Criteria (issue #4):

* the occupied-side peak of Im Σ11 and of |Im W| within 5 meV of the truth;
* their heights within 20 %;
* the occupied-side curves within 25 % (relative L2);
* Im Σ_tot at that energy well below |Im Σ11| (the cancellation);
* the normal-only baseline fits measurably worse.
"""

from __future__ import annotations

import numpy as np
import pytest

from arpes_sigma import FitConfig, fit_with_baselines
from arpes_sigma.synthetic import make_spectrum

#: below E_F by more than ~ k_B T and a resolution half-width, so the
#: comparison is on the occupied side the data constrain
OCCUPIED_BELOW = -0.005


@pytest.fixture(scope="module", params=["bi2212_like", "deep_pole"])
def recovered(request):
    data, truth = make_spectrum(request.param, seed=1, noise=0.02, resolution=0.010, temperature=20.0)
    result = fit_with_baselines(data, FitConfig())
    return request.param, data, truth, result


def _peak(omega, curve):
    occ = omega < OCCUPIED_BELOW
    i = np.argmax(np.where(occ, curve, -np.inf))
    return omega[i], curve[i]


def _curves(truth, result):
    return [
        ("Σ11", -result.sigma_normal.imag, -truth.im_sigma_normal.values),
        ("W", np.abs(result.sigma_anomalous.imag), np.abs(truth.im_sigma_anomalous.values)),
    ]


def test_peak_energies_within_5_mev(recovered):
    name, _, truth, result = recovered
    for label, fitted, true in _curves(truth, result):
        e_fit, _ = _peak(result.omega, fitted)
        e_true, _ = _peak(result.omega, true)
        assert abs(e_fit - e_true) <= 0.005 + 1e-9, f"{name} {label}: {e_fit:.3f} vs {e_true:.3f} eV"


def test_peak_heights_within_20_percent(recovered):
    name, _, truth, result = recovered
    for label, fitted, true in _curves(truth, result):
        _, h_fit = _peak(result.omega, fitted)
        _, h_true = _peak(result.omega, true)
        assert abs(h_fit / h_true - 1) <= 0.20, f"{name} {label}: {h_fit:.3f} vs {h_true:.3f} eV"


def test_occupied_curves_within_25_percent(recovered):
    name, _, truth, result = recovered
    occ = result.omega < OCCUPIED_BELOW
    for label, fitted, true in _curves(truth, result):
        rel = np.linalg.norm((fitted - true)[occ]) / np.linalg.norm(true[occ])
        assert rel <= 0.25, f"{name} {label}: relative L2 {rel:.3f}"


def test_cancellation_in_sigma_total(recovered):
    name, _, truth, result = recovered
    e_peak, h = _peak(result.omega, -result.sigma_normal.imag)
    i = int(np.argmin(np.abs(result.omega - e_peak)))
    parts = result.cancellation()
    # "well below": the anomalous term removes most of the peak (the truth's
    # own ratio is ~0.1–0.15; a quarter leaves room for the fit)
    assert abs(parts["im_sigma_total"][i]) < 0.25 * h, name
    assert parts["im_anomalous_term"][i] > 0.5 * h  # the anomalous term is what cancels it


def test_fit_is_good_and_normal_only_is_measurably_worse(recovered):
    name, data, _, result = recovered
    n = data.size
    sigma_chi2 = np.sqrt(2.0 / n)  # standard deviation of χ²_red for n Gaussian residuals
    assert result.chi2_reduced < 1 + 5 * sigma_chi2 + 0.05, name  # 0.05: the χ² uses an estimated dof count
    assert result.baselines["normal_only"] > result.chi2_reduced + 10 * sigma_chi2, name
    assert result.baselines["norman"] > result.chi2_reduced, name
