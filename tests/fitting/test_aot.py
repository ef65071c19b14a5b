"""Exported programs kept on disk (:mod:`arpes_sigma.fitting.aot`): same results, safe keys, never a crash."""

from __future__ import annotations

import glob
import os
import pickle
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.experimental
import jax.numpy as jnp
import numpy as np
import pytest

from arpes_sigma import FitConfig, Fitter
from arpes_sigma.fitting import aot
from arpes_sigma.fitting.stack import FitterStack
from arpes_sigma.synthetic import make_spectrum

#: The small shape of tests/fitting/test_fit.py (its engine is compiled once per process).
SMALL = FitConfig(steps=40, steps_per_call=10, restarts=2, n_features=8, n_background=64, baselines=False)


@pytest.fixture
def folder(tmp_path):
    """Exported programs on, in a fresh folder, for one test."""
    aot.enable(tmp_path)
    assert aot.folder() == os.fspath(tmp_path), "flatbuffers (a dependency) is needed to serialise exported programs"
    yield tmp_path
    aot.disable()


@jax.custom_jvp
def _softplus(x):
    return jnp.logaddexp(x, 0.0)


_softplus.defjvp(lambda p, t: (_softplus(p[0]), jax.nn.sigmoid(p[0]) * t[0]))


@jax.jit
def _toy(state, scale):
    """A pytree in (dict and tuple), a pytree out, a custom_jvp and a QR (a LAPACK custom call) inside."""
    q, r = jnp.linalg.qr(state["m"])
    return {"y": _softplus(state["x"]) * scale, "qr": (q, r)}


def _toy_args(value=1.0):
    return {"x": jnp.linspace(-1.0, 1.0, 5) * value, "m": jnp.eye(4) + value}, jnp.float32(2.0)


