"""Fit a whole data set — a temperature series or many cuts — slice by slice, in parallel.

:func:`fit_many` splits an intensity array with dims (``sample_temp`` or
``cut``, k, eV) into its 2-D cuts and fits each one independently with
:func:`arpes_sigma.fit.fit`. The work runs on a :mod:`dask.distributed`
cluster: by default a :class:`distributed.LocalCluster` sized to the machine
(one single-threaded worker *process* per core, each with its own JAX), or any
running scheduler given by its address, so the same call scales past one
machine. ``arpes-sigma fit-many`` is the command-line face of it.

Resumable and lossless
----------------------
With ``out="RESULT.nc"`` every finished slice is written at once, atomically
(:func:`arpes_sigma.data.to_netcdf_atomic`), to ``RESULT.nc.parts/slice_<i>.nc``
next to a ``manifest.json`` that records which run the parts belong to (a
SHA-256 fingerprint of the input data, coordinates, attrs, slice dimension and
the full :class:`~arpes_sigma.fit.FitConfig`). A run that is interrupted —
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
Inside a worker, slices of equal shape can be advanced together under
``jax.vmap`` (``batch_size > 1``): one compiled program steps B slices × R
restarts at once, padded to a fixed B so that the last, shorter batch does not
recompile. On CPU workers with one thread each it does not pay (the step is
already compute-bound; ``benchmarks/bench_many.py`` measured 10.5 cuts/s
batched by 4 against 11.1 cuts/s one by one on 2 workers), so the default is
``batch_size=1``; on an accelerator it is the way to fill the device.

Result layout
-------------
The variables of :meth:`arpes_sigma.fit.FitResult.to_dataset` (DESIGN.md §2)
gain the slice dimension first (``sample_temp`` in K, or ``cut``), plus per
slice: ``status`` (str), ``chi2_reduced``, ``fit_steps``, ``seed``,
``fit_seconds`` (s, wall time of the fit including any compilation; a batch's
time is shared equally between its cuts), ``fit_temperature`` (K) and ``fit_resolution`` (eV) that
the fit used, ``static_gap`` (eV) and ``params`` (JSON text of the
hidden-fermion parameters). Attrs: ``config`` (JSON), ``gauge``,
``slice_dim``, ``fingerprint``, ``n_slices``, ``n_ok``, ``n_failed``,
``n_fitted`` (slices fitted by *this* call) and ``n_resumed`` (taken from
parts of an earlier call).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import xarray as xr

from .io.writers import atomic_write
from .errors import ArpesDataError, ConfigError

__all__ = [
    "fit_many",
    "parts_folder",
    "read_manifest",
    "worker_environment",
    "default_compile_cache",
    "register",
    "run",
    "TEMPERATURE_DIMS",
]

#: Slice-dimension names that mean "a temperature series" (values in K).
TEMPERATURE_DIMS = ("sample_temp", "temperature", "temp_sample")
#: Per-slice metadata that may be given as coordinates along the slice dim;
#: they become the slice's attrs (what :func:`arpes_sigma.data.validate` reads).
SLICE_META = ("sample_temp", "energy_resolution", "noise_sigma")
MANIFEST = "manifest.json"
LOCK = ".lock"
FORMAT = 1
_DIVERGED = (
    "diverged at step {step}: the loss became non-finite in every restart; lower learning_rate (best parameters kept)"
)
_COMMON_ATTRS = ("config", "gauge", "momentum_dim")


# --------------------------------------------------------------------------
# worker side
# --------------------------------------------------------------------------
def worker_environment() -> dict:
    """Environment for worker processes: CPU JAX, one thread each.

    ``JAX_PLATFORMS`` keeps the caller's value when set (a GPU cluster can say
    ``cuda``), else ``cpu``. ``NPROC=1`` sizes XLA's CPU thread pool to one
    thread (XLA reads it as the number of usable cores) and ``XLA_FLAGS``
    gains ``--xla_cpu_multi_thread_eigen=false``, so that N single-threaded
    workers do not oversubscribe N cores: one unrestricted CPU fit keeps about
    1.8 of 2 cores busy for a 1.3× speed-up, so two single-threaded workers
    fit more cuts per second than one threaded one.

    Returns
    -------
    dict of str to str
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        flags = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
    env = {
        "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu"),
        "XLA_FLAGS": flags,
        "OMP_NUM_THREADS": "1",
        "NPROC": "1",
    }
    if os.environ.get("ARPES_SIGMA_JAX_CACHE"):
        env["ARPES_SIGMA_JAX_CACHE"] = os.environ["ARPES_SIGMA_JAX_CACHE"]
    return env


