"""Fitting Σ11(ω) and W(ω) to an ARPES cut: FitConfig, the loss, the Fitter and fit().

The loss is

    L = χ²/N_window + Σ_name weight_name · prior_name,

with χ² = Σ_{k, ω in window} (I − a_k m_k(ω) − b_k)² / σ², where m_k is the
model spectrum [A f] ⊛ Gauss from :mod:`arpes_sigma.physics` and the per-EDC
amplitude a_k and background b_k are solved in closed form at every step
(variable projection: they are linear, so they never need to be learned). σ is
the noise level (``attrs['noise_sigma']``, the config, or estimated from the data).

Named soft priors ("constraint weights") — the hard constraints (causality,
the pairing bound, particle–hole structure) are inside the model and need no
weight:

``smoothness``
    mean squared curvature of the background spectral density (in units of
    (10 meV)²); keeps the network background from fitting noise.
``gap_penalty``
    (|Δ0| − ``gap_limit``)₊² / (10 meV)²: a cap on the static gap.
``l2``
    sum of squared network weights (weight decay).

Everything that a UI changes while a fit runs — the energy window, the weights,
the learning rate, temperature and resolution — is a traced array, so moving
a slider never recompiles; the energy window is a mask over a fixed grid.
Several optimizer steps run per jitted call (``lax.scan``), and ``restarts``
independent seeds run side by side under ``jax.vmap``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from .errors import ArpesDataError, ConfigError
from .model import ModelSpec, SelfEnergyModel, init_states, model_graphdef
from .physics import gaussian_matrix, model_grid, observe, sigma_total, spectral_function

__all__ = [
    "FitConfig",
    "FitProgress",
    "FitResult",
    "Fitter",
    "fit",
    "estimate_noise",
    "solve_nuisance",
]

#: Relative χ² tolerance for a restart to enter the mean/spread: restarts whose
#: final χ²_red exceeds ``ACCEPT_RATIO`` × the best one are stuck in a visibly
#: worse local minimum and are reported but not averaged.
ACCEPT_RATIO = 1.25


# --------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------
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
        Also fit the Norman and normal-only baselines (see :mod:`arpes_sigma.baselines`).
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

    def __post_init__(self):
        self.model_spec()  # checks the sizes
        ints = {"steps": (1, 10_000_000), "steps_per_call": (1, 100_000), "restarts": (1, 256), "seed": (0, 2**31 - 1)}
        for name, (lo, hi) in ints.items():
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not lo <= v <= hi:
                raise ConfigError(f"{name}={v!r} is invalid; use an integer in [{lo}, {hi}]")
        for name in ("smoothness", "gap_penalty", "l2"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise ConfigError(f"weight {name}={v!r} must be a finite number >= 0; set it to 0 to switch the prior off")
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
                f"resolution={self.resolution!r} eV must be in [0, max_resolution={self.max_resolution}] eV; raise max_resolution"
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
            n_poles=self.n_poles, width=self.width, depth=self.depth, n_background=self.n_background, anomalous=self.anomalous
        )

    def replace(self, **changes) -> "FitConfig":
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        """The configuration as JSON text (stored in result files)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    def static_key(self):
        """What changes compiled shapes: model size, restarts, steps per call."""
        return (self.model_spec(), self.restarts, self.steps_per_call)


# --------------------------------------------------------------------------
# pure pieces of the loss
# --------------------------------------------------------------------------
def estimate_noise(intensity):
    """Robust noise level of a (K, E) intensity from second differences along energy.

    For white noise of standard deviation σ the second difference
    I[i+1] − 2I[i] + I[i−1] has standard deviation √6 σ; the median absolute
    deviation (×1.4826) makes the estimate insensitive to the smooth signal
    and to outliers.

    Returns
    -------
    float, intensity units
    """
    x = np.atleast_2d(np.asarray(intensity, dtype=float))
    d2 = x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]
    mad = np.median(np.abs(d2 - np.median(d2)))
    sigma = 1.4826 * mad / np.sqrt(6.0)
    if not sigma > 0:
        sigma = 1e-3 * float(np.abs(x).max() or 1.0)
    return float(sigma)


