"""``arpes-sigma fit-many RAW1 RAW2 ... --gold GOLD --temperature T --out DIR``: many cuts along the Fermi surface.

One gold calibration for all files; every file prepared alike (same number of
EDCs, same energy window) and stacked along ``cut``; the stack fitted by
:func:`arpes_sigma.fit_many` (one slice per file on dask, resumable); then the
gap, W(0) and the pairing evidence per cut, in a file and a figure. The output
folder holds ``cuts.nc`` (the prepared stack), ``result.nc`` (and, while
running, ``result.nc.parts/``), ``fermi_surface.nc`` and ``fermi_surface.png``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from ..errors import ArpesDataError, ConfigError
from .options import config_from, measured_defaults, unconverged_warning
from .prepare import calibration_from, prepare_from

__all__ = ["run_raw"]


def _geometries(args: argparse.Namespace) -> dict:
    if not args.geometry:
        return {}
    from ..physics.band import CutGeometry

    try:
        table = json.loads(Path(args.geometry).read_text())
        return {Path(name).name: CutGeometry(kx0=v[0] * math.pi, ky0=v[1] * math.pi, direction=float(v[2]))
                for name, v in table.items()}
    except (OSError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ConfigError(
            f"--geometry {args.geometry} must be JSON {{\"file\": [kx0, ky0, direction]}} ({exc}); fix the file"
        ) from None


def _out_folder(args: argparse.Namespace) -> Path:
    out = Path(args.out).expanduser().absolute()
    if out.suffix.lower() == ".nc":
        raise ConfigError(f"with --gold, --out is a folder (it receives several files), not {args.out!r}")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {args.out!r} exists and is not a folder; choose another")
    if not out.parent.is_dir():
        raise ConfigError(f"the folder above --out {args.out!r} does not exist; create it first")
    inputs = {Path(p).resolve() for p in [*args.input, args.gold] if p}
    if out.resolve() in inputs:
        raise ConfigError(f"--out {args.out!r} is an input; choose another folder")
    return out


def run_raw(args: argparse.Namespace) -> int:
    """Prepare every raw file against one gold, fit them all (resumable), summarise along the Fermi surface."""
    from ..io.raw import read
    from ..io.stack import stack_cuts
    from ..io.writers import to_netcdf_atomic

    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers {args.workers} must be >= 1")
    out = _out_folder(args)
    geometries = _geometries(args)
    missing = [p for p in args.input if not os.path.exists(p)]
    if missing:
        raise ArpesDataError(f"file not found: {', '.join(missing)}; check the paths")
    config = config_from(args, baselines_default=False)
    config = config.replace(baselines=bool(args.baselines or not args.no_baselines))
    config = measured_defaults(config, args, raw=True)  # raw files: the edge background, more steps

    first = read(args.input[0])
    calibration = calibration_from(args, first)
    cuts = []
    for path in args.input:
        try:
            cut, _ = prepare_from(args, path, calibration, geometry=geometries.get(Path(path).name))
        except (ArpesDataError, ConfigError) as err:
            raise ArpesDataError(f"{Path(path).name}: {err}") from None
        cuts.append(cut)
    stack = stack_cuts(cuts)
    out.mkdir(exist_ok=True)
    protect = [*args.input, args.gold] if args.gold else list(args.input)
    to_netcdf_atomic(stack, out / "cuts.nc", protect=protect)
    print(f"prepared {len(cuts)} cuts: {out / 'cuts.nc'} ({stack.sizes['k']} EDCs x {stack.sizes['eV']} energies each)",
          file=sys.stderr)

    from ..analysis.fermi_surface import fermi_surface_summary
    from ..fitting.cache import cache_folder
    from ..many.api import fit_many
    from ..plotting.fermi_surface import fermi_surface_figure
    from ..plotting.result import save_figure

    t0 = time.perf_counter()
    result = fit_many(stack, config, by="cut", client=args.scheduler or None, out=out / "result.nc",
                      progress=not args.quiet, n_workers=args.workers, batch_size=args.batch,
                      baselines=config.baselines, keep_parts=args.keep_parts, compile_cache=cache_folder(),
                      protect=protect)
    summary = fermi_surface_summary(result, stack)
    to_netcdf_atomic(summary, out / "fermi_surface.nc", protect=protect)
    fig, _ = fermi_surface_figure(summary)
    save_figure(fig, out / "fermi_surface.png")
    a = result.attrs
    lines = [f"result: {out / 'result.nc'}", f"summary: {out / 'fermi_surface.nc'}",
             f"figure: {out / 'fermi_surface.png'}",
             f"cuts: {a['n_slices']}: {a['n_ok']} ok, {a['n_failed']} failed; {a['n_fitted']} fitted now, "
             f"{a['n_resumed']} resumed ({time.perf_counter() - t0:.1f} s)"]
    for i in range(summary.sizes["cut"]):
        s = summary.isel(cut=i)
        name = Path(str(s["source_file"].values)).name
        where = f"FS angle {float(s['fs_angle']):.1f} deg" if math.isfinite(float(s["fs_angle"])) else f"cut {i}"
        if int(s["describes_data"]):
            lines.append(f"  {name} ({where}): gap {1e3 * float(s['gap']):.1f} meV, W(0) "
                         f"{1e3 * float(s['w0']):+.1f} meV, evidence {float(s['pairing_evidence']):.1f}, "
                         f"chi2_red {float(s['chi2_measured_noise']):.2f} (measured noise), {s['status'].values}")
        else:
            lines.append(f"  {name} ({where}): warning: the fit does not describe the data (chi2_red "
                         f"{float(s['chi2_measured_noise']):.2f} against the measured noise, residual correlation "
                         f"{float(s['residual_correlation']):+.2f}); no gap or verdict, {s['status'].values}")
    warning = unconverged_warning(result, config.steps)
    if warning:
        lines.append(warning)
    print("\n".join(lines))
    return 0 if a["n_failed"] == 0 else 1
