"""Thermal averages and error analysis on bare numpy arrays.

* :func:`canonical_averages` — energy, specific heat and diagonal observables
  from a list of many-body eigenvalues (exact diagonalisation).
* :func:`weighted_thermal_estimates` — energy and specific heat from the
  columns of an exactly contracted purified state (a trace over the ancillas).
* :func:`integrated_autocorrelation_time` / :func:`chain_blocks` /
  :func:`jackknife` — Monte Carlo error bars that account for the
  autocorrelation of Markov chains.

Specific heat is always the fluctuation formula, per site,

    C(T) = (⟨H²⟩ − ⟨H⟩²) / (N T²),   k_B = 1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import logsumexp

__all__ = [
    "canonical_averages",
    "weighted_thermal_estimates",
    "integrated_autocorrelation_time",
    "chain_blocks",
    "jackknife",
    "energy_and_heat",
]


def canonical_averages(
    eigenvalues: np.ndarray,
    temperatures: np.ndarray,
    n_sites: int,
    diagonal_observables: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Canonical averages from the full many-body spectrum.

    Parameters
    ----------
    eigenvalues : array_like, shape (D,)
        All eigenvalues of H (with multiplicity), energy units.
    temperatures : array_like, shape (T,)
        Temperatures > 0 (k_B = 1).
    n_sites : int
        Number of spins N (results are per site).
    diagonal_observables : dict[str, array_like of shape (D,)], optional
        ⟨n|O|n⟩ in the eigenbasis; their thermal averages are returned as is
        (not divided by N).

    Returns
    -------
    dict
        ``energy`` (per site, shape (T,)), ``specific_heat`` (per site,
        shape (T,)), ``free_energy`` (per site) and one entry per diagonal
        observable.
    """
    e = np.asarray(eigenvalues, dtype=np.float64).ravel()
    t = np.atleast_1d(np.asarray(temperatures, dtype=np.float64))
    beta = 1.0 / t
    e0 = e.min()
    logw = -beta[:, None] * (e - e0)[None, :]  # (T, D)
    logz = logsumexp(logw, axis=1)
    p = np.exp(logw - logz[:, None])
    de = e - e0
    mean = p @ de
    var = p @ (de**2) - mean**2
    out = {
        "energy": (mean + e0) / n_sites,
        "specific_heat": np.maximum(var, 0.0) * beta**2 / n_sites,
        "free_energy": (e0 - t * logz) / n_sites,
    }
    for name, values in (diagonal_observables or {}).items():
        out[name] = p @ np.asarray(values, dtype=np.float64).ravel()
    return out


def jackknife(estimator: Callable[[np.ndarray], float], samples: np.ndarray) -> tuple[float, float]:
    """Delete-one jackknife of a function of sample means.

    Parameters
    ----------
    estimator : callable
        Maps the mean over samples, shape (...), to a scalar (e.g.
        ``lambda m: m[1] - m[0] ** 2``).
    samples : numpy.ndarray, shape (n, ...)
        n independent (e.g. block-averaged) samples, n ≥ 2.

    Returns
    -------
    value, error : float
        The estimate from all samples and its jackknife standard error
        (NaN error for n < 2).
    """
    samples = np.asarray(samples, dtype=np.float64)
    n = samples.shape[0]
    full = float(estimator(samples.mean(axis=0)))
    if n < 2:
        return full, float("nan")
    loo_means = (samples.sum(axis=0)[None] - samples) / (n - 1)
    loo = np.array([estimator(m) for m in loo_means])
    return full, float(np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2)))


