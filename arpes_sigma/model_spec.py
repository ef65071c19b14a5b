"""The static shape of the self-energy model, :class:`ModelSpec` — importable without JAX.

Kept apart from :mod:`arpes_sigma.model` so that validating a
:class:`~arpes_sigma.fitting.FitConfig` (the CLI does it before reading any
data) never imports JAX or Flax: bad input exits before that cost is paid.
"""

from __future__ import annotations

import dataclasses

from .errors import ConfigError

__all__ = ["ModelSpec"]


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Shape of the self-energy model (everything here changes compiled shapes).

    Parameters
    ----------
    n_poles : int
        Number of hidden fermions ("hidden units"), 1–32.
    n_features : int
        Radial-basis features of the background network's input (4–64).
        24 by default (52 meV apart on the default ±0.6 eV): 16 (80 meV)
        were too coarse for a normal background with a cusp at E_F, and the
        fit made up for it with too narrow a pole (every peak ≈ 15 % too
        high; ``benchmarks/bench_uncertainty.py``); with 32 (39 meV) the raw
        path's edge-background fit needed more than the default 200 steps
        (``benchmarks/bench_raw_recovery.py``; measured figures in the README).
    width, depth : int
        Hidden width (1–256) and number of hidden layers (0–6) of the
        background network; depth 0 makes it a linear read-out of the
        features (a smooth basis expansion of log-density).
    n_background : int
        Number of nodes x_j of the background spectral density (8–256).
    omega_max : float, eV
        The background density lives on [−omega_max, omega_max].
    anomalous : bool
        Default pairing switch of the NNX face (False: normal-only, W ≡ 0).
        The fit passes the switch per restart instead.
    """

    n_poles: int = 2
    n_features: int = 24
    width: int = 16
    depth: int = 0
    n_background: int = 128
    omega_max: float = 0.6
    anomalous: bool = True

    def __post_init__(self) -> None:
        checks = [
            ("n_poles", self.n_poles, 1, 32),
            ("n_features", self.n_features, 4, 64),
            ("width", self.width, 1, 256),
            ("depth", self.depth, 0, 6),
            ("n_background", self.n_background, 8, 256),
        ]
        for name, value, lo, hi in checks:
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise ConfigError(f"{name}={value!r} is out of range; use an integer in [{lo}, {hi}]")
        if not 0.05 <= float(self.omega_max) <= 5.0:
            raise ConfigError(f"omega_max={self.omega_max!r} eV is out of range; use 0.05–5 eV")

    @property
    def layer_sizes(self) -> list[int]:
        """Input/output sizes of the background network's layers, [features, width, …, width, 1]."""
        return [self.n_features] + [self.width] * self.depth + [1]
