"""The fit problem in typed form: the data arrays, what describes them, and the traced settings.

* :class:`Problem` — the arrays of one cut (a JAX pytree; fixed shapes per data set);
* :class:`ProblemInfo` — what is not traced: momentum coordinate, data attrs,
  the temperature and resolution read from the data;
* :class:`Settings` — everything a UI may change while a fit runs (window
  mask, prior weights and widths, temperature, resolution, whether the bare
  band is learned), as traced arrays, so moving a slider never recompiles.

The noise is one standard deviation per data point, σ(k, ω), shape (K, E)
whatever its source (a single level is broadcast), so a fit with a measured
per-point noise and one with a single level compile to the same program. The
extrinsic background of every EDC is a linear combination of fixed basis
functions (:func:`background_basis`): a constant; with
``FitConfig.background = "shirley"`` also the Shirley integral of the measured
EDC (Shirley, Phys. Rev. B 5, 4709 (1972)); with ``"edge"`` a linear ramp in
binding energy cut by the resolution-broadened Fermi edge
(:func:`broadened_edge`). The basis always has three rows (unused ones ≡ 0,
whose coefficients the closed-form solve then sets to 0), so every background
model runs the same compiled program.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple

import jax
import numpy as np

from ..errors import ArpesDataError, ConfigError
from ..io.contract import validate
from ..io.noise import estimate_noise
from ..model import legendre_quadratic
from ..physics.instrument import FWHM_TO_SIGMA, K_B, model_grid, uniform_layout
from .config import AMPLITUDE_CHOICES, MAX_RESOLUTION_FACTOR, FitConfig

__all__ = ["BACKGROUNDS", "GUESS_SOURCES", "N_BASIS", "Problem", "ProblemInfo", "Settings", "amplitude_basis",
           "background_basis", "broadened_edge", "build_problem", "energy_offset_of", "eps_is_guess",
           "fitted_background", "learns_band", "make_settings", "noise_of", "on_device", "orthonormal_rows",
           "scaled_momentum", "shirley_integral", "window_mask"]


def on_device(x: Any, dtype: Any = None) -> jax.Array:
    """A NumPy array (or scalar) on the device as ``dtype``; default JAX's float (float32 unless x64 is on).

    ``jnp.asarray`` with a dtype conversion compiles a small program per shape (JAX 0.10);
    converting on the host and ``device_put`` compiles nothing.
    """
    return jax.device_put(np.asarray(x, dtype=jax.dtypes.canonicalize_dtype(np.float64) if dtype is None else dtype))


#: Extrinsic-background models (``FitConfig.background``) and their basis functions per EDC.
BACKGROUNDS = {"constant": ("constant",), "shirley": ("constant", "shirley"),
               "edge": ("constant", "edge", "edge_slope")}
#: Rows of every problem's background basis (unused rows are ≡ 0): one compiled program for every model.
N_BASIS = 3


@functools.partial(jax.tree_util.register_dataclass,
                   data_fields=["omega", "grid", "eps", "k_scaled", "intensity", "noise", "background", "amplitude",
                                "energy_offset"],
                   meta_fields=["layout"])
@dataclasses.dataclass(frozen=True)
class Problem:
    """The arrays of one cut (fixed shapes per data set).

    Attributes
    ----------
    omega : (E,) eV — measured energies from E_F, ascending
    grid : (M,) eV — uniform model grid, padded for the largest resolution
    eps : (K,) eV — bare band energy of each EDC as given (the guess, when the band is learned)
    k_scaled : (K,) — momentum of each EDC scaled to [−1, 1] over the EDCs
        (:func:`scaled_momentum`), the variable of the learned band correction
    intensity : (K, E) — the data, as read
    noise : (K, E) — noise standard deviation σ(k, ω) of every point
        (intensity units); a single level is broadcast
    background : (K, 2, E) — the extrinsic-background basis of each EDC
        (:func:`background_basis`; a row ≡ 0 is unused); its coefficients are
        fitted in closed form with the amplitude a_k
    amplitude : (K, M) or None — a_k = amplitude @ α when a_k is smooth in k
        (:func:`amplitude_basis`); None: one free a_k per EDC. The pytree's
        structure differs between the two, so each has its own program.
    energy_offset : (K,) eV or None — the true energy of EDC k's point i is
        omega[i] + energy_offset[k]: the sub-step remainder of the Fermi level
        a raw cut keeps when it is aligned by whole energy steps (the cut's
        ``eV_offset`` coordinate, :mod:`arpes_sigma.io.align`); the model is
        evaluated there. None when the cut has none or it is zero everywhere
        (a different pytree structure: its own program, as for ``amplitude``).
    layout : (c0, stride, h) or None, static — uniform energies sit on the grid
        (:func:`arpes_sigma.physics.instrument.uniform_layout`) and the
        resolution is a short stencil; None: a dense Gaussian matrix
    """

    omega: jax.Array
    grid: jax.Array
    eps: jax.Array
    k_scaled: jax.Array
    intensity: jax.Array
    noise: jax.Array
    background: jax.Array
    amplitude: jax.Array | None = None
    energy_offset: jax.Array | None = None
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
    max_resolution : float, eV — the largest FWHM the model grid is built for
        (``FitConfig.max_resolution``, or twice ``resolution``)
    noise_source : str — where σ(k, ω) came from ("config", "per point (noise_sigma)",
        "attrs noise_sigma" or "estimated")
    background : str — the extrinsic-background model (``FitConfig.background``)
    n_amplitude : int or None — linear parameters of the smooth amplitudes a_k (3; fewer with fewer EDCs);
        None when a_k is free (then K)
    """

    k: np.ndarray
    momentum_dim: str
    attrs: dict
    temperature: float
    resolution: float
    max_resolution: float
    noise_source: str = "estimated"
    background: str = "constant"
    n_amplitude: int | None = None

    @property
    def n_linear(self) -> int:
        """Linear nuisances of the whole cut: the amplitudes, and one coefficient per background function and EDC."""
        n_k = len(self.k)
        return (n_k if self.n_amplitude is None else self.n_amplitude) + n_k * len(BACKGROUNDS[self.background])


