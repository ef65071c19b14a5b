"""Do the Laplace error bars mean what they say? Checked against the scatter of fits over noise seeds.

The ``*_std`` of a result come from one spectrum: the Gauss–Newton curvature at
the optimum, propagated to the curves by linearisation. Here the same truth is
measured four times with independent noise (``make_spectrum``'s own two-pole
truth, which the model can represent) and fitted each time: the scatter of the
fitted peaks over the seeds is what the error bars claim to predict, found by a
path that never forms a Hessian. Measured over ten seeds
(``benchmarks/bench_uncertainty.py``, default ``n_features=24``, the reported
restart the one with the most evidence): at the |Im W| peak the scatter is
0.038 eV against a median Laplace error of 0.047 eV (ratio 0.79; for Σ11 0.023
against 0.029), every seed's truth within 1.12 of its own error bars, and the
peaks +4 % too high on average (−8 % to +15 % by seed).
With the former default of 16 radial-basis functions (80 meV wide, too coarse
for the truth's Γ0 + α|ω| with its cusp at E_F) every seed's peak came out too
high, by +15 % on average; see the README.
"""

from __future__ import annotations

import numpy as np
import pytest

from arpes_sigma import FitConfig, fit
from arpes_sigma.fitting.summary import OCCUPIED_BELOW
from arpes_sigma.synthetic import make_spectrum

SEEDS = range(4)


@pytest.fixture(scope="module")
def fits():
    out = []
    for seed in SEEDS:
        data, truth = make_spectrum("bi2212_like", seed=seed)
        out.append((fit(data, FitConfig()), truth))
    return out


@pytest.mark.parametrize("name, truth_var", [("sigma_normal", "im_sigma_normal"),
                                             ("sigma_anomalous", "im_sigma_anomalous")])
def test_laplace_errors_predict_the_scatter_over_noise_seeds(fits, name, truth_var):
    peaks, stds = [], []
    for result, truth in fits:
        true = truth[truth_var].values
        j = int(np.argmax(np.where(result.omega < OCCUPIED_BELOW, np.abs(true), -np.inf)))
        value = getattr(result, name).imag[j]
        std = getattr(result, f"{name}_std").imag[j]
        # each seed's truth within its error bars: at most 1.12 std off over ten seeds (1.6 with 16 functions)
        assert abs(value - true[j]) <= 2.0 * std, (value, true[j], std)
        peaks.append(value)
        stds.append(std)
    ratio = np.std(peaks, ddof=1) / np.median(stds)
    # measured 0.80 (W) and 0.82 (Σ11) on these four seeds, 0.79 / 0.80 over ten; four seeds estimate a
    # scatter only to about ±35 %, so the bounds are loose: error bars 3× too wide or 2× too narrow fail
    assert 0.2 < ratio < 2.0, (ratio, peaks, stds)