def _equal(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_off_by_default_calls_the_jitted_function(tmp_path):
    assert aot.folder() is None
    program = aot.Program(_toy, "test.toy")
    _equal(program(*_toy_args()), _toy(*_toy_args()))
    assert program.last == "" and not any(tmp_path.iterdir())


def _counting_program(name):
    """A Program whose function counts its traces (a trace precedes every compilation of it)."""
    traces = []

    def f(state, scale):
        traces.append(1)
        return _toy.__wrapped__(state, scale)

    return aot.Program(jax.jit(f), name), traces


@pytest.mark.parametrize("stored", [False, True], ids=["plain", "exported"])
def test_committed_and_uncommitted_arguments_share_one_compilation(tmp_path, stored, caplog):
    """A jax.jit function compiles once for uncommitted arrays and again for committed ones (jax.device_put to
    a device, or another program's outputs from them); the Program's compiled program takes both."""
    import logging

    if stored:
        aot.enable(tmp_path)
    try:
        program, traces = _counting_program(f"test.commit{int(stored)}")
        state, scale = _toy_args(5.0)
        want = program(state, scale)
        committed = jax.device_put((state, scale), jax.devices()[0])
        caplog.set_level(logging.DEBUG)
        with jax.log_compiles():
            _equal(program(*committed), want)
        compiled = [r.getMessage() for r in caplog.records if "Finished XLA compilation" in r.getMessage()]
        assert compiled == [] and len(traces) == 1
    finally:
        aot.disable()


@pytest.mark.parametrize("stored", [False, True], ids=["plain", "exported"])
def test_two_threads_with_a_new_signature_compile_it_once(tmp_path, stored, caplog):
    """The fit's helper thread compiles programs ahead of the fit (fitting.pipeline); the fit, arriving
    meanwhile, waits for that compilation instead of exporting and compiling its own."""
    import logging
    from concurrent.futures import ThreadPoolExecutor

    if stored:
        aot.enable(tmp_path)
    try:
        program, traces = _counting_program(f"test.threads{int(stored)}")
        args = [_toy_args(1.0 + i) for i in range(4)]
        jax.block_until_ready(args)
        caplog.set_level(logging.DEBUG)
        with jax.log_compiles(), ThreadPoolExecutor(4) as pool:
            outs = list(pool.map(lambda a: program(*a), args))
        compiled = [r.getMessage() for r in caplog.records if "Finished XLA compilation" in r.getMessage()]
        for a, out in zip(args, outs, strict=True):
            _equal(out, _toy(*a))
        assert len(compiled) == 1 and len(traces) == 1
    finally:
        aot.disable()


def test_output_shapes_are_read_from_the_compiled_or_stored_program_without_tracing(folder):
    program, traces = _counting_program("test.shapes")
    args = _toy_args()
    assert program.output_shapes(*args) is None  # neither compiled nor stored: unknown
    out = program(*args)
    again, traces_again = _counting_program("test.shapes")  # as in a new process: only the stored file
    for p in (program, again):
        shapes = p.output_shapes(*args)
        assert jax.tree.structure(shapes) == jax.tree.structure(out)
        for s, x in zip(jax.tree.leaves(shapes), jax.tree.leaves(out), strict=True):
            assert (s.shape, s.dtype) == (x.shape, x.dtype)
    assert len(traces) == 1 and traces_again == []


def test_output_shapes_without_a_key_is_unknown_not_an_error(folder):
    """A program whose static part has no process-independent key is never stored: its shapes are
    unknown until it is compiled (output_shapes once built a file name from the missing key)."""
    program = aot.Program(jax.jit(_toy.__wrapped__), "test.nokey", object())
    args = _toy_args()
    assert program.output_shapes(*args) is None
    out = program(*args)
    assert program.last == "jit"
    assert [s.shape for s in jax.tree.leaves(program.output_shapes(*args))] == [
        x.shape for x in jax.tree.leaves(out)]


def test_compile_chunk_compiles_the_chunk_the_fit_then_runs(folder):
    """Engine.compile_chunk (the second thread of fit_with_baselines) compiles the chunk for a zero state
    of the shapes the fit will have: the fit's first chunk neither traces nor compiles it again."""
    from arpes_sigma.fitting.engine import engine_for
    from arpes_sigma.fitting.problem import build_problem, make_settings

    config = SMALL.replace(n_features=6)  # a shape no other test compiles
    da, _ = make_spectrum(eps_k=np.linspace(-0.15, 0.03, 5), energies=np.arange(-0.25, 0.0401, 0.0034), seed=3)
    problem, info = build_problem(da, config)
    engine = engine_for(config)
    engine.compile_chunk(2 * config.restarts, problem, make_settings(config, problem, info))
    assert engine.traces == 1 and len(engine.run_chunk._loaded) == 1
    f = Fitter(da, config)
    f.run()
    assert engine.traces == 1 and len(engine.run_chunk._loaded) == 1 and np.isfinite(f.state.cost).all()


def test_light_programs_give_what_fully_optimised_ones_give(monkeypatch):
    """The programs compiled with aot.LIGHT (LLVM level 0: the evaluation, the evidence, the errors) must
    give the values the default optimisation gives, to rounding: each call of a fit's result() is replayed
    through the same function compiled without the options."""
    calls = []
    real = aot.Program.__call__

    def spy(self, *args):
        if self.compiler_options is not None:
            calls.append((self, args, bool(jax.config.jax_enable_x64)))
        return real(self, *args)

    da, _ = make_spectrum(eps_k=np.linspace(-0.15, 0.03, 5), energies=np.arange(-0.25, 0.0401, 0.0034), seed=3)
    f = Fitter(da, SMALL)
    f.run()
    monkeypatch.setattr(aot.Program, "__call__", spy)
    f._evaluated = None  # evaluate again, through the spy
    f.result()
    monkeypatch.undo()
    names = {p.name for p, _, _ in calls}
    assert names == {"engine.evaluate", "evidence.laplace", "evidence.self_energy_std"}
    for program, args, x64 in calls:
        full = aot.Program(program.jitted, program.name + ".full", program.static)
        assert full.compiler_options is None
        with jax.enable_x64(x64):
            light, want = program(*args), full(*args)
        for a, b in zip(jax.tree.leaves(light), jax.tree.leaves(want), strict=True):
            a, b = np.asarray(a), np.asarray(b)
            if np.issubdtype(a.dtype, np.inexact):
                tol = 1e-4 if np.finfo(a.dtype).bits == 32 else 1e-9  # float32 / complex64: single precision
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(np.nanmax(np.abs(b)), 1.0),
                                           err_msg=program.name)
            else:
                np.testing.assert_array_equal(a, b, err_msg=program.name)


