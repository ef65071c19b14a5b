"""Fitting Σ11(ω) and W(ω) to a cut: configuration, problem, loss, engine, Fitter, result, baselines.

Modules import one way: ``config`` → ``problem`` → ``loss`` → ``engine`` →
``result`` → ``fitter`` → ``baselines`` → ``pipeline``. :func:`fit` does one
fit; :func:`fit_with_baselines` (the CLI and fit-many) adds the Norman and
normal-only baselines. Names are imported lazily (``arpes_sigma.fitting.config``
alone does not import JAX's optimizers).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "FitConfig": "config",
    "PRIOR_NAMES": "config",
    "FitResult": "result",
    "FitProgress": "fitter",
    "FitSnapshot": "fitter",
    "Fitter": "fitter",
    "FitterStack": "stack",
    "drive": "fitter",
    "fit": "fitter",
    "fit_with_baselines": "pipeline",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
