"""The ``arpes-sigma thermal`` subcommand.

    arpes-sigma thermal --model tfim|j1j2 --sites N --temperatures T1,T2,... --out RESULT.nc
                        [--method auto|exact|sample|variational] [--field H] [--coupling J] [--j2 X]
                        [--trotter-step D] [--sweeps S] [--chains C] [--features A] [--beta-step DB]
                        [--samples M] [--open] [--seed S] [--overwrite] [--quiet]

Sizes each method supports: ``exact`` any model with N ≤ 12 (tfim: N ≥ 2;
j1j2: 3 × 3); ``sample`` tfim with h ≠ 0 and even N on a periodic chain (any
N open); ``variational`` periodic tfim chains (N ≥ 3) and every j1j2 torus
``--sites L*L`` with L ≥ 3. Anything else is refused with a one-line
:class:`arpes_sigma.errors.ConfigError` before anything is computed or written.

Writes an xarray Dataset on dimension ``temperature`` with ``energy`` and
``specific_heat`` (per site), their standard errors and autocorrelation times
for the stochastic methods, the exact references ``energy_exact`` /
``specific_heat_exact`` (Jordan–Wigner or exact diagonalisation, when
feasible), ``seconds`` per temperature, and the configuration and the
network's unit counts as JSON in ``attrs``. The file goes through the
project's one atomic writer (:func:`arpes_sigma.io.writers.to_netcdf_atomic`).

This module imports only the standard library at import time so that the
main CLI starts quickly; the numerical code is imported by :func:`run`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os

from ..errors import ConfigError

__all__ = ["register", "run", "build_config"]


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``thermal`` subcommand to an argparse subparsers object.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``parser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser (``func`` default set to :func:`run`).
    """
    p = subparsers.add_parser(
        "thermal",
        help="thermal energy and specific heat of a spin model from a purified deep Boltzmann machine",
        description=(
            "Purified deep Boltzmann machine (Nomura, Yoshioka, Nori, PRL 127, 060601 (2021)) for the "
            "transverse-field Ising chain or the J1-J2 Heisenberg model on an L x L torus, compared "
            "with exact results."
        ),
    )
    p.add_argument("--model", required=True, help="tfim (Ising chain) or j1j2 (square-lattice Heisenberg)")
    p.add_argument("--sites", required=True, help="number of spins: chain length (tfim) or L*L, L >= 3 (j1j2)")
    p.add_argument("--field", default=None, help="transverse field h (tfim only, required there)")
    p.add_argument("--coupling", default="1.0", help="Ising J (tfim) or J1 (j1j2); default 1")
    p.add_argument("--j2", default=None, help="next-nearest exchange J2 (j1j2 only); default 0")
    p.add_argument("--temperatures", required=True, help="comma-separated temperatures > 0, e.g. 0.25,0.5,1,2")
    p.add_argument("--out", required=True, help="output netCDF file (.nc)")
    p.add_argument("--method", default="auto", help="auto, exact, sample or variational; default auto")
    p.add_argument("--trotter-step", default=None, help="largest Trotter step of the network (exact, sample); 0.05")
    p.add_argument("--sweeps", default=None, help="measured sweeps per chain (sample); default 2000")
    p.add_argument("--chains", default=None, help="Markov chains (sample: 32, variational: 512)")
    p.add_argument("--features", default=None, help="hidden-unit feature maps alpha (variational); default 4")
    p.add_argument("--beta-step", default=None, help="integration step in beta (variational); default 0.05")
    p.add_argument("--samples", default=None,
                   help="samples per SR stage, a multiple of --chains (variational); default 16 per chain")
    p.add_argument("--symmetry", default=None,
                   help="group the hidden features are shared over (variational): translation (default), swap "
                        "(translations and the spin-ancilla swap, j1j2), space (translations and the point group) "
                        "or full (space group and the swap, j1j2)")
    p.add_argument("--open", action="store_true", help="open instead of periodic chain (tfim)")
    p.add_argument("--seed", default="0", help="random seed of the Markov chains; default 0")
    p.add_argument("--overwrite", action="store_true", help="replace RESULT.nc if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary line")
    p.set_defaults(func=run)
    return p


def _float(name, text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"--{name} must be a number, got {text!r}; e.g. --{name} 1.0") from None
    if not math.isfinite(value):
        raise ConfigError(f"--{name} must be finite, got {text!r}")
    return value


