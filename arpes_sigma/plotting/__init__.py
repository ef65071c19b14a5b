"""Pure matplotlib figures (no ipywidgets): results, the Explorer, the Playground, series, thermal, raw data."""

from .calibration import calibration_figure, prepared_figure
from .fermi_surface import fermi_surface_figure
from .result import (
    COLORS,
    cancellation_lines,
    edc_indices,
    edc_stack,
    plot_spectrum,
    result_figure,
    save_figure,
    update_result_figure,
)

__all__ = [
    "COLORS",
    "calibration_figure",
    "cancellation_lines",
    "edc_indices",
    "edc_stack",
    "fermi_surface_figure",
    "plot_spectrum",
    "prepared_figure",
    "result_figure",
    "save_figure",
    "update_result_figure",
]
