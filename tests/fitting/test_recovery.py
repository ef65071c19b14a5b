"""Recovering truths the fit was not built from: the acceptance test of the decomposition.

Truths come from outside the model's family (:mod:`arpes_sigma.synthetic.families`)
and reach the fit through an independent NumPy forward path
(:mod:`arpes_sigma.synthetic.reference`: float64, a 0.25 meV grid, a direct
convolution) — no shared code with the fit's forward model. Default
FitConfig; 11 EDCs, 2 % noise, 10 meV resolution; 20 K (paired) or 100 K
(normal state). Two noise seeds each here; ``benchmarks/bench_recovery.py``
runs more seeds and prints pass rates.

Criteria (occupied side, ω < −5 meV), from the issue "Trust the decomposition":

* the verdict: ``pairing_supported`` is 1 on paired truths, 0 on the normal state;
* Σ11 within relative L2 0.25 (complex curve) on every truth;
* on the continuum of hidden fermions (non-rank-one pairing): W within relative
  L2 0.30, the W and Σ11 peaks within 6 meV and 25 %, and the measured
  cancellation ratio within 0.15 of the truth's; the evidence reports one hidden
  fermion there (the second pole's Occam factor), and keeps two on a truth made
  of two;

* the error bars: the truth within 2·√(std² + detectable²) of the fit on at
  least 85 % of the occupied energies, for W and Σ11 (``*_detectable``: the
  smallest local change the data would show, :mod:`arpes_sigma.fitting.evidence`;
  measured 0.91–1.00, against 0.18–0.86 with 2·std alone); on the MFL truth, W
  detectable at its peak and not at −150 meV, and the result's ``determined_to``
  between the two; on the normal state, the spurious W not determined beyond
  30 meV below E_F;

and one known limitation, kept as a strict expected failure so that fixing it is
noticed (the detectable changes show why: below ≈ −56 meV no measurement of this
spectrum fixes W, so the whole-curve L2 there scores the model's prior): on the
MFL + Eliashberg-gap truth, W at low energy is right (W(0) within 15 %) but the
whole-curve L2 of W is not (relative L2 1.21, 1.54, 1.67,
1.79, 1.61 on seeds 0–4 with the default 24 background functions). Measured with
16 functions, the former default (seed 0, relative L2 1.66; everything below up
to "Leads" used 16 unless it says otherwise): most of the error is the static
gap, Δ0 ≈ 10.6 meV, which keeps Re W ≈ 10 meV down to −300 meV where the truth's
W has decayed below 1 meV (Laplace error there ±3.5 meV); W without Δ0 would
have L2 1.0. The rest is a pole at the 2 meV width floor (a |Im W| spike of 46
meV at −48 meV, truth 13.5 meV). Both are ways to make W(0) without scattering
at E_F: a pole of width γ at ±E gives |Im Σ11(0)| ≥ W(0)·γ/E, so the truth's
broad W (mode 50 meV, damping 40 meV) from one pole would need |Im Σ11(0)| ≥
12.2 meV, more than the MFL's 10 meV, and the background carries no pairing.
Tried, none passes: Δ0 off (gap_scale 0.1 meV) moves W(0) into a width-floor
pole at 118 meV (L2 3.2); a 5 meV width floor (the resolution's HWHM) keeps that
pole at the floor (L2 2.1); a background continuum allowed to carry pairing (|κ|
≤ √(ρ(x)ρ(−x))) gives χ²_red 1.008 instead of 1.018 and Δ0 6 meV but puts its
pairing near −250 meV (L2 1.5) and costs 50 % more time. W well away from E_F is
set by the model and priors, not by the data. Measured on the default fit
(24 functions; ``bench_recovery.py`` prints both): χ² of the fitted spectrum
against the noisy data over the window is 1874.1, 1942.1, 1851.6, 1808.1,
1824.3 on seeds 0–4, that of the truth's own noise-free spectrum 1877.5,
1937.0, 1884.9, 1829.4, 1844.5 (1881 points) — the data describe the wrong W
as well as the right one (on seeds 5–9 the fit is at most 3.0 above the
truth); the normal-only fits were at 2046–2260 (measured a round earlier).

Second attempt (seeds 0, 1; unchanged code: W L2 1.65, 2.66, χ²_red 1.018,
1.059), none committed. The static gap was replaced by a decaying gap with the
smallest normal part the bound allows — at each energy x the rank-one residue
[[|ρ_W|, ρ_W], [ρ_W, |ρ_W|]], ρ_W = −Im W/π, so −Im Σ11 = |Im W| (zero at E_F)
and Σ22 = Σ11; its Cauchy transform has a closed form (t = x², partial
fractions, principal logs; checked against quadrature to 1e-8):

* W = Δ0Λ²/(Λ − iω)² (learned Λ, Gaussian prior on its softplus-raw value around
  0.1 eV): L2 0.82, 0.97 (χ²_red 1.007, 1.037; Λ ≈ 150 meV, Δ0 ≈ 16 meV). Λ
  pinned at 83 meV: χ²_red 1.0055 but a width-floor pole at −120 meV takes
  the pairing (L2 1.56). The poles' pairing is invisible there: W(0) leaks into
  poles whose W spike sits where W²/(ω + ε − Σ22) is tiny.
* the same plus an envelope on the poles' coherence, c_l → c_l Λ²/(Λ² + E_l²)
  (pairing of a hidden fermion decays beyond the cut-off too): the floor
  poles lose their pairing, L2 0.68, 0.79 (Λ ≈ 140 meV; initial Λ spread over
  45–125 meV changed nothing). A Lorentzian² cannot be flat to −50 meV and
  small at −100 meV, as the truth is; the data pins |W| near −50 meV.
* the truth's own form, W = Δ0(Ω² + γ²)/(Ω² − (ω + iγ)²) (learned Ω, γ, priors
  around 50 and 100 meV), with the minimal partner and the envelope
  (Λ² = Ω² + γ²): L2 0.51, 0.48, χ²_red 1.008, 1.037 (better than today),
  Ω ≈ 69, γ ≈ 60 meV against the truth's 50, 40; Σ11 L2 0.08, 0.03. Ω, γ
  pinned at the truth's values: χ²_red 1.029 (worse) and L2 0.55. The reason:
  the partner puts a |Im W|-shaped bump (13.5 meV at −52 meV) into −Im Σ11
  that the background (16 non-negative radial-basis functions 80 meV apart)
  cannot offset, so the fit moves the mode up where the bump is smoother.
  With ``n_features=32``: L2 0.35 (seed 0), χ²_red 1.006, pole pairing ≈ 0 —
  closest, still not ≤ 0.30, and slower. Fit time of this variant 140 s
  against 113 s (seed 1, shared CPUs: noisy). On the other truths (seed 0
  only, default ``n_features``) this variant helped the continuum: W L2 0.10
  (today 0.23), the |Im W| peak 0.41 against 0.37 (passes; today 0.48 fails),
  Σ11 L2 0.07 (0.14), cancellation ratio 0.32, but χ²_red 1.024 (0.998); the
  normal state keeps its verdict with less margin: pairing evidence −4.6
  (today −39.7), χ²_red 0.998 (1.045).

Leads: a finer (or non-negative but locally flexible) background so that
Σ11 = background + |Im W| partner can equal a smooth truth; or a partner that
is not minimal but smooth (any majorant of |ρ_W| keeps the bound). Note the
damped-mode W is the truth family's own form: a pass with it would no longer
test W out of family.

Third attempt (same seeds and criteria; seed 0 of ``normal_dip`` too), none
committed. The static gap was replaced by a *pairing continuum* of no fixed
shape: W_c(ω) = Σ_j b_j B_j(ω) on 11 piecewise-linear hats (knots 0, 10, 20,
32, 46, 62, 80, 100, 125, 155, 190, 230, 280 meV), odd pairing density
b_j[h_j(x) − h_j(−x)] (so W(ω) = W(−ω)* and the density vanishes at E_F),
each node with its minimal normal partner |b_j|[h_j(x) + h_j(−x)] in
Σ11 = Σ22 (PSD for any b; closed-form Cauchy transforms evaluated at
ω + i·1 meV; the random-parameter PSD, causality and particle-hole tests of
``tests/fitting/test_model.py`` pass with it). Figures: W L2 (seed 0, 1);
main today 1.65, 2.66.

* Gaussian prior per node (std gap_scale/√M on its share of W(0)): W(0)
  right (ratio 1.01, 1.06), χ²_red 1.004, 1.029, but L2 4.3, 3.1: a
  hidden fermion at the 2 meV width floor (c ≈ 0.74, −150 … −160 meV)
  carries a |Im W| spike of 120–140 meV.
* plus an envelope c_l·Λ²/(Λ² + E_l²) on the poles' coherence (learned Λ):
  L2 2.1 (seed 0); the far nodes (155–230 meV) took alternating signs —
  their normal partners served as a finer normal background.
* node amplitude = its local |Im W| height, plus a non-negative normal
  density on the same hats in both models: L2 0.52, 0.92 (χ²_red 1.0025,
  1.031); W spreads to −300 meV at 5–10 meV where the data do not see it.
* a smooth Laplace (L1) prior on the heights, β = gap_scale/M: the nodes
  become sparse, but the pairing moves back into a floor-width hidden
  fermion (L2 2.45).
* the same L1 prior also on each hidden fermion's |Im W| height
  |c|V²|D|/(2Eγ): L2 0.37, 0.65 (χ²_red 1.003, 1.027); continuum W L2
  0.13, 0.11, |Im W| peak −11 %, −6 % (passes), Σ11 L2 0.09, 0.08;
  normal state: evidence −7.3, verdict 0, χ²_red 0.996.
* the L1 prior on pairing *spectral weight* instead (node |b_j|Δ_j/π,
  hidden fermion |c|V²|D|/E, β_w = (gap_scale/M)·Δ̄/π): L2 0.245 (passes),
  0.44 (seed 1: |Im W| bumps of 10–13 meV from −50 to −100 meV, W(0)
  +8.5 %); no pole pairing left. Continuum: W L2 0.20, 0.24, but seed 1's
  |Im W| peak is 38 % too high (fails); normal state: evidence −10.4,
  verdict 0. Fit times 276, 288 s; main's seed 1 run the same way took
  411 s (113 s in the second attempt): on the shared, loaded CPU (load
  ≈ 4 on 2 cores) no speed comparison could be made.

What remains: W between −50 and −100 meV is set by the prior, not the
data (the L1 prior makes it sparse but not smooth); leads are a prior on
neighbouring nodes' differences, or β set by the evidence (ARD).

Fourth attempt (seeds 0, 1; figures of a helper's runs on loaded CPUs), not
merged: variant "E" rebuilt (no static gap; a pairing continuum on the same
11 hats with its minimal partner and a non-negative normal density on them;
smooth-L1 priors of scale β = gap_scale/11 = 4.5 meV on each node's and each
hidden fermion's |Im W| height) plus a Gaussian prior on neighbouring nodes'
first differences, σ_d = gap_scale/√11 = 15 meV (a random walk pinned to 0
at E_F and beyond 280 meV whose spread after 11 steps is gap_scale):

* MFL + Eliashberg: W L2 0.47, 0.71 (fails), Σ11 L2 0.07, 0.04, W(0) 14.7,
  16.4 meV (truth 15.2); a broad hidden fermion (E ≈ 100 meV, γ ≈ 35 meV,
  |Im W| ≈ 6 meV, barely above β) still carries pairing to −130 meV.
* continuum: W L2 0.14, 0.11, both peaks within 2 meV, |Im W| peak −12 %,
  −7 %, cancellation ratio 0.37, 0.36 (truth 0.33): passes every criterion
  (main: |Im W| peak +30 % on seed 0, re-measured).
* normal_dip (100 K): Σ11 L2 0.044, 0.041, evidence −3.7, −8.6 (verdict 0;
  main −39.7 on seed 0: less margin).
* second differences instead (σ₂ = 2.4 meV): MFL W L2 0.45, 1.13.

Why not merged: the continuum adds 33 parameters (32 → 64 with the network),
and the residual Jacobian of the 8 default fits went from 23 ms to 181 ms
(min of 20 on the same loaded machine; XLA cost 129 → 269 MFLOP, so most of
the time is not arithmetic: the hats' closed-form complex logs on the grid,
which depend on the grid only, are a lead to precompute as problem
constants). The issue asks the default fit to keep today's speed.

Fifth attempt (a helper's runs on loaded CPUs; not merged, kept on a local
branch that does not land): the fourth's design with the hats' Cauchy
transforms as parameter-free (E, 11) matrices (W_c = T_odd b, Σ11_c = Σ22_c =
T_even (|b| + n), one even non-negative normal density n on the hats), P = 53
with the band (main 32). The fourth attempt's slowness was not the complex
logs: optimistix's default QR of [J; √λ I] on XLA's CPU backend jumps from
≈ 50 ms to 170–300 ms for the 8 default fits between P = 50 and 53 and was
most of a step. With the damped step solved by Cholesky of the normal
equations (``lineax.Normal(lineax.Cholesky())``) a 10-step chunk took 239 ms
against main's 225 ms (min of 7, three interleaved rounds, load 2.3–3.9); the
residual Jacobian alone 28 ms against 11–19 ms. Figures (seeds 0, 1):

* continuum: W L2 0.14, 0.12 (main 0.23, 0.21); peaks within 2 meV; |Im W|
  peak −11 %, −9 % (main +30 %, +33 %); cancellation ratio 0.36, 0.36 (truth
  0.33); Σ11 L2 0.09, 0.09: passes every criterion.
* MFL + Eliashberg: W L2 0.64, 0.90 (fails ≤ 0.30; main 1.65, 2.65), W(0)
  +9 %, +6 %.
* normal_dip (100 K): evidence −6.3, −5.8 (main −8.2, −15.4), verdict 0.

Why not merged: without the static gap, five tests that pass on main fail —
fits to truths made *with* a static gap (the package's default spectrum)
got worse: test_fit's convergence test (best paired cost 435 against < 322;
main 214), both learned-band fits (Σ11 L2 0.47 learned against 0.57 fixed,
the test wants a factor 2) and two noise/background fits (χ²_red 4.4 on the
Shirley case). The continuum's W fades beyond 280 meV and cannot copy a
constant gap. Leads: keep Δ0 beside the continuum (with its own shrinkage),
and the Cholesky step on its own for main's speed (not measured on main).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from arpes_sigma import FitConfig, fit
from arpes_sigma.fitting.summary import cancellation_ratio
from arpes_sigma.synthetic import make_spectrum
from arpes_sigma.synthetic.families import family_truth
from arpes_sigma.synthetic.reference import reference_spectrum
from arpes_sigma.synthetic.spectrum import Truth

OCCUPIED_BELOW = -0.005
SEEDS = (0, 1)


def _complex(truth, name):
    return truth[f"re_{name}"].values + 1j * truth[f"im_{name}"].values


def _l2(fitted, true, occ):
    return float(np.linalg.norm((fitted - true)[occ]) / np.linalg.norm(true[occ]))


def _peak(omega, curve):
    occ = omega < OCCUPIED_BELOW
    i = int(np.argmax(np.where(occ, curve, -np.inf)))
    return float(omega[i])


FAMILIES = ("continuum", "mfl_eliashberg", "normal_dip")


@functools.cache
def _recover(name: str, seed: int):
    temperature = 100.0 if name == "normal_dip" else 20.0
    data, truth = reference_spectrum(family_truth(name), seed=seed, temperature=temperature)
    return name, truth, fit(data, FitConfig())


def _cases(*names):
    return pytest.mark.parametrize("case", [(n, s) for n in names for s in SEEDS], ids=lambda p: f"{p[0]}-seed{p[1]}")


@pytest.fixture
def recovered(case):
    return _recover(*case)


@_cases(*FAMILIES)
def test_verdict_matches_the_truth(recovered):
    name, truth, result = recovered
    assert result.describes_data, (name, result.chi2_reduced)
    assert bool(result.pairing_supported) == bool(truth.attrs["paired"]), (name, result.verdict)


@_cases(*FAMILIES)
def test_sigma11_within_25_percent(recovered):
    name, truth, result = recovered
    occ = result.omega < OCCUPIED_BELOW
    rel = _l2(result.sigma_normal, _complex(truth, "sigma_normal"), occ)
    assert rel <= 0.25, f"{name}: relative L2 of Σ11 {rel:.3f}"


@_cases("continuum")
def test_continuum_w_peaks_and_partial_cancellation(recovered):
    name, truth, result = recovered
    om = result.omega
    occ = om < OCCUPIED_BELOW
    tw, t11 = _complex(truth, "sigma_anomalous"), _complex(truth, "sigma_normal")
    assert _l2(result.sigma_anomalous, tw, occ) <= 0.30
    for fitted, true in ((np.abs(result.sigma_anomalous.imag), np.abs(tw.imag)),
                         (-result.sigma_normal.imag, -t11.imag)):
        assert abs(_peak(om, fitted) - _peak(om, true)) <= 0.006 + 1e-9
        occ_fit, occ_true = np.max(fitted[occ]), np.max(true[occ])
        assert abs(occ_fit / occ_true - 1) <= 0.25, (occ_fit, occ_true)
    true_ratio, _ = cancellation_ratio(om, result.eps_k, t11, tw, _complex(truth, "sigma_total"))
    assert 0.1 < true_ratio < 0.6  # control: the truth is neither rank one nor unpaired
    assert abs(result.cancellation_ratio - true_ratio) <= 0.15, (result.cancellation_ratio, true_ratio)


@_cases("continuum")
def test_evidence_drops_a_hidden_fermion_the_data_do_not_need(recovered):
    """One hidden fermion with spread energies and angles describes the continuum: the restart with its weaker
    pole switched off is the more probable (measured: 10.3 / 11.8 nats ahead of the best two-pole restart on
    seeds 0 / 1; over seeds 0–9 ahead on nine, by 0.3 and 3.1 nats on the two seeds where a second pole
    overshot the W peak by 55 / 37 %)."""
    _, truth, result = recovered
    assert result.hidden_fermions == 1, result.params
    assert result.evidence["pole_evidence"] < -3, result.evidence


def test_evidence_keeps_a_hidden_fermion_the_data_need():
    """Control: two hidden fermions at ±49 and ±126 meV (measured: the one-pole restart 528 nats behind)."""
    truth = Truth(v=(0.10, 0.10), eps_f=(0.02, 0.04), d=(0.045, 0.12), gamma=(0.008, 0.012))
    data, _ = make_spectrum(truth, seed=0)
    result = fit(data, FitConfig())
    assert result.hidden_fermions == 2, result.params
    assert result.evidence["pole_evidence"] > 100, result.evidence
    assert result.describes_data and result.chi2_reduced < 1.1


@_cases("normal_dip")
def test_normal_state_w_is_not_reported_as_supported(recovered):
    name, truth, result = recovered
    assert result.pairing_evidence < 3.0 and "NOT supported" in result.verdict
    # nor is the W it shows determined by the data beyond a few resolution widths (10 meV FWHM) of E_F
    assert result.determined_to("sigma_anomalous") > -0.03


@_cases("mfl_eliashberg")
def test_eliashberg_gap_at_low_energy(recovered):
    name, truth, result = recovered
    i0 = int(np.argmin(np.abs(result.omega)))
    w0 = _complex(truth, "sigma_anomalous")[i0].real
    assert abs(result.sigma_anomalous[i0].real / w0 - 1) <= 0.15


def _within(fitted, true, std, detectable, occ):
    """Fraction of the occupied energies (where ``detectable`` is defined) with the truth within
    2·√(std² + detectable²) of the fit, and the same with 2·std alone."""
    ok = occ & np.isfinite(detectable)
    err, s = np.abs(fitted - true)[ok], np.abs(std)[ok]
    return float(np.mean(err <= 2 * np.hypot(s, detectable[ok]))), float(np.mean(err <= 2 * s))


@_cases("continuum", "mfl_eliashberg")
def test_truth_lies_within_what_the_data_determine(recovered):
    """Out of the family, ``*_std`` (the error within the model) misses the truth at many energies; the
    detectable change says how far the data leave each curve open, and together they hold the truth."""
    name, truth, result = recovered
    occ = result.omega < OCCUPIED_BELOW
    for fitted, true, std, detectable in (
            (result.sigma_anomalous, _complex(truth, "sigma_anomalous"), result.sigma_anomalous_std,
             result.sigma_anomalous_detectable),
            (result.sigma_normal, _complex(truth, "sigma_normal"), result.sigma_normal_std,
             result.sigma_normal_detectable)):
        both, std_only = _within(fitted, true, std, detectable, occ)
        assert both >= 0.85, (name, both, std_only)


@_cases("mfl_eliashberg")
def test_eliashberg_w_is_seen_at_its_peak_and_not_in_its_tail(recovered):
    """The truth's W is detectable where it peaks (−52 meV) and not at −150 meV, and the result says so."""
    name, truth, result = recovered
    om, tw = result.omega, np.abs(_complex(truth, "sigma_anomalous"))
    occ = om < OCCUPIED_BELOW
    peak = int(np.flatnonzero(occ)[np.argmax(np.abs(_complex(truth, "sigma_anomalous").imag)[occ])])
    tail = int(np.argmin(np.abs(om + 0.15)))
    assert result.sigma_anomalous_detectable[peak] < tw[peak]
    assert result.sigma_anomalous_detectable[tail] > tw[tail]
    assert om[tail] < result.determined_to("sigma_anomalous") < om[peak] + 0.01