def _int(name, text, minimum):
    try:
        value = int(str(text))
    except ValueError:
        raise ConfigError(f"--{name} must be an integer, got {text!r}; e.g. --{name} {minimum}") from None
    if value < minimum:
        raise ConfigError(f"--{name} must be >= {minimum}, got {value}")
    return value


def _temperatures(text):
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise ConfigError("--temperatures is empty; give comma-separated values > 0, e.g. 0.5,1,2")
    values = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise ConfigError(
                f"--temperatures has a non-number {p!r}; give comma-separated values, e.g. 0.5,1,2"
            ) from None
        if not math.isfinite(v) or v <= 0:
            raise ConfigError(f"--temperatures must all be finite and > 0, got {p}; remove it or use e.g. 0.25")
        values.append(v)
    if len(set(values)) != len(values):
        raise ConfigError("--temperatures has repeated values; list each temperature once")
    return values


_OPTIONS = {
    # option: (ThermalConfig field, parser, minimum, methods it applies to)
    "trotter_step": ("trotter_step", "float", None, ("exact", "sample")),
    "sweeps": ("sweeps", "int", 16, ("sample",)),
    "chains": ("chains", "int", 2, ("sample", "variational")),
    "features": ("features", "int", 0, ("variational",)),
    "beta_step": ("beta_step", "float", None, ("variational",)),
    "samples": ("samples", "int", 64, ("variational",)),
    "symmetry": ("symmetry", "name", None, ("variational",)),
}


def build_config(args: argparse.Namespace) -> tuple:
    """Validate parsed arguments and build (model, temperatures, ThermalConfig, output path).

    Raises
    ------
    ConfigError
        With a one-line message naming the bad option and the fix.
    """
    from ..thermal.driver import METHODS, ThermalConfig
    from ..thermal.models import J1J2Square, TransverseFieldIsing

    model_name = str(args.model).lower()
    if model_name not in ("tfim", "j1j2"):
        raise ConfigError(f"--model must be tfim or j1j2, got {args.model!r}")
    method = str(args.method).lower()
    if method not in METHODS:
        raise ConfigError(f"--method must be one of {', '.join(METHODS)}, got {args.method!r}")
    sites = _int("sites", args.sites, 2)
    coupling = _float("coupling", args.coupling)
    if model_name == "tfim":
        if args.field is None:
            raise ConfigError("--field is required for --model tfim; e.g. --field 1.0")
        if args.j2 is not None:
            raise ConfigError("--j2 applies to --model j1j2 only; drop it for tfim")
        model = TransverseFieldIsing(sites, coupling, _float("field", args.field), periodic=not args.open)
    else:
        if args.field is not None:
            raise ConfigError("--field applies to --model tfim only; drop it for j1j2")
        if args.open:
            raise ConfigError("--open applies to --model tfim only; j1j2 clusters are periodic")
        side = int(round(math.sqrt(sites)))
        if side * side != sites or side < 3:
            raise ConfigError(f"--sites for j1j2 must be L*L with L >= 3 (9, 16, 25, 36, ...), got {sites}")
        j2 = _float("j2", args.j2) if args.j2 is not None else 0.0
        model = J1J2Square(side, side, coupling, j2)
    kwargs = {"method": method, "seed": _int("seed", args.seed, 0)}
    for option, (field, kind, minimum, applies) in _OPTIONS.items():
        text = getattr(args, option, None)
        if text is None:
            continue
        flag = "--" + option.replace("_", "-")
        if method != "auto" and method not in applies:
            raise ConfigError(f"{flag} applies to --method {' or '.join(applies)}; drop it for --method {method}")
        if kind == "name":  # checked against the allowed names by ThermalConfig
            kwargs[field] = str(text).strip().lower()
        elif kind == "float":
            kwargs[field] = _float(option.replace("_", "-"), text)
        else:
            kwargs[field] = _int(option, text, minimum)
    # the method chosen and its defaults (thermal.driver: 32 chains to sample, 512 chains and 16 samples
    # per chain for the variational machine); raises ConfigError early for impossible combinations
    config = ThermalConfig(**kwargs).resolved(model)
    temperatures = _temperatures(args.temperatures)
    out = os.path.abspath(os.fspath(args.out))
    folder = os.path.dirname(out)
    if os.path.isdir(out):
        example = os.path.join(args.out, "thermal.nc")
        raise ConfigError(f"--out {args.out} is a directory; give a file name such as {example}")
    if not out.lower().endswith(".nc"):
        raise ConfigError(f"--out {args.out} must end in .nc (netCDF); rename it")
    if not os.path.isdir(folder):
        raise ConfigError(f"the folder of --out does not exist: {folder}; create it first")
    if os.path.exists(out) and not getattr(args, "overwrite", False):
        raise ConfigError(f"{args.out} already exists; pass --overwrite or choose another --out")
    return model, temperatures, config, out


