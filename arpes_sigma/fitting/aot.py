"""Compiled programs kept on disk as exported StableHLO, so a warm process skips tracing them.

JAX's persistent compilation cache (:mod:`arpes_sigma.fitting.cache`) skips
only XLA's compilation: every new process still traces each jitted function to
a jaxpr and lowers it, several seconds for the fit's large programs (the
solver's chunk, the fresh start, the Norman fit, the Laplace evidence).
:func:`jax.export.export` turns a traced and lowered program into serialised
StableHLO; a later process deserialises it and calls it without tracing the
Python that made it (its lowering and the cache-hit compilation remain).

This module is hand-written because nothing in JAX keeps exported programs in
a keyed on-disk cache: :class:`Program` wraps a ``jax.jit`` function and, while
:func:`enable` has named a folder (the CLI and the fit-many workers do, next to
the XLA cache), calls the exported program stored under a key of everything
that changes it — the name and static configuration of the program, the
structure, shapes and dtypes of its arguments, the versions of JAX and of the
libraries traced into it, the platform, and a hash of every arpes_sigma
source file (a change to the code never loads a stale program). Without a
folder (the library's default, the tests) it is the jitted function itself,
compiled ahead of time for each argument signature.
Anything wrong with a stored file (unreadable, corrupt, from another key, a
program that cannot be exported) falls back to the jitted function; it never
raises. The files are trusted as JAX's own cache files next to them are: they
hold programs that this process runs (and the result's pytree structure,
pickled).

Every code or library change makes a new key, so old files would pile up
(about 350 KB per set of the fit's programs). The folder is kept under
:data:`MAX_BYTES`: after each export the least recently used files go (a load
marks its file used by touching it), as JAX does for its own cache
(``jax_compilation_cache_max_size``, set in :mod:`~.cache`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import pickle
import re
import tempfile
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import jax

__all__ = ["LIGHT", "MAX_BYTES", "Program", "disable", "enable", "exclusive", "folder", "program_key", "prune",
           "release_freed_memory"]

#: Distributions whose code is traced into the programs (or lowers them): their versions are part of the key.
TRACED_DISTRIBUTIONS = ("jax", "jaxlib", "equinox", "lineax", "optimistix", "flax", "numpy")
#: Bumped when the file layout below changes.
FORMAT = 1
#: Most bytes of exported programs kept in the folder (some 180 sets of the fit's programs).
MAX_BYTES = 64 << 20
#: Held while a Program runs, until its results are ready: one Program runs at a time in a process.
#: XLA's CPU LAPACK kernels (the Cholesky factorisations of the solver, the Norman fit and the evidence)
#: split a batch over the intra-op thread pool and block until the pieces are done. Two such kernels
#: started from two threads (the fit and its helper thread, fitting.pipeline) can hold every worker of a
#: two-core pool, each waiting for pieces that no free worker is left to run: the process hangs for good
#: (seen on this project's 2-core machine: a cold ``arpes-sigma fit`` with n_features=32 hung in 4 of 4
#: runs, both workers inside potrf; ``--xla_cpu_multi_thread_eigen=false`` did not help). Compilation
#: is outside the lock, so the helper thread still compiles while the fit runs. JAX work that is not a
#: Program (the thermal panel beside an Explorer's fit thread in one kernel) takes it through :func:`exclusive`.
#: Re-entrant, so a Program called inside an ``exclusive()`` block of the same thread does not wait for itself.
_EXECUTION = threading.RLock()
#: Suffix of the stored programs' files.
SUFFIX = ".jaxexport"
#: XLA options for light programs (the evaluation, the evidence, the errors): LLVM's optimisation level 0
#: roughly halves their compilation, which in a new process outweighs their short run time (three alternating
#: pairs of cold CLI fits: 14.05 / 15.34 / 12.97 s -> 12.63 / 12.46 / 13.22 s, warm ones unchanged). Not for the
#: solver's chunk (it runs every step) or the Norman fit (200 steps: at level 0 its longer run made warm
#: processes slower), nor for the fresh start and the starting draw (their last bits set the fit's path: at
#: level 0 the standard fit ends 1–5 nats lower in ln B); the evaluation, the evidence and the errors give
#: the same values at either level to rounding (tests/fitting/test_aot.py).
LIGHT = {"xla_backend_optimization_level": 0}

_LOG = logging.getLogger(__name__)
_FOLDER: list[str] = []
#: A key must not depend on where objects live in memory (a repr with an address differs between processes).
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@contextlib.contextmanager
def exclusive():
    """Run a block of JAX work as if it were one :class:`Program`: no Program of another thread runs meanwhile.

    For computations that do not go through a Program but may share the
    process with a fit thread (see :data:`_EXECUTION`); finish (block on) the
    block's results inside it.
    """
    with _EXECUTION:
        yield


def enable(path: str | os.PathLike) -> None:
    """Keep exported programs in ``path`` from now on in this process.

    The folder is created if needed; when it cannot be, or when JAX cannot
    serialise exported programs (it needs the ``flatbuffers`` package), the
    programs stay plain jitted functions.
    """
    if importlib.util.find_spec("flatbuffers") is None:
        return
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return
    _FOLDER[:] = [os.fspath(path)]


def disable() -> None:
    """Stop using stored programs in this process (every :class:`Program` calls its jitted function)."""
    _FOLDER.clear()


def folder() -> str | None:
    """The folder of exported programs, or None when they are off."""
    return _FOLDER[0] if _FOLDER else None


def _environment() -> str:
    """Versions, platform, the JAX settings that change a lowering, and the hash of the package's sources.

    The settings are read at every call: the evidence runs inside ``jax.enable_x64``.
    """
    flags = (jax.config.jax_enable_x64, jax.config.jax_default_matmul_precision, jax.config.jax_default_prng_impl)
    return repr((flags, _installation()))


@functools.lru_cache(maxsize=1)
def _installation() -> str:
    """Versions, platform and the hash of every arpes_sigma source file (once per process)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    versions = []
    for name in TRACED_DISTRIBUTIONS:
        try:
            versions.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name}==?")
    device = jax.devices()[0]
    return repr((FORMAT, versions, jax.__version__, device.platform, device.device_kind, digest.hexdigest()))


