"""Where fit-many runs: a dask LocalCluster sized to the machine, or a running scheduler.

By default a :class:`distributed.LocalCluster` with one single-threaded worker
*process* per core (each with its own JAX); any running scheduler given by its
address scales the same call past one machine. Results are gathered on the
caller's event loop (:func:`run_dask`), never through dask's default client.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ConfigError, describe

__all__ = ["INTERRUPTED", "client_for", "cores", "ctrl_c_noted", "raise_if_interrupted", "run_dask",
           "worker_environment"]

#: Set by :func:`ctrl_c_noted`'s SIGINT handler and checked between results. Python drops a
#: KeyboardInterrupt raised while a weakref callback or a finaliser runs (it prints "Exception ignored
#: in ..." and goes on): the fit-many CLI test once saw its Ctrl-C lost that way and the run finish.
INTERRUPTED = threading.Event()


@contextlib.contextmanager
def ctrl_c_noted() -> Iterator[None]:
    """Within: Ctrl-C raises KeyboardInterrupt as usual and is also noted in :data:`INTERRUPTED`."""
    def on_sigint(signum: int, frame: Any) -> None:
        INTERRUPTED.set()
        raise KeyboardInterrupt

    INTERRUPTED.clear()
    if threading.current_thread() is not threading.main_thread():  # signal handlers belong to the main thread
        yield
        return
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        INTERRUPTED.clear()


def raise_if_interrupted() -> None:
    """Raise the KeyboardInterrupt of a Ctrl-C that Python dropped (see :data:`INTERRUPTED`)."""
    if INTERRUPTED.is_set():
        raise KeyboardInterrupt


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


def cores() -> int:
    """Usable CPU cores of this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def client_for(client: Any, n_workers: int) -> Iterator[Any]:
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
                f"cannot connect to the dask scheduler at {client!r} ({describe(exc, 120)}); check the address "
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
        # no dashboard, and the scheduler's HTTP routes on a free port: never "port 8787 is already in use"
        scheduler_kwargs={"dashboard_address": ":0"},
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


def run_dask(
    client: Any, task: Callable, groups: list, slices: list, config: Any, compile_cache: Any, batch: int, fp: str,
    on_result: Callable, on_failure: Callable,
) -> None:
    """Submit one ``task`` per group of slice indices and hand every result to ``on_result`` as it arrives.

    A task that fails as a whole (a worker that died three times, a lost
    scheduler) gives ``on_failure(exc)`` for each of its slices. On any
    exception (Ctrl-C included) the outstanding work is cancelled.
    """
    from distributed import as_completed

    futures = {}
    for g in groups:
        fut = client.submit(
            task, [(i, slices[i]) for i in g], config, compile_cache, batch,
            key=f"arpes-sigma-fit-{fp[:8]}-{g[0]}-{uuid.uuid4().hex[:8]}", pure=False,
        )
        futures[fut] = g
    try:
        for fut in as_completed(list(futures), loop=client.loop):
            try:
                results = fut.result()
            except Exception as exc:  # KilledWorker after repeated worker deaths, lost scheduler, ...
                results = [(i, on_failure(exc)) for i in futures[fut]]
            for index, payload in results:
                on_result(index, payload)
            fut.release()
            raise_if_interrupted()
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(list(futures))
        raise
