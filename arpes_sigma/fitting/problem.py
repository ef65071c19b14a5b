"""The fit problem in typed form: the data arrays, what describes them, and the traced settings.

* :class:`Problem` — the arrays of one cut (a JAX pytree; fixed shapes per data set);
* :class:`ProblemInfo` — what is not traced: momentum coordinate, data attrs,
  the temperature and resolution read from the data;
* :class:`Settings` — everything a UI may change while a fit runs (window
  mask, prior weights and widths, temperature, resolution), as traced arrays,
  so moving a slider never recompiles.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ArpesDataError, ConfigError
from ..io.contract import validate
from ..io.noise import estimate_noise
from ..physics.instrument import model_grid, uniform_layout
from .config import FitConfig

__all__ = ["Problem", "ProblemInfo", "Settings", "build_problem", "make_settings", "window_mask"]


@functools.partial(jax.tree_util.register_dataclass, data_fields=["omega", "grid", "eps", "intensity", "noise"],
                   meta_fields=["layout"])
@dataclasses.dataclass(frozen=True)
class Problem:
    """The arrays of one cut (fixed shapes per data set).

    Attributes
    ----------
    omega : (E,) eV — measured energies from E_F, ascending
    grid : (M,) eV — uniform model grid, padded for the largest resolution
    eps : (K,) eV — bare band energy of each EDC
    intensity : (K, E) — the data, as read
    noise : () or (K, E) — noise standard deviation (intensity units), one
        level or one per point
    layout : (c0, stride, h) or None, static — uniform energies sit on the grid
        (:func:`arpes_sigma.physics.instrument.uniform_layout`) and the
        resolution is a short stencil; None: a dense Gaussian matrix
    """

    omega: jax.Array
    grid: jax.Array
    eps: jax.Array
    intensity: jax.Array
    noise: jax.Array
    layout: tuple[int, int, int] | None = dataclasses.field(default=None, metadata={"static": True})

    @property
    def n_k(self) -> int:
        """Number of EDCs K."""
        return int(self.intensity.shape[0])


@dataclasses.dataclass(frozen=True)
class ProblemInfo:
    """What describes a :class:`Problem` but is not traced.

    Attributes
    ----------
    k : (K,) numpy array — the momentum coordinate of the EDCs
    momentum_dim : str — the input's name of the momentum dim
    attrs : dict — the data attrs, carried into results
    temperature : float, K — read from the data
    resolution : float, eV — read from the data (FWHM)
    """

    k: np.ndarray
    momentum_dim: str
    attrs: dict
    temperature: float
    resolution: float


class Settings(NamedTuple):
    """Traced settings of a fit (scalars and the window mask); changing them never recompiles."""

    mask: jax.Array
    smoothness: jax.Array
    gap_penalty: jax.Array
    gap_limit: jax.Array
    l2: jax.Array
    pairing_scale: jax.Array
    gap_scale: jax.Array
    temperature: jax.Array
    resolution: jax.Array


def window_mask(omega: np.ndarray, window: tuple[float, float] | None) -> np.ndarray:
    """0/1 mask of the energies inside ``window`` (all ones for None); refuses windows with < 5 energies."""
    omega = np.asarray(omega)
    if window is None:
        return np.ones_like(omega)
    m = ((omega >= window[0]) & (omega <= window[1])).astype(float)
    if m.sum() < 5:
        raise ConfigError(
            f"window {window} eV holds {int(m.sum())} energies of the data ({omega.min():.3f}…{omega.max():.3f} eV); "
            "widen it"
        )
    return m


def build_problem(data: Any, config: FitConfig) -> tuple[Problem, ProblemInfo]:
    """Validate a cut (or an EDC) and turn it into a :class:`Problem` and its :class:`ProblemInfo`.

    Parameters
    ----------
    data : xarray.DataArray
        Checked with :func:`arpes_sigma.io.contract.validate`; the config's
        ``temperature``/``resolution`` replace the data's.
    config : FitConfig

    Raises
    ------
    ArpesDataError
        Bad data, or a resolution above ``config.max_resolution``.
    """
    da = validate(data, sample_temp=config.temperature, energy_resolution=config.resolution)
    if da.ndim == 1:
        da = da.expand_dims("k")
        da = da.assign_coords(eps_k=("k", np.atleast_1d(np.asarray(da.coords["eps_k"].values, dtype=float))))
    omega = np.asarray(da["eV"].values, dtype=float)
    intensity = np.asarray(da.values, dtype=float)
    if config.noise is not None:
        noise = float(config.noise)
    elif "noise_sigma" in da.attrs and float(da.attrs["noise_sigma"]) > 0:
        noise = float(da.attrs["noise_sigma"])
    else:
        noise = estimate_noise(intensity)
    resolution = float(da.attrs["energy_resolution"])
    if resolution > config.max_resolution:
        raise ArpesDataError(
            f"energy_resolution {resolution} eV exceeds max_resolution={config.max_resolution} eV; "
            "raise FitConfig.max_resolution"
        )
    uniform = uniform_layout(omega, config.max_resolution, max_step=config.grid_step or 0.002)
    if uniform is not None:
        grid, layout = uniform
    else:
        grid, layout = model_grid(omega, config.max_resolution, step=config.grid_step), None
    kcoord = np.asarray(da["k"].values) if "k" in da.coords else np.arange(da.sizes["k"])
    problem = Problem(
        omega=jnp.asarray(omega),
        grid=jnp.asarray(grid),
        eps=jnp.asarray(np.asarray(da["eps_k"].values, dtype=float).reshape(-1)),
        intensity=jnp.asarray(intensity),
        noise=jnp.asarray(noise),
        layout=layout,
    )
    info = ProblemInfo(
        k=kcoord,
        momentum_dim=str(da.attrs.get("momentum_dim", "k")),
        attrs=dict(da.attrs),
        temperature=float(da.attrs["sample_temp"]),
        resolution=resolution,
    )
    return problem, info


def make_settings(config: FitConfig, problem: Problem, info: ProblemInfo) -> Settings:
    """The traced :class:`Settings` of ``config`` for ``problem`` (strongly typed float32 scalars)."""
    c = config
    f32 = lambda x: jnp.asarray(x, dtype=jnp.float32)  # noqa: E731
    return Settings(
        mask=f32(window_mask(np.asarray(problem.omega), c.window)),
        smoothness=f32(c.smoothness),
        gap_penalty=f32(c.gap_penalty),
        gap_limit=f32(c.gap_limit),
        l2=f32(c.l2),
        pairing_scale=f32(c.pairing_scale),
        gap_scale=f32(c.gap_scale),
        temperature=f32(info.temperature if c.temperature is None else c.temperature),
        resolution=f32(info.resolution if c.resolution is None else c.resolution),
    )
