"""``arpes-sigma prepare``: raw analyser file + gold reference → a fit-ready cut; the raw options ``fit`` shares.

Imports no JAX: reading, calibrating and preparing are numpy, xarray and
ERLabPy only, so this subcommand starts fast and runs where JAX is absent.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from ..errors import ConfigError
from .options import check_output

__all__ = ["add_raw_options", "calibration_from", "cmd_prepare", "describe_cut", "prepare_from", "register", "uses_raw"]


def add_raw_options(p: argparse.ArgumentParser, *, temperature: bool = True) -> None:
    """Options of the raw path: the gold (or a guessed E_F), the band, the EDC choice."""
    g = p.add_argument_group("raw analyser files (SES .txt/.ibw/.pxt, DA30 .zip)")
    g.add_argument("--gold", help="gold (polycrystalline metal) reference measured with the cut: E_F(angle) and FWHM")
    g.add_argument("--fermi-level", type=float, metavar="EKIN",
                   help="instead of --gold: a guessed kinetic energy of E_F, eV (needs --resolution)")
    if temperature:
        g.add_argument("--temperature", type=float, help="sample temperature, K (required with --gold)")
    g.add_argument("--band", help="named bare band for eps_k (bi2212: Norman et al. 1995); needs --cut")
    g.add_argument("--cut", nargs=3, type=float, metavar=("KX0", "KY0", "DIRECTION"),
                   help="cut geometry: (kx, ky) at alpha = 0 in units of pi/a, and its direction in degrees")
    g.add_argument("--edcs", type=int, default=11, help="number of EDCs around k_F (default 11)")
    g.add_argument("--k-span", type=float, default=0.2, help="momentum range of the EDCs, 1/Angstrom (default 0.2)")
    g.add_argument("--k-center", type=float, help="centre of the EDCs, 1/Angstrom (default: k_F from the data)")
    g.add_argument("--bin", type=int, help="adjacent angles summed per EDC (default: those within 0.006 1/Angstrom)")
    g.add_argument("--energy-window", nargs=2, type=float, default=(-0.35, 0.10), metavar=("EMIN", "EMAX"),
                   help="energies kept, eV from E_F (default -0.35 0.10)")
    g.add_argument("--region", help="region number or name of a multi-region SES export")
    g.add_argument("--angle-offset", type=float, default=0.0, help="analyser angle of normal emission, degrees")


def uses_raw(args: argparse.Namespace) -> bool:
    """True when the arguments ask for the raw path (a gold or a guessed Fermi level)."""
    return bool(getattr(args, "gold", None)) or getattr(args, "fermi_level", None) is not None


def calibration_from(args: argparse.Namespace, raw: Any = None) -> Any:
    """The :class:`~arpes_sigma.Calibration` the arguments ask for (gold fit, or a guessed Fermi level)."""
    from ..io.calibrate import Calibration, calibrate

    if args.gold and args.fermi_level is not None:
        raise ConfigError("give --gold or --fermi-level, not both")
    if args.temperature is None:
        raise ConfigError("the raw path needs --temperature (sample temperature, K)")
    if args.gold:
        return calibrate(args.gold, args.temperature)
    if getattr(args, "resolution", None) is None:
        raise ConfigError("--fermi-level needs --resolution (Gaussian FWHM, eV); better, measure a gold with --gold")
    hv = float(raw.attrs["hv"]) if raw is not None else math.nan
    pe = float(raw.attrs.get("pass_energy", math.nan)) if raw is not None else math.nan
    return Calibration.from_fermi_level(args.fermi_level, args.resolution, args.temperature, hv, pe)


def _geometry(args: argparse.Namespace) -> Any:
    if args.cut is None:
        if args.band:
            raise ConfigError("--band needs --cut KX0 KY0 DIRECTION (units of pi/a, degrees) to place the cut")
        return None
    from ..physics.band import CutGeometry

    kx0, ky0, direction = args.cut
    return CutGeometry(kx0=kx0 * math.pi, ky0=ky0 * math.pi, direction=direction)


def prepare_from(args: argparse.Namespace, path: str, calibration: Any = None, raw: Any = None,
                 geometry: Any = None) -> tuple[Any, Any]:
    """Read ``path``, calibrate (unless given) and prepare it as the arguments say; returns (cut, calibration)."""
    from ..io.formats import raw_file

    # a wrong path or suffix is refused before xarray and ERLabPy are imported
    if raw is None:
        raw_file(path)
    if calibration is None and args.gold:
        raw_file(args.gold)
    from ..io.prepare import prepare
    from ..io.raw import read

    region = args.region
    if region is not None and region.isdigit():
        region = int(region)
    raw = raw if raw is not None else read(path, region=region)
    if calibration is None:
        calibration = calibration_from(args, raw)
    cut = prepare(raw, calibration, temperature=args.temperature, n_edcs=args.edcs, k_span=args.k_span,
                  k_center=args.k_center, bin_width=args.bin, energy_window=tuple(args.energy_window),
                  band=args.band, geometry=geometry if geometry is not None else _geometry(args),
                  angle_offset=args.angle_offset)
    return cut, calibration


def describe_cut(cut: Any) -> list[str]:
    """Lines that summarise a prepared cut for the terminal."""
    a = cut.attrs
    return [
        f"E_F = {a['fermi_level']:.4f} eV (kinetic, centre EDC); FWHM = {1e3 * a['energy_resolution']:.2f} meV; "
        f"hv = {a['hv']:g} eV; T = {a['sample_temp']:g} K",
        f"{cut.sizes['k']} EDCs x {cut.sizes['eV']} energies, k = {cut['k'].values.min():+.3f} ... "
        f"{cut['k'].values.max():+.3f} 1/A (k_F by {a.get('k_F_method', '?')}), {a['bin_width']} angles per EDC",
        f"noise: variance = g * I with g = {a['effective_gain']:.3g}; eps_k from {a['eps_k_source']}",
    ]


def cmd_prepare(args: argparse.Namespace) -> int:
    """Run ``arpes-sigma prepare``."""
    inputs = tuple(p for p in (args.raw, args.gold) if p)
    out = check_output(args.out, inputs=inputs)
    fig_path = check_output(args.figure, inputs=inputs, suffixes=(".png", ".pdf", ".svg")) if args.figure else None
    cut, calibration = prepare_from(args, args.raw)
    from ..io.writers import to_netcdf_atomic

    to_netcdf_atomic(cut, out, protect=inputs)
    lines = [f"prepared cut: {out}", *describe_cut(cut)]
    if fig_path:
        from ..io.raw import read
        from ..plotting.calibration import prepared_figure
        from ..plotting.result import save_figure

        gold = read(args.gold) if args.gold else None
        fig, _ = prepared_figure(cut, calibration if args.gold else None, gold)
        save_figure(fig, fig_path)
        lines.append(f"figure: {fig_path}")
    print("\n".join(lines))
    return 0


def register(sub: Any) -> None:
    """Add ``prepare`` to the ``arpes-sigma`` subparsers."""
    p = sub.add_parser(
        "prepare", help="raw analyser file + gold reference -> a fit-ready cut (.nc)",
        description="Read a raw cut (kinetic energy x angle), measure E_F along the detector and the resolution on "
                    "the gold, and write the fit-ready cut: energies from E_F, k from angles, EDCs around k_F with "
                    "adjacent angles summed (intensities as read) and the noise measured from the data.")
    p.add_argument("raw", help="raw cut: SES text (.txt), SES Igor (.ibw/.pxt) or DA30 (.zip)")
    p.add_argument("--out", required=True, help="prepared cut, netCDF (.nc)")
    p.add_argument("--figure", help="also draw the prepared cut and the gold-edge fit (.png/.pdf/.svg)")
    p.add_argument("--resolution", type=float, help="Gaussian FWHM, eV (with --fermi-level only)")
    add_raw_options(p)
    p.set_defaults(func=cmd_prepare)
