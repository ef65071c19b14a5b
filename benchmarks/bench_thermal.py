"""Accuracy and run time of the purified deep Boltzmann machine.

Cases (prints one JSON object with an accuracy table per case):

- ``tfim_n8_exact``: transverse-field Ising chain, N = 8, J = h = 1, periodic,
  Trotter step 0.05, exact summation over the network; targets |ΔE/E| < 1 %,
  |ΔC/C| < 3 % at T = 0.25 … 3 against Jordan–Wigner.
- ``tfim_n16_sample``: N = 16 by Metropolis sampling of the network
  (Trotter step 0.1, 32 chains × 2000 sweeps), with standard errors.
- ``j1j2_4x4_probe``: J1–J2 model on the 4 × 4 torus, J2/J1 = 0.5, Trotter
  step 0.1, 32 random ancilla probes (system and deep units summed exactly);
  target |ΔE/E| < 2 % at T ≥ 0.5 against symmetry-sector ED.

Each row: T, E, E_exact, rel. error, C, C_exact, rel. error (and standard
errors where stochastic). ``seconds`` includes JIT compilation.
Run: ``JAX_PLATFORMS=cpu python benchmarks/bench_thermal.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np

from arpes_sigma.thermal import (
    J1J2Square,
    PurifiedConfig,
    TransverseFieldIsing,
    ed_j1j2,
    jw_tfim,
    purified_thermal,
)


def _table(res, ref):
    rows = []
    for j, t in enumerate(res.temperature):
        row = {
            "T": float(t),
            "E": float(res.energy[j]),
            "E_exact": float(ref.energy[j]),
            "E_rel_err": float(res.energy[j] / ref.energy[j] - 1),
            "C": float(res.specific_heat[j]),
            "C_exact": float(ref.specific_heat[j]),
            "C_rel_err": float(res.specific_heat[j] / ref.specific_heat[j] - 1),
        }
        if res.method != "exact":
            row["E_stderr"] = float(res.energy_err[j])
            row["C_stderr"] = float(res.specific_heat_err[j])
        rows.append(row)
    return rows


def _case(model, temps, config, reference):
    t0 = time.perf_counter()
    ref = reference(model, temps)
    ref_s = time.perf_counter() - t0
    res = purified_thermal(model, temps, config)
    rows = _table(res, ref)
    return {
        "method": res.method,
        "trotter_step": config.trotter_step,
        "max_steps": int(res.n_steps.max()),
        "seconds": round(res.seconds, 2),
        "reference": ref.method,
        "reference_seconds": round(ref_s, 2),
        "max_abs_E_rel_err": max(abs(r["E_rel_err"]) for r in rows),
        "max_abs_C_rel_err": max(abs(r["C_rel_err"]) for r in rows),
        "table": rows,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sweeps / probes")
    args = ap.parse_args(argv)
    out = {}
    temps = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0])
    out["tfim_n8_exact"] = _case(
        TransverseFieldIsing(8, 1.0, 1.0), temps, PurifiedConfig(trotter_step=0.05, method="exact"), jw_tfim
    )
    out["tfim_n16_sample"] = _case(
        TransverseFieldIsing(16, 1.0, 1.0),
        np.array([0.5, 1.0, 2.0]),
        PurifiedConfig(trotter_step=0.1, method="sample", samples=500 if args.quick else 2000, chains=32, seed=0),
        jw_tfim,
    )
    out["j1j2_4x4_probe"] = _case(
        J1J2Square(4, 4, 1.0, 0.5),
        np.array([0.5, 0.75, 1.0, 1.5, 2.0, 3.0]),
        PurifiedConfig(trotter_step=0.1, method="probe", samples=16 if args.quick else 32, seed=0),
        ed_j1j2,
    )
    out["targets"] = {
        "tfim_n8_exact": "E within 1 %, C within 3 %",
        "j1j2_4x4_probe": "E within 2 % at T >= 0.5",
    }
    out["pass"] = {
        "tfim_n8_exact": out["tfim_n8_exact"]["max_abs_E_rel_err"] < 0.01
        and out["tfim_n8_exact"]["max_abs_C_rel_err"] < 0.03,
        "j1j2_4x4_probe": out["j1j2_4x4_probe"]["max_abs_E_rel_err"] < 0.02,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
