"""SES text exports: a hand-written file in SES's layout, round trips, ERLabPy as an independent reader, bad files."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from arpes_sigma.errors import ArpesDataError
from arpes_sigma.io.ses_text import read_ses_text, write_ses_text

# What SES.exe writes for a 4-energy x 3-angle region (CRLF line ends; cp1252 "°" in Comments).
HAND = (
    "[Info]\r\nNumber of Regions=1\r\nVersion=1.2.2\r\n\r\n"
    "[Region 1]\r\nRegion Name=AN_cut\r\n"
    "Dimension 1 name=Kinetic Energy [eV]\r\nDimension 1 size=4\r\n"
    "Dimension 1 scale=31.40000 31.40500 31.41000 31.41500\r\n"
    "Dimension 2 name=Y-Scale [deg]\r\nDimension 2 size=3\r\n"
    "Dimension 2 scale=-1.00000 0.00000 1.00000\r\n\r\n"
    "[Info 1]\r\nRegion Name=AN_cut\r\nLens Mode=Angular30\r\nPass Energy=5\r\nNumber of Sweeps=12\r\n"
    "Excitation Energy=36\r\nEnergy Scale=Kinetic\r\nAcquisition Mode=Swept\r\nEnergy Unit=Kinetic\r\n"
    "Energy Step=0.005\r\nStep Time=350\r\nSample=Bi2212 OP80\r\nComments=polar 12\xb0\r\n"
    "Date=3/4/2011\r\nTime=12:00:00\r\n\r\n"
    "[Run Mode Information 1]\r\nName=Normal\r\n\r\n"
    "[Data 1]\r\n"
    "  31.40000  10  20  30\r\n  31.40500  11  21  31\r\n"
    "  31.41000  12  22  32\r\n  31.41500  13  23  33\r\n"
).encode("cp1252")


@pytest.fixture
def hand(tmp_path):
    p = tmp_path / "hand.txt"
    p.write_bytes(HAND)
    return p


def one_line_error(fn, *words):
    with pytest.raises(ArpesDataError) as info:
        fn()
    msg = str(info.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"
    return msg


def test_hand_written_file(hand):
    da = read_ses_text(hand)
    assert da.dims == ("alpha", "eV")
    np.testing.assert_array_equal(da["eV"].values, [31.40, 31.405, 31.41, 31.415])
    np.testing.assert_array_equal(da["alpha"].values, [-1.0, 0.0, 1.0])
    # row = energy, columns = angles  ->  da[alpha, eV]
    np.testing.assert_array_equal(da.values, [[10, 11, 12, 13], [20, 21, 22, 23], [30, 31, 32, 33]])
    a = da.attrs
    assert (a["hv"], a["pass_energy"], a["lens_mode"], a["n_sweeps"], a["step_time"]) == (36.0, 5.0, "Angular30", 12,
                                                                                            350.0)
    assert a["sample"] == "Bi2212 OP80" and a["date"] == "3/4/2011" and a["comments"] == "polar 12°"
    assert a["energy_scale"] == "kinetic" and a["region_name"] == "AN_cut"


def test_erlab_reads_the_same_numbers(tmp_path):
    """ERLabPy's own SES text reader (independent code) agrees with ours on a file we write."""
    from erlab.io.plugins.da30 import load_txt

    rng = np.random.default_rng(0)
    e = 16.5 + 0.002 * np.arange(40)
    a = np.linspace(-10, 10, 21)
    da = xr.DataArray(rng.poisson(50, (21, 40)) * 6.0, dims=("alpha", "eV"), coords={"alpha": a, "eV": e},
                      attrs={"hv": 21.2, "pass_energy": 2.0, "lens_mode": "Angular30", "sample": "s"})
    p = tmp_path / "w.txt"
    write_ses_text(p, da)
    ours = read_ses_text(p)
    theirs = load_txt(p)
    assert theirs.dims == ("Y-Scale [deg]", "Kinetic Energy [eV]")
    np.testing.assert_array_equal(ours.values, theirs.values)
    np.testing.assert_allclose(ours["eV"].values, theirs["Kinetic Energy [eV]"].values, atol=1e-9)
    np.testing.assert_allclose(ours["alpha"].values, theirs["Y-Scale [deg]"].values, atol=1e-9)
    assert theirs.attrs["Excitation Energy"] == 21.2 and ours.attrs["hv"] == 21.2
    np.testing.assert_array_equal(ours.values, da.values)  # and the round trip is exact


