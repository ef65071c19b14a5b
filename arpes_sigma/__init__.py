"""arpes_sigma: the normal Σ11(ω) and anomalous W(ω) self-energies of a superconductor from ARPES.

The public functions and classes are re-exported here lazily, so that
``import arpes_sigma`` stays cheap (JAX is imported only when a numerical
function is first used). Importing the package registers the ``da.sigma``
accessor on :class:`xarray.DataArray`.

Layers import one way::

    physics → model → io → fitting → {many, analysis, plotting} → {widgets, cli}

with :mod:`arpes_sigma.synthetic` beside ``io`` and :mod:`arpes_sigma.thermal`
(purified Boltzmann machines) on its own.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import accessor as _accessor  # noqa: F401  (registers the da.sigma accessor)
from .errors import ArpesDataError, ConfigError

__version__ = "0.1.0"

_LAZY = {
    "load": ("arpes_sigma.io.readers", "load"),
    "read": ("arpes_sigma.io.raw", "read"),
    "calibrate": ("arpes_sigma.io.calibrate", "calibrate"),
    "Calibration": ("arpes_sigma.io.calibrate", "Calibration"),
    "prepare": ("arpes_sigma.io.prepare", "prepare"),
    "CutGeometry": ("arpes_sigma.physics.band", "CutGeometry"),
    "validate": ("arpes_sigma.io.contract", "validate"),
    "edc": ("arpes_sigma.io.contract", "edc"),
    "fit": ("arpes_sigma.fitting.fitter", "fit"),
    "fit_with_baselines": ("arpes_sigma.fitting.pipeline", "fit_with_baselines"),
    "Fitter": ("arpes_sigma.fitting.fitter", "Fitter"),
    "FitConfig": ("arpes_sigma.fitting.config", "FitConfig"),
    "FitResult": ("arpes_sigma.fitting.result", "FitResult"),
    "fit_many": ("arpes_sigma.many.api", "fit_many"),
    "make_spectrum": ("arpes_sigma.synthetic.spectrum", "make_spectrum"),
}

_SUBPACKAGES = {
    "accessor", "analysis", "cli", "datasets", "fitting", "io", "many", "model", "physics", "plotting", "synthetic",
    "thermal", "widgets",
}

__all__ = ["ArpesDataError", "ConfigError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value  # later look-ups skip this hook
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"arpes_sigma.{name}")
    raise AttributeError(f"module 'arpes_sigma' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBPACKAGES})
