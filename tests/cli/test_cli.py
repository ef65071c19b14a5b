"""The ``arpes-sigma`` command: happy paths, bad input (exit 2, one line, nothing written)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from arpes_sigma.cli.main import main
from arpes_sigma.synthetic import make_spectrum

QUICK = ["--steps", "200", "--no-baselines", "--quiet"]


@pytest.fixture(scope="module")
def user_file(tmp_path_factory):
    """A cut written by a user with plain xarray: dims (k, eV), coord eps_k, attrs."""
    da, _ = make_spectrum(eps_k=np.linspace(-0.15, 0.03, 5), energies=np.arange(-0.25, 0.0401, 0.0034), seed=5)
    plain = xr.DataArray(
        da.values,
        dims=("k", "eV"),
        coords={"k": da.k.values, "eV": da.eV.values, "eps_k": ("k", da.eps_k.values)},
        attrs={"sample_temp": 20.0, "energy_resolution": 0.01},
    )
    path = tmp_path_factory.mktemp("user") / "cut.nc"
    plain.to_netcdf(path, engine="h5netcdf")
    return path


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_fit_writes_result_and_figure(user_file, tmp_path, capsys):
    before = user_file.read_bytes()
    out, fig = tmp_path / "res.nc", tmp_path / "fig.png"
    code = main(["fit", str(user_file), "--out", str(out), "--figure", str(fig), "--window", "-0.2", "0.03", *QUICK])
    assert code == 0
    assert _files(tmp_path) == ["fig.png", "res.nc"]  # no temp files left behind
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds.im_sigma_normal.dims == ("eV",) and ds.attrs["steps"] == 200
    ds.close()
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert f"result: {out}" in printed
    assert user_file.read_bytes() == before  # input untouched
    # where the data determine the curves: one line, the numbers the file carries
    ds = xr.open_dataset(out, engine="h5netcdf")
    to = {n: 1e3 * float(ds[f"{n}_detectable"].attrs["determined_to"]) for n in ("sigma_normal", "sigma_anomalous")}
    bottom = 1e3 * float(ds.eV[ds.window > 0].min())
    poles = int(ds.attrs["hidden_fermions"])
    ds.close()
    assert [t for t in printed.splitlines() if t.startswith("hidden fermions:")][0].startswith(
        f"hidden fermions: {poles} of 2 (ln B = ")
    line = [t for t in printed.splitlines() if t.startswith("determined by the data:")]
    assert line == [f"determined by the data: Sigma11 down to {to['sigma_normal']:.0f} meV, W down to "
                    f"{to['sigma_anomalous']:.0f} meV (window from {bottom:.0f} meV); below, a change as large as the "
                    f"curve would not show in the spectrum (*_detectable in the result)"]


def test_demo_writes_into_its_folder(tmp_path, capsys):
    code = main(["demo", "--out-dir", str(tmp_path / "demo"), *QUICK])
    assert code == 0
    assert _files(tmp_path / "demo") == ["demo_result.nc", "demo_result.png"]
    assert "demo_result.nc" in capsys.readouterr().out


@pytest.mark.parametrize(
    "make_args, word",
    [
        (lambda d, f: ["fit", str(d / "missing.nc"), "--out", str(d / "o.nc")], "not found"),
        (lambda d, f: ["fit", str(f), "--out", str(f)], "input"),
        (lambda d, f: ["fit", str(f), "--out", str(d / "o.txt")], ".nc"),
        (lambda d, f: ["fit", str(f), "--out", str(d / "nodir" / "o.nc")], "does not exist"),
        (lambda d, f: ["fit", str(f), "--out", str(d / "o.nc"), "--window", "0.1", "-0.1"], "window"),
        (lambda d, f: ["fit", str(f), "--out", str(d / "o.nc"), "--hidden", "0"], "n_poles"),
        (lambda d, f: ["fit", str(_garbage(d)), "--out", str(d / "o.nc")], "netCDF"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(make_args, word, user_file, tmp_path, capsys):
    args = make_args(tmp_path, user_file)
    before_files = _files(tmp_path)
    before = user_file.read_bytes()
    code = main([*args, *QUICK])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("arpes-sigma: error:")
    assert word in err
    assert _files(tmp_path) == before_files
    assert user_file.read_bytes() == before


def _garbage(folder):
    p = folder / "garbage.nc"
    p.write_bytes(np.random.default_rng(0).bytes(2048))
    return p


def test_console_script_prints_no_traceback(tmp_path):
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-m", "arpes_sigma.cli", "fit", str(tmp_path / "nope.ibw"), "--out", str(tmp_path / "o.nc")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- help texts
def _subparsers():
    import argparse

    from arpes_sigma.cli.main import build_parser

    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_every_positional_argument_has_help():
    subs = _subparsers()
    assert {"demo", "fit", "prepare", "fit-many", "thermal", "lecture"} <= set(subs)
    for name, parser in subs.items():
        for action in parser._actions:
            if not action.option_strings:  # a positional
                assert action.help and len(action.help) > 15, f"arpes-sigma {name}: {action.dest} has no help"


@pytest.mark.parametrize("command, in_positionals, anywhere", [
    ("fit", ["input", "fit-ready file", "raw analyser file"], []),
    ("fit-many", ["input", "netCDF file", "raw cuts"], []),
    ("prepare", ["raw", "SES text"], []),
    ("lecture", ["VOILA_OPTION", "passed to voila"], ["--port", "--no-browser", "Voilà"]),
])
def test_help_describes_the_positional_input(command, in_positionals, anywhere):
    proc = subprocess.run([sys.executable, "-m", "arpes_sigma.cli", command, "--help"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    positionals = proc.stdout.split("positional arguments:")[1].split("options:")[0]
    for word in in_positionals:
        assert word in positionals, (command, word, proc.stdout)
    for word in anywhere:
        assert word in proc.stdout, (command, word, proc.stdout)


def test_lecture_serves_the_packaged_notebook_without_sources(capsys):
    from arpes_sigma.cli.lecture import lecture_notebook

    nb = lecture_notebook()
    assert nb.name == "lecture.ipynb" and nb.is_file() and nb.parent.name == "app"
    code = main(["lecture", "--port", "9123", "--no-browser", "--print-command", "--", "--Voila.token="])
    assert code == 0
    out = capsys.readouterr().out
    for part in (str(nb), "-m voila", "--port=9123", "--no-browser", "--strip_sources=True", "--template=lab",
                 "--Voila.token="):
        assert part in out, (part, out)
    assert " -- " not in out


def test_progress_bar_says_compiling_and_times_the_steps_only():
    """The CLI's bar names the wait before the first report (the compilation, most of a first run) and
    starts its clock there: counted from the start, a first run showed 1.1 step/s and 2:48 left for a fit
    that ended 2 s later."""
    from types import SimpleNamespace

    from arpes_sigma.cli.options import Progress

    bar = Progress(200, quiet=False, desc="fit")
    assert "compiling" in bar.bar.postfix
    bar.bar.start_t -= 30.0  # 30 s of compilation before the first report
    bar(SimpleNamespace(step=10, chi2_reduced=4.6))
    first = bar.bar.format_dict
    assert first["n"] == 10 and first["initial"] == 10 and first["elapsed"] < 5.0
    assert "compiling" not in bar.bar.postfix
    bar(SimpleNamespace(step=20, chi2_reduced=1.0))
    assert bar.bar.n == 20
    bar.close()
    assert Progress(200, quiet=True, desc="fit").bar is None
