"""JAX's persistent compilation cache: one place that decides the folder and switches it on.

The CLI and the fit-many workers keep compiled XLA programs between runs, so a
second run of the same shape loads them instead of compiling again.
"""

from __future__ import annotations

import os

__all__ = ["XLA_CACHE_BYTES", "cache_folder", "enable_compile_cache", "export_folder"]

_ENABLED: list[str] = []
#: Most bytes the XLA cache folder holds; beyond it JAX deletes the least recently used programs
#: (a demo-cut fit writes about 25 MB; each code or library change writes a new set).
XLA_CACHE_BYTES = 1 << 30


def cache_folder(explicit: str | os.PathLike | None = None) -> str | None:
    """The cache folder to use.

    ``explicit`` if given; else ``$ARPES_SIGMA_JAX_CACHE``; else None when
    ``$JAX_COMPILATION_CACHE_DIR`` is set (JAX reads that itself, in every
    process that inherits the environment); else ``$XDG_CACHE_HOME/arpes_sigma/jax``
    (``~/.cache/arpes_sigma/jax``).
    """
    if explicit is not None:
        return os.fspath(explicit)
    if os.environ.get("ARPES_SIGMA_JAX_CACHE"):
        return os.environ["ARPES_SIGMA_JAX_CACHE"]
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return None
    return os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "arpes_sigma", "jax")


def export_folder(folder: str | os.PathLike) -> str:
    """The folder of exported programs beside the XLA cache ``folder``: ``FOLDER-export``."""
    return os.fspath(folder).rstrip("/\\") + "-export"


def enable_compile_cache(folder: str | os.PathLike | None) -> None:
    """Point JAX's persistent cache at ``folder`` (once per process; None leaves JAX's own setting).

    Every program is kept, however quick its compilation
    (``jax_persistent_cache_min_compile_time_secs = 0``): a fit process also
    compiles some two hundred small programs (eager array operations around
    the compiled fit), each 20–50 ms, and loading them takes a few ms each —
    measured on the demo cut, a warm ``arpes-sigma fit`` process went from
    35 s to 28 s when they were kept too. A folder that cannot be created
    (read-only home) only costs compile time. The folder is kept under
    :data:`XLA_CACHE_BYTES` by JAX's own least-recently-used eviction
    (``jax_compilation_cache_max_size``; it needs the ``filelock`` package).

    It also keeps the fit's large programs as exported StableHLO in
    :func:`export_folder` (:mod:`arpes_sigma.fitting.aot`), so a warm process
    skips tracing them as well.
    """
    if folder is None or _ENABLED:
        return
    import jax

    from . import aot

    try:
        os.makedirs(folder, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", os.fspath(folder))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_compilation_cache_max_size", XLA_CACHE_BYTES)
        _ENABLED.append(os.fspath(folder))
    except OSError:
        return
    aot.enable(export_folder(folder))
