"""Throughput of :func:`arpes_sigma.many.fit_many`: slices per second with 1 and 2 workers.

Problem: a synthetic temperature series (:func:`arpes_sigma.series.make_temperature_series`)
of ``--slices`` cuts (default 16) of 7 EDCs × 77 energies, ``--steps`` optimizer
steps per cut (default 300, "small steps"), restarts = 1, no baselines.

For each setting a fresh :class:`distributed.LocalCluster` (processes, one
thread per worker, the worker environment of :func:`arpes_sigma.many.worker_environment`)
is started and *warmed up* — every worker fits one cut so that JAX has
compiled the step function — before the timed call, so the figures are the
steady-state throughput a long series sees. Start-up and warm-up times are
reported separately. Settings:

- ``workers_1``, ``workers_2``: one cut per task;
- ``workers_2_batch4``: 2 workers, 4 cuts per task advanced together under
  ``jax.vmap`` (``batch_size=4``);
- ``in_process``: ``client=False`` in this process (no dask), for reference.

Prints one JSON object. Run: ``JAX_PLATFORMS=cpu python benchmarks/bench_many.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np


def _series(n):
    from arpes_sigma.synthetic.series import make_temperature_series

    temps = np.linspace(20.0, 140.0, n)
    da, _ = make_temperature_series(temps, tc=90.0, eps_k=np.linspace(-0.15, 0.03, 7),
                                    energies=np.arange(-0.2, 0.0301, 0.003))
    return da


def _timed_cluster(da, config, workers, batch):
    from distributed import Client, LocalCluster

    from arpes_sigma import fit_many
    from arpes_sigma.many.cluster import worker_environment
    from arpes_sigma.many.slices import split
    from arpes_sigma.many.tasks import fit_task

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           env=worker_environment(), silence_logs=40)
    client = Client(cluster)
    client.wait_for_workers(workers)
    start_s = time.perf_counter() - t0
    try:
        cuts, _ = split(da, "sample_temp")
        items = [(i, cuts[i]) for i in range(batch)]
        t0 = time.perf_counter()
        client.run(fit_task, items, config, None, batch)  # compile on every worker
        warm_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = fit_many(da, config, client=client, progress=False, batch_size=batch)
        wall = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    n = da.sizes["sample_temp"]
    ok = int((res["status"].values == "ok").sum())
    return {"workers": workers, "batch_size": batch, "slices_per_s": round(n / wall, 3), "wall_s": round(wall, 2),
            "startup_s": round(start_s, 2), "warmup_s": round(warm_s, 2), "ok": ok}


def _timed_in_process(da, config):
    from arpes_sigma import fit_many

    fit_many(da.isel(sample_temp=slice(0, 1)), config, client=False, progress=False)  # compile
    t0 = time.perf_counter()
    res = fit_many(da, config, client=False, progress=False)
    wall = time.perf_counter() - t0
    n = da.sizes["sample_temp"]
    return {"slices_per_s": round(n / wall, 3), "wall_s": round(wall, 2),
            "ok": int((res["status"].values == "ok").sum())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=16)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    from arpes_sigma import FitConfig
    from arpes_sigma.many.cluster import cores as _cores

    config = FitConfig(steps=args.steps, baselines=False)
    da = _series(args.slices)
    out = {
        "problem": {"slices": args.slices, "k": da.sizes["k"], "eV": da.sizes["eV"], "steps": args.steps,
                    "restarts": config.restarts, "cores": _cores()},
        "workers_1": _timed_cluster(da, config, 1, 1),
        "workers_2": _timed_cluster(da, config, 2, 1),
        "workers_2_batch4": _timed_cluster(da, config, 2, 4),
        "in_process": _timed_in_process(da, config),
    }
    out["speedup_2_vs_1"] = round(out["workers_2"]["slices_per_s"] / out["workers_1"]["slices_per_s"], 2)
    try:
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