_CACHE_DIR: list = []


def _prepare_worker(compile_cache):
    """Make sure JAX is CPU-only unless told otherwise, and use the compile cache."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    folder = compile_cache or os.environ.get("ARPES_SIGMA_JAX_CACHE")
    if folder and not _CACHE_DIR and not (compile_cache is None and os.environ.get("JAX_COMPILATION_CACHE_DIR")):
        try:
            os.makedirs(folder, exist_ok=True)
            jax.config.update("jax_compilation_cache_dir", str(folder))
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
            _CACHE_DIR.append(folder)
        except OSError:
            pass  # a read-only cache folder only costs compile time


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text or type(exc).__name__


def _failure(exc: BaseException) -> dict:
    if isinstance(exc, (ArpesDataError, ConfigError)):
        reason = _one_line(exc)
    else:
        reason = f"{type(exc).__name__}: {_one_line(exc)}"
    return {"dataset": None, "status": f"failed: {reason}"}


def _part_dataset(result, seconds: float) -> xr.Dataset:
    """FitResult → the Dataset of one part: per-slice numbers as 0-d variables."""
    ds = result.to_dataset()
    a = ds.attrs
    status = "ok" if result.status == "completed" else f"failed: {result.status}"
    scalars = {
        "status": status,
        "chi2_reduced": float(a["chi2_reduced"]),
        "fit_steps": int(a["steps"]),
        "seed": int(a["seed"]),
        "fit_seconds": float(seconds),
        "fit_temperature": float(a.get("sample_temp", np.nan)),
        "fit_resolution": float(a.get("energy_resolution", np.nan)),
        "noise_sigma": float(a.get("noise_sigma", np.nan)),
        "static_gap": float(result.params.get("static_gap", np.nan)),
        "params": a["params"],
    }
    for name, value in a.items():
        if name.startswith("chi2_reduced_"):
            scalars[name] = float(value)
    for name, value in scalars.items():
        ds[name] = ((), np.asarray(value, dtype=object if isinstance(value, str) else None))
    ds["fit_temperature"].attrs["units"] = "K"
    for name in ("fit_resolution", "static_gap"):
        ds[name].attrs["units"] = "eV"
    ds["fit_seconds"].attrs["units"] = "s"
    ds.attrs = {k: a[k] for k in _COMMON_ATTRS if k in a}
    return ds


def _fit_one(index, data, config) -> tuple:
    from .fit import fit

    t0 = time.perf_counter()
    try:
        result = fit(data, config)
        return index, {"dataset": _part_dataset(result, time.perf_counter() - t0), "status": None}
    except Exception as exc:  # one bad slice must not sink the others
        return index, _failure(exc)


_BATCHED: dict = {}


def _batched_chunk(engine):
    """jit(vmap(engine.run_chunk)) over a leading slice axis; one per engine (shape)."""
    import jax

    key = id(engine)
    if key not in _BATCHED:
        _BATCHED[key] = (engine, jax.jit(jax.vmap(engine.run_chunk, in_axes=(0, 0, 0))))
    return _BATCHED[key][1]


def _fit_batched(items, config, pad_to) -> list:
    """Fit several slices together under jax.vmap (equal shapes share one program).

    Mirrors :func:`arpes_sigma.fit.fit` step for step: the same
    :class:`~arpes_sigma.fit.Fitter` objects, the same compiled chunk (vmapped
    once more over slices), the same stopping rule; the per-slice results come
    from ``Fitter.result``. Groups shorter than ``pad_to`` are padded by
    repeating their last slice (results of the padding are discarded) so that
    every call has the same shape and compiles once.
    """
    import jax
    import jax.numpy as jnp

    from .fit import Fitter

    out, fitters, t0 = [], {}, time.perf_counter()
    for index, data in items:
        try:
            fitters[index] = Fitter(data, config)
        except Exception as exc:
            out.append((index, _failure(exc)))

    def signature(f):
        leaves = jax.tree.leaves((f.prob, f.hyper, f.carry))
        return (id(f.engine), tuple((x.shape, str(x.dtype)) for x in leaves))

    groups: dict = {}
    for index, f in fitters.items():
        groups.setdefault(signature(f), []).append(index)
    stack = lambda trees: jax.tree.map(lambda *xs: jnp.stack(xs), *trees)  # noqa: E731
    n_calls = -(-config.steps // config.steps_per_call)
    errors = {}
    for indices in groups.values():
        group = [fitters[i] for i in indices]
        padded = group + [group[-1]] * max(0, pad_to - len(group))
        try:
            run_chunk = _batched_chunk(group[0].engine)
            carry = stack([f.carry for f in padded])
            prob = stack([f.prob for f in padded])
            hyper = stack([f.hyper for f in padded])
            active = [True] * len(group)
            for f in group:
                f.status = "completed"
            for _ in range(n_calls):
                carry, losses = run_chunk(carry, prob, hyper)
                losses = np.asarray(losses)  # (B, R, steps_per_call)
                dead = np.asarray(carry[4])  # Fitter carry: (states, opt, best, best_loss, dead)
                for b, f in enumerate(group):
                    if not active[b]:
                        continue  # a dead restart's state is frozen by the step itself
                    f.step += config.steps_per_call
                    f.history.append(losses[b, :, -1])
                    if dead[b].all():
                        f.status = _DIVERGED.format(step=f.step)
                        active[b] = False
                if not any(active):
                    break
            for b, f in enumerate(group):
                f.carry = jax.tree.map(lambda x, b=b: x[b], carry)
        except Exception as exc:
            for i in indices:
                errors[i] = exc
    per_slice = (time.perf_counter() - t0) / max(len(items), 1)
    data_of = dict(items)
    for index, f in fitters.items():
        if index in errors:
            out.append((index, _failure(errors[index])))
            continue
        try:
            t1 = time.perf_counter()
            baselines = None
            if config.baselines:
                from .baselines import fit_baselines

                baselines = fit_baselines(data_of[index], config)
            result = f.result(baselines=baselines)
            out.append((index, {"dataset": _part_dataset(result, per_slice + time.perf_counter() - t1), "status": None}))
        except Exception as exc:
            out.append((index, _failure(exc)))
    return out


def _fit_task(items, config, compile_cache=None, pad_to=1):
    """What a worker runs: fit a list of (index, cut) pairs; never raises for a bad cut.

    Returns
    -------
    list of (index, {"dataset": xarray.Dataset or None, "status": str or None})
    """
    _prepare_worker(compile_cache)
    if pad_to <= 1:
        return [_fit_one(i, d, config) for i, d in items]
    return _fit_batched(items, config, pad_to)


# --------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------
def _as_dataarray(data, variable=None):
    from .data import load

    if isinstance(data, (str, os.PathLike)):
        return load(data, validate=False, variable=variable), Path(os.fspath(data))
    if isinstance(data, xr.Dataset):
        names = [str(n) for n in data.data_vars]
        name = variable or ("intensity" if "intensity" in names else (names[0] if len(names) == 1 else None))
        if name is None or name not in data.data_vars:
            raise ArpesDataError(
                f"the Dataset holds variables {names or 'none'}; name the intensity 'intensity' or pass variable=..."
            )
        da = data[name].copy(deep=False)
        da.attrs = dict(da.attrs)  # never write into the caller's Dataset
        for key in SLICE_META + ("energy_resolution", "resolution", "temperature"):
            if key in data.attrs and key not in da.attrs:
                da.attrs[key] = data.attrs[key]
        return da, None
    if isinstance(data, xr.DataArray):
        return data, None
    raise ArpesDataError(
        f"fit_many() needs an xarray.DataArray/Dataset or a file path, got {type(data).__name__}; "
        f"build e.g. xr.DataArray(arr, dims=('sample_temp', 'k', 'eV'), coords=...)"
    )


def _slice_dim(da: xr.DataArray, by) -> str:
    from .data import ENERGY_DIMS, MOMENTUM_DIMS

    dims = tuple(str(d) for d in da.dims)
    extra = [d for d in dims if d not in ENERGY_DIMS and d not in MOMENTUM_DIMS]
    if by is None:
        if len(extra) != 1:
            raise ArpesDataError(
                f"cannot tell which dimension of {dims} to split into cuts; pass by='temperature' "
                f"(dim sample_temp), by='cut' or by=<dimension name>"
            )
        dim = extra[0]
    elif by == "temperature":
        found = [d for d in TEMPERATURE_DIMS if d in dims]
        if not found:
            raise ArpesDataError(f"by='temperature' needs a dimension named 'sample_temp' (dims are {dims}); rename it")
        dim = found[0]
    elif by == "cut":
        if "cut" not in dims:
            raise ArpesDataError(f"by='cut' needs a dimension named 'cut' (dims are {dims}); rename it or pass by=<name>")
        dim = "cut"
    elif isinstance(by, str) and by in dims:
        dim = by
    else:
        raise ConfigError(f"by={by!r} is not 'temperature', 'cut' or a dimension of the data {dims}")
    if da.ndim != 3:
        raise ArpesDataError(
            f"fit_many() needs 3-D data ({dim}, k, eV), got dims {dims}; for a single cut use arpes_sigma.fit.fit"
        )
    if da.sizes[dim] == 0:
        raise ArpesDataError(f"dimension {dim!r} is empty; nothing to fit")
    return dim


def _slices(da: xr.DataArray, dim: str):
    """The 2-D cuts along ``dim``, each with its own attrs; and the coordinate values."""
    da = da.transpose(dim, ...)
    n = da.sizes[dim]
    coord = np.asarray(da[dim].values) if dim in da.coords else np.arange(n)
    temperature = dim in TEMPERATURE_DIMS
    if temperature:
        t = np.asarray(coord, dtype=float) if np.issubdtype(np.asarray(coord).dtype, np.number) else None
        if t is None or not np.all(np.isfinite(t)) or not np.all(t > 0):
            raise ArpesDataError(
                f"the {dim} coordinate must hold temperatures in K (> 0), got {coord!r}; assign them with "
                f"da.assign_coords({dim}=[...])"
            )
    base = {k: v for k, v in da.attrs.items()}
    out = []
    for i in range(n):
        s = da.isel({dim: i})
        attrs = dict(base)
        for name in SLICE_META:
            if name in s.coords and s[name].ndim == 0:
                attrs[name] = float(s[name].values)
                s = s.drop_vars(name)
        if dim in s.coords:
            s = s.drop_vars(dim)
        if temperature:
            attrs["sample_temp"] = float(coord[i])
        s = s.copy()
        s.attrs = attrs
        out.append(s)
    return out, coord


def _fingerprint(da: xr.DataArray, dim: str, config) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"format": FORMAT, "dims": list(map(str, da.dims)), "shape": list(da.shape), "dim": dim}).encode())
    h.update(np.ascontiguousarray(np.asarray(da.values, dtype=float)).tobytes())
    for name in sorted(map(str, da.coords)):
        v = np.asarray(da.coords[name].values)
        h.update(name.encode())
        h.update(json.dumps(list(map(str, da.coords[name].dims))).encode())
        h.update(np.ascontiguousarray(v).tobytes() if v.dtype.kind in "biuf" else str(v.tolist()).encode())
    attrs = {str(k): v for k, v in da.attrs.items() if isinstance(v, (int, float, str, np.number))}
    h.update(json.dumps(attrs, sort_keys=True, default=str).encode())
    h.update(config.to_json().encode())
    return h.hexdigest()


# --------------------------------------------------------------------------
# parts folder
# --------------------------------------------------------------------------
def parts_folder(out) -> Path:
    """The folder of per-slice parts for a result file: ``<out>.parts``."""
    out = Path(os.fspath(out))
    return out.with_name(out.name + ".parts")


def _part_path(folder: Path, index: int) -> Path:
    return folder / f"slice_{index}.nc"


def read_manifest(out) -> dict | None:
    """The manifest of an unfinished (or kept) run for result file ``out``, or None.

    Keys: ``fingerprint``, ``slice_dim``, ``n_slices``, ``coords``, ``done``
    (list of finished slice indices), ``failed`` (index → reason), ``config``
    (JSON), ``input``.
    """
    path = parts_folder(out) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write_json_atomic(path: Path, obj) -> None:
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=1)
            f.flush()
            os.fsync(f.fileno())

    atomic_write(path, write)


@contextlib.contextmanager
def _locked(folder: Path):
    """Exclusive lock on the parts folder (released when the process ends, however it ends)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fh = open(folder / LOCK, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ConfigError(
                f"another fit-many run is writing {folder}; wait for it to finish or choose another output"
            ) from None
        yield
    finally:
        fh.close()


def _part_ok(path: Path, fingerprint: str, index: int) -> bool:
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.attrs.get("many_fingerprint") == fingerprint and int(ds.attrs.get("many_index", -1)) == index
    except Exception:
        return False


def _coord_json(coord) -> list:
    c = np.asarray(coord)
    return [float(x) for x in c] if c.dtype.kind in "biuf" else [str(x) for x in c]


# --------------------------------------------------------------------------
# combining
# --------------------------------------------------------------------------
def _nan_like(template: xr.Dataset) -> xr.Dataset:
    out = template.copy(deep=True)
    for name, var in out.data_vars.items():
        if var.dtype.kind == "f":
            out[name] = var.copy(data=np.full(var.shape, np.nan))
        elif var.dtype.kind in "biu":
            out[name] = var.copy(data=np.zeros(var.shape, dtype=var.dtype))
        else:
            out[name] = var.copy(data=np.full(var.shape, "", dtype=object))
    return out


def _combine(parts: dict, failures: dict, n: int, dim: str, coord, coord_attrs: dict, slices=None) -> xr.Dataset:
    """Concatenate per-slice Datasets along ``dim``; missing slices become NaN with their status.

    A missing slice takes its ``eps_k`` from its input cut (``slices``) when
    that has the right length, so per-cut bands stay right.
    """
    index = xr.DataArray(np.asarray(coord), dims=dim, attrs=coord_attrs)
    if not parts:
        status = np.array([failures.get(i, "failed: not fitted") for i in range(n)], dtype=object)
        return xr.Dataset({"status": (dim, status)}, coords={dim: index})
    template = parts[min(parts)]
    pads = {d: max(p.sizes.get(d, 0) for p in parts.values()) for d in ("chunk",)}
    items = []
    for i in range(n):
        ds = parts[i] if i in parts else _nan_like(template)
        if i not in parts:
            ds["status"] = ((), np.asarray(failures.get(i, "failed: not fitted"), dtype=object))
            eps = slices[i].coords.get("eps_k") if slices is not None else None
            if eps is not None and "eps_k" in ds.coords and eps.size == ds["eps_k"].size:
                ds = ds.assign_coords(eps_k=ds["eps_k"].copy(data=np.asarray(eps.values, dtype=ds["eps_k"].dtype).ravel()))
        for d, size in pads.items():
            if d in ds.dims and ds.sizes[d] < size:
                ds = ds.pad({d: (0, size - ds.sizes[d])})
        ds.attrs = {}
        items.append(ds)
    out = xr.concat(items, dim=index, coords="different", compat="equals", join="exact", combine_attrs="drop")
    out.attrs = {k: template.attrs[k] for k in _COMMON_ATTRS if k in template.attrs}
    out["status"] = out["status"].astype(object)
    return out


# --------------------------------------------------------------------------
# clusters
# --------------------------------------------------------------------------
def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def _client_for(client, n_workers: int):
    """A dask Client: the given one, one connected to an address, or a fresh LocalCluster."""
    if client is not None and not isinstance(client, str):
        yield client  # the caller's: not ours to close
        return
    from distributed import Client, LocalCluster

    if isinstance(client, str):
        try:
            c = Client(client, set_as_default=False)  # leave dask's global default alone
        except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address
            raise ConfigError(
                f"cannot connect to the dask scheduler at {client!r} ({_one_line(exc, 120)}); check the address "
                f"(e.g. tcp://host:8786) or leave it out to use a local cluster"
            ) from None
        try:
            yield c
        finally:
            c.close()
        return
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env=worker_environment(),
        silence_logs=logging.ERROR,
    )
    c = Client(cluster, set_as_default=False)
    try:
        yield c
    finally:
        with contextlib.suppress(Exception):
            c.close(timeout=10)
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)


