"""Speed and memory of the extraction engine on the standard problem.

Standard problem: the built-in spectrum (11 EDCs × 171 energies, 20 K,
10 meV FWHM, 2 % noise), default FitConfig. Prints one JSON object:

- ``compile_s``: first jitted call of the step function minus a warm call;
- ``steps_per_s``: optimizer steps per second after compilation;
- ``fit_wall_s``: a whole default fit (all steps + result) after compilation;
- ``tick_ms``: one forward-model evaluation as a slider tick would do
  (median of 50);
- ``norman_wall_s``: the Norman baseline fit, including its compilation;
- ``peak_rss_mb``: peak resident memory of this process.

Targets (2 CPU cores): fit ≤ 3 s after compile, compile ≤ 5 s, tick ≤ 10 ms,
peak RSS ≤ 1 GB. Run: ``JAX_PLATFORMS=cpu python benchmarks/bench_fit.py``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax

from arpes_sigma import FitConfig, Fitter
from arpes_sigma.fitting.baselines import fit_norman
from arpes_sigma.synthetic import default_spectrum


def main():
    warnings.simplefilter("ignore")
    data, _ = default_spectrum()
    config = FitConfig(baselines=False)

    f = Fitter(data, config)
    t0 = time.perf_counter()
    f.run()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    f.run()
    warm = time.perf_counter() - t0
    compile_s = first - warm

    t0 = time.perf_counter()
    n = 10
    for _ in range(n):
        f.run()
    steps_per_s = n * config.steps_per_call / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    g = Fitter(data, config)
    for _ in range(config.steps // config.steps_per_call):
        g.run()
    result = g.result()
    fit_wall = time.perf_counter() - t0

    ticks = []
    jax.block_until_ready(f.engine.evaluate(f.state.best_params, f.problem, f.settings))
    for i in range(50):
        f.update(window=(-0.3 + 0.001 * i, 0.03))
        t0 = time.perf_counter()
        jax.block_until_ready(f.engine.evaluate(f.state.best_params, f.problem, f.settings))
        ticks.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    norman = fit_norman(Fitter(data, config))
    norman_wall = time.perf_counter() - t0

    print(
        json.dumps(
            {
                "problem": "11 EDCs x 171 energies, default FitConfig",
                "compile_s": round(compile_s, 2),
                "steps_per_s": round(steps_per_s, 1),
                "fit_wall_s": round(fit_wall, 2),
                "fit_steps": config.steps,
                "chi2_reduced": round(result.chi2_reduced, 3),
                "tick_ms": round(1000 * statistics.median(ticks), 2),
                "norman_wall_s": round(norman_wall, 2),
                "norman_chi2_reduced": round(norman.chi2_reduced, 3),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "cpu_count": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
