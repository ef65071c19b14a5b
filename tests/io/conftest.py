"""Shared fixtures of the raw-data tests: one synthetic SES export (cut + gold + truth) and its calibration.

Made once per session: writing the synthetic measurement compiles the forward
model (a few seconds) and the calibration runs ERLabPy's per-angle edge fits.
"""

from __future__ import annotations

import os
import stat

import pytest
import xarray as xr

from arpes_sigma.synthetic.raw import write_raw_measurement


@pytest.fixture(scope="session")
def raw_files(tmp_path_factory):
    """``{"cut", "gold", "truth"}`` paths of a synthetic SES text export (20 K, 10 meV, g = 6), read-only."""
    folder = tmp_path_factory.mktemp("raw")
    paths = write_raw_measurement(folder, seed=3)
    for p in paths.values():
        os.chmod(p, stat.S_IRUSR | stat.S_IRGRP)  # inputs are never written
    return paths


@pytest.fixture(scope="session")
def truth(raw_files):
    return xr.load_dataset(raw_files["truth"], engine="h5netcdf")


@pytest.fixture(scope="session")
def calibration(raw_files):
    from arpes_sigma.io.calibrate import calibrate

    return calibrate(raw_files["gold"], 20.0)
