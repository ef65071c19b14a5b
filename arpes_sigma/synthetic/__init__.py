"""Synthetic ARPES data with a known truth: single cuts and temperature series."""

from .series import bcs_gap_ratio, make_temperature_series
from .spectrum import TRUTHS, Truth, default_spectrum, make_spectrum, truth_self_energy

__all__ = ["TRUTHS", "Truth", "bcs_gap_ratio", "default_spectrum", "make_spectrum", "make_temperature_series",
           "truth_self_energy"]
