"""The persistent compilation cache the CLI switches on (:mod:`arpes_sigma.fitting.cache`)."""

from __future__ import annotations

import subprocess
import sys


def test_cache_keeps_every_program_in_the_given_folder(tmp_path):
    code = (
        "import jax, jax.numpy as jnp\n"
        "from arpes_sigma.fitting.cache import enable_compile_cache\n"
        f"enable_compile_cache({str(tmp_path / 'c')!r})\n"
        "print(jax.config.jax_persistent_cache_min_compile_time_secs)\n"
        "jax.block_until_ready(jax.jit(lambda x: x * 2 + 1)(jnp.ones(3)))\n"
    )
    env = {"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert float(out.stdout.split()[-1]) == 0.0
    # a program that compiles in milliseconds was still written to the folder
    assert any((tmp_path / "c").iterdir())


def test_cache_folder_stays_under_its_size_limit(tmp_path):
    # 30 distinct programs with a limit of a few of them: JAX evicts the least recently used
    code = (
        "import jax, jax.numpy as jnp, os\n"
        "from arpes_sigma.fitting import cache\n"
        "cache.XLA_CACHE_BYTES = 60_000\n"
        f"cache.enable_compile_cache({str(tmp_path / 'c')!r})\n"
        "print(jax.config.jax_compilation_cache_max_size)\n"
        "for n in range(1, 31):\n"
        "    jax.block_until_ready(jax.jit(lambda x: jnp.sin(x).sum() * n + x @ x.T)(jnp.ones((n, 3))))\n"
        f"print(sum(e.stat().st_size for e in os.scandir({str(tmp_path / 'c')!r}) if not e.name.endswith('-atime')))\n"
    )
    env = {"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    limit, size = (int(v) for v in out.stdout.split()[-2:])
    assert limit == 60_000
    assert 0 < size <= limit
