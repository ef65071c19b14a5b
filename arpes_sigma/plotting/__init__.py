"""Pure matplotlib figures (no ipywidgets): results, the Explorer, the Playground, series, thermal."""

from .result import (
    COLORS,
    cancellation_lines,
    edc_stack,
    plot_spectrum,
    result_figure,
    save_figure,
    update_result_figure,
)

__all__ = [
    "COLORS",
    "cancellation_lines",
    "edc_stack",
    "plot_spectrum",
    "result_figure",
    "save_figure",
    "update_result_figure",
]
