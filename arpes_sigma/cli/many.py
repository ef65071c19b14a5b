"""``arpes-sigma fit-many``: every cut of a temperature series or set of cuts, in parallel and resumable."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ..errors import ConfigError
from .options import add_fit_options, check_output, config_from, unconverged_warning
from .prepare import add_raw_options, uses_raw

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``fit-many`` subcommand to the ``arpes-sigma`` parser."""
    p = subparsers.add_parser(
        "fit-many",
        help="fit every cut of a temperature series or set of cuts in parallel (resumable)",
        description=(
            "Fit each 2-D cut of INPUT (dims sample_temp|cut, k, eV) independently on a dask cluster. "
            "Finished cuts are saved at once in OUT.parts/; run the same command again after an "
            "interruption to resume. Exit status: 0 all cuts ok, 1 some failed (result written), "
            "2 bad input, 130 interrupted."
        ),
    )
    p.add_argument("input", nargs="+",
                   help="netCDF file with an intensity of dims (sample_temp|cut, k, eV); or, with --gold, raw cuts "
                        "(one file each: SES .txt/.ibw/.pxt, DA30 .zip)")
    p.add_argument("--out", required=True,
                   help="result netCDF file (.nc); with --gold a folder (created) for cuts.nc, result.nc, "
                        "fermi_surface.nc/.png")
    p.add_argument("--by", choices=("temperature", "cut"), help="dimension to split along (default: the extra one)")
    p.add_argument("--variable", help="data variable to read when the file holds several")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of a running dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, help="local worker processes (default: number of cores)")
    p.add_argument("--batch", type=int, default=1, help="cuts per task, advanced together under jax.vmap (default 1)")
    p.add_argument("--resolution", type=float, help="energy resolution FWHM, eV (if the file lacks it)")
    p.add_argument("--keep-parts", action="store_true", help="keep OUT.parts/ after a successful run")
    p.add_argument("--geometry", metavar="JSON",
                   help="with --gold: {file name: [kx0, ky0, direction]} (pi/a, pi/a, degrees) per cut, for eps_k "
                        "from --band and the Fermi-surface angle")
    p.add_argument("--no-baselines", action="store_true",
                   help="with --gold: skip the normal-only baseline (no pairing evidence in the figure)")
    add_fit_options(p, baselines_default=False)
    add_raw_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``arpes-sigma fit-many``; returns the exit status (0 ok, 1 some cuts failed, 130 interrupted)."""
    from ..many.cluster import ctrl_c_noted

    with ctrl_c_noted():  # a Ctrl-C that Python drops is still seen between results
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    if uses_raw(args):
        from .many_raw import run_raw

        return run_raw(args)
    if len(args.input) != 1:
        raise ConfigError(
            f"{len(args.input)} inputs: several files are raw cuts and need --gold GOLD --temperature T "
            f"(or give one netCDF file with a cut/sample_temp dimension)")
    if getattr(args, "temperature", None) is not None:
        raise ConfigError("--temperature is for raw cuts with --gold; a series takes its temperatures from the file")
    args.input = args.input[0]
    out = check_output(args.out, inputs=(args.input,))
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers {args.workers} must be >= 1")
    if args.scheduler and args.workers is not None:
        print("arpes-sigma: note: --workers is ignored with --scheduler (the cluster has its own workers)",
              file=sys.stderr)
    config = config_from(args, baselines_default=False)
    from ..fitting.cache import cache_folder
    from ..many.api import fit_many
    from ..many.store import parts_folder, read_manifest

    t0 = time.perf_counter()
    try:
        result = fit_many(
            args.input, config, by=args.by, client=args.scheduler or None, out=out, progress=not args.quiet,
            n_workers=args.workers, batch_size=args.batch, baselines=config.baselines, keep_parts=args.keep_parts,
            compile_cache=cache_folder(), variable=args.variable,
        )
    except KeyboardInterrupt:
        m = read_manifest(out) or {}
        print(
            f"arpes-sigma: interrupted; {len(m.get('done', []))} of {m.get('n_slices', '?')} cuts are saved in "
            f"{parts_folder(out)}; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    a = result.attrs
    lines = [
        f"result: {out}",
        f"cuts: {a['n_slices']} along {a['slice_dim']}: {a['n_ok']} ok, {a['n_failed']} failed; "
        f"{a['n_fitted']} fitted now, {a['n_resumed']} resumed from earlier parts ({time.perf_counter() - t0:.1f} s)",
    ]
    for value, status in zip(result[a["slice_dim"]].values, result["status"].values, strict=True):
        if status != "ok":
            lines.append(f"  {a['slice_dim']}={value}: {status}")
    if a["n_failed"]:
        lines.append(f"failed cuts are kept for a retry in {parts_folder(out)}; run the same command again")
    warning = unconverged_warning(result, config.steps)
    if warning:
        lines.append(warning)
    print("\n".join(lines))
    return 0 if a["n_failed"] == 0 else 1
