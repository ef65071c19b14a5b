"""The detectable changes of Σ11 and W (``*_detectable``, :mod:`arpes_sigma.fitting.evidence`).

The program computes them from forward-mode Jacobians and the Laplace
covariance (a Schur complement). Here the same numbers come from another path:
central finite differences of the residuals with the local changes written out
again, the whole Hessian of the fit's parameters and the two extra coefficients
built and inverted in NumPy. What they mean on truths outside the model family
is tested in ``test_recovery.py``.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from arpes_sigma import FitConfig
from arpes_sigma.fitting.fitter import Fitter, drive
from arpes_sigma.fitting.loss import band_energies, data_fit, n_points, prior_residuals
from arpes_sigma.fitting.summary import _x64
from arpes_sigma.model import self_energy
from arpes_sigma.physics import observed
from arpes_sigma.synthetic import make_spectrum

CENTRES = (-0.03, -0.08, -0.15)  # eV


@pytest.fixture(scope="module")
def fitted():
    data, _ = make_spectrum("bi2212_like", seed=4)
    config = FitConfig(window=(-0.25, 0.03))  # narrower than the data, to see the detectable changes end at it
    fitter = Fitter(data, config)
    drive(fitter, -(-config.steps // config.steps_per_call))
    return fitter, fitter.result()


def _finite_difference_detectable(fitter, result, omega_j):
    """(detectable W, detectable Σ11) at the measured energy closest to ``omega_j``, by finite differences."""
    r = fitter.config.restarts
    ib = int(np.nanargmax(np.where(np.isfinite(result.log_evidence_restarts[:r]),
                                   result.log_evidence_restarts[:r], np.nan)))
    spec = fitter.config.model_spec()
    noise_scale = result.evidence["noise_scale"]
    with jax.enable_x64(True):
        problem, settings = _x64(fitter.problem), _x64(fitter.settings)
        params = _x64(jax.tree.map(lambda x: np.asarray(x)[ib], fitter.state.params))
        theta0, unravel = ravel_pytree(params)
        theta0 = np.asarray(theta0)
        grid = np.asarray(problem.grid)
        j = int(np.argmin(np.abs(np.asarray(problem.omega) - omega_j)))
        x = float(np.asarray(problem.omega)[j])
        eta = max(0.5 * float(settings.resolution), grid[1] - grid[0])
        z = grid + 1j * eta
        d11, d22 = eta / (z - x), eta / (z + x)  # a pole of Σ11 at x and its hole partner in Σ22
        dw = eta / (z - abs(x)) - eta / (z + abs(x))  # odd spectral density at ±|x|

        def r_all(v):
            theta, c_w, c_11 = v[:-2], v[-2], v[-1]
            p = unravel(theta)
            s11, s22, w = self_energy(p, spec, grid, 1.0)
            curves = observed(grid, problem.omega, band_energies(p, problem, settings), s11 + c_11 * d11,
                              s22 + c_11 * d22, w + c_w * dw, settings.temperature, settings.resolution,
                              problem.layout, problem.energy_offset)
            data = np.asarray(data_fit(curves, problem, settings).residual).ravel() / np.sqrt(noise_scale)
            prior = [np.asarray(a) for a in prior_residuals(p, spec, settings, n_points(problem, settings)).values()]
            return np.concatenate([data, *prior])

        v0 = np.concatenate([theta0, [0.0, 0.0]])
        cols = []
        for i in range(v0.size):
            h = 1e-5 * max(1.0, abs(v0[i]))
            up, down = v0.copy(), v0.copy()
            up[i] += h
            down[i] -= h
            cols.append((r_all(up) - r_all(down)) / (2 * h))
    jac = np.stack(cols, axis=1)
    cov = np.linalg.inv(jac.T @ jac)
    return float(np.sqrt(cov[-2, -2])), float(np.sqrt(cov[-1, -1])), j


@pytest.mark.parametrize("omega_j", CENTRES)
def test_detectable_changes_agree_with_finite_differences(fitted, omega_j):
    fitter, result = fitted
    det_w, det_11, j = _finite_difference_detectable(fitter, result, omega_j)
    assert result.sigma_anomalous_detectable[j] == pytest.approx(det_w, rel=0.03)
    assert result.sigma_normal_detectable[j] == pytest.approx(det_11, rel=0.03)


def test_detectable_changes_are_defined_inside_the_window_only(fitted):
    _, result = fitted
    inside = np.asarray(result.window_mask) > 0
    assert not inside.all()
    assert np.all(np.isnan(result.sigma_normal_detectable[~inside]))
    assert np.all(np.isfinite(result.sigma_normal_detectable[inside]))
    assert np.all(np.isnan(result.sigma_anomalous_detectable[~inside]))
    # W's change is odd about E_F: none is centred there (within the resolution's half width)
    half_width = 0.5 * float(result.attrs["energy_resolution"])
    assert np.all(np.isnan(result.sigma_anomalous_detectable[np.abs(result.omega) < half_width]))
    assert np.all(np.isfinite(result.sigma_anomalous_detectable[inside & (result.omega < -2 * half_width)]))


def test_the_package_truth_is_determined_across_its_peak(fitted):
    """In the model's own family the two-pole truth's W peak is well inside what the data determine."""
    _, result = fitted
    occ = result.omega < -0.005
    peak = float(result.omega[occ][np.argmax(np.abs(result.sigma_anomalous.imag[occ]))])
    assert result.determined_to("sigma_anomalous") < peak
    assert result.determined_to("sigma_normal") < peak