def _dataset(model, result, reference, config_json):
    import numpy as np
    import xarray as xr

    t = result.temperature
    per_site = "per site, units of the coupling (k_B = 1)"
    data = {
        "energy": ("temperature", result.energy, {"long_name": "energy per site", "units": per_site}),
        "specific_heat": ("temperature", result.specific_heat, {"long_name": "specific heat per site (k_B = 1)"}),
        "n_steps": ("temperature", result.n_steps.astype(np.int64), {"long_name": "imaginary-time steps from 0"}),
        "seconds": ("temperature", result.seconds_per_temperature, {"long_name": "wall time for this temperature"}),
    }
    if result.method in ("sample", "variational"):
        data["energy_err"] = ("temperature", result.energy_err, {"long_name": "standard error of energy"})
        data["specific_heat_err"] = ("temperature", result.specific_heat_err, {"long_name": "standard error of C"})
        data["tau_int"] = ("temperature", result.tau_int, {"long_name": "integrated autocorrelation time (sweeps)"})
    for name, values in result.observables.items():
        data[name] = ("temperature", np.asarray(values))
    if reference is not None:
        data["energy_exact"] = ("temperature", reference.energy, {"method": reference.method})
        data["specific_heat_exact"] = ("temperature", reference.specific_heat, {"method": reference.method})
        for name, values in reference.observables.items():
            data[f"{name}_exact"] = ("temperature", np.asarray(values), {"method": reference.method})
    ds = xr.Dataset(data, coords={"temperature": ("temperature", t, {"units": "coupling (k_B = 1)"})})
    ds.attrs.update(
        {
            "config": config_json,
            "method": result.method,
            "model": model.name,
            "units": json.dumps(result.units),
            "seconds_total": float(result.seconds),
            "reference": reference.method if reference is not None else "none",
            "source": "arpes_sigma.thermal (purified Boltzmann machine, PRL 127, 060601 (2021))",
        }
    )
    return ds


def run(args: argparse.Namespace) -> int:
    """Run the ``thermal`` subcommand.

    Parameters
    ----------
    args : argparse.Namespace
        As produced by the parser from :func:`register`.

    Returns
    -------
    int
        0 on success. Bad input raises :class:`ConfigError` (nothing written).
    """
    model, temperatures, config, out = build_config(args)

    from tqdm.auto import tqdm

    from ..io.writers import to_netcdf_atomic
    from ..thermal.driver import thermal
    from ..thermal.exact import ed_tfim
    from ..thermal.references import exact_reference

    quiet = bool(getattr(args, "quiet", False))
    bar = tqdm(total=1, desc="thermal", unit="step", disable=quiet, leave=False)

    def progress(done, total):
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        result = thermal(model, temperatures, config, progress=progress)
    finally:
        bar.close()
    reference = exact_reference(model, temperatures)
    if model.name == "tfim" and model.n_sites <= 10 and reference is not None:
        # magnetisations need eigenvectors: add them from dense ED (cheap for N ≤ 10)
        ed = ed_tfim(model, temperatures)
        reference = dataclasses.replace(reference, observables={**reference.observables, **ed.observables})
    config_json = json.dumps(
        {
            "model": model.name,
            "model_parameters": {k: v for k, v in vars(model).items()},
            "temperatures": list(map(float, temperatures)),
            **dataclasses.asdict(config),
            "method": result.method,
        },
        default=float,
    )
    to_netcdf_atomic(_dataset(model, result, reference, config_json), out)
    if not quiet:
        print(f"wrote {out}: {len(temperatures)} temperatures, method {result.method}, {result.seconds:.1f} s")
    return 0
