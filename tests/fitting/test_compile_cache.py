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
