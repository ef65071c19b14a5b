"""The ``thermal`` subcommand, driven through a local argparse parser (``register``) and ``main``."""

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from arpes_sigma.cli.main import main
from arpes_sigma.cli.thermal import register
from arpes_sigma.errors import ConfigError


def _parse(argv):
    parser = argparse.ArgumentParser(prog="arpes-sigma")
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def _run(argv):
    args = _parse(argv)
    return args.func(args)


def test_register_sets_func():
    argv = ["thermal", "--model", "tfim", "--sites", "4", "--field", "1", "--temperatures", "1", "--out", "x.nc"]
    args = _parse(argv)
    assert args.func.__name__ == "run"


def test_tfim_writes_dataset(tmp_path, capsys):
    out = tmp_path / "tfim.nc"
    rc = _run(
        ["thermal", "--model", "tfim", "--sites", "6", "--field", "1.0", "--coupling", "1.0",
         "--temperatures", "0.5,1,2", "--out", str(out), "--quiet"]
    )
    assert rc == 0
    assert capsys.readouterr().out == ""  # --quiet: nothing printed
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.sizes["temperature"] == 3
        for name in ("energy", "specific_heat", "energy_exact", "specific_heat_exact"):
            assert name in ds and ds[name].dims == ("temperature",)
        assert "energy_err" not in ds  # exact summation: no statistical error
        assert "mx_exact" in ds and "mz2_exact" in ds
        np.testing.assert_allclose(ds.energy, ds.energy_exact, rtol=1e-3)  # measured ≤ 3.6e-4 at step 0.05
        assert json.loads(ds.attrs["units"])["deep"] == 6 * 20  # 20 Trotter steps to T = 0.5
        cfg = json.loads(ds.attrs["config"])
        assert cfg["model"] == "tfim" and cfg["model_parameters"]["n_sites"] == 6
        assert cfg["temperatures"] == [0.5, 1.0, 2.0]
    assert [p.name for p in tmp_path.iterdir()] == ["tfim.nc"]  # no temporary files left


def test_sampled_run_has_error_bars(tmp_path):
    out = tmp_path / "mc.nc"
    _run(
        ["thermal", "--model", "tfim", "--sites", "12", "--field", "1", "--temperatures", "2",
         "--out", str(out), "--method", "sample", "--sweeps", "200", "--trotter-step", "0.1", "--quiet"]
    )
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert "energy_err" in ds and "specific_heat_err" in ds and "tau_int" in ds
        assert np.all(ds.energy_err > 0)
        assert ds.attrs["method"] == "sample"
        z = float(((ds.energy - ds.energy_exact) / ds.energy_err)[0])
        assert abs(z) < 4, z


def test_variational_run_on_a_3x3_torus(tmp_path):
    out = tmp_path / "var.nc"
    _run(
        ["thermal", "--model", "j1j2", "--sites", "9", "--j2", "0.5", "--temperatures", "4", "--method",
         "variational", "--beta-step", "0.1", "--chains", "32", "--samples", "128", "--features", "1",
         "--out", str(out), "--quiet"]
    )
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.attrs["method"] == "variational" and int(ds.n_steps[0]) == 3
        assert float(ds.energy_err[0]) > 0
        z = float(((ds.energy - ds.energy_exact) / ds.energy_err)[0])
        assert abs(z) < 4, z
        cfg = json.loads(ds.attrs["config"])
        assert cfg["samples"] == 128 and cfg["chains"] == 32 and cfg["features"] == 1


def test_variational_defaults_are_the_measured_ones(tmp_path):
    """The README's 4 × 4 row (1.1 % in E at T = 2) is measured with these; other methods keep theirs.

    They are the library's (ThermalConfig.resolved), so --method auto, which picks the variational
    machine for this torus, gets them too (it had 32 chains and 2048 samples when only an explicit
    --method variational did)."""
    from arpes_sigma.cli.thermal import build_config
    from arpes_sigma.thermal import J1J2Square, ThermalConfig

    argv = ["thermal", "--model", "j1j2", "--sites", "16", "--j2", "0.5", "--temperatures", "1", "--out",
            str(tmp_path / "v.nc")]
    for method in ("variational", "auto"):
        _, _, config, _ = build_config(_parse(argv + ["--method", method]))
        assert (config.method, config.features, config.samples, config.chains) == ("variational", 4, 8192, 512)
    library = ThermalConfig().resolved(J1J2Square(4, 4, 1.0, 0.5))
    assert (library.method, library.samples, library.chains) == ("variational", 8192, 512)
    _, _, config, _ = build_config(_parse(argv + ["--method", "variational", "--chains", "64"]))
    assert (config.samples, config.chains) == (1024, 64)  # 16 samples per chain unless --samples is given
    _, _, config, _ = build_config(_parse(["thermal", "--model", "tfim", "--sites", "8", "--field", "1",
                                           "--temperatures", "1", "--method", "sample",
                                           "--out", str(tmp_path / "s.nc")]))
    assert config.chains == 32


@pytest.mark.parametrize("given,expected", [(None, "translation"), ("swap", "swap"), ("Space", "space"),
                                            ("full", "full")])
