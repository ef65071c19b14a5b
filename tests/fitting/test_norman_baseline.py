"""The Norman baseline (:mod:`arpes_sigma.fitting.baselines`) against a Norman truth from another code path.

The truth is the Norman et al. (1998) self-energy with a mass renormalisation,
Σ11 = −iΓ1 − λω, Σ22 = −iΓ0 − λω, W = Δ, rendered by the independent NumPy
forward path (:mod:`arpes_sigma.synthetic.reference`: float64, 0.25 meV grid,
direct convolution), so the baseline is checked through the physics, not
against its own forward model.

With the bare band wrong by a shift and a velocity error (an MDC-like guess,
ε_guess = 0.8 ε + 25 meV) and learned, as the main fit learns it, the
baseline must describe the data again. Its Γ1, Δ, Γ0 and λ are then *not*
expected back: ε → (1+s)ε with Σ → (1+s)Σ − sω is an exact symmetry of the
Norman family (λ absorbs the −sω), so only ratios such as Δ/Γ1 and Γ0/Δ are
fixed by the data. Measured (seed 0, 4 starts, 300 steps): χ²_red 1.03 learned
vs 9.5 with the wrong guess kept; Δ/Γ1 1.48 learned vs 1.47 true, while Δ
itself comes out 0.69× the truth (s = −0.31 along the flat direction).
"""

from __future__ import annotations

import numpy as np
import pytest

from arpes_sigma import FitConfig, Fitter
from arpes_sigma.fitting.baselines import fit_norman
from arpes_sigma.synthetic.reference import ReferenceTruth, reference_spectrum

GAMMA1, DELTA, GAMMA0, LAMBDA = 0.020, 0.030, 0.005, 0.5
EPS = np.linspace(-0.15, 0.03, 7)
#: The main model kept small (only its problem and settings are used); the Norman fit gets the default effort.
CONFIG = FitConfig(n_features=8, n_background=64, baselines=False)


def _norman_truth(omega):
    w = np.asarray(omega, dtype=float)
    return -1j * GAMMA1 - LAMBDA * w + 0j, -1j * GAMMA0 - LAMBDA * w + 0j, DELTA + 0j * w


@pytest.fixture(scope="module")
def cut():
    truth = ReferenceTruth("norman", _norman_truth, paired=True)
    data, _ = reference_spectrum(truth, eps_k=EPS, energies=np.arange(-0.25, 0.0401, 0.004), seed=0)
    return data


@pytest.fixture(scope="module")
def wrong_band(cut):
    return cut.assign_coords(eps_k=("k", 0.8 * EPS + 0.025))


def test_norman_baseline_recovers_a_norman_truth(cut):
    n = fit_norman(Fitter(cut, CONFIG.replace(band="fixed")))
    assert n.chi2_reduced == pytest.approx(1.0, abs=0.15)
    assert n.gamma1 == pytest.approx(GAMMA1, rel=0.10)
    assert n.delta == pytest.approx(DELTA, rel=0.05)
    assert n.gamma0 == pytest.approx(GAMMA0, abs=0.0015)
    assert n.renormalisation == pytest.approx(LAMBDA, abs=0.05)
    np.testing.assert_array_equal(n.eps_k, EPS.astype(n.eps_k.dtype))  # band fixed: the data's ε_k untouched


def test_norman_baseline_learns_the_band_when_the_main_fit_does(wrong_band):
    kept = fit_norman(Fitter(wrong_band, CONFIG.replace(band="fixed")))
    learned = fit_norman(Fitter(wrong_band.assign_attrs(eps_k_source="mdc"), CONFIG))  # band="auto" learns a guess
    assert kept.chi2_reduced > 3.0, kept.chi2_reduced  # control: the wrong guess does not describe the data
    assert learned.chi2_reduced == pytest.approx(1.0, abs=0.15)
    assert not np.allclose(learned.eps_k, 0.8 * EPS + 0.025)
    # only the ratios survive the ε → (1+s)ε, Σ → (1+s)Σ − sω symmetry of the Norman family
    assert learned.delta / learned.gamma1 == pytest.approx(DELTA / GAMMA1, rel=0.10)
    assert learned.gamma0 / learned.delta == pytest.approx(GAMMA0 / DELTA, rel=0.30)


