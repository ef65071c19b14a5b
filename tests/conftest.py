"""Shared pytest setup: CPU-only JAX, a non-interactive matplotlib backend, the raw-data fixtures."""

import os
import stat
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import matplotlib
import pytest
import xarray as xr

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _export_cache_off_after_each_test():
    """A CLI command run in-process switches on the cache of exported programs for the rest of the process
    (as it should in a real CLI process) unless $JAX_COMPILATION_CACHE_DIR is set, as scripts/test.sh sets
    it; without this, a plain ``pytest tests`` found it still on in tests/fitting/test_aot.py."""
    yield
    aot = sys.modules.get("arpes_sigma.fitting.aot")
    if aot is not None:
        aot.disable()


# --------------------------------------------------------------------------
# the raw-data path (tests/io, tests/cli): one synthetic SES text export (cut + gold + truth) and its
# calibration, made once per session (writing it compiles the forward model; calibrating runs ERLabPy's
# per-angle edge fits)
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def raw_files(tmp_path_factory):
    """``{"cut", "gold", "truth"}`` paths of a synthetic SES text export (20 K, 10 meV, g = 6), read-only."""
    folder = tmp_path_factory.mktemp("raw")
    from arpes_sigma.synthetic.raw import write_raw_measurement

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
