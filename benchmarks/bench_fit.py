"""Speed of the fit against a scipy least-squares Norman fit, with the answer it buys.

Standard problem: the built-in spectrum (11 EDCs × 171 energies, 20 K, 10 meV
FWHM, 2 % noise; ``arpes_sigma.synthetic.default_spectrum``). Prints one JSON
object, every figure from this one run:

In this process (default :class:`FitConfig`: R paired + R normal-only restarts,
Levenberg–Marquardt in chunks, evidence, no Norman baseline):

- ``compile_s``: the first chunk of a fresh Fitter minus a warm chunk;
- ``fit_s``: a whole fit after compilation (every chunk + ``result()``, the
  evidence included; the second whole fit of the process, so that the
  evidence programs are compiled too), split into ``fit_solver_s`` (the
  chunks) and ``fit_result_s`` (``result()``); ``first_result_s`` is
  ``result()`` of the first fit, its compilation included; ``fit_steps`` the
  steps it took;
- ``chi2_reduced``, ``pairing_evidence`` and recovery against the truth
  (relative L2 error of Σ11 and W over the window) — speed must not buy a worse
  answer;
- ``explorer_update_ms``: one Explorer-sized chunk (``steps_per_call=2``,
  one restart) after a window move, median of 20;
- ``scipy_norman_s``: the median of 5 runs of ``scipy.optimize.least_squares`` on the Norman et al.
  (1998) model with per-EDC amplitude and background, written here in NumPy
  (Σ = −iΓ1 + Δ²/(ω + ε + iΓ0), Fermi cut-off, Gaussian resolution as a
  matrix): the cheapest credible fit of the same cut, the yardstick of issue 13.

Whole processes (``arpes-sigma fit CUT.nc --out R.nc``, baselines included, as
a user runs it): ``process_cold_s`` with an empty JAX compilation cache,
``process_warm_s`` with that cache filled; ``bad_input_s`` for a file that is
not a spectrum (refused before xarray is imported), ``bad_content_s`` for a
netCDF cut without ``eps_k`` (refused after reading it) and ``help_s`` for
``--help``; and the ratios to the scipy fit. ``process_cold_compilations``
counts the XLA compilations of one more cold process (logged, so not timed):
the large programs and every small eager one. ``peak_rss_mb`` is this
benchmark's own process (it fits several times); ``process_peak_rss_mb`` the
largest of the whole processes above (``RUSAGE_CHILDREN``: in practice the cold
one, which compiles everything).

Targets (issue 13, 2 cores): fit ≤ 0.5 s after compile; whole process ≤ 20×
(warm) and ≤ 40× (cold) the scipy fit; bad input < 0.5 s; peak RSS ≤ 1 GB.

Run: ``JAX_PLATFORMS=cpu python benchmarks/bench_fit.py``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
from scipy.optimize import least_squares

from arpes_sigma.physics.instrument import FWHM_TO_SIGMA, K_B


def norman_scipy(data) -> tuple[float, float]:
    """Fit the Norman model with scipy; returns (wall seconds, the median of 5 identical fits; χ²_red)."""
    omega = data["eV"].values.astype(float)
    eps = np.asarray(data["eps_k"].values, float)
    inten = np.asarray(data.values, float)
    sigma = float(data.attrs.get("noise_sigma", 0.02 * inten.max()))
    t = float(data.attrs["sample_temp"])
    fwhm = float(data.attrs["energy_resolution"])
    # model grid padded by 3 FWHM, 1 meV; the resolution as a (E, G) matrix
    grid = np.arange(omega.min() - 3 * fwhm, omega.max() + 3 * fwhm, 0.001)
    s = fwhm * FWHM_TO_SIGMA
    g = np.exp(-0.5 * ((omega[:, None] - grid[None, :]) / s) ** 2)
    g /= g.sum(axis=1, keepdims=True)
    f = 1 / (np.exp(grid / (K_B * t)) + 1)
    k = len(eps)

    def resid(p):
        g1, d, g0 = p[:3]
        a, b = p[3 : 3 + k], p[3 + k :]
        sig = -1j * abs(g1) + d**2 / (grid[None, :] + eps[:, None] + 1j * abs(g0))
        spec = -np.imag(1 / (grid[None, :] - eps[:, None] - sig)) / np.pi * f
        model = a[:, None] * (spec @ g.T) + b[:, None]
        return ((inten - model) / sigma).ravel()

    p0 = np.concatenate([[0.03, 0.02, 0.01], np.full(k, inten.max() * 0.05), np.zeros(k)])
    walls = []
    for _ in range(5):  # one run varied 0.43–0.97 s between benchmark runs: the ratios divide by the median
        t0 = time.perf_counter()
        sol = least_squares(resid, p0, method="trf", x_scale="jac")
        walls.append(time.perf_counter() - t0)
    wall = statistics.median(walls)
    chi2r = float(np.sum(sol.fun**2) / (sol.fun.size - sol.x.size))
    return wall, chi2r


def relative_l2(fit: np.ndarray, truth: np.ndarray) -> float:
    return float(np.linalg.norm(fit - truth) / np.linalg.norm(truth))


def timed(cmd: list[str], env: dict) -> tuple[float, int]:
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, env=env, capture_output=True, text=True).returncode
    return time.perf_counter() - t0, rc


def compilations(cmd: list[str], env: dict) -> int:
    """XLA compilations of a whole process (``JAX_LOG_COMPILES=1``; run apart from the timed runs)."""
    out = subprocess.run(cmd, env=dict(env, JAX_LOG_COMPILES="1"), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"the counted process failed ({out.returncode}): {out.stderr[-500:]}")
    return (out.stdout + out.stderr).count("Finished XLA compilation")


def main() -> None:
    warnings.simplefilter("ignore")
    from arpes_sigma import FitConfig, Fitter
    from arpes_sigma.synthetic import default_spectrum

    data, truth = default_spectrum()
    config = FitConfig(baselines=False)

    f = Fitter(data, config)
    t0 = time.perf_counter()
    f.run()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    f.run()
    compile_s = first - (time.perf_counter() - t0)

    def whole_fit():
        """(result, seconds of solver chunks, seconds of result(): evidence and summary, steps)."""
        g = Fitter(data, config)
        t0 = time.perf_counter()
        while not g.finished and g.step < config.steps:
            g.run()
        t1 = time.perf_counter()
        res = g.result()
        return res, t1 - t0, time.perf_counter() - t1, g.step

    _, _, first_result_s, _ = whole_fit()  # result() compiles the evidence programs on its first call
    result, steps_s, result_s, fit_steps = whole_fit()  # every program compiled: the fit itself
    fit_s = steps_s + result_s

    lo, hi = config.window or (result.omega.min(), result.omega.max())
    win = (result.omega >= lo) & (result.omega <= hi)
    tw = truth.interp(eV=result.omega, kwargs={"fill_value": "extrapolate"})  # float32 energies may round past the ends
    s11_true = tw.re_sigma_normal.values + 1j * tw.im_sigma_normal.values
    w_true = tw.re_sigma_anomalous.values + 1j * tw.im_sigma_anomalous.values
    # W is defined up to its sign (the gauge); compare with the truth's sign
    sign = np.sign(np.real(np.vdot(w_true[win], result.sigma_anomalous[win]))) or 1.0

    e = Fitter(data, FitConfig(baselines=False, steps_per_call=2, restarts=1))
    e.run()
    ticks = []
    for i in range(20):
        e.update(window=(-0.3 + 0.002 * (i % 2), 0.03))
        t0 = time.perf_counter()
        e.run()
        ticks.append(time.perf_counter() - t0)

    scipy_s, scipy_chi2 = norman_scipy(data)

    with tempfile.TemporaryDirectory() as tmp:
        cut, out = os.path.join(tmp, "cut.nc"), os.path.join(tmp, "r.nc")
        data.to_netcdf(cut)
        bad = os.path.join(tmp, "bad.nc")
        with open(bad, "w") as fh:
            fh.write("not a spectrum\n")
        env = dict(os.environ, ARPES_SIGMA_JAX_CACHE=os.path.join(tmp, "jax-cache"))
        env.pop("JAX_COMPILATION_CACHE_DIR", None)
        exe = [sys.executable, "-m", "arpes_sigma.cli"]
        cold, rc_cold = timed([*exe, "fit", cut, "--out", out, "--quiet"], env)
        os.remove(out)
        warm, rc_warm = timed([*exe, "fit", cut, "--out", out, "--quiet"], env)
        bad_s, rc_bad = timed([*exe, "fit", bad, "--out", out + "2", "--quiet"], env)
        no_eps = os.path.join(tmp, "no_eps.nc")
        data.drop_vars("eps_k").to_netcdf(no_eps)
        bad_content_s, rc_bad_content = timed([*exe, "fit", no_eps, "--out", out + "3", "--quiet"], env)
        help_s, _ = timed([*exe, "--help"], env)
        env_counted = dict(env, ARPES_SIGMA_JAX_CACHE=os.path.join(tmp, "jax-cache-counted"))
        cold_compilations = compilations([*exe, "fit", cut, "--out", os.path.join(tmp, "counted.nc"), "--quiet"],
                                         env_counted)

    print(json.dumps({
        "problem": "11 EDCs x 171 energies, default FitConfig",
        "restarts": f"{config.restarts} paired + {config.restarts} normal-only",
        "compile_s": round(compile_s, 2),
        "fit_s": round(fit_s, 2),
        "fit_solver_s": round(steps_s, 2),
        "fit_result_s": round(result_s, 2),
        "first_result_s": round(first_result_s, 2),
        "fit_steps": fit_steps,
        "chi2_reduced": round(result.chi2_reduced, 3),
        "pairing_evidence": round(result.pairing_evidence, 1),
        "sigma_normal_l2": round(relative_l2(result.sigma_normal[win], s11_true[win]), 3),
        "sigma_anomalous_l2": round(relative_l2(sign * result.sigma_anomalous[win], w_true[win]), 3),
        "explorer_update_ms": round(1000 * statistics.median(ticks), 1),
        "scipy_norman_s": round(scipy_s, 3),
        "scipy_norman_chi2_reduced": round(scipy_chi2, 2),
        "process_cold_s": round(cold, 2),
        "process_warm_s": round(warm, 2),
        "process_exit_codes": [rc_cold, rc_warm],
        "process_cold_compilations": cold_compilations,
        "cold_over_scipy": round(cold / scipy_s, 1),
        "warm_over_scipy": round(warm / scipy_s, 1),
        "bad_input_s": round(bad_s, 2),
        "bad_input_exit_code": rc_bad,
        "bad_content_s": round(bad_content_s, 2),
        "bad_content_exit_code": rc_bad_content,
        "help_s": round(help_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
