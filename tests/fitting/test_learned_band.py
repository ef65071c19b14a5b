"""The bare band learned jointly with the self-energy (``FitConfig.band``).

The truth's ε_k is stored deliberately wrong by a smooth offset — a +25 meV
shift and a 20 % velocity error, ε_guess = 0.8 ε_true + 25 meV, the kind of
error an MDC guess makes (:mod:`arpes_sigma.io.mdc`) — and the fit either
learns the band or keeps the guess. Tolerances: Σ11's relative L2 on the
occupied side at most half that of the fit keeping the wrong guess; χ²_red within
the 15 % a fit to 2 % noise on ~500 points reaches (its standard deviation is
√(2/N) ≈ 6 %); the learned ε_k within three Laplace standard deviations of
the truth at every EDC.

The issue's bar for ε_k itself — within 10 meV of the truth at every EDC —
is not a test: whether it holds depends on where the solver stops. A constant shift and a velocity error of
ε_k are exact symmetries of the spectrum (traded against a static Re Σ11 and
a Z-factor; :func:`arpes_sigma.model.band_correction`), broken only by the
causal form of the model, so on this cut the data leave ε_k open by ≈ 18 meV
(its Laplace error); what is tested is that the error bar covers the error.

Measured on this cut (80 steps, 2 + 2 restarts): Σ11 relative L2 0.26 with
the band learned against 0.66 with the wrong guess kept and 0.07 with the true
band given; run longer, the learned fit drifts along the flat direction
(χ²_red 0.986 → 0.984, ε_k 5 → 24 meV off, L2 0.26 → 0.30 at 200 steps).
Learning the band is far better than a wrong guess, not as good as knowing it.
What the spectrum does fix is the band renormalised at E_F, E*_k = Z (ε_k +
Re Σ11(0)) (:mod:`arpes_sigma.physics.renormalisation`), known to a few meV
where ε_k is known to ±20 meV; with Z ≈ 0.2 that is a statement about the
renormalised dispersion, not about the bare band.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from arpes_sigma import FitConfig, Fitter
from arpes_sigma.errors import ConfigError
from arpes_sigma.fitting.fitter import drive
from arpes_sigma.fitting.problem import eps_is_guess, learns_band, scaled_momentum
from arpes_sigma.model import BAND_BOUNDS, band_correction, init_params, n_params
from arpes_sigma.physics import quasiparticle_band
from arpes_sigma.synthetic import make_spectrum

#: Small and quick (as test_fit.py's SMALL), with enough steps for the band to settle.
BAND = FitConfig(steps=80, steps_per_call=10, restarts=2, n_features=8, n_background=64, baselines=False)
EPS_TRUE = np.linspace(-0.15, 0.03, 7)
OCCUPIED_BELOW = -0.005


@pytest.fixture(scope="module")
def wrong_band():
    """7 EDCs × 73 energies of a paired truth whose stored eps_k is 0.8 ε_true + 25 meV."""
    da, truth = make_spectrum(eps_k=EPS_TRUE, energies=np.arange(-0.25, 0.0401, 0.004), seed=3)
    guess = 0.8 * EPS_TRUE + 0.025
    wrong = da.assign_coords(eps_k=("k", guess)).assign_attrs(eps_k_source="mdc")
    return wrong, truth


def _fit(data, config):
    f = Fitter(data, config)
    drive(f, -(-config.steps // config.steps_per_call))
    return f, f.result()


@pytest.fixture(scope="module")
def learned(wrong_band):
    return _fit(wrong_band[0], BAND.replace(band="learn"))


@pytest.fixture(scope="module")
def fixed(wrong_band):
    return _fit(wrong_band[0], BAND.replace(band="fixed"))


def _sigma11_l2(result, truth):
    t11 = truth["re_sigma_normal"].values + 1j * truth["im_sigma_normal"].values
    occ = result.omega < OCCUPIED_BELOW
    return float(np.linalg.norm((result.sigma_normal - t11)[occ]) / np.linalg.norm(t11[occ]))


def test_band_option_is_checked_in_one_line():
    with pytest.raises(ConfigError) as err:
        FitConfig(band="free")
    msg = str(err.value)
    assert "band" in msg and "learn" in msg and "\n" not in msg


@pytest.mark.parametrize(
    "band, source, want",
    [("auto", "mdc", True), ("auto", "given", False), ("auto", "band:bi2212", False), ("auto", None, False),
     ("fixed", "mdc", False), ("learn", "given", True), ("learn", None, True)],
)
def test_auto_learns_only_a_guessed_band(band, source, want):
    attrs = {} if source is None else {"eps_k_source": source}
    assert learns_band(FitConfig(band=band), attrs) is want
    assert eps_is_guess(attrs) is (source == "mdc")


def test_band_correction_is_bounded_and_switched_off_by_q():
    spec = FitConfig().model_spec()
    p = init_params(spec, jax.random.key(0))
    x = jnp.asarray(scaled_momentum(np.linspace(0.3, 0.5, 9)))
    np.testing.assert_allclose(np.asarray(x)[[0, 4, -1]], [-1.0, 0.0, 1.0], atol=1e-6)
    assert np.all(np.asarray(band_correction(p, x)) == 0)  # starts at the given band
    huge = dict(p, band=jnp.asarray([1e3, -1e3, 1e3]))
    d = np.asarray(band_correction(huge, x))
    # |δ| ≤ Σ_j L_j |P_j| ≤ Σ_j L_j on [−1, 1], whatever the parameters
    assert np.all(np.isfinite(d)) and np.max(np.abs(d)) <= sum(BAND_BOUNDS) + 1e-6
    assert np.max(np.abs(d)) > 0.1  # the bound is reached, not a zero function
    assert np.all(np.asarray(band_correction(huge, x, 0.0)) == 0)
    assert n_params(spec, band=True) == n_params(spec) + 3


def test_learned_band_recovers_sigma11_and_the_data(learned, fixed, wrong_band):
    _, truth = wrong_band
    _, r = learned
    guess_err = np.max(np.abs(r.eps_k_guess - EPS_TRUE))
    assert guess_err > 0.04  # control: the stored band is wrong by far more than 10 meV
    # Σ11 far closer to the truth than the fit that keeps the wrong band (module docstring: not as close
    # as a fit given the true band)
    assert _sigma11_l2(r, truth) < 0.5 * _sigma11_l2(fixed[1], truth)
    assert r.chi2_reduced <= 1.15 < fixed[1].chi2_reduced
    err = np.abs(r.eps_k - EPS_TRUE)
    assert np.max(err) < 0.5 * guess_err  # the learned band is much closer to the truth than the guess
    assert np.all(err <= 3 * r.eps_k_std), (1e3 * err, 1e3 * r.eps_k_std)  # and the error bar covers the rest
    assert r.eps_k_source == "learned"


def test_the_renormalised_band_is_what_the_spectrum_fixes(learned, wrong_band):
    # ε_k is open along a shift and a velocity change (module docstring); E*_k = Z (ε_k + Re Σ11(0)) is not.
    # Measured: E*_k 0.1–8.7 meV from the truth's, Laplace error 1.6–3.2 meV against ε_k's 17–23 meV.
    # Z ≈ 0.18 compresses every band error: the guess's own E*_k is only 3–10 meV off, so this checks that
    # learning ε_k keeps what the data fix (a wrong sign of Re Σ11(0) would put E*_k ~30 meV off), not
    # that it finds the bare band.
    _, r = learned
    _, truth = wrong_band
    t11 = truth["re_sigma_normal"].values + 1j * truth["im_sigma_normal"].values
    want, z = quasiparticle_band(truth["eV"].values, EPS_TRUE, t11)
    assert np.max(np.abs(r.quasiparticle_band - want)) <= 0.010
    assert np.max(r.quasiparticle_band_std) < 0.3 * np.min(r.eps_k_std)  # the data fix E*_k, not ε_k
    assert abs(r.quasiparticle_weight / z - 1) < 0.5
    ds = r.to_dataset()
    np.testing.assert_allclose(ds["quasiparticle_band"].values, r.quasiparticle_band)
    assert "quasiparticle_band_std" in ds.coords and ds["quasiparticle_band"].attrs["units"] == "eV"


def test_fixed_band_keeps_the_wrong_guess_and_misses_sigma11(fixed, learned, wrong_band):
    _, truth = wrong_band
    fitter, r = fixed
    np.testing.assert_allclose(r.eps_k, wrong_band[0]["eps_k"].values)
    assert r.eps_k_guess is None and r.eps_k_std is None and r.eps_k_source == "mdc"
    # with the band fixed the coefficients see only their prior: they stay exactly at zero
    assert np.all(np.asarray(fitter.state.params["band"]) == 0)
    # the wrong band costs Σ11 (and χ²): learning it is what recovers Σ11
    l2_fixed, l2_learned = _sigma11_l2(r, truth), _sigma11_l2(learned[1], truth)
    assert l2_fixed > 0.25 and l2_fixed > 1.5 * l2_learned, (l2_fixed, l2_learned)
    assert r.chi2_reduced > learned[1].chi2_reduced


def test_result_file_carries_the_learned_band(learned, tmp_path):
    _, r = learned
    assert r.eps_k_std is not None and np.all(np.isfinite(r.eps_k_std)) and np.all(r.eps_k_std > 0)
    ds = r.to_dataset()
    np.testing.assert_allclose(ds["eps_k"].values, r.eps_k)
    np.testing.assert_allclose(ds["eps_k_guess"].values, r.eps_k_guess)
    assert ds.attrs["eps_k_source"] == "learned" and ds.attrs["eps_k_guess_source"] == "mdc"
    assert "eps_k_std" in ds.coords and ds["eps_k"].attrs["units"] == "eV"
    path = r.save(tmp_path / "band.nc")
    import xarray as xr

    back = xr.load_dataset(path, engine="h5netcdf")
    np.testing.assert_allclose(back["eps_k"].values, r.eps_k)
    assert back.attrs["eps_k_source"] == "learned"


def test_band_switch_is_traced_no_recompile(wrong_band):
    f = Fitter(wrong_band[0], BAND.replace(band="fixed"))
    f.run()
    traces = f.traces
    f.update(band="learn")
    f.run()
    f.update(band="auto")  # the data say "mdc": learns
    f.run()
    assert f.traces == traces
    assert float(f.settings.band) == 1.0


def test_cli_report_says_how_well_each_band_is_known(learned, capsys):
    from arpes_sigma.cli.fit import _report

    _, r = learned
    _report(r, "out.nc", None)
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("band:"))
    assert f"+/- {1e3 * np.max(r.eps_k_std):.0f} meV" in line
    assert f"+/- {1e3 * np.max(r.quasiparticle_band_std):.1f} meV" in line and "Z = " in line