class Settings(NamedTuple):
    """Traced settings of a fit (scalars and the window mask); changing them never recompiles.

    ``band`` is the switch q of :func:`arpes_sigma.model.band_correction`: 1 learns
    the bare-band correction, 0 keeps the given ε_k (:func:`learns_band`).
    ``background_rows`` (N_BASIS,) switches each row of the problem's
    background basis on (1) or off (0); the Fitter starts an energy-dependent
    background with its first row alone (:func:`make_settings`).
    """

    mask: jax.Array
    smoothness: jax.Array
    gap_penalty: jax.Array
    gap_limit: jax.Array
    l2: jax.Array
    pairing_scale: jax.Array
    gap_scale: jax.Array
    temperature: jax.Array
    resolution: jax.Array
    band: jax.Array
    background_rows: jax.Array


#: Values of the data's ``eps_k_source`` attr that mark ε_k as a guess (``FitConfig.band = "auto"`` learns it).
GUESS_SOURCES = ("mdc", "guess")


def eps_is_guess(attrs: dict) -> bool:
    """Whether the data's ``eps_k_source`` attr marks ε_k as a guess ("mdc", or any source naming a guess).

    :func:`arpes_sigma.prepare` writes "mdc" when it guessed ε = v (k − k_F)
    from MDC maxima, "given" or "band:NAME" otherwise; data without the attr
    count as given.
    """
    source = str(attrs.get("eps_k_source", "given")).lower()
    return source.startswith(GUESS_SOURCES) or "guess" in source


def learns_band(config: FitConfig, attrs: dict) -> bool:
    """Whether the fit learns the band: ``config.band`` "learn", or "auto" on a guessed ε_k (:func:`eps_is_guess`)."""
    return config.band == "learn" or (config.band == "auto" and eps_is_guess(attrs))


def scaled_momentum(k: np.ndarray) -> np.ndarray:
    """The scaled momentum x = (k − k_mid) / (half the range of k) ∈ [−1, 1]; zeros for one EDC.

    Parameters
    ----------
    k : (K,) momentum of the EDCs (any unit; or their index)

    Returns
    -------
    (K,) array, dimensionless
    """
    k = np.asarray(k).reshape(-1)
    k = k.astype(float) if np.issubdtype(k.dtype, np.number) else np.arange(k.size, dtype=float)
    if k.size < 2 or not np.all(np.isfinite(k)) or np.ptp(k) == 0:
        return np.zeros_like(k)
    return (k - 0.5 * (k.max() + k.min())) / (0.5 * np.ptp(k))


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


