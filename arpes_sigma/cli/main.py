"""The ``arpes-sigma`` command: a thin shell over the library.

Subcommands: ``demo`` (the whole pipeline on the built-in spectrum), ``fit``
(one cut from a file), ``fit-many`` (a whole data set), ``thermal`` (purified
Boltzmann machines). Bad input exits with status 2 and one line on stderr; no
output file is written in that case, and the input is never touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

__all__ = ["main", "build_parser"]


class _Progress:
    """tqdm progress bar fed by the fit callback."""

    def __init__(self, total, quiet, desc):
        self.bar = None
        if not quiet:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="step", file=sys.stderr, dynamic_ncols=True)
        self.done = 0

    def __call__(self, p):
        if self.bar is not None:
            self.bar.update(p.step - self.done)
            self.bar.set_postfix(chi2=f"{p.chi2_reduced:.3f}")
        self.done = p.step

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _enable_compile_cache():
    """Persist compiled XLA programs between runs of the CLI (user cache folder)."""
    import jax

    folder = os.environ.get("ARPES_SIGMA_JAX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "arpes_sigma", "jax"
    )
    try:
        os.makedirs(folder, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", folder)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    except OSError:
        pass  # a read-only home only costs compile time


def _check_output(path, *, inputs=(), suffixes=(".nc",)):
    from ..errors import ConfigError

    if path is None:
        return None
    out = os.path.abspath(path)
    if not os.path.splitext(out)[1].lower() in suffixes:
        raise ConfigError(f"output {path!r} must end in {' or '.join(suffixes)}; rename it")
    if not os.path.isdir(os.path.dirname(out)):
        raise ConfigError(f"folder of output {path!r} does not exist; create it first")
    for src in inputs:
        if os.path.exists(src) and os.path.exists(out) and os.path.samefile(src, out):
            raise ConfigError(f"output {path!r} is the input file; choose another --out so the data are not overwritten")
    return out


def _config_from(args):
    from ..fit import FitConfig

    kw = {}
    for name, attr in (("hidden", "n_poles"), ("restarts", "restarts"), ("steps", "steps"), ("seed", "seed"),
                       ("temperature", "temperature"), ("resolution", "resolution")):
        v = getattr(args, name, None)
        if v is not None:
            kw[attr] = v
    if getattr(args, "window", None) is not None:
        kw["window"] = tuple(args.window)
    if getattr(args, "no_baselines", False):
        kw["baselines"] = False
    return FitConfig(**kw)


def _run_fit(data, config, quiet, desc):
    import dataclasses

    from ..baselines import fit_baselines
    from ..fit import fit

    bar = _Progress(config.steps, quiet, desc)
    try:
        result = fit(data, config.replace(baselines=False), callback=bar)
    finally:
        bar.close()
    result = dataclasses.replace(result, config=config)
    if config.baselines:
        if not quiet:
            print("fitting the baselines (Norman; normal-only W = 0) ...", file=sys.stderr, flush=True)
        result = dataclasses.replace(result, baselines=fit_baselines(data, config))
    return result


def _report(result, out, figure, quiet):
    lines = [f"result: {out}"]
    if figure:
        lines.append(f"figure: {figure}")
    lines.append(f"chi2_reduced = {result.chi2_reduced:.3f} ({result.status})")
    for name, value in result.baselines.items():
        lines.append(f"chi2_reduced[{name}] = {value:.3f}")
    print("\n".join(lines))


def _write_figure(result, path, truth=None):
    from ..plotting import result_figure, save_figure

    fig, _ = result_figure(result, truth=truth)
    save_figure(fig, path)


def cmd_fit(args):
    from ..data import load

    out = _check_output(args.out, inputs=[args.input])
    fig_path = _check_output(args.figure, inputs=[args.input], suffixes=(".png", ".pdf", ".svg")) if args.figure else None
    config = _config_from(args)
    data = load(args.input, sample_temp=args.temperature, energy_resolution=args.resolution)
    _enable_compile_cache()
    result = _run_fit(data, config, args.quiet, "fit")
    result.save(out, protect=[args.input])
    if fig_path:
        _write_figure(result, fig_path)
    _report(result, out, fig_path, args.quiet)
    return 0


def cmd_demo(args):
    from ..synthetic import default_spectrum

    folder = os.path.abspath(args.out_dir)
    os.makedirs(folder, exist_ok=True)
    data, truth = default_spectrum()
    config = _config_from(args)
    _enable_compile_cache()
    t0 = time.perf_counter()
    result = _run_fit(data, config, args.quiet, "demo fit")
    out = os.path.join(folder, "demo_result.nc")
    fig_path = os.path.join(folder, "demo_result.png")
    result.save(out)
    _write_figure(result, fig_path, truth=truth)
    _report(result, out, fig_path, args.quiet)
    if not args.quiet:
        print(f"built-in synthetic spectrum: 11 EDCs x 171 energies, 20 K, 10 meV FWHM, 2 % noise; {time.perf_counter() - t0:.1f} s")
    return 0


def _add_fit_options(p):
    p.add_argument("--window", nargs=2, type=float, metavar=("EMIN", "EMAX"), help="energy window of the fit, eV")
    p.add_argument("--hidden", type=int, help="number of hidden fermions (poles)")
    p.add_argument("--restarts", type=int, help="independent seeds; >1 reports a spread (*_std)")
    p.add_argument("--steps", type=int, help="optimizer steps")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--no-baselines", action="store_true", help="skip the Norman and normal-only baselines")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser():
    """The argparse parser of ``arpes-sigma``."""
    parser = argparse.ArgumentParser(
        prog="arpes-sigma",
        description="Extract the normal Σ11(ω) and anomalous W(ω) self-energies from ARPES spectra.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="fit the built-in synthetic spectrum; write a result file and a figure")
    p.add_argument("--out-dir", default="arpes_sigma_demo", help="folder for demo_result.nc / .png (default ./arpes_sigma_demo)")
    _add_fit_options(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("fit", help="fit one ARPES cut (.nc/.h5/.ibw/.pxt/.txt/.csv/.dat)")
    p.add_argument("input")
    p.add_argument("--out", required=True, help="result netCDF file (.nc)")
    p.add_argument("--figure", help="also write a summary figure (.png/.pdf/.svg)")
    p.add_argument("--temperature", type=float, help="sample temperature, K (if the file lacks it)")
    p.add_argument("--resolution", type=float, help="energy resolution FWHM, eV (if the file lacks it)")
    _add_fit_options(p)
    p.set_defaults(func=cmd_fit)

    try:
        from ..many import register as register_many

        register_many(sub)
    except ImportError:
        pass
    try:
        from .thermal import register as register_thermal

        register_thermal(sub)
    except ImportError:
        pass
    return parser


def main(argv=None):
    """Entry point; returns the exit status (0 ok, 2 bad input, 130 interrupted)."""
    from ..errors import ArpesDataError, ConfigError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ArpesDataError, ConfigError) as err:
        print(f"arpes-sigma: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("arpes-sigma: interrupted; no result written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
