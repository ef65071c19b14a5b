"""The ``arpes-sigma`` command (see :mod:`arpes_sigma.cli.main`)."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
