"""The resumable fit behind :func:`fit`, the Explorer and fit-many: :class:`Fitter`.

A :class:`Fitter` owns one problem (a validated cut), one configuration and a
typed :class:`~arpes_sigma.fitting.engine.FitState`; :meth:`Fitter.run`
advances every restart by ``steps_per_call`` steps, :meth:`Fitter.update`
changes any non-shape setting without recompiling, :meth:`Fitter.snapshot` /
:meth:`Fitter.restore` carry progress between Fitters, and
:class:`arpes_sigma.fitting.stack.FitterStack` runs several Fitters of one
shape as one compiled program. :func:`drive` is the one fit loop (stop rule
included) that all of them use.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, Protocol

import jax
import numpy as np

from ..errors import ArpesDataError, ConfigError
from ..model import floor, gap, n_params, poles
from ..physics import sigma_total
from .config import FitConfig
from .engine import Engine, Evaluation, FitState, engine_for
from .loss import reduced_chi2
from .problem import Problem, ProblemInfo, build_problem, make_settings
from .result import FitResult

__all__ = ["ACCEPT_RATIO", "DIVERGED", "FitProgress", "FitSnapshot", "Fitter", "drive", "fit"]

#: Relative χ² tolerance for a restart to enter the mean/spread: restarts whose
#: final χ²_red exceeds ``ACCEPT_RATIO`` × the best one are stuck in a visibly
#: worse local minimum and are reported but not averaged.
ACCEPT_RATIO = 1.25

DIVERGED = (
    "diverged at step {step}: the loss became non-finite in every restart; lower learning_rate "
    "(best parameters kept)"
)


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
class FitSnapshot:
    """Progress of a :class:`Fitter` that another Fitter of the same shape can continue from."""

    state: FitState
    step: int
    history: tuple[np.ndarray, ...]
    status: str


class Runner(Protocol):
    """What :func:`drive` needs: one chunk of steps, and whether every restart has died."""

    status: str
    step: int

    def run(self) -> Any: ...

    @property
    def all_dead(self) -> bool: ...


def drive(runner: Runner, n_calls: int, callback: Callable[[Any], Any] | None = None) -> str:
    """The fit loop: ``n_calls`` chunks, stopping early on divergence or when ``callback`` returns False.

    Returns the status ("completed", "stopped by callback at step …",
    "diverged at step …") and sets it on ``runner``.
    """
    runner.status = "completed"
    for _ in range(n_calls):
        progress = runner.run()
        if runner.all_dead:
            runner.status = DIVERGED.format(step=runner.step)
            break
        if callback is not None and callback(progress) is False:
            runner.status = f"stopped by callback at step {runner.step}"
            break
    return runner.status


class Fitter:
    """A resumable fit: the state behind :func:`fit`, the Explorer and fit-many.

    ``run()`` advances all restarts by ``steps_per_call`` steps per call;
    :meth:`update` changes any non-shape setting (window, weights, learning
    rate, temperature, resolution) *without recompiling*; :meth:`reset`
    re-initialises. ``traces`` counts compilations of the step function for
    this shape (shared between Fitters of the same shape).

    Parameters
    ----------
    data : xarray.DataArray
        A cut (dims k, eV) or an EDC; validated with :func:`arpes_sigma.validate`.
    config : FitConfig, optional

    Attributes
    ----------
    config : FitConfig
    problem : Problem
        The data arrays (traced).
    info : ProblemInfo
        Momentum coordinate, data attrs, temperature and resolution of the data.
    settings : Settings
        The traced settings of ``config``.
    state : FitState
        Parameters, optimizer state and best parameters of every restart.
    step : int
        Steps done per restart.
    history : list of (R,) arrays
        Loss of every restart after each chunk.
    status : str
        Why the last :func:`drive` stopped ("initialised" before any).
    """

    def __init__(self, data: Any, config: FitConfig | None = None):
        self.config = config or FitConfig()
        self.problem, self.info = build_problem(data, self.config)
        self.settings = make_settings(self.config, self.problem, self.info)
        self.reset()

    @classmethod
    def from_problem(cls, problem: Problem, info: ProblemInfo, config: FitConfig) -> Fitter:
        """A Fitter on an already built problem (no validation again)."""
        self = cls.__new__(cls)
        self.config, self.problem, self.info = config, problem, info
        self.settings = make_settings(config, problem, info)
        self.reset()
        return self

    # -- set-up ----------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Re-initialise every restart (from ``seed`` if given)."""
        if seed is not None:
            self.config = self.config.replace(seed=seed)
        c = self.config
        self.engine: Engine = engine_for(c)
        self.state: FitState = self.engine.init_state(jax.random.split(jax.random.key(c.seed), c.restarts))
        self.step = 0
        self.history: list[np.ndarray] = []
        self.status = "initialised"
        self._evaluated: tuple | None = None
        self._t0 = time.perf_counter()

    def update(self, **changes: Any) -> None:
        """Change settings that do not alter shapes; raises ConfigError for shape changes.

        Example: ``fitter.update(window=(-0.2, 0.02), smoothness=3.0)``.
        """
        new = self.config.replace(**changes)
        if new.static_key() != self.config.static_key():
            raise ConfigError("that change alters the model's shape; build a new Fitter (or call fit) instead")
        if new.max_resolution != self.config.max_resolution or new.grid_step != self.config.grid_step:
            raise ConfigError("max_resolution and grid_step fix the model grid; build a new Fitter to change them")
        if new.noise != self.config.noise:
            raise ConfigError("the noise level is part of the problem; build a new Fitter to change it")
        self.config = new
        self.settings = make_settings(new, self.problem, self.info)

    def snapshot(self) -> FitSnapshot:
        """The progress so far (state, step, loss history, status), for :meth:`restore`."""
        return FitSnapshot(self.state, self.step, tuple(self.history), self.status)

    def restore(self, snapshot: FitSnapshot) -> None:
        """Continue from ``snapshot`` (taken from a Fitter with the same shape and restarts)."""
        want = jax.tree.map(lambda x: (x.shape, x.dtype), self.state)
        got = jax.tree.map(lambda x: (x.shape, x.dtype), snapshot.state)
        if want != got:
            raise ConfigError("that snapshot comes from a fit of another shape; build a Fitter of that shape")
        self.state, self.step, self.status = snapshot.state, snapshot.step, snapshot.status
        self.history = list(snapshot.history)
        self._evaluated = None

    @property
    def traces(self) -> int:
        """How many times the step function has been traced (compiled) for this shape."""
        return self.engine.traces

    @property
    def n_params(self) -> float:
        """Free parameters of the self-energy model (without a_k, b_k), for the reduced χ²."""
        return n_params(self.config.model_spec())

    # -- running ---------------------------------------------------------
    def run(self) -> FitProgress:
        """Advance every restart by ``steps_per_call`` steps; return the progress."""
        before = self.engine.traces
        self.state, losses = self.engine.run_chunk(self.state, self.problem, self.settings)
        return self._advanced(np.asarray(losses), compiling=self.engine.traces > before)

    def _advanced(self, losses: np.ndarray, *, compiling: bool = False) -> FitProgress:
        """Book-keeping after a chunk (losses (R, steps_per_call)); the progress report."""
        self.step += self.config.steps_per_call
        self.history.append(losses[:, -1])
        ib = int(np.argmin(np.asarray(self.state.best_loss)))
        ev = self.evaluate_best()
        return FitProgress(
            step=self.step,
            total=self.config.steps,
            loss=losses[:, -1],
            chi2_reduced=float(self.reduced_chi2(ev.chi2)[ib]),
            terms={k: float(v[ib]) for k, v in ev.terms.items()},
            elapsed=time.perf_counter() - self._t0,
            compiling=compiling,
        )

    def reduced_chi2(self, chi2: Any) -> np.ndarray:
        """χ²_red of χ² values of this problem (window, EDCs and model size of this Fitter)."""
        return reduced_chi2(chi2, self.settings.mask, self.problem.n_k, self.n_params)

    def evaluate_best(self) -> Evaluation:
        """The best parameters of each restart evaluated on the data (cached until the state or settings change)."""
        cached = self._evaluated
        if cached is None or cached[0] is not self.state or cached[1] is not self.settings:
            ev = self.engine.evaluate(self.state.best_params, self.problem, self.settings)
            cached = (self.state, self.settings, ev)
            self._evaluated = cached
        return cached[2]

    @property
    def dead(self) -> np.ndarray:
        """Which restarts have stopped on a non-finite loss, shape (R,)."""
        return np.asarray(self.state.dead)

    @property
    def all_dead(self) -> bool:
        """True when every restart has stopped on a non-finite loss."""
        return bool(self.dead.all())

    # -- results ---------------------------------------------------------
    def result(self, baselines: dict | None = None) -> FitResult:
        """A :class:`FitResult` from the best parameters of each restart so far."""
        ev = jax.tree.map(np.asarray, self.evaluate_best())
        c = self.config
        omega = np.asarray(self.problem.omega)
        eps = np.asarray(self.problem.eps)
        mask = np.asarray(self.settings.mask)
        s11, s22, w = ev.s11, ev.s22, ev.w
        # gauge: W -> -W leaves every observable unchanged; fix Re W(0) >= 0
        i0 = int(np.argmin(np.abs(omega)))
        flip = np.where(w[:, i0].real < 0, -1.0, 1.0)
        w = w * flip[:, None]
        stot = np.asarray(sigma_total(omega, eps[None, :, None], s11[:, None, :], s22[:, None, :], w[:, None, :]))
        chi2r = self.reduced_chi2(ev.chi2)
        finite = np.isfinite(chi2r)
        if not finite.any():
            raise ArpesDataError("every restart diverged (non-finite loss); lower learning_rate or check the data")
        ib = int(np.nanargmin(np.where(finite, chi2r, np.nan)))
        accepted = finite & (chi2r <= ACCEPT_RATIO * chi2r[ib])

        def mean_std(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
            xa = x[accepted]
            if c.restarts == 1:
                return x[ib], None
            std = np.std(xa.real, axis=0) + 1j * np.std(xa.imag, axis=0)
            return xa.mean(axis=0), std

        sn, sn_std = mean_std(s11)
        sa, sa_std = mean_std(w)
        st, st_std = mean_std(stot)
        best = jax.tree.map(lambda x: x[ib], self.state.best_params)
        spec = c.model_spec()
        v, lev, d, gam = (np.asarray(a).tolist() for a in poles(best, spec))
        sign = float(flip[ib])
        params = {
            "V": v,
            "eps_f": lev,
            "D": (sign * np.asarray(d)).tolist(),
            "gamma": gam,
            "static_gap": float(sign * gap(best, spec)),
            "gamma0": float(floor(best)),
        }
        return FitResult(
            omega=omega,
            eps_k=eps,
            k=np.asarray(self.info.k),
            momentum_dim=self.info.momentum_dim,
            sigma_normal=sn,
            sigma_anomalous=sa,
            sigma_normal_std=sn_std,
            sigma_anomalous_std=sa_std,
            sigma_total=st,
            sigma_total_std=st_std,
            intensity=np.asarray(self.problem.intensity),
            model_intensity=ev.fitted[ib],
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
            attrs=self.info.attrs,
        )


def fit(
    data: Any,
    config: FitConfig | None = None,
    *,
    callback: Callable[[FitProgress], Any] | None = None,
    **overrides: Any,
) -> FitResult:
    """Extract Σ11(ω) and W(ω) from an ARPES cut (one fit; see also :func:`arpes_sigma.fit_with_baselines`).

    Parameters
    ----------
    data : xarray.DataArray
        Intensity with dims (k, eV) (or one EDC), coordinate ``eps_k`` (eV) and
        attrs ``sample_temp`` (K), ``energy_resolution`` (FWHM, eV); see
        :func:`arpes_sigma.validate`.
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
    config = config or FitConfig()
    if overrides:
        config = config.replace(**overrides)
    fitter = Fitter(data, config)
    drive(fitter, -(-config.steps // config.steps_per_call), callback)
    return fitter.result()
