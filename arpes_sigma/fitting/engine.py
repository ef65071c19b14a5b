"""Compiled steps of the fit: a typed fit state and jitted chunks of optimizer steps.

The state of all restarts is one :class:`FitState` whose leaves carry a
leading restart axis R. :class:`Engine` holds the compiled functions for one
static shape (model size × steps per call) and is shared by every Fitter of
that shape (:func:`engine_for`), so a second Fitter of the same shape — or a
setting change — never recompiles. ``lax.scan`` runs ``steps_per_call`` Adam
steps per call; ``jax.vmap`` runs the restarts side by side. A step whose loss
is not finite is not applied and marks its restart ``dead``; the best
parameters seen so far are kept.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from ..model import ModelSpec, Params, batched_init, self_energy
from .config import FitConfig
from .loss import DataTerm, data_term, loss, model_curves, priors
from .problem import Problem, Settings

__all__ = ["Engine", "Evaluation", "FitState", "engine_for"]


class FitState(NamedTuple):
    """Optimizer state of every restart (leading axis R on each leaf).

    Attributes
    ----------
    params : the model parameters now
    opt_state : Adam's moments
    best_params : the parameters with the lowest finite loss so far
    best_loss : (R,) that loss
    dead : (R,) bool — the restart met a non-finite loss and stopped moving
    """

    params: Params
    opt_state: Any
    best_params: Params
    best_loss: jax.Array
    dead: jax.Array


class Evaluation(NamedTuple):
    """A parameter set evaluated on the data (leading restart axis R).

    Attributes
    ----------
    s11, s22, w : (R, E) complex, eV — Σ11, Σ22, W on the measured energies
    fitted : (R, K, E) — the model intensity with a_k, b_k applied
    chi2 : (R,) — χ² over the window
    terms : dict name -> (R,) — prior terms (unweighted)
    """

    s11: jax.Array
    s22: jax.Array
    w: jax.Array
    fitted: jax.Array
    chi2: jax.Array
    terms: dict


class Engine:
    """Compiled functions for one model shape and chunk length.

    Parameters
    ----------
    spec : ModelSpec
    steps_per_call : int

    Attributes
    ----------
    traces : int
        How many times the chunk function has been traced (compiled).
    """

    def __init__(self, spec: ModelSpec, steps_per_call: int):
        self.spec = spec
        self.steps_per_call = steps_per_call
        self.traces = 0
        self.tx = optax.scale_by_adam()
        grad_fn = jax.value_and_grad(loss, has_aux=True)

        def step(state: FitState, problem: Problem, settings: Settings) -> tuple[FitState, jax.Array]:
            (value, _aux), grads = grad_fn(state.params, spec, problem, settings)
            updates, new_opt = self.tx.update(grads, state.opt_state, state.params)
            updates = jax.tree.map(lambda u: -settings.learning_rate * u, updates)
            new_params = optax.apply_updates(state.params, updates)
            finite = jnp.isfinite(value) & ~state.dead
            improved = finite & (value < state.best_loss)
            best_params = jax.tree.map(lambda b, s: jnp.where(improved, s, b), state.best_params, state.params)
            best_loss = jnp.where(improved, value, state.best_loss)
            keep = lambda new, old: jnp.where(finite, new, old)  # noqa: E731
            new_state = FitState(
                params=jax.tree.map(keep, new_params, state.params),
                opt_state=jax.tree.map(keep, new_opt, state.opt_state),
                best_params=best_params,
                best_loss=best_loss,
                dead=~finite,
            )
            return new_state, value

        def chunk(state: FitState, problem: Problem, settings: Settings) -> tuple[FitState, jax.Array]:
            self.traces += 1  # runs only while tracing: counts compilations
            return jax.lax.scan(lambda s, _: step(s, problem, settings), state, None, length=steps_per_call)

        def evaluate(params: Params, problem: Problem, settings: Settings) -> Evaluation:
            term: DataTerm = data_term(model_curves(params, spec, problem, settings), problem, settings)
            s11, s22, w = self_energy(params, spec, problem.omega)
            return Evaluation(s11, s22, w, term.fitted, term.chi2, priors(params, spec, settings))

        #: (state (R,…), problem, settings) -> (state, losses (R, steps_per_call))
        self.run_chunk = jax.jit(jax.vmap(chunk, in_axes=(0, None, None)))
        #: the same, for a stack of B problems: (state (B, R, …), problem (B, …), settings (B, …))
        self.run_chunk_stacked = jax.jit(jax.vmap(jax.vmap(chunk, in_axes=(0, None, None))))
        #: (params (R,…), problem, settings) -> Evaluation with leading axis R
        self.evaluate = jax.jit(jax.vmap(evaluate, in_axes=(0, None, None)))
        self._init_opt = jax.jit(jax.vmap(self.tx.init))

    def init_state(self, keys: jax.Array) -> FitState:
        """A fresh :class:`FitState` for the restarts seeded by ``keys`` (R,)."""
        params = batched_init(self.spec)(keys)
        n = keys.shape[0]
        state = FitState(
            params=params,
            opt_state=self._init_opt(params),
            best_params=params,
            best_loss=jnp.full((n,), jnp.inf, dtype=jnp.float32),
            dead=jnp.zeros((n,), bool),
        )
        # strong dtypes everywhere: a weakly typed leaf would retrace on the second call
        return jax.tree.map(lambda x: jnp.asarray(x, dtype=x.dtype), state)


_ENGINES: dict[tuple[ModelSpec, int], Engine] = {}


def engine_for(config: FitConfig) -> Engine:
    """The shared :class:`Engine` of ``config``'s static shape (built on first use)."""
    key = (config.model_spec(), config.steps_per_call)
    if key not in _ENGINES:
        _ENGINES[key] = Engine(*key)
    return _ENGINES[key]

