"""``--background``, ``--eps-k``, ``--amplitude``: parsed into FitConfig; the edge background and more solver steps by
default for measured (raw or prepared) cuts."""

from __future__ import annotations

import argparse

import pytest
import xarray as xr

from arpes_sigma.cli.options import add_fit_options, config_from, measured_defaults
from arpes_sigma.fitting.config import MEASURED_STEPS


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
    "argv, raw, attrs, want, steps",
    [
        ((), False, {}, "constant", 200),  # a fit-ready (e.g. synthetic) cut keeps the FitConfig defaults
        ((), True, {}, "edge", MEASURED_STEPS),  # raw files read with --gold
        ((), False, {"prepared_by": "arpes_sigma.prepare"}, "edge", MEASURED_STEPS),  # made by `arpes-sigma prepare`
        (("--background", "constant"), True, {}, "constant", MEASURED_STEPS),  # the user's choice wins
        (("--background", "shirley", "--steps", "50"), True, {}, "shirley", 50),
    ],
)
def test_measured_cuts_default_to_the_edge_background_and_more_steps(argv, raw, attrs, want, steps):
    args = _args(*argv)
    data = xr.DataArray([0.0], dims="eV", attrs=attrs)
    config = measured_defaults(config_from(args), args, data, raw=raw)
    assert (config.background, config.steps) == (want, steps)
    assert MEASURED_STEPS > config_from(_args()).steps


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


def test_the_python_api_gives_a_prepared_cut_the_same_defaults_as_the_cli():
    """fit(cut) / fit_with_baselines(cut) without a config use FitConfig.default_for(cut)."""
    from arpes_sigma import FitConfig

    prepared = xr.DataArray([0.0], dims="eV", attrs={"prepared_by": "arpes_sigma.prepare"})
    config = FitConfig.default_for(prepared)
    assert (config.background, config.steps) == ("edge", MEASURED_STEPS)
    assert FitConfig.default_for(xr.DataArray([0.0], dims="eV")) == FitConfig()
    assert FitConfig.default_for(None) == FitConfig()
