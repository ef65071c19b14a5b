"""``arpes-sigma fit`` (one cut from a file) and ``arpes-sigma demo`` (the built-in spectrum)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import numpy as np

from .options import Progress, add_fit_options, check_output, config_from, measured_defaults
from .prepare import add_raw_options, describe_cut, prepare_from, uses_raw

__all__ = ["cmd_demo", "cmd_fit", "register"]


def _run_fit(data: Any, config: Any, quiet: bool, desc: str) -> Any:
    from ..fitting.cache import cache_folder, enable_compile_cache
    from ..fitting.pipeline import fit_with_baselines

    enable_compile_cache(cache_folder())

    def say() -> None:
        if not quiet:
            print("finishing the Norman baseline ...", file=sys.stderr, flush=True)

    bar = Progress(config.steps, quiet, desc)
    try:
        return fit_with_baselines(data, config, callback=bar, on_baselines=say)
    finally:
        bar.close()


def _report(result: Any, out: str, figure: str | None, quality: Any = None) -> None:
    lines = [f"result: {out}"]
    if figure:
        lines.append(f"figure: {figure}")
    lines.append(f"chi2_reduced = {result.chi2_reduced:.3f} ({result.status}; {result.steps} solver steps, "
                 f"{result.converged} of {len(result.chi2_restarts)} restarts converged)")
    if result.still_improving:
        lines.append(f"warning: the fit had not converged when its {result.steps} steps ran out; rerun with "
                     f"--steps {2 * result.steps}")
    for name, value in result.baselines.items():
        lines.append(f"chi2_reduced[{name}] = {value:.3f}")
    n_acc = int(result.accepted.sum())
    if result.sigma_normal_spread is not None:
        lines.append(
            f"restarts: {n_acc} of {result.config.restarts} paired fits agree within 25 % in chi2; their spread "
            f"(max over omega): Im Sigma11 {np.nanmax(result.sigma_normal_spread.imag):.3f} eV, "
            f"Im W {np.nanmax(result.sigma_anomalous_spread.imag):.3f} eV"
        )
    else:
        lines.append(f"restarts: {n_acc} of {result.config.restarts} paired fits reached the best chi2 (no spread)")
    lines.append(_poles_line(result))
    if result.eps_k_guess is not None:
        change = 1e3 * np.max(np.abs(np.asarray(result.eps_k) - np.asarray(result.eps_k_guess)))
        lines.append(f"eps_k learned jointly with the self-energy (guess: {result.attrs.get('eps_k_guess_source', '?')}"
                     f"); largest change {change:.1f} meV (kept as eps_k_guess; --eps-k fixed keeps the guess)")
        if result.eps_k_std is not None and result.quasiparticle_band_std is not None:
            lines.append(
                f"band: eps_k known to +/- {1e3 * np.max(result.eps_k_std):.0f} meV (a shift and a velocity trade "
                f"against Re Sigma11); the renormalised band Z (eps_k + Re Sigma11(0)) to +/- "
                f"{1e3 * np.max(result.quasiparticle_band_std):.1f} meV, Z = {result.quasiparticle_weight:.2f} "
                f"(quasiparticle_band in the result)")
    if quality is not None and not quality.describes_data:
        lines.append(f"warning: {quality.message}")  # in place of a verdict
    else:
        if quality is not None:
            lines.append(quality.message)
        lines.append(result.verdict)
        lines += _determined_lines(result)
    print("\n".join(lines))


def _poles_line(result: Any) -> str:
    """How many hidden fermions the reported fit uses, and how strongly the evidence says so."""
    n, used = result.config.n_poles, result.hidden_fermions
    line = f"hidden fermions: {used} of {n}"
    e = result.evidence.get("pole_evidence", float("nan"))
    if np.isfinite(e):
        line += (f" (ln B = {e:+.1f} for the last pole: the data do not need it)" if used < n
                 else f" (ln B = {e:+.1f} for the last pole)")
    return line


def _determined_lines(result: Any) -> list[str]:
    """One line saying down to which energy the data determine Σ11 and W (nothing when not computed)."""
    s11, w = result.determined_to("sigma_normal"), result.determined_to("sigma_anomalous")
    if not (np.isfinite(s11) and np.isfinite(w)):
        return []
    occupied = result.omega[(np.asarray(result.window_mask) > 0) & (result.omega < 0)]
    bottom = 1e3 * float(occupied.min()) if occupied.size else float("nan")
    return [f"determined by the data: Sigma11 down to {1e3 * s11:.0f} meV, W down to {1e3 * w:.0f} meV (window "
            f"from {bottom:.0f} meV); below, a change as large as the curve would not show in the spectrum "
            f"(*_detectable in the result)"]


def _write_figure(result: Any, path: str, truth: Any = None, quality: Any = None) -> None:
    from ..plotting import result_figure, save_figure

    fig, _ = result_figure(result, truth=truth, quality=quality)
    save_figure(fig, path)


def _quality(result: Any, data: Any) -> Any:
    from ..analysis.quality import fit_quality

    noise = data["noise_sigma"].values if "noise_sigma" in data.coords and data["noise_sigma"].ndim == 2 else None
    return fit_quality(result, noise)


def cmd_fit(args: argparse.Namespace) -> int:
    """Run ``arpes-sigma fit``: a fit-ready file, or a raw file with ``--gold`` (read → calibrate → prepare → fit)."""
    inputs = tuple(p for p in (args.input, getattr(args, "gold", None)) if p)
    out = check_output(args.out, inputs=inputs)
    fig_path = None
    if args.figure:
        fig_path = check_output(args.figure, inputs=inputs, suffixes=(".png", ".pdf", ".svg"))
    config = config_from(args)
    prep_lines: list[str] = []
    if uses_raw(args):
        data, _calibration = prepare_from(args, args.input)
        prep_lines = describe_cut(data)
    else:
        from ..io.formats import input_file

        input_file(args.input)  # a wrong path or a non-netCDF .nc is refused before xarray is imported
        from ..io.readers import load

        data = load(args.input, sample_temp=args.temperature, energy_resolution=args.resolution)
    config = measured_defaults(config, args, data, raw=uses_raw(args))
    if not args.quiet:
        for line in prep_lines:
            print(line, file=sys.stderr)
    result = _run_fit(data, config, args.quiet, "fit")
    quality = _quality(result, data)
    result.save(out, protect=list(inputs))
    if fig_path:
        _write_figure(result, fig_path, quality=quality)
    _report(result, out, fig_path, quality)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run ``arpes-sigma demo``."""
    from ..synthetic import default_spectrum

    folder = os.path.abspath(args.out_dir)
    os.makedirs(folder, exist_ok=True)
    data, truth = default_spectrum()
    config = config_from(args)
    t0 = time.perf_counter()
    result = _run_fit(data, config, args.quiet, "demo fit")
    out = os.path.join(folder, "demo_result.nc")
    fig_path = os.path.join(folder, "demo_result.png")
    result.save(out)
    _write_figure(result, fig_path, truth=truth)
    _report(result, out, fig_path)
    if not args.quiet:
        print(
            "built-in synthetic spectrum: 11 EDCs x 171 energies, 20 K, 10 meV FWHM, 2 % noise; "
            f"{time.perf_counter() - t0:.1f} s"
        )
    return 0


