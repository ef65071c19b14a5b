"""``--background``, ``--eps-k``, ``--amplitude``: parsed into FitConfig; the edge background by default for measured
(raw or prepared) cuts."""

from __future__ import annotations

import argparse

import pytest
import xarray as xr

from arpes_sigma.cli.options import add_fit_options, config_from, measured_background


def _args(*argv):
    p = argparse.ArgumentParser()
    add_fit_options(p)
    p.add_argument("--gold")
    return p.parse_args(list(argv))


def test_background_option_reaches_the_config():
    assert config_from(_args("--background", "shirley")).background == "shirley"
    assert config_from(_args("--background", "edge")).background == "edge"
    assert config_from(_args()).background == "constant"
    with pytest.raises(SystemExit):
        _args("--background", "linear")


@pytest.mark.parametrize(
    "argv, raw, attrs, want",
    [
        ((), False, {}, "constant"),  # a fit-ready (e.g. synthetic) cut keeps the constant
        ((), True, {}, "edge"),  # raw files read with --gold
        ((), False, {"prepared_by": "arpes_sigma.prepare"}, "edge"),  # a cut made by `arpes-sigma prepare`
        (("--background", "constant"), True, {}, "constant"),  # the user's choice wins
        (("--background", "shirley"), True, {}, "shirley"),
    ],
)
def test_measured_cuts_default_to_shirley(argv, raw, attrs, want):
    args = _args(*argv)
    data = xr.DataArray([0.0], dims="eV", attrs=attrs)
    assert measured_background(config_from(args), args, data, raw=raw).background == want


def test_band_option_reaches_the_config():
    # default auto: the fit learns eps_k when the cut's eps_k is an MDC guess (prepare without --band)
    assert config_from(_args()).band == "auto"
    for choice in ("fixed", "learn", "auto"):
        assert config_from(_args("--eps-k", choice)).band == choice
    with pytest.raises(SystemExit):
        _args("--eps-k", "free")


def test_amplitude_option_reaches_the_config():
    assert config_from(_args()).amplitude == "free"
    assert config_from(_args("--amplitude", "smooth")).amplitude == "smooth"
    with pytest.raises(SystemExit):
        _args("--amplitude", "linear")
