"""The raw path on the command line: prepare (without JAX), fit --gold, fit-many over files; bad input → exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import arpes_sigma
from arpes_sigma.cli.main import clean_warnings, main
from arpes_sigma.io.raw import read
from arpes_sigma.io.ses_text import write_ses_text
from arpes_sigma.synthetic.raw import make_raw_measurement

QUICK = ["--steps", "100", "--no-baselines", "--quiet"]


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_prepare_runs_without_jax(raw_files, tmp_path):
    out, fig = tmp_path / "cut.nc", tmp_path / "cut.png"
    code = (
        "import sys; from arpes_sigma.cli.main import main; "
        f"rc = main(['prepare', {str(raw_files['cut'])!r}, '--gold', {str(raw_files['gold'])!r}, "
        f"'--temperature', '20', '--out', {str(out)!r}, '--figure', {str(fig)!r}]); "
        "assert rc == 0, rc; bad = [m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib', 'flax', 'optax')]; "
        "assert not bad, bad; print('no jax')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "no jax" in proc.stdout and "prepared cut:" in proc.stdout
    assert _files(tmp_path) == ["cut.nc", "cut.png"]
    cut = arpes_sigma.load(out)  # the written cut is fit-ready as it is
    assert cut.dims == ("k", "eV") and cut["noise_sigma"].dims == ("k", "eV")
    assert cut.attrs["hv"] == 21.2 and abs(cut.attrs["fermi_level"] - 16.9) < 0.002


def test_help_and_bad_input_import_no_jax(tmp_path):
    """--help, a .nc that is not netCDF and a missing raw file are refused without importing JAX or xarray."""
    garbage = tmp_path / "garbage.nc"
    garbage.write_text("not a netCDF file")
    code = (
        "import sys, contextlib, io; from arpes_sigma.cli.main import main\n"
        "heavy = lambda *names: [m for m in names if m in sys.modules]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "assert not heavy('jax', 'xarray'), ('help', heavy('jax', 'xarray'))\n"
        f"rc = main(['fit', {str(garbage)!r}, '--out', {str(tmp_path / 'r.nc')!r}])\n"
        "assert rc == 2 and not heavy('jax', 'xarray'), ('fit', rc, heavy('jax', 'xarray'))\n"
        f"rc = main(['prepare', {str(tmp_path / 'missing.txt')!r}, '--gold', 'g.txt', '--temperature', '20', "
        f"'--out', {str(tmp_path / 'o.nc')!r}])\n"
        "assert rc == 2 and not heavy('jax', 'xarray'), ('prepare', rc, heavy('jax', 'xarray'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "file not found" in proc.stderr
    assert "could not read" in proc.stderr and "garbage.nc" in proc.stderr and "not netCDF" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 2  # one line per bad input
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.nc"]  # nothing written


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, raw_files):
    """Raw files with one thing wrong each, written in SES text."""
    folder = tmp_path_factory.mktemp("bad")
    gold, cut = read(raw_files["gold"]), read(raw_files["cut"])
    files = {}
    flat = gold.copy(data=6.0 * np.random.default_rng(0).poisson(np.full(gold.shape, 200.0)))
    for name, da in {
        "no_edge": flat,
        "gold_hv": gold.assign_attrs(hv=40.8),
        "gold_pe": gold.assign_attrs(pass_energy=20.0),
        "shifted": cut.assign_coords(eV=cut["eV"] + 1.0),
    }.items():
        files[name] = folder / f"{name}.txt"
        write_ses_text(files[name], da)
    edc = cut.mean("alpha", keep_attrs=True)
    lines = ["[Info]", "Number of Regions=1", "", "[Region 1]", "Dimension 1 name=Kinetic Energy [eV]",
             f"Dimension 1 size={edc.size}", "Dimension 1 scale=" + " ".join(f"{e:.5f}" for e in edc["eV"].values),
             "", "[Info 1]", "Excitation Energy=21.2", "", "[Data 1]"]
    lines += [f"{e:.5f} {v:.3f}" for e, v in zip(edc["eV"].values, edc.values, strict=True)]
    files["no_angle"] = folder / "xps.txt"
    files["no_angle"].write_text("\n".join(lines) + "\n")
    return files


@pytest.mark.parametrize("case, words", [
    ("no_edge", ["no Fermi edge"]),
    ("gold_hv", ["hv = 40.8", "photon energy"]),
    ("gold_pe", ["pass energy 20 eV", "pass energy"]),
    ("no_angle", ["no angle axis"]),
    ("shifted", ["no overlap"]),
    ("guess", ["band would lie above E_F"]),
])
def test_bad_input_one_line_exit_2_nothing_written(case, words, raw_files, bad_files, tmp_path, capsys):
    cut, gold = str(raw_files["cut"]), str(raw_files["gold"])
    if case in ("no_edge", "gold_hv", "gold_pe"):
        gold = str(bad_files[case])
    elif case in ("no_angle", "shifted"):
        cut = str(bad_files[case])
    out = tmp_path / "out"
    out.mkdir()
    before = {p: Path(p).read_bytes() for p in (cut, gold)}
    argv = ["prepare", cut, "--gold", gold] if case != "guess" else \
        ["prepare", cut, "--fermi-level", "16.75", "--resolution", "0.01"]
    assert main([*argv, "--temperature", "20", "--out", str(out / "c.nc"), "--figure", str(out / "c.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arpes-sigma: error:") and "\n" not in err, err
    for w in words:
        assert w in err, err
    assert _files(out) == []
    assert {p: Path(p).read_bytes() for p in (cut, gold)} == before


def test_fit_from_raw_files(raw_files, tmp_path, capsys):
    out = tmp_path / "r.nc"
    argv = ["fit", str(raw_files["cut"]), "--gold", str(raw_files["gold"]), "--temperature", "20",
            "--out", str(out), "--band", "bi2212", "--cut", "0.45", "0.5", "90", *QUICK]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert f"result: {out}" in printed and ("fit quality" in printed or "does not describe the data" in printed)
    ds = xr.load_dataset(out, engine="h5netcdf")
    a = ds.attrs
    assert abs(a["fermi_level"] - 16.9) < 0.002 and abs(a["energy_resolution"] - 0.010) < 0.001 and a["hv"] == 21.2
    assert json.loads(a["source_files"])[1].endswith("gold.txt") and "fermi_poly" in json.loads(a["calibration"])
    assert a["eps_k_source"] == "band:bi2212"
    prepared = arpes_sigma.prepare(read(raw_files["cut"]), arpes_sigma.calibrate(raw_files["gold"], 20.0),
                                   band="bi2212", geometry=arpes_sigma.CutGeometry(0.45 * np.pi, 0.5 * np.pi))
    np.testing.assert_array_equal(ds["intensity"].values, prepared.values)  # the intensity as read


def test_fit_many_over_files(tmp_path, capsys):
    """Two cuts at different places of the Fermi surface, one gold, the geometry from a JSON file."""
    folder = tmp_path / "data"
    folder.mkdir()
    geometry = {}
    for i, kx0 in enumerate((0.40, 0.60)):
        m = make_raw_measurement(geometry=arpes_sigma.CutGeometry(kx0 * np.pi, 0.5 * np.pi), seed=10 + i,
                                 angles=np.arange(-10, 10.01, 0.2))
        write_ses_text(folder / f"cut{i}.txt", m.cut)
        geometry[f"cut{i}.txt"] = [kx0, 0.5, 90.0]
        if i == 0:
            write_ses_text(folder / "gold.txt", m.gold)
    (folder / "geometry.json").write_text(json.dumps(geometry))
    out = tmp_path / "many"
    argv = ["fit-many", str(folder / "cut0.txt"), str(folder / "cut1.txt"), "--gold", str(folder / "gold.txt"),
            "--temperature", "20", "--out", str(out), "--band", "bi2212", "--geometry", str(folder / "geometry.json"),
            "--workers", "1", "--steps", "30", "--no-baselines", "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert _files(out) == ["cuts.nc", "fermi_surface.nc", "fermi_surface.png", "result.nc"]
    summary = xr.load_dataset(out / "fermi_surface.nc", engine="h5netcdf")
    assert summary.sizes["cut"] == 2 and np.all(np.isfinite(summary["fs_angle"].values))
    assert summary["fs_angle"].values[0] > summary["fs_angle"].values[1]  # kx0 = 0.4π is nearer the node
    assert list(summary["status"].values) == ["ok", "ok"] and np.all(np.isfinite(summary["gap"].values))
    assert np.all(np.isfinite(summary["chi2_measured_noise"].values))  # each cut judged against its own noise
    assert "cut0.txt" in printed
    # 30 steps stop these fits while they still improve (as the single fit below): "ok", but said
    result = xr.load_dataset(out / "result.nc", engine="h5netcdf")
    assert list(result["converged"].values) == [0, 0]
    assert "warning: 2 fit(s) had not converged when their 30 steps ran out (cut = 0, 1); rerun with --steps 60" \
        in printed
    stack = xr.load_dataarray(out / "cuts.nc", engine="h5netcdf")
    assert stack.dims == ("cut", "k", "eV") and stack["k_parallel"].dims == ("cut", "k")


def test_warnings_are_one_clean_line_once(capsys):
    with clean_warnings():
        for _ in range(3):
            warnings.warn("12 of 100 intensity points are negative;\n they are kept", UserWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err == "arpes-sigma: warning: 12 of 100 intensity points are negative; they are kept\n"


def test_several_inputs_without_gold(tmp_path, capsys):
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    assert main(["fit-many", str(a), str(b), "--out", str(tmp_path / "r.nc")]) == 2
    assert "need --gold" in capsys.readouterr().err


def test_a_fit_that_ran_out_of_steps_says_so(raw_files, tmp_path, capsys):
    """30 steps leave the best chi2_red falling by about 0.1 per 10 steps: a warning line with the fix."""
    out = tmp_path / "r.nc"
    argv = ["fit", str(raw_files["cut"]), "--gold", str(raw_files["gold"]), "--temperature", "20",
            "--out", str(out), "--band", "bi2212", "--cut", "0.45", "0.5", "90", "--steps", "30", "--no-baselines",
            "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "warning: the fit had not converged when its 30 steps ran out; rerun with --steps 60" in printed
    assert xr.load_dataset(out, engine="h5netcdf").attrs["status"].startswith("stopped at the step budget")
