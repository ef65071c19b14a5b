"""The ThermalPanel widget: controls, artists updated in place, errors shown in the Output."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from arpes_sigma.widgets.thermal_panel import ThermalPanel  # noqa: E402


@pytest.fixture(scope="module")
def panel():
    return ThermalPanel(n_sites=6, n_temperatures=4, temperature_range=(0.5, 2.0))


def test_panel_exposes_controls_and_figure(panel):
    assert {"temperature", "field", "trotter_step", "sites"} <= set(panel.controls)
    assert panel.figure is not None
    assert panel.result is not None and panel.result.method == "exact"
    assert "Trotter steps" in panel.status.value
    assert len(panel.output.outputs) == 0  # no error


def test_slider_change_updates_existing_artists(panel):
    line = panel.lines["energy"]
    before = np.array(line.get_ydata(), dtype=float)
    panel.controls["field"].value = 0.5
    after = np.array(panel.lines["energy"].get_ydata(), dtype=float)
    assert panel.lines["energy"] is line  # same artist, new data
    assert after.shape == before.shape and not np.allclose(after, before)
    exact = np.array(panel.lines["energy_exact"].get_ydata(), dtype=float)
    assert np.all(np.isfinite(exact)) and exact.size == 120
    # machine within 1 % of Jordan–Wigner on the panel's own grid
    assert np.max(np.abs(panel.result.energy / np.interp(panel.result.temperature,
                                                         panel.lines["energy_exact"].get_xdata(), exact) - 1)) < 1e-2


def test_callback_errors_are_shown_not_raised(panel, monkeypatch):
    def boom():
        raise ValueError("bad things")

    monkeypatch.setattr(panel, "update", boom)
    panel.controls["trotter_step"].value = 0.1  # triggers the callback
    text = "".join(o.get("text", "") for o in panel.output.outputs)
    assert "ValueError: bad things" in text