def test_stored_program_is_loaded_in_place_of_tracing_and_gives_the_same_result(folder):
    first = aot.Program(_toy, "test.toy")
    _equal(first(*_toy_args()), _toy(*_toy_args()))
    assert first.last == "exported" and len(glob.glob(str(folder / "test.toy-*.jaxexport"))) == 1
    again = aot.Program(_toy, "test.toy")  # as in a new process: nothing in memory
    _equal(again(*_toy_args(3.0)), _toy(*_toy_args(3.0)))
    assert again.last == "loaded" and again.loads == 1


def test_new_values_of_the_same_shapes_neither_load_nor_export_again(folder):
    program = aot.Program(_toy, "test.toy")
    for value in (1.0, 2.0, 0.5):
        _equal(program(*_toy_args(value)), _toy(*_toy_args(value)))
    assert len(program._loaded) == 1
    program({"x": jnp.zeros(7), "m": jnp.eye(4)}, jnp.float32(1.0))  # another shape: another program
    assert len(program._loaded) == 2 and len(list(folder.glob("*.jaxexport"))) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other key", "empty"])
def test_a_damaged_or_stale_file_falls_back_and_is_replaced(folder, damage):
    aot.Program(_toy, "test.toy")(*_toy_args())
    (path,) = folder.glob("test.toy-*.jaxexport")
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a program" * 10)
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a valid file written for another key (e.g. before a code change)
        stored = pickle.loads(data)
        stored["key"] = "0" * 64
        path.write_bytes(pickle.dumps(stored))
    program = aot.Program(_toy, "test.toy")
    _equal(program(*_toy_args(2.0)), _toy(*_toy_args(2.0)))
    assert program.last == "exported"
    assert aot.Program(_toy, "test.toy")._prepare(str(folder), *_flat(_toy_args())) is not None


def test_folder_keeps_the_recently_used_programs_under_its_limit(folder, monkeypatch):
    stale = []
    for i in range(4):  # programs of earlier code versions, never used again
        path = folder / f"engine.chunk-{i:032d}.jaxexport"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1e9 + i, 1e9 + i))
        stale.append(path)
    (folder / "unrelated.txt").write_bytes(b"y" * 5000)  # not a stored program: never deleted
    aot.Program(_toy, "test.toy")(*_toy_args())
    (toy,) = folder.glob("test.toy-*.jaxexport")
    assert all(p.exists() for p in stale)  # under the default limit nothing goes
    os.utime(toy, (1e9 - 1, 1e9 - 1))  # the oldest of all …
    assert aot.Program(_toy, "test.toy")(*_toy_args()) and toy.stat().st_mtime > 1e9 + 3  # … until a load uses it
    deleted = aot.prune(str(folder), max_bytes=toy.stat().st_size + 1500)
    assert deleted == [str(p) for p in stale[:3]]  # least recently used first, down to the limit
    assert stale[3].exists() and toy.exists() and (folder / "unrelated.txt").exists()
    monkeypatch.setattr(aot, "MAX_BYTES", 0)
    aot.Program(_toy, "test.toy2")({"x": jnp.zeros(3), "m": jnp.eye(2)}, jnp.float32(1.0))  # an export prunes
    assert [p.name.split("-")[0] for p in folder.glob("*.jaxexport")] == ["test.toy2"]  # all but the new one


def _flat(args):
    leaves, tree = jax.tree.flatten(args)
    return leaves, tree, tuple(jax.typeof(x) for x in leaves)


def test_a_program_that_cannot_be_exported_runs_jitted(folder):
    @jax.jit
    def host(x):  # a host callback cannot be serialised
        return jax.pure_callback(lambda v: np.asarray(v) * 2, jax.ShapeDtypeStruct(x.shape, x.dtype), x)

    program = aot.Program(host, "test.host")
    np.testing.assert_array_equal(program(jnp.arange(3.0)), [0.0, 2.0, 4.0])
    assert program.last in ("jit", "exported")  # exported only if JAX learns to serialise callbacks


