"""Cross-seeding restarts one fit of each model with its weakest hidden fermion switched off (Fitter.cross_seed)."""

from __future__ import annotations

import numpy as np
import pytest

from arpes_sigma import FitConfig, Fitter
from arpes_sigma.fitting.fitter import drive
from arpes_sigma.model import POLE_LEAVES
from arpes_sigma.synthetic import make_spectrum

THREE = FitConfig(steps=40, steps_per_call=10, restarts=3, n_features=8, n_background=64, baselines=False)


@pytest.fixture(scope="module")
def small():
    """A small cut (5 EDCs × 86 energies), as in test_fit.py."""
    return make_spectrum(eps_k=np.linspace(-0.15, 0.03, 5), energies=np.arange(-0.25, 0.0401, 0.0034), seed=3)


def _switched_off(params):
    """(2R,) bool: restarts with a pole whose every leaf is exactly zero."""
    return np.any(np.all([np.asarray(params[name]) == 0.0 for name in POLE_LEAVES], axis=0), axis=1)


def test_one_restart_of_each_model_loses_a_pole_and_it_stays_off(small):
    da, _ = small
    f = Fitter(da, THREE)
    assert not _switched_off(f.state.params).any()  # every restart starts with all its poles
    drive(f, THREE.steps // THREE.steps_per_call)
    assert f.seeded and f.seeded_at < len(f.history) - 1  # steps were taken after the re-seed
    # checked after the last step: the solver never moved the switched-off pole (V = 0 is a stationary
    # point of the spectrum, every prior of the pole's leaves is centred at zero)
    off = _switched_off(f.state.params)
    r = THREE.restarts
    assert off[:r].sum() == 1 and off[r:].sum() == 1, off
    assert np.isfinite(np.asarray(f.state.cost)[off]).all()
    result = f.result()
    assert result.hidden_fermions in (1, 2)
    # the evidence between the two kinds of paired restart agrees with the pole count reported
    e = result.evidence["pole_evidence"]
    assert np.isfinite(e) and (e < 0) == (result.hidden_fermions == 1)
    attrs = result.to_dataset().attrs
    assert attrs["hidden_fermions"] == result.hidden_fermions and attrs["pole_evidence"] == e


def test_two_restarts_per_model_keep_every_pole(small):
    da, _ = small
    f = Fitter(da, THREE.replace(restarts=2))
    drive(f, THREE.steps // THREE.steps_per_call)
    assert f.seeded and not _switched_off(f.state.params).any()
    assert np.isnan(f.result().evidence["pole_evidence"])  # nothing to compare with