def program_key(name: str, static: Hashable, in_tree: Any, avals: tuple) -> str | None:
    """The on-disk key (hex) of one program; None when no process-independent key exists.

    Parameters
    ----------
    name : str
        The program's name (one per jitted function).
    static : hashable
        Everything closed over that changes the program (model shape, chunk length, step limit, …).
    in_tree : PyTreeDef
        Structure of the arguments (with their static metadata, e.g. the problem's layout).
    avals : tuple of jax.core.ShapedArray
        Shapes, dtypes and weak types of the arguments' leaves.
    """
    text = repr((name, static, str(in_tree), tuple(str(a) for a in avals), _environment()))
    if _ADDRESS.search(text):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def prune(where: str, keep: str | None = None, max_bytes: int | None = None) -> list[str]:
    """Delete the least recently used stored programs until the folder holds at most ``max_bytes``.

    Parameters
    ----------
    where : str
        The folder of exported programs.
    keep : str, optional
        A file never deleted (the one just written).
    max_bytes : int, optional
        Size limit in bytes; :data:`MAX_BYTES` by default.

    Returns
    -------
    list of str
        The deleted files' paths (oldest first). Files another process deletes
        or writes meanwhile are skipped; nothing raises.
    """
    limit = MAX_BYTES if max_bytes is None else max_bytes
    files = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(where):
            if entry.name.endswith(SUFFIX) and entry.is_file():
                with contextlib.suppress(OSError):
                    stat = entry.stat()
                    files.append((stat.st_mtime, stat.st_size, entry.path))
    total = sum(size for _, size, _ in files)
    deleted = []
    for _, size, path in sorted(files):
        if total <= limit:
            break
        if path == keep:
            continue
        with contextlib.suppress(OSError):
            os.remove(path)
            deleted.append(path)
        total -= size
    return deleted


