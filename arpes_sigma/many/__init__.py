"""Fit a whole data set — a temperature series or many cuts — slice by slice, in parallel (dask).

``api`` (:func:`fit_many`), ``slices`` (splitting and fingerprints), ``store``
(resumable parts, manifest, lock), ``cluster`` (dask), ``tasks`` (what a
worker runs).
"""

from __future__ import annotations

from typing import Any

__all__ = ["fit_many"]


def fit_many(*args: Any, **kwargs: Any) -> Any:
    """See :func:`arpes_sigma.many.api.fit_many` (imported on first call, so the package stays light)."""
    from .api import fit_many as _fit_many

    return _fit_many(*args, **kwargs)
