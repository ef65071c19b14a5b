"""Noise level of a measured spectrum, estimated from the data themselves."""

from __future__ import annotations

import numpy as np

__all__ = ["estimate_noise"]


def estimate_noise(intensity: np.ndarray) -> float:
    """Robust noise level of a (K, E) intensity from second differences along energy.

    For white noise of standard deviation σ the second difference
    I[i+1] − 2I[i] + I[i−1] has standard deviation √6 σ; the median absolute
    deviation (×1.4826) makes the estimate insensitive to the smooth signal
    and to outliers.

    Parameters
    ----------
    intensity : array, shape (K, E) or (E,)

    Returns
    -------
    float
        σ in intensity units.
    """
    x = np.atleast_2d(np.asarray(intensity, dtype=float))
    d2 = x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]
    mad = np.median(np.abs(d2 - np.median(d2)))
    sigma = 1.4826 * mad / np.sqrt(6.0)
    if not sigma > 0:
        sigma = 1e-3 * float(np.abs(x).max() or 1.0)
    return float(sigma)