@_cases("continuum", "mfl_eliashberg")
def test_peak_criterion_is_attainable_only_where_the_data_resolve_the_peak(recovered):
    """The issue's peak criterion (height within 25 % in 90 % of seeds) needs a 1σ error ≤ 0.25/1.645 of the
    height. The detectable change at the truth's |Im W| peak (the marginalised Cramér–Rao bound) allows it on
    the continuum (measured 0.087–0.106 of the height over ten seeds) and not on the MFL + Eliashberg truth
    (0.71–1.09): there only a model whose form matched the truth's could meet it, which is why its W peak and
    whole curve fail."""
    name, truth, result = recovered
    om = result.omega
    occ = om < OCCUPIED_BELOW
    true = np.abs(truth["im_sigma_anomalous"].values)
    j = int(np.flatnonzero(occ)[np.argmax(true[occ])])
    bound = result.sigma_anomalous_detectable[j] / true[j]
    if name == "continuum":
        assert bound < 0.25 / 1.645, bound
    else:
        assert bound > 2 * 0.25 / 1.645, bound


@_cases("mfl_eliashberg")
@pytest.mark.xfail(strict=True, reason="known limitation: W of the MFL + Eliashberg truth away from E_F "
                   "(static gap and width-floor poles; see the module docstring)")
def test_eliashberg_w_whole_curve(recovered):
    name, truth, result = recovered
    occ = result.omega < OCCUPIED_BELOW
    assert _l2(result.sigma_anomalous, _complex(truth, "sigma_anomalous"), occ) <= 0.30