class Program:
    """A ``jax.jit`` function that, while :func:`enable` has named a folder, runs its exported program from disk.

    Parameters
    ----------
    jitted : callable
        The jitted function; positional array-pytree arguments, a pytree of arrays back.
    name : str
        Unique name of the program (part of the key and of the file name).
    static : hashable
        What the function closes over that changes the program (part of the key);
        ``repr`` must not depend on memory addresses.
    compiler_options : dict, optional
        XLA options for the compilation (e.g. :data:`LIGHT`).

    Notes
    -----
    Within a process each argument signature (structure, shapes, dtypes) is
    loaded or exported (or, without a folder, traced), compiled once ahead of
    time and kept, so new values of traced settings (the Explorer's sliders)
    never export, load or compile again. A signature is prepared under a
    lock: a second thread that calls with it meanwhile (the fit's helper
    thread compiles programs ahead of the fit,
    :func:`arpes_sigma.fitting.pipeline.fit_with_baselines`) waits for that
    one compilation instead of making its own. The compiled program is called
    as such (:meth:`jax.stages.Compiled.__call__`), which takes committed and
    uncommitted arrays alike, where a ``jax.jit`` function compiles once for
    each (measured: 3–6 s more in a new process when one argument was a
    committed array).
    """

    def __init__(self, jitted: Callable[..., Any], name: str, static: Hashable = (),
                 compiler_options: dict | None = None):
        self.jitted = jitted
        self.name = name
        self.static = static
        self.compiler_options = compiler_options
        self._loaded: dict[tuple, tuple[Callable[..., Any], Any]] = {}
        self._lock = threading.Lock()
        #: How the last new signature was served: "loaded", "exported", "jit" (fallback) or "" (no folder).
        self.last = ""
        #: Signatures served by a stored program (loaded without tracing).
        self.loads = 0

    def __call__(self, *args: Any) -> Any:
        """``jitted(*args)``, from the stored exported program when the folder is on; returns when it is done.

        Calls from several threads run one after another (:data:`_EXECUTION`).
        """
        leaves, (call, out_tree) = self._entry(args)
        with _EXECUTION:
            out = jax.block_until_ready(call(*leaves))
        return jax.tree.unflatten(out_tree, out)

    def compile(self, *args: Any) -> None:
        """Make the program for these arguments' signature ready (load or export, compile) without running it.

        What a helper thread does ahead of the first call (only the arguments'
        structure, shapes and dtypes matter, not their values).
        """
        self._entry(args)

    def _entry(self, args: tuple) -> tuple[list, tuple[Callable[..., Any], Any]]:
        """The flat arguments and (compiled program on them, output structure) for ``args``' signature.

        The program is made once per signature.
        """
        where, leaves, in_tree, avals = _signature(args)
        signature = (where, in_tree, avals)
        entry = self._loaded.get(signature)
        if entry is None:
            with self._lock:
                entry = self._loaded.get(signature)
                if entry is None:
                    entry = self._loaded[signature] = self._prepare(where, leaves, in_tree, avals)
                    release_freed_memory()
        return leaves, entry

    def output_shapes(self, *args: Any) -> Any | None:
        """The result's structure, shapes and dtypes for these arguments, when known without tracing.

        Known once the signature is compiled in this process, or stored as an
        exported program in the folder (read, not compiled); else None (the
        caller may trace, e.g. with :func:`jax.eval_shape`).
        """
        where, _, in_tree, avals = _signature(args)
        entry = self._loaded.get((where, in_tree, avals))
        if entry is not None:
            call, out_tree = entry
            return jax.tree.unflatten(out_tree, [jax.ShapeDtypeStruct(o.shape, o.dtype) for o in call.out_info])
        key = None if where is None else self._key(in_tree, avals)
        if key is None:  # no folder, or no process-independent key: nothing stored
            return None
        stored = _read(self._path(where, key), key, avals)
        if stored is None:
            return None
        exported, out_tree = stored
        return jax.tree.unflatten(out_tree, [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in exported.out_avals])

    # -- one signature -----------------------------------------------------
    def _prepare(self, where: str | None, leaves: list, in_tree: Any, avals: tuple) -> tuple:
        """(compiled program on the flat arguments, output structure) for this signature."""
        if where is None:
            self.last = ""
            return self._traced(leaves, in_tree)
        key = self._key(in_tree, avals)
        if key is None:  # plain jit
            self.last = "jit"
            return self._traced(leaves, in_tree)
        path = self._path(where, key)
        entry = self._load(path, key, avals, leaves)
        if entry is not None:
            self.last = "loaded"
            self.loads += 1
            return entry
        try:
            entry = self._export(path, key, leaves, in_tree)
        except Exception as err:  # never worse than the jitted function
            _LOG.info("%s not exported (%s: %s); tracing it instead", self.name, type(err).__name__, err)
            self.last = "jit"
            return self._traced(leaves, in_tree)
        self.last = "exported"
        return entry

    def _flat(self, in_tree: Any) -> tuple[Callable[..., Any], list]:
        """The jitted function on flat arguments and flat results, and the list its output structure goes to."""
        out_trees: list = []

        def flat(*flat_args: Any) -> list:
            out = self.jitted(*jax.tree.unflatten(in_tree, flat_args))
            out_leaves, out_tree = jax.tree.flatten(out)
            out_trees.append(out_tree)
            return out_leaves

        return jax.jit(flat), out_trees

    def _traced(self, leaves: list, in_tree: Any) -> tuple:
        """The function traced and compiled here (no stored program)."""
        program, out_trees = self._flat(in_tree)
        return program.lower(*leaves).compile(self.compiler_options), out_trees[-1]

    def _key(self, in_tree: Any, avals: tuple) -> str | None:
        """:func:`program_key` of this program for a signature; None when none can be made."""
        try:
            return program_key(self.name, self.static, in_tree, avals)
        except Exception:  # e.g. a static part whose repr fails
            return None

    def _path(self, where: str, key: str) -> str:
        """The file of this program's ``key`` in the folder ``where``."""
        return os.path.join(where, f"{self.name}-{key[:32]}{SUFFIX}")

    def _load(self, path: str, key: str, avals: tuple, leaves: list) -> tuple | None:
        """The stored program at ``path`` compiled, if it is this key's and takes these arguments; else None."""
        stored = _read(path, key, avals)
        if stored is None:  # missing, truncated, corrupt or from another key: export again
            return None
        exported, out_tree = stored
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: the last to go when the folder is pruned
        return self._compiled(exported, leaves), out_tree

    def _export(self, path: str, key: str, leaves: list, in_tree: Any) -> tuple:
        """Export the program for these arguments, store it at ``path`` (atomically) and return it loaded."""
        program, out_trees = self._flat(in_tree)
        # The key pins the jaxlib version, so LAPACK custom calls without a cross-version
        # compatibility guarantee (the LAPACK factorisations of the solver and the evidence) are safe here.
        text = program.lower(*leaves).as_text()
        targets = sorted(set(re.findall(r"custom_call @([\w.$-]+)", text)))
        checks = [jax.export.DisabledSafetyCheck.custom_call(t) for t in targets]
        exported = jax.export.export(program, disabled_checks=checks)(*leaves)
        out_tree = out_trees[-1]
        blob = bytes(exported.serialize())
        payload = pickle.dumps({"key": key, "out_tree": out_tree, "exported": blob})
        try:
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        except OSError:
            fd = None  # a read-only folder: this process still runs the exported program
        if fd is not None:
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                os.replace(tmp, path)  # whole or not at all, also with processes exporting side by side
            except OSError:
                with contextlib.suppress(OSError):
                    os.remove(tmp)
            prune(os.path.dirname(path), keep=path)
        # the deserialised program, as a later process will run it (so its XLA compilation is cached for that one)
        return self._compiled(jax.export.deserialize(bytearray(blob)), leaves), out_tree

    def _compiled(self, exported: jax.export.Exported, leaves: list) -> Callable[..., Any]:
        """``exported`` compiled for arguments like ``leaves`` (through JAX's persistent cache when it is on)."""
        return jax.jit(exported.call).lower(*leaves).compile(self.compiler_options)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """The C library's ``malloc_trim`` (glibc), or None where it has none."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Hand the memory a compilation freed back to the operating system (glibc only; else nothing).

    XLA frees its working memory after each compilation, but glibc keeps freed
    pages in its per-thread arenas, and here two threads compile side by side
    (:mod:`arpes_sigma.fitting.pipeline`), so the resident size of a process
    only grew with every program. Neither JAX nor Python offers a call for
    this, hence ``malloc_trim(0)`` by hand. Measured on a cold ``arpes-sigma
    fit`` of the standard cut: peak RSS 1067 MB without, 891 MB with it.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _signature(args: tuple) -> tuple[str | None, list, Any, tuple]:
    """(folder, flat arguments, their structure, their abstract values): what a :class:`Program` keys on."""
    leaves, in_tree = jax.tree.flatten(args)
    return folder(), leaves, in_tree, tuple(jax.typeof(x) for x in leaves)


def _read(path: str, key: str, avals: tuple) -> tuple[jax.export.Exported, Any] | None:
    """(exported program, output structure) stored at ``path``, if it is ``key``'s and takes ``avals``; else None."""
    try:
        with open(path, "rb") as fh:
            stored = pickle.load(fh)
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        exported = jax.export.deserialize(bytearray(stored["exported"]))
        out_tree = stored["out_tree"]
        if (tuple(a.shape for a in exported.in_avals) != tuple(a.shape for a in avals)
                or tuple(a.dtype for a in exported.in_avals) != tuple(a.dtype for a in avals)
                or out_tree.num_leaves != len(exported.out_avals)):
            return None
    except Exception:  # missing, truncated, corrupt or unreadable
        return None
    return exported, out_tree
