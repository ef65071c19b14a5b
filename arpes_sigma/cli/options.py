"""Command-line arguments → FitConfig, output checks, the progress bar and shared report lines, in one place.

Imports nothing heavy at module import time, so ``arpes-sigma --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..errors import ConfigError

__all__ = ["Progress", "add_fit_options", "check_output", "config_from", "measured_defaults", "unconverged_warning"]


#: CLI option → FitConfig field.
_FIELDS = (
    ("hidden", "n_poles"),
    ("restarts", "restarts"),
    ("steps", "steps"),
    ("seed", "seed"),
    ("temperature", "temperature"),
    ("resolution", "resolution"),
    ("background", "background"),
    ("eps_k", "band"),
    ("amplitude", "amplitude"),
)


def add_fit_options(p: argparse.ArgumentParser, *, baselines_default: bool = True) -> None:
    """The fit options shared by ``demo``, ``fit`` and ``fit-many``."""
    p.add_argument("--window", nargs=2, type=float, metavar=("EMIN", "EMAX"), help="energy window of the fit, eV")
    p.add_argument("--hidden", type=int, help="number of hidden fermions (poles)")
    p.add_argument("--restarts", type=int, help="independent seeds; >1 reports a spread (*_std)")
    p.add_argument("--steps", type=int, help="optimizer steps")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--background", choices=("constant", "shirley", "edge"),
                   help="extrinsic background per EDC: a constant (dark counts); a constant plus the Shirley "
                        "integral of the EDC (PRB 5, 4709 (1972)); or edge: a constant plus a background rising "
                        "linearly with binding energy, cut by the broadened Fermi edge. Default edge for raw files "
                        "(--gold) and cuts made by `arpes-sigma prepare`, constant otherwise")
    # named --eps-k, not --band: the raw path's --band already names a published band (prepare)
    p.add_argument("--eps-k", choices=("auto", "fixed", "learn"),
                   help="the bare band eps_k: learn a bounded quadratic correction to it jointly with the "
                        "self-energy, keep it fixed, or (auto, the default) learn it when the cut's eps_k is a "
                        "guess from MDC maxima (eps_k_source = mdc, as prepare writes without --band) and keep "
                        "it fixed when it was given or taken from a named --band")
    p.add_argument("--amplitude", choices=("free", "smooth"),
                   help="the intensity factor a_k of each EDC (matrix elements): free per EDC (default) or a "
                        "quadratic in k, for matrix elements that vary slowly along the cut")
    if baselines_default:
        p.add_argument("--no-baselines", action="store_true", help="skip the Norman and normal-only baselines")
    else:
        p.add_argument("--baselines", action="store_true", help="also fit the Norman and normal-only baselines")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def config_from(args: argparse.Namespace, *, baselines_default: bool = True) -> Any:
    """The :class:`~arpes_sigma.FitConfig` the arguments ask for (defaults for everything not given)."""
    from ..fitting.config import FitConfig

    kw: dict[str, Any] = {}
    for name, attr in _FIELDS:
        v = getattr(args, name, None)
        if v is not None:
            kw[attr] = v
    if getattr(args, "window", None) is not None:
        kw["window"] = tuple(args.window)
    if baselines_default:
        kw["baselines"] = not getattr(args, "no_baselines", False)
    else:
        kw["baselines"] = bool(getattr(args, "baselines", False))
    return FitConfig(**kw)


def measured_defaults(config: Any, args: argparse.Namespace, data: Any = None, *, raw: bool = False) -> Any:
    """``config`` with the defaults of a measured cut: the ``"edge"`` background and more solver steps.

    Measured (raw) spectra carry an energy-dependent background of inelastic
    electrons; analysis-ready synthetic cuts do not. So raw files (``raw``),
    or a cut made by ``arpes-sigma prepare`` (attrs ``prepared_by``), get
    :data:`~arpes_sigma.fitting.config.MEASURED_DEFAULTS`: ``background="edge"``
    unless ``--background`` was given, and more solver steps unless
    ``--steps`` was given (the edge background's functions and the broad part
    of Σ11 leave a flat valley that the solver needs more steps to follow);
    everything else keeps the configuration. Why edge rather than Shirley
    (``benchmarks/bench_raw_recovery.py``, the package's own raw export: a
    background rising linearly with binding energy under the Fermi edge):
    edge gives χ²_red 0.99 and relative L2 0.11 (Im Σ11) / 0.18 (Im W),
    Shirley 1.31 and 0.38 / 0.51, a constant 2.13 and 1.91 / 2.11. On a
    Shirley-shaped background the edge model fails instead (χ²_red 1.44,
    residual lag-1 correlation 0.32; Shirley 1.006): pass ``--background
    shirley`` there.
    """
    from ..fitting.config import MEASURED_DEFAULTS, prepared_cut

    if not (raw or prepared_cut(data)):
        return config
    # the CLI options are named as the FitConfig fields they set (_FIELDS): the user's choice wins
    return config.replace(**{name: value for name, value in MEASURED_DEFAULTS.items()
                             if getattr(args, name, None) is None})


def check_output(path: str | None, *, inputs: tuple = (), suffixes: tuple[str, ...] = (".nc",)) -> str | None:
    """Absolute output path after checking suffix, folder, and that it is none of ``inputs``."""
    if path is None:
        return None
    out = os.path.abspath(path)
    if os.path.splitext(out)[1].lower() not in suffixes:
        raise ConfigError(f"output {path!r} must end in {' or '.join(suffixes)}; rename it")
    if not os.path.isdir(os.path.dirname(out)):
        raise ConfigError(f"folder of output {path!r} does not exist; create it first")
    for src in inputs:
        if os.path.exists(src) and os.path.exists(out) and os.path.samefile(src, out):
            raise ConfigError(
                f"output {path!r} is the input file; choose another --out so the data are not overwritten"
            )
    return out


class Progress:
    """tqdm progress bar fed by the fit callback (nothing when ``quiet``).

    Until the first report it says that the fit's programs are being
    compiled (seconds in a new process, most of a first run), and its clock
    starts at that report, so its rate and time left are those of the solver
    steps: with the compilation counted, a first run showed 1.1 step/s and
    2:48 left for a fit that ended 2 s later.
    """

    def __init__(self, total: int, quiet: bool, desc: str):
        self.bar = None
        if not quiet:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="step", file=sys.stderr, dynamic_ncols=True)
            self.bar.set_postfix_str("compiling (kept for later runs)")
        self.done = 0

    def __call__(self, p: Any) -> None:
        """Advance the bar to the step of progress report ``p`` and show its χ²_red."""
        if self.bar is not None:
            if self.done == 0:  # the first report: the clock (and the rate) start here, after the compilation
                self.bar.reset(total=self.bar.total)
                self.bar.initial = self.bar.n = self.bar.last_print_n = p.step
            else:
                self.bar.update(p.step - self.done)
            self.bar.set_postfix(chi2=f"{p.chi2_reduced:.3f}")
        self.done = p.step

    def close(self) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()


def unconverged_warning(result: Any, steps: int) -> str | None:
    """One line naming the slices whose fit ran out of ``steps`` while still improving (``converged == 0``)."""
    if "converged" not in result:
        return None
    dim = result.attrs["slice_dim"]
    late = [v for v, c in zip(result[dim].values, result["converged"].values, strict=True) if c == 0]
    if not late:
        return None
    shown = ", ".join(str(v) for v in late[:8]) + (", ..." if len(late) > 8 else "")
    return (f"warning: {len(late)} fit(s) had not converged when their {steps} steps ran out ({dim} = {shown}); "
            f"rerun with --steps {2 * steps}")
