"""Orchestration above the fit and its baseline: one fit, then (optionally) the Norman baseline.

:func:`arpes_sigma.fit` does one fit (the paired and the normal-only model side
by side, and the evidence between them). The CLI, fit-many and anyone who
wants the phenomenological comparison a physicist expects call
:func:`fit_with_baselines`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .baselines import fit_baselines
from .config import FitConfig
from .fitter import FitProgress, Fitter, drive
from .result import FitResult

__all__ = ["fit_with_baselines", "with_baselines"]


def fit_with_baselines(
    data: Any,
    config: FitConfig | None = None,
    *,
    callback: Callable[[FitProgress], Any] | None = None,
    on_baselines: Callable[[], Any] | None = None,
) -> FitResult:
    """Fit ``data``; if ``config.baselines``, also fit the Norman baseline on the same problem.

    Parameters
    ----------
    data : xarray.DataArray
        A cut or an EDC (see :func:`arpes_sigma.validate`).
    config : FitConfig, optional
    callback : callable, optional
        Progress of the main fit (see :func:`arpes_sigma.fit`).
    on_baselines : callable, optional
        Called (no arguments) just before the baselines are fitted, e.g. to say so.

    Returns
    -------
    FitResult
        ``baselines`` holds ``{"normal_only": χ²_red}`` (always) and
        ``"norman"`` when it was fitted.
    """
    config = config or FitConfig()
    fitter = Fitter(data, config)
    drive(fitter, -(-config.steps // config.steps_per_call), callback)
    return with_baselines(fitter, on_baselines=on_baselines)


def with_baselines(fitter: Fitter, *, on_baselines: Callable[[], Any] | None = None) -> FitResult:
    """The result of a finished ``fitter``, with its baselines when ``fitter.config.baselines``."""
    baselines = None
    if fitter.config.baselines:
        if on_baselines is not None:
            on_baselines()
        baselines = fit_baselines(fitter)
    return fitter.result(baselines=baselines)