def test_cp1252_text_that_erlab_refuses(hand):
    """Why our own reader: SES writes cp1252 free text, which a strict UTF-8 reader rejects."""
    from erlab.io.plugins.da30 import load_txt

    with pytest.raises(UnicodeDecodeError):
        load_txt(hand)
    assert read_ses_text(hand).attrs["comments"] == "polar 12°"


def test_several_regions(tmp_path):
    e = 16.5 + 0.002 * np.arange(12)
    mk = lambda name, v: xr.DataArray(np.full((3, 12), v), dims=("alpha", "eV"),  # noqa: E731
                                      coords={"alpha": [-1.0, 0, 1], "eV": e},
                                      attrs={"hv": 21.2, "region_name": name})
    p = tmp_path / "two.txt"
    write_ses_text(p, [mk("first", 1.0), mk("second", 2.0)])
    one_line_error(lambda: read_ses_text(p), "2 regions", "'first'", "'second'", "region=")
    assert float(read_ses_text(p, region=2).mean()) == 2.0
    assert float(read_ses_text(p, region="first").mean()) == 1.0
    one_line_error(lambda: read_ses_text(p, region="third"), "no region 'third'")


def _edit(tmp_path, old: bytes, new: bytes):
    p = tmp_path / "bad.txt"
    assert old in HAND
    p.write_bytes(HAND.replace(old, new))
    return p


@pytest.mark.parametrize("old, new, words", [
    (b"  31.41500  13  23  33\r\n", b"", ["3 rows", "4", "truncated"]),
    (b"  31.41000  12  22  32", b"  31.41000  12  22", ["line 36", "3 numbers, expected 4"]),
    (b"  31.41000  12  22  32", b"  31.41000  12  x  32", ["line 36", "not a number"]),
    (b"Dimension 2 size=3", b"Dimension 2 size=5", ["3 values", "says 5"]),
    (b"[Region 1]", b"[Something]", ["no [Region 1]", "not an SES text export"]),
    (b"[Data 1]", b"[Data 7]", ["no [Data 1]"]),
    (b"Energy Scale=Kinetic", b"Energy Scale=Binding", ["binding-energy scale", "work_function="]),
])
def test_bad_files_get_one_line(tmp_path, old, new, words):
    p = _edit(tmp_path, old, new)
    before = p.read_bytes()
    one_line_error(lambda: read_ses_text(p), *words)
    assert p.read_bytes() == before


def test_no_angle_axis(tmp_path):
    text = HAND.split(b"Dimension 2 name")[0] + b"\r\n[Info 1]\r\nExcitation Energy=36\r\n\r\n[Data 1]\r\n" + \
        b"".join(f"  {31.4 + 0.005 * i:.5f}  {10 + i}\r\n".encode() for i in range(4))
    p = tmp_path / "xps.txt"
    p.write_bytes(text)
    one_line_error(lambda: read_ses_text(p), "no angle axis", "angular lens mode")


def test_binding_scale_with_work_function(tmp_path):
    p = _edit(tmp_path, b"Energy Scale=Kinetic", b"Energy Scale=Binding")
    da = read_ses_text(p, work_function=4.5)
    np.testing.assert_allclose(da["eV"].values, 36 - 4.5 - np.array([31.415, 31.41, 31.405, 31.40]))
    assert np.all(np.diff(da["eV"].values) > 0)  # ascending kinetic energy
    np.testing.assert_array_equal(da.values[:, 0], [13, 23, 33])  # the highest binding energy first → last


def test_binary_file_refused(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(b"\x00\x01\x02" * 100)
    one_line_error(lambda: read_ses_text(p), "binary file")