def noise_of(da: Any, intensity: np.ndarray, override: float | None = None) -> tuple[np.ndarray, str]:
    """The noise σ(k, ω) of a validated cut, shape (K, E), and where it came from.

    In order: ``override`` (one level, ``FitConfig.noise``); a coordinate
    ``noise_sigma`` with dims (k, eV) or (eV,) — the per-point noise that
    :func:`arpes_sigma.prepare` measures; ``attrs['noise_sigma']`` (one
    level); otherwise one level estimated from the data
    (:func:`arpes_sigma.io.noise.estimate_noise`).

    Parameters
    ----------
    da : xarray.DataArray
        Validated, dims (k, eV).
    intensity : array, shape (K, E)
        Its values.
    override : float, optional
        One noise level (intensity units).

    Raises
    ------
    ArpesDataError
        A ``noise_sigma`` coordinate of other dims, or not finite and > 0 everywhere.
    """
    shape = intensity.shape
    if override is not None:
        return np.full(shape, float(override)), "config"
    coord = da.coords.get("noise_sigma")
    if coord is not None and coord.ndim > 0:
        if not set(coord.dims) <= {"k", "eV"} or "eV" not in coord.dims:
            raise ArpesDataError(
                f"coordinate noise_sigma has dims {tuple(coord.dims)}; give it dims (k, eV) or (eV,), "
                "or drop it with da.drop_vars('noise_sigma')")
        sigma = np.broadcast_to(np.asarray(coord.transpose(*[d for d in ("k", "eV") if d in coord.dims]).values,
                                           dtype=float), shape)
        if not np.all(np.isfinite(sigma) & (sigma > 0)):
            raise ArpesDataError(
                "coordinate noise_sigma must be finite and > 0 at every point; fix it or pass FitConfig(noise=...)")
        return np.array(sigma), "per point (noise_sigma)"
    level = float(coord.values) if coord is not None else float(da.attrs.get("noise_sigma", 0.0) or 0.0)
    if np.isfinite(level) and level > 0:
        return np.full(shape, level), "attrs noise_sigma"
    return np.full(shape, estimate_noise(intensity)), "estimated"


