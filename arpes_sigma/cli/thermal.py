"""The ``arpes-sigma thermal`` subcommand.

    arpes-sigma thermal --model tfim|j1j2 --sites N [--field H] [--coupling J] [--j2 X]
                        --temperatures T1,T2,... --out RESULT.nc
                        [--trotter-step D] [--samples N] [--method M] [--open]
                        [--seed S] [--overwrite] [--quiet]

Writes an xarray Dataset on dimension ``temperature`` with ``energy`` and
``specific_heat`` (per site) from the purified deep Boltzmann machine,
``energy_exact`` / ``specific_heat_exact`` (Jordan–Wigner or exact
diagonalisation, when feasible), ``energy_err`` / ``specific_heat_err`` for
stochastic methods, exact magnetisations (``mx_exact`` = ⟨σˣ⟩, ``mz2_exact`` =
⟨(Σσᶻ/N)²⟩ for TFIM N ≤ 10; ``sz2_exact`` = ⟨(S^z_tot)²⟩/N for J1–J2), the
sampled ``mx``/``mz2`` for ``--method sample``, and the configuration as JSON
in ``attrs["config"]``.
The file is written atomically (temporary file in the same directory, then
``os.replace``) with engine ``h5netcdf``. Bad input raises
:class:`arpes_sigma.errors.ConfigError` before anything is computed or written.

This module imports only ``argparse`` at import time so that the main CLI
starts quickly; the numerical code is imported by :func:`run`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os

from ..errors import ConfigError
from ..io.writers import to_netcdf_atomic

__all__ = ["register", "run", "build_config"]


def register(subparsers):
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
    p.add_argument("--sites", required=True, help="number of spins: chain length (tfim) or L*L = 9 or 16 (j1j2)")
    p.add_argument("--field", default=None, help="transverse field h (tfim only, required there)")
    p.add_argument("--coupling", default="1.0", help="Ising J (tfim) or J1 (j1j2); default 1")
    p.add_argument("--j2", default=None, help="next-nearest exchange J2 (j1j2 only); default 0")
    p.add_argument("--temperatures", required=True, help="comma-separated temperatures > 0, e.g. 0.25,0.5,1,2")
    p.add_argument("--out", required=True, help="output netCDF file (.nc)")
    p.add_argument("--trotter-step", default="0.05", help="largest imaginary-time step, in (0, 0.5]; default 0.05")
    p.add_argument("--samples", default=None, help="probe vectors (probe) or sweeps per chain (sample)")
    p.add_argument("--method", default="auto", help="auto, exact, probe or sample; default auto")
    p.add_argument("--open", action="store_true", help="open instead of periodic chain (tfim)")
    p.add_argument("--seed", default="0", help="random seed for probes / Markov chains; default 0")
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


def build_config(args):
    """Validate parsed arguments and build (model, temperatures, PurifiedConfig, output path).

    Raises
    ------
    ConfigError
        With a one-line message naming the bad option and the fix.
    """
    from ..thermal.models import J1J2Square, TransverseFieldIsing
    from ..thermal.purified import PurifiedConfig

    model_name = str(args.model).lower()
    if model_name not in ("tfim", "j1j2"):
        raise ConfigError(f"--model must be tfim or j1j2, got {args.model!r}")
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
        if side * side != sites or side < 3 or sites > 16:
            raise ConfigError(f"--sites for j1j2 must be 9 or 16 (an L x L torus), got {sites}")
        j2 = _float("j2", args.j2) if args.j2 is not None else 0.0
        model = J1J2Square(side, side, coupling, j2)
    samples = _int("samples", args.samples, 2) if args.samples is not None else None
    config = PurifiedConfig(
        trotter_step=_float("trotter-step", args.trotter_step),
        method=str(args.method),
        samples=samples,
        seed=_int("seed", args.seed, 0),
    )
    config.resolved_method(model)  # raises ConfigError early for impossible combinations
    temperatures = _temperatures(args.temperatures)
    out = os.path.abspath(os.fspath(args.out))
    folder = os.path.dirname(out)
    if os.path.isdir(out):
        example = os.path.join(args.out, "thermal.nc")
        raise ConfigError(f"--out {args.out} is a directory; give a file name such as {example}")
    if not os.path.isdir(folder):
        raise ConfigError(f"the folder of --out does not exist: {folder}; create it first")
    if os.path.exists(out) and not getattr(args, "overwrite", False):
        raise ConfigError(f"{args.out} already exists; pass --overwrite or choose another --out")
    return model, temperatures, config, out


def _dataset(model, result, reference, config_json):
    import numpy as np
    import xarray as xr

    t = result.temperature
    data = {
        "energy": ("temperature", result.energy, {"long_name": "energy per site", "units": "J"}),
        "specific_heat": ("temperature", result.specific_heat, {"long_name": "specific heat per site (k_B = 1)"}),
        "n_steps": ("temperature", result.n_steps.astype(np.int64), {"long_name": "Trotter steps from beta = 0"}),
    }
    if result.method in ("probe", "sample"):
        data["energy_err"] = ("temperature", result.energy_err, {"long_name": "standard error of energy"})
        data["specific_heat_err"] = ("temperature", result.specific_heat_err, {"long_name": "standard error of C"})
    for name, values in result.observables.items():
        data[name] = ("temperature", np.asarray(values))
    if reference is not None:
        data["energy_exact"] = ("temperature", reference.energy, {"method": reference.method})
        data["specific_heat_exact"] = ("temperature", reference.specific_heat, {"method": reference.method})
        for name, values in reference.observables.items():
            data[f"{name}_exact"] = ("temperature", np.asarray(values), {"method": reference.method})
    ds = xr.Dataset(data, coords={"temperature": ("temperature", t, {"units": "J (k_B = 1)"})})
    ds.attrs.update(
        {
            "config": config_json,
            "method": result.method,
            "model": model.name,
            "seconds": float(result.seconds),
            "reference": reference.method if reference is not None else "none",
            "source": "arpes_sigma.thermal (purified deep Boltzmann machine, PRL 127, 060601 (2021))",
        }
    )
    return ds


def run(args):
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

    from ..thermal.exact import ed_tfim, exact_reference
    from ..thermal.purified import purified_thermal

    quiet = bool(getattr(args, "quiet", False))
    bar = tqdm(total=1, desc="thermal", unit="step", disable=quiet, leave=False)

    def progress(done, total):
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        result = purified_thermal(model, temperatures, config, progress=progress)
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
            "trotter_step": config.trotter_step,
            "method": result.method,
            "samples": config.samples,
            "chains": config.chains,
            "seed": config.seed,
        },
        default=float,
    )
    to_netcdf_atomic(_dataset(model, result, reference, config_json), out)
    if not quiet:
        print(f"wrote {out}: {len(temperatures)} temperatures, method {result.method}, {result.seconds:.1f} s")
    return 0
