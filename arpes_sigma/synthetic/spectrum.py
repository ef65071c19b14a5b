"""Synthetic ARPES spectra with a known truth, for tests, docs and teaching.

The truth is a two-component ("hidden fermion") Nambu self-energy
(Sakai, Civelli and Imada, PRL 116, 057003 (2016)): one or more hidden fermions
(level ε_f, pairing D, hybridisation V, width γ), a static gap Δ0, and a causal
normal background whose spectral density is marginal-Fermi-liquid-like,

    −Im Σ_bg(ω)/π ≈ (Γ0 + α|ω|)/π   for |ω| < Ω_c,

built as a finely discretised Cauchy integral (so it is causal by
construction, and *not* of the same form as the fitted model's background).

The spectrum goes through the one forward model (:func:`arpes_sigma.physics.observed`):

    I(k, ω) = a_k · [A(k, ·) f(·, T)] ⊛ Gauss(FWHM) (ω) + b_k + noise.
"""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr
from jax.typing import ArrayLike

from ..errors import ConfigError
from ..physics import background_sigma, hidden_fermion_sigma, model_grid, observed, sigma_total, spectral_function

__all__ = ["TRUTHS", "Truth", "default_spectrum", "make_spectrum", "truth_self_energy", "truth_sigma"]


@dataclasses.dataclass(frozen=True)
class Truth:
    """Parameters of a hidden-fermion self-energy (energies in eV).

    Each of ``v``, ``eps_f``, ``d``, ``gamma`` is a tuple with one entry per
    hidden fermion. ``static_gap`` is Δ0; ``gamma0``, ``alpha`` and
    ``omega_c`` shape the normal background (Γ0 + α|ω| up to Ω_c, eV and
    dimensionless).
    """

    v: tuple = (0.10,)
    eps_f: tuple = (0.02,)
    d: tuple = (0.045,)
    gamma: tuple = (0.008,)
    static_gap: float = 0.010
    gamma0: float = 0.010
    alpha: float = 0.30
    omega_c: float = 0.5

    def __post_init__(self) -> None:
        n = len(self.v)
        if not (len(self.eps_f) == len(self.d) == len(self.gamma) == n):
            raise ConfigError("v, eps_f, d and gamma need one entry per hidden fermion; give tuples of equal length")
        if any(g <= 0 for g in self.gamma) or self.gamma0 < 0 or self.alpha < 0:
            raise ConfigError("widths gamma must be > 0 and gamma0, alpha >= 0 (causality); fix the Truth parameters")

    def pole_energies(self) -> np.ndarray:
        """E_l = √(ε_f² + D²) of each hidden fermion, eV (poles at ±E_l)."""
        return np.hypot(np.asarray(self.eps_f), np.asarray(self.d))


#: Two reference truths used by tests and the docs (different pole energy,
#: coupling and gap).
TRUTHS = {
    "bi2212_like": Truth(),
    "deep_pole": Truth(v=(0.12,), eps_f=(0.03,), d=(0.065,), gamma=(0.012,), static_gap=0.015, gamma0=0.015, alpha=0.2),
}


#: Nodes and Lorentzian smoothing (eV) of the discretised marginal-Fermi-liquid
#: background: 401 nodes on [−Ω_c, Ω_c] are 2.5 meV apart for Ω_c = 0.5 eV,
#: finer than the 4 meV Lorentzian that smooths them, so the ripple of Σ_bg is
#: of relative size exp(−2π·4/2.5) ≈ 4e-5 (Poisson summation).
BG_NODES, BG_SMOOTHING = 401, 0.004