def shirley_integral(omega: np.ndarray, intensity: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """The Shirley integral S_k(ω) = ∫_ω^ω_max I_k(ω') dω' of each measured EDC, 1 at the window's lowest energy.

    Shirley, Phys. Rev. B 5, 4709 (1972): the inelastic background under a
    spectrum is proportional to the intensity at higher kinetic energy (here:
    above ω). Taken from the measured EDC itself (trapezoids on the measured
    energies), it is fixed data, so its coefficient stays a linear nuisance
    solved in closed form; the constant the data hold above ω contributes a
    linear ramp. The normalisation only sets the coefficient's scale.

    Parameters
    ----------
    omega : (E,) eV, ascending
    intensity : (K, E)
    mask : (E,) 0/1, optional
        The energy window; the normalisation point is its lowest energy.

    Returns
    -------
    (K, E) array, dimensionless
    """
    x = np.atleast_2d(np.asarray(intensity, dtype=float))
    e = np.asarray(omega, dtype=float)
    pieces = 0.5 * (x[:, 1:] + x[:, :-1]) * np.diff(e)[None, :]
    s = np.concatenate([np.cumsum(pieces[:, ::-1], axis=1)[:, ::-1], np.zeros((x.shape[0], 1))], axis=1)
    i0 = int(np.flatnonzero(np.asarray(mask) > 0)[0]) if mask is not None and np.any(np.asarray(mask) > 0) else 0
    ref = s[:, i0]
    big = np.max(np.abs(s), axis=1)
    ref = np.where(np.abs(ref) > 1e-12 * np.maximum(big, 1e-300), ref, np.where(big > 0, big, 1.0))
    return s / ref[:, None]


def broadened_edge(omega: np.ndarray, temperature: float, resolution: float) -> np.ndarray:
    """The Fermi–Dirac function at ``temperature`` (K) convolved with a Gaussian of FWHM ``resolution`` (eV).

    f̃(ω) = ∫ f(ω − u) g(u) du = ∫ (−f′(x)) Φ((x − ω)/σ) dx (by parts; Φ the
    Gaussian CDF). Evaluated in NumPy on the measured energies ω (eV): the
    basis of the background is fixed data of the problem, built once per cut.
    The narrower of the two kernels is sampled (spacing 1/20 of its width) and
    the other function evaluated exactly, so the sum is accurate for any ratio
    kT/σ; T = 0 is the closed form ½ erfc(ω/√2σ) and σ = 0 the Fermi function.
    Values in [0, 1]. Written here rather than taken from ERLabPy's
    ``FermiEdgeModel`` (the same function, used for the gold edge in
    :mod:`arpes_sigma.io.calibrate`): the fit path does not import ERLabPy,
    whose fit models take ≈ 3.5 s to import.
    """
    from scipy.special import expit, ndtr  # scipy is a dependency of JAX; imported only when a cut is built

    e = np.asarray(omega, dtype=float)
    sigma = max(float(resolution), 0.0) * FWHM_TO_SIGMA
    kt = K_B * max(float(temperature), 0.0)
    if sigma == 0:
        return expit(-e / kt) if kt > 0 else (e < 0) + 0.5 * (e == 0)
    if kt == 0:
        return ndtr(-e / sigma)
    if kt < sigma:  # sample the thermal kernel −f′(x) = 1/(4kT cosh²(x/2kT)); Φ exact
        x = np.arange(-30.0, 30.0 + 1e-9, 0.05) * kt
        w = 0.25 / np.cosh(0.5 * x / kt) ** 2
        return ndtr((x[None, :] - e[:, None]) / sigma) @ (w / w.sum())
    u = np.arange(-8.0, 8.0 + 1e-9, 0.05) * sigma  # sample the Gaussian; the Fermi function exact
    w = np.exp(-0.5 * (u / sigma) ** 2)
    return expit(-(e[:, None] - u[None, :]) / kt) @ (w / w.sum())


def background_basis(omega: np.ndarray, intensity: np.ndarray, kind: str = "constant",
                     mask: np.ndarray | None = None, temperature: float = 0.0,
                     resolution: float = 0.0, offset: np.ndarray | None = None) -> np.ndarray:
    """The extrinsic-background basis functions of each EDC, shape (K, N_BASIS, E); unused rows are ≡ 0.

    ``"constant"``: b_k (one function: dark counts, flat across E_F).
    ``"shirley"``: b_k + c_k S_k(ω) with S_k the :func:`shirley_integral` of
    the measured EDC (two functions). ``"edge"``: b_k + c_k f̃(ω) + d_k f̃(ω)·(−ω)/W
    (three functions): dark counts plus inelastic electrons whose number rises
    linearly with binding energy and, being photoelectrons too, is cut by the
    Fermi edge; f̃ is :func:`broadened_edge` at the data's ``temperature`` (K)
    and ``resolution`` (FWHM, eV), W the largest |ω| in the window (eV), so
    both rows are of order one. With ``offset`` (K,), eV (:attr:`Problem.energy_offset`)
    the edge of EDC k is evaluated at its true energies ω + offset_k. This is the low-order smooth term EDC fits of
    cuprates commonly carry (e.g. a step-edge background under the
    quasiparticle peak); unlike the Shirley integral it does not follow the
    peak's own shape.
    """
    x = np.atleast_2d(np.asarray(intensity, dtype=float))
    e = np.asarray(omega, dtype=float)
    inside = e[np.asarray(mask) > 0] if mask is not None and np.any(np.asarray(mask) > 0) else e
    span = max(float(np.max(np.abs(inside))), 1e-3)
    true_e = np.broadcast_to(e, x.shape) if offset is None else e[None, :] + np.asarray(offset, float)[:, None]
    edge = lambda: broadened_edge(true_e.ravel(), temperature, resolution).reshape(x.shape)  # noqa: E731
    parts = {"constant": lambda: np.ones_like(x), "shirley": lambda: shirley_integral(omega, x, mask),
             "edge": edge, "edge_slope": lambda: edge() * (-true_e / span)}
    if kind not in BACKGROUNDS:
        raise ConfigError(f"background={kind!r} is unknown; use one of {sorted(BACKGROUNDS)}")
    rows = [parts[name]() for name in BACKGROUNDS[kind]]
    rows += [np.zeros_like(x)] * (N_BASIS - len(rows))
    return np.stack(rows, axis=1)


def orthonormal_rows(basis: np.ndarray, weight: np.ndarray, rtol: float = 1e-7) -> np.ndarray:
    """Each EDC's background functions replaced by their principal directions (float64 SVD), shape kept.

    The fit solves the background coefficients in float32 through normal
    equations (:func:`arpes_sigma.fitting.loss.solve_nuisance`); functions that
    are nearly collinear over the window (the Shirley integral's far tail and
    a linear ramp, say) would make that Gram matrix singular to float32. Their
    span — all the fit uses once every row is on — is kept exactly: per EDC an
    SVD of the weighted rows, directions with singular value below ``rtol`` ×
    the largest dropped (their rows set to 0), the rest orthonormal under
    ``weight`` and ordered by singular value, so row 0 is the single function
    that best represents the whole basis over the window — the background the
    first stage of a fit uses alone (:attr:`~arpes_sigma.fitting.fitter.Fitter.release_step`).

    Parameters
    ----------
    basis : (K, B, E) array
    weight : (K, E) array, ≥ 0 — the window mask over σ²
    """
    b = np.asarray(basis, dtype=float)
    out = np.zeros_like(b)
    root = np.sqrt(np.asarray(weight, dtype=float))
    for k in range(b.shape[0]):
        u, sv, _ = np.linalg.svd(b[k] * root[k][None, :], full_matrices=False)
        keep = sv > rtol * (sv[0] if sv.size and sv[0] > 0 else np.inf)
        out[k, : int(keep.sum())] = (u[:, keep].T @ b[k]) / sv[keep][:, None]
    return out


def fitted_background(omega: np.ndarray, intensity: np.ndarray, noise: np.ndarray, kind: str, mask: np.ndarray,
                      temperature: float, resolution: float, offset: np.ndarray | None = None) -> jax.Array:
    """:attr:`Problem.background`: the :func:`background_basis` of each EDC, orthonormal over the window.

    It depends on the window (the Shirley integral, the edge's slope scale and
    the weights of :func:`orthonormal_rows`), the temperature (K) and the
    resolution (FWHM, eV) (the edge), so a change of those settings rebuilds it
    (:meth:`arpes_sigma.fitting.fitter.Fitter.update`); same shape, no recompilation.
    """
    basis = background_basis(omega, intensity, kind, mask, temperature, resolution, offset)
    return on_device(orthonormal_rows(basis, np.asarray(mask, float)[None, :] / np.asarray(noise, float) ** 2))


def amplitude_basis(k_scaled: np.ndarray, kind: str = "free") -> np.ndarray | None:
    """The basis of a_k along the cut, shape (K, M): Legendre P0, P1, P2 of the scaled momentum; None when free.

    With fewer than three EDCs the basis keeps K columns (a quadratic through
    K ≤ 3 points is no constraint).
    """
    if kind not in AMPLITUDE_CHOICES:
        raise ConfigError(f"amplitude={kind!r} is unknown; use one of {', '.join(AMPLITUDE_CHOICES)}")
    if kind == "free":
        return None
    x = np.asarray(k_scaled, dtype=float)
    return np.stack(legendre_quadratic(x), axis=1)[:, : min(3, x.size)]


def energy_offset_of(da: Any) -> np.ndarray | None:
    """The cut's ``eV_offset`` coordinate (k,), eV, or None when it has none or it is zero everywhere.

    :func:`arpes_sigma.prepare` aligns the columns of a raw cut by whole energy
    steps and keeps the sub-step remainder of each EDC's Fermi level there
    (:mod:`arpes_sigma.io.align`); ignoring it misplaces every EDC by up to
    half an energy step, which at a few per cent noise leaves χ²_red ≈ 1.08
    and about doubles the self-energies' error (``benchmarks/bench_raw_recovery.py``).
    """
    if "eV_offset" not in da.coords:
        return None
    off = np.atleast_1d(np.asarray(da.coords["eV_offset"].values, dtype=float))
    if da.coords["eV_offset"].dims not in (("k",), ()) or off.shape != (da.sizes["k"],):
        raise ArpesDataError(f"the eV_offset coordinate has dims {da.coords['eV_offset'].dims}; "
                             "it must be one value per EDC along 'k' (eV), as arpes_sigma.prepare writes it")
    if not np.all(np.isfinite(off)):
        raise ArpesDataError("the eV_offset coordinate has non-finite values; re-run arpes_sigma.prepare")
    return off if np.any(off != 0) else None


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
    noise, noise_source = noise_of(da, intensity, config.noise)
    resolution = float(da.attrs["energy_resolution"])
    max_resolution = config.max_resolution
    if max_resolution is None:
        max_resolution = max(MAX_RESOLUTION_FACTOR * resolution, 0.001)
    elif resolution > max_resolution:
        raise ArpesDataError(
            f"energy_resolution {resolution} eV exceeds max_resolution={config.max_resolution} eV; "
            "raise FitConfig.max_resolution (or leave it None: twice the data's resolution)"
        )
    uniform = uniform_layout(omega, max_resolution, max_step=config.grid_step or 0.002)
    if uniform is not None:
        grid, layout = uniform
    else:
        grid, layout = model_grid(omega, max_resolution, step=config.grid_step), None
    kcoord = np.asarray(da["k"].values) if "k" in da.coords else np.arange(da.sizes["k"])
    k_scaled = scaled_momentum(kcoord)
    amp = amplitude_basis(k_scaled, config.amplitude)
    mask = window_mask(omega, config.window)
    offset = energy_offset_of(da)
    problem = Problem(
        omega=on_device(omega),
        grid=on_device(grid),
        eps=on_device(np.asarray(da["eps_k"].values, dtype=float).reshape(-1)),
        k_scaled=on_device(k_scaled),
        intensity=on_device(intensity),
        noise=on_device(noise),
        background=fitted_background(omega, intensity, noise, config.background, mask,
                                     float(da.attrs["sample_temp"]), resolution, offset),
        amplitude=None if amp is None else on_device(amp),
        energy_offset=None if offset is None else on_device(offset),
        layout=layout,
    )
    info = ProblemInfo(
        k=kcoord,
        momentum_dim=str(da.attrs.get("momentum_dim", "k")),
        attrs=dict(da.attrs),
        temperature=float(da.attrs["sample_temp"]),
        resolution=resolution,
        max_resolution=max_resolution,
        noise_source=noise_source,
        background=config.background,
        n_amplitude=None if amp is None else amp.shape[1],
    )
    return problem, info


def make_settings(config: FitConfig, problem: Problem, info: ProblemInfo, *, released: bool = True) -> Settings:
    """The traced :class:`Settings` of ``config`` for ``problem`` (strongly typed float32 scalars).

    ``released=False`` keeps only the first row of the background basis
    (the first stage of a fit with an energy-dependent background,
    :class:`~arpes_sigma.fitting.fitter.Fitter`).
    """
    c = config
    resolution = info.resolution if c.resolution is None else c.resolution
    if resolution > info.max_resolution * (1 + 1e-9):
        raise ConfigError(f"resolution={resolution} eV exceeds the {info.max_resolution:g} eV the model grid was built "
                          "for; build a new Fitter with FitConfig(max_resolution=...) to go further")
    f32 = lambda x: on_device(x, np.float32)  # noqa: E731
    return Settings(
        mask=f32(window_mask(np.asarray(problem.omega), c.window)),
        smoothness=f32(c.smoothness),
        gap_penalty=f32(c.gap_penalty),
        gap_limit=f32(c.gap_limit),
        l2=f32(c.l2),
        pairing_scale=f32(c.pairing_scale),
        gap_scale=f32(c.gap_scale),
        temperature=f32(info.temperature if c.temperature is None else c.temperature),
        resolution=f32(resolution),
        band=f32(1.0 if learns_band(c, info.attrs) else 0.0),
        background_rows=f32([1.0] + [1.0 if released else 0.0] * (N_BASIS - 1)),
    )
