"""Does a fit describe its data? χ² against the measured noise and structure left in the residual.

A fit whose χ²_red is far above 1, or whose residual still carries structure
along energy, has not found the spectrum: its Σ11 and W and any verdict on
pairing drawn from it are not to be read. :func:`fit_quality` says so in one
line that the CLI prints and the result figure shows.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["CHI2_MAX", "CORRELATION_MAX", "FitQuality", "fit_quality", "residual_quality"]

#: χ²_red above this (against the measured noise) means the model misses the data.
CHI2_MAX = 3.0
#: Lag-1 autocorrelation of the normalised residual along energy above this means structure is left.
#: For white noise it is 0 ± 1/√N (N ≈ 10³ points: ± 0.03).
CORRELATION_MAX = 0.3


@dataclasses.dataclass(frozen=True)
class FitQuality:
    """How well a fit describes its data.

    Attributes
    ----------
    chi2_reduced : float — mean of (data − model)² / σ² over the fit window
    correlation : float — lag-1 autocorrelation of (data − model)/σ along energy
    noise : str — where σ came from ("per point (noise_sigma)" or "one level from second differences")
    describes_data : bool
    message : str — one line for a person
    """

    chi2_reduced: float
    correlation: float
    noise: str
    describes_data: bool
    message: str


def fit_quality(result: Any, noise_sigma: Any = None) -> FitQuality:
    """χ² and residual structure of a :class:`~arpes_sigma.FitResult`.

    Parameters
    ----------
    result : FitResult
        Uses ``intensity``, ``model_intensity`` (K, E) and ``window_mask`` (E,).
    noise_sigma : array (K, E), optional
        The measured noise per point (a prepared cut's ``noise_sigma``
        coordinate). Default: one level from second differences along energy.

    Returns
    -------
    FitQuality
    """
    data = np.asarray(result.intensity, dtype=float)
    return residual_quality(data - np.asarray(result.model_intensity, dtype=float), noise_sigma,
                            np.asarray(result.window_mask, dtype=bool), data=data)


def residual_quality(residual: Any, noise_sigma: Any, mask: Any, *, data: Any = None) -> FitQuality:
    """:class:`FitQuality` of a residual (K, E) against the noise (K, E) inside the energy ``mask`` (E,).

    Without ``noise_sigma`` one level is estimated from ``data`` (second differences along energy).
    """
    from ..io.noise import estimate_noise

    res = np.atleast_2d(np.asarray(residual, dtype=float))
    mask = np.asarray(mask, dtype=bool)
    if noise_sigma is None:
        sigma = np.full(res.shape, estimate_noise(res if data is None else data))
        noise = "one level from second differences"
    else:
        sigma = np.broadcast_to(np.asarray(noise_sigma, dtype=float), res.shape)
        noise = "per point (noise_sigma)"
    r = (res / sigma)[:, mask]
    chi2 = float(np.mean(r**2))
    a, b = r[:, :-1].ravel(), r[:, 1:].ravel()
    corr = float(np.corrcoef(a, b)[0, 1]) if a.size > 2 and np.std(a) > 0 and np.std(b) > 0 else 0.0
    ok = chi2 <= CHI2_MAX and corr <= CORRELATION_MAX
    if ok:
        message = (f"fit quality: chi2_red = {chi2:.2f} against the noise ({noise}), residual lag-1 correlation "
                   f"{corr:+.2f}")
    else:
        why = []
        if chi2 > CHI2_MAX:
            why.append(f"chi2_red = {chi2:.2f} against the measured noise (> {CHI2_MAX:g})")
        if corr > CORRELATION_MAX:
            why.append(f"residual structured along energy (lag-1 correlation {corr:+.2f} > {CORRELATION_MAX:g})")
        message = ("the fit does not describe the data: " + "; ".join(why)
                   + "; its Sigma11, W and pairing verdict are not to be read (widen the model or check the input)")
    return FitQuality(chi2_reduced=chi2, correlation=corr, noise=noise, describes_data=ok, message=message)
