"""validate: every missing or implausible attribute in one message; nonsense that used to pass is refused."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from arpes_sigma.errors import ArpesDataError
from arpes_sigma.io.contract import validate
from arpes_sigma.synthetic import make_spectrum


@pytest.fixture(scope="module")
def cut():
    da, _ = make_spectrum(eps_k=np.linspace(-0.15, 0.03, 6), energies=np.arange(-0.25, 0.0401, 0.004), seed=2)
    return da


def msg_of(fn):
    with pytest.raises(ArpesDataError) as info:
        fn()
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_all_missing_metadata_in_one_message(cut):
    bare = cut.drop_vars("eps_k").copy()
    bare.attrs = {}
    msg = msg_of(lambda: validate(bare))
    assert msg.startswith("3 problems:")
    for w in ("no 'eps_k'", "no sample temperature", "no energy resolution", "sample_temp=", "energy_resolution="):
        assert w in msg, msg
    assert "2 problems" in msg_of(lambda: validate(bare, eps_k=cut["eps_k"].values, energy_resolution=2.0))


def test_angle_axis_in_degrees(cut):
    deg = cut.assign_coords(k=("k", np.linspace(-12, 12, 6)))
    assert "degrees" in msg_of(lambda: validate(deg))
    tagged = cut.assign_coords(k=("k", cut["k"].values, {"units": "deg"}))
    assert "arpes_sigma.prepare" in msg_of(lambda: validate(tagged))
    validate(cut.assign_coords(k=("k", np.arange(6))))  # a bare index is fine


def test_eps_identically_zero(cut):
    assert "placeholder" in msg_of(lambda: validate(cut, eps_k=np.zeros(6)))
    validate(cut.isel(k=0), eps_k=0.0)  # one EDC at k_F may have ε = 0


def test_fermi_level_that_leaves_the_band_above_ef(cut):
    wrong = cut.assign_coords(eV=cut["eV"] + 0.35).copy()  # energies −0.1 … +0.39 eV
    msg = msg_of(lambda: validate(wrong))
    assert "Fermi level looks wrong" in msg and "arpes_sigma.calibrate" in msg
    # problems are collected: a wrong E_F and a missing resolution in one line
    wrong.attrs = {"sample_temp": 20.0}
    assert msg_of(lambda: validate(wrong)).startswith("2 problems:")


def test_clean_cut_passes(cut):
    xr.testing.assert_identical(validate(cut), cut)
