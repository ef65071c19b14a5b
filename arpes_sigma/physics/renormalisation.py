"""The band as the spectrum fixes it: the bare band renormalised by Σ11 at the Fermi level.

Near E_F a normal self-energy is Σ11(ω) ≈ Re Σ11(0) + ω ∂Re Σ11/∂ω|₀ − i Im…,
so the pole of G11 = 1/(ω − ε_k − Σ11) sits at

    E*_k = Z (ε_k + Re Σ11(0)),   Z = 1 / (1 − ∂Re Σ11/∂ω|_{ω=0}),

the renormalised (quasiparticle) dispersion whose velocity is Z times the bare
one (see e.g. Damascelli, Hussain and Shen, Rev. Mod. Phys. 75, 473
(2003)). A constant shift of ε_k is
undone by the same shift of Re Σ11 and a change of the bare velocity by a
change of Z (with the amplitude, which the fit's per-EDC scale absorbs), so a
fit that learns ε_k jointly with Σ11 leaves ε_k open along those two
directions while E*_k stays fixed: E*_k is the band a spectrum determines.
It ignores W: in the superconducting state it is the normal-state dispersion
that Σ11 alone would give, not the Bogoliubov one.

Works on NumPy and JAX arrays alike (the array namespace of ``sigma11``), so the
same formula gives the reported value and, inside the Laplace programs, its
error by linearisation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["quasiparticle_band"]


def quasiparticle_band(omega: Any, eps_k: Any, sigma11: Any) -> tuple[Any, Any]:
    """E*_k = Z (ε_k + Re Σ11(0)) and Z = 1/(1 − ∂Re Σ11/∂ω at ω = 0).

    Parameters
    ----------
    omega : array, shape (E,)
        Increasing energies (eV) that bracket ω = 0.
    eps_k : array, shape (K,)
        Bare band (eV).
    sigma11 : array, shape (E,)
        Complex normal self-energy on ``omega`` (eV).

    Returns
    -------
    band : array, shape (K,)
        E*_k, eV.
    z : array, scalar
        The quasiparticle weight Z (dimensionless), from the slope of Re Σ11
        between the grid points on either side of ω = 0 (linear interpolation
        of the slopes at the interval mid-points).
    """
    xp = sigma11.__array_namespace__() if hasattr(sigma11, "__array_namespace__") else np
    re = xp.real(sigma11)
    mid = 0.5 * (omega[1:] + omega[:-1])
    slope = xp.interp(0.0, mid, (re[1:] - re[:-1]) / (omega[1:] - omega[:-1]))
    z = 1.0 / (1.0 - slope)
    return z * (eps_k + xp.interp(0.0, omega, re)), z
