"""Many raw cuts along the Fermi surface: does the recovered gap follow a d-wave truth from node to antinode?

Four synthetic SES text exports (one gold) of cuts along k_y at k_x = π, 0.8π,
0.6π, 0.45π through the Bi2212 band of Norman et al. (1995); each cut's truth
is the ``bi2212_like`` self-energy with its pairing (D and Δ0) scaled by the
d-wave factor |cos k_x − cos k_y|/2 at its Fermi crossing (1 at the antinode).
Runs ``arpes-sigma fit-many ... --gold --band bi2212 --geometry`` (default
FitConfig, baselines on) and prints JSON: per cut the Fermi-surface angle, the
true and fitted gap |Re W(0)|/(1 − ∂Re Σ11/∂ω), χ²_red against the measured
noise and whether the fit describes the data.

``--background B`` sets the extrinsic (energy-dependent) background of the
synthetic cuts (default 0: a flat dark count, which the fit's per-EDC constant
background describes). Run:
``JAX_PLATFORMS=cpu python benchmarks/bench_fermi_surface.py [folder] [--background 0.15]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import xarray as xr
from scipy.optimize import brentq

from arpes_sigma.analysis.fermi_surface import fermi_surface_summary
from arpes_sigma.cli.main import main as cli
from arpes_sigma.io.ses_text import write_ses_text
from arpes_sigma.physics.band import CutGeometry, bi2212_eps
from arpes_sigma.synthetic.raw import make_raw_measurement
from arpes_sigma.synthetic.spectrum import TRUTHS, truth_self_energy

KX = (np.pi, 0.8 * np.pi, 0.6 * np.pi, 0.45 * np.pi)


def run(folder: Path, background: float) -> list[dict]:
    """Write the cuts, fit them with the CLI, compare with the truth."""
    base = TRUTHS["bi2212_like"]
    antinode = abs(np.cos(np.pi) - np.cos(brentq(lambda ky: bi2212_eps(np.pi, ky), 0.0, 0.5 * np.pi))) / 2
    geometry, truths, files = {}, [], []
    for i, kx in enumerate(KX):
        kyf = brentq(lambda ky, kx=kx: bi2212_eps(kx, ky), 0.0, kx if kx < np.pi else 0.5 * np.pi)
        f = abs(np.cos(kx) - np.cos(kyf)) / 2 / antinode
        truth = dataclasses.replace(base, d=(base.d[0] * f,), static_gap=base.static_gap * f)
        g = CutGeometry(kx, kyf + 0.3 * np.pi, 90.0)
        m = make_raw_measurement(truth, geometry=g, seed=20 + i, background=background)
        name = f"cut{i}.txt"
        write_ses_text(folder / name, m.cut)
        if i == 0:
            write_ses_text(folder / "gold.txt", m.gold)
        geometry[name] = [kx / np.pi, (kyf + 0.3 * np.pi) / np.pi, 90.0]
        truths.append(truth)
        files.append(str(folder / name))
    (folder / "geometry.json").write_text(json.dumps(geometry))
    out = folder / "out"
    cli(["fit-many", *files, "--gold", str(folder / "gold.txt"), "--temperature", "20", "--out", str(out),
         "--band", "bi2212", "--geometry", str(folder / "geometry.json"), "--quiet"])
    result = xr.load_dataset(out / "result.nc", engine="h5netcdf")
    cuts = xr.load_dataarray(out / "cuts.nc", engine="h5netcdf")
    fitted = fermi_surface_summary(result, cuts)
    omega = result["eV"].values
    parts = [[np.asarray(x) for x in truth_self_energy(omega, t)] for t in truths]
    true = fermi_surface_summary(xr.Dataset(
        {"re_sigma_normal": (("cut", "eV"), np.array([p[0].real for p in parts])),
         "re_sigma_anomalous": (("cut", "eV"), np.array([p[2].real for p in parts]))},
        coords={"cut": np.arange(len(KX)), "eV": omega}))
    return [{"file": Path(files[i]).name, "fs_angle": float(fitted["fs_angle"][i]),
             "gap_true_meV": 1e3 * float(true["gap"][i]), "gap_fit_meV": 1e3 * float(fitted["gap"][i]),
             "chi2_measured_noise": float(fitted["chi2_measured_noise"][i]),
             "describes_data": int(fitted["describes_data"][i]),
             "pairing_evidence": float(fitted["pairing_evidence"][i])} for i in range(len(KX))]


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("folder", nargs="?")
    p.add_argument("--background", type=float, default=0.0)
    a = p.parse_args()
    where = Path(a.folder or tempfile.mkdtemp(prefix="fermi_surface_"))
    where.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(where, a.background), indent=1))
