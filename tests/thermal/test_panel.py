"""The ThermalPanel widget and the pure-matplotlib thermal figures it is built from."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from arpes_sigma.plotting.thermal import network_diagram, thermal_figure
from arpes_sigma.thermal import ThermalConfig, TransverseFieldIsing, jw_tfim, tfim_network, thermal
from arpes_sigma.widgets.thermal_panel import ThermalPanel


@pytest.fixture(scope="module")
def panel():
    return ThermalPanel(n_sites=6, n_temperatures=4, temperature_range=(0.5, 2.0))


def test_panel_shows_exact_contraction_and_the_network(panel):
    assert {"method", "temperature", "field", "trotter_step", "sites", "run"} <= set(panel.controls)
    assert panel.result is not None and panel.result.method == "exact"
    assert "exact: N = 6" in panel.status.value and len(panel.output.outputs) == 0
    labels = [t.get_text() for t in panel.ax_net.get_legend().get_texts()]
    assert any(t.startswith("ancilla") for t in labels) and any(t.startswith("hidden") for t in labels)


def test_slider_change_updates_existing_artists(panel):
    line = panel.artists["energy"].lines[0]
    before = np.array(line.get_ydata(), dtype=float)
    panel.controls["field"].value = 0.5
    after = np.array(panel.artists["energy"].lines[0].get_ydata(), dtype=float)
    assert panel.artists["energy"].lines[0] is line and after.shape == before.shape
    exact = jw_tfim(TransverseFieldIsing(6, 1.0, 0.5), panel.result.temperature).energy
    np.testing.assert_allclose(after, exact, rtol=1e-3)  # exact contraction, step 0.05: measured ≤ 4e-4


def test_callback_errors_are_shown_not_raised(panel, monkeypatch):
    def boom():
        raise ValueError("bad things")

    monkeypatch.setattr(panel, "update", boom)
    panel.controls["trotter_step"].value = 0.1  # triggers the callback
    text = "".join(o.get("text", "") for o in panel.output.outputs)
    assert "ValueError: bad things" in text


def test_figures_return_artists_with_error_bars():
    model = TransverseFieldIsing(8, 1.0, 1.0)
    temps = np.array([0.5, 1.0])
    res = thermal(model, temps, ThermalConfig(method="sample", sweeps=64, chains=8, seed=1))
    fig, arts = thermal_figure({"sampled": res}, jw_tfim(model, np.linspace(0.4, 1.2, 20)))
    bars = arts["sampled"]["energy"].lines[2][0].get_segments()
    assert len(bars) == 2
    np.testing.assert_allclose([b[1, 1] - b[0, 1] for b in bars], 2 * res.energy_err)
    ax = fig.add_subplot(3, 1, 3)
    net_art = network_diagram(ax, tfim_network(model, 2, 0.1), max_sites=4)
    assert net_art["deep"].get_offsets().shape == (8, 2)  # 2 layers x 4 sites drawn
    assert len(net_art["couplings"]) > 0


def test_panel_computes_while_no_fit_thread_can_run_a_program(panel, monkeypatch):
    """The panel and an Explorer share a kernel: while the thermal computation runs, the fit programs'
    lock is held (another thread cannot take it), so two XLA LAPACK calls never run at once."""
    import threading

    from arpes_sigma.fitting import aot
    from arpes_sigma.widgets import thermal_panel

    seen = []

    def try_lock():
        got = aot._EXECUTION.acquire(blocking=False)
        if got:
            aot._EXECUTION.release()
        seen.append(got)

    def watched(*args, **kwargs):
        probe = threading.Thread(target=try_lock)
        probe.start()
        probe.join()
        return thermal(*args, **kwargs)

    monkeypatch.setattr(thermal_panel, "thermal", watched)
    panel.update()
    assert seen == [False]
