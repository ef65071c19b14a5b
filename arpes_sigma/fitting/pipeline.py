"""Orchestration above the fit and its baseline: one fit and (optionally) the Norman baseline beside it.

:func:`arpes_sigma.fit` does one fit (the paired and the normal-only model side
by side, and the evidence between them). The CLI, fit-many and anyone who
wants the phenomenological comparison a physicist expects call
:func:`fit_with_baselines`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .baselines import fit_baselines, norman_fit
from .config import FitConfig
from .engine import engine_for
from .fitter import FitProgress, Fitter, drive
from .problem import build_problem, make_settings
from .result import FitResult
from .summary import compile_errors

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
    config = config or FitConfig()
    problem, info = build_problem(data, config)
    engine = engine_for(config)  # here, so that both threads use one Engine and its compiled programs
    final = make_settings(config, problem, info, released=True)
    n_calls = -(-config.steps // config.steps_per_call)
    # A second thread runs beside the main fit what does not need the fit's progress, in the order the fit
    # will want it: the fit's fresh start (compiled while this thread draws the starting parameters), the
    # Norman fit (from the problem and the settings the fit ends with), one run of the evaluation program
    # on the starting state and one of the evidence programs, which compile them. Only shapes matter to
    # a compilation, so the final settings serve for all. XLA's compilation and execution release the
    # GIL, so a new process compiles on both cores (benchmarks/bench_fit.py's whole-process figures); a
    # program this thread reaches while the other compiles it waits for that compilation (fitting.aot.Program).
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="beside-fit")
    try:
        pool.submit(engine.compile_start, 2 * config.restarts, problem, final)
        norman = pool.submit(norman_fit, problem, info, config, final) if config.baselines else None
        fitter = Fitter.from_problem(problem, info, config)
        start = fitter.state
        pool.submit(engine.evaluate, start.params, start.pairing, problem, final)
        errors = pool.submit(compile_errors, fitter)
        drive(fitter, n_calls, callback)
        baselines = None
        if norman is not None:
            if on_baselines is not None and not norman.done():
                on_baselines()
            baselines = {"norman": norman.result().chi2_reduced}
        errors.result()  # before result() uses the programs: one compilation, not one per thread
    except BaseException:
        # an error or Ctrl-C: drop what the second thread has not started and do not wait here for the rest
        # (a `with` block waited for all of it: 3.5–7 s between Ctrl-C and the CLI's exit, measured)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return fitter.result(baselines=baselines)


def with_baselines(fitter: Fitter, *, on_baselines: Callable[[], Any] | None = None) -> FitResult:
    """The result of a finished ``fitter``, with its baselines when ``fitter.config.baselines``."""
    baselines = None
    if fitter.config.baselines:
        if on_baselines is not None:
            on_baselines()
        baselines = fit_baselines(fitter)
    return fitter.result(baselines=baselines)
