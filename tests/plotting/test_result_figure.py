"""The result figure of ``arpes-sigma demo`` / ``fit --figure``.

Axis labels, the data/fit legend, a momentum per EDC, the Bogoliubov pole, the fit window.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.text import Annotation

from arpes_sigma.plotting.result import bogoliubov_pole, result_figure, update_result_figure
from arpes_sigma.synthetic.curves import playground_curves
from arpes_sigma.synthetic.presets import PRESETS

OMEGA = np.linspace(-0.30, 0.10, 401)
EPS_K = np.linspace(-0.12, 0.04, 5)


def _result(preset_name, window=(-0.25, 0.06)):
    """A FitResult stand-in whose self-energies are those of a Playground preset (eV)."""
    values = PRESETS[preset_name].values
    rows = [playground_curves(dict(values, eps_k=e), OMEGA, EPS_K) for e in EPS_K]
    intensity = np.stack([r["edc"] for r in rows])
    total = np.stack([r["total"] for r in rows])
    s11 = rows[0]["s11"]
    mask = (OMEGA >= window[0]) & (OMEGA <= window[1])

    def cancellation(k_index=None):
        k_index = int(np.argmin(np.abs(EPS_K + 0.03))) if k_index is None else k_index
        return {"k_index": k_index, "im_sigma_normal": s11.imag, "im_anomalous_term": (total[k_index] - s11).imag,
                "im_sigma_total": total[k_index].imag}

    return SimpleNamespace(
        omega=OMEGA, intensity=intensity, model_intensity=intensity * 1.01, window_mask=mask, chi2_reduced=1.0,
        baselines={}, sigma_normal=s11, sigma_anomalous=rows[0]["w"], sigma_normal_std=None,
        sigma_anomalous_std=None, eps_k=EPS_K, k=np.linspace(-0.1, 0.1, EPS_K.size), momentum_dim="k",
        cancellation=cancellation, verdict="verdict", describes_data=True, pairing_evidence=5.0,
        pairing_supported=PRESETS[preset_name].paired)


PAIRED = "hidden fermion, paired (cancellation)"
UNPAIRED = "same hidden fermion, unpaired (normal-state dip that mimics a gap)"
BCS = "BCS (static gap)"


def test_cancellation_panel_names_its_quantity_with_units():
    fig, art = result_figure(_result(PAIRED))
    assert art["axes"][1, 1].get_ylabel() == "Im Σ (eV)"


def test_edc_panel_has_a_data_fit_legend_and_a_momentum_per_edc():
    result = _result(PAIRED)
    fig, art = result_figure(result)
    legend = art["axes"][0, 0].get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:2] == ["data", "fit"]
    labels = [t.get_text() for t in art["edc_labels"]]
    assert len(labels) == len(art["edc_index"]) == EPS_K.size
    assert labels[0] == "k = -0.100" and labels[-1] == "k = +0.100"


@pytest.mark.parametrize("name", [PAIRED, BCS])
def test_bogoliubov_pole_is_annotated_above_ef_when_paired(name):
    result = _result(name)
    fig, art = result_figure(result)
    note = art["cancellation"]["bogoliubov"]
    assert isinstance(note, Annotation) and "Bogoliubov" in note.get_text()
    x = note.xy[0]
    # the pole of W²/(ω + ε_k − Σ22) lies above E_F, near −ε_k = +30 meV for the EDC at ε_k = −0.03 eV
    assert 0.005 < x < 0.05
    total = result.cancellation()["im_sigma_total"]
    i = int(np.argmin(np.abs(OMEGA - x)))
    assert total[i] == pytest.approx(total[(OMEGA > 0) & result.window_mask].min())
    assert note in art["axes"][1, 1].texts or note in art["axes"][1, 1].get_children()
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None


def test_no_annotation_without_pairing():
    result = _result(UNPAIRED)
    assert np.all(result.sigma_anomalous == 0)
    fig, art = result_figure(result)
    assert art["cancellation"]["bogoliubov"] is None
    assert not [c for c in art["axes"][1, 1].get_children() if isinstance(c, Annotation)]
    assert bogoliubov_pole(OMEGA, result.cancellation(), result.window_mask) is None


def test_pole_outside_the_window_is_not_annotated():
    parts = _result(PAIRED).cancellation()
    assert bogoliubov_pole(OMEGA, parts) is not None
    assert bogoliubov_pole(OMEGA, parts, OMEGA < 0.005) is None


def test_fit_window_is_marked_on_the_energy_panels():
    fig, art = result_figure(_result(PAIRED, window=(-0.25, 0.06)))
    xs = sorted({round(float(line.get_xdata()[0]), 4) for line in art["window_lines"]})
    assert xs == [-0.25, 0.06]
    for ax in (art["axes"][0, 1], art["axes"][1, 0], art["axes"][1, 1]):
        assert sum(line in ax.lines for line in art["window_lines"]) == 2
    assert len(art["window"]) == 2  # shading on the EDC panel, both sides
    full = _result(PAIRED, window=(-1.0, 1.0))
    assert result_figure(full)[1]["window_lines"] == []  # nothing to mark when every energy is fitted


def test_update_moves_the_annotation_and_removes_it_without_pairing():
    fig, art = result_figure(_result(PAIRED))
    assert art["cancellation"]["bogoliubov"] is not None
    update_result_figure(art, _result(UNPAIRED))
    assert art["cancellation"]["bogoliubov"] is None
    assert not [c for c in art["axes"][1, 1].get_children() if isinstance(c, Annotation)]
    update_result_figure(art, _result(BCS))
    assert art["cancellation"]["bogoliubov"] is not None


def _span_x(span):
    """(lowest, highest) energy of an axvspan (a Rectangle in matplotlib ≥ 3.9, a Polygon before)."""
    if hasattr(span, "get_width"):
        return span.get_x(), span.get_x() + span.get_width()
    x = np.asarray(span.get_xy())[:, 0]
    return x.min(), x.max()


def test_energies_the_data_do_not_determine_are_hatched_and_follow_updates():
    result = _result(PAIRED)
    result.determined_to = lambda name: -0.06 if name == "sigma_anomalous" else -0.25  # Σ11: the whole window
    fig, art = result_figure(result)
    span = art["anomalous"]["undetermined"]
    assert art["normal"]["undetermined"] is None
    lo, hi = _span_x(span)
    assert np.isclose(lo, -0.25, atol=2e-3) and np.isclose(hi, -0.06)
    assert span.get_hatch() == "//" and span.axes is art["axes"][1, 0]
    assert "not determined by the data" in [t.get_text() for t in span.axes.get_legend().get_texts()]
    result.determined_to = lambda name: -0.12
    update_result_figure(art, result)
    assert span.axes is None  # the old one removed
    new = art["anomalous"]["undetermined"]
    assert np.isclose(_span_x(new)[1], -0.12) and art["normal"]["undetermined"] is not None