# --------------------------------------------------------------------------
# the public function
# --------------------------------------------------------------------------
def fit_many(
    data,
    config=None,
    *,
    by=None,
    client=None,
    out=None,
    progress=True,
    n_workers: int | None = None,
    batch_size: int = 1,
    baselines: bool = False,
    keep_parts: bool = False,
    compile_cache=None,
    variable: str | None = None,
    protect=(),
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
        :func:`arpes_sigma.data.load` (read-only).
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
    >>> from arpes_sigma.fit import FitConfig
    >>> from arpes_sigma.series import make_temperature_series
    >>> da, truth = make_temperature_series([20, 50, 80, 110], tc=90)  # doctest: +SKIP
    >>> res = fit_many(da, FitConfig(steps=1500), out="series.nc")  # doctest: +SKIP
    >>> res["status"].values  # doctest: +SKIP
    array(['ok', 'ok', 'ok', 'ok'], dtype=object)
    """
    from .fit import FitConfig

    config = (config or FitConfig()).replace(baselines=bool(baselines))
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ConfigError(f"batch_size={batch_size!r} must be an integer >= 1")
    if n_workers is not None and (not isinstance(n_workers, (int, np.integer)) or n_workers < 1):
        raise ConfigError(f"n_workers={n_workers!r} must be an integer >= 1")
    da, source = _as_dataarray(data, variable)
    dim = _slice_dim(da, by)
    slices, coord = _slices(da, dim)
    fp = _fingerprint(da, dim, config)
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
    with _locked(folder):
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
            if _part_path(folder, i).exists() and _part_ok(_part_path(folder, i), fp, i):
                done.add(i)
        if old is not None:
            failures = {int(k): v for k, v in old.get("failed", {}).items() if int(k) not in done}
    resumed = len(done)

    def save_manifest():
        if folder is None:
            return
        _write_json_atomic(folder / MANIFEST, {
            "format": FORMAT,
            "fingerprint": fp,
            "slice_dim": dim,
            "n_slices": n,
            "coords": _coord_json(coord),
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
                from .data import to_netcdf_atomic

                to_netcdf_atomic(ds, _part_path(folder, index), protect=protect)
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
            workers = n_workers or _cores()
            batch = max(1, min(batch_size, math.ceil(len(todo) / workers)))
            groups = [todo[j: j + batch] for j in range(0, len(todo), batch)]
            if client is False:
                for g in groups:
                    for index, payload in _fit_task([(i, slices[i]) for i in g], config, compile_cache, batch):
                        on_result(index, payload)
            else:
                with _client_for(client, min(workers, len(groups))) as c:
                    _run_dask(c, groups, slices, config, compile_cache, batch, fp, on_result)
    finally:
        if bar is not None:
            bar.close()

    parts = dict(memory)
    if folder is not None:
        for i in sorted(done):
            try:
                parts[i] = xr.load_dataset(_part_path(folder, i), engine="h5netcdf")
            except Exception as exc:  # pragma: no cover - parts are written atomically
                raise ArpesDataError(
                    f"part {_part_path(folder, i)} cannot be read ({_one_line(exc)}); delete it and run again to refit that slice"
                ) from None
    result = _combine(parts, failures, n, dim, coord, coord_attrs, slices)
    n_ok = int(sum(1 for s in result["status"].values if s == "ok"))
    result.attrs.update(
        slice_dim=dim,
        fingerprint=fp,
        n_slices=n,
        n_ok=n_ok,
        n_failed=n - n_ok,
        n_fitted=fitted,
        n_resumed=resumed,
        source="arpes_sigma.many.fit_many",
    )
    if "config" not in result.attrs:
        result.attrs["config"] = config.to_json()
    if source:
        result.attrs["input"] = str(source)
    if out is not None:
        from .data import to_netcdf_atomic

        to_netcdf_atomic(result, out, protect=protect)
        if not keep_parts and not failures and len(done) == n:
            shutil.rmtree(folder, ignore_errors=True)
    return result


def _run_dask(client, groups, slices, config, compile_cache, batch, fp, on_result):
    from distributed import as_completed

    futures = {}
    for g in groups:
        fut = client.submit(
            _fit_task, [(i, slices[i]) for i in g], config, compile_cache, batch,
            key=f"arpes-sigma-fit-{fp[:8]}-{g[0]}-{uuid.uuid4().hex[:8]}", pure=False,
        )
        futures[fut] = g
    try:
        for fut in as_completed(list(futures), loop=client.loop):
            try:
                results = fut.result()
            except Exception as exc:  # KilledWorker after repeated worker deaths, lost scheduler, ...
                results = [(i, _failure(exc)) for i in futures[fut]]
            for index, payload in results:
                on_result(index, payload)
            fut.release()
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(list(futures))
        raise


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------
def default_compile_cache() -> str | None:
    """The compile-cache folder ``arpes-sigma fit-many`` gives its workers.

    ``$ARPES_SIGMA_JAX_CACHE``, else ``$XDG_CACHE_HOME/arpes_sigma/jax``
    (``~/.cache/arpes_sigma/jax``) — the folder ``arpes-sigma fit`` uses —
    or None when ``$JAX_COMPILATION_CACHE_DIR`` is set (JAX then reads it
    itself in every worker, which inherits the environment).
    """
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return None  # JAX reads it itself, in every worker (inherited environment)
    return os.environ.get("ARPES_SIGMA_JAX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "arpes_sigma", "jax"
    )


def register(subparsers) -> None:
    """Add the ``fit-many`` subcommand to the ``arpes-sigma`` parser."""
    p = subparsers.add_parser(
        "fit-many",
        help="fit every cut of a temperature series or set of cuts in parallel (resumable)",
        description=(
            "Fit each 2-D cut of INPUT (dims sample_temp|cut, k, eV) independently on a dask cluster. "
            "Finished cuts are saved at once in OUT.parts/; run the same command again after an "
            "interruption to resume. Exit status: 0 all cuts ok, 1 some failed (result written), "
            "2 bad input, 130 interrupted."
        ),
    )
    p.add_argument("input", help="netCDF file with an intensity of dims (sample_temp|cut, k, eV)")
    p.add_argument("--out", required=True, help="result netCDF file (.nc)")
    p.add_argument("--by", choices=("temperature", "cut"), help="dimension to split along (default: the extra one)")
    p.add_argument("--variable", help="data variable to read when the file holds several")
    p.add_argument("--scheduler", metavar="ADDRESS", help="address of a running dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, help="local worker processes (default: number of cores)")
    p.add_argument("--batch", type=int, default=1, help="cuts per task, advanced together under jax.vmap (default 1)")
    p.add_argument("--steps", type=int, help="optimizer steps per cut")
    p.add_argument("--restarts", type=int, help="independent seeds per cut; >1 gives *_std error bars")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--hidden", type=int, help="number of hidden fermions (poles)")
    p.add_argument("--window", nargs=2, type=float, metavar=("EMIN", "EMAX"), help="energy window of the fit, eV")
    p.add_argument("--resolution", type=float, help="energy resolution FWHM, eV (if the file lacks it)")
    p.add_argument("--baselines", action="store_true", help="also fit the Norman and normal-only baselines per cut")
    p.add_argument("--keep-parts", action="store_true", help="keep OUT.parts/ after a successful run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _config_from_args(args):
    from .fit import FitConfig

    kw = {}
    for name, attr in (("steps", "steps"), ("restarts", "restarts"), ("seed", "seed"), ("hidden", "n_poles"),
                       ("resolution", "resolution")):
        v = getattr(args, name, None)
        if v is not None:
            kw[attr] = v
    if getattr(args, "window", None) is not None:
        kw["window"] = tuple(args.window)
    return FitConfig(**kw)


def run(args) -> int:
    """Run ``arpes-sigma fit-many``; returns the exit status (0 ok, 1 some cuts failed, 130 interrupted)."""
    out = os.path.abspath(args.out)
    if os.path.splitext(out)[1].lower() != ".nc":
        raise ConfigError(f"output {args.out!r} must end in .nc; rename it")
    if not os.path.isdir(os.path.dirname(out)):
        raise ConfigError(f"folder of output {args.out!r} does not exist; create it first")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers {args.workers} must be >= 1")
    if args.scheduler and args.workers is not None:
        print("arpes-sigma: note: --workers is ignored with --scheduler (the cluster has its own workers)", file=sys.stderr)
    config = _config_from_args(args)
    t0 = time.perf_counter()
    try:
        result = fit_many(
            args.input, config, by=args.by, client=args.scheduler or None, out=out, progress=not args.quiet,
            n_workers=args.workers, batch_size=args.batch, baselines=args.baselines, keep_parts=args.keep_parts,
            compile_cache=default_compile_cache(), variable=args.variable,
        )
    except KeyboardInterrupt:
        m = read_manifest(out) or {}
        print(
            f"arpes-sigma: interrupted; {len(m.get('done', []))} of {m.get('n_slices', '?')} cuts are saved in "
            f"{parts_folder(out)}; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    a = result.attrs
    lines = [
        f"result: {out}",
        f"cuts: {a['n_slices']} along {a['slice_dim']}: {a['n_ok']} ok, {a['n_failed']} failed; "
        f"{a['n_fitted']} fitted now, {a['n_resumed']} resumed from earlier parts ({time.perf_counter() - t0:.1f} s)",
    ]
    for value, status in zip(result[a["slice_dim"]].values, result["status"].values, strict=True):
        if status != "ok":
            lines.append(f"  {a['slice_dim']}={value}: {status}")
    if a["n_failed"]:
        lines.append(f"failed cuts are kept for a retry in {parts_folder(out)}; run the same command again")
    print("\n".join(lines))
    return 0 if a["n_failed"] == 0 else 1
