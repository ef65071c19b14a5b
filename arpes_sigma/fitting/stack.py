"""Several Fitters of one shape run as one compiled program (fit-many's batches)."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from ..errors import ConfigError
from .engine import FitState
from .fitter import DIVERGED, FitProgress, Fitter, drive
from .problem import Problem, Settings

__all__ = ["FitterStack"]


class FitterStack:
    """Several Fitters of one shape run as one compiled program (vmapped over the stack).

    The members keep their own problem, settings and state; :meth:`run`
    advances all of them with ``Engine.run_chunk_stacked`` and writes each
    member's new state back, so ``member.result()`` works as usual. A member
    whose restarts have all converged stops counting steps; one whose
    restarts have all diverged gets the diverged status; the others go on. Shorter stacks may be padded (``pad_to``) by
    repeating the last member, so that every call has the same shape and
    compiles once; the padding's results are discarded.

    Parameters
    ----------
    fitters : sequence of Fitter
        Same ``config.static_key()`` and problem shapes.
    pad_to : int
    """

    def __init__(self, fitters: Sequence[Fitter], pad_to: int = 1):
        if not fitters:
            raise ConfigError("FitterStack needs at least one Fitter")
        sig = {self.signature(f) for f in fitters}
        if len(sig) != 1:
            raise ConfigError("FitterStack needs Fitters of one shape; group them by FitterStack.signature first")
        self.members = list(fitters)
        self.engine = fitters[0].engine
        self.status = "initialised"
        padded = self.members + [self.members[-1]] * max(0, pad_to - len(self.members))
        self._n_padded = len(padded)
        stack = lambda trees: jax.tree.map(lambda *xs: jnp.stack(xs), *trees)  # noqa: E731
        self._problem: Problem = stack([f.problem for f in padded])
        self._settings: Settings = stack([f.settings for f in padded])
        self._state: FitState = stack([f.state for f in padded])
        self._active = [True] * len(self.members)

    @staticmethod
    def signature(fitter: Fitter) -> tuple:
        """What must be equal for Fitters to share a stack: engine and array shapes."""
        leaves = jax.tree.leaves((fitter.problem, fitter.settings, fitter.state))
        return (id(fitter.engine), tuple((x.shape, str(x.dtype)) for x in leaves))

    def run(self) -> list[FitProgress | None]:
        """One chunk for every member; the progress of the members still running (None for stopped ones)."""
        self._state = self.engine.run_chunk_stacked(self._state, self._problem, self._settings)
        out: list[FitProgress | None] = []
        reseeded = False
        for b, f in enumerate(self.members):
            f.state = jax.tree.map(lambda x, b=b: x[b], self._state)
            if not self._active[b]:
                out.append(None)  # converged or dead restarts are frozen by the step itself
                continue
            seeded_before, settings_before = f.seeded, f.settings
            out.append(f.advanced())
            reseeded |= (f.seeded and not seeded_before) or f.settings is not settings_before
            if f.finished:
                self._active[b] = False
            if f.all_dead:
                f.status = DIVERGED.format(step=f.step)
                self._active[b] = False
        if reseeded:  # a member restarted some fits or released its background: take its state into the stack
            padded = self.members + [self.members[-1]] * (self._n_padded - len(self.members))
            self._state = jax.tree.map(lambda *xs: jnp.stack(xs), *[f.state for f in padded])
            self._settings = jax.tree.map(lambda *xs: jnp.stack(xs), *[f.settings for f in padded])
        return out

    @property
    def step(self) -> int:
        """Steps done by the members that ran longest."""
        return max(f.step for f in self.members)

    @property
    def all_dead(self) -> bool:
        """True when every member has diverged."""
        return all(f.all_dead for f in self.members)

    @property
    def finished(self) -> bool:
        """True when no member has anything left to do."""
        return not any(self._active)

    def drive(self, n_calls: int) -> None:
        """Run the members to the end with :func:`drive`; members that did not diverge get its status."""
        status = drive(self, n_calls)
        for f in self.members:
            if not f.all_dead:
                f.status = status
