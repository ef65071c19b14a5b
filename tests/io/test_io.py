"""Tests for arpes_sigma.io (load / validate / writers), the band dispersion and the accessor.

Every bad input must raise ArpesDataError with a one-line message that names
the fix, and must leave the input (file bytes and mtime, or the in-memory
DataArray) untouched.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest
import xarray as xr

from arpes_sigma.accessor import SigmaAccessor
from arpes_sigma.errors import ArpesDataError
from arpes_sigma.io.contract import edc, validate
from arpes_sigma.io.readers import load
from arpes_sigma.io.writers import to_netcdf_atomic
from arpes_sigma.physics.band import tight_binding_eps

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def make_cut(nk: int = 8, ne: int = 41) -> xr.DataArray:
    """Clean spectrum: Lorentzian bands times a Fermi function plus a floor."""
    e = np.linspace(-0.2, 0.05, ne)
    k = np.linspace(-0.3, 0.3, nk)
    eps = np.linspace(-0.15, 0.02, nk)
    lor = 0.02 / ((e[None, :] - eps[:, None]) ** 2 + 0.02**2)
    fermi = 1.0 / (np.exp(e / 0.0017) + 1.0)  # 20 K
    inten = lor * fermi[None, :] + 0.01
    return xr.DataArray(
        inten,
        dims=("k", "eV"),
        coords={"k": k, "eV": ("eV", e, {"units": "eV"}), "eps_k": ("k", eps)},
        name="intensity",
        attrs={"sample_temp": 20.0, "energy_resolution": 0.01},
    )


def file_state(path) -> tuple[bytes, int]:
    st = os.stat(path)
    with open(path, "rb") as f:
        return f.read(), st.st_mtime_ns


def assert_bad(fn, *fix_words, files=(), arrays=()):
    """``fn()`` raises a one-line ArpesDataError naming the fix; inputs unchanged."""
    before_files = [file_state(p) for p in files]
    before_arrays = [a.copy(deep=True) for a in arrays]
    with pytest.raises(ArpesDataError) as info:
        fn()
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "\n" not in msg and msg.strip(), msg
    for word in fix_words:
        assert word in msg, f"{word!r} not in {msg!r}"
    for p, state in zip(files, before_files, strict=False):
        assert file_state(p) == state, f"{p} was modified"
    for a, b in zip(arrays, before_arrays, strict=False):
        xr.testing.assert_identical(a, b)
    return msg


_WH5 = "IIIlhh6sh32slI4l4d4d4s16shhddI4I4II16lhhhccIlhhII"  # WaveHeader5, 320 bytes
_BH5 = "hhlll l4l4llll"  # version + BinHeader5, 64 bytes


def write_ibw5(path, data, *, start=(), delta=(), units=(), labels=(), name="wave0", note="",
               order="<"):
    """Write an Igor binary wave, version 5 (TN003), float64 data.

    Layout: version (int16) + BinHeader5 (62 bytes), WaveHeader5 (320 bytes,
    4-byte pointers), the data in column-major order, the note, then the
    dimension labels. The checksum makes the int16 sum of the 384 header
    bytes zero. ``order`` is the byte order ("<" PC, ">" Mac).

    Parameters
    ----------
    data : array_like, up to 4-D; dim 0 is Igor's rows.
    start, delta : per-dim wave scaling sfB and sfA (value = start + delta * index).
    units : per-dim units (at most 3 characters, stored in the header).
    labels : per-dim dimension label (stored as dimension labels, 32 bytes each).
    """
    wh5, bh5 = order + _WH5, order + _BH5
    assert struct.calcsize(wh5) == 320 and struct.calcsize(bh5) == 64
    data = np.asarray(data, dtype=order + "f8")
    pad = 4 - data.ndim
    ndim = list(data.shape) + [0] * pad
    sfa = list(delta) + [1.0] * (4 - len(delta))
    sfb = list(start) + [0.0] * (4 - len(start))
    dim_units = b"".join(
        u.encode().ljust(4, b"\0")[:4] for u in list(units) + [""] * (4 - len(units)))
    raw = data.tobytes(order="F")
    label_sizes, label_bytes = [0] * 4, b""
    for d, lab in enumerate(labels):
        if lab:
            block = lab.encode().ljust(32, b"\0") + b"\0" * (32 * data.shape[d])
            label_sizes[d] = len(block)
            label_bytes += block
    note_b = note.encode()
    wave_header = struct.pack(
        wh5, 0, 0, 0, data.size, 4, 0, b"", 1, name.encode().ljust(32, b"\0"), 0, 0,
        *ndim, *sfa, *sfb, b"", dim_units, 0, 0, 0.0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        *([0] * 16), 0, 0, 0, b"\0", b"\0", 0, 0, 0, 0, 0, 0)

    def bin_header(checksum):
        return struct.pack(bh5, 5, checksum, 320 + len(raw), 0, len(note_b), 0,
                           0, 0, 0, 0, *label_sizes, 0, 0, 0)

    total = int(np.frombuffer(bin_header(0) + wave_header, order + "i2").astype(np.int64).sum())
    checksum = (-total) & 0xFFFF
    checksum -= 0x10000 if checksum >= 0x8000 else 0
    head = bin_header(checksum) + wave_header
    assert int(np.frombuffer(head, order + "i2").astype(np.int64).sum()) & 0xFFFF == 0
    blob = head + raw + note_b + label_bytes
    with open(path, "wb") as f:
        f.write(blob)
    return blob


def write_pxt(path, waves: list[bytes]):
    """Packed experiment with one wave record (type 3) per .ibw blob."""
    with open(path, "wb") as f:
        for blob in waves:
            f.write(struct.pack("<Hhl", 3, 1, len(blob)) + blob)


@pytest.fixture
def cut():
    return make_cut()


@pytest.fixture
def nc_of(tmp_path):
    """Write a DataArray to ``<tmp>/<name>.nc`` and return the path."""

    def _write(da, name="bad.nc"):
        p = tmp_path / name
        da.to_netcdf(p, engine="h5netcdf")
        return p

    return _write


# --------------------------------------------------------------------------
# bad content: through a file (file untouched) and in memory (array untouched)
# --------------------------------------------------------------------------


def _set(da, idx, value):
    v = da.values.copy()
    v[idx] = value
    return da.copy(data=v)


def _energy(da, e):
    return da.assign_coords(eV=("eV", np.asarray(e, float), dict(da.eV.attrs)))


BAD_CONTENT = {
    "nan": (lambda d: _set(d, (0, 0), np.nan), ["1 NaN", "fillna"]),
    "inf": (lambda d: _set(d, (1, 2), np.inf), ["1 infinite", "np.isfinite"]),
    "all_zero": (lambda d: d * 0.0, ["all zero", "check the file"]),
    "constant": (lambda d: d * 0.0 + 3.0, ["constant", "check the file"]),
    "majority_negative": (lambda d: d - float(d.max()), ["negative", "da - da.min()"]),
    "no_energy_axis_1d": (lambda d: d.isel(eV=0), ["no energy axis", "name the energy dimension 'eV'"]),
    "no_energy_axis_1d_other": (lambda d: d.isel(k=0).rename(eV="w"),
                                ["no energy axis", "da.rename(w='eV')"]),
    "duplicated_energy": (
        lambda d: _energy(d, np.r_[d.eV.values[:5], d.eV.values[4], d.eV.values[6:]]),
        ["duplicated values at -0.175 eV", "drop_duplicates"]),
    "non_monotonic_energy": (
        lambda d: _energy(d, np.r_[d.eV.values[5:], d.eV.values[:5]]), ["not monotonic", "sortby('eV')"]),
    "too_few_points": (lambda d: d.isel(eV=slice(0, 9)), ["only 9 points", "at least 10"]),
    "mev_by_span": (
        lambda d: d.assign_coords(eV=("eV", d.eV.values * 1000)),
        ["looks like meV", "da.assign_coords(eV=da.eV/1000)", "attrs['units']='meV'"]),
    "kinetic_energy": (
        lambda d: _energy(d, d.eV.values + 16.8),
        ["kinetic", "arpes_sigma.read", "calibrate", "prepare", "arpes-sigma prepare", "subtract the Fermi level"]),
    "no_eps_k": (lambda d: d.drop_vars("eps_k"), ["no 'eps_k'", "eps_k=", "bi2212_eps"]),
    "nan_eps_k": (lambda d: d.assign_coords(eps_k=("k", np.r_[np.nan, d.eps_k.values[1:]])),
                  ["NaN", "eps_k="]),
    "cube_3d": (lambda d: d.expand_dims(ky=[0.0, 0.1]).transpose("k", "ky", "eV"),
                ["3-D data", "da.isel(ky=0)", "method='nearest'"]),
    "missing_sample_temp": (lambda d: _attrs(d, "sample_temp"),
                            ["sample temperature", "sample_temp="]),
    "missing_resolution": (lambda d: _attrs(d, "energy_resolution"),
                           ["energy resolution", "energy_resolution="]),
    "zero_temperature": (lambda d: d.assign_attrs(sample_temp=0.0), ["positive", "sample_temp="]),
    "negative_resolution": (lambda d: d.assign_attrs(energy_resolution=-0.01),
                            ["positive", "energy_resolution="]),
    "resolution_in_mev": (lambda d: d.assign_attrs(energy_resolution=10.0),
                          ["looks like meV", "in eV", "energy_resolution=0.01"]),
    "unknown_momentum_dim": (lambda d: d.rename(k="hv"), ["'hv'", "da.rename(hv='k')"]),
    "two_energy_dims": (lambda d: d.rename(k="E"), ["energy-like", "da.isel"]),
    "unknown_energy_units": (lambda d: d.assign_coords(eV=("eV", d.eV.values, {"units": "J"})),
                             ["units 'J'", "convert it to eV"]),
}


def _attrs(da, drop):
    out = da.copy()
    out.attrs = {k: v for k, v in da.attrs.items() if k != drop}
    return out


@pytest.mark.parametrize("case", sorted(BAD_CONTENT))
def test_bad_content_from_file(case, cut, nc_of):
    make, words = BAD_CONTENT[case]
    bad = make(cut)
    path = nc_of(bad)
    assert_bad(lambda: load(path), *words, files=[path])


@pytest.mark.parametrize("case", sorted(BAD_CONTENT))
def test_bad_content_in_memory(case, cut):
    make, words = BAD_CONTENT[case]
    bad = make(cut)
    assert_bad(lambda: validate(bad), *words, arrays=[bad])


def test_complex_intensity(cut):
    bad = cut.astype(complex)
    assert_bad(lambda: validate(bad), "complex intensity", "np.abs", arrays=[bad])


def test_non_numeric_intensity(cut):
    bad = cut.copy(data=cut.values.astype(str))
    assert_bad(lambda: validate(bad), "dtype", "astype(float)", arrays=[bad])


def test_energy_dim_without_coordinate(cut):
    bad = cut.drop_vars("eV")
    assert_bad(lambda: validate(bad), "no coordinate values", "assign_coords", arrays=[bad])


def test_eps_k_keyword_wrong_length(cut):
    assert_bad(lambda: validate(cut, eps_k=np.zeros(3)), "one value per k", arrays=[cut])


def test_eps_k_in_mev_refused(cut):
    bad = cut.assign_coords(eps_k=cut.eps_k * 1000)
    assert_bad(lambda: validate(bad), "meV", "in eV", arrays=[bad])


def test_validate_refuses_dataset_and_ndarray(cut):
    assert_bad(lambda: validate(cut.to_dataset()), "Dataset", "ds['intensity']")
    assert_bad(lambda: validate(cut.values), "ndarray", "xr.DataArray(")


def test_non_numeric_temperature_attr(cut):
    bad = cut.assign_attrs(sample_temp="20 K")
    assert_bad(lambda: validate(bad), "not a single number", "sample_temp=", arrays=[bad])


# --------------------------------------------------------------------------
# bad files
# --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    p = tmp_path / "nope.nc"
    msg = assert_bad(lambda: load(p), "file not found", "check the path")
    assert str(p) in msg


def test_directory_instead_of_file(tmp_path):
    assert_bad(lambda: load(tmp_path), "is a directory")


def test_unknown_extension(tmp_path):
    p = tmp_path / "spectrum.xyz"
    p.write_text("1 2\n")
    assert_bad(lambda: load(p), "unsupported file type '.xyz'", ".nc", ".ibw", ".txt", files=[p])


def test_truncated_netcdf(cut, tmp_path):
    good = tmp_path / "good.nc"
    cut.to_netcdf(good, engine="h5netcdf")
    blob = good.read_bytes()
    p = tmp_path / "cut.nc"
    p.write_bytes(blob[: len(blob) // 2])
    assert_bad(lambda: load(p), "could not read", "as netCDF", "truncated", files=[p])


@pytest.mark.parametrize("suffix", [".nc", ".h5"])
def test_random_bytes_netcdf(tmp_path, suffix):
    p = tmp_path / f"noise{suffix}"
    p.write_bytes(np.random.default_rng(0).bytes(4096))
    assert_bad(lambda: load(p), "could not read", "not netCDF", files=[p])


@pytest.mark.parametrize("seed", range(4))
def test_random_bytes_ibw(tmp_path, seed):
    p = tmp_path / "noise.ibw"
    p.write_bytes(np.random.default_rng(seed).bytes(2048))
    assert_bad(lambda: load(p), "could not read", "Igor binary wave", files=[p])


def test_truncated_ibw(cut, tmp_path):
    p = tmp_path / "cut.ibw"
    blob = write_ibw5(p, cut.values.T, start=(-0.2, -0.3), delta=(0.00625, 0.1), units=("eV",))
    p.write_bytes(blob[: len(blob) // 2])
    assert_bad(lambda: load(p), "could not read", "truncated", files=[p])


def test_random_bytes_pxt(tmp_path):
    p = tmp_path / "noise.pxt"
    p.write_bytes(np.random.default_rng(1).bytes(1024))
    assert_bad(lambda: load(p), "could not read", "packed experiment", files=[p])


def test_non_utf8_text(tmp_path):
    p = tmp_path / "noise.txt"
    p.write_bytes(b"\xff\xfe\x00\x81" * 50)
    assert_bad(lambda: load(p), "not UTF-8", "UTF-8 text", files=[p])


def test_ragged_text(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("e,i\n0.1,2\n0.2,3,4\n")
    assert_bad(lambda: load(p), "line 3", "columns", files=[p])


def test_several_variables_need_a_choice(cut, tmp_path):
    ds = xr.Dataset({"a": cut, "b": cut * 2})
    p = tmp_path / "two.nc"
    ds.to_netcdf(p, engine="h5netcdf")
    assert_bad(lambda: load(p), "several data variables (a, b)", "variable=", "xr.open_dataset",
               files=[p])
    out = load(p, variable="b")
    np.testing.assert_allclose(out.values, 2 * cut.values)
    assert_bad(lambda: load(p, variable="c"), "no variable 'c'", files=[p])


# --------------------------------------------------------------------------
# validate: accepted inputs and normalisations
# --------------------------------------------------------------------------


def test_clean_input_passes_unchanged(cut):
    out = validate(cut)
    xr.testing.assert_identical(out, cut)
    assert out is not cut
    out.values[0, 0] = -1.0
    assert cut.values[0, 0] != -1.0  # a new array, not a view


def test_validate_is_idempotent(cut):
    once = validate(cut.rename(k="kx", eV="energy").transpose("energy", "kx"))
    xr.testing.assert_identical(validate(once), once)


@pytest.mark.parametrize("e_name", ["eV", "energy", "E"])
@pytest.mark.parametrize("k_name", ["k", "kx", "ky", "alpha", "phi"])
@pytest.mark.parametrize("order", ["ke", "ek"])
def test_dim_names_and_order(cut, e_name, k_name, order):
    da = cut.rename({"eV": e_name} if e_name != "eV" else {})
    da = da.rename({"k": k_name}) if k_name != "k" else da
    if order == "ek":
        da = da.transpose(e_name, k_name)
    out = validate(da)
    assert out.dims == ("k", "eV")
    np.testing.assert_array_equal(out.values, cut.values)
    np.testing.assert_array_equal(out.eps_k.values, cut.eps_k.values)
    if k_name != "k":
        assert out.attrs["momentum_dim"] == k_name
    else:
        assert "momentum_dim" not in out.attrs


def test_descending_energy_is_flipped(cut):
    rev = cut.isel(eV=slice(None, None, -1))
    out = validate(rev)
    assert np.all(np.diff(out.eV.values) > 0)
    xr.testing.assert_identical(out, cut)
    assert rev.eV.values[0] > rev.eV.values[-1]  # input untouched


def test_mev_units_attr_converted(cut):
    da = cut.assign_coords(eV=("eV", cut.eV.values * 1000, {"units": "meV"}))
    out = validate(da)
    np.testing.assert_allclose(out.eV.values, cut.eV.values, rtol=1e-12)
    assert out.eV.attrs["units"] == "eV"
    assert "meV" in out.attrs["history"]
    assert da.eV.attrs["units"] == "meV" and "history" not in da.attrs


def test_integer_intensity_becomes_float64(cut):
    da = cut.copy(data=np.round(cut.values * 100).astype(np.int32))
    out = validate(da)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.values, da.values)


def test_float32_becomes_float64(cut):
    out = validate(cut.astype(np.float32))
    assert out.dtype == np.float64


def test_few_negative_points_are_kept_silently(cut):
    da = _set(cut, (0, slice(0, 3)), -0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate(da)
    assert np.all(out.values[0, :3] == -0.5)  # kept, not clipped (clipping biases the fit)


def test_many_negative_points_warn_and_are_kept(cut):
    n = int(0.2 * cut.size)
    flat = cut.values.copy().ravel()
    flat[:n] = -0.1
    da = cut.copy(data=flat.reshape(cut.shape))
    with pytest.warns(UserWarning, match=f"{n} of {cut.size} intensity points are negative"):
        out = validate(da)
    assert float(out.min()) == -0.1
    assert np.all(da.values.ravel()[:n] == -0.1)  # input untouched


def test_momentum_without_coordinate_gets_index(cut):
    da = cut.drop_vars("k")
    out = validate(da)
    np.testing.assert_array_equal(out.k.values, np.arange(cut.sizes["k"]))


def test_keywords_fill_in_missing_metadata(cut):
    bare = cut.drop_vars("eps_k").drop_attrs(deep=False)
    eps = cut.eps_k.values
    out = validate(bare, eps_k=eps, sample_temp=20.0, energy_resolution=0.01)
    xr.testing.assert_identical(out, cut)
    assert bare.attrs == {} and "eps_k" not in bare.coords


def test_keywords_override_attrs(cut):
    out = validate(cut, sample_temp=90.0, energy_resolution=0.02, eps_k=np.full(cut.sizes["k"], -0.05))
    assert out.attrs["sample_temp"] == 90.0
    assert out.attrs["energy_resolution"] == 0.02
    assert np.all(out.eps_k.values == -0.05)


def test_erlab_style_attr_names(cut):
    da = cut.copy()
    da.attrs = {"temperature": 15.0, "resolution": 0.008}
    out = validate(da)
    assert out.attrs["sample_temp"] == 15.0
    assert out.attrs["energy_resolution"] == 0.008
    da.attrs = {"temp_sample": 12}
    assert validate(da, energy_resolution=0.01).attrs["sample_temp"] == 12.0


def test_single_edc(cut):
    one = cut.isel(k=2)
    out = validate(one)
    assert out.dims == ("eV",)
    assert out.eps_k.ndim == 0 and float(out.eps_k) == pytest.approx(cut.eps_k.values[2])
    out2 = validate(one.drop_vars("eps_k"), eps_k=-0.05)
    assert float(out2.eps_k) == -0.05
    assert_bad(lambda: validate(one, eps_k=[0.1, 0.2]), "single EDC", "one number")


# --------------------------------------------------------------------------
# round trips and readers
# --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".nc", ".h5", ".hdf5"])
def test_netcdf_round_trip_identical(cut, tmp_path, suffix):
    p = tmp_path / f"cut{suffix}"
    cut.to_netcdf(p, engine="h5netcdf")
    state = file_state(p)
    xr.testing.assert_identical(load(p), cut)
    xr.testing.assert_identical(load(p, validate=False), cut)
    assert file_state(p) == state


def test_user_style_file(tmp_path):
    """A plain DataArray saved by a user: dims (k, eV), eps_k, two attrs; no units."""
    e = np.linspace(-0.3, 0.1, 60)
    k = np.linspace(-0.2, 0.2, 12)
    eps = tight_binding_eps(k + 0.5, np.pi)
    fermi = 1.0 / (np.exp(e / 0.00086) + 1.0)  # 10 K: no intensity above E_F but the floor
    inten = fermi / ((e[None] - eps[:, None]) ** 2 + 0.01) + 0.1
    da = xr.DataArray(inten, dims=("k", "eV"), coords={"k": k, "eV": e, "eps_k": ("k", eps)},
                      attrs={"sample_temp": 10.0, "energy_resolution": 0.005})
    p = tmp_path / "user.nc"
    da.to_netcdf(p, engine="h5netcdf")
    out = load(p)
    xr.testing.assert_identical(out, da)
    assert out.name is None


def test_netcdf3_classic_file(cut, tmp_path):
    p = tmp_path / "classic.nc"
    cut.to_netcdf(p, engine="scipy")
    xr.testing.assert_identical(load(p), cut)


def test_dataset_with_eps_k_variable_and_global_attrs(cut, tmp_path):
    ds = xr.Dataset(
        {"intensity": cut.drop_vars("eps_k"), "eps_k": ("k", cut.eps_k.values),
         "background": cut * 0 + 1.0},
        attrs={"sample_temp": 20.0, "energy_resolution": 0.01})
    ds["intensity"].attrs = {}
    p = tmp_path / "ds.nc"
    ds.to_netcdf(p, engine="h5netcdf")
    out = load(p)
    assert out.name == "intensity"
    np.testing.assert_array_equal(out.eps_k.values, cut.eps_k.values)
    assert out.attrs["sample_temp"] == 20.0 and out.attrs["energy_resolution"] == 0.01


def test_load_keywords_fill_file_gaps(cut, tmp_path):
    bare = cut.drop_vars("eps_k").drop_attrs(deep=False)
    p = tmp_path / "bare.nc"
    bare.to_netcdf(p, engine="h5netcdf")
    assert_bad(lambda: load(p), "eps_k=", files=[p])
    assert_bad(lambda: load(p, eps_k=cut.eps_k.values), "sample_temp=", files=[p])
    assert_bad(lambda: load(p, eps_k=cut.eps_k.values, sample_temp=20.0), "energy_resolution=",
               files=[p])
    out = load(p, eps_k=cut.eps_k.values, sample_temp=20.0, energy_resolution=0.01)
    xr.testing.assert_identical(out, cut)
    raw = load(p, validate=False, eps_k=cut.eps_k.values, sample_temp=20.0, energy_resolution=0.01)
    xr.testing.assert_identical(raw, cut)


def test_ibw_round_trip_energy_rows(cut, tmp_path):
    """Igor layout (energy, angle) with units: scaling gives the axes exactly."""
    e0, de = -0.2, 0.00625
    a0, da_ = -12.0, 3.0
    img = cut.values.T  # rows = energy
    p = tmp_path / "cut.ibw"
    write_ibw5(p, img, start=(e0, a0), delta=(de, da_), units=("eV", "deg"), name="cut",
               note="sample_temp=20\renergy_resolution=0.01\rcomment: anything")
    state = file_state(p)
    raw = load(p, validate=False)
    assert raw.dims == ("eV", "alpha") and raw.name == "cut"
    np.testing.assert_array_equal(raw.values, img)
    np.testing.assert_array_equal(raw.eV.values, e0 + de * np.arange(img.shape[0]))
    np.testing.assert_array_equal(raw.alpha.values, a0 + da_ * np.arange(img.shape[1]))
    assert raw.eV.attrs["units"] == "eV" and raw.alpha.attrs["units"] == "deg"
    # an angle axis in degrees is not a momentum axis: refused, naming the way to convert it
    assert_bad(lambda: load(p, eps_k=cut.eps_k.values), "degrees", "arpes_sigma.prepare", files=[p])
    out = load(p, eps_k=cut.eps_k.values, validate=False).assign_coords(alpha=cut.k.values)
    out = validate(out)
    assert out.dims == ("k", "eV") and out.attrs["momentum_dim"] == "alpha"
    np.testing.assert_array_equal(out.values, cut.values)
    assert out.attrs["sample_temp"] == 20.0 and out.attrs["energy_resolution"] == 0.01
    assert file_state(p) == state


def test_ibw_big_endian(cut, tmp_path):
    p = tmp_path / "mac.ibw"
    write_ibw5(p, cut.values.T, start=(-0.2, -0.3), delta=(0.00625, 0.1), units=("eV",),
               order=">")
    out = load(p, eps_k=cut.eps_k.values, sample_temp=20.0, energy_resolution=0.01)
    np.testing.assert_array_equal(out.values, cut.values)
    np.testing.assert_allclose(out.eV.values, cut.eV.values, atol=1e-12)
    assert out.dtype == np.float64 and out.values.dtype.isnative


def test_ibw_energy_axis_found_by_units_or_label(cut, tmp_path):
    img = cut.values  # rows = k, columns = energy
    p = tmp_path / "k_first.ibw"
    write_ibw5(p, img, start=(-0.3, -0.2), delta=(0.1, 0.00625), units=("", "eV"))
    assert load(p, validate=False).dims == ("k", "eV")
    p2 = tmp_path / "labelled.ibw"
    write_ibw5(p2, img, start=(-0.3, -0.2), delta=(0.1, 0.00625), labels=("kx", "eV"))
    raw = load(p2, validate=False)
    assert raw.dims == ("kx", "eV")
    out = validate(raw, eps_k=cut.eps_k.values, sample_temp=20, energy_resolution=0.01)
    np.testing.assert_array_equal(out.values, cut.values)
    # no units, no labels: the documented default, first axis = energy
    p3 = tmp_path / "plain.ibw"
    write_ibw5(p3, img.T, start=(-0.2, 0.0), delta=(0.00625, 1.0))
    assert load(p3, validate=False).dims == ("eV", "k")


def test_ibw_edc(cut, tmp_path):
    p = tmp_path / "edc.ibw"
    write_ibw5(p, cut.values[3], start=(-0.2,), delta=(0.00625,), units=("eV",),
               note="sample_temp=20\renergy_resolution=0.01\reps_k=-0.05")
    out = load(p)
    assert out.dims == ("eV",) and float(out.eps_k) == -0.05
    np.testing.assert_array_equal(out.values, cut.values[3])


def test_pxt(cut, tmp_path):
    p = tmp_path / "exp.pxt"
    w2d = write_ibw5(tmp_path / "a.ibw", cut.values.T, start=(-0.2, 0), delta=(0.00625, 1),
                     units=("eV",), name="img")
    w1d = write_ibw5(tmp_path / "b.ibw", cut.values[0], start=(-0.2,), delta=(0.00625,), name="edc0")
    write_pxt(p, [w1d, w2d])
    out = load(p, eps_k=cut.eps_k.values, sample_temp=20, energy_resolution=0.01)
    assert out.name == "img"
    np.testing.assert_array_equal(out.values, cut.values)
    one = load(p, variable="edc0", validate=False)
    assert one.dims == ("eV",)
    w2d_b = write_ibw5(tmp_path / "c.ibw", cut.values.T, start=(-0.2, 0), delta=(0.00625, 1),
                       name="img2")
    write_pxt(p, [w2d, w2d_b])
    assert_bad(lambda: load(p), "several waves (img, img2)", "variable=", files=[p])


def test_text_edc_whitespace_with_header_and_comments(cut, tmp_path):
    p = tmp_path / "edc.txt"
    lines = ["# EDC at k_F", "# sample_temp = 20", "# energy_resolution: 0.01",
             "energy   intensity"]
    lines += [f"{e:.6f}  {i:.10g}" for e, i in zip(cut.eV.values, cut.values[2], strict=False)]
    p.write_text("\n".join(lines) + "\n")
    out = load(p, eps_k=-0.1)
    assert out.dims == ("eV",)
    np.testing.assert_allclose(out.eV.values, cut.eV.values, atol=1e-6)
    np.testing.assert_allclose(out.values, cut.values[2], rtol=1e-9)
    assert out.attrs["sample_temp"] == 20.0 and out.attrs["energy_resolution"] == 0.01


def test_text_matrix_csv(cut, tmp_path):
    p = tmp_path / "cut.csv"
    rows = ["k\\eV," + ",".join(f"{e:.6f}" for e in cut.eV.values)]
    rows += [f"{k:.4f}," + ",".join(f"{v:.10g}" for v in row)
             for k, row in zip(cut.k.values, cut.values, strict=False)]
    p.write_text("\n".join(rows) + "\n")
    state = file_state(p)
    out = load(p, eps_k=cut.eps_k.values, sample_temp=20, energy_resolution=0.01)
    assert out.dims == ("k", "eV")
    np.testing.assert_allclose(out.k.values, cut.k.values, atol=1e-4)
    np.testing.assert_allclose(out.values, cut.values, rtol=1e-9)
    assert file_state(p) == state


def test_text_matrix_whitespace_mev_empty_corner(cut, tmp_path):
    p = tmp_path / "cut.dat"
    rows = ["   " + " ".join(f"{1000 * e:.3f}" for e in cut.eV.values) + "  # energies in meV"]
    rows = ["# E (meV) along the header"] + rows
    rows += [f"{k:.4f} " + " ".join(f"{v:.10g}" for v in row)
             for k, row in zip(cut.k.values, cut.values, strict=False)]
    p.write_text("\n".join(rows) + "\n")
    raw = load(p, validate=False)
    assert raw.dims == ("k", "eV")
    # header without 'meV' text outside comments: the span rule refuses it
    assert_bad(lambda: load(p, eps_k=cut.eps_k.values, sample_temp=20, energy_resolution=0.01),
               "looks like meV", files=[p])


def test_text_matrix_without_header_refused(tmp_path):
    p = tmp_path / "m.txt"
    p.write_text("\n".join(" ".join(["1"] * 5) for _ in range(4)))
    assert_bad(lambda: load(p), "no header row", files=[p])


# --------------------------------------------------------------------------
# edc, tight binding, accessor
# --------------------------------------------------------------------------


def test_edc_function_and_accessor(cut):
    one = edc(cut, 3)
    assert one.dims == ("eV",) and float(one.eps_k) == cut.eps_k.values[3]
    xr.testing.assert_identical(cut.sigma.edc(-1), cut.isel(k=-1))
    assert_bad(lambda: edc(cut, 99), "out of range", "0..7")
    assert_bad(lambda: edc(cut.isel(k=0), 0), "already 1-D")


def test_tight_binding_values():
    t, t1, t2, mu = 0.36, -0.10, 0.035, -0.40
    assert tight_binding_eps(0.0, 0.0) == pytest.approx(-4 * t - 4 * t1 - 4 * t2 - mu)
    assert tight_binding_eps(np.pi, np.pi) == pytest.approx(4 * t - 4 * t1 - 4 * t2 - mu)
    assert tight_binding_eps(np.pi, 0.0) == pytest.approx(4 * t1 - 4 * t2 - mu)
    kx = np.linspace(-np.pi, np.pi, 7)
    grid = tight_binding_eps(kx[:, None], kx[None, :])
    assert grid.shape == (7, 7)
    np.testing.assert_allclose(grid, grid.T)  # kx <-> ky symmetry
    np.testing.assert_allclose(grid, grid[::-1])  # k -> -k
    assert tight_binding_eps(0.0, 0.0, mu=0.0) == pytest.approx(-4 * t - 4 * t1 - 4 * t2)


def test_accessor_is_thin_and_forwards(cut, monkeypatch):
    acc = cut.sigma
    assert isinstance(acc, SigmaAccessor)
    assert vars(acc) == {"_obj": cut}
    xr.testing.assert_identical(acc.validate(sample_temp=30.0),
                                validate(cut, sample_temp=30.0))
    calls = {}
    fake_fit = types.ModuleType("arpes_sigma.fitting.fitter")

    def fit(da, config, callback=None, **kw):
        calls["fit"] = (da, config, callback, kw)
        return "fitted"

    fake_fit.fit = fit
    fake_plot = types.ModuleType("arpes_sigma.plotting.result")

    def plot_spectrum(da, ax=None):
        calls["plot"] = (da, ax)
        return "artists"

    fake_plot.plot_spectrum = plot_spectrum
    monkeypatch.setitem(sys.modules, "arpes_sigma.fitting.fitter", fake_fit)
    monkeypatch.setitem(sys.modules, "arpes_sigma.plotting.result", fake_plot)
    cb = object()
    assert cut.sigma.fit("cfg", callback=cb, steps=3) == "fitted"
    assert calls["fit"][0] is cut and calls["fit"][1:] == ("cfg", cb, {"steps": 3})
    assert cut.sigma.plot(ax="AX") == "artists"
    assert calls["plot"] == (cut, "AX")


@pytest.mark.parametrize("order", ["arpes_sigma first", "xarray first"])
def test_import_registers_the_accessor(order):
    """``da.sigma`` exists after ``import arpes_sigma`` whichever of the two is imported first;
    arpes_sigma alone does not import xarray."""
    first, second = ("arpes_sigma", "xarray") if order == "arpes_sigma first" else ("xarray", "arpes_sigma")
    code = (
        f"import sys; import {first}\n"
        f"assert ('xarray' in sys.modules) is {first == 'xarray'}, 'xarray imported: ' + str('xarray' in sys.modules)\n"
        f"import {second}; import xarray as xr; import importlib.resources as res\n"
        "from arpes_sigma.accessor import SigmaAccessor\n"
        "assert isinstance(xr.DataArray([1.0, 2.0], dims='eV').sigma, SigmaAccessor)\n"
        "assert res.files('xarray').joinpath('__init__.py').is_file()  # xarray's own loader is back in place\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


# --------------------------------------------------------------------------
# to_netcdf_atomic
# --------------------------------------------------------------------------


def test_atomic_write_and_complex_split(cut, tmp_path):
    sig = xr.DataArray(np.array([1 + 2j, 3 - 1j, 0.5j]), dims="w", attrs={"units": "eV"})
    ds = xr.Dataset({"sigma_normal": sig, "intensity": cut})
    p = to_netcdf_atomic(ds, tmp_path / "result.nc")
    with xr.open_dataset(p, engine="h5netcdf") as back:
        assert {"re_sigma_normal", "im_sigma_normal", "intensity"} <= set(back.data_vars)
        assert "sigma_normal" not in back.data_vars
        np.testing.assert_array_equal(back.re_sigma_normal.values, sig.real.values)
        np.testing.assert_array_equal(back.im_sigma_normal.values, sig.imag.values)
        assert back.im_sigma_normal.dtype.kind == "f"
    assert sorted(os.listdir(tmp_path)) == ["result.nc"]
    q = to_netcdf_atomic(cut, tmp_path / "cut.nc")
    xr.testing.assert_identical(load(q), cut)


def test_atomic_write_refuses_input_file(cut, tmp_path):
    p = tmp_path / "input.nc"
    cut.to_netcdf(p, engine="h5netcdf")
    alias = tmp_path / "sub" / ".." / "input.nc"
    (tmp_path / "sub").mkdir()
    assert_bad(lambda: to_netcdf_atomic(cut, alias, protect=[p]), "refusing to overwrite",
               "different output path", files=[p])
    assert_bad(lambda: to_netcdf_atomic(cut, p, protect=str(p)), "refusing", files=[p])


def test_atomic_write_missing_parent(cut, tmp_path):
    target = tmp_path / "missing" / "out.nc"
    assert_bad(lambda: to_netcdf_atomic(cut, target), "does not exist", "mkdir")
    assert not (tmp_path / "missing").exists()


def test_atomic_write_failure_keeps_existing_target(cut, tmp_path, monkeypatch):
    target = tmp_path / "out.nc"
    cut.to_netcdf(target, engine="h5netcdf")
    state = file_state(target)

    def broken(self, path, *a, **k):
        with open(path, "wb") as f:
            f.write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    monkeypatch.setattr(xr.DataArray, "to_netcdf", broken)
    for obj in (cut, cut.to_dataset()):
        assert_bad(lambda obj=obj: to_netcdf_atomic(obj, target), "could not write", "nothing was overwritten",
                   files=[target])
    assert sorted(os.listdir(tmp_path)) == ["out.nc"]  # temp files removed
    assert file_state(target) == state


def test_no_warnings_for_clean_load(cut, tmp_path):
    p = tmp_path / "c.nc"
    cut.to_netcdf(p, engine="h5netcdf")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(p)
