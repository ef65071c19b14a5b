"""Latency of the interactive widgets, printed as JSON.

Measured (all medians after a warm-up, wall time, JAX on CPU):

``playground_tick_ms``
    One Playground slider tick: the jitted computation of every curve and the
    artist updates (``set_data``), as the slider callback runs it. The design
    budget is 100 ms.
``explorer_update_ms``
    One Explorer update: ``Fitter.run()`` (``steps_per_call`` optimizer steps)
    + ``Fitter.result()`` + the artist updates, as the worker thread runs it.
``*_render_ms``
    One Agg rendering of the whole figure, which the kernel does when the
    browser asks for a new frame (not part of a tick; frames are dropped, not
    queued, when ticks come faster).
``explorer_stop_ms``
    From ``Explorer.stop()`` to the end of a running worker.

Usage::

    python benchmarks/bench_widgets.py [--ticks 40] [--updates 40]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg


def _median_ms(samples):
    return round(1e3 * statistics.median(samples), 2)


def _p90_ms(samples):
    ordered = sorted(samples)
    return round(1e3 * ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2)


def _render_times(fig, n=5):
    FigureCanvasAgg.draw(fig.canvas)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        FigureCanvasAgg.draw(fig.canvas)
        out.append(time.perf_counter() - t0)
    return out


def bench_playground(ticks):
    from arpes_sigma.widgets import Playground

    t0 = time.perf_counter()
    pg = Playground()
    build = time.perf_counter() - t0
    slider = pg.controls["V"]
    values = [0.06 + 0.1 * (i % 10) / 10 for i in range(ticks + 5)]
    samples = []
    for i, v in enumerate(values):
        slider.value = v  # the observer runs the whole tick synchronously
        if i >= 5:  # warm-up
            samples.append(pg.last_tick)
    render = _render_times(pg.figure)
    result = {
        "playground_build_s": round(build, 2),
        "playground_tick_ms": _median_ms(samples),
        "playground_tick_p90_ms": _p90_ms(samples),
        "playground_render_ms": _median_ms(render),
        "playground_compilations": pg.traces,
        "playground_ticks": len(samples),
    }
    pg.close()
    return result


def bench_explorer(updates):
    from arpes_sigma.synthetic import default_spectrum
    from arpes_sigma.widgets import Explorer

    da, truth = default_spectrum()
    t0 = time.perf_counter()
    ex = Explorer(da, truth=truth)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    ex.step(1)
    first = time.perf_counter() - t0
    ex.step(3)  # warm-up
    samples = []
    for _ in range(updates):
        t0 = time.perf_counter()
        ex.step(1)
        samples.append(time.perf_counter() - t0)
    traces = ex.fitter.traces
    t0 = time.perf_counter()
    ex.controls["window"].value = (-0.25, 0.03)
    ex.controls["smoothness"].value = 2.0
    slider_s = time.perf_counter() - t0
    ex.step(1)
    render = _render_times(ex.figure)
    stops = []
    for _ in range(3):
        ex.start(steps=10**7)
        while ex.fitter.step < 2 * ex.fitter.config.steps_per_call + 1 or not ex.running:
            time.sleep(0.02)
        time.sleep(0.3)
        t0 = time.perf_counter()
        ex.stop(timeout=10)
        stops.append(time.perf_counter() - t0)
    result = {
        "explorer_build_s": round(build, 2),
        "explorer_first_update_s": round(first, 2),
        "explorer_update_ms": _median_ms(samples),
        "explorer_update_p90_ms": _p90_ms(samples),
        "explorer_steps_per_update": ex.fitter.config.steps_per_call,
        "explorer_render_ms": _median_ms(render),
        "explorer_settings_change_ms": round(1e3 * slider_s / 2, 2),
        "explorer_recompiled_on_sliders": ex.fitter.traces != traces,
        "explorer_stop_ms": _median_ms(stops),
        "explorer_updates": len(samples),
    }
    ex.close()
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=40, help="Playground ticks to time (after 5 warm-up ticks)")
    parser.add_argument("--updates", type=int, default=40, help="Explorer updates to time (after warm-up)")
    args = parser.parse_args(argv)
    import jax

    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "jax": jax.__version__,
            "backend": jax.default_backend(),
        }
    }
    out.update(bench_playground(args.ticks))
    out.update(bench_explorer(args.updates))
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
