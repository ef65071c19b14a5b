"""An independent forward code path in plain NumPy, for truths the fit was not built from.

The fit's forward model (:func:`arpes_sigma.physics.observed`: JAX, float32, a
model grid of ≥ 1 meV, a softmax-normalised Gaussian on a stencil) is tested
against spectra made here with none of that code:

* the self-energies come as complex arrays on a fine uniform grid (0.25 meV by
  default), from any causal family (:mod:`arpes_sigma.synthetic.families`);
* the Nambu Green's function is written out again, in float64:
  G11 = (ω + ε − Σ22) / [(ω − ε − Σ11)(ω + ε − Σ22) − W²];
* the resolution is a direct discrete convolution with a sampled Gaussian
  (``numpy.convolve``), then linear interpolation onto the measured energies;
* amplitudes, backgrounds and Gaussian noise are drawn with NumPy.

So a fit that recovers these truths does so through the physics, not because
it shares a discretisation or a formula slip with the generator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import xarray as xr

from ..errors import ConfigError

__all__ = ["K_B_EV", "ReferenceTruth", "reference_spectrum"]

#: Boltzmann constant in eV/K (CODATA 2018, exact); repeated here on purpose (independent path).
K_B_EV = 8.617333262e-5

#: Σ11, Σ22, W on an energy grid (eV): a callable ω (N,) -> three complex (N,) arrays.
SelfEnergies = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class ReferenceTruth:
    """A truth for the reference path: its self-energies and a name.

    Attributes
    ----------
    name : str
    sigma : callable
        ω (eV, (N,)) -> (Σ11, Σ22, W), complex (N,) arrays in eV; causal and
        with a positive-semidefinite Nambu spectral matrix (checked by
        :func:`reference_spectrum`).
    paired : bool
        Whether W is non-zero (what a verdict should find).
    description : str
    """

    name: str
    sigma: SelfEnergies
    paired: bool
    description: str = ""


def _check_physical(name: str, s11: np.ndarray, s22: np.ndarray, w: np.ndarray) -> None:
    scale = np.abs(s11) + np.abs(s22) + np.abs(w)
    if np.any(s11.imag > 1e-12 * scale) or np.any(s22.imag > 1e-12 * scale):
        raise ConfigError(f"truth {name!r} is not causal (Im Σ > 0 somewhere); fix its parameters")
    if np.any(w.imag**2 > s11.imag * s22.imag + 1e-12 * scale**2):
        raise ConfigError(f"truth {name!r} breaks the pairing bound (Im W)² ≤ Im Σ11·Im Σ22; fix its parameters")


def reference_spectrum(
    truth: ReferenceTruth,
    *,
    eps_k: np.ndarray | None = None,
    energies: np.ndarray | None = None,
    temperature: float = 20.0,
    resolution: float = 0.010,
    noise: float = 0.02,
    amplitude_spread: float = 0.2,
    background: float = 0.03,
    seed: int = 0,
    fine_step: float = 0.00025,
) -> tuple[xr.DataArray, xr.Dataset]:
    """A synthetic cut from ``truth`` through the independent NumPy path (module docstring).

    Parameters are those of :func:`arpes_sigma.synthetic.make_spectrum`
    (defaults: 11 EDCs with ε_k from −0.20 to +0.05 eV; energies −0.30 …
    +0.04 eV in 2 meV steps; 20 K; 10 meV FWHM; 2 % noise), plus
    ``fine_step`` (eV), the spacing of the grid the spectrum is computed on
    before convolution.

    Returns
    -------
    intensity : xarray.DataArray, dims (k, eV)
        The cut, with ``eps_k``, ``sample_temp``, ``energy_resolution`` and
        ``noise_sigma`` as :func:`arpes_sigma.validate` expects.
    truth : xarray.Dataset
        ``re/im_sigma_normal``, ``re/im_sigma_anomalous`` (eV), ``re/im_sigma_total``
        (k, eV) and the clean intensity, on the measured energies.
    """
    eps = np.linspace(-0.20, 0.05, 11) if eps_k is None else np.asarray(eps_k, dtype=float).ravel()
    e = np.arange(-0.30, 0.0401, 0.002) if energies is None else np.asarray(energies, dtype=float)
    if not (temperature > 0 and resolution > 0 and noise >= 0):
        raise ConfigError("temperature and resolution must be > 0 and noise >= 0; fix the arguments")
    sigma_g = resolution / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    pad = 8.0 * sigma_g
    fine = np.arange(e.min() - pad, e.max() + pad + fine_step / 2, fine_step)
    s11, s22, w = (np.asarray(x, dtype=complex) for x in truth.sigma(fine))
    _check_physical(truth.name, s11, s22, w)
    z = fine[None, :]
    ek = eps[:, None]
    g11 = (z + ek - s22) / ((z - ek - s11) * (z + ek - s22) - w * w)
    spectral = -g11.imag / np.pi
    occupied = spectral / (np.exp(np.clip(fine / (K_B_EV * temperature), -700, 700)) + 1.0)
    half = int(np.ceil(pad / fine_step))
    x = fine_step * np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (x / sigma_g) ** 2)
    kernel /= kernel.sum()
    blurred = np.array([np.convolve(row, kernel, mode="same") for row in occupied])
    clean = np.array([np.interp(e, fine, row) for row in blurred])

    rng = np.random.default_rng(seed)
    scale = clean.max()
    amp = 1.0 + amplitude_spread * rng.uniform(-1, 1, size=len(eps))
    back = background * scale * rng.uniform(0.5, 1.5, size=len(eps))
    clean = amp[:, None] * clean + back[:, None]
    sigma_noise = noise * clean.max()
    data = clean + sigma_noise * rng.standard_normal(clean.shape)

    t11, t22, tw = (np.asarray(v, dtype=complex) for v in truth.sigma(e))
    stot = t11 + tw * tw / (e[None, :] + eps[:, None] - t22)
    coords = {"k": ("k", eps / 2.0, {"units": "1/Angstrom", "long_name": "k - k_F"}),
              "eV": ("eV", e, {"units": "eV"}),
              "eps_k": ("k", eps, {"units": "eV", "long_name": "bare band energy"})}
    intensity = xr.DataArray(
        data, dims=("k", "eV"), coords=coords, name="intensity",
        attrs={"sample_temp": float(temperature), "energy_resolution": float(resolution),
               "noise_sigma": float(sigma_noise), "source": f"arpes_sigma.synthetic.reference ({truth.name})"},
    )
    truth_ds = xr.Dataset(
        {
            "re_sigma_normal": ("eV", t11.real), "im_sigma_normal": ("eV", t11.imag),
            "re_sigma_anomalous": ("eV", tw.real), "im_sigma_anomalous": ("eV", tw.imag),
            "re_sigma_total": (("k", "eV"), stot.real), "im_sigma_total": (("k", "eV"), stot.imag),
            "clean_intensity": (("k", "eV"), clean),
        },
        coords={name: intensity.coords[name] for name in ("k", "eV", "eps_k")},
        attrs={"truth": truth.name, "paired": int(truth.paired), "description": truth.description,
               "noise_sigma": float(sigma_noise)},
    )
    return intensity, truth_ds
