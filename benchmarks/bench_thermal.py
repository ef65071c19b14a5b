"""Accuracy and cost of the purified Boltzmann machines (prints JSON; nothing is asserted).

Cases (``--case`` picks some; default all):

- ``tfim_exact``: transverse-field Ising chain, N = 8, J = h = 1, exact contraction of
  the deterministic network (Trotter step 0.05) against Jordan–Wigner, T = 0.25 … 3.
- ``tfim_sample``: the deterministic network sampled by Markov chains at N = 64, 128,
  256 (Trotter step 0.1), T = 0.5, 1, 2, with standard errors, autocorrelation times
  and seconds per temperature; targets |ΔE/E| ≤ 0.5 %, |ΔC/C| ≤ 5 %.
- ``j1j2_4x4``: J1–J2 on the 4 × 4 torus, J2/J1 = 0.5, variational machine evolved from
  β = 0 by stochastic reconfiguration, T = 0.5, 1, 2, against symmetry-block exact
  diagonalisation (also printed: its ground-state energy per site, −0.5286202 in the
  literature); targets |ΔE/E| ≤ 1.5 %, |ΔC/C| ≤ 10 %, under 10 minutes.
- ``tdvp_exact``: the variational path with exact sums instead of samples
  (:mod:`arpes_sigma.thermal.tdvp_exact`): Ising ring N = 4 (ancilla along y) at the
  default Δβ = 0.05, shift 1e-3 and at Δβ = 0.0125, shift 1e-5 (and, without ``--quick``,
  J1–J2 3 × 3 at J2/J1 = 0.5, several minutes) against exact results, T = 2, 1, 0.5:
  the ansatz's and integrator's error alone.
- ``j1j2_6x6``: the same machine on the 6 × 6 torus at T = 2 (no exact reference: 2^36
  states), reported with its cost.

``seconds`` include JIT compilation. Timings on a shared 2-core machine are noisy.
``--symmetry`` picks the group the variational machine's hidden features are shared over
(J1–J2 cases; :data:`arpes_sigma.thermal.ansatz.SYMMETRIES`), e.g. ``swap`` for the figures
of the README's translations × σ ↔ a rows.
Run: ``JAX_PLATFORMS=cpu python benchmarks/bench_thermal.py [--case NAME ...] [--quick] [--symmetry NAME]``.
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
    ThermalConfig,
    TransverseFieldIsing,
    ed_j1j2,
    jw_tfim,
    thermal,
)
from arpes_sigma.thermal.ansatz import SYMMETRIES
from arpes_sigma.thermal.sectors import heisenberg_spectrum

_SETTINGS = ("features", "symmetry", "beta_step", "samples", "chains")


def _rows(res, ref=None):
    rows = []
    for j, t in enumerate(res.temperature):
        row = {"T": float(t), "E": float(res.energy[j]), "C": float(res.specific_heat[j]),
               "seconds": round(float(res.seconds_per_temperature[j]), 1)}
        if res.method != "exact":
            row.update(E_stderr=float(res.energy_err[j]), C_stderr=float(res.specific_heat_err[j]),
                       tau_int=round(float(res.tau_int[j]), 2))
        if ref is not None:
            row.update(E_exact=float(ref.energy[j]), C_exact=float(ref.specific_heat[j]),
                       E_rel_err=float(res.energy[j] / ref.energy[j] - 1),
                       C_rel_err=float(res.specific_heat[j] / ref.specific_heat[j] - 1))
        rows.append(row)
    return rows


def _summary(res, ref, e_target, c_target):
    rows = _rows(res, ref)
    e = max(abs(r["E_rel_err"]) for r in rows)
    c = max(abs(r["C_rel_err"]) for r in rows)
    return {"method": res.method, "seconds": round(res.seconds, 1), "units": res.units,
            "max_abs_E_rel_err": e, "max_abs_C_rel_err": c,
            "meets_targets": bool(e <= e_target and c <= c_target), "table": rows}


def tfim_exact(quick, symmetry):
    model = TransverseFieldIsing(8, 1.0, 1.0)
    temps = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0])
    res = thermal(model, temps, ThermalConfig(method="exact", trotter_step=0.05))
    return _summary(res, jw_tfim(model, temps), 0.01, 0.03)


def tfim_sample(quick, symmetry):
    out = {}
    temps = np.array([0.5, 1.0, 2.0])
    for n in (64, 128) if quick else (64, 128, 256):
        model = TransverseFieldIsing(n, 1.0, 1.0)
        cfg = ThermalConfig(method="sample", trotter_step=0.1, sweeps=300 if quick else 6000, seed=0)
        res = thermal(model, temps, cfg)
        out[f"N={n}"] = _summary(res, jw_tfim(model, temps), 0.005, 0.05)
    return out


def _variational(lx, temps, quick, symmetry, **kw):
    model = J1J2Square(lx, lx, 1.0, 0.5)
    settings = dict(method="variational", seed=0, symmetry=symmetry)  # else the library's defaults
    if quick:
        settings.update(beta_step=0.1, samples=512, chains=128)
    settings.update(kw)
    return model, thermal(model, temps, ThermalConfig(**settings))


def j1j2_4x4(quick, symmetry):
    temps = np.array([0.5, 1.0, 2.0])
    t0 = time.perf_counter()
    spectrum, _ = heisenberg_spectrum(J1J2Square(4, 4, 1.0, 0.5))
    ed_seconds = time.perf_counter() - t0
    model, res = _variational(4, temps, quick, symmetry)
    out = _summary(res, ed_j1j2(model, temps), 0.015, 0.10)
    out.update(settings={k: getattr(res.config, k) for k in _SETTINGS},
               ed_ground_state_per_site=float(spectrum.min() / 16), ed_seconds=round(ed_seconds, 1))
    return out


def j1j2_6x6(quick, symmetry):
    model, res = _variational(6, np.array([2.0]), quick, symmetry, features=2, beta_step=0.1, samples=1024,
                              chains=256)
    return {"method": res.method, "seconds": round(res.seconds, 1), "units": res.units, "table": _rows(res),
            "settings": {k: getattr(res.config, k) for k in _SETTINGS},
            "reference": "none (2^36 states)"}


def tdvp_exact(quick, symmetry):
    from arpes_sigma.thermal.tdvp_exact import evolve_exact

    out = {}
    temps = np.array([0.5, 1.0, 2.0])
    ring = TransverseFieldIsing(4, 1.0, 1.0)
    cases = [("tfim_N=4", ring, {}),
             ("tfim_N=4_dbeta=0.0125_shift=1e-5", ring, dict(beta_step=0.0125, diag_shift=1e-5))]
    if not quick:
        cases.append(("j1j2_3x3", J1J2Square(3, 3, 1.0, 0.5), dict(symmetry=symmetry)))
    for name, model, kw in cases:
        t0 = time.perf_counter()
        r = evolve_exact(model, temps, **kw)
        ref = jw_tfim(model, temps) if isinstance(model, TransverseFieldIsing) else ed_j1j2(model, temps)
        out[name] = {"seconds": round(time.perf_counter() - t0, 1), "table": [
            {"T": float(t), "E": float(r["energy"][j]), "E_rel_err": float(r["energy"][j] / ref.energy[j] - 1),
             "C": float(r["specific_heat"][j]), "C_rel_err": float(r["specific_heat"][j] / ref.specific_heat[j] - 1)}
            for j, t in enumerate(temps)]}
    return out


CASES = {"tfim_exact": tfim_exact, "tfim_sample": tfim_sample, "j1j2_4x4": j1j2_4x4, "j1j2_6x6": j1j2_6x6,
         "tdvp_exact": tdvp_exact}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", choices=sorted(CASES), help="run only these cases")
    ap.add_argument("--quick", action="store_true", help="fewer sweeps and samples")
    ap.add_argument("--symmetry", default="translation", choices=SYMMETRIES,
                    help="group of the variational machine's hidden features (J1-J2 cases); default translation")
    args = ap.parse_args(argv)
    out = {}
    for name in args.case or list(CASES):
        out[name] = CASES[name](args.quick, args.symmetry)
        print(json.dumps({name: out[name]}, indent=1), flush=True)


if __name__ == "__main__":
    main()
