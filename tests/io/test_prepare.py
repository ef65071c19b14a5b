"""prepare: the fit-ready cut from a raw cut + calibration, against the truth it was made from; refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import arpes_sigma
from arpes_sigma.errors import ArpesDataError
from arpes_sigma.io.calibrate import Calibration
from arpes_sigma.io.contract import validate
from arpes_sigma.io.noise import effective_gain
from arpes_sigma.io.prepare import prepare
from arpes_sigma.io.raw import read
from arpes_sigma.physics.band import CutGeometry
from arpes_sigma.synthetic.raw import DEFAULT_GEOMETRY


@pytest.fixture(scope="module")
def raw(raw_files):
    return read(raw_files["cut"])


@pytest.fixture(scope="module")
def cut_band(raw, calibration):
    return prepare(raw, calibration, band="bi2212", geometry=DEFAULT_GEOMETRY)


@pytest.fixture(scope="module")
def cut_mdc(raw, calibration):
    return prepare(raw, calibration)


def test_contract(cut_band, cut_mdc):
    for cut in (cut_band, cut_mdc):
        xr.testing.assert_identical(validate(cut), cut)  # passes validate unchanged
        assert cut.dims == ("k", "eV") and cut.shape[0] == 11
        assert cut["noise_sigma"].dims == ("k", "eV") and np.all(cut["noise_sigma"] > 0)
        for c in ("eps_k", "alpha", "eV_offset"):
            assert cut[c].dims == ("k",)
        assert np.all(np.diff(cut["eV"].values) > 0) and np.all(np.diff(cut["k"].values) > 0)
        a = cut.attrs
        for key in ("sample_temp", "energy_resolution", "hv", "fermi_level", "calibration", "source_files",
                    "eps_k_source", "pass_energy", "lens_mode", "effective_gain"):
            assert key in a, key
        assert json.loads(a["source_files"])[0].endswith("cut.txt")
        assert Calibration.from_json(a["calibration"]).source.endswith("gold.txt")
        assert np.all(np.abs(cut["eV_offset"].values) <= 0.001 + 1e-12)  # half an energy step
    assert cut_band.attrs["eps_k_source"] == "band:bi2212" and cut_mdc.attrs["eps_k_source"] == "mdc"
    assert arpes_sigma.prepare is prepare


def test_intensities_are_the_raw_values_summed(cut_band, raw, calibration):
    # the file holds g·N with g = 6: sums of such values stay multiples of 6 only if nothing was rescaled
    assert np.all(np.mod(cut_band.values, 6.0) == 0)
    # and one EDC is exactly the sum of its raw columns, read at the bin's mean E_F (nearest kinetic energy)
    j = 5
    total, _ = _bin_sum(raw, cut_band, calibration, j)
    np.testing.assert_array_equal(cut_band.values[j], total)


def _bin_sum(raw, cut, calibration, j):
    """EDC j rebuilt by hand: (its raw columns summed at the kinetic energies nearest ω + the bin's mean E_F,
    the whole-step shift each of its angles would get on its own)."""
    width = cut.attrs["bin_width"]
    alphas = raw["alpha"].values[np.argsort(np.abs(raw["alpha"].values - float(cut["alpha"][j])))[:width]]
    ef = calibration.fermi_level(alphas)
    kinetic = raw["eV"].values
    step = kinetic[1] - kinetic[0]
    total = sum(raw.sel(alpha=a).sel(eV=ef.mean() + cut["eV"].values, method="nearest").values for a in alphas)
    return total, np.rint((kinetic[0] - ef) / step)


def test_a_bin_whose_angles_round_to_different_steps_is_aligned_as_one_column(calibration):
    """A curved slit (5e-4 eV/deg²: 0.5 meV of E_F per 0.1° near the crossing) and 4 angles per EDC: most
    bins hold angles whose own E_F rounds to different energy steps. Each EDC is its angles summed at the
    kinetic energies of the bin's mean E_F, and ``eV_offset`` the remainder of that mean — aligning each
    angle on its own before summing would add points a whole step (2 meV) apart in true energy."""
    import dataclasses

    from arpes_sigma.synthetic.raw import make_raw_measurement

    m = make_raw_measurement(seed=3, slit_curvature=5e-4)
    cal = dataclasses.replace(calibration, fermi_poly=(m.truth.attrs["fermi_level_center"], 0.0, 5e-4))
    cut = prepare(m.cut, cal, band="bi2212", geometry=DEFAULT_GEOMETRY, bin_width=4)
    kinetic = m.cut["eV"].values
    straddling = 0
    for j in range(cut.sizes["k"]):
        total, own_steps = _bin_sum(m.cut, cut, cal, j)
        straddling += len(set(own_steps)) > 1
        np.testing.assert_array_equal(cut.values[j], total)
        width = cut.attrs["bin_width"]
        a = m.cut["alpha"].values[np.argsort(np.abs(m.cut["alpha"].values - float(cut["alpha"][j])))[:width]]
        ef = float(cal.fermi_level(a).mean())
        read_at = kinetic[np.abs(kinetic[:, None] - (ef + cut["eV"].values)[None, :]).argmin(axis=0)]
        # the true ω of the values read, minus the cut's ω: one number per EDC, under half a step
        np.testing.assert_allclose(read_at - ef - cut["eV"].values, float(cut["eV_offset"][j]), atol=1e-9)
    assert straddling >= 3, straddling  # the case this test is about occurs


def test_recovers_fermi_level_momentum_and_band(cut_band, truth):
    a = cut_band["alpha"].values
    ef_true = np.interp(a, truth["alpha"].values, truth["fermi_level"].values)
    mid = (cut_band.sizes["k"] - 1) // 2
    assert abs(cut_band.attrs["fermi_level"] - ef_true[mid]) < 1e-3  # within 1 meV
    k_true = np.interp(a, truth["alpha"].values, truth["k_parallel"].values)
    np.testing.assert_allclose(cut_band["k"].values, k_true, atol=2e-4)  # 1/Å
    eps_true = np.interp(a, truth["alpha"].values, truth["eps_k"].values)
    assert np.max(np.abs(cut_band["eps_k"].values - eps_true)) < 0.010  # the bar: 10 meV
    assert cut_band["eps_k"].min() < 0 < cut_band["eps_k"].max()  # EDCs on both sides of k_F
    assert cut_band.attrs["energy_resolution"] == pytest.approx(truth.attrs["energy_resolution"], rel=0.1)


def test_noise_model_recovers_the_gain(cut_band, raw, truth):
    assert cut_band.attrs["effective_gain"] == pytest.approx(truth.attrs["gain"], rel=0.1)
    assert effective_gain(raw.values) == pytest.approx(6.0, rel=0.1)


@pytest.mark.parametrize("gain", [1.0, 6.0, 25.0])
def test_effective_gain_on_known_counts(gain):
    rng = np.random.default_rng(1)
    e = np.linspace(-0.3, 0.1, 300)
    mean = 400 * np.exp(-((e[None] + 0.1 + 0.001 * np.arange(30)[:, None]) ** 2) / 0.01) + 30
    assert effective_gain(gain * rng.poisson(mean)) == pytest.approx(gain, rel=0.05)


def test_mdc_guess_straddles_the_crossing(cut_mdc, truth):
    a = cut_mdc["alpha"].values
    eps_true = np.interp(a, truth["alpha"].values, truth["eps_k"].values)
    assert cut_mdc["eps_k"].min() < 0 < cut_mdc["eps_k"].max()
    assert eps_true.min() < 0 < eps_true.max()  # the chosen EDCs do include the true Fermi crossing
    assert "MDC" in cut_mdc.attrs["eps_k_note"]


def test_inputs_untouched(raw, calibration, raw_files):
    before = raw.copy(deep=True)
    prepare(raw, calibration, n_edcs=5, k_span=0.1)
    xr.testing.assert_identical(raw, before)


def _msg(fn):
    with pytest.raises(ArpesDataError) as info:
        fn()
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_every_problem_in_one_message(raw, calibration):
    msg = _msg(lambda: prepare(raw.assign_attrs(hv=40.8), calibration, temperature=-1, n_edcs=1, band="nope"))
    for w in ("problems", "hv = 40.8", "temperature=-1", "n_edcs=1", "unknown band 'nope'", "geometry="):
        assert w in msg, msg


def test_pass_energy_mismatch(raw, calibration):
    assert "pass energy" in _msg(lambda: prepare(raw.assign_attrs(pass_energy=20.0), calibration))


def test_no_overlap_with_the_gold_fermi_level(raw, calibration):
    shifted = raw.assign_coords(eV=raw["eV"] + 1.0)
    assert "no overlap" in _msg(lambda: prepare(shifted, calibration))


def test_guessed_fermi_level_that_puts_the_band_above_ef(raw):
    guess = Calibration.from_fermi_level(16.75, 0.01, 20.0, 21.2, pass_energy=5.0)  # 150 meV too low
    msg = _msg(lambda: prepare(raw, guess))
    assert "band would lie above E_F" in msg


def test_no_angle_axis(raw, calibration):
    assert "no angle axis" in _msg(lambda: prepare(raw.mean("alpha", keep_attrs=True), calibration))


def test_too_many_edcs_for_the_angles(raw, calibration):
    assert "do not fit in the measured angles" in _msg(lambda: prepare(raw, calibration, n_edcs=101, k_span=2.5))


def test_given_eps_and_centre(raw, calibration):
    eps = np.linspace(-0.1, 0.1, 7)
    cut = prepare(raw, calibration, n_edcs=7, eps_k=eps, k_center=-0.17, geometry=CutGeometry(0, 0))
    np.testing.assert_array_equal(cut["eps_k"].values, eps)
    assert cut.attrs["eps_k_source"] == "given" and abs(cut["k"].values[3] + 0.17) < 0.01


def test_descending_angles_give_the_same_cut(raw, calibration, cut_band):
    flipped = raw.isel(alpha=slice(None, None, -1))
    again = prepare(flipped, calibration, band="bi2212", geometry=DEFAULT_GEOMETRY)
    xr.testing.assert_identical(again, cut_band)