def test_key_changes_with_every_static_field_and_with_the_code(monkeypatch):
    leaves, tree, avals = _flat(_toy_args())
    base = FitConfig()

    def key(config):
        return aot.program_key("engine.chunk", (config.model_spec(), config.steps_per_call), tree, avals)

    keys = {key(base)}
    for change in (dict(n_poles=3), dict(n_features=8), dict(width=24), dict(depth=3), dict(n_background=64),
                   dict(steps_per_call=5), dict(anomalous=False)):
        keys.add(key(base.replace(**change)))
    assert len(keys) == 8
    # traced settings are not part of the key
    assert key(base.replace(smoothness=3.0, window=(-0.2, 0.02), l2=1e-3)) == key(base)
    # nor is anything that lives at an address in memory: such a key is refused
    assert aot.program_key("x", object(), tree, avals) is None
    # shapes and dtypes are
    assert aot.program_key("x", (), tree, _flat(_toy_args())[2]) != aot.program_key(
        "x", (), *_flat(({"x": jnp.zeros(6), "m": jnp.eye(4)}, jnp.float32(2.0)))[1:])
    # so is 64-bit mode (the evidence runs inside jax.enable_x64)
    with jax.enable_x64(True):
        assert key(base) not in keys
    # and a change to any arpes_sigma source file (or a library version)
    monkeypatch.setattr(aot, "_installation", lambda: "another version of the code")
    assert key(base) not in keys


@pytest.mark.slow
def test_fit_engine_programs_exported_equal_jitted(folder):
    """The solver chunk (optimistix state, explicit-Jacobian custom_jvp) and the fresh start, bit for bit."""
    da, _ = make_spectrum(eps_k=np.linspace(-0.15, 0.03, 5), energies=np.arange(-0.25, 0.0401, 0.0034), seed=3)
    aot.disable()
    plain = Fitter(da, SMALL)
    want = plain.engine.run_chunk.jitted(plain.state, plain.problem, plain.settings)
    aot.enable(folder)
    f = Fitter(da, SMALL)
    _equal(f.state, plain.state)
    assert f.engine.fresh.last in ("exported", "loaded")
    f.run()
    _equal(f.state, want)
    # a new process would load both from disk
    again = aot.Program(f.engine.run_chunk.jitted, "engine.chunk", f.engine.run_chunk.static)
    _equal(again(plain.state, plain.problem, plain.settings), want)
    assert again.last == "loaded"


@pytest.mark.slow
def test_fit_many_stacked_chunk_exported_equals_jitted(folder):
    """fit-many's program (two cuts in one stack) from disk, bit for bit, and loaded by the next stack."""
    cuts = [make_spectrum(eps_k=np.linspace(-0.15, 0.03, 5), energies=np.arange(-0.25, 0.0401, 0.0034), seed=s)[0]
            for s in (3, 4)]
    aot.disable()
    plain = FitterStack([Fitter(da, SMALL) for da in cuts])
    want = plain.engine.run_chunk_stacked.jitted(plain._state, plain._problem, plain._settings)
    aot.enable(folder)
    stack = FitterStack([Fitter(da, SMALL) for da in cuts])
    stack.run()
    assert stack.engine.run_chunk_stacked.last in ("exported", "loaded")
    _equal(stack._state, want)
    again = aot.Program(stack.engine.run_chunk_stacked.jitted, "engine.chunk_stacked",
                        stack.engine.run_chunk_stacked.static)
    _equal(again(plain._state, plain._problem, plain._settings), want)
    assert again.last == "loaded"


@pytest.mark.slow
def test_cross_seeding_runs_the_exported_fresh_start_without_compiling_it_again(folder, caplog):
    """The second call of `fresh` (Fitter.cross_seed) passes the state's committed pairing array where the
    first (Engine.init_state) passed an uncommitted one: a `jax.jit` of the exported program took them as two
    signatures, and a new process compiled the fresh start twice (3–6 s). Program calls the compiled program
    itself, which takes both."""
    import logging

    da, _ = make_spectrum(eps_k=np.linspace(-0.15, 0.03, 5), energies=np.arange(-0.25, 0.0401, 0.0034), seed=3)
    f = Fitter(da, SMALL)
    f.run()  # the fresh start, the chunk and the evaluation are compiled by now
    caplog.set_level(logging.DEBUG)
    with jax.log_compiles():
        while not f.seeded:
            assert f.step < SMALL.steps, "the small fit never cross-seeded"
            f.run()
    compiled = [r.getMessage() for r in caplog.records if "Finished XLA compilation of jit(call)" in r.getMessage()]
    assert compiled == []