def solve_nuisance(model, data, mask):
    """Per-EDC amplitude a_k and background b_k minimising Σ mask (I − a m − b)².

    Parameters
    ----------
    model, data : arrays, shape (K, E)
    mask : array, shape (E,), 0/1 (the energy window)

    Returns
    -------
    a, b : arrays, shape (K,)
    """
    s = jnp.sum(mask)
    sm = model @ mask
    smm = (model * model) @ mask
    si = data @ mask
    smi = (model * data) @ mask
    det = s * smm - sm * sm
    det = jnp.where(jnp.abs(det) > 1e-30, det, 1e-30)
    a = (s * smi - sm * si) / det
    b = (smm * si - sm * smi) / det
    return a, b


def _model_curves(model: SelfEnergyModel, prob, hyper):
    s11, s22, w = model(prob["grid"])
    spec = spectral_function(prob["grid"], prob["eps"][:, None], s11, s22, w)
    kernel = gaussian_matrix(prob["omega"], prob["grid"], hyper["resolution"])
    return observe(spec, prob["grid"], hyper["temperature"], kernel)


def data_term(curves, prob, hyper):
    """χ²/N over the window, with the closed-form nuisance parameters.

    Returns
    -------
    (chi2_over_n, chi2, fitted) where ``fitted`` is a·m + b, shape (K, E).
    """
    mask = hyper["mask"]
    a, b = solve_nuisance(curves, prob["intensity"], mask)
    fitted = a[:, None] * curves + b[:, None]
    r = (prob["intensity"] - fitted) / prob["noise"]
    chi2 = jnp.sum(r * r * mask[None, :])
    n = jnp.maximum(jnp.sum(mask) * curves.shape[0], 1.0)
    return chi2 / n, chi2, fitted


def priors(model: SelfEnergyModel, hyper):
    """Named soft-prior terms (unweighted), each a scalar."""
    _, dens = model.background_density()
    curv = dens[2:] - 2 * dens[1:-1] + dens[:-2]
    gap_excess = jax.nn.relu(jnp.abs(model.gap()) - hyper["gap_limit"])
    l2 = sum(jnp.sum(layer.kernel[...] ** 2) for layer in model.layers)
    return {
        "smoothness": jnp.mean((curv / 0.01) ** 2),
        "gap_penalty": (gap_excess / 0.01) ** 2,
        "l2": l2,
    }


PRIOR_NAMES = ("smoothness", "gap_penalty", "l2")


# --------------------------------------------------------------------------
# progress and results
# --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class FitProgress:
    """What a callback receives after every ``steps_per_call`` steps.

    Attributes
    ----------
    step, total : int
        Steps done and planned (per restart).
    loss : numpy array, shape (R,)
        Current loss of each restart.
    chi2_reduced : float
        Best restart's reduced χ² so far.
    terms : dict
        Best restart's prior terms (unweighted).
    elapsed : float, s
    compiling : bool
        True on the call that triggered a compilation.
    """

    step: int
    total: int
    loss: np.ndarray
    chi2_reduced: float
    terms: dict
    elapsed: float
    compiling: bool = False


