"""arpes_sigma.read: SES text, SES Igor waves (.ibw, .pxt) and DA30 .zip in their real layouts; bad input."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import xarray as xr

import arpes_sigma
from arpes_sigma.errors import ArpesDataError
from arpes_sigma.io.raw import read

E = np.round(31.4 + 0.005 * np.arange(60), 6)
A = np.round(np.linspace(-15, 15, 31), 6)
NOTE = {"Excitation Energy": 36.0, "Pass Energy": 5, "Lens Mode": "Angular30", "Number of Sweeps": 4,
        "Step Time": 300, "Energy Scale": "Kinetic", "Sample": "Bi2212", "Date": "2011-03-04"}


def counts(shape, seed=0):
    return np.random.default_rng(seed).poisson(40, shape).astype(float) * 6


def write_ses_ibw(path, values_e_a, note=NOTE, name="AN_cut"):
    """An SES-style Igor wave, written by igorwriter through ERLabPy: rows = kinetic energy, columns = angle,
    the axis names SES uses as dimension units, the analyser settings as ``key=value`` lines of the note."""
    from erlab.io.igor import save_wave

    dims = ["Kinetic Energy [eV]", "Y-Scale [deg]"][: np.ndim(values_e_a)]
    coords = {"Kinetic Energy [eV]": E, "Y-Scale [deg]": A}
    da = xr.DataArray(values_e_a, dims=dims, coords={d: coords[d] for d in dims}, name=name, attrs=dict(note))
    save_wave(da, path)
    return path


def write_pxt(path, blobs):
    """Packed experiment: one wave record (type 3, version 1, length) per .ibw blob (Igor TN003 / PTN003)."""
    with open(path, "wb") as f:
        for blob in blobs:
            f.write(struct.pack("<Hhl", 3, 1, len(blob)) + blob)


def write_da30_zip(path, values_b_a_e, betas=(0.0,), info=NOTE):
    """A DA30 archive: Spectrum_<r>.ini (axes), Spectrum_<r>.bin (float32, depth × height × width), <r>.ini."""
    depth = len(betas)
    spectrum = (
        "[spectrum]\nname=AN_cut\n"
        f"width={E.size}\nwidthoffset={E[0]}\nwidthdelta=0.005\nwidthlabel=Kinetic Energy [eV]\n"
        f"height={A.size}\nheightoffset={A[0]}\nheightdelta={A[1] - A[0]}\nheightlabel=Thetax [deg]\n"
        f"depth={depth}\ndepthoffset={betas[0]}\ndepthdelta={betas[1] - betas[0] if depth > 1 else 1}\n"
        "depthlabel=Thetay [deg]\n")
    region = "[SES]\nRegion Name=AN_cut\n" + "".join(f"{k}={v}\n" for k, v in info.items())
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Spectrum_AN_cut.ini", spectrum)
        z.writestr("AN_cut.ini", region)
        z.writestr("Spectrum_AN_cut.bin", np.asarray(values_b_a_e, dtype=np.float32).tobytes())
    return path


def check_raw(da, values_a_e, fmt):
    assert da.dims == ("alpha", "eV")
    np.testing.assert_allclose(da["eV"].values, E, atol=1e-9)
    np.testing.assert_allclose(da["alpha"].values, A, atol=1e-9)
    np.testing.assert_array_equal(da.values, values_a_e)
    a = da.attrs
    assert a["hv"] == 36.0 and a["pass_energy"] == 5.0 and a["lens_mode"] == "Angular30"
    assert a["n_sweeps"] == 4 and a["step_time"] == 300.0 and a["sample"] == "Bi2212"
    assert a["source_format"] == fmt and os.path.isabs(a["source_file"])


def test_ibw(tmp_path):
    v = counts((E.size, A.size))
    p = write_ses_ibw(tmp_path / "cut.ibw", v)
    before = p.read_bytes()
    check_raw(read(p), v.T, "SES Igor binary wave")
    assert p.read_bytes() == before


def test_pxt(tmp_path):
    v = counts((E.size, A.size), seed=1)
    blob = write_ses_ibw(tmp_path / "w.ibw", v).read_bytes()
    p = tmp_path / "cut.pxt"
    write_pxt(p, [blob])
    check_raw(read(p), v.T, "SES Igor packed experiment")


def test_da30_zip_and_deflector_map(tmp_path):
    v = counts((1, A.size, E.size), seed=2)
    check_raw(read(write_da30_zip(tmp_path / "cut.zip", v)), v[0], "DA30 zip")
    m = counts((3, A.size, E.size), seed=3)
    p = write_da30_zip(tmp_path / "map.zip", m, betas=(-2.0, 0.0, 2.0), info={**NOTE, "Lens Mode": "DA30_01"})
    with pytest.raises(ArpesDataError, match="deflector map .*beta="):
        read(p)
    np.testing.assert_array_equal(read(p, beta=0.1).values, m[1])


def test_ses_text(raw_files):
    da = read(raw_files["cut"])
    assert da.dims == ("alpha", "eV") and da.attrs["hv"] == 21.2 and da.attrs["source_format"] == "SES text"
    assert arpes_sigma.read is read


@pytest.mark.parametrize("case, words", [
    ("missing", ["file not found"]),
    ("suffix", ["unsupported raw file type '.dat'", "arpes_sigma.load"]),
    ("no_hv", ["no photon energy", "attrs['hv']"]),
    ("edc_only", ["no angle axis", "angular lens mode"]),
    ("garbage", ["could not read", "ERLabPy"]),
])
def test_bad_input(tmp_path, case, words):
    p = tmp_path / "x.ibw"
    if case == "suffix":
        p = tmp_path / "x.dat"
        p.write_text("1 2\n")
    elif case == "no_hv":
        write_ses_ibw(p, counts((E.size, A.size)), note={k: v for k, v in NOTE.items() if k != "Excitation Energy"})
    elif case == "edc_only":
        write_ses_ibw(p, counts(E.size))
    elif case == "garbage":
        p.write_bytes(os.urandom(2000))
    before = p.read_bytes() if p.exists() else None
    with pytest.raises(ArpesDataError) as info:
        read(p)
    msg = str(info.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, msg
    if before is not None:
        assert p.read_bytes() == before


def test_load_points_a_raw_file_to_the_raw_path(tmp_path):
    """load() meets kinetic energies and says how to go on: read + calibrate + prepare, or the CLI."""
    p = write_ses_ibw(tmp_path / "cut.ibw", counts((E.size, A.size)))
    with pytest.raises(ArpesDataError) as info:
        arpes_sigma.load(p, sample_temp=70, energy_resolution=0.01, eps_k=np.linspace(-0.1, 0.1, A.size))
    msg = str(info.value)
    for w in ("kinetic", "arpes_sigma.read", "arpes_sigma.calibrate", "arpes_sigma.prepare", "arpes-sigma prepare"):
        assert w in msg


def test_io_imports_no_jax():
    """Reading, calibrating, preparing and validating never import JAX (nor Flax, optax)."""
    code = ("import sys, importlib, pkgutil, arpes_sigma.io as io\n"
            "for m in pkgutil.iter_modules(io.__path__): importlib.import_module('arpes_sigma.io.' + m.name)\n"
            "import arpes_sigma; arpes_sigma.read, arpes_sigma.calibrate, arpes_sigma.prepare, arpes_sigma.validate\n"
            "import arpes_sigma.datasets, arpes_sigma.physics.band, arpes_sigma.cli.main\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib', 'flax', 'optax')]\n"
            "assert not bad, bad[:5]\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-1500:]


def test_load_points_an_ses_text_export_to_the_raw_path(raw_files):
    with pytest.raises(ArpesDataError) as info:
        arpes_sigma.load(raw_files["cut"])
    msg = str(info.value)
    assert "raw SES text export" in msg and "arpes-sigma fit RAW --gold GOLD" in msg and "\n" not in msg
