"""The ``arpes-sigma`` command (entry point :func:`arpes_sigma.cli.main.main`)."""
