"""``da.sigma``: the xarray accessor, a thin forwarding layer to module functions.

Registered when :mod:`arpes_sigma` is imported.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

__all__ = ["SigmaAccessor"]


@xr.register_dataarray_accessor("sigma")
class SigmaAccessor:
    """``da.sigma``: thin forwarding to :mod:`arpes_sigma` functions.

    Registered when :mod:`arpes_sigma` is imported. Holds no state
    besides the wrapped array; every method calls a module function.

    Parameters
    ----------
    obj : xarray.DataArray
        The array the accessor is attached to.
    """

    def __init__(self, obj: xr.DataArray):
        self._obj = obj

    def validate(self, **kw: Any) -> xr.DataArray:
        """Clean copy checked against the data contract; see :func:`arpes_sigma.validate`."""
        from arpes_sigma.io.contract import validate as _validate

        return _validate(self._obj, **kw)

    def fit(self, config: Any = None, callback: Any = None, **kw: Any) -> Any:
        """Fit the self-energy model; see :func:`arpes_sigma.fit`."""
        from arpes_sigma.fitting.fitter import fit as _fit

        return _fit(self._obj, config, callback=callback, **kw)

    def edc(self, k_index: int) -> xr.DataArray:
        """One EDC with a scalar ``eps_k``; see :func:`arpes_sigma.edc`."""
        from arpes_sigma.io.contract import edc as _edc

        return _edc(self._obj, k_index)

    def plot(self, ax: Any = None) -> Any:
        """Plot the spectrum; see :func:`arpes_sigma.plotting.result.plot_spectrum`."""
        from arpes_sigma.plotting.result import plot_spectrum

        return plot_spectrum(self._obj, ax=ax)