@dataclasses.dataclass(frozen=True)
class FitResult:
    """Outcome of a fit (frozen). Self-energies are complex numpy arrays in eV.

    Attributes
    ----------
    omega : (E,) eV; eps_k : (K,) eV; k : (K,) momentum coordinate
    sigma_normal, sigma_anomalous : (E,) complex — mean over accepted restarts
    sigma_normal_std, sigma_anomalous_std : (E,) complex — spread (std of real
        and imaginary parts separately) over accepted restarts, or None
    sigma_total, sigma_total_std : (K, E) complex
    intensity, model_intensity : (K, E)
    chi2_reduced : float — best restart
    chi2_restarts : (R,) — every restart
    accepted : (R,) bool — restarts entering the mean (χ² ≤ ACCEPT_RATIO × best)
    loss_history : (n_chunks, R)
    steps, seed : int; status : str — why the fit stopped
    config : FitConfig
    baselines : dict name -> reduced χ² (Norman, normal-only), may be empty
    params : dict of the best restart's hidden-fermion parameters (eV)
    attrs : dict — data attrs carried over
    """

    omega: np.ndarray
    eps_k: np.ndarray
    k: np.ndarray
    momentum_dim: str
    sigma_normal: np.ndarray
    sigma_anomalous: np.ndarray
    sigma_normal_std: np.ndarray | None
    sigma_anomalous_std: np.ndarray | None
    sigma_total: np.ndarray
    sigma_total_std: np.ndarray | None
    intensity: np.ndarray
    model_intensity: np.ndarray
    window_mask: np.ndarray
    chi2_reduced: float
    chi2_restarts: np.ndarray
    accepted: np.ndarray
    loss_history: np.ndarray
    steps: int
    seed: int
    status: str
    config: FitConfig
    baselines: dict
    params: dict
    attrs: dict

    def to_dataset(self):
        """The result as an :class:`xarray.Dataset` with the names of DESIGN.md §2.

        Complex quantities are stored as real ``re_*``/``im_*`` variables; the
        spreads as ``*_std`` when restarts > 1.
        """
        import xarray as xr

        dims_e, dims_ke = ("eV",), ("k", "eV")
        out = {}

        def put(name, value, dims, std=None):
            out[f"re_{name}"] = (dims, np.real(value))
            out[f"im_{name}"] = (dims, np.imag(value))
            if std is not None:
                out[f"re_{name}_std"] = (dims, np.real(std))
                out[f"im_{name}_std"] = (dims, np.imag(std))

        put("sigma_normal", self.sigma_normal, dims_e, self.sigma_normal_std)
        put("sigma_anomalous", self.sigma_anomalous, dims_e, self.sigma_anomalous_std)
        put("sigma_total", self.sigma_total, dims_ke, self.sigma_total_std)
        out["intensity"] = (dims_ke, self.intensity)
        out["model_intensity"] = (dims_ke, self.model_intensity)
        out["residual"] = (dims_ke, self.intensity - self.model_intensity)
        out["window"] = (dims_e, self.window_mask.astype(np.int8))
        out["loss"] = (("chunk", "restart"), self.loss_history)
        out["chi2_restart"] = (("restart",), self.chi2_restarts)
        out["accepted_restart"] = (("restart",), self.accepted.astype(np.int8))
        ds = xr.Dataset(
            out,
            coords={
                "eV": ("eV", self.omega, {"units": "eV"}),
                "k": ("k", self.k),
                "eps_k": ("k", self.eps_k, {"units": "eV"}),
            },
        )
        attrs = {k: v for k, v in self.attrs.items() if isinstance(v, (int, float, str, np.number))}
        attrs.update(
            chi2_reduced=float(self.chi2_reduced),
            steps=int(self.steps),
            seed=int(self.seed),
            status=self.status,
            config=self.config.to_json(),
            gauge="Re W(0) >= 0",
            params=json.dumps(self.params),
            momentum_dim=self.momentum_dim,
        )
        for name, value in self.baselines.items():
            attrs[f"chi2_reduced_{name}"] = float(value)
        ds.attrs = attrs
        for name in ("re_sigma_normal", "im_sigma_normal", "re_sigma_anomalous", "im_sigma_anomalous"):
            ds[name].attrs["units"] = "eV"
        return ds

    def save(self, path, *, protect=()):
        """Write :meth:`to_dataset` to netCDF (h5netcdf) atomically; never over a path in ``protect``."""
        from .data import to_netcdf_atomic

        return to_netcdf_atomic(self.to_dataset(), path, protect=protect)

    def cancellation(self, k_index=None):
        """Im Σ11, Im of the anomalous term W²/(ω+ε_k−Σ22) and Im Σ_tot at one k.

        Returns a dict of (E,) arrays (eV) and the chosen ``k_index`` (default:
        the EDC closest to k_F).
        """
        if k_index is None:
            k_index = int(np.argmin(np.abs(self.eps_k)))
        s11 = self.sigma_normal
        stot = self.sigma_total[k_index]
        return {
            "k_index": k_index,
            "im_sigma_normal": s11.imag,
            "im_anomalous_term": (stot - s11).imag,
            "im_sigma_total": stot.imag,
        }


