"""Orchestration above the fit and its baseline: one fit and (optionally) the Norman baseline beside it.

:func:`arpes_sigma.fit` does one fit (the paired and the normal-only model side
by side, and the evidence between them). The CLI, fit-many and anyone who
wants the phenomenological comparison a physicist expects call
:func:`fit_with_baselines`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .baselines import fit_baselines, norman_fit
from .config import FitConfig
from .engine import engine_for
from .fitter import FitProgress, Fitter, drive
from .problem import build_problem, make_settings
from .result import FitResult
from .summary import compile_evidence, compile_std

__all__ = ["fit_with_baselines", "with_baselines"]


def fit_with_baselines(
    data: Any,
    config: FitConfig | None = None,
    *,
    callback: Callable[[FitProgress], Any] | None = None,
    on_baselines: Callable[[], Any] | None = None,
) -> FitResult:
    """Fit ``data``; if ``config.baselines``, also fit the Norman baseline on the same problem.

    Parameters
    ----------
    data : xarray.DataArray
        A cut or an EDC (see :func:`arpes_sigma.validate`).
    config : FitConfig, optional
        Default :meth:`FitConfig.default_for` ``(data)``, as for :func:`arpes_sigma.fit`.
    callback : callable, optional
        Progress of the main fit (see :func:`arpes_sigma.fit`).
    on_baselines : callable, optional
        Called (no arguments) when the main fit is done but the Norman fit, which runs beside it on a
        second thread, is not yet, e.g. to say what the wait is for.

    Returns
    -------
    FitResult
        ``baselines`` holds ``{"normal_only": χ²_red}`` (always) and
        ``"norman"`` when it was fitted.
    """
    config = config or FitConfig.default_for(data)
    problem, info = build_problem(data, config)
    engine = engine_for(config)  # here, so that both threads use one Engine and its compiled programs
    final = make_settings(config, problem, info, released=True)
    n_calls = -(-config.steps // config.steps_per_call)
    # A second thread runs what does not need the fit's progress: the solver's chunk, compiled while this
    # thread draws the starting parameters and compiles the fresh start; the Norman fit (from the problem
    # and the settings the fit ends with); the evidence and error programs, compiled (not run). Only
    # shapes matter to a compilation, so the final settings serve for all. XLA's compilation releases
    # the GIL, so a new process compiles on both cores (benchmarks/bench_fit.py's whole-process
    # figures); a program one thread reaches while the other compiles it waits for that compilation, and
    # the two threads' programs run one at a time (fitting.aot.Program: two at once can hang XLA's CPU
    # thread pool). What the second thread has not started when the fit ends, this thread runs.
    beside = _Beside()
    try:
        beside.submit(engine.compile_chunk, 2 * config.restarts, problem, final)
        norman = beside.submit(norman_fit, problem, info, config, final) if config.baselines else None
        fitter = Fitter.from_problem(problem, info, config)
        beside.submit(compile_evidence, fitter)
        beside.submit(compile_std, fitter)
        drive(fitter, n_calls, callback)
        if on_baselines is not None and norman is not None and not beside.done(norman):
            on_baselines()
        results = beside.finish()  # before result() uses the programs: one compilation, not one per thread
    except BaseException:
        # an error or Ctrl-C: drop what the second thread has not started and do not wait here for the rest
        # (waiting for all of it took 3.5–7 s between Ctrl-C and the CLI's exit, measured)
        beside.abandon()
        raise
    baselines = None if norman is None else {"norman": results[norman].chi2_reduced}
    return fitter.result(baselines=baselines)


class _Beside:
    """One helper thread running submitted calls in order; :meth:`finish` shares out what is left.

    Hand-written because :class:`concurrent.futures.ThreadPoolExecutor` has no
    way for the submitting thread to take back queued work and run it itself.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="beside-fit")
        self._jobs: list[tuple[Future, Callable[..., Any], tuple]] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> int:
        """Queue ``fn(*args)``; returns its index in :meth:`finish`'s results."""
        self._jobs.append((self._pool.submit(fn, *args), fn, args))
        return len(self._jobs) - 1

    def done(self, index: int) -> bool:
        """Whether the helper thread has finished call ``index``."""
        return self._jobs[index][0].done()

    def finish(self) -> list[Any]:
        """Every call's result, in order.

        The calls the helper thread has not started run here, from the last
        back (it works from the first on); the others are waited for.
        """
        results: list[Any] = [None] * len(self._jobs)
        waiting = []
        for i in reversed(range(len(self._jobs))):
            future, fn, args = self._jobs[i]
            if future.cancel():
                results[i] = fn(*args)
            else:
                waiting.append(i)
        for i in waiting:
            results[i] = self._jobs[i][0].result()
        self._pool.shutdown()
        return results

    def abandon(self) -> None:
        """Drop the calls not started; return without waiting for the one running."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def with_baselines(fitter: Fitter, *, on_baselines: Callable[[], Any] | None = None) -> FitResult:
    """The result of a finished ``fitter``, with its baselines when ``fitter.config.baselines``."""
    baselines = None
    if fitter.config.baselines:
        if on_baselines is not None:
            on_baselines()
        baselines = fit_baselines(fitter)
    return fitter.result(baselines=baselines)
