"""Compiled steps of the fit: Levenberg–Marquardt on the residual vector, in chunks, for all restarts at once.

The objective is a sum of squares (:mod:`arpes_sigma.fitting.loss`), so it is
minimised by Levenberg–Marquardt from optimistix (a maintained JAX solver;
nothing here re-implements it). The solver is driven step by step — ``init``
once, then ``lax.scan`` over ``steps_per_call`` calls of its ``step`` — rather
than through ``optimistix.least_squares``, so that a UI or a progress bar sees
the fit between chunks and the solver's own state (damping, current Jacobian)
carries over from one chunk to the next: a chunked fit takes the same steps as
an unchunked one.

Two things make the solver converge in tens rather than hundreds of steps:

* **scaling** — the solver works on θ/s with s_i = 1/‖∂r/∂θ_i‖ at the
  starting point (Jacobian column scaling, as in MINPACK's ``lmder``; Moré,
  Lecture Notes in Mathematics 630 (1978)), so one damping parameter suits
  every parameter;
* **a stop rule on the cost** — a restart is done when a whole chunk lowers
  ½‖r‖² by less than ``FTOL`` relative, but by something (a chunk of only
  rejected steps has not converged: its damping grew), or when the solver's
  own Cauchy test passes. Directions the data leave flat (the decomposition's non-uniqueness)
  would otherwise keep the parameter test from ever passing; the Laplace
  errors report those directions instead.

Every leaf of :class:`FitState` has a leading restart axis R. Each restart
carries its own pairing switch p (1: the paired model, 0: the normal-only
model, W ≡ 0), so the paired and the normal-only fits of the evidence for
pairing run side by side in one compiled program (``jax.vmap``). A restart
whose cost becomes non-finite is frozen at its last finite point (``dead``).

:class:`Engine` holds the compiled functions for one model shape and chunk
length and is shared by every Fitter of that shape (:func:`engine_for`), so a
second Fitter — or a setting change — never recompiles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optimistix as optx
from jax.custom_derivatives import SymbolicZero
from jax.flatten_util import ravel_pytree

from ..model import ModelSpec, Params, batched_init, init_params, self_energy
from .aot import LIGHT, Program
from .config import FitConfig
from .loss import band_energies, prior_terms, residuals
from .problem import Problem, Settings

__all__ = ["ATOL", "FTOL", "RTOL", "Engine", "Evaluation", "FitState", "engine_for", "explicit_jacobian",
           "levenberg_marquardt", "select_rows", "strong"]

#: Tolerances of optimistix's own (Cauchy) stop test, on the scaled parameters and the residuals.
RTOL, ATOL = 1e-5, 1e-7
#: A chunk that lowers the cost by less than this fraction ends the restart.
FTOL = 1e-5


class FitState(NamedTuple):
    """State of every restart (leading axis R on each leaf).

    Attributes
    ----------
    params : the model parameters (a pytree, unscaled)
    scale : (R, P) the solver works on flat(params) / scale
    solver : tuple of arrays — the leaves of the array part of the Levenberg–Marquardt state (kept flat,
        so that FitState is made of plain containers only and its structure can be stored on disk,
        :mod:`arpes_sigma.fitting.aot`; the compiled chunk rebuilds the solver's own pytree)
    pairing : (R,) float — 1 for the paired model, 0 for the normal-only model
    cost : (R,) ½‖r‖² at ``params``
    steps : (R,) int — solver steps taken
    done : (R,) bool — converged
    dead : (R,) bool — met a non-finite cost (parameters kept at the last finite point)
    """

    params: Params
    scale: jax.Array
    solver: Any
    pairing: jax.Array
    cost: jax.Array
    steps: jax.Array
    done: jax.Array
    dead: jax.Array


class Evaluation(NamedTuple):
    """A parameter set evaluated on the data (leading restart axis R).

    Attributes
    ----------
    s11, s22, w : (R, E) complex, eV — Σ11, Σ22, W on the measured energies
    fitted : (R, K, E) — the model intensity with a_k and the extrinsic background applied
    eps : (R, K), eV — the bare band each restart uses (the given one, or learned)
    chi2 : (R,) — χ² over the window
    terms : dict name -> (R,) — prior terms ½Σr²/N
    """

    s11: jax.Array
    s22: jax.Array
    w: jax.Array
    fitted: jax.Array
    eps: jax.Array
    chi2: jax.Array
    terms: dict


def explicit_jacobian(f: Callable[[jax.Array, Any], jax.Array]) -> Callable[[jax.Array, Any], jax.Array]:
    """``f(u, args) -> r`` whose derivative in ``u`` is carried as one (M, P) matrix.

    optimistix linearises the residual function at every step (``jax.linearize``)
    and keeps the linearisation in the solver state; for the whole forward model
    that is every intermediate of the spectrum (≈ 350 arrays, 0.5 MB per fit),
    which the step loop then selects, copies and re-evaluates P times to build
    the matrix its linear solve needs. With this rule the linearisation is just
    ∂r/∂u, computed once by forward mode (P = len(u) columns), and applying it is
    a matrix product: the same derivative, a much smaller state.

    ``args`` are never differentiated (a tangent for them raises).
    """

    @jax.custom_jvp
    def wrapped(u: jax.Array, args: Any) -> jax.Array:
        return f(u, args)

    def rule(primals: tuple, tangents: tuple) -> tuple[jax.Array, jax.Array]:
        u, args = primals
        du, dargs = tangents
        if not all(isinstance(t, SymbolicZero) for t in jax.tree.leaves(
                dargs, is_leaf=lambda t: isinstance(t, SymbolicZero))):
            raise NotImplementedError("explicit_jacobian differentiates in u only, not in args")
        jac, r = jax.jacfwd(lambda v: (f(v, args),) * 2, has_aux=True)(u)
        if isinstance(du, SymbolicZero):
            return r, jnp.zeros_like(r)
        return r, jac @ du

    wrapped.defjvp(rule, symbolic_zeros=True)
    return wrapped


def levenberg_marquardt() -> optx.LevenbergMarquardt:
    """The Levenberg–Marquardt solver of every fit here (the main fit's chunks and the Norman baseline).

    The damped step solves [J; √λ I] δ = [r; 0]. optimistix's default linear
    solver (lineax.QR) factorises that (M + P) × P matrix at every step; the
    normal equations (JᵀJ + λI) δ = Jᵀr by Cholesky cost one product and a
    P × P factorisation. Measured on the built-in spectrum (8 fits,
    M = 2040 residuals, P = 32 parameters each): a 10-step chunk 259 → 97 ms,
    with the same χ² and evidence. Forming JᵀJ squares J's condition number;
    the column scaling (s_i = 1/‖∂r/∂θ_i‖) and the damping λ keep that in
    check, and a step that still comes out non-finite is rejected by the
    trust-region test (its cost is not lower), after which λ grows.
    """
    return optx.LevenbergMarquardt(rtol=RTOL, atol=ATOL, linear_solver=lx.Normal(lx.Cholesky()))


class Engine:
    """Compiled functions for one model shape and chunk length.

    Parameters
    ----------
    spec : ModelSpec
    steps_per_call : int

    Attributes
    ----------
    traces : int
        How many times the chunk function has been compiled (traced, or loaded from the
        exported programs, :mod:`arpes_sigma.fitting.aot`).

    Notes
    -----
    ``fresh``, ``refresh``, ``run_chunk`` and ``evaluate`` are
    :class:`~arpes_sigma.fitting.aot.Program` s: plain jitted functions unless the
    CLI has switched on the cache of exported programs.
    """

    def __init__(self, spec: ModelSpec, steps_per_call: int):
        self.spec = spec
        self.steps_per_call = steps_per_call
        self._traced = 0
        solver = levenberg_marquardt()
        self.solver = solver
        tags: frozenset = frozenset()
        options: dict = {}
        # the parameters' structure from shapes alone: no random draws dispatched eagerly
        shapes = jax.eval_shape(lambda: init_params(spec, jax.random.key(0)))
        self._shapes = shapes
        unravel = _unravel_of(shapes)

        def residual_vector(u: jax.Array, args: tuple) -> jax.Array:
            problem, settings, pairing, scale = args
            return residuals(unravel(u * scale), spec, problem, settings, pairing)[0]

        residual_matrix_jvp = explicit_jacobian(residual_vector)

        def fn(u: jax.Array, args: tuple) -> tuple[jax.Array, None]:
            return residual_matrix_jvp(u, args), None

        def start(u: jax.Array, args: tuple) -> tuple[Any, Any]:
            f_struct, aux_struct = jax.eval_shape(fn, u, args)
            state = solver.init(fn, u, args, options, f_struct, aux_struct, tags)
            return eqx.partition(state, eqx.is_array)

        def cost(u: jax.Array, args: tuple) -> jax.Array:
            r, _ = fn(u, args)
            return 0.5 * jnp.sum(r * r)

        def chunk(state: FitState, problem: Problem, settings: Settings) -> FitState:
            self._traced += 1  # runs only while tracing: counts compilations
            args = (problem, settings, state.pairing, state.scale)
            u0 = ravel_pytree(state.params)[0] / state.scale
            dyn0, static = start(u0, args)
            solver_tree = jax.tree.structure(dyn0)

            def body(carry: tuple, _: Any) -> tuple[tuple, None]:
                u, dyn, steps, done, dead = carry
                st = eqx.combine(dyn, static)
                u_new, st_new, _aux = solver.step(fn, u, args, options, st, tags)
                term, _result = solver.terminate(fn, u_new, args, options, st_new, tags)
                ok = jnp.all(jnp.isfinite(u_new))
                frozen = done | dead
                # a frozen restart keeps its parameters; its solver state (the Jacobian among it) is left to
                # run on unused: selecting the old state back cost 15 % of a step, and a frozen restart never
                # takes a step again (a new objective or a re-seed starts a fresh solver state)
                dyn, _ = eqx.partition(st_new, eqx.is_array)
                u = jnp.where(frozen | ~ok, u, u_new)
                steps = steps + jnp.where(frozen, 0, 1)
                return (u, dyn, steps, done | (term & ok & ~frozen), dead | (~ok & ~frozen)), None

            carry = (u0, jax.tree.unflatten(solver_tree, state.solver), state.steps, state.done, state.dead)
            (u, dyn, steps, done, dead), _ = jax.lax.scan(body, carry, None, length=steps_per_call)
            c = cost(u, args)
            dead = dead | ~jnp.isfinite(c)
            # a chunk whose steps were all rejected (cost unchanged; the damping grew) is not a stall
            stalled = (c < state.cost) & ((state.cost - c) <= FTOL * jnp.abs(c))
            done = done | (stalled & ~state.done & (steps > state.steps))
            params = unravel(jnp.where(dead, u0, u) * state.scale)
            return FitState(params, state.scale, tuple(jax.tree.leaves(dyn)), state.pairing,
                            jnp.where(dead, state.cost, c), steps, done, dead)

        def fresh(params: Params, pairing: jax.Array, scale: jax.Array | None,
                  problem: Problem, settings: Settings) -> FitState:
            flat = ravel_pytree(params)[0]
            if scale is None:
                ones = jnp.ones_like(flat)
                jac = jax.jacfwd(lambda u: residual_vector(u, (problem, settings, pairing, ones)))(flat)
                norms = jnp.linalg.norm(jac, axis=0)
                scale = 1.0 / jnp.clip(norms, 1e-2, 1e6)
            args = (problem, settings, pairing, scale)
            dyn, _ = start(flat / scale, args)
            c = cost(flat / scale, args)
            return FitState(params, scale, tuple(jax.tree.leaves(dyn)), pairing, c, jnp.zeros((), jnp.int32),
                            jnp.zeros((), bool), ~jnp.isfinite(c))

        def evaluate(params: Params, pairing: jax.Array, problem: Problem, settings: Settings) -> Evaluation:
            _, fit = residuals(params, spec, problem, settings, pairing)
            s11, s22, w = self_energy(params, spec, problem.omega, pairing)
            return Evaluation(s11, s22, w, fit.fitted, band_energies(params, problem, settings), fit.chi2,
                              prior_terms(params, spec, problem, settings))

        batch = (0, None, None)
        static = (spec, steps_per_call)
        #: (state (R,…), problem, settings) -> state after steps_per_call solver steps
        self.run_chunk = Program(jax.jit(jax.vmap(chunk, in_axes=batch)), "engine.chunk", static)
        #: the same, for a stack of B problems: (state (B, R, …), problem (B, …), settings (B, …))
        self.run_chunk_stacked = Program(jax.jit(jax.vmap(jax.vmap(chunk, in_axes=batch))), "engine.chunk_stacked",
                                         static)
        #: (params (R,…), pairing (R,), problem, settings) -> FitState with new scales and solver state
        self.fresh = Program(jax.jit(jax.vmap(lambda p, a, prob, st: fresh(p, a, None, prob, st),
                                              in_axes=(0, 0, None, None))), "engine.fresh", static)
        #: the same, keeping the scales (after a settings change)
        self.refresh = Program(jax.jit(jax.vmap(fresh, in_axes=(0, 0, 0, None, None))), "engine.refresh", static)
        draw = batched_init(spec)

        def draw_twice(seed: jax.Array, paired_start: jax.Array) -> Params:
            keys = jax.random.split(jax.random.key(seed), paired_start.shape[0] // 2)
            return draw(jnp.concatenate([keys, keys]), paired_start)

        #: (seed, paired_start (2R,)) -> params (2R, …), rows i and R + i from the i-th key split from the
        #: seed; one program (the eager key, split and stacking each compiled a small program of their own)
        self._draw = Program(jax.jit(draw_twice), "engine.draw", static)
        #: (params (R,…), pairing (R,), problem, settings) -> Evaluation with leading axis R
        self.evaluate = Program(jax.jit(jax.vmap(evaluate, in_axes=(0, 0, None, None))), "engine.evaluate", static,
                                LIGHT)

    @property
    def traces(self) -> int:
        """How many times the chunk function has been compiled (traced, or its exported program loaded)."""
        return self._traced + self.run_chunk.loads

    def init_state(self, seed: int, pairing: np.ndarray, paired_start: np.ndarray,
                   problem: Problem, settings: Settings) -> FitState:
        """A fresh :class:`FitState` of 2R rows from ``seed``.

        Rows i and R + i start from the i-th of R keys split from ``seed``
        (:func:`~arpes_sigma.model.init_params`, paired as ``paired_start``
        (2R,) says), with the switches ``pairing`` (2R,).
        """
        params = self._draw(seed, paired_start)
        return strong(self.fresh(params, np.asarray(pairing, np.float32), problem, settings))

    def compile_chunk(self, rows: int, problem: Problem, settings: Settings) -> None:
        """Compile :attr:`run_chunk` for ``rows`` restarts (the signature of a zero state; nothing runs).

        Only the shapes matter, so this can run on another thread while the fit
        draws and prepares its start; the fit's first chunk then finds the
        program compiled, or waits for it (:class:`~arpes_sigma.fitting.aot.Program`).
        The state's shapes are those of :attr:`fresh`'s result: read from its
        stored or compiled program when there is one (a warm process), else
        traced (:func:`jax.eval_shape`, some 0.5 s).
        """
        params = jax.tree.map(lambda s: np.zeros((rows, *s.shape), s.dtype), self._shapes)
        args = (params, np.zeros(rows, np.float32), problem, settings)
        shapes = self.fresh.output_shapes(*args)
        if shapes is None:
            shapes = jax.eval_shape(self.fresh.jitted, *args)
        self.run_chunk.compile(jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shapes), problem, settings)

    def restart_solver(self, state: FitState, problem: Problem, settings: Settings) -> FitState:
        """The same parameters and scales with a fresh solver state (after the objective changed)."""
        new = self.refresh(state.params, state.pairing, state.scale, problem, settings)
        return strong(new._replace(steps=state.steps))


def _unravel_of(shapes: Any) -> Callable[[jax.Array], Any]:
    """``ravel_pytree``'s unravel function for a pytree of shapes, found by tracing (nothing runs).

    Ravelling concrete zeros dispatched a reshape per leaf and a concatenation, each a small compiled
    program in a new process; the unravel function depends only on the shapes and dtypes.
    """
    found = []

    def ravel() -> jax.Array:
        flat, unravel = ravel_pytree(jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes))
        found.append(unravel)
        return flat

    jax.eval_shape(ravel)
    return found[0]


def select_rows(rows: np.ndarray, new: FitState, old: FitState) -> FitState:
    """Restarts where ``rows`` (R,) is True from ``new``, the others from ``old``.

    On the host: ``jnp.where`` compiled one small program per leaf shape (ten, 0.4 s in a new process).
    """
    def pick(a: jax.Array, b: jax.Array) -> jax.Array:
        mask = np.asarray(rows).reshape((-1,) + (1,) * (np.ndim(a) - 1))
        return jax.device_put(np.where(mask, np.asarray(a), np.asarray(b)))

    return jax.tree.map(pick, new, old)


def strong(state: FitState) -> FitState:
    """Every leaf with a strong dtype: a weakly typed leaf would make the next compiled call retrace."""
    return jax.tree.map(lambda x: jnp.asarray(x, dtype=x.dtype), state)


_ENGINES: dict[tuple[ModelSpec, int], Engine] = {}


def engine_for(config: FitConfig) -> Engine:
    """The shared :class:`Engine` of ``config``'s static shape (built on first use)."""
    key = (config.model_spec(), config.steps_per_call)
    if key not in _ENGINES:
        _ENGINES[key] = Engine(*key)
    return _ENGINES[key]