# --------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------
def _problem(data, config: FitConfig):
    """Arrays of a validated cut, and the data attrs; shapes fixed per data set."""
    from .data import validate

    da = validate(
        data,
        sample_temp=config.temperature,
        energy_resolution=config.resolution,
    )
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
    temperature = float(config.temperature if config.temperature is not None else da.attrs["sample_temp"])
    resolution = float(config.resolution if config.resolution is not None else da.attrs["energy_resolution"])
    if resolution > config.max_resolution:
        raise ArpesDataError(
            f"energy_resolution {resolution} eV exceeds max_resolution={config.max_resolution} eV; raise FitConfig.max_resolution"
        )
    grid = model_grid(omega, config.max_resolution, step=config.grid_step)
    mdim = da.attrs.get("momentum_dim", "k")
    kcoord = np.asarray(da["k"].values) if "k" in da.coords else np.arange(da.sizes["k"])
    prob = {
        "omega": jnp.asarray(omega),
        "grid": jnp.asarray(grid),
        "eps": jnp.asarray(np.asarray(da["eps_k"].values, dtype=float).reshape(-1)),
        "intensity": jnp.asarray(intensity),
        "noise": jnp.asarray(noise),
    }
    meta = {"k": kcoord, "momentum_dim": str(mdim), "attrs": dict(da.attrs), "temperature": temperature, "resolution": resolution}
    return prob, meta


def window_mask(omega, window):
    """0/1 mask of the energies inside ``window`` (all ones for None)."""
    omega = np.asarray(omega)
    if window is None:
        return np.ones_like(omega)
    m = ((omega >= window[0]) & (omega <= window[1])).astype(float)
    if m.sum() < 5:
        raise ConfigError(
            f"window {window} eV holds {int(m.sum())} energies of the data ({omega.min():.3f}…{omega.max():.3f} eV); widen it"
        )
    return m


class _Engine:
    """Compiled step functions for one static shape; shared by every Fitter with that shape."""

    def __init__(self, graphdef, steps_per_call):
        self.graphdef = graphdef
        self.traces = 0
        self.tx = optax.scale_by_adam()
        self.init_opt = jax.jit(jax.vmap(self.tx.init))

        def loss_fn(state, prob, hyper):
            m = nnx.merge(graphdef, state)
            curves = _model_curves(m, prob, hyper)
            chi2n, chi2, fitted = data_term(curves, prob, hyper)
            terms = priors(m, hyper)
            loss = chi2n + sum(hyper[name] * terms[name] for name in PRIOR_NAMES)
            return loss, (chi2, terms)

        grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

        def step(carry, _, prob, hyper):
            state, opt_state, best_state, best_loss, dead = carry
            (loss, (chi2, terms)), grads = grad_fn(state, prob, hyper)
            updates, new_opt = self.tx.update(grads, opt_state, state)
            updates = jax.tree.map(lambda u: -hyper["learning_rate"] * u, updates)
            new_state = optax.apply_updates(state, updates)
            finite = jnp.isfinite(loss) & ~dead
            improved = finite & (loss < best_loss)
            best_state = jax.tree.map(lambda b, s: jnp.where(improved, s, b), best_state, state)
            best_loss = jnp.where(improved, loss, best_loss)
            keep = lambda new, old: jnp.where(finite, new, old)  # noqa: E731
            state = jax.tree.map(keep, new_state, state)
            opt_state = jax.tree.map(keep, new_opt, opt_state)
            return (state, opt_state, best_state, best_loss, ~finite), loss

        def chunk(carry, prob, hyper):
            self.traces += 1  # runs only while tracing: counts compilations
            return jax.lax.scan(lambda c, x: step(c, x, prob, hyper), carry, None, length=steps_per_call)

        self.run_chunk = jax.jit(jax.vmap(chunk, in_axes=(0, None, None)))

        def evaluate(state, prob, hyper):
            m = nnx.merge(graphdef, state)
            curves = _model_curves(m, prob, hyper)
            chi2n, chi2, fitted = data_term(curves, prob, hyper)
            s11, s22, w = m(prob["omega"])
            return {"s11": s11, "s22": s22, "w": w, "fitted": fitted, "chi2": chi2, "terms": priors(m, hyper)}

        self.evaluate = jax.jit(jax.vmap(evaluate, in_axes=(0, None, None)))


