"""What a fit-many worker runs: fit a list of cuts, never raising for a bad one.

Each result becomes a *part*: the cut's :meth:`FitResult.to_dataset` plus
per-slice numbers (status, whether the fit converged, χ²_red, steps, seed, wall time, temperature and
resolution used, static gap, parameters as JSON) as 0-d variables.

Inside a worker, cuts of equal shape can be advanced together as one compiled
program (:class:`arpes_sigma.fitting.stack.FitterStack`, ``batch > 1``),
padded to a fixed batch so that the last, shorter batch does not recompile.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, ConfigError, describe
from ..fitting.cache import enable_compile_cache
from ..fitting.config import FitConfig
from ..fitting.fitter import Fitter
from ..fitting.pipeline import fit_with_baselines, with_baselines
from ..fitting.result import FitResult
from ..fitting.stack import FitterStack
from .store import COMMON_ATTRS

__all__ = ["failure", "fit_task", "part_dataset"]


def prepare_worker(compile_cache: str | None) -> None:
    """CPU JAX unless the environment says otherwise, and the persistent compile cache."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    enable_compile_cache(compile_cache or os.environ.get("ARPES_SIGMA_JAX_CACHE") or None)


def failure(exc: BaseException) -> dict:
    """The payload of a slice that could not be fitted: no dataset, a one-line ``failed: …`` status."""
    if isinstance(exc, (ArpesDataError, ConfigError)):
        reason = describe(exc, 300).split(": ", 1)[-1]
    else:
        reason = describe(exc, 300)
    return {"dataset": None, "status": f"failed: {reason}"}


def part_dataset(result: FitResult, seconds: float) -> xr.Dataset:
    """FitResult → the Dataset of one part: per-slice numbers as 0-d variables."""
    ds = result.to_dataset()
    a = ds.attrs
    # a fit that ran out of steps while still improving is a fit, as it was before summary.STILL_IMPROVING
    fitted = result.status == "completed" or result.still_improving
    status = "ok" if fitted else f"failed: {result.status}"
    scalars = {
        "status": status,
        "converged": int(not result.still_improving),
        "chi2_reduced": float(a["chi2_reduced"]),
        "fit_steps": int(a["steps"]),
        "seed": int(a["seed"]),
        "fit_seconds": float(seconds),
        "fit_temperature": float(a.get("sample_temp", np.nan)),
        "fit_resolution": float(a.get("energy_resolution", np.nan)),
        "noise_sigma": float(a.get("noise_sigma", np.nan)),
        "static_gap": float(result.params.get("static_gap", np.nan)),
        "pairing_evidence": float(result.pairing_evidence),
        "pairing_supported": int(result.pairing_supported),
        "cancellation_ratio": float(result.cancellation_ratio),
        "hidden_fermions": int(result.hidden_fermions),
        "pole_evidence": float(result.evidence.get("pole_evidence", np.nan)),
        # down to which energy the data determine each curve (FitResult.determined_to; NaN without errors)
        "normal_determined_to": result.determined_to("sigma_normal"),
        "anomalous_determined_to": result.determined_to("sigma_anomalous"),
        "params": a["params"],
    }
    for name, value in a.items():
        if name.startswith("chi2_reduced_"):
            scalars[name] = float(value)
    for name, value in scalars.items():
        ds[name] = ((), np.asarray(value, dtype=object if isinstance(value, str) else None))
    ds["fit_temperature"].attrs["units"] = "K"
    for name in ("fit_resolution", "static_gap", "normal_determined_to", "anomalous_determined_to"):
        ds[name].attrs["units"] = "eV"
    ds["pairing_evidence"].attrs["units"] = "nats"
    ds["pole_evidence"].attrs["units"] = "nats"
    ds["fit_seconds"].attrs["units"] = "s"
    ds.attrs = {k: a[k] for k in COMMON_ATTRS if k in a}
    return ds


def _fit_one(index: int, data: Any, config: FitConfig) -> tuple[int, dict]:
    t0 = time.perf_counter()
    try:
        result = fit_with_baselines(data, config)
        return index, {"dataset": part_dataset(result, time.perf_counter() - t0), "status": None}
    except Exception as exc:  # one bad slice must not sink the others
        return index, failure(exc)


def _fit_batched(items: list, config: FitConfig, pad_to: int) -> list:
    """Fit several cuts together: Fitters of equal shape share one :class:`FitterStack`."""
    out, fitters, t0 = [], {}, time.perf_counter()
    for index, data in items:
        try:
            fitters[index] = Fitter(data, config)
        except Exception as exc:
            out.append((index, failure(exc)))
    groups: dict = {}
    for index, f in fitters.items():
        groups.setdefault(FitterStack.signature(f), []).append(index)
    n_calls = -(-config.steps // config.steps_per_call)
    errors = {}
    for indices in groups.values():
        try:
            FitterStack([fitters[i] for i in indices], pad_to=pad_to).drive(n_calls)
        except Exception as exc:
            errors.update(dict.fromkeys(indices, exc))
    per_slice = (time.perf_counter() - t0) / max(len(items), 1)
    for index, f in fitters.items():
        if index in errors:
            out.append((index, failure(errors[index])))
            continue
        try:
            t1 = time.perf_counter()
            result = with_baselines(f)
            out.append((index, {"dataset": part_dataset(result, per_slice + time.perf_counter() - t1), "status": None}))
        except Exception as exc:
            out.append((index, failure(exc)))
    return out


def fit_task(items: list, config: FitConfig, compile_cache: str | None = None, pad_to: int = 1) -> list:
    """Fit a list of (index, cut) pairs; never raises for a bad cut.

    Returns
    -------
    list of (index, {"dataset": xarray.Dataset or None, "status": str or None})
    """
    prepare_worker(compile_cache)
    if pad_to <= 1:
        return [_fit_one(i, d, config) for i, d in items]
    return _fit_batched(items, config, pad_to)