def truth_sigma(
    omega: ArrayLike, v: ArrayLike, eps_f: ArrayLike, d: ArrayLike, gamma: ArrayLike, static_gap: ArrayLike,
    gamma0: ArrayLike, alpha: ArrayLike, omega_c: ArrayLike, coherence: ArrayLike = 1.0,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Σ11, Σ22, W (complex, eV) of hidden fermions + static gap + MFL-like background; pure ``jax.numpy``.

    The background is ρ(x) = (Γ0 + α|x|)/π on [−Ω_c, Ω_c], turned into a causal
    Σ_bg by a Lorentzian-smoothed Cauchy sum (:func:`arpes_sigma.physics.background_sigma`).
    Every argument may be traced (jit/vmap friendly); the Playground calls it
    on every slider tick.

    Parameters
    ----------
    omega : (E,) eV
    v, eps_f, d, gamma : (L,) eV — hidden fermions (γ > 0)
    static_gap, gamma0, omega_c : eV;  alpha : dimensionless
    coherence : (L,) or scalar, in [−1, 1]
        Pairing coherence of each hidden fermion (1: rank-one residues, exact
        cancellation; 0: no pairing from the hidden fermions, W = Δ0); see
        :func:`arpes_sigma.physics.hidden_fermion_sigma`.
    """
    p11, p22, pw = hidden_fermion_sigma(omega, v, eps_f, d, gamma, coherence)
    x = omega_c * jnp.linspace(-1.0, 1.0, BG_NODES)
    rho = (gamma0 + alpha * jnp.abs(x)) / jnp.pi * (x[1] - x[0])
    b11, b22 = background_sigma(omega, x, rho, jnp.full_like(x, BG_SMOOTHING))
    return p11 + b11, p22 + b22, pw + static_gap


def _truth_args(truth: Truth):
    poles = (truth.v, truth.eps_f, truth.d, truth.gamma)
    arrays = [jnp.asarray(np.asarray(a, dtype=float), dtype=jnp.float32) for a in poles]
    return (*arrays, truth.static_gap, truth.gamma0, truth.alpha, truth.omega_c)


def truth_self_energy(omega: ArrayLike, truth: Truth) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Σ11(ω), Σ22(ω), W(ω) of a :class:`Truth`, complex arrays in eV.

    Parameters
    ----------
    omega : array, shape (E,), eV
    truth : Truth
    """
    return _truth_sigma_jit(jnp.asarray(omega), *_truth_args(truth))


_truth_sigma_jit = jax.jit(truth_sigma)


@jax.jit
def _observed_jit(grid, e, eps, temperature, resolution, *args):
    s11, s22, w = truth_sigma(grid, *args)
    return observed(grid, e, eps, s11, s22, w, temperature, resolution)


def _observed(truth, grid, e, eps, temperature, resolution):
    """[A f] ⊛ Gauss on the measured energies, one jitted call (shapes fixed by the inputs)."""
    return _observed_jit(grid, e, eps, temperature, resolution, *_truth_args(truth))


def make_spectrum(
    truth: Truth | str = "bi2212_like",
    *,
    eps_k: ArrayLike | None = None,
    energies: ArrayLike | None = None,
    temperature: float = 20.0,
    resolution: float = 0.010,
    noise: float = 0.02,
    amplitude_spread: float = 0.2,
    background: float = 0.03,
    seed: int = 0,
) -> tuple[xr.DataArray, xr.Dataset]:
    """Build a synthetic ARPES cut I(k, ω) and its exact truth.

    Parameters
    ----------
    truth : Truth or str
        The self-energy, or a key of :data:`TRUTHS`.
    eps_k : array, eV, optional
        Bare band energies of the EDCs; default 11 values from −0.20 to +0.05 eV
        (crossing k_F).
    energies : array, eV, optional
        Measured energies; default −0.30 … +0.04 eV in 2 meV steps (171 points).
    temperature : float, K
    resolution : float, eV
        Gaussian FWHM.
    noise : float
        Gaussian noise standard deviation as a fraction of the maximum
        noise-free intensity.
    amplitude_spread : float
        a_k is drawn uniformly from 1 ± amplitude_spread.
    background : float
        b_k is drawn uniformly from [0.5, 1.5] × background × max intensity.
    seed : int
        Seed of the numpy random generator (amplitudes, backgrounds, noise).

    Returns
    -------
    intensity : xarray.DataArray, dims (k, eV)
        With coordinate ``eps_k`` and attrs ``sample_temp`` (K),
        ``energy_resolution`` (eV), ``noise_sigma`` (absolute), as
        :func:`arpes_sigma.validate` expects.
    truth : xarray.Dataset
        ``re/im_sigma_normal``, ``re/im_sigma_anomalous``, ``re/im_sigma_total``
        (k, eV), ``spectral_function`` (k, eV), ``clean_intensity`` (k, eV),
        and the Truth as JSON in ``attrs["truth"]``.
    """
    if isinstance(truth, str):
        if truth not in TRUTHS:
            raise ConfigError(f"unknown truth {truth!r}; use one of {sorted(TRUTHS)} or a Truth(...)")
        truth = TRUTHS[truth]
    eps = np.linspace(-0.20, 0.05, 11) if eps_k is None else np.asarray(eps_k, dtype=float).ravel()
    e = np.arange(-0.30, 0.0401, 0.002) if energies is None else np.asarray(energies, dtype=float)
    if temperature <= 0 or resolution < 0 or noise < 0:
        raise ConfigError("temperature must be > 0 K and resolution, noise >= 0; fix the arguments")
    rng = np.random.default_rng(seed)

    grid = model_grid(e, max(resolution, 1e-3), step=0.0005)
    clean = np.asarray(_observed(truth, grid, e, eps, temperature, resolution), dtype=float)
    scale = clean.max()
    amp = 1.0 + amplitude_spread * rng.uniform(-1, 1, size=len(eps))
    back = background * scale * rng.uniform(0.5, 1.5, size=len(eps))
    clean = amp[:, None] * clean + back[:, None]
    sigma_noise = noise * clean.max()
    data = clean + sigma_noise * rng.standard_normal(clean.shape)

    k = eps / 2.0  # k − k_F in 1/Å for a linear band with v_F = 2 eV·Å
    coords = {"k": ("k", k, {"units": "1/Angstrom", "long_name": "k - k_F"}), "eV": ("eV", e, {"units": "eV"}),
              "eps_k": ("k", eps, {"units": "eV", "long_name": "bare band energy"})}
    intensity = xr.DataArray(
        data,
        dims=("k", "eV"),
        coords=coords,
        name="intensity",
        attrs={
            "sample_temp": float(temperature),
            "energy_resolution": float(resolution),
            "noise_sigma": float(sigma_noise),
            "source": "arpes_sigma.synthetic.make_spectrum",
        },
    )

    t11, t22, tw = (np.asarray(x) for x in truth_self_energy(e, truth))
    stot = np.asarray(sigma_total(e, eps[:, None], t11, t22, tw))
    a_e = np.asarray(spectral_function(e, eps[:, None], t11, t22, tw))
    truth_ds = xr.Dataset(
        {
            "re_sigma_normal": ("eV", t11.real),
            "im_sigma_normal": ("eV", t11.imag),
            "re_sigma_anomalous": ("eV", tw.real),
            "im_sigma_anomalous": ("eV", tw.imag),
            "re_sigma_total": (("k", "eV"), stot.real),
            "im_sigma_total": (("k", "eV"), stot.imag),
            "spectral_function": (("k", "eV"), a_e),
            "clean_intensity": (("k", "eV"), clean),
            "amplitude": ("k", amp),
            "background": ("k", back),
        },
        coords={name: intensity.coords[name] for name in ("k", "eV", "eps_k")},
        attrs={"truth": json.dumps(dataclasses.asdict(truth)), "noise_sigma": float(sigma_noise)},
    )
    return intensity, truth_ds


def default_spectrum() -> tuple[xr.DataArray, xr.Dataset]:
    """The built-in spectrum used by ``arpes-sigma demo`` (and its truth).

    11 EDCs × 171 energies, 20 K, 10 meV resolution, 2 % noise, seed 0.
    """
    return make_spectrum("bi2212_like", seed=0)
