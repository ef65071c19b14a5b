"""The ``arpes-sigma`` command: a thin shell over the library, one module per subcommand.

Subcommands: ``demo`` and ``fit`` (:mod:`arpes_sigma.cli.fit`), ``fit-many``
(:mod:`arpes_sigma.cli.many`), ``thermal`` (:mod:`arpes_sigma.cli.thermal`).
Bad input exits with status 2 and one line on stderr; no output file is
written in that case, and the input is never touched. Nothing numerical is
imported until a subcommand runs, so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import ArpesDataError, ConfigError
from . import fit, many, thermal

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``arpes-sigma``."""
    parser = argparse.ArgumentParser(
        prog="arpes-sigma",
        description="Extract the normal Σ11(ω) and anomalous W(ω) self-energies from ARPES spectra.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fit.register(sub)
    many.register(sub)
    thermal.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 some fit-many cuts failed, 2 bad input, 130 interrupted)."""
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
