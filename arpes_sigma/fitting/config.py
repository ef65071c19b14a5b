"""The fit configuration: one frozen, validated object that defines a fit.

Named soft priors ("constraint weights") — the hard constraints (causality,
the pairing bound, particle–hole structure) are inside the model
(:mod:`arpes_sigma.model`) and need no weight:

``smoothness``
    mean squared curvature of the background spectral density (in units of
    (10 meV)²); keeps the network background from fitting noise.
``gap_penalty``
    (|Δ0| − ``gap_limit``)₊² / (10 meV)²: a cap on the static gap.
``l2``
    sum of squared network weights (weight decay).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from ..errors import ConfigError
from ..model import ModelSpec

__all__ = ["PRIOR_NAMES", "FitConfig"]

#: Names of the soft priors, in the order the loss sums them.
PRIOR_NAMES = ("smoothness", "gap_penalty", "l2")


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """Everything that defines a fit (frozen; checked when built).

    Parameters
    ----------
    n_poles, width, depth, n_background : int
        Model size (see :class:`arpes_sigma.model.ModelSpec`). The defaults —
        two hidden fermions and 128 background nodes on ±0.6 eV (9.4 meV
        apart, about one typical ARPES resolution) — are the smallest model
        that leaves no structured residual on 10 meV / 20 K / 2 % noise
        spectra; more poles than the data support tend to split one peak into
        a narrow and a broad copy (check ``chi2_restarts`` and the baselines).
    anomalous : bool
        False fits the normal-only model (W ≡ 0).
    window : (float, float) or None, eV
        Energy window (E_min, E_max) of the χ²; None uses all data.
    steps : int
        Optimizer steps per restart.
    learning_rate : float
        Adam step size in stored-parameter units (0.1 eV per unit).
    steps_per_call : int
        Steps per jitted call (``lax.scan`` length); also how often the
        callback is called.
    restarts : int
        Independent seeds fitted side by side (vmapped). The result reports
        the mean over restarts whose χ²_red is within ``ACCEPT_RATIO`` of the
        best and their spread (``*_std``). The spread measures how far the data
        leave the decomposition into Σ11 and W undetermined *within this
        model*; it is not the statistical error from the noise (refit
        resampled data for that) nor a systematic error from a wrong ε_k,
        resolution or temperature.
    seed : int
        Seed of the first restart's initialisation.
    smoothness, gap_penalty, gap_limit, l2 : float
        Soft-prior weights (``gap_limit`` in eV); see the module docstring.
    temperature, resolution, noise : float or None
        Override the data's ``sample_temp`` (K), ``energy_resolution`` (FWHM,
        eV) and noise level (intensity units).
    max_resolution : float, eV
        Largest resolution the model grid is padded for (so a resolution slider
        up to this value never recompiles).
    grid_step : float or None, eV
        Spacing of the model grid on which A(k, ω) is evaluated before the
        resolution convolution; default min(data spacing, 2 meV).
    baselines : bool
        With :func:`arpes_sigma.fitting.pipeline.fit_with_baselines` (the CLI, fit-many),
        also fit the Norman and normal-only baselines (:mod:`arpes_sigma.fitting.baselines`);
        :func:`arpes_sigma.fit` itself always does one fit.
    """

    n_poles: int = 2
    width: int = 16
    depth: int = 2
    n_background: int = 128
    anomalous: bool = True
    window: tuple[float, float] | None = None
    steps: int = 3000
    learning_rate: float = 0.01
    steps_per_call: int = 100
    restarts: int = 1
    seed: int = 0
    smoothness: float = 1.0
    gap_penalty: float = 1.0
    gap_limit: float = 0.1
    l2: float = 1e-4
    temperature: float | None = None
    resolution: float | None = None
    noise: float | None = None
    max_resolution: float = 0.05
    grid_step: float | None = None
    baselines: bool = True

    def __post_init__(self) -> None:
        self.model_spec()  # checks the sizes
        ints = {"steps": (1, 10_000_000), "steps_per_call": (1, 100_000), "restarts": (1, 256), "seed": (0, 2**31 - 1)}
        for name, (lo, hi) in ints.items():
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not lo <= v <= hi:
                raise ConfigError(f"{name}={v!r} is invalid; use an integer in [{lo}, {hi}]")
        for name in ("smoothness", "gap_penalty", "l2"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise ConfigError(
                    f"weight {name}={v!r} must be a finite number >= 0; set it to 0 to switch the prior off"
                )
        if not (np.isfinite(self.learning_rate) and 0 < self.learning_rate <= 1):
            raise ConfigError(f"learning_rate={self.learning_rate!r} must be in (0, 1]; try 0.01")
        if not (0 < self.gap_limit < 1):
            raise ConfigError(f"gap_limit={self.gap_limit!r} eV must be in (0, 1) eV")
        if self.window is not None:
            w = tuple(self.window)
            if len(w) != 2 or not all(np.isfinite(w)) or not w[0] < w[1]:
                raise ConfigError(f"window={self.window!r} must be (E_min, E_max) in eV with E_min < E_max")
            object.__setattr__(self, "window", (float(w[0]), float(w[1])))
        if self.temperature is not None and not self.temperature > 0:
            raise ConfigError(f"temperature={self.temperature!r} K must be > 0")
        if self.resolution is not None and not 0 <= self.resolution <= self.max_resolution:
            raise ConfigError(
                f"resolution={self.resolution!r} eV must be in [0, max_resolution={self.max_resolution}] eV; "
                "raise max_resolution"
            )
        if self.noise is not None and not self.noise > 0:
            raise ConfigError(f"noise={self.noise!r} must be > 0 (intensity units) or None to estimate it")
        if self.grid_step is not None and not 1e-5 <= self.grid_step <= 0.01:
            raise ConfigError(f"grid_step={self.grid_step!r} eV must be in [1e-5, 0.01] eV or None")
        if not 0 < self.max_resolution <= 0.5:
            raise ConfigError(f"max_resolution={self.max_resolution!r} eV must be in (0, 0.5]")

    def model_spec(self) -> ModelSpec:
        """The :class:`ModelSpec` (static shapes) of this configuration."""
        return ModelSpec(
            n_poles=self.n_poles, width=self.width, depth=self.depth, n_background=self.n_background,
            anomalous=self.anomalous,
        )

    def replace(self, **changes: object) -> FitConfig:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        """The configuration as JSON text (stored in result files)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    def static_key(self) -> tuple:
        """What changes compiled shapes: model size, restarts, steps per call."""
        return (self.model_spec(), self.restarts, self.steps_per_call)
