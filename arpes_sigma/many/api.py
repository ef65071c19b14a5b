"""Fit a whole data set — a temperature series or many cuts — slice by slice, in parallel.

:func:`fit_many` splits an intensity array with dims (``sample_temp`` or
``cut``, k, eV) into its 2-D cuts and fits each one independently with
:func:`arpes_sigma.fit`. The work runs on a :mod:`dask.distributed`
cluster: by default a :class:`distributed.LocalCluster` sized to the machine
(one single-threaded worker *process* per core, each with its own JAX), or any
running scheduler given by its address, so the same call scales past one
machine. ``arpes-sigma fit-many`` is the command-line face of it.

Resumable and lossless
----------------------
With ``out="RESULT.nc"`` every finished slice is written at once, atomically
(:func:`arpes_sigma.io.writers.to_netcdf_atomic`), to ``RESULT.nc.parts/slice_<i>.nc``
next to a ``manifest.json`` that records which run the parts belong to (a
SHA-256 fingerprint of the input data, coordinates, attrs, slice dimension and
the full :class:`~arpes_sigma.FitConfig`). A run that is interrupted —
Ctrl-C, a killed client, a killed worker — loses at most the slices that were
in flight: running the same call again fits only the missing slices and never
rewrites a finished part. Each part also carries the fingerprint, so a part is
trusted even if the manifest update after it was cut off; parts of a
*different* run (changed input or configuration) are refused with a one-line
error instead of being mixed in. At the end the parts are combined into
``RESULT.nc`` (atomically) along the slice dimension; the parts folder is then
removed unless ``keep_parts=True`` or some slice failed (so that a rerun
retries only the failed ones). A lock file keeps two runs from writing the same
parts folder at once.

A slice that cannot be fitted (all-NaN data, a diverged fit, a worker that died
three times) does not sink the rest: the per-slice ``status`` variable says
``"ok"`` or ``"failed: <reason>"``, and its numbers are NaN (or, for a fit
that diverged, the best parameters found before it did).

Batching
--------
Inside a worker, slices of equal shape can be advanced together as one
compiled program (``batch_size > 1``, :mod:`arpes_sigma.many.tasks`): one compiled program steps B slices × R
restarts at once, padded to a fixed B so that the last, shorter batch does not
recompile. On CPU workers with one thread each it does not pay (the step is
already compute-bound; ``benchmarks/bench_many.py`` measured 10.5 cuts/s
batched by 4 against 11.1 cuts/s one by one on 2 workers), so the default is
``batch_size=1``; on an accelerator it is the way to fill the device.

Result layout
-------------
The variables of :meth:`arpes_sigma.FitResult.to_dataset` (the result contract in README.md)
gain the slice dimension first (``sample_temp`` in K, or ``cut``), plus per
slice: ``status`` (str), ``converged`` (1, or 0 when the fit ran out of steps
while still improving: its status is still "ok", but more ``steps`` would
change it; NaN for a failed slice), ``chi2_reduced``, ``fit_steps``, ``seed``,
``fit_seconds`` (s, wall time of the fit including any compilation; a batch's
time is shared equally between its cuts), ``fit_temperature`` (K) and ``fit_resolution`` (eV) that
the fit used, ``static_gap`` (eV), ``pairing_evidence`` (nats),
``pairing_supported``, ``cancellation_ratio``, ``hidden_fermions`` (poles the
reported fit uses), ``pole_evidence`` (nats, :mod:`arpes_sigma.fitting.summary`),
``normal_determined_to`` and ``anomalous_determined_to`` (eV,
:meth:`arpes_sigma.FitResult.determined_to`) and ``params`` (JSON text of the
hidden-fermion parameters). Variable attrs that all slices share (units)
are kept, those that differ between slices dropped. Attrs: ``config`` (JSON), ``gauge``,
``slice_dim``, ``fingerprint``, ``n_slices``, ``n_ok``, ``n_failed``,
``n_fitted`` (slices fitted by *this* call) and ``n_resumed`` (taken from
parts of an earlier call).
"""


from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, ConfigError, describe
from ..fitting.config import FitConfig
from ..io.writers import to_netcdf_atomic
from .cluster import client_for, cores, raise_if_interrupted, run_dask
from .slices import FORMAT, TEMPERATURE_DIMS, as_dataarray, fingerprint, slice_dim, split
from .store import (
    MANIFEST,
    combine,
    coord_json,
    locked,
    part_ok,
    part_path,
    parts_folder,
    read_manifest,
    write_json_atomic,
)
from .tasks import failure, fit_task

__all__ = ["fit_many"]


