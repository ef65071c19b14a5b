"""calibrate: E_F(α) and the FWHM from a gold edge written by a separate numpy code path; refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

import arpes_sigma
from arpes_sigma.errors import ArpesDataError, ConfigError
from arpes_sigma.io.calibrate import Calibration, calibrate
from arpes_sigma.io.raw import read


def test_recovers_fermi_level_and_resolution(calibration, truth):
    """Truth: E_F(α) = 16.9 eV + 4e-5 eV/deg² α², FWHM 10 meV, 20 K (synthetic/raw.py, plain numpy edge)."""
    a = truth["alpha"].values
    err = calibration.fermi_level(a) - truth["fermi_level"].values
    assert np.max(np.abs(err)) < 1e-3  # the bar: within 1 meV at every angle of the detector
    assert np.max(np.abs(err[np.abs(a) < 10])) < 3e-4  # and well inside the angle range much better
    fwhm = truth.attrs["energy_resolution"]
    assert abs(calibration.energy_resolution - fwhm) < 0.1 * fwhm  # the bar: 10 %
    assert abs(calibration.energy_resolution - fwhm) < 0.03 * fwhm
    assert calibration.fermi_poly[2] == pytest.approx(truth.attrs["slit_curvature"], rel=0.1)  # the curved slit
    assert calibration.hv == 21.2 and calibration.pass_energy == 5.0 and calibration.temperature == 20.0
    assert len(calibration.edge_angles) >= 15 and calibration.fermi_rms < 3e-4


def test_calibration_record_round_trips(calibration):
    again = Calibration.from_json(calibration.to_json())
    assert again.to_json() == calibration.to_json()
    attrs = calibration.to_attrs()
    assert attrs["energy_resolution"] == calibration.energy_resolution and attrs["gold_file"].endswith("gold.txt")
    assert arpes_sigma.calibrate is calibrate


def _flat_gold(raw_files):
    """The gold with its edge removed: every column set to its own mean (noise kept)."""
    gold = read(raw_files["gold"])
    rng = np.random.default_rng(0)
    return gold.copy(data=6.0 * rng.poisson(np.full(gold.shape, 200.0)))


def test_refuses_gold_without_an_edge(raw_files):
    with pytest.raises(ArpesDataError) as info:
        calibrate(_flat_gold(raw_files), 20.0)
    msg = str(info.value)
    assert "no Fermi edge" in msg and "metal" in msg and "\n" not in msg


def test_refuses_edge_at_the_window_end(raw_files):
    gold = read(raw_files["gold"])
    with pytest.raises(ArpesDataError, match="too close to the end of the energy window"):
        calibrate(gold.sel(eV=slice(None, 16.93)), 20.0)


def test_refuses_angle_integrated_gold(raw_files):
    gold = read(raw_files["gold"]).mean("alpha", keep_attrs=True)
    with pytest.raises(ArpesDataError, match="no angle axis 'alpha'"):
        calibrate(gold, 20.0)


@pytest.mark.parametrize("temperature", [0.0, -3, 1e4, "warm"])
def test_refuses_bad_temperature(raw_files, temperature):
    with pytest.raises(ConfigError, match="temperature"):
        calibrate(raw_files["gold"], temperature)


def test_photon_and_pass_energy_must_match(calibration, raw_files):
    cut = read(raw_files["cut"])
    calibration.check_matches(cut)
    other_hv = cut.assign_attrs(hv=40.8)
    with pytest.raises(ArpesDataError, match=r"hv = 21.2 eV but .* hv = 40.8 eV"):
        calibration.check_matches(other_hv)
    with pytest.raises(ArpesDataError, match="pass energy 5 eV but .* at 10 eV"):
        calibration.check_matches(cut.assign_attrs(pass_energy=10.0))


def test_guessed_fermi_level():
    c = Calibration.from_fermi_level(16.9, 0.012, 30.0, 21.2)
    np.testing.assert_array_equal(c.fermi_level([-10, 0, 10]), 16.9)
    assert c.source == "guess" and math.isnan(c.pass_energy)
    with pytest.raises(ConfigError, match="meV"):
        Calibration.from_fermi_level(16.9, 12.0, 30.0, 21.2)


def test_curved_slit_needs_the_polynomial(calibration, truth):
    """Control: a constant E_F misses the curvature by more than the 1 mV bar, so the test above can fail."""
    a = truth["alpha"].values
    flat = np.full(a.shape, float(calibration.fermi_level(0.0)))
    assert np.max(np.abs(flat - truth["fermi_level"].values)) > 3e-3
    assert isinstance(xr.DataArray(a), xr.DataArray)
