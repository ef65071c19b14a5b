"""arpes_sigma: the normal Σ11(ω) and anomalous W(ω) self-energies of a superconductor from ARPES.

The public functions and classes are re-exported here lazily, so that
``import arpes_sigma`` stays cheap (JAX is imported only when a numerical
function is first used). Importing the package registers the ``da.sigma``
accessor on :class:`xarray.DataArray` — at once if xarray is already
imported, otherwise as soon as anything imports xarray (xarray and pandas
take ~0.75 s, which ``arpes-sigma --help`` and bad input should not pay).

Layers import one way::

    physics → model → io → fitting → {many, analysis, plotting} → {widgets, cli}

with :mod:`arpes_sigma.synthetic` beside ``io`` and :mod:`arpes_sigma.thermal`
(purified Boltzmann machines) on its own.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Any

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


class _AccessorAfterXarray(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Registers ``da.sigma`` right after xarray's first import, whoever imports it.

    Python has no post-import hook, so this finder answers for ``xarray``
    once: it takes xarray's real spec, runs xarray's own loader and then
    imports :mod:`arpes_sigma.accessor`. Every other module is left to the
    normal finders.
    """

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "xarray":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        self.loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        importlib.import_module("arpes_sigma.accessor")


if "xarray" in sys.modules:
    from . import accessor as _accessor  # noqa: F401  (registers the da.sigma accessor)
else:
    sys.meta_path.insert(0, _AccessorAfterXarray())


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