def fit_many(
    data: Any,
    config: FitConfig | None = None,
    *,
    by: str | None = None,
    client: Any = None,
    out: Any = None,
    progress: bool = True,
    n_workers: int | None = None,
    batch_size: int = 1,
    baselines: bool = False,
    keep_parts: bool = False,
    compile_cache: Any = None,
    variable: str | None = None,
    protect: Any = (),
) -> xr.Dataset:
    """Fit every cut of a temperature series (or of a set of cuts) independently, in parallel.

    Parameters
    ----------
    data : xarray.DataArray, xarray.Dataset or path
        Intensity with dims (S, k, eV) in any order, where S is ``sample_temp``
        (temperatures in K; each cut gets ``attrs['sample_temp']`` = its value)
        or ``cut`` (or any other name with ``by=``). Shared attrs
        (``energy_resolution`` in eV, ...) apply to every cut; per-cut
        ``sample_temp``, ``energy_resolution`` (eV) and ``noise_sigma`` may be
        coordinates along S. A path is read with
        :func:`arpes_sigma.load` (read-only).
    config : FitConfig, optional
        Fit settings for every cut (default ``FitConfig()``); ``baselines`` is
        overridden by the keyword below.
    by : {"temperature", "cut"} or str, optional
        The dimension to split along; default: the one dim that is neither
        energy nor momentum.
    client : None, str, distributed.Client or False
        None starts a :class:`distributed.LocalCluster` of ``n_workers``
        single-threaded processes (closed at the end); a string is a scheduler
        address (``"tcp://host:8786"``); a Client is used as is (not closed);
        ``False`` fits in this process, one slice after another (no dask).
    out : path, optional
        Result file (``.nc``). Enables resumable parts in ``<out>.parts/``
        (module docstring) and writes the combined result atomically. Without
        it nothing is written and nothing can be resumed.
    progress : bool
        A tqdm bar over slices on stderr.
    n_workers : int, optional
        Workers of the LocalCluster; default the number of usable cores,
        never more than the number of tasks.
    batch_size : int
        Slices per task, advanced together under ``jax.vmap`` when > 1
        (module docstring). Lowered when there are fewer slices per worker.
    baselines : bool
        Also fit the Norman and normal-only baselines per cut (slow; off by default).
    keep_parts : bool
        Keep ``<out>.parts/`` after a fully successful run.
    compile_cache : path, optional
        Folder for JAX's persistent compilation cache in the workers (default:
        ``$ARPES_SIGMA_JAX_CACHE`` if set, else JAX's own setting, e.g.
        ``$JAX_COMPILATION_CACHE_DIR``). With it a resumed run or a fresh
        worker loads the compiled step instead of compiling it again.
    variable : str, optional
        Data variable to read from a file/Dataset with several.
    protect : iterable of paths
        Files never to overwrite (the input path is always protected).

    Returns
    -------
    xarray.Dataset
        The fit results stacked along S (layout in the module docstring; a
        temperature dim named ``temperature``/``temp_sample`` comes back as
        ``sample_temp``);
        ``attrs['n_fitted']`` counts the slices fitted by this call and
        ``attrs['n_resumed']`` those taken from earlier parts.

    Raises
    ------
    ArpesDataError, ConfigError
        Bad input, a bad option, parts of a different run in ``<out>.parts``,
        or a concurrent run on the same output.
    KeyboardInterrupt
        Passed on after cancelling the work; finished slices stay in the parts
        folder and the next call with the same arguments resumes from them.

    Notes
    -----
    The LocalCluster starts its workers as fresh processes (``spawn``), which
    re-import the calling script: in a script, call ``fit_many`` under
    ``if __name__ == "__main__":``. Workers of a remote scheduler need
    ``arpes_sigma`` installed; each sets ``JAX_PLATFORMS=cpu`` before importing
    JAX unless its environment says otherwise. A worker that dies is restarted
    by its nanny and its cut is run again (after three deaths the cut is marked
    failed and retried by the next call).

    Examples
    --------
    >>> from arpes_sigma import FitConfig
    >>> from arpes_sigma.synthetic import make_temperature_series
    >>> da, truth = make_temperature_series([20, 50, 80, 110], tc=90)  # doctest: +SKIP
    >>> res = fit_many(da, FitConfig(restarts=2), out="series.nc")  # doctest: +SKIP
    >>> res["status"].values  # doctest: +SKIP
    array(['ok', 'ok', 'ok', 'ok'], dtype=object)
    """
    config = (config or FitConfig()).replace(baselines=bool(baselines))
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ConfigError(f"batch_size={batch_size!r} must be an integer >= 1")
    if n_workers is not None and (not isinstance(n_workers, (int, np.integer)) or n_workers < 1):
        raise ConfigError(f"n_workers={n_workers!r} must be an integer >= 1")
    da, source = as_dataarray(data, variable)
    dim = slice_dim(da, by)
    slices, coord = split(da, dim)
    fp = fingerprint(da, dim, config)
    out_dim = "sample_temp" if dim in TEMPERATURE_DIMS else dim  # one name for temperature series
    coord_attrs = dict(da[dim].attrs) if dim in da.coords else {}
    if dim in TEMPERATURE_DIMS:
        coord_attrs.setdefault("units", "K")
    protect = [*([protect] if isinstance(protect, (str, os.PathLike)) else protect), *([source] if source else [])]

    if out is None:
        return _run(slices, config, fp, out_dim, coord, coord_attrs, None, client, progress, n_workers, batch_size,
                    compile_cache, keep_parts, protect, source)
    out = Path(os.fspath(out)).expanduser().absolute()
    if not out.parent.is_dir():
        raise ArpesDataError(f"output folder {out.parent} does not exist; create it first")
    if out.is_dir():
        raise ArpesDataError(f"output {out} is a folder; give a file name ending in .nc")
    for p in protect:
        pp = Path(os.fspath(p))
        if pp.exists() and out.exists() and os.path.samefile(pp, out):
            raise ConfigError(f"output {out} is the input file; choose another output so the data are not overwritten")
    folder = parts_folder(out)
    folder.mkdir(exist_ok=True)
    with locked(folder):
        return _run(slices, config, fp, out_dim, coord, coord_attrs, out, client, progress, n_workers, batch_size,
                    compile_cache, keep_parts, protect, source)


