"""Which reader a path needs, from its suffix and first bytes — without xarray.

Importing xarray (and pandas under it) takes ~0.75 s; a missing file, an
unknown suffix or a ``.nc`` that is not netCDF should be refused before that,
so the CLI checks its input here first and :func:`arpes_sigma.io.readers.load`
uses the same checks.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ArpesDataError, describe

__all__ = ["NETCDF_EXTENSIONS", "RAW_EXTENSIONS", "SUPPORTED_EXTENSIONS", "TEXT_EXTENSIONS", "input_file",
           "netcdf_engine", "raw_file"]

NETCDF_EXTENSIONS: tuple[str, ...] = (".nc", ".h5", ".hdf5")
TEXT_EXTENSIONS: tuple[str, ...] = (".txt", ".csv", ".dat")
#: File suffixes :func:`arpes_sigma.load` understands (case-insensitive).
SUPPORTED_EXTENSIONS: tuple[str, ...] = (*NETCDF_EXTENSIONS, ".ibw", ".pxt", *TEXT_EXTENSIONS)

#: Raw analyser files :func:`arpes_sigma.read` understands: SES text, SES Igor waves, DA30 archives.
RAW_EXTENSIONS: tuple[str, ...] = (".txt", ".ibw", ".pxt", ".zip")

#: The HDF5 format signature; it sits at byte 0 or, after a user block, at 512, 1024, 2048, ...
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def input_file(path: str | os.PathLike, supported: tuple[str, ...] = SUPPORTED_EXTENSIONS, *, kind: str = "file",
               hint: str = "or build an xarray.DataArray and call validate()") -> Path:
    """The path of an existing data file with a supported suffix, or one clear :class:`ArpesDataError`.

    Parameters
    ----------
    path : str or os.PathLike
        The file name as given by the user (``~`` is expanded).
    supported : tuple of str, optional
        Lower-case suffixes accepted.
    kind, hint : str, optional
        How an unsupported suffix is reported: "unsupported {kind} type '.x' for
        PATH; supported: ... ({hint})".

    Returns
    -------
    pathlib.Path
    """
    try:
        p = Path(os.fspath(path)).expanduser()
    except TypeError:
        raise ArpesDataError(
            f"path must be a file name, got {type(path).__name__}; pass a str or pathlib.Path"
        ) from None
    if not p.exists():
        raise ArpesDataError(f"file not found: {p}; check the path")
    if p.is_dir():
        raise ArpesDataError(f"{p} is a directory; pass the path of a data file inside it")
    ext = p.suffix.lower()
    if ext not in supported:
        raise ArpesDataError(
            f"unsupported {kind} type '{ext or '(no suffix)'}' for {p}; supported: {', '.join(supported)} ({hint})")
    if ext in NETCDF_EXTENSIONS:
        netcdf_engine(p)
    return p


def raw_file(path: str | os.PathLike) -> Path:
    """:func:`input_file` for a raw analyser file (:data:`RAW_EXTENSIONS`)."""
    return input_file(path, RAW_EXTENSIONS, kind="raw file",
                      hint="read() takes SES/DA30 files; analysis-ready netCDF/text cuts go through arpes_sigma.load")


def netcdf_engine(path: Path) -> str:
    """The xarray engine for a netCDF file: ``"scipy"`` for classic netCDF-3, ``"h5netcdf"`` for netCDF-4/HDF5.

    Raises
    ------
    ArpesDataError
        The file cannot be opened, or starts with neither the netCDF-3 (``CDF``)
        nor the HDF5 signature.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if head[:3] == b"CDF":
                return "scipy"
            offset = 0
            while len(head) == 8:
                if head == _HDF5_SIGNATURE:
                    return "h5netcdf"
                offset = 512 if offset == 0 else 2 * offset
                f.seek(offset)
                head = f.read(8)
    except OSError as exc:
        raise ArpesDataError(f"could not open {path} ({describe(exc)}); check permissions") from None
    raise ArpesDataError(
        f"could not read {path} as netCDF: it starts with neither the netCDF nor the HDF5 signature, so it is "
        f"not netCDF/HDF5; pass a file written by to_netcdf, or give it the suffix of its real format")
