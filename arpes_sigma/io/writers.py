"""Writing files: one atomic write (a temporary file in the target's folder, then ``os.replace``).

Every file the toolkit writes (result netCDF files, figures, fit-many parts and
manifests, thermal results) goes through :func:`atomic_write`, so an
interrupted or failed write never leaves a half file and never touches an
existing one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, describe

__all__ = ["atomic_write", "file_mode", "to_netcdf_atomic"]


def file_mode(target: str | os.PathLike) -> int:
    """Permission bits for a new file: the old file's, else 0o666 minus the umask."""
    try:
        return Path(target).stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def atomic_write(path: str | os.PathLike, write: Callable[[str], Any], *, suffix: str = ".tmp") -> Path:
    """Call ``write(tmp_path)`` on a temporary file, then move it over ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        Target file; its folder must exist.
    write : callable
        Writes the whole file to the temporary path it is given.
    suffix : str
        Suffix of the temporary file (for writers that infer the format
        from it, e.g. ``Figure.savefig``).

    Returns
    -------
    pathlib.Path
        ``path``. On any exception the temporary file is removed, ``path`` is
        left as it was, and the exception propagates.
    """
    target = Path(os.fspath(path))
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, file_mode(target))  # mkstemp makes 0600 files
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target




# --------------------------------------------------------------------------

def _split_complex(ds: xr.Dataset) -> xr.Dataset:
    """Replace complex data variables by real ``re_<name>`` / ``im_<name>`` pairs."""
    for name, c in ds.coords.items():
        if np.iscomplexobj(c.values):
            raise ArpesDataError(
                f"coordinate '{name}' is complex; store its real and imaginary parts as "
                f"separate real coordinates before writing")
    out = {}
    for name, var in ds.data_vars.items():
        if np.iscomplexobj(var.values):
            for prefix, part in (("re_", var.real), ("im_", var.imag)):
                new = f"{prefix}{name}"
                if new in ds.data_vars:
                    raise ArpesDataError(
                        f"cannot split complex variable '{name}': '{new}' already exists; "
                        f"rename one of them")
                part = part.copy()
                part.attrs = dict(var.attrs)
                out[new] = part
        else:
            out[name] = var
    return xr.Dataset(out, coords=ds.coords, attrs=ds.attrs)


def to_netcdf_atomic(obj: xr.Dataset | xr.DataArray, path: str | os.PathLike, *, protect: Any = ()) -> Path:
    """Write a Dataset/DataArray to netCDF (h5netcdf) without ever leaving a half file.

    The data are written to a temporary file in the target directory and
    moved over ``path`` with :func:`os.replace` only once complete; on any
    failure the temporary file is removed and an existing ``path`` is left
    untouched.

    Parameters
    ----------
    obj : xarray.Dataset or xarray.DataArray
        What to write. Complex data variables are stored as real
        ``re_<name>`` and ``im_<name>`` variables (netCDF has no complex type
        that other tools read); a complex unnamed DataArray becomes
        ``re_data`` / ``im_data``.
    path : str or os.PathLike
        Target file. Its directory must already exist.
    protect : iterable of str or os.PathLike, optional
        Files that must never be overwritten (typically the input data);
        writing to any of them (same file after resolving links) is refused.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ArpesDataError
        Missing directory, a protected target, complex coordinates, or any
        write failure (message says what went wrong).
    """
    target = Path(os.fspath(path)).expanduser()
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ArpesDataError(
            f"output directory {parent} does not exist; create it first (mkdir -p {parent}) "
            f"or choose another path")
    if target.is_dir():
        raise ArpesDataError(f"output path {target} is a directory; give a file name")
    if isinstance(protect, (str, os.PathLike)):
        protect = (protect,)
    resolved = target.resolve()
    for q in protect:
        qp = Path(os.fspath(q)).expanduser()
        same = qp.resolve() == resolved
        if not same and qp.exists() and target.exists():
            try:
                same = os.path.samefile(qp, target)
            except OSError:
                same = False
        if same:
            raise ArpesDataError(
                f"refusing to overwrite the input file {target}; choose a different output path")

    if isinstance(obj, xr.DataArray):
        if np.iscomplexobj(obj.values):
            ds = _split_complex(obj.to_dataset(name=obj.name if obj.name is not None else "data"))
        else:
            ds = None
    elif isinstance(obj, xr.Dataset):
        ds = _split_complex(obj)
    else:
        raise ArpesDataError(
            f"to_netcdf_atomic() writes xarray Datasets or DataArrays, got {type(obj).__name__}")

    data = obj if ds is None else ds
    try:
        atomic_write(target, lambda tmp: data.to_netcdf(tmp, engine="h5netcdf"))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise ArpesDataError(
            f"could not write {target} ({describe(exc)}); nothing was overwritten, check disk "
            f"space, permissions and that attrs are strings or numbers") from None
    return target
