"""The fit engine: configuration checks, no recompiles, guards, results and files."""

from __future__ import annotations

import json
import os

import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from arpes_sigma import FitConfig, Fitter, fit
from arpes_sigma.errors import ArpesDataError, ConfigError
from arpes_sigma.fitting.loss import solve_nuisance
from arpes_sigma.io.noise import estimate_noise
from arpes_sigma.synthetic import make_spectrum

FAST = dict(steps=200, steps_per_call=100, baselines=False)


@pytest.fixture(scope="module")
def small():
    """A small cut (5 EDCs × 86 energies) so that engine tests stay quick."""
    da, truth = make_spectrum(eps_k=np.linspace(-0.15, 0.03, 5), energies=np.arange(-0.25, 0.0401, 0.0034), seed=3)
    return da, truth


@pytest.mark.parametrize(
    "bad, word",
    [
        (dict(n_poles=0), "n_poles"),
        (dict(width=-1), "width"),
        (dict(steps=0), "steps"),
        (dict(restarts=0), "restarts"),
        (dict(smoothness=-1.0), "smoothness"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(window=(0.1, -0.1)), "window"),
        (dict(window=(0.0, float("nan"))), "window"),
        (dict(temperature=-5.0), "temperature"),
        (dict(resolution=0.2), "max_resolution"),
        (dict(gap_limit=0.0), "gap_limit"),
    ],
)
def test_config_rejects_bad_values_in_one_line(bad, word):
    with pytest.raises(ConfigError) as err:
        FitConfig(**bad)
    msg = str(err.value)
    assert word in msg and "\n" not in msg


def test_config_is_frozen_and_round_trips_json():
    c = FitConfig(window=(-0.2, 0.02))
    with pytest.raises(AttributeError):
        c.steps = 5  # frozen
    assert json.loads(c.to_json())["window"] == [-0.2, 0.02]
    assert c.replace(seed=4).seed == 4 and c.seed == 0


def test_estimate_noise_recovers_white_noise_level():
    rng = np.random.default_rng(0)
    e = np.linspace(-0.3, 0.05, 400)
    smooth = 5 * np.exp(-((e + 0.1) / 0.05) ** 2)
    x = smooth + 0.07 * rng.standard_normal((20, e.size))
    # 8000 samples: the MAD-based estimate has a few % statistical spread
    assert estimate_noise(x) == pytest.approx(0.07, rel=0.05)


def test_solve_nuisance_is_exact_for_an_affine_model():
    rng = np.random.default_rng(1)
    m = rng.random((3, 50))
    a, b = np.array([0.5, 2.0, 1.3]), np.array([0.1, -0.2, 0.05])
    data = a[:, None] * m + b[:, None]
    fa, fb = solve_nuisance(jnp.asarray(m), jnp.asarray(data), jnp.ones(50))
    np.testing.assert_allclose(fa, a, rtol=1e-4)  # float32 normal equations
    np.testing.assert_allclose(fb, b, atol=1e-4)


def test_window_and_weights_change_without_recompiling(small):
    da, _ = small
    f = Fitter(da, FitConfig(**FAST, n_poles=2, width=8))
    f.run()
    traces = f.traces
    f.update(window=(-0.2, 0.02), smoothness=5.0, gap_penalty=0.1, l2=1e-3, learning_rate=0.02, resolution=0.015)
    p = f.run()
    f.update(window=(-0.15, 0.0), temperature=40.0)
    f.run()
    assert f.traces == traces
    assert not p.compiling
    assert f.config.window == (-0.15, 0.0)


def test_shape_change_is_refused_by_update(small):
    da, _ = small
    f = Fitter(da, FitConfig(**FAST, n_poles=2, width=8))
    with pytest.raises(ConfigError, match="shape"):
        f.update(n_poles=3)


def test_window_mask_limits_the_chi2(small):
    da, _ = small
    corrupted = da.copy()
    corrupted[:, -5:] = corrupted[:, -5:] + 1000.0  # garbage above E_F
    cfg = FitConfig(**FAST, n_poles=2, width=8)
    full = Fitter(corrupted, cfg).run().chi2_reduced
    windowed = Fitter(corrupted, cfg.replace(window=(-0.25, 0.0))).run().chi2_reduced
    assert windowed < full / 100  # the garbage is ~1000 noise levels: it dominates only the full window


def test_nan_guard_keeps_best_parameters(small):
    da, _ = small
    f = Fitter(da, FitConfig(**FAST, n_poles=2, width=8))
    f.run()
    good = f.result()
    # poison a traced input: every later loss is NaN
    f.settings = f.settings._replace(resolution=jnp.asarray(np.nan, dtype=f.settings.resolution.dtype))
    f.run()
    assert f.dead.all()
    f.settings = f.settings._replace(resolution=jnp.asarray(da.attrs["energy_resolution"], dtype=jnp.float32))
    kept = f.result()
    assert np.all(np.isfinite(kept.sigma_normal))
    np.testing.assert_allclose(kept.sigma_normal, good.sigma_normal, rtol=1e-5)


def test_callback_receives_progress_and_can_stop(small):
    da, _ = small
    seen = []

    def cb(p):
        seen.append(p)
        return False

    r = fit(da, FitConfig(**{**FAST, "steps": 500}, n_poles=2, width=8), callback=cb)
    assert len(seen) == 1 and seen[0].step == 100 and seen[0].total == 500
    assert r.steps == 100 and "stopped by callback" in r.status


def test_result_dataset_follows_the_contract(small, tmp_path):
    da, _ = small
    r = fit(da, FitConfig(**FAST, n_poles=2, width=8, restarts=2))
    ds = r.to_dataset()
    for name in ("re_sigma_normal", "im_sigma_normal", "re_sigma_anomalous", "im_sigma_anomalous"):
        assert ds[name].dims == ("eV",)
        assert ds[f"{name}_std"].dims == ("eV",)
    for name in ("re_sigma_total", "im_sigma_total", "intensity", "model_intensity", "residual"):
        assert ds[name].dims == ("k", "eV")
    assert not any(np.iscomplexobj(v.values) for v in ds.data_vars.values())
    np.testing.assert_allclose(ds.residual, ds.intensity - ds.model_intensity)
    assert {"chi2_reduced", "steps", "seed", "config"} <= set(ds.attrs)
    stored = json.loads(ds.attrs["config"])
    assert FitConfig(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in stored.items()}) == r.config
    # causality and the bound survive into the reported (mean) curves
    assert np.all(ds.im_sigma_normal <= 1e-6)
    out = tmp_path / "result.nc"
    r.save(out)
    back = xr.open_dataset(out, engine="h5netcdf")
    xr.testing.assert_allclose(back.load(), ds)
    back.close()
    assert not [p for p in os.listdir(tmp_path) if p != "result.nc"]  # no temp files left


def test_save_refuses_to_overwrite_the_input(small, tmp_path):
    da, _ = small
    src = tmp_path / "input.nc"
    da.to_netcdf(src, engine="h5netcdf")
    before = src.read_bytes()
    r = fit(da, FitConfig(**FAST, n_poles=2, width=8))
    with pytest.raises(ArpesDataError):
        r.save(src, protect=[src])
    assert src.read_bytes() == before


def test_gauge_is_fixed_so_that_re_w_at_zero_is_positive(small):
    da, _ = small
    for seed in (0, 1, 2):
        r = fit(da, FitConfig(**FAST, n_poles=2, width=8, seed=seed))
        i0 = int(np.argmin(np.abs(r.omega)))
        assert r.sigma_anomalous[i0].real >= 0
