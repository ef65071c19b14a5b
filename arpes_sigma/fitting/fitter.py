"""The resumable fit behind :func:`fit`, the Explorer and fit-many: :class:`Fitter`.

A :class:`Fitter` owns one problem (a validated cut), one configuration and a
typed :class:`~arpes_sigma.fitting.engine.FitState` holding ``restarts`` fits
of the paired model and as many of the normal-only model (W ≡ 0), started from
the same initial parameters — equal effort, one compiled program.
:meth:`Fitter.run` advances all of them by ``steps_per_call`` solver steps;
:meth:`Fitter.update` changes any non-shape setting without recompiling;
:meth:`Fitter.snapshot` / :meth:`Fitter.restore` carry progress between
Fitters; :meth:`Fitter.result` turns the state into a :class:`FitResult` with
the evidence for pairing and both kinds of error bar. :func:`drive` is the
one fit loop (stop rule included) that every caller uses.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, Protocol

import jax
import numpy as np

from ..errors import ArpesDataError, ConfigError
from ..model import POLE_LEAVES
from .config import FitConfig
from .engine import Engine, Evaluation, FitState, engine_for, select_rows, strong
from .problem import Problem, ProblemInfo, build_problem, fitted_background, make_settings, window_mask
from .result import FitResult
from .summary import summarise

__all__ = ["DIVERGED", "FitProgress", "FitSnapshot", "Fitter", "drive", "fit"]

#: A fit with an energy-dependent background (``FitConfig.background`` other than "constant") runs this
#: fraction of its step budget with one background function per EDC, then releases the other rows.
BACKGROUND_RELEASE = 0.25

DIVERGED = "diverged at step {step}: the cost became non-finite in every restart (best parameters kept); check the data"


@dataclasses.dataclass(frozen=True)
class FitProgress:
    """What a callback receives after every ``steps_per_call`` solver steps.

    Attributes
    ----------
    step, total : int
        Solver steps done and the most that will be taken (per restart).
    cost : numpy array, shape (2R,)
        ½‖r‖² of each restart (first R paired, then R normal-only).
    chi2_reduced : float
        The best paired restart's χ²/N so far (N points in the window).
    terms : dict
        That restart's prior terms (½Σr²/N).
    converged : int
        Restarts whose solver has converged.
    elapsed : float, s
    compiling : bool
        True on the call that triggered a compilation.
    """

    step: int
    total: int
    cost: np.ndarray
    chi2_reduced: float
    terms: dict
    converged: int
    elapsed: float
    compiling: bool = False

    @property
    def loss(self) -> np.ndarray:
        """The cost per restart (an alias kept for progress displays)."""
        return self.cost


@dataclasses.dataclass(frozen=True)
class FitSnapshot:
    """Progress of a :class:`Fitter` that another Fitter of the same shape can continue from.

    ``released`` (the whole background basis is fitted, :attr:`Fitter.released`) and ``seeded_at``
    (:attr:`Fitter.seeded_at`) are the fit's stages: neither follows from ``step`` alone, since the
    background is released early and cross-seeding comes early when every restart has converged.
    """

    state: FitState
    step: int
    history: tuple[np.ndarray, ...]
    status: str
    released: bool
    seeded_at: int | None


class Runner(Protocol):
    """What :func:`drive` needs: one chunk of steps, a step count, and whether there is anything left to do."""

    status: str
    step: int

    def run(self) -> Any: ...

    @property
    def all_dead(self) -> bool: ...

    @property
    def finished(self) -> bool: ...


def drive(runner: Runner, n_calls: int, callback: Callable[[Any], Any] | None = None) -> str:
    """The fit loop: up to ``n_calls`` chunks, until every restart has converged or died.

    ``callback`` (given each chunk's progress) may return False to stop early.

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
        if runner.finished:
            break
    return runner.status


class Fitter:
    """A resumable fit: the state behind :func:`fit`, the Explorer and fit-many.

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
        Every restart: the first ``restarts`` fit the paired model, the next
        ``restarts`` the normal-only model from the same starting points.
    step : int
        Solver steps done per restart.
    history : list of (2R,) arrays
        Cost of every restart after each chunk.
    status : str
        Why the last :func:`drive` stopped ("initialised" before any).
    """

    def __init__(self, data: Any, config: FitConfig | None = None):
        self.config = config or FitConfig()
        self.problem, self.info = build_problem(data, self.config)
        self.reset()

    @classmethod
    def from_problem(cls, problem: Problem, info: ProblemInfo, config: FitConfig) -> Fitter:
        """A Fitter on an already built problem (no validation again)."""
        self = cls.__new__(cls)
        self.config, self.problem, self.info = config, problem, info
        self.reset()
        return self

    @property
    def release_step(self) -> int:
        """The step after which an energy-dependent background is fitted in full (0: from the start).

        Fitted from the first step, the edge or Shirley rows of the background
        can take up the spectrum's own edge and tail while the model is still
        far off, and the fit settles where the background explains the data
        (measured: χ²_red 13 instead of 1.16 on a 5-EDC cut whose background
        the basis spans exactly). So the first :data:`BACKGROUND_RELEASE` of the
        step budget (at least one chunk) fits one background function per EDC
        — the principal direction of its basis over the window
        (:func:`~arpes_sigma.fitting.problem.orthonormal_rows`) — and then the
        whole basis (a continuation). It is released earlier if every restart
        has converged before that step. The path matters: starting from the
        constant alone instead (Gram–Schmidt order) left the package's raw
        export (``benchmarks/bench_raw_recovery.py``) at χ²_red 1.07 with
        relative L2 0.62 / 0.78 (Im Σ11 / Im W) against 1.00 and 0.24 / 0.39.
        """
        c = self.config
        if c.background == "constant":
            return 0
        return c.steps_per_call * max(1, round(BACKGROUND_RELEASE * c.steps / c.steps_per_call))

    @property
    def released(self) -> bool:
        """Whether the whole background basis is fitted now (see :attr:`release_step`)."""
        return self._released

    @property
    def final_settings(self) -> Any:
        """The settings a fit of the current configuration ends with (the whole background basis released)."""
        return make_settings(self.config, self.problem, self.info, released=True)

    def _settings(self, config: FitConfig | None = None) -> Any:
        return make_settings(config or self.config, self.problem, self.info, released=self._released)

    def _release(self) -> None:
        """Fit the whole background basis from now on (a new objective: the solver restarts)."""
        self._released = True
        self.settings = self._settings()
        self.state = self.engine.restart_solver(self.state, self.problem, self.settings)
        self._evaluated = None

    # -- set-up ----------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Re-initialise every restart (from ``seed`` if given).

        Restart i of each model starts from key i; even restarts start weakly
        paired (|c| = 0.15, Δ0 = 1 meV), odd ones strongly paired (|c| = 0.54,
        Δ0 = 5 meV), so pairing can grow or die away. (A start with no pairing
        at all is a stationary point of the paired model — W enters the
        spectrum squared — and would never leave the normal-only optimum.)
        """
        if seed is not None:
            self.config = self.config.replace(seed=seed)
        c = self.config
        r = c.restarts
        paired_start = np.tile(np.arange(r) % 2 == 1, 2)
        pairing = np.concatenate([np.ones(r), np.zeros(r)]).astype(np.float32)
        self.step = 0
        self._released = self.release_step == 0
        self.settings = self._settings()
        self.engine: Engine = engine_for(c)
        self.state: FitState = self.engine.init_state(c.seed, pairing, paired_start, self.problem, self.settings)
        self.history: list[np.ndarray] = []
        self.status = "initialised"
        self._seeded_at: int | None = None
        self._evaluated: tuple | None = None
        self._t0 = time.perf_counter()

    def update(self, **changes: Any) -> None:
        """Change settings that do not alter shapes; raises ConfigError for shape changes.

        Example: ``fitter.update(window=(-0.2, 0.02), smoothness=3.0)``. The
        solver continues from where it is (converged restarts are woken up).
        """
        new = self.config.replace(**changes)
        if new.static_key() != self.config.static_key():
            raise ConfigError("that change alters the model's shape; build a new Fitter (or call fit) instead")
        if new.max_resolution != self.config.max_resolution or new.grid_step != self.config.grid_step:
            raise ConfigError("max_resolution and grid_step fix the model grid; build a new Fitter to change them")
        if (new.noise, new.background, new.amplitude) != (self.config.noise, self.config.background,
                                                           self.config.amplitude):
            raise ConfigError("the noise level, the background model and the amplitude model are part of the "
                              "problem; build a new Fitter to change them")
        settings = self._settings(new)  # raises before anything changes (a resolution past the grid's)
        if self._background_inputs(new) != self._background_inputs(self.config):
            self.problem = self._problem_background(new)
        self.config, self.settings = new, settings
        # the objective changed: restart the solver's own state from the current parameters
        self.state = self.engine.restart_solver(self.state, self.problem, self.settings)
        self._evaluated = None

    def _background_inputs(self, config: FitConfig) -> tuple:
        """What :attr:`Problem.background` depends on besides the data: window, temperature (K), resolution (eV)."""
        return (config.window, self.info.temperature if config.temperature is None else config.temperature,
                self.info.resolution if config.resolution is None else config.resolution)

    def _problem_background(self, config: FitConfig) -> Problem:
        """The problem with its background basis rebuilt for ``config``'s window, temperature and resolution.

        Built once with the data's values (:func:`~arpes_sigma.fitting.problem.build_problem`), the edge
        would stay at the old temperature and resolution when the Explorer's sliders move them, and the
        Shirley integral and the orthonormal weights at the old window.
        """
        p = self.problem
        omega, intensity, noise = (np.asarray(a, float) for a in (p.omega, p.intensity, p.noise))
        window, temperature, resolution = self._background_inputs(config)
        offset = None if p.energy_offset is None else np.asarray(p.energy_offset, float)
        return dataclasses.replace(p, background=fitted_background(
            omega, intensity, noise, config.background, window_mask(omega, window), temperature, resolution, offset))

    def snapshot(self) -> FitSnapshot:
        """The progress so far (state, step, cost history, status, stages), for :meth:`restore`."""
        return FitSnapshot(self.state, self.step, tuple(self.history), self.status, self._released, self._seeded_at)

    def restore(self, snapshot: FitSnapshot) -> None:
        """Continue from ``snapshot`` (taken from a Fitter with the same shape and restarts)."""
        want = jax.tree.map(lambda x: (x.shape, x.dtype), self.state)
        got = jax.tree.map(lambda x: (x.shape, x.dtype), snapshot.state)
        if want != got:
            raise ConfigError("that snapshot comes from a fit of another shape; build a Fitter of that shape")
        self.state, self.step, self.status = snapshot.state, snapshot.step, snapshot.status
        self.history = list(snapshot.history)
        # the solver state is the snapshot's, made for the snapshot's stage of the background: keep both
        self._released = snapshot.released or self.release_step == 0
        self._seeded_at = snapshot.seeded_at
        self.settings = self._settings()
        self._evaluated = None

    @property
    def traces(self) -> int:
        """How many times the step function has been traced (compiled) for this shape."""
        return self.engine.traces

    # -- running ---------------------------------------------------------
    def run(self) -> FitProgress:
        """Advance every restart by ``steps_per_call`` solver steps; return the progress."""
        before = self.engine.traces
        self.state = self.engine.run_chunk(self.state, self.problem, self.settings)
        return self.advanced(compiling=self.engine.traces > before)

    def advanced(self, *, compiling: bool = False) -> FitProgress:
        """Book-keeping after a chunk: step count, cost history, cross-seeding and the progress report."""
        self.step += self.config.steps_per_call
        if not self._released and (self.step >= self.release_step or self._stopped):
            self._release()
        self.cross_seed()
        cost = np.asarray(self.state.cost)
        self.history.append(cost)
        r = self.config.restarts
        ev = self.evaluate()
        ib = int(np.nanargmin(np.where(np.isfinite(cost[:r]), cost[:r], np.nan))) if np.isfinite(cost[:r]).any() else 0
        n = float(np.sum(np.asarray(self.settings.mask))) * self.problem.n_k
        return FitProgress(
            step=self.step,
            total=self.config.steps,
            cost=cost,
            chi2_reduced=float(np.asarray(ev.chi2)[ib]) / max(n, 1.0),
            terms={k: float(np.asarray(v)[ib]) for k, v in ev.terms.items()},
            converged=int(np.sum(np.asarray(self.state.done))),
            elapsed=time.perf_counter() - self._t0,
            compiling=compiling,
        )

    @property
    def seeded(self) -> bool:
        """Whether :meth:`cross_seed` has re-seeded this fit."""
        return self._seeded_at is not None

    @property
    def seeded_at(self) -> int | None:
        """Index into :attr:`history` of the first cost after re-seeding (None before it)."""
        return self._seeded_at

    def cross_seed(self) -> bool:
        """Restart the worst fit of each model from the other model's best, the next worst with a pole fewer.

        Done once, when every restart has converged or 60 % of the step budget
        is spent, and only with two or more restarts per model (the best of
        each model is never overwritten).

        * The worst paired fit restarts from the best normal-only optimum (with
          weak pairing), and vice versa. The normal-only model is the paired
          model with W ≡ 0, so the paired fit can always reach the normal-only
          optimum and the normal-only fit the pairing-free part of the paired
          optimum: neither model loses the comparison to the other because its
          own restarts missed a basin the other found.
        * With three or more restarts and two or more poles, the second-worst
          fit of each model restarts from its model's best with its weakest
          hidden fermion (smallest |V|) removed: every leaf of that pole set to
          zero. A pole with V = 0 stays there (the spectrum depends on V², so
          its Jacobian column vanishes and its prior is centred at zero) and
          its other parameters see only their priors, so that restart's Laplace
          evidence is the evidence of the model with one pole fewer (the
          nesting argument of :mod:`arpes_sigma.fitting.evidence`). The result
          takes each model's most probable restart, so a hidden fermion that
          only fits noise loses to its Occam factor (MacKay, Neural Comput. 4,
          415 (1992)): on a continuum truth (``synthetic.families.continuum``)
          a second pole split the peak into a narrow and a broad copy and
          overshot |Im W| by up to 55 %. Starting a restart with fewer poles
          does not work as well: from a random start a one-pole fit mostly
          stalls far from its optimum.

        Returns True when it re-seeded.
        """
        r = self.config.restarts
        due = self.finished or self.step >= 0.6 * self.config.steps
        if self.seeded or r < 2 or not due or self.all_dead:
            return False
        self._seeded_at = len(self.history)
        cost = np.where(np.isfinite(np.asarray(self.state.cost)), np.asarray(self.state.cost), np.inf)
        paired = np.arange(2 * r) < r
        params = jax.tree.map(np.array, self.state.params)
        rows = np.zeros(2 * r, bool)
        best, worst = {}, {}
        for model, own in (("paired", paired), ("normal", ~paired)):
            order = np.argsort(np.where(own, cost, -np.inf), kind="stable")[-r:]  # this model's, best first
            best[model], worst[model] = int(order[0]), int(order[-1])
            if r >= 3 and self.config.n_poles >= 2:
                slot, source = int(order[-2]), int(order[0])
                for leaf in jax.tree.leaves(params):
                    leaf[slot] = leaf[source]
                weakest = int(np.argmin(np.abs(params["coupling"][source])))
                for name in POLE_LEAVES:
                    params[name][slot, weakest] = 0.0
                rows[slot] = True
        worst_p, worst_n = worst["paired"], worst["normal"]
        for leaf in jax.tree.leaves(params):
            leaf[worst_p], leaf[worst_n] = leaf[best["normal"]], leaf[best["paired"]]
        params["coherence_raw"][worst_p] = 0.15 * np.where(np.arange(self.config.n_poles) % 2 == 0, 1.0, -1.0)
        params["static_gap"][worst_p] = 0.01
        rows[[worst_p, worst_n]] = True
        new = self.engine.fresh(params, self.state.pairing, self.problem, self.settings)
        self.state = strong(select_rows(rows, new._replace(steps=self.state.steps), self.state))
        self._evaluated = None
        return True

    def evaluate(self) -> Evaluation:
        """Every restart evaluated on the data (cached until the state or the settings change)."""
        cached = self._evaluated
        if cached is None or cached[0] is not self.state or cached[1] is not self.settings:
            ev = self.engine.evaluate(self.state.params, self.state.pairing, self.problem, self.settings)
            cached = (self.state, self.settings, ev)
            self._evaluated = cached
        return cached[2]

    @property
    def dead(self) -> np.ndarray:
        """Which restarts met a non-finite cost, shape (2R,)."""
        return np.asarray(self.state.dead)

    @property
    def all_dead(self) -> bool:
        """True when every restart has met a non-finite cost."""
        return bool(self.dead.all())

    @property
    def finished(self) -> bool:
        """True when every restart has converged or died and the whole background is fitted (nothing left to do)."""
        return self._released and self._stopped

    @property
    def _stopped(self) -> bool:
        """Every restart has converged or died (in the present stage of the background)."""
        return bool(np.all(np.asarray(self.state.done) | self.dead))

    # -- results ---------------------------------------------------------
    def result(self, baselines: dict | None = None, *, errors: bool = True) -> FitResult:
        """A :class:`FitResult` of the current state (see :mod:`arpes_sigma.fitting.summary`).

        It holds the best paired and normal-only restarts, the spread over
        restarts and, with ``errors`` (the default), the Laplace errors and the
        evidence for pairing (skip them for a quick look while a fit runs).
        """
        ev = jax.tree.map(np.asarray, self.evaluate())
        if not np.isfinite(ev.chi2).any():
            raise ArpesDataError("every restart diverged (non-finite cost); check the data (NaNs, a zero noise level)")
        return summarise(self, ev, baselines=baselines, errors=errors)


def fit(
    data: Any,
    config: FitConfig | None = None,
    *,
    callback: Callable[[FitProgress], Any] | None = None,
    **overrides: Any,
) -> FitResult:
    """Extract Σ11(ω) and W(ω) from an ARPES cut, with the evidence that the data need W.

    One compiled program fits ``restarts`` copies of the paired model and as
    many of the normal-only model (W ≡ 0) from the same starting points; the
    result compares their Laplace evidences (``pairing_evidence``,
    ``pairing_supported``) and carries both statistical errors (``*_std``) and
    the spread over restarts (``*_spread``). See also
    :func:`arpes_sigma.fit_with_baselines` (adds the Norman baseline).

    Parameters
    ----------
    data : xarray.DataArray
        Intensity with dims (k, eV) (or one EDC), coordinate ``eps_k`` (eV) and
        attrs ``sample_temp`` (K), ``energy_resolution`` (FWHM, eV); see
        :func:`arpes_sigma.validate`.
    config : FitConfig, optional
        Defaults to :meth:`FitConfig.default_for` ``(data)`` (``FitConfig()``,
        or the edge background and more steps for a cut made by
        :func:`arpes_sigma.prepare`); keyword ``overrides`` are applied on top.
    callback : callable, optional
        Called with a :class:`FitProgress` every ``steps_per_call`` solver
        steps; return ``False`` to stop early. This is how a progress bar or a
        UI follows the fit (``fit`` itself imports no UI).

    Returns
    -------
    FitResult
        ``status`` says why it stopped ("completed", "stopped by callback",
        "diverged ...").
    """
    config = config or FitConfig.default_for(data)
    if overrides:
        config = config.replace(**overrides)
    fitter = Fitter(data, config)
    drive(fitter, -(-config.steps // config.steps_per_call), callback)
    return fitter.result()
