"""Pieces shared by the widgets: an ipympl canvas, guarded callbacks, slider factories.

Nothing here knows about physics. The canvas is an ipympl widget built
directly around a :class:`matplotlib.figure.Figure` (under ``plt.ioff()``), so
it works whatever ``%matplotlib`` backend the notebook selected and never
registers a global pyplot figure.
"""

from __future__ import annotations

import functools
import threading
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..errors import ArpesDataError, ConfigError

__all__ = [
    "make_figure", "freeze_layout", "guarded", "ErrorPanel", "log_slider", "float_slider", "int_slider", "section",
]

#: Errors of the toolkit carry a one-line message that already names the fix;
#: they are shown without a traceback.
_CLEAN_ERRORS = (ConfigError, ArpesDataError)


def _canvas_class():
    """The ipympl canvas, subclassed so that rendering takes the widget's draw lock."""
    from ipympl.backend_nbagg import Canvas

    class LockedCanvas(Canvas):
        """ipympl canvas whose ``draw`` holds ``draw_lock``.

        A fit worker changes artists from its own thread while the kernel's
        main thread renders on the browser's request; both take the same
        re-entrant lock, so a frame is never drawn from half-updated artists.
        """

        def draw(self):
            lock = getattr(self, "draw_lock", None)
            if lock is None:
                return super().draw()
            with lock:
                return super().draw()

    return LockedCanvas


def make_figure(figsize: tuple[float, float], *, lock: Any = None, dpi: float = 90) -> Figure:
    """A constrained-layout figure on an ipympl canvas widget.

    Parameters
    ----------
    figsize : (float, float), inches
    lock : threading.RLock, optional
        Held while the canvas renders (see ``LockedCanvas``); a new one is
        made when omitted and stored as ``figure.canvas.draw_lock``.
    dpi : float

    Returns
    -------
    matplotlib.figure.Figure
        ``figure.canvas`` is the ipympl widget to put in a layout.
    """
    import matplotlib.pyplot as plt
    from ipympl.backend_nbagg import FigureManager

    with plt.ioff():
        fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        canvas = _canvas_class()(fig)
        canvas.draw_lock = lock if lock is not None else threading.RLock()
        with warnings.catch_warnings():
            # ipympl's toolbar passes an argument traitlets no longer wants (harmless)
            warnings.simplefilter("ignore", DeprecationWarning)
            FigureManager(canvas, 0)
    canvas.header_visible = False
    canvas.toolbar_position = "right"
    canvas.toolbar_visible = "fade-in-fade-out"
    canvas.resizable = False
    return fig


def freeze_layout(fig: Figure) -> Figure:
    """Run the constrained layout once, then keep the axes where they are.

    Constrained layout measures every tick label on every draw, which is about
    half the rendering time of a six-panel figure; a widget whose figure has a
    fixed size only needs it once. Call after all panels exist.
    """
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


class ErrorPanel:
    """An :class:`ipywidgets.Output` that collects errors raised in callbacks.

    Parameters
    ----------
    status : ipywidgets.HTML, optional
        Also shows the last error's one-line summary.
    """

    def __init__(self, status: Any = None):
        self.output = widgets.Output(layout=widgets.Layout(max_height="12em", overflow="auto"))
        self.status = status
        self.count = 0

    def report(self, exc: BaseException, where: str = "callback") -> None:
        """Append ``exc`` (with a traceback unless it is a toolkit error) to the Output."""
        self.count += 1
        summary = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, _CLEAN_ERRORS):
            text = f"[{where}] {summary}\n"
        else:
            text = f"[{where}] {summary}\n" + "".join(traceback.format_exception(exc))
        # append_stderr works from any thread and with no front-end attached
        self.output.append_stderr(text)
        if self.status is not None:
            self.status.value = f"<span style='color:#b00020'>error in {where}: {_escape(summary)}</span>"

    def clear(self) -> None:
        """Remove every reported error."""
        self.output.outputs = ()
        self.count = 0


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def guarded(method: Callable) -> Callable:
    """Decorate a widget method so that any exception goes to ``self.errors`` (an ErrorPanel).

    ipywidgets swallows exceptions raised in ``observe`` and ``on_click``
    handlers (they end up in the kernel log); this keeps them visible.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # shown to the user, never re-raised into ipywidgets
            self.errors.report(exc, method.__name__.lstrip("_"))
            return None

    return wrapper


_STYLE = {"description_width": "9em"}
_LAYOUT = {"width": "24em"}


def log_slider(description: str, value: float, lo_exp: float, hi_exp: float, *, tooltip: str = "", fmt: str = ".1e",
               continuous: bool = True) -> widgets.FloatLogSlider:
    """A base-10 :class:`ipywidgets.FloatLogSlider` from 10**lo_exp to 10**hi_exp."""
    return widgets.FloatLogSlider(
        value=value, base=10, min=lo_exp, max=hi_exp, step=0.05, description=description, readout_format=fmt,
        continuous_update=continuous, tooltip=tooltip, style=_STYLE, layout=widgets.Layout(**_LAYOUT),
    )


def float_slider(description: str, value: float, lo: float, hi: float, step: float, *, tooltip: str = "",
                 fmt: str = ".3f", continuous: bool = True) -> widgets.FloatSlider:
    """A :class:`ipywidgets.FloatSlider` with the shared style."""
    return widgets.FloatSlider(
        value=value, min=lo, max=hi, step=step, description=description, readout_format=fmt,
        continuous_update=continuous, tooltip=tooltip, style=_STYLE, layout=widgets.Layout(**_LAYOUT),
    )


def int_slider(description: str, value: int, lo: int, hi: int, step: int = 1, *, tooltip: str = "",
               continuous: bool = False) -> widgets.IntSlider:
    """A :class:`ipywidgets.IntSlider` with the shared style (updates on release by default)."""
    return widgets.IntSlider(
        value=value, min=lo, max=hi, step=step, description=description, continuous_update=continuous,
        tooltip=tooltip, style=_STYLE, layout=widgets.Layout(**_LAYOUT),
    )


def section(title: str, *children: widgets.Widget) -> widgets.VBox:
    """A titled column of controls."""
    head = widgets.HTML(f"<b>{_escape(title)}</b>")
    return widgets.VBox([head, *children], layout=widgets.Layout(padding="0 0.6em 0 0"))


def close_panel(panel: Any) -> None:
    """Close the controls, canvas, error area and status line of a panel (Explorer, Playground)."""
    for ctl in panel.controls.values():
        ctl.close()
    panel.figure.canvas.close()
    panel.errors.output.close()
    panel.status.close()