def _recording_program(name, log):
    """A Program whose run appends (name, start, end, thread) to ``log`` from inside the compiled code (0.3 s)."""

    def record(x):
        start = time.perf_counter()
        time.sleep(0.3)
        log.append((name, start, time.perf_counter(), threading.get_ident()))
        return np.asarray(x)

    @jax.jit
    def f(x):
        return jax.experimental.io_callback(record, jax.ShapeDtypeStruct(x.shape, x.dtype), x, ordered=False) + 1.0

    return aot.Program(f, f"test.recording_{name}")


def test_programs_called_from_two_threads_run_one_at_a_time():
    """Two threads' Programs never run at the same time: XLA's CPU LAPACK kernels, each waiting for its
    batch's pieces on the intra-op thread pool, hung a 2-core process for good when the fit and its helper
    thread ran them at once (a cold `arpes-sigma fit` with n_features=32, 4 runs of 4). Without the lock the
    two runs below overlap."""
    log: list = []
    programs = [_recording_program(n, log) for n in ("a", "b")]
    x = jnp.arange(3.0)
    for p in programs:
        p.compile(x)  # compiled ahead: only the runs are timed below
    assert log == [], "compile() must not run the program"
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda p: p(x), programs))
    for out in outs:
        np.testing.assert_array_equal(np.asarray(out), np.asarray(x) + 1.0)
    assert len(log) == 2 and log[0][3] != log[1][3], "each program runs once, on its own thread"
    (_, s0, e0, _), (_, s1, e1, _) = sorted(log, key=lambda r: r[1])
    assert s1 >= e0, f"the two runs overlapped by {e0 - s1:.3f} s"


def test_exclusive_holds_other_threads_programs_and_lets_its_own_thread_run_them():
    """JAX work outside Programs (the thermal panel) takes the same lock: another thread's Program waits for
    the block to end; a Program called inside the block on the same thread runs at once (re-entrant)."""
    log: list = []
    inside, other = _recording_program("inside", log), _recording_program("other", log)
    x = jnp.arange(3.0)
    inside.compile(x)
    other.compile(x)
    with ThreadPoolExecutor(1) as pool:
        with aot.exclusive():
            waiting = pool.submit(other, x)
            time.sleep(0.2)
            inside(x)  # would wait for itself with a plain Lock
            ended = time.perf_counter()
        waiting.result()
    runs = {name: (start, end) for name, start, end, _ in log}
    assert runs["other"][0] >= ended, "another thread's Program ran inside the exclusive block"


_TRIM_SCRIPT = """
import threading
from arpes_sigma.fitting.aot import release_freed_memory

def rss():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1e3

blocks = []
thread = threading.Thread(target=lambda: blocks.extend(bytearray(b"x" * 10_000) for _ in range(20_000)))
thread.start()
thread.join()
kept = blocks[::10]  # every tenth block stays: the freed ones lie between them, as a compiler's do
blocks.clear()
freed = rss()
release_freed_memory()
print(freed, rss())
"""


@pytest.mark.skipif(aot._malloc_trim() is None or not os.path.exists("/proc/self/status"),
                    reason="needs glibc's malloc_trim and /proc")
def test_freed_memory_goes_back_to_the_system():
    """200 MB allocated on a second thread, 180 MB of it freed between blocks still in use: freeing alone
    leaves it resident (glibc keeps it in the thread's arena); release_freed_memory hands it back."""
    out = subprocess.run([sys.executable, "-c", _TRIM_SCRIPT], capture_output=True, text=True, check=True,
                         env=dict(os.environ, JAX_PLATFORMS="cpu"))
    freed, trimmed = map(float, out.stdout.split())
    assert freed - trimmed > 100, (freed, trimmed)


def test_each_new_signature_releases_what_its_compilation_freed(monkeypatch):
    calls = []
    monkeypatch.setattr(aot, "release_freed_memory", lambda: calls.append(1))
    program = aot.Program(jax.jit(lambda x: 2 * x), "test.double", None)
    program(np.ones(3, np.float32))
    program(np.ones(3, np.float32))  # the same signature: nothing compiled
    assert len(calls) == 1
    program(np.ones(4, np.float32))
    assert len(calls) == 2
