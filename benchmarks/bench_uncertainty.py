"""Do the error bars hold? Laplace ``*_std`` against the scatter of fits over noise seeds, and against the truth.

A result's ``*_std`` is computed from one spectrum (the Gauss–Newton curvature
at the optimum, linearised onto the curves). Here one truth is measured with
``--seeds`` independent noise realisations and fitted each time with the default
FitConfig. Printed per truth, at the truth's occupied-side peaks of −Im Σ11 and
|Im W|:

* ``scatter_over_laplace`` — the standard deviation of the fitted peak values
  over the seeds divided by the median Laplace error (1 = the error bars predict
  the scatter; > 1 = too narrow);
* ``bias`` — the mean of (fit − truth)/truth over the seeds (signed, on |Im|),
  and ``bias_over_laplace`` — the mean (fit − truth) in units of the median
  Laplace error: what the error bars cannot show, because every seed shares it;
* ``within_2_laplace`` — the fraction of seeds whose truth lies within two of
  their own Laplace errors at the peak, and ``covered_occupied`` — the mean
  fraction of occupied-side energies (ω < −5 meV) where it does;
* ``median_spread``, ``scatter_over_combined`` and ``within_2_combined`` — the
  same with the restart spread added in quadrature, √(std² + spread²) (the
  spread is 0 when fewer than two paired restarts reach a comparable χ²);
* ``median_detectable``, ``within_2_detectable`` and
  ``covered_occupied_detectable`` — the same with the detectable change added
  in quadrature, √(std² + detectable²) (``*_detectable``: the smallest local
  change of the curve the data would show, all fit parameters free;
  :mod:`arpes_sigma.fitting.evidence`), at the peak and over the occupied side
  (where it is defined).

Truths: ``in_family`` — the package's two-pole truth (``make_spectrum``,
"bi2212_like"), which the model can represent; ``continuum`` — the non-rank-one
continuum of hidden fermions through the independent NumPy path
(:mod:`arpes_sigma.synthetic.reference`), outside the model family; any other
name of :data:`arpes_sigma.synthetic.families.FAMILIES` (e.g. ``mfl_eliashberg``)
the same way.

Prints one JSON line per fit, then the summary. Nothing is asserted. Run::

    JAX_PLATFORMS=cpu python benchmarks/bench_uncertainty.py [--seeds 10] [--truths in_family,continuum]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np

from arpes_sigma import FitConfig, fit
from arpes_sigma.fitting.summary import OCCUPIED_BELOW
from arpes_sigma.synthetic import make_spectrum
from arpes_sigma.synthetic.families import family_truth
from arpes_sigma.synthetic.reference import reference_spectrum

CURVES = (("sigma_normal", "im_sigma_normal"), ("sigma_anomalous", "im_sigma_anomalous"))


def _data(name: str, seed: int):
    if name == "in_family":
        return make_spectrum("bi2212_like", seed=seed)
    return reference_spectrum(family_truth(name), seed=seed, temperature=20.0)


def run(name: str, seed: int) -> dict:
    """One fit of one noise seed: its peak values, Laplace errors and coverage."""
    da, truth = _data(name, seed)
    t0 = time.perf_counter()
    result = fit(da, FitConfig())
    occ = result.omega < OCCUPIED_BELOW
    row = {"truth": name, "seed": seed, "chi2_reduced": result.chi2_reduced,
           "seconds": round(time.perf_counter() - t0, 1)}
    for key, var in CURVES:
        true = truth[var].values
        fitted, std = getattr(result, key).imag, getattr(result, f"{key}_std").imag
        spread = getattr(result, f"{key}_spread")
        spread = np.zeros_like(std) if spread is None else spread.imag
        detectable = getattr(result, f"{key}_detectable")
        j = int(np.argmax(np.where(occ, np.abs(true), -np.inf)))
        seen = occ & np.isfinite(detectable)
        row[key] = {"peak_mev": round(1e3 * float(result.omega[j]), 1), "fit": float(fitted[j]),
                    "truth": float(true[j]), "laplace_std": float(std[j]), "spread": float(spread[j]),
                    "detectable": float(detectable[j]),
                    "covered_occupied": float(np.mean((np.abs(fitted - true) <= 2 * std)[occ])),
                    "covered_occupied_detectable": float(np.mean(
                        (np.abs(fitted - true) <= 2 * np.hypot(std, detectable))[seen]))}
    return row


def summarise(rows: list[dict]) -> dict:
    """The per-truth figures of the module docstring."""
    out = {}
    for key, _ in CURVES:
        fit_, true, std, spread, detectable = (np.array([r[key][f] for r in rows])
                                               for f in ("fit", "truth", "laplace_std", "spread", "detectable"))
        scale = float(np.median(std))
        both = np.hypot(std, spread)
        out[key] = {
            "scatter_over_laplace": float(np.std(fit_, ddof=1) / scale) if len(rows) > 1 else float("nan"),
            "bias": float(np.mean((np.abs(fit_) - np.abs(true)) / np.abs(true))),
            "bias_over_laplace": float(np.mean(fit_ - true) / scale),
            "within_2_laplace": float(np.mean(np.abs(fit_ - true) <= 2 * std)),
            "covered_occupied": float(np.mean([r[key]["covered_occupied"] for r in rows])),
            "median_laplace_std": scale,
            "median_spread": float(np.median(spread)),
            "scatter_over_combined": float(np.std(fit_, ddof=1) / np.median(both)) if len(rows) > 1 else float("nan"),
            "within_2_combined": float(np.mean(np.abs(fit_ - true) <= 2 * both)),
            "median_detectable": float(np.median(detectable)),
            "within_2_detectable": float(np.mean(np.abs(fit_ - true) <= 2 * np.hypot(std, detectable))),
            "covered_occupied_detectable": float(np.mean([r[key]["covered_occupied_detectable"] for r in rows])),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--truths", default="in_family,continuum")
    args = ap.parse_args()
    summary = {}
    for name in args.truths.split(","):
        rows = []
        for seed in range(args.seeds):
            rows.append(run(name, seed))
            print(json.dumps(rows[-1]), flush=True)
        summary[name] = summarise(rows)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