_ENGINES: dict = {}


def _engine_for(config: FitConfig, graphdef):
    key = config.static_key()
    if key not in _ENGINES:
        _ENGINES[key] = _Engine(graphdef, config.steps_per_call)
    return _ENGINES[key]


class Fitter:
    """A resumable fit: the state behind :func:`fit` and the interactive Explorer.

    ``run()`` advances all restarts by ``steps_per_call`` steps per call;
    :meth:`update` changes any non-shape setting (window, weights, learning
    rate, temperature, resolution) *without recompiling*; :meth:`reset`
    re-initialises. ``traces`` counts compilations of the step function for
    this shape (shared between Fitters of the same shape).

    Parameters
    ----------
    data : xarray.DataArray
        A cut (dims k, eV) or an EDC; validated with :func:`arpes_sigma.data.validate`.
    config : FitConfig, optional
    """

    def __init__(self, data, config: FitConfig | None = None):
        self.config = config or FitConfig()
        self.prob, self.meta = _problem(data, self.config)
        self.hyper = self._hyper(self.config)
        self.reset()

    # -- set-up ----------------------------------------------------------
    def _hyper(self, c: FitConfig):
        return {
            "mask": jnp.asarray(window_mask(np.asarray(self.prob["omega"]), c.window)),
            "learning_rate": jnp.asarray(c.learning_rate),
            "smoothness": jnp.asarray(c.smoothness),
            "gap_penalty": jnp.asarray(c.gap_penalty),
            "gap_limit": jnp.asarray(c.gap_limit),
            "l2": jnp.asarray(c.l2),
            "temperature": jnp.asarray(self.meta["temperature"] if c.temperature is None else c.temperature),
            "resolution": jnp.asarray(self.meta["resolution"] if c.resolution is None else c.resolution),
        }

    def reset(self, seed: int | None = None):
        """Re-initialise every restart (from ``seed`` if given)."""
        if seed is not None:
            self.config = self.config.replace(seed=seed)
        c = self.config
        keys = jax.random.split(jax.random.key(c.seed), c.restarts)
        spec = c.model_spec()
        graphdef = model_graphdef(spec)
        states = init_states(spec, keys)
        self.engine = _engine_for(c, graphdef)
        opt_state = self.engine.init_opt(states)
        inf = jnp.full((c.restarts,), jnp.inf, dtype=jnp.float32)
        carry = (states, opt_state, states, inf, jnp.zeros((c.restarts,), bool))
        # strong dtypes everywhere: a weakly typed leaf would retrace on the second call
        self.carry = jax.tree.map(lambda x: jnp.asarray(x, dtype=x.dtype), carry)
        self.step = 0
        self.history: list[np.ndarray] = []
        self.status = "initialised"
        self._evaluated = None
        self._t0 = time.perf_counter()

    def update(self, **changes):
        """Change settings that do not alter shapes; raises ConfigError for shape changes.

        Example: ``fitter.update(window=(-0.2, 0.02), smoothness=3.0)``.
        """
        new = self.config.replace(**changes)
        if new.static_key() != self.config.static_key():
            raise ConfigError("that change alters the model's shape; build a new Fitter (or call fit) instead")
        if new.max_resolution != self.config.max_resolution:
            raise ConfigError("max_resolution fixes the model grid; build a new Fitter to change it")
        self.config = new
        self.hyper = self._hyper(new)

    @property
    def traces(self) -> int:
        """How many times the step function has been traced (compiled) for this shape."""
        return self.engine.traces

    # -- running ---------------------------------------------------------
    def run(self) -> FitProgress:
        """Advance every restart by ``steps_per_call`` steps; return the progress."""
        before = self.engine.traces
        self.carry, losses = self.engine.run_chunk(self.carry, self.prob, self.hyper)
        losses = np.asarray(losses)  # (R, steps_per_call)
        self.step += self.config.steps_per_call
        self.history.append(losses[:, -1])
        best = np.asarray(self.carry[3])
        ib = int(np.argmin(best))
        n = float(np.sum(np.asarray(self.hyper["mask"]))) * self.prob["intensity"].shape[0]
        ev = self._evaluate_best()
        chi2r = float(ev["chi2"][ib]) / max(n - self._n_free(), 1.0)
        terms = {k: float(v[ib]) for k, v in ev["terms"].items()}
        return FitProgress(
            step=self.step,
            total=self.config.steps,
            loss=losses[:, -1],
            chi2_reduced=chi2r,
            terms=terms,
            elapsed=time.perf_counter() - self._t0,
            compiling=self.engine.traces > before,
        )

    def _evaluate_best(self):
        """The best parameters of each restart evaluated on the data.

        Cached for the current (carry, hyper) objects, so ``run()`` followed by
        ``result()`` evaluates once; any step or setting change replaces those
        objects and so recomputes.
        """
        cached = self._evaluated
        if cached is None or cached[0] is not self.carry or cached[1] is not self.hyper:
            cached = (self.carry, self.hyper, self.engine.evaluate(self.carry[2], self.prob, self.hyper))
            self._evaluated = cached
        return cached[2]

    def _n_free(self):
        spec = self.config.model_spec()
        n_model = 4 * spec.n_poles + 2 + spec.width * (spec.depth + 2)  # rough count of effective parameters
        return n_model + 2 * self.prob["intensity"].shape[0]

    @property
    def dead(self) -> np.ndarray:
        """Which restarts have stopped on a non-finite loss, shape (R,)."""
        return np.asarray(self.carry[4])

    # -- results ---------------------------------------------------------
    def result(self, baselines: dict | None = None) -> FitResult:
        """A :class:`FitResult` from the best parameters of each restart so far."""
        ev = {k: (np.asarray(v) if not isinstance(v, dict) else v) for k, v in self._evaluate_best().items()}
        c = self.config
        omega = np.asarray(self.prob["omega"])
        eps = np.asarray(self.prob["eps"])
        mask = np.asarray(self.hyper["mask"])
        s11, s22, w = ev["s11"], ev["s22"], ev["w"]
        # gauge: W -> -W leaves every observable unchanged; fix Re W(0) >= 0
        i0 = int(np.argmin(np.abs(omega)))
        w = w * np.where(w[:, i0].real < 0, -1.0, 1.0)[:, None]
        stot = np.asarray(sigma_total(omega, eps[None, :, None], s11[:, None, :], s22[:, None, :], w[:, None, :]))
        n = float(mask.sum()) * len(eps)
        chi2r = ev["chi2"] / max(n - self._n_free(), 1.0)
        finite = np.isfinite(chi2r)
        if not finite.any():
            raise ArpesDataError("every restart diverged (non-finite loss); lower learning_rate or check the data")
        ib = int(np.nanargmin(np.where(finite, chi2r, np.nan)))
        accepted = finite & (chi2r <= ACCEPT_RATIO * chi2r[ib])

        def mean_std(x):
            xa = x[accepted]
            if c.restarts == 1:
                return x[ib], None
            std = np.std(xa.real, axis=0) + 1j * np.std(xa.imag, axis=0)
            return xa.mean(axis=0), std

        sn, sn_std = mean_std(s11)
        sa, sa_std = mean_std(w)
        st, st_std = mean_std(stot)
        m = nnx.merge(self.engine.graphdef, jax.tree.map(lambda x: x[ib], self.carry[2]))
        v, lev, d, gam = (np.asarray(a).tolist() for a in m.poles())
        sign = -1.0 if np.asarray(ev["w"])[ib, i0].real < 0 else 1.0
        params = {
            "V": v,
            "eps_f": lev,
            "D": (sign * np.asarray(d)).tolist(),
            "gamma": gam,
            "static_gap": float(sign * m.gap()),
            "gamma0": float(m.floor()),
        }
        return FitResult(
            omega=omega,
            eps_k=eps,
            k=np.asarray(self.meta["k"]),
            momentum_dim=self.meta["momentum_dim"],
            sigma_normal=sn,
            sigma_anomalous=sa,
            sigma_normal_std=sn_std,
            sigma_anomalous_std=sa_std,
            sigma_total=st,
            sigma_total_std=st_std,
            intensity=np.asarray(self.prob["intensity"]),
            model_intensity=ev["fitted"][ib],
            window_mask=mask,
            chi2_reduced=float(chi2r[ib]),
            chi2_restarts=chi2r,
            accepted=accepted,
            loss_history=np.asarray(self.history) if self.history else np.zeros((0, c.restarts)),
            steps=self.step,
            seed=c.seed,
            status=self.status,
            config=c,
            baselines=dict(baselines or {}),
            params=params,
            attrs=self.meta["attrs"],
        )


