"""One entry point: thermal curves of a spin model from a purified Boltzmann machine.

``thermal(model, temperatures, ThermalConfig(method=...))`` with

* ``exact`` — the deterministic network (:mod:`.network`) contracted exactly (N ≤ 12);
* ``sample`` — the deterministic transverse-field Ising network sampled by
  Markov chains (:func:`.sampling.sample_tfim_network`), any even N;
* ``variational`` — the variational machine (:mod:`.ansatz`) evolved from
  β = 0 by stochastic reconfiguration (:mod:`.variational`), periodic chains and tori;
* ``auto`` — exact for N ≤ 10, else sample (Ising chain) or variational (J1–J2).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import jax
import numpy as np
import numpy.typing as npt

from ..errors import ConfigError
from .ansatz import SYMMETRIES, check_symmetry
from .contraction import MAX_EXACT_SITES, exact_thermal
from .models import J1J2Square, TransverseFieldIsing

__all__ = ["METHODS", "SAMPLES_PER_CHAIN", "SAMPLE_CHAINS", "VARIATIONAL_CHAINS", "ThermalConfig", "ThermalResult",
           "thermal", "check_temperatures"]

METHODS = ("auto", "exact", "sample", "variational")
#: Default Markov chains of ``sample``.
SAMPLE_CHAINS = 32
#: Default chains of ``variational`` and samples per chain in each stochastic-reconfiguration stage:
#: on the 4 × 4 J1–J2 torus (α = 4) 8192 samples from 512 chains took E at T = 2 from 2.3 %
#: (2048 samples from 32 chains) to 1.1 % off exact diagonalisation, in about 3 min for three
#: temperatures (README).
VARIATIONAL_CHAINS, SAMPLES_PER_CHAIN = 512, 16


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _is_real(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


@dataclasses.dataclass(frozen=True)
class ThermalConfig:
    """Settings of a purified-machine calculation (validated on construction).

    Parameters
    ----------
    method : {"auto", "exact", "sample", "variational"}
    trotter_step : float
        Largest Trotter step τ of the deterministic network, 0 < τ ≤ 0.5 (β = 2mτ).
    sweeps : int
        ``sample``: measured sweeps per chain.
    chains : int, optional
        Markov chains (``sample`` and ``variational``); by default
        :data:`SAMPLE_CHAINS` (32) for ``sample`` and :data:`VARIATIONAL_CHAINS`
        (512) for ``variational`` (:meth:`resolved`).
    burn_in : int or None
        ``sample``: discarded sweeps per chain (default sweeps // 4).
    features : int
        ``variational``: hidden-unit feature maps α (α·G hidden units, G the order of ``symmetry``).
    symmetry : {"translation", "swap", "space", "full"}
        ``variational``: the group each hidden feature is shared over
        (:func:`~.ansatz.machine_for`): translations (G = N), translations × σ ↔ a
        (J1–J2 only, G = 2N), the space group, or the space group × σ ↔ a (J1–J2
        only; the Ising chain gets the space group).
    beta_step : float
        ``variational``: step Δβ of the imaginary-time integration.
    samples : int, optional
        ``variational``: samples per stochastic-reconfiguration stage (a multiple of ``chains``);
        by default :data:`SAMPLES_PER_CHAIN` (16) per chain, 8192 from the default 512 chains.
    measure_sweeps : int
        ``variational``: sweeps per chain measured at each requested temperature.
    diag_shift : float
        ``variational``: relative diagonal shift of S.
    seed : int
        Seed of the chains and of the hidden units' starting weights.
    """

    method: str = "auto"
    trotter_step: float = 0.05
    sweeps: int = 2000
    chains: int | None = None
    burn_in: int | None = None
    features: int = 4
    symmetry: str = "translation"
    beta_step: float = 0.05
    samples: int | None = None
    measure_sweeps: int = 64
    diag_shift: float = 1e-3
    seed: int = 0

    def __post_init__(self):
        if self.method not in METHODS:
            raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        checks = [
            ("trotter_step", _is_real(self.trotter_step) and 0 < self.trotter_step <= 0.5, "in (0, 0.5], e.g. 0.05"),
            ("sweeps", _is_int(self.sweeps) and self.sweeps >= 16, "an integer >= 16, e.g. 2000"),
            ("chains", self.chains is None or (_is_int(self.chains) and self.chains >= 2),
             "an integer >= 2, e.g. 32"),
            ("burn_in", self.burn_in is None or (_is_int(self.burn_in) and self.burn_in >= 0), "an integer >= 0"),
            ("features", _is_int(self.features) and 0 <= self.features <= 16, "an integer in [0, 16], e.g. 4"),
            ("beta_step", _is_real(self.beta_step) and 0 < self.beta_step <= 0.2, "in (0, 0.2], e.g. 0.05"),
            ("samples", self.samples is None or (_is_int(self.samples) and self.samples >= 64),
             "an integer >= 64, e.g. 8192"),
            ("measure_sweeps", _is_int(self.measure_sweeps) and self.measure_sweeps >= 16, "an integer >= 16"),
            ("diag_shift", _is_real(self.diag_shift) and 0 <= self.diag_shift < 1, "in [0, 1), e.g. 1e-3"),
            ("seed", _is_int(self.seed) and self.seed >= 0, "an integer >= 0"),
        ]
        checks.append(("symmetry", self.symmetry in SYMMETRIES, "one of " + ", ".join(SYMMETRIES)))
        for name, ok, hint in checks:
            if not ok:
                raise ConfigError(f"{name} must be {hint}; got {getattr(self, name)!r}")
        # samples are the variational path's (``sample`` draws sweeps × chains and ignores them)
        if self.method != "sample" and self.samples is not None and self.samples % (self.chains or VARIATIONAL_CHAINS):
            raise ConfigError(f"samples ({self.samples}) must be a multiple of chains "
                              f"({self.chains or VARIATIONAL_CHAINS}); e.g. 8192 from 512 chains")

    def resolved(self, model: TransverseFieldIsing | J1J2Square) -> ThermalConfig:
        """The configuration with the method chosen for ``model`` and the method's defaults filled in.

        ``method`` becomes the one used (:meth:`resolved_method`); ``chains`` and
        ``samples`` left at None take :data:`SAMPLE_CHAINS` (``sample``) or
        :data:`VARIATIONAL_CHAINS` and :data:`SAMPLES_PER_CHAIN` per chain
        (``variational``), and stay None where the method does not use them.
        What :attr:`ThermalResult.config` holds.
        """
        method = self.resolved_method(model)
        chains, samples = self.chains, self.samples
        if method == "sample":
            chains = chains or SAMPLE_CHAINS
        elif method == "variational":
            chains = chains or VARIATIONAL_CHAINS
            samples = samples or SAMPLES_PER_CHAIN * chains  # a given one is checked against these chains already
        return dataclasses.replace(self, method=method, chains=chains, samples=samples)

    def resolved_method(self, model: TransverseFieldIsing | J1J2Square) -> str:
        """The method used for ``model``; raises :class:`ConfigError` for impossible combinations."""
        n = model.n_sites
        method = self.method
        if method == "auto":
            method = "exact" if n <= 10 else ("sample" if isinstance(model, TransverseFieldIsing) else "variational")
        if method == "exact" and n > MAX_EXACT_SITES:
            raise ConfigError(
                f"exact contraction of the network for {n} sites needs 4^{n} amplitudes; use at most "
                f"{MAX_EXACT_SITES} sites, or method 'sample' (tfim) / 'variational'"
            )
        if method == "sample":
            if not isinstance(model, TransverseFieldIsing):
                raise ConfigError(
                    "sampling the deterministic J1-J2 network has a sign problem (complex weights); "
                    "use method 'variational' or 'exact'"
                )
            if model.field == 0:
                raise ConfigError("sampling needs a nonzero transverse field; use method 'exact' for h = 0")
            if model.periodic and n % 2:
                raise ConfigError("checkerboard sampling needs an even number of sites on a periodic chain; use even N")
        if method == "variational":
            if isinstance(model, TransverseFieldIsing) and not model.periodic:
                raise ConfigError(
                    "the variational machine uses translation symmetry; use a periodic chain (drop --open)"
                )
            check_symmetry(model, self.symmetry)
        return method


@dataclasses.dataclass(frozen=True)
class ThermalResult:
    """Thermal curves per site (k_B = 1), in the order of the requested temperatures.

    Attributes
    ----------
    temperature, energy, energy_err, specific_heat, specific_heat_err : numpy.ndarray, shape (T,)
        Errors are one standard error from the Markov chains, autocorrelation
        included (0 for ``exact``).
    tau_int : numpy.ndarray, shape (T,)
        Integrated autocorrelation time of the energy series (sweeps; 0 for ``exact``).
    observables : dict[str, numpy.ndarray]
        ``sample``: ``mx`` = ⟨σˣ⟩, ``mz2`` = ⟨(Σσᶻ/N)²⟩ and their ``*_err``.
    n_steps : numpy.ndarray of int, shape (T,)
        Trotter steps of the network (exact, sample) or integration steps from β = 0 (variational).
    seconds_per_temperature : numpy.ndarray, shape (T,)
        Wall time spent on each temperature (variational: the evolution up to it
        and its measurement).
    units : dict[str, int]
        Unit counts of the network at the lowest temperature.
    weights : dict[str, numpy.ndarray]
        ``variational``: the machine's weights at the lowest temperature (else empty).
    method : str
    config : ThermalConfig
        The configuration that ran (:meth:`ThermalConfig.resolved`: method and defaults filled in).
    seconds : float
        Wall time including JIT compilation.
    """

    temperature: np.ndarray
    energy: np.ndarray
    energy_err: np.ndarray
    specific_heat: np.ndarray
    specific_heat_err: np.ndarray
    tau_int: np.ndarray
    observables: dict
    n_steps: np.ndarray
    seconds_per_temperature: np.ndarray
    units: dict
    weights: dict
    method: str
    config: ThermalConfig
    seconds: float


def check_temperatures(temperatures: npt.ArrayLike) -> np.ndarray:
    """Temperatures as a float64 array, shape (T,); :class:`ConfigError` unless all finite and > 0."""
    t = np.atleast_1d(np.asarray(temperatures, dtype=np.float64))
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ConfigError("temperatures must be a non-empty list of finite values > 0; e.g. 0.25,0.5,1")
    return t


def thermal(
    model: TransverseFieldIsing | J1J2Square,
    temperatures: npt.ArrayLike,
    config: ThermalConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ThermalResult:
    """Energy and specific heat per site from a purified Boltzmann machine.

    Parameters
    ----------
    model : TransverseFieldIsing or J1J2Square
    temperatures : array_like, shape (T,)
        Temperatures > 0 (k_B = 1), any order.
    config : ThermalConfig, optional
    progress : callable, optional
        ``progress(done, total)`` as the work advances.

    Returns
    -------
    ThermalResult
    """
    cfg = config or ThermalConfig()
    if not isinstance(cfg, ThermalConfig):
        raise ConfigError("config must be a ThermalConfig; build one with ThermalConfig(method=...)")
    if not isinstance(model, (TransverseFieldIsing, J1J2Square)):
        raise ConfigError(f"unknown model {type(model).__name__}; use TransverseFieldIsing or J1J2Square")
    t = check_temperatures(temperatures)
    cfg = cfg.resolved(model)
    method = cfg.method
    start = time.perf_counter()
    nt = t.size
    zeros = np.zeros(nt)
    observables: dict = {}
    units: dict = {}
    weights: dict = {}
    if method == "exact":
        per = np.zeros(nt)
        out = exact_thermal(model, t, cfg.trotter_step, progress)
        per[:] = (time.perf_counter() - start) / nt
        res = dict(energy=out["energy"], energy_err=zeros, specific_heat=out["specific_heat"],
                   specific_heat_err=zeros.copy(), tau_int=zeros.copy(), n_steps=out["n_steps"])
        if isinstance(model, TransverseFieldIsing) and out["n_steps"].max() > 0:
            from .network import tfim_network

            units = tfim_network(model, int(out["n_steps"].max()), cfg.trotter_step).counts()
    elif method == "sample":
        from .sampling import sample_tfim_network

        keys = jax.random.split(jax.random.key(cfg.seed), nt)
        burn = cfg.burn_in if cfg.burn_in is not None else max(cfg.sweeps // 4, 100)
        rows, per = [], np.zeros(nt)
        for j in range(nt):
            t0 = time.perf_counter()
            rows.append(sample_tfim_network(model, 1.0 / t[j], cfg.trotter_step, cfg.chains, cfg.sweeps, burn, keys[j]))
            per[j] = time.perf_counter() - t0
            if progress is not None:
                progress(j + 1, nt)
        res = {k: np.array([r[k] for r in rows]) for k in
               ("energy", "energy_err", "specific_heat", "specific_heat_err", "tau_int", "n_steps")}
        observables = {k: np.array([r[k] for r in rows]) for k in ("mx", "mx_err", "mz2", "mz2_err")}
        units = rows[int(np.argmin(t))]["units"]
    else:
        from .variational import evolve

        out = evolve(model, t, cfg, progress)
        per = out.pop("seconds_per_temperature")
        units = out.pop("units")
        weights = out.pop("params")
        res = out
    return ThermalResult(
        temperature=t,
        observables=observables,
        seconds_per_temperature=per,
        units=units,
        weights=weights,
        method=method,
        config=cfg,
        seconds=time.perf_counter() - start,
        **{k: np.asarray(v) for k, v in res.items()},
    )