def test_norman_fit_beside_the_main_fit_sees_the_settings_the_main_fit_ends_with(cut):
    # fit_with_baselines runs the Norman fit on a second thread from the final settings (the values of
    # Fitter.final_settings), before the main fit has released its edge background (Fitter.release_step):
    # its χ²_red must be the one a Norman fit after the main fit gets, and differ from one on the first
    # stage's settings. The same thread runs the evidence and error programs once
    # (summary.compile_evidence, compile_std, in float64): the main fit and its evidence must come out as
    # without that thread.
    from arpes_sigma.fitting.fitter import drive
    from arpes_sigma.fitting.pipeline import fit_with_baselines

    config = CONFIG.replace(background="edge", baselines=True, steps=40, band="fixed")
    beside = fit_with_baselines(cut, config)
    fitter = Fitter(cut, config)
    first_stage = fit_norman(fitter).chi2_reduced
    drive(fitter, config.steps // config.steps_per_call)
    assert fitter.released
    after = fit_norman(fitter).chi2_reduced
    assert beside.baselines["norman"] == pytest.approx(after, rel=1e-6)
    assert abs(first_stage - after) > 1e-3 * after
    alone = fitter.result()
    assert beside.chi2_reduced == alone.chi2_reduced
    assert beside.pairing_evidence == pytest.approx(alone.pairing_evidence, rel=1e-9, abs=1e-9)
    np.testing.assert_array_equal(beside.sigma_anomalous, alone.sigma_anomalous)


def test_an_error_in_the_fit_neither_waits_for_nor_starts_the_second_threads_work(cut, monkeypatch):
    """Ctrl-C or an error in the main fit leaves fit_with_baselines at once: the Norman fit running beside
    it is not waited for and the evidence programs queued behind it never start (a `with` block waited for
    both: 3.5–7 s between Ctrl-C and the CLI's exit, measured)."""
    import threading
    import time
    from types import SimpleNamespace

    from arpes_sigma.fitting import pipeline

    gate, calls = threading.Event(), []

    def held_norman(*args):
        gate.wait(30)  # opened by the test only once the error has reached it
        calls.append("norman")
        return SimpleNamespace(chi2_reduced=1.0)

    monkeypatch.setattr(pipeline, "norman_fit", held_norman)
    monkeypatch.setattr(pipeline, "compile_evidence", lambda fitter: calls.append("evidence"))
    monkeypatch.setattr(pipeline, "compile_std", lambda fitter: calls.append("std"))

    class Stop(Exception):
        pass

    def stop(progress):
        raise Stop

    config = CONFIG.replace(baselines=True, steps=40, band="fixed")
    try:
        with pytest.raises(Stop):
            pipeline.fit_with_baselines(cut, config, callback=stop)
        assert calls == []  # the held Norman fit was not waited for
    finally:
        gate.set()
    deadline = time.monotonic() + 60
    while "norman" not in calls and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # time enough for a queued task to start, had it not been cancelled
    assert calls == ["norman"]


def test_what_the_second_thread_has_not_started_when_the_fit_ends_runs_on_the_first(cut, monkeypatch):
    """fit_with_baselines shares out the work left when the fit ends: the calls still queued on the second
    thread (here the evidence and error programs, behind a Norman fit held until then) run on the calling
    thread, while the second thread finishes its own."""
    import threading
    from types import SimpleNamespace

    from arpes_sigma.fitting import pipeline

    started, gate, where = threading.Event(), threading.Event(), {}

    def held_norman(*args):
        started.set()
        gate.wait(30)
        where["norman"] = threading.current_thread().name
        return SimpleNamespace(chi2_reduced=1.5)

    def record(name):
        return lambda fitter: where.setdefault(name, threading.current_thread().name)

    monkeypatch.setattr(pipeline, "norman_fit", held_norman)
    monkeypatch.setattr(pipeline, "compile_evidence", record("evidence"))
    monkeypatch.setattr(pipeline, "compile_std", record("std"))

    def at_the_end(progress):
        if progress.step >= progress.total:
            assert started.wait(30), "the Norman fit never started on the second thread"
            threading.Timer(1.0, gate.set).start()  # once this thread has taken what is queued

    config = CONFIG.replace(baselines=True, steps=20, band="fixed")
    try:
        result = pipeline.fit_with_baselines(cut, config, callback=at_the_end)
    finally:
        gate.set()
    main = threading.current_thread().name
    assert where == {"norman": where["norman"], "evidence": main, "std": main}
    assert where["norman"].startswith("beside-fit") and result.baselines["norman"] == 1.5