def register(sub: Any) -> None:
    """Add ``demo`` and ``fit`` to the ``arpes-sigma`` subparsers."""
    p = sub.add_parser("demo", help="fit the built-in synthetic spectrum; write a result file and a figure")
    p.add_argument("--out-dir", default="arpes_sigma_demo",
                   help="folder for demo_result.nc / .png (default ./arpes_sigma_demo)")
    add_fit_options(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "fit", help="fit one ARPES cut: a fit-ready file (.nc/.h5/.ibw/.pxt/.txt/.csv/.dat) or a raw one with --gold",
        description="Fit one cut. A fit-ready file (energies from E_F, momentum axis, eps_k) is fitted as it is; "
                    "a raw analyser file (kinetic energy x angle) with --gold GOLD --temperature T is read, "
                    "calibrated on the gold, prepared and fitted.")
    p.add_argument("input", help="the cut to fit: a fit-ready file (.nc/.h5/.ibw/.pxt/.txt/.csv/.dat; dims k and eV "
                                 "from E_F, coordinate eps_k), or with --gold a raw analyser file (SES .txt/.ibw/.pxt, "
                                 "DA30 .zip)")
    p.add_argument("--out", required=True, help="result netCDF file (.nc)")
    p.add_argument("--figure", help="also write a summary figure (.png/.pdf/.svg)")
    p.add_argument("--temperature", type=float,
                   help="sample temperature, K (if the file lacks it; required with --gold)")
    p.add_argument("--resolution", type=float, help="energy resolution FWHM, eV (if the file lacks it)")
    add_fit_options(p)
    add_raw_options(p, temperature=False)
    p.set_defaults(func=cmd_fit)
