"""Thermal averages and error analysis on bare numpy arrays.

* :func:`canonical_averages` — energy, specific heat and diagonal observables
  from a list of many-body eigenvalues (exact diagonalisation).
* :func:`weighted_thermal_estimates` — energy and specific heat from columns of
  a purified state with log-weights (exact summation over ancilla
  configurations, or stochastic probe vectors), with jackknife errors.
* :func:`blocking_mean` / :func:`jackknife` — Monte Carlo error bars.

Specific heat is always the fluctuation formula, per site,

    C(T) = (⟨H²⟩ − ⟨H⟩²) / (N T²),   k_B = 1.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

__all__ = [
    "canonical_averages",
    "weighted_thermal_estimates",
    "blocking_mean",
    "jackknife",
]


def canonical_averages(eigenvalues, temperatures, n_sites, diagonal_observables=None):
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


def jackknife(estimator, samples):
    """Delete-one jackknife of a (possibly nonlinear) estimator.

    Parameters
    ----------
    estimator : callable
        Maps an array of shape (n, ...) to a scalar.
    samples : numpy.ndarray, shape (n, ...)
        n independent (e.g. block-averaged) samples, n ≥ 2.

    Returns
    -------
    value, error : float
        The estimate on all samples and its jackknife standard error.
    """
    samples = np.asarray(samples)
    n = samples.shape[0]
    full = float(estimator(samples))
    if n < 2:
        return full, float("nan")
    loo = np.array([estimator(np.delete(samples, i, axis=0)) for i in range(n)])
    err = np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2))
    return full, float(err)


def blocking_mean(series, n_blocks=16):
    """Mean and error bar of a correlated Monte Carlo series by blocking.

    Parameters
    ----------
    series : array_like, shape (S,) or (S, K)
        Measurements in Monte Carlo time order (S sweeps; K independent chains
        are pooled after blocking).
    n_blocks : int
        Number of blocks per chain (blocks must be longer than the
        autocorrelation time for the error to be honest).

    Returns
    -------
    mean, error : float
    """
    x = np.asarray(series, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    blocks = block_averages(x, n_blocks)
    return float(blocks.mean()), float(blocks.std(ddof=1) / np.sqrt(blocks.size))


def block_averages(x, n_blocks):
    """Average a (S, K, ...) series over ``n_blocks`` consecutive blocks per chain.

    Returns
    -------
    numpy.ndarray
        Shape (n_blocks * K, ...): every (block, chain) average, treated as
        independent samples.
    """
    x = np.asarray(x, dtype=np.float64)
    s = x.shape[0]
    n_blocks = max(1, min(n_blocks, s))
    size = s // n_blocks
    x = x[: size * n_blocks]
    b = x.reshape(n_blocks, size, *x.shape[1:]).mean(axis=1)
    return b.reshape(n_blocks * np.prod(x.shape[1:2], dtype=int), *x.shape[2:])


def weighted_thermal_estimates(log_norm2, energy, h2, beta, n_sites, n_groups=16):
    """Energy and specific heat from weighted columns of a purified state.

    Each column c (one ancilla configuration, or one random probe of the
    ancilla) carries a squared norm ``exp(log_norm2[c])`` = ⟨ψ_c|ψ_c⟩ and the
    normalised expectations ⟨H⟩_c and ⟨H²⟩_c, so that

        ⟨H⟩ = Σ_c w_c ⟨H⟩_c / Σ_c w_c,    ⟨H²⟩ = Σ_c w_c ⟨H²⟩_c / Σ_c w_c.

    Parameters
    ----------
    log_norm2, energy, h2 : array_like, shape (R,)
        ln ⟨ψ_c|ψ_c⟩, ⟨ψ_c|H|ψ_c⟩/⟨ψ_c|ψ_c⟩ and ⟨ψ_c|H²|ψ_c⟩/⟨ψ_c|ψ_c⟩ (total, not per site).
    beta : float
        Inverse temperature.
    n_sites : int
    n_groups : int or None
        When given (stochastic probes), the R columns are split in this many
        groups and a jackknife error is returned; None for exact sums (error 0).

    Returns
    -------
    energy, energy_err, specific_heat, specific_heat_err : float
        Per site.
    """
    ln = np.asarray(log_norm2, dtype=np.float64)
    w = np.exp(ln - ln.max())
    e = np.asarray(energy, dtype=np.float64)
    q = np.asarray(h2, dtype=np.float64)
    cols = np.stack([w, w * e, w * q], axis=1)

    def est_e(c):
        s = c.sum(axis=0)
        return s[1] / s[0] / n_sites

    def est_c(c):
        s = c.sum(axis=0)
        m = s[1] / s[0]
        return (s[2] / s[0] - m * m) * beta**2 / n_sites

    if n_groups is None or len(ln) < 2:
        return float(est_e(cols)), 0.0, float(est_c(cols)), 0.0
    g = min(n_groups, len(ln))
    size = len(ln) // g
    grouped = cols[: g * size].reshape(g, size, 3).sum(axis=1)
    ev, ee = jackknife(est_e, grouped)
    cv, ce = jackknife(est_c, grouped)
    # use all columns for the central value
    return float(est_e(cols)), ee, float(est_c(cols)), ce
