"""arpes_sigma: normal and anomalous self-energies from ARPES.

The public entry points are re-exported lazily so that ``import arpes_sigma``
stays cheap (JAX is imported only when a numerical function is used).
"""

from __future__ import annotations

import importlib

from . import data as _data  # noqa: F401  (registers the da.sigma accessor)
from .errors import ArpesDataError, ConfigError

__version__ = "0.1.0"

_LAZY = {
    "load": ("arpes_sigma.data", "load"),
    "validate": ("arpes_sigma.data", "validate"),
    "FitConfig": ("arpes_sigma.fit", "FitConfig"),
    "FitResult": ("arpes_sigma.fit", "FitResult"),
    "fit_many": ("arpes_sigma.many", "fit_many"),
}

__all__ = ["ArpesDataError", "ConfigError", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    if name in {"synthetic", "physics", "data", "model", "fit", "baselines", "plotting", "thermal", "widgets"}:
        return importlib.import_module(f"arpes_sigma.{name}")
    raise AttributeError(f"module 'arpes_sigma' has no attribute {name!r}")
