"""The Explorer's controls: sliders, boxes and buttons built from a Fitter's configuration and data."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np

from ._common import float_slider, int_slider, log_slider

__all__ = ["explorer_controls"]


def explorer_controls(fitter: Any, k0: int) -> dict[str, widgets.Widget]:
    """Every control of the Explorer by name, set from ``fitter``'s configuration and data (see Explorer)."""
    c = fitter.config
    omega = np.asarray(fitter.problem.omega)
    lo, hi = float(omega.min()), float(omega.max())
    de = float(np.median(np.diff(omega)))
    window = c.window if c.window is not None else (lo, hi)
    temp = float(fitter.info.temperature if c.temperature is None else c.temperature)
    res = float(fitter.info.resolution if c.resolution is None else c.resolution)
    n_k = fitter.problem.n_k
    ctl = {
        "smoothness": log_slider("smoothness", max(c.smoothness, 1e-4), -4, 2,
                                 tooltip="weight of the curvature prior on the background density"),
        "gap_penalty": log_slider("gap penalty", max(c.gap_penalty, 1e-4), -4, 2,
                                  tooltip="weight of the cap on the static gap"),
        "gap_limit": float_slider("gap limit (eV)", c.gap_limit, 0.005, max(0.3, c.gap_limit), 0.005,
                                  tooltip="static gap above which the gap penalty acts"),
        "l2": log_slider("l2", max(c.l2, 1e-8), -8, -1, tooltip="weight decay of the background network"),
        "pairing_scale": log_slider("pairing prior", c.pairing_scale, -1.5, 1, fmt=".2f",
                                    tooltip="width of the prior on each pole's pairing coherence (smaller: more "
                                            "shrinkage, W must earn its place)"),
        "gap_scale": float_slider("gap prior (eV)", c.gap_scale, 0.002, 0.1, 0.002,
                                  tooltip="width of the Gaussian prior on the static gap Δ0"),
        "window": widgets.FloatRangeSlider(
            value=(max(window[0], lo), min(window[1], hi)), min=lo, max=hi, step=de, readout=False,
            description="window (eV)", continuous_update=True, style={"description_width": "9em"},
            layout=widgets.Layout(width="24em"),
        ),
        "band": widgets.Dropdown(
            options=[("auto (learn a guess)", "auto"), ("fixed (as given)", "fixed"), ("learned", "learn")],
            value=c.band, description="bare band ε_k", style={"description_width": "9em"},
            layout=widgets.Layout(width="24em"),
            tooltip="fixed: the data's eps_k; learned: a bounded quadratic correction fitted with Σ11 and W; "
                    "auto: learned when eps_k is a guess from MDC maxima",
        ),
        "temperature": float_slider("T (K)", temp, 1.0, max(300.0, 2 * temp), 1.0, fmt=".0f"),
        "resolution": float_slider("resolution (eV)", res, 0.0, fitter.info.max_resolution, 0.0005, fmt=".4f",
                                   tooltip="Gaussian FWHM"),
        "k": int_slider("EDC (k index)", k0, 0, n_k - 1, continuous=True,
                        tooltip="EDC of the cancellation panel"),
        "hidden": int_slider("hidden (poles)", c.n_poles, 1, max(8, c.n_poles),
                             tooltip="number of hidden fermions"),
        "width": int_slider("width", c.width, 1, max(64, c.width), tooltip="background network width"),
        "depth": int_slider("depth", c.depth, 0, max(4, c.depth), tooltip="background network depth"),
        "steps_per_call": int_slider("steps / update", c.steps_per_call, 1, max(200, c.steps_per_call),
                                     tooltip="optimizer steps per jitted call, i.e. between figure updates"),
        "restarts": int_slider("restarts", c.restarts, 1, max(8, c.restarts),
                               tooltip="independent seeds fitted side by side"),
        "seed": widgets.BoundedIntText(value=c.seed, min=0, max=2**31 - 1, description="seed",
                                       tooltip="used by Reset", style={"description_width": "9em"},
                                       layout=widgets.Layout(width="24em")),
        "steps": widgets.BoundedIntText(value=c.steps, min=1, max=10_000_000, description="steps per Run",
                                        style={"description_width": "9em"}, layout=widgets.Layout(width="24em")),
        "run": widgets.Button(description="Run", icon="play", button_style="success",
                              tooltip="fit in the background"),
        "stop": widgets.Button(description="Stop", icon="stop", button_style="danger", disabled=True),
        "reset": widgets.Button(description="Reset", icon="refresh", tooltip="re-initialise from the seed"),
    }
    return ctl
