"""The Explorer: fit Σ11(ω) and W(ω) interactively, with the fit running in a worker thread.

Every callback is a few lines: read the controls → call the library
(:class:`arpes_sigma.Fitter`) → update the artists of
:class:`arpes_sigma.plotting.explorer.ExplorerFigure` (``set_data`` +
``draw_idle``). Constraint weights, the pairing priors, the energy window,
temperature and resolution go through :meth:`arpes_sigma.Fitter.update`, which
never recompiles; the model size (hidden fermions, network width and depth),
the number of restarts and the steps per update change compiled shapes and
build a new :class:`~arpes_sigma.Fitter` (compiled engines are cached per
shape, so returning to an earlier size is instant).

The worker thread calls :meth:`Fitter.run` repeatedly and checks a
:class:`threading.Event` between calls, so Stop takes effect after at most one
call (``steps_per_call`` optimizer steps, a few tens of milliseconds once
compiled). Errors raised in callbacks or in the worker are written to an
:class:`ipywidgets.Output` below the figure.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..fitting.config import FitConfig
from ..fitting.fitter import Fitter
from ..plotting.explorer import ExplorerFigure
from ._common import ErrorPanel, close_panel, freeze_layout, guarded, make_figure, section
from .controls import explorer_controls

__all__ = ["Explorer", "EXPLORER_DEFAULTS"]

#: What ``Explorer(data)`` changes in ``FitConfig()`` when no config is given:
#: one paired and one normal-only restart and two solver steps per update (a
#: few tens of ms per call once compiled, so the figure moves smoothly and Stop
#: answers at once), and no Norman baseline.
EXPLORER_DEFAULTS = {"steps_per_call": 2, "restarts": 1, "baselines": False}

#: Controls whose change goes through ``Fitter.update`` (no recompilation):
#: control name -> FitConfig field.
SETTINGS = {
    "smoothness": "smoothness",
    "gap_penalty": "gap_penalty",
    "gap_limit": "gap_limit",
    "l2": "l2",
    "pairing_scale": "pairing_scale",
    "gap_scale": "gap_scale",
    "window": "window",
    "band": "band",
    "temperature": "temperature",
    "resolution": "resolution",
}
#: Controls that change compiled shapes: control name -> FitConfig field.
SHAPES = {
    "hidden": "n_poles",
    "width": "width",
    "depth": "depth",
    "steps_per_call": "steps_per_call",
    "restarts": "restarts",
}


class Explorer(widgets.VBox):
    """Interactive fit of the normal and anomalous self-energies of one ARPES cut.

    Panels: data vs fit EDCs (the energy window shaded), Im/Re Σ11, Im/Re W,
    the cancellation panel (Im Σ11, the anomalous term Im W²/(ω+ε_k−Σ22) and the
    observable Im Σ_tot at the EDC chosen by the ``k`` slider, peaks marked),
    the normalised residual (data − fit)/σ as a k–ω image and the loss curve of
    every restart.

    Parameters
    ----------
    data : xarray.DataArray
        A cut (dims ``k``, ``eV``) following the data contract
        (see :func:`arpes_sigma.validate`).
    config : FitConfig, optional
        Starting configuration; default ``FitConfig(**EXPLORER_DEFAULTS)``.
        Keep ``steps_per_call`` small (10–50) so that Stop answers quickly.
    truth : xarray.Dataset, optional
        The truth of a synthetic spectrum (:func:`arpes_sigma.synthetic.make_spectrum`),
        drawn in grey.
    k_index : int, optional
        EDC of the cancellation panel; default the one closest to k_F.
    figsize : (float, float), inches

    Attributes
    ----------
    controls : dict of str -> ipywidgets.Widget
        Every control by name: the constraint weights ``smoothness``,
        ``gap_penalty``, ``gap_limit``, ``l2``, ``pairing_scale``, ``gap_scale``; ``window``
        (eV); ``band`` (the bare band ε_k: "auto", "fixed" or "learn", see
        :class:`~arpes_sigma.FitConfig`); ``temperature`` (K); ``resolution`` (FWHM, eV); the model size
        ``hidden`` (hidden fermions = poles), ``width``, ``depth``;
        ``steps_per_call``, ``restarts``, ``seed``, ``steps`` (per Run); ``k``
        (EDC index); and the buttons ``run``, ``stop``, ``reset``.
    figure : matplotlib.figure.Figure
        On an ipympl canvas (``figure.canvas`` is a widget).
    view : arpes_sigma.plotting.explorer.ExplorerFigure
        The artists drawn into ``figure``.
    fitter : arpes_sigma.Fitter
        The engine; replaced when the model size changes.
    errors : ErrorPanel
        ``errors.output`` is the :class:`ipywidgets.Output` holding callback errors.
    status : ipywidgets.HTML
        One line: compiling…, step n, χ²_red, loss, time per update.

    Examples
    --------
    >>> from arpes_sigma.synthetic import default_spectrum
    >>> da, truth = default_spectrum()
    >>> ex = Explorer(da, truth=truth)
    >>> ex                       # in a notebook: shows the controls and figure
    >>> ex.start()               # or press Run; ex.stop() / Stop to interrupt
    >>> ex.step(4)               # synchronous: four updates in this thread
    """

    def __init__(self, data: Any, config: FitConfig | None = None, *, truth: Any = None, k_index: int | None = None,
                 figsize: tuple[float, float] = (12.5, 7.0)):
        super().__init__()
        self.data = data
        self.truth = truth
        self.fitter = Fitter(data, config if config is not None else FitConfig(**EXPLORER_DEFAULTS))
        self._fit_lock = threading.RLock()  # guards self.fitter and the loss history
        self._draw_lock = threading.RLock()  # guards the artists; the canvas takes it to render
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._final: threading.Thread | None = None
        self._target_step = 0
        self._loss_steps: list[int] = []
        self._loss_values: list[np.ndarray] = []
        self.last_result = None

        self.status = widgets.HTML("initialising…")
        self._window_label = widgets.HTML(layout=widgets.Layout(margin="-0.3em 0 0.3em 9.5em"))
        self.errors = ErrorPanel(self.status)
        eps = np.asarray(self.fitter.problem.eps)
        k0 = int(np.argmin(np.abs(eps))) if k_index is None else int(k_index)
        self.controls = explorer_controls(self.fitter, k0)
        self.figure = make_figure(figsize, lock=self._draw_lock)
        first = self.fitter.result()
        self.view = ExplorerFigure(self.figure, first, noise=np.asarray(self.fitter.problem.noise), truth=truth,
                                   k_index=k0)
        self._draw_result(first)
        freeze_layout(self.figure)
        self._connect()
        c = self.controls
        top = widgets.HBox([c["run"], c["stop"], c["reset"], self.status], layout=widgets.Layout(align_items="center"))
        columns = widgets.HBox(
            [
                section("constraint weights", c["smoothness"], c["gap_penalty"], c["gap_limit"], c["l2"],
                        c["pairing_scale"], c["gap_scale"]),
                section("window, instrument, view", c["window"], self._window_label, c["band"], c["temperature"],
                        c["resolution"], c["k"]),
                section("network and run", c["hidden"], c["width"], c["depth"], c["steps_per_call"], c["restarts"],
                        c["seed"], c["steps"]),
            ],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        self.children = [top, columns, self.figure.canvas, self.errors.output]
        self._set_status(f"ready: step {self.fitter.step}; press Run (the first run of a model size compiles)")

    # ------------------------------------------------------------------ controls
    def _connect(self):
        for name in SETTINGS:
            self.controls[name].observe(self._on_setting, names="value")
        for name in SHAPES:
            self.controls[name].observe(self._on_shape, names="value")
        self.controls["k"].observe(self._on_k, names="value")
        self.controls["run"].on_click(self._on_run)
        self.controls["stop"].on_click(self._on_stop)
        self.controls["reset"].on_click(self._on_reset)

    def settings(self) -> dict:
        """The non-shape settings as the controls show them (FitConfig field -> value)."""
        out = {}
        for name, field in SETTINGS.items():
            v = self.controls[name].value
            if name == "window":
                out[field] = (float(v[0]), float(v[1]))
            elif name == "band":
                out[field] = v
            else:
                out[field] = float(v)
        return out

    # ------------------------------------------------------------------ figure
    def _draw_result(self, result):
        """Push ``result`` into every artist (caller holds no lock)."""
        with self._fit_lock:
            steps = np.asarray(self._loss_steps, dtype=float)
            values = np.asarray(self._loss_values, dtype=float).reshape(len(steps), self.fitter.config.restarts)
            window = self.fitter.config.window
        with self._draw_lock:
            self.view.draw(result, self.controls["k"].value, window, steps, values)
            self._show_window(result.omega, window)
        self.last_result = result
        self.figure.canvas.draw_idle()

    def _show_window(self, omega, window):
        lo, hi = self.view.draw_window(omega, window)
        self._window_label.value = f"<small>χ² window {lo:+.3f} … {hi:+.3f} eV</small>"

    # ------------------------------------------------------------------ running
    def step(self, n_calls: int = 1) -> Any:
        """Advance the fit by ``n_calls`` × ``steps_per_call`` steps in the calling thread.

        Updates the figure after every call, like the worker does. Returns the
        last :class:`~arpes_sigma.fitting.fitter.FitProgress`.
        """
        progress = None
        for _ in range(int(n_calls)):
            progress = self._advance()
        return progress

    def _advance(self):
        """One ``run()`` + ``result()`` under the fit lock, then the artist update."""
        with self._fit_lock:
            fitter = self.fitter
            if fitter.traces == 0:
                self._set_status("compiling… (first run of this model size, typically 10–30 s)")
            t0 = time.perf_counter()
            progress = fitter.run()
            result = fitter.result(errors=False)  # the Laplace errors and the verdict come at the end
            self._loss_steps.append(progress.step)
            # the cost has 2R entries (R paired restarts, then R normal-only ones); the loss panel shows the paired
            self._loss_values.append(np.asarray(progress.loss, dtype=float)[: fitter.config.restarts])
            dt = time.perf_counter() - t0
        self._draw_result(result)
        best = np.nanmin(progress.loss) if np.isfinite(progress.loss).any() else float("nan")
        note = " (compiled)" if progress.compiling else ""
        self._set_status(
            f"step {progress.step} · χ²_red = {progress.chi2_reduced:.4g} · loss = {best:.4g} · "
            f"{1e3 * dt:.0f} ms/update{note}"
        )
        return progress

    def _finish(self, word: str) -> None:
        """Draw the full result (Laplace errors, evidence, verdict) once the worker ends."""
        with self._fit_lock:
            result = self.fitter.result()
        self._draw_result(result)
        self._append_status(f"{word} · {result.verdict}" if word else result.verdict)

    @property
    def running(self) -> bool:
        """True while the worker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, steps: int | None = None) -> bool:
        """Run the fit in a background thread for ``steps`` more steps (default: the ``steps`` control).

        Returns False if a worker is already running.
        """
        if self.running:
            return False
        n = int(self.controls["steps"].value if steps is None else steps)
        self._target_step = self.fitter.step + n
        self._stop_event.clear()
        self._set_buttons(running=True)
        self._thread = threading.Thread(target=self._work, name="arpes-sigma-explorer", daemon=True)
        self._thread.start()
        return True

    def _work(self):
        try:
            while not self._stop_event.is_set():
                self._advance()
                if self.fitter.all_dead:
                    self._set_status(f"diverged at step {self.fitter.step}: check the data and Reset")
                    break
                if self.fitter.step >= self._target_step or self.fitter.finished:
                    self._finish("done")
                    break
            else:
                # Stop answers within one update: the full result (a float64 Laplace
                # evaluation, compiled on first use) is drawn by a follow-up thread
                self._append_status("stopped")
                self._final = threading.Thread(target=self._final_result, daemon=True,
                                               name="arpes-sigma-explorer-final")
                self._final.start()
        except Exception as exc:  # shown in the Output widget, the worker ends
            self.errors.report(exc, "fit worker")
        finally:
            self._set_buttons(running=False)

    @guarded
    def _final_result(self) -> None:
        """The full result after a Stop, drawn from the follow-up thread (errors go to the Output)."""
        self._finish("")

    def stop(self, timeout: float = 2.0) -> bool:
        """Ask the worker to stop after its current call and wait up to ``timeout`` s.

        Returns True when no worker is running any more. A call that is still
        compiling cannot be interrupted; the worker then stops right after it.
        """
        self._stop_event.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        if thread.is_alive():
            self._set_status("stopping after the current call (it is still compiling)…")
            return False
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker (and the drawing of its final result) to finish; True when both have."""
        for thread in (self._thread, self._final):
            if thread is not None:
                thread.join(timeout)
        return not self.running and not (self._final is not None and self._final.is_alive())

    def reset(self, seed: int | None = None) -> None:
        """Stop, re-initialise every restart (from ``seed``, default the ``seed`` control) and redraw."""
        self.stop()
        with self._fit_lock:
            self.fitter.reset(int(self.controls["seed"].value if seed is None else seed))
            self._loss_steps.clear()
            self._loss_values.clear()
            result = self.fitter.result()
        self._draw_result(result)
        self._set_status(f"reset (seed {self.fitter.config.seed}); press Run")

    def result(self) -> Any:
        """The current :class:`~arpes_sigma.FitResult` (best parameters so far)."""
        with self._fit_lock:
            return self.fitter.result()

    def close(self) -> None:
        """Stop the worker and close every widget."""
        self.stop()
        if self._final is not None:
            self._final.join(30.0)
        close_panel(self)
        super().close()

    # ------------------------------------------------------------------ callbacks
    @guarded
    def _on_setting(self, change=None):
        with self._fit_lock:
            self.fitter.update(**self.settings())  # traced values only: never recompiles
        with self._draw_lock:
            self._show_window(np.asarray(self.fitter.problem.omega), self.fitter.config.window)
        self.figure.canvas.draw_idle()

    @guarded
    def _on_shape(self, change=None):
        was_running = self.running
        self.stop()
        with self._fit_lock:
            old = self.fitter
            changes = {field: int(self.controls[name].value) for name, field in SHAPES.items()}
            config = old.config.replace(**changes, **self.settings())
            if config.static_key() == old.config.static_key():
                return
            new = Fitter.from_problem(old.problem, old.info, config)
            if config.replace(steps_per_call=old.config.steps_per_call).static_key() == old.config.static_key():
                # only the steps per call changed: the state carries over unchanged
                new.restore(old.snapshot())
                kept = "state kept"
            else:
                self._loss_steps.clear()
                self._loss_values.clear()
                kept = f"re-initialised from seed {config.seed}"
            self.fitter = new
        compiled = "compiled already" if new.traces else "the next run compiles"
        self._set_status(
            f"model: {config.n_poles} hidden, width {config.width}, depth {config.depth}, "
            f"{config.restarts} restart(s), {config.steps_per_call} steps/update; {kept}; {compiled}"
        )
        if was_running:
            self.start()

    @guarded
    def _on_k(self, change=None):
        if self.last_result is not None:
            self._draw_result(self.last_result)

    @guarded
    def _on_run(self, button=None):
        if not self.start():
            self._append_status("already running")

    @guarded
    def _on_stop(self, button=None):
        self.stop()

    @guarded
    def _on_reset(self, button=None):
        self.reset()

    # ------------------------------------------------------------------ status
    def _set_status(self, text):
        self.status.value = f"<code>{text}</code>"

    def _append_status(self, text):
        value = self.status.value
        if value.endswith("</code>"):
            self.status.value = value[: -len("</code>")] + f" · {text}</code>"
        else:
            self._set_status(text)

    def _set_buttons(self, running):
        self.controls["run"].disabled = running
        self.controls["stop"].disabled = not running
