"""Noise level of a measured spectrum, estimated from the data themselves."""

from __future__ import annotations

import numpy as np

__all__ = ["effective_gain", "estimate_noise", "gain_noise"]


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


#: Median of the χ² distribution with one degree of freedom.
_CHI2_1_MEDIAN = 0.454936


def effective_gain(intensity: np.ndarray) -> float:
    """Effective gain g of intensities whose variance is g·I, from second differences along energy (last axis).

    For independent noise of variance g·I the second difference
    d = I[i+1] − 2 I[i] + I[i−1] has variance g (I[i+1] + 4 I[i] + I[i−1]).
    The median of d² / (I[i+1] + 4 I[i] + I[i−1]) over all points, divided by
    the median of χ²₁ (0.4549), estimates g; the median makes it insensitive
    to the few points where the spectrum itself curves (peaks, the Fermi edge)
    and to outliers. Raw counts give g = 1; an SES export whose intensities
    are scaled counts gives g > 1 (about 6 has been seen).

    Parameters
    ----------
    intensity : array, shape (..., E)
        Unbinned, unsmoothed intensities as read (binning would not change g,
        smoothing would).

    Returns
    -------
    float
        g in intensity units (> 0).
    """
    x = np.asarray(intensity, dtype=float)
    x = x.reshape(-1, x.shape[-1])
    d2 = x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]
    w = x[:, 2:] + 4 * x[:, 1:-1] + x[:, :-2]
    ok = w > 0
    if ok.sum() < 20:
        return float("nan")
    g = float(np.median(d2[ok] ** 2 / w[ok]) / _CHI2_1_MEDIAN)
    return g if g > 0 else float("nan")


def gain_noise(intensity: np.ndarray, gain: float, *, smooth: int = 5) -> np.ndarray:
    """Per-point noise σ = √(g · Ī) of a (K, E) intensity; Ī is a running mean over ``smooth`` energies.

    Using the smoothed intensity (not the measured one) keeps a low
    fluctuation from getting a small σ and pulling the fit down; Ī is floored
    at g (one count) so that empty points keep a finite σ.
    """
    x = np.atleast_2d(np.asarray(intensity, dtype=float))
    kernel = np.ones(smooth) / smooth
    pad = smooth // 2
    xp = np.pad(x, ((0, 0), (pad, pad)), mode="edge")
    mean = np.stack([np.convolve(row, kernel, mode="valid") for row in xp])
    return np.sqrt(gain * np.maximum(mean, gain))
