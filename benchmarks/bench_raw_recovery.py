"""Raw path against the prepared path on the same truth: E_F, FWHM, ε_k and the self-energies.

Writes synthetic SES text exports (cut + gold) with a known E_F(α) (curved
slit), resolution, band (Norman et al. 1995 Bi2212 along a known cut), an
extrinsic background, Σ11 and W, and counts with effective gain g = 6; runs
read → calibrate → prepare → fit_with_baselines (default FitConfig) on them,
and fits the prepared-path spectrum of :func:`arpes_sigma.make_spectrum` with
the same truth. Prints one JSON object with

- ``fermi_level_max_err_meV``: max |E_F(α) − truth| over the detector;
- ``fwhm_rel_err``: |FWHM − truth| / truth;
- ``eps_max_err_meV``: max |ε_k − truth| over the EDCs (band + geometry);
- ``eps_mdc``: the same cut prepared without a named band (ε_k guessed from
  MDC maxima, ``eps_k_source = "mdc"``) and fitted with the default
  ``FitConfig`` (``band="auto"``, so the band is learned jointly): the max error
  of the guess (``guess_max_err_meV``), of the learned ε_k
  (``learned_max_err_meV``), and the fit's χ²_red and Σ11/W errors;
- ``gain``: the measured effective gain (truth 6);
- for each path (``prepared``, ``raw_dark_only``, ``raw_with_background``):
  χ²_red, the occupied-side peak energy and height of −Im Σ11 and |Im W| and
  their truths, and the relative L2 error of Im Σ11 and Im W on the occupied side.

``raw_dark_only`` has a flat dark count only (what the fit's per-EDC constant
background describes): 200 counts at the peak of a column, about 400 in an
EDC of two angles, so about 5 % noise at the peak against the prepared
path's 2 %; ``raw_dark_only_equal_noise`` is the same cut with 1250 counts
(2 % at the peak of an EDC): the row to compare with ``prepared``.
``raw_with_background`` adds the energy-dependent
extrinsic background a real cut has, fitted with the CLI's defaults for raw
files (``background="edge"``, :data:`~arpes_sigma.fitting.config.MEASURED_STEPS` steps; every raw row uses
those steps), and ``raw_with_background_shirley`` /
``_constant`` the same cut with the other background models. Run:
``JAX_PLATFORMS=cpu python benchmarks/bench_raw_recovery.py [folder]``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import xarray as xr

import arpes_sigma
from arpes_sigma import FitConfig, fit_with_baselines
from arpes_sigma.fitting.config import MEASURED_STEPS
from arpes_sigma.synthetic import make_spectrum
from arpes_sigma.synthetic.raw import DEFAULT_GEOMETRY, write_raw_measurement

OCCUPIED_BELOW = -0.005


def _peak(omega, curve):
    occ = omega < OCCUPIED_BELOW
    i = int(np.argmax(np.where(occ, curve, -np.inf)))
    return float(omega[i]), float(curve[i])


def _score(result, truth_omega, t11, tw):
    omega = result.omega
    s11 = np.interp(omega, truth_omega, t11.imag)
    sw = np.interp(omega, truth_omega, tw.imag)
    occ = (omega < OCCUPIED_BELOW) & np.asarray(result.window_mask, bool)

    def rel(fit, true):
        return float(np.linalg.norm(fit[occ] - true[occ]) / np.linalg.norm(true[occ]))

    e11, h11 = _peak(omega, -result.sigma_normal.imag)
    ew, hw = _peak(omega, np.abs(result.sigma_anomalous.imag))
    te11, th11 = _peak(omega, -s11)
    tew, thw = _peak(omega, np.abs(sw))
    return {"chi2_reduced": float(result.chi2_reduced), "baselines": dict(result.baselines),
            "sigma11_peak_meV": [1e3 * e11, 1e3 * te11], "sigma11_height": [h11, th11],
            "w_peak_meV": [1e3 * ew, 1e3 * tew], "w_height": [hw, thw],
            "im_sigma11_rel_l2": rel(result.sigma_normal.imag, s11),
            "im_w_rel_l2": rel(result.sigma_anomalous.imag, sw)}


def main(folder: str) -> dict:
    """Run the comparison in ``folder``; returns the numbers printed."""
    out: dict = {}
    data, truth = make_spectrum("bi2212_like", seed=1, noise=0.02, resolution=0.010, temperature=20.0)
    t0 = time.perf_counter()
    out["prepared"] = _score(fit_with_baselines(data, FitConfig()), truth["eV"].values,
                             truth["re_sigma_normal"].values + 1j * truth["im_sigma_normal"].values,
                             truth["re_sigma_anomalous"].values + 1j * truth["im_sigma_anomalous"].values)
    out["prepared"]["seconds"] = time.perf_counter() - t0
    for name, background, counts in (("raw_dark_only", 0.0, 200.0), ("raw_dark_only_equal_noise", 0.0, 1250.0),
                                     ("raw_with_background", 0.15, 200.0)):
        sub = os.path.join(folder, name)
        os.makedirs(sub, exist_ok=True)
        paths = write_raw_measurement(sub, seed=1, background=background, peak_counts=counts)
        t = xr.load_dataset(paths["truth"], engine="h5netcdf")
        cal = arpes_sigma.calibrate(paths["gold"], 20.0)
        cut = arpes_sigma.prepare(arpes_sigma.read(paths["cut"]), cal, band="bi2212", geometry=DEFAULT_GEOMETRY)
        a = t["alpha"].values
        if name == "raw_dark_only":
            ef_err = cal.fermi_level(a) - t["fermi_level"].values
            out["fermi_level_max_err_meV"] = 1e3 * float(np.max(np.abs(ef_err)))
            out["fwhm_rel_err"] = abs(cal.energy_resolution - t.attrs["energy_resolution"]) / t.attrs[
                "energy_resolution"]
            eps_true = np.interp(cut["alpha"].values, a, t["eps_k"].values)
            out["eps_max_err_meV"] = 1e3 * float(np.max(np.abs(cut["eps_k"].values - eps_true)))
            out["gain"] = cut.attrs["effective_gain"]
            cut_mdc = arpes_sigma.prepare(arpes_sigma.read(paths["cut"]), cal)
            eps_true_mdc = np.interp(cut_mdc["alpha"].values, a, t["eps_k"].values)
            t0 = time.perf_counter()
            res_mdc = fit_with_baselines(cut_mdc, FitConfig(steps=MEASURED_STEPS))
            score_mdc = _score(res_mdc, t["eV"].values,
                               t["re_sigma_normal"].values + 1j * t["im_sigma_normal"].values,
                               t["re_sigma_anomalous"].values + 1j * t["im_sigma_anomalous"].values)
            score_mdc.update(
                seconds=time.perf_counter() - t0, eps_k_source=res_mdc.eps_k_source,
                guess_max_err_meV=1e3 * float(np.max(np.abs(cut_mdc["eps_k"].values - eps_true_mdc))),
                learned_max_err_meV=1e3 * float(np.max(np.abs(np.asarray(res_mdc.eps_k) - eps_true_mdc))))
            out["eps_mdc"] = score_mdc
        from arpes_sigma.analysis.quality import fit_quality

        # the dark-only cut with the constant background; the other with every background model, the CLI's
        # default for raw files ("edge") first
        kinds = ("constant",) if name.startswith("raw_dark_only") else ("edge", "shirley", "constant")
        for kind in kinds:
            t0 = time.perf_counter()
            result = fit_with_baselines(cut, FitConfig(background=kind, steps=MEASURED_STEPS))
            score = _score(result, t["eV"].values, t["re_sigma_normal"].values + 1j * t["im_sigma_normal"].values,
                           t["re_sigma_anomalous"].values + 1j * t["im_sigma_anomalous"].values)
            q = fit_quality(result, cut["noise_sigma"].values)
            peak = np.unravel_index(int(np.argmax(cut.values)), cut.shape)
            score.update(seconds=time.perf_counter() - t0, chi2_measured_noise=q.chi2_reduced,
                         residual_correlation=q.correlation, background=kind,
                         noise_at_peak=float(cut["noise_sigma"].values[peak] / cut.values[peak]))
            out[name if kind == kinds[0] else f"{name}_{kind}"] = score
    return out


if __name__ == "__main__":
    where = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="raw_recovery_")
    print(json.dumps(main(where), indent=1))
