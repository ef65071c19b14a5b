"""Everything the Playground draws, for one set of hidden-fermion parameters (one jitted function).

One hidden fermion (hybridisation V, level ε_f, pairing D, width γ, pairing
coherence c; Sakai, Civelli and Imada, PRL 116, 057003 (2016)), a static gap Δ0 and the
marginal-Fermi-liquid-like background of :func:`arpes_sigma.synthetic.spectrum.truth_sigma`
give Σ11, Σ22 and W; the spectrum goes through the one forward model
:func:`arpes_sigma.physics.observed`. The function has fixed shapes per
energy grid, so every slider tick reuses one compiled program.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from ..physics import anomalous_term, model_grid, observed, sigma_total, spectral_function
from .spectrum import truth_sigma

__all__ = ["PARAMETER_NAMES", "playground_curves", "trace_count"]

#: The parameter vector's entries, in order: energies in eV, temperature in K,
#: Ω_c of the background in eV; ``eps_k`` picks the EDC of the line panels;
#: ``coherence`` (dimensionless, in [0, 1]) scales the hidden fermion's
#: off-diagonal residue: 1 is one hidden fermion (exact cancellation), c < 1
#: hidden fermions at the same energy with spread pairing angles, 0 no pairing.
PARAMETER_NAMES = ("V", "eps_f", "D", "static_gap", "gamma", "gamma0", "alpha", "temperature", "resolution",
                   "eps_k", "omega_c", "coherence")

_TRACES = [0]


def _curves(p: jax.Array, omega: jax.Array, grid: jax.Array, eps: jax.Array) -> dict[str, jax.Array]:
    _TRACES[0] += 1  # runs only while tracing: counts compilations
    v, ef, d, gap, gam, g0, alpha, temp, res, eps_sel, omega_c, coh = (p[i] for i in range(len(PARAMETER_NAMES)))

    def sigma(x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        return truth_sigma(x, v[None], ef[None], d[None], gam[None], gap, g0, alpha, omega_c, coh[None])

    s11g, s22g, wg = sigma(grid)
    image = observed(grid, omega, eps, s11g, s22g, wg, temp, res)
    edc = observed(grid, omega, eps_sel[None], s11g, s22g, wg, temp, res)[0]
    s11, s22, w = sigma(omega)
    return {
        "image": image,
        "edc": edc,
        "a_sel": spectral_function(omega, eps_sel, s11, s22, w),
        "s11": s11,
        "s22": s22,
        "w": w,
        "total": sigma_total(omega, eps_sel, s11, s22, w),
        "anomalous": anomalous_term(omega, eps_sel, s22, w),
    }


_curves_jit = jax.jit(_curves)


def trace_count() -> int:
    """How many times the Playground's function has been compiled in this process."""
    return _TRACES[0]


def playground_curves(values: dict, omega: Any, eps_k: Any, *, max_resolution: float = 0.05) -> dict[str, np.ndarray]:
    """Everything the Playground draws, for one set of parameter values (numpy arrays).

    Parameters
    ----------
    values : dict
        One value per name of :data:`PARAMETER_NAMES` (eV, K); ``omega_c``
        defaults to 0.5 eV and ``coherence`` to 1.
    omega : (E,) array, eV
        Uniform energies of the curves and of the image columns.
    eps_k : (K,) array, eV
        Bare band energies of the image rows.
    max_resolution : float, eV
        The model grid is padded for resolutions up to this FWHM (a fixed
        shape, so a resolution slider never recompiles).

    Returns
    -------
    dict of numpy arrays
        ``image`` (K, E) observed intensity [A f] ⊛ Gauss; ``edc`` and
        ``a_sel`` (E,) observed intensity and A(k, ω) at ``values["eps_k"]``;
        ``s11``, ``s22``, ``w`` (E,) complex; ``total`` Σ_tot and
        ``anomalous`` W²/(ω+ε_k−Σ22) at ``values["eps_k"]``, (E,) complex.
    """
    omega = np.asarray(omega, dtype=float)
    grid = model_grid(omega, max_resolution, step=float(np.median(np.diff(omega))))
    full = {"omega_c": 0.5, "coherence": 1.0, **values}
    p = np.array([full[name] for name in PARAMETER_NAMES], dtype=np.float32)
    args = (p, omega.astype(np.float32), grid.astype(np.float32), np.asarray(eps_k, dtype=np.float32))
    out = jax.device_get(_curves_jit(*args))
    return {k: np.asarray(v) for k, v in out.items()}