def test_symmetry_option_reaches_the_variational_machine(tmp_path, given, expected):
    from arpes_sigma.cli.thermal import build_config
    from arpes_sigma.thermal.ansatz import machine_for

    argv = ["thermal", "--model", "j1j2", "--sites", "16", "--j2", "0.5", "--temperatures", "1", "--method",
            "variational", "--out", str(tmp_path / "v.nc")] + ([] if given is None else ["--symmetry", given])
    model, _, config, _ = build_config(_parse(argv))
    assert config.symmetry == expected
    # the group each hidden feature is shared over: 16 translations, x 8 point-group elements, x 2 (σ <-> a swap)
    order = {"translation": 16, "swap": 32, "space": 128, "full": 256}[expected]
    assert machine_for(model, config.features, config.symmetry).group_size == order


def test_j1j2_small_cluster(tmp_path, capsys):
    out = tmp_path / "j1j2.nc"
    _run(
        ["thermal", "--model", "j1j2", "--sites", "9", "--j2", "0.5", "--temperatures", "1,2",
         "--out", str(out), "--trotter-step", "0.1"]
    )
    assert "wrote" in capsys.readouterr().out
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        np.testing.assert_allclose(ds.energy, ds.energy_exact, rtol=1e-3)  # measured 1.9e-4, 2.8e-4 at step 0.1
        assert ds.energy_exact.attrs["method"] == "ed-sectors"
        assert ds.attrs["method"] == "exact"
        assert "sz2_exact" in ds


BAD = [
    (["--model", "tfim", "--sites", "1", "--field", "1", "--temperatures", "1"], "sites"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures=-1,1"], "temperatures"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "-0.5"], "temperatures"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "0"], "temperatures"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "a,b"], "temperatures"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "1,1"], "temperatures"),
    (["--model", "tfim", "--sites", "8", "--temperatures", "1"], "field"),
    (["--model", "tfim", "--sites", "eight", "--field", "1", "--temperatures", "1"], "sites"),
    (["--model", "tfim", "--sites", "8", "--field", "nan", "--temperatures", "1"], "field"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--j2", "0.5", "--temperatures", "1"], "j2"),
    (["--model", "ising", "--sites", "8", "--field", "1", "--temperatures", "1"], "model"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "1", "--trotter-step", "0"], "trotter_step"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "1", "--method", "sample",
      "--sweeps", "1"], "sweeps"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "1", "--method", "magic"], "method"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "1", "--method", "exact",
      "--features", "2"], "features"),
    (["--model", "tfim", "--sites", "14", "--field", "1", "--temperatures", "1", "--method", "exact"], "at most 12"),
    (["--model", "tfim", "--sites", "9", "--field", "1", "--temperatures", "1", "--method", "sample"], "even"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "1", "--method", "variational",
      "--open"], "periodic"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "1", "--method", "variational",
      "--chains", "64", "--samples", "100"], "multiple"),
    (["--model", "j1j2", "--sites", "9", "--method", "variational", "--symmetry", "mirror", "--temperatures", "1"],
     "symmetry must be one of translation, swap, space, full"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "1", "--method", "sample",
      "--symmetry", "space"], "--symmetry applies to --method variational"),
    (["--model", "tfim", "--sites", "8", "--field", "1", "--temperatures", "1", "--method", "variational",
      "--symmetry", "swap"], "J1–J2 model only"),
    (["--model", "j1j2", "--sites", "12", "--temperatures", "1"], "L\\*L"),
    (["--model", "j1j2", "--sites", "4", "--temperatures", "1"], "L >= 3"),
    (["--model", "j1j2", "--sites", "16", "--method", "exact", "--temperatures", "1"], "at most 12"),
    (["--model", "j1j2", "--sites", "9", "--field", "1", "--temperatures", "1"], "field"),
    (["--model", "j1j2", "--sites", "9", "--method", "sample", "--temperatures", "1"], "sign problem"),
]


@pytest.mark.parametrize("argv,word", BAD)
def test_bad_input_raises_config_error_and_writes_nothing(tmp_path, argv, word):
    out = tmp_path / "bad.nc"
    with pytest.raises(ConfigError, match=word) as info:
        _run(["thermal", *argv, "--out", str(out), "--quiet"])
    assert "\n" not in str(info.value)  # one line
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_not_overwritten_without_flag(tmp_path):
    out = tmp_path / "keep.nc"
    out.write_bytes(b"precious")
    argv = ["thermal", "--model", "tfim", "--sites", "4", "--field", "1", "--temperatures", "1",
            "--out", str(out), "--quiet"]
    with pytest.raises(ConfigError, match="overwrite"):
        _run(argv)
    assert out.read_bytes() == b"precious"
    assert _run([*argv, "--overwrite"]) == 0
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.sizes["temperature"] == 1


def test_main_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    rc = main(["thermal", "--model", "j1j2", "--sites", "10", "--temperatures", "1", "--out", str(tmp_path / "x.nc")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "L*L" in err
    assert list(tmp_path.iterdir()) == []


def test_help_does_not_import_jax():
    code = "import sys; import arpes_sigma.cli.thermal; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_output_folder(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        _run(["thermal", "--model", "tfim", "--sites", "4", "--field", "1", "--temperatures", "1",
              "--out", str(tmp_path / "nope" / "x.nc"), "--quiet"])
