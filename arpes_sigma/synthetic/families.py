"""Truths from outside the fitted model's family, written in plain NumPy (for the reference path).

Every truth here is causal and satisfies the bound on pairing, but none is a
sum of the fitted model's pieces:

``mfl_background``
    The marginal-Fermi-liquid normal self-energy with spectral density
    (Γ0 + α|x|)/π on [−Ω_c, Ω_c], in closed form:

        Σ(z) = (1/π) [Γ0 ln((z + Ω_c)/(z − Ω_c)) − α z ln((z² − Ω_c²)/z²)],

    (Varma et al., PRL 63, 1996 (1989); the fitted model's background is a
    smooth basis expansion, not this).
``continuum``
    A continuum of hidden fermions (Sakai, Civelli and Imada, PRL 116, 057003
    (2016)) whose energies E and pairing angles θ (ε_f = E cos θ, D = E sin θ)
    are spread: the Nambu residue at each energy is an average of rank-one
    matrices over θ, so it is *not* rank one and the Σ11 peak is only partly
    cancelled in Σ_tot. On top of the MFL background.
``mfl_eliashberg``
    The MFL normal part with a BCS-like, frequency-dependent gap
    W(ω) = Δ0 Ω_b² / (Ω_b² − (ω + iγ_b)²) — the form of an Eliashberg gap
    function with one bosonic mode at Ω_b (causal: its poles are at ±Ω_b − iγ_b).
``normal_dip``
    A normal state (W ≡ 0): the MFL background plus a pair of normal poles at
    ±E with hidden-fermion weights, which opens a dip that mimics a gap. A
    verdict must not report pairing here.

:func:`family_truth` builds them by name; :data:`FAMILIES` lists the defaults.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .reference import ReferenceTruth

__all__ = ["FAMILIES", "continuum", "family_truth", "mfl_background", "mfl_eliashberg", "normal_dip"]


def mfl_background(omega: np.ndarray, gamma0: float = 0.010, alpha: float = 0.30, omega_c: float = 0.5,
                   eta: float = 1e-4) -> np.ndarray:
    """The marginal-Fermi-liquid Σ(ω + iη) of the module docstring, complex, eV (Σ22 = −Σ(−ω)* = Σ here)."""
    z = np.asarray(omega, dtype=float) + 1j * eta
    return (gamma0 * np.log((z + omega_c) / (z - omega_c)) - alpha * z * np.log((z * z - omega_c**2) / (z * z))) / np.pi


def _hidden_fermions(z: np.ndarray, v2: np.ndarray, eps_f: np.ndarray, d: np.ndarray,
                     gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    zz = z[:, None] + 1j * gamma
    den = zz * zz - eps_f**2 - d**2
    s11 = np.sum(v2 * (zz + eps_f) / den, axis=1)
    s22 = np.sum(v2 * (zz - eps_f) / den, axis=1)
    w = np.sum(-v2 * d / den, axis=1)
    return s11, s22, w


def continuum(energy: float = 0.045, energy_spread: float = 0.006, angle: float = 1.1, angle_spread: float = 0.45,
              weight: float = 0.01, gamma: float = 0.008, n: int = 15) -> ReferenceTruth:
    """Hidden fermions with Gaussian-spread energies E (eV) and pairing angles θ (rad), total V² = ``weight`` eV².

    The (E, θ) distribution is sampled on an n × n Gauss–Hermite-like grid of
    equally weighted quantiles; its average residue is positive semidefinite
    but of rank two.
    """
    q = (np.arange(n) + 0.5) / n
    from scipy.special import ndtri

    g = ndtri(q)
    e_grid, th_grid = np.meshgrid(energy + energy_spread * g, angle + angle_spread * g, indexing="ij")
    eps_f, d = (e_grid * np.cos(th_grid)).ravel(), (e_grid * np.sin(th_grid)).ravel()
    v2 = np.full(eps_f.size, weight / eps_f.size)

    def sigma(omega: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s11, s22, w = _hidden_fermions(np.asarray(omega, float), v2, eps_f, d, gamma)
        bg = mfl_background(omega)
        return s11 + bg, s22 + bg, w

    return ReferenceTruth("continuum", sigma, True,
                          f"continuum of hidden fermions, E = {1e3 * energy:.0f}±{1e3 * energy_spread:.0f} meV, "
                          f"θ = {angle:.2f}±{angle_spread:.2f} rad, on an MFL background")


def mfl_eliashberg(gap: float = 0.025, mode: float = 0.05, damping: float = 0.04) -> ReferenceTruth:
    """MFL normal part with the Eliashberg-like gap function W(ω) = Δ0 Ω²/(Ω² − (ω + iγ)²) (eV)."""

    def sigma(omega: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = np.asarray(omega, float) + 1j * damping
        w = gap * mode**2 / (mode**2 - z * z)
        bg = mfl_background(omega)
        return bg, bg, w

    return ReferenceTruth("mfl_eliashberg", sigma, True,
                          f"MFL normal part, gap Δ0 = {1e3 * gap:.0f} meV with a mode at {1e3 * mode:.0f} meV")


def normal_dip(energy: float = 0.04, level: float = 0.015, weight: float = 0.008, gamma: float = 0.010
               ) -> ReferenceTruth:
    """A normal state: MFL background plus normal poles at ±E (hidden-fermion weights, no pairing), W ≡ 0."""
    d = np.sqrt(max(energy**2 - level**2, 0.0))

    def sigma(omega: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s11, s22, _ = _hidden_fermions(np.asarray(omega, float), np.array([weight]), np.array([level]),
                                       np.array([d]), gamma)
        bg = mfl_background(omega)
        return s11 + bg, s22 + bg, np.zeros_like(s11)

    return ReferenceTruth("normal_dip", sigma, False,
                          f"normal state: poles at ±{1e3 * energy:.0f} meV (a dip), MFL background, W = 0")


#: The default out-of-family truths by name.
FAMILIES = {"continuum": continuum, "mfl_eliashberg": mfl_eliashberg, "normal_dip": normal_dip}


def family_truth(name: str) -> ReferenceTruth:
    """The default truth of family ``name`` (a key of :data:`FAMILIES`)."""
    if name not in FAMILIES:
        raise ConfigError(f"unknown truth family {name!r}; use one of {sorted(FAMILIES)}")
    return FAMILIES[name]()