def fit(data, config: FitConfig | None = None, *, callback: Callable[[FitProgress], Any] | None = None, **overrides) -> FitResult:
    """Extract Σ11(ω) and W(ω) from an ARPES cut.

    Parameters
    ----------
    data : xarray.DataArray
        Intensity with dims (k, eV) (or one EDC), coordinate ``eps_k`` (eV) and
        attrs ``sample_temp`` (K), ``energy_resolution`` (FWHM, eV); see
        :func:`arpes_sigma.data.validate`.
    config : FitConfig, optional
        Defaults to ``FitConfig()``; keyword ``overrides`` are applied on top.
    callback : callable, optional
        Called with a :class:`FitProgress` every ``steps_per_call`` steps; return
        ``False`` to stop early. This is how a progress bar or a UI follows the
        fit (``fit`` itself imports no UI).

    Returns
    -------
    FitResult
        ``status`` says why it stopped ("completed", "stopped by callback",
        "diverged ...").
    """
    config = (config or FitConfig()).replace(**overrides) if overrides else (config or FitConfig())
    fitter = Fitter(data, config)
    n_calls = -(-config.steps // config.steps_per_call)
    fitter.status = "completed"
    for _ in range(n_calls):
        progress = fitter.run()
        if fitter.dead.all():
            fitter.status = f"diverged at step {fitter.step}: the loss became non-finite in every restart; lower learning_rate (best parameters kept)"
            break
        if callback is not None and callback(progress) is False:
            fitter.status = f"stopped by callback at step {fitter.step}"
            break
    baseline_chi2 = {}
    if config.baselines:
        from .baselines import fit_baselines

        baseline_chi2 = fit_baselines(data, config, fitter=fitter)
    return fitter.result(baselines=baseline_chi2)