def _run(slices, config, fp, dim, coord, coord_attrs, out, client, progress, n_workers, batch_size,
         compile_cache, keep_parts, protect, source):
    n = len(slices)
    folder = parts_folder(out) if out is not None else None
    done: set = set()
    failures: dict = {}
    memory: dict = {}
    if folder is not None:
        old = read_manifest(out)
        if old is not None and old.get("fingerprint") != fp:
            raise ConfigError(
                f"{folder} holds parts of a different run (the input or the fit settings changed); "
                f"delete that folder to start over, or choose another output"
            )
        for stale in folder.glob(".slice_*.tmp"):  # left by a run killed mid-write
            with contextlib.suppress(OSError):
                stale.unlink()
        for i in range(n):
            if part_path(folder, i).exists() and part_ok(part_path(folder, i), fp, i):
                done.add(i)
        if old is not None:
            failures = {int(k): v for k, v in old.get("failed", {}).items() if int(k) not in done}
    resumed = len(done)

    def save_manifest():
        if folder is None:
            return
        write_json_atomic(folder / MANIFEST, {
            "format": FORMAT,
            "fingerprint": fp,
            "slice_dim": dim,
            "n_slices": n,
            "coords": coord_json(coord),
            "done": sorted(done),
            "failed": {str(k): v for k, v in sorted(failures.items())},
            "config": config.to_json(),
            "input": str(source) if source else None,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
        })

    save_manifest()
    todo = [i for i in range(n) if i not in done]
    fitted = 0

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, initial=len(done), desc=f"fit-many ({dim})", unit="slice", file=sys.stderr,
                   dynamic_ncols=True)

    def on_result(index, payload):
        nonlocal fitted
        fitted += 1
        ds = payload["dataset"]
        if ds is None:
            failures[index] = payload["status"]
        else:
            ds.attrs.update(many_fingerprint=fp, many_index=int(index))
            if folder is not None:
                to_netcdf_atomic(ds, part_path(folder, index), protect=protect)
            else:
                memory[index] = ds
            done.add(index)
            failures.pop(index, None)
        save_manifest()
        if bar is not None:
            bar.update(1)
            if failures:
                bar.set_postfix(failed=len(failures))

    try:
        if todo:
            workers = n_workers or cores()
            batch = max(1, min(batch_size, math.ceil(len(todo) / workers)))
            groups = [todo[j: j + batch] for j in range(0, len(todo), batch)]
            if client is False:
                for g in groups:
                    for index, payload in fit_task([(i, slices[i]) for i in g], config, compile_cache, batch):
                        on_result(index, payload)
                    raise_if_interrupted()
            else:
                with client_for(client, min(workers, len(groups))) as c:
                    run_dask(c, fit_task, groups, slices, config, compile_cache, batch, fp, on_result, failure)
    finally:
        if bar is not None:
            bar.close()

    parts = dict(memory)
    if folder is not None:
        for i in sorted(done):
            try:
                parts[i] = xr.load_dataset(part_path(folder, i), engine="h5netcdf")
            except Exception as exc:  # pragma: no cover - parts are written atomically
                raise ArpesDataError(
                    f"part {part_path(folder, i)} cannot be read ({describe(exc)}); "
                    "delete it and run again to refit that slice"
                ) from None
    result = combine(parts, failures, n, dim, coord, coord_attrs, slices)
    n_ok = int(sum(1 for s in result["status"].values if s == "ok"))
    result.attrs.update(
        slice_dim=dim,
        fingerprint=fp,
        n_slices=n,
        n_ok=n_ok,
        n_failed=n - n_ok,
        n_fitted=fitted,
        n_resumed=resumed,
        source="arpes_sigma.fit_many",
    )
    if "config" not in result.attrs:
        result.attrs["config"] = config.to_json()
    if source:
        result.attrs["input"] = str(source)
    if out is not None:
        to_netcdf_atomic(result, out, protect=protect)
        if not keep_parts and not failures and len(done) == n:
            shutil.rmtree(folder, ignore_errors=True)
    return result
