"""The ``arpes-sigma`` command: a thin shell over the library, one module per subcommand.

Subcommands: ``demo`` and ``fit`` (:mod:`arpes_sigma.cli.fit`), ``prepare``
(:mod:`arpes_sigma.cli.prepare`), ``fit-many``
(:mod:`arpes_sigma.cli.many`), ``thermal`` (:mod:`arpes_sigma.cli.thermal`),
``lecture`` (:mod:`arpes_sigma.cli.lecture`).
Bad input exits with status 2 and one line on stderr; no output file is
written in that case, and the input is never touched. Nothing numerical is
imported until a subcommand runs, so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import ArpesDataError, ConfigError
from . import fit, lecture, many, prepare, thermal

__all__ = ["build_parser", "clean_warnings", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``arpes-sigma``."""
    parser = argparse.ArgumentParser(
        prog="arpes-sigma",
        description="Extract the normal Σ11(ω) and anomalous W(ω) self-energies from ARPES spectra.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fit.register(sub)
    prepare.register(sub)
    many.register(sub)
    thermal.register(sub)
    lecture.register(sub)
    return parser


@contextlib.contextmanager
def clean_warnings() -> Iterator[None]:
    """Show each of our warnings (UserWarning) once, as one line ``arpes-sigma: warning: ...`` on stderr.

    Python's own format (file, line, source line) and repeats of the same
    text are for developers; other categories (deprecations in libraries)
    keep Python's handling.
    """
    seen: set[str] = set()
    previous = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None,
             line: str | None = None) -> None:
        if not issubclass(category, UserWarning) or issubclass(category, (DeprecationWarning, FutureWarning)):
            previous(message, category, filename, lineno, file, line)
            return
        text = " ".join(str(message).split())
        if text not in seen:
            seen.add(text)
            print(f"arpes-sigma: warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = show
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 some fit-many cuts failed, 2 bad input, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with clean_warnings():
            return int(args.func(args) or 0)
    except (ArpesDataError, ConfigError) as err:
        print(f"arpes-sigma: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("arpes-sigma: interrupted; no result written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