def integrated_autocorrelation_time(series: np.ndarray, window_factor: float = 5.0) -> float:
    """Integrated autocorrelation time of a Markov-chain series, in units of its steps.

    τ_int = ½ + Σ_{t=1}^{W} ρ(t), with ρ the autocorrelation function averaged
    over chains and W the smallest window with W ≥ c τ_int(W) (Sokal's
    automatic windowing, c = ``window_factor``). An uncorrelated series has
    τ_int = ½, and the variance of its mean is 2 τ_int σ²/S.

    Parameters
    ----------
    series : numpy.ndarray, shape (S,) or (S, K)
        S steps of K independent chains.
    window_factor : float

    Returns
    -------
    float
        τ_int ≥ ½ (½ for a constant series).
    """
    x = np.asarray(series, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    s = x.shape[0]
    x = x - x.mean(axis=0)
    var = np.mean(x * x)
    if s < 4 or var == 0:
        return 0.5
    f = np.fft.rfft(x, n=2 * s, axis=0)
    acf = np.fft.irfft(f * np.conj(f), axis=0)[:s].mean(axis=1) / (np.arange(s, 0, -1) * var)
    tau = 0.5
    for w in range(1, s):
        tau += acf[w]
        if w >= window_factor * tau:
            break
    return float(max(tau, 0.5))


def chain_blocks(series: np.ndarray, tau_int: float, min_blocks: int = 8) -> np.ndarray:
    """Average each chain over consecutive blocks much longer than the autocorrelation time.

    Blocks are at least 4 τ_int long (so block means are nearly independent)
    and each chain gives at least ``min_blocks`` blocks when it is long enough.

    Parameters
    ----------
    series : numpy.ndarray, shape (S, K, ...)
        S steps of K chains; trailing axes are different measured quantities.
    tau_int : float
    min_blocks : int

    Returns
    -------
    numpy.ndarray
        Shape (n_blocks · K, ...): every (block, chain) mean, treated as independent.
    """
    x = np.asarray(series, dtype=np.float64)
    s = x.shape[0]
    length = max(1, int(np.ceil(4 * tau_int)))
    n_blocks = max(1, min(s // length, max(min_blocks, s // length)))
    size = s // n_blocks
    x = x[: size * n_blocks]
    b = x.reshape(n_blocks, size, *x.shape[1:]).mean(axis=1)
    return b.reshape(n_blocks * x.shape[1], *x.shape[2:])


def energy_and_heat(
    energy: np.ndarray, energy_sq: np.ndarray, beta: float, n_sites: int
) -> dict[str, float]:
    """E and C per site, with autocorrelation-aware errors, from Markov-chain series.

    Parameters
    ----------
    energy, energy_sq : numpy.ndarray, shape (S, K)
        Per-step estimates of H and of H² (unbiased: ⟨energy_sq⟩ = ⟨H²⟩) for
        K chains.
    beta : float
    n_sites : int

    Returns
    -------
    dict
        ``energy``, ``energy_err``, ``specific_heat``, ``specific_heat_err``
        (per site; C = β²(⟨H²⟩ − ⟨H⟩²)/N) and ``tau_int`` (of the energy
        series, in steps). Errors are jackknife errors over blocks at least
        4 τ_int long.
    """
    tau = max(integrated_autocorrelation_time(energy), integrated_autocorrelation_time(energy_sq))
    blocks = chain_blocks(np.stack([energy, energy_sq], axis=-1), tau)
    e, de = jackknife(lambda m: m[0] / n_sites, blocks)
    c, dc = jackknife(lambda m: (m[1] - m[0] ** 2) * beta**2 / n_sites, blocks)
    return {"energy": e, "energy_err": de, "specific_heat": c, "specific_heat_err": dc, "tau_int": tau}


def weighted_thermal_estimates(
    log_norm2: np.ndarray, energy: np.ndarray, h2: np.ndarray, beta: float, n_sites: int
) -> tuple[float, float]:
    """Energy and specific heat per site from weighted columns of a purified state.

    Each column c (one ancilla configuration) carries a squared norm
    ``exp(log_norm2[c])`` = ⟨ψ_c|ψ_c⟩ and the normalised expectations ⟨H⟩_c
    and ⟨H²⟩_c, so that ⟨H^k⟩ = Σ_c w_c ⟨H^k⟩_c / Σ_c w_c (a trace over the ancilla).

    Parameters
    ----------
    log_norm2, energy, h2 : array_like, shape (R,)
        ln ⟨ψ_c|ψ_c⟩, ⟨H⟩_c and ⟨H²⟩_c (total, not per site).
    beta : float
        Inverse temperature.
    n_sites : int

    Returns
    -------
    energy, specific_heat : float
        Per site.
    """
    ln = np.asarray(log_norm2, dtype=np.float64)
    w = np.exp(ln - ln.max())
    w = w / w.sum()
    e = float(w @ np.asarray(energy, dtype=np.float64))
    q = float(w @ np.asarray(h2, dtype=np.float64))
    return e / n_sites, (q - e * e) * beta**2 / n_sites
