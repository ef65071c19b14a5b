"""Scienta SES text exports (``.txt``): reading and writing.

Layout (what SES.exe writes with "Export → Text"; sections in this order)::

    [Info]                 Number of Regions=N, Version=...
    [Region r]             Region Name, Dimension d name/size/scale (d = 1, 2[, 3])
    [Info r]               Excitation Energy, Energy Scale, Pass Energy, Lens Mode,
                           Number of Sweeps, Step Time, Sample, Date, Time, ...
    [Run Mode Information r]
    [Data r]               one row per energy: the energy, then one intensity per angle

``Dimension 1`` is the energy (``Kinetic Energy [eV]``, or ``Binding Energy
[eV]`` with ``Energy Scale=Binding``); ``Dimension 2`` the angle along the
slit (``Y-Scale [deg]`` or ``Thetax [deg]``).

Why a parser of our own: ERLabPy 3.28 reads these files too
(``erlab.io.plugins.da30.load_txt``, used in the tests as an independent check
of this one), but it decodes strictly as UTF-8 (SES on Windows writes cp1252
in free-text fields such as ``Sample`` and ``Comments``), needs the optional
``Region Name``/``Dimension size`` lines, and reports a malformed file as a
``KeyError``/``ValueError`` without line numbers. Bad files here get one line
that names the line and the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, describe

__all__ = ["ANALYSER_ATTRS", "read_ses_text", "ses_sections", "write_ses_text"]

_SECTION = re.compile(r"^\[(.+)\]$")

#: SES ``[Info r]`` keys → canonical attrs (ERLabPy-style names), with their type.
ANALYSER_ATTRS: dict[str, tuple[str, type]] = {
    "Excitation Energy": ("hv", float),
    "Pass Energy": ("pass_energy", float),
    "Lens Mode": ("lens_mode", str),
    "Number of Sweeps": ("n_sweeps", int),
    "Step Time": ("step_time", float),
    "Energy Step": ("energy_step", float),
    "Acquisition Mode": ("acquisition_mode", str),
    "Sample": ("sample", str),
    "Date": ("date", str),
    "Time": ("time", str),
    "Instrument": ("instrument", str),
    "Location": ("location", str),
    "Comments": ("comments", str),
    "Spectrum Name": ("spectrum_name", str),
}


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArpesDataError(f"could not open {path} ({describe(exc)}); check the path and permissions") from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in raw[:4096]:
        raise ArpesDataError(f"{path} is a binary file, not an SES text export; check the file or its suffix")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # SES on Windows writes cp1252 in free text


def ses_sections(text: str) -> dict[str, tuple[int, list[tuple[int, str]]]]:
    """Split SES text into ``{section name: (header line number, [(line number, line), ...])}``.

    Lines keep their content but not their end-of-line; line numbers are 1-based.
    """
    sections: dict[str, tuple[int, list[tuple[int, str]]]] = {}
    current: list[tuple[int, str]] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        m = _SECTION.match(stripped)
        if m:
            name = m.group(1).strip()
            if name in sections:
                raise ArpesDataError(f"line {number}: section [{name}] appears twice; the file is not one SES export")
            current = []
            sections[name] = (number, current)
        elif current is not None:
            current.append((number, line))
    return sections


def _keys(lines: list[tuple[int, str]]) -> dict[str, tuple[int, str]]:
    out = {}
    for number, line in lines:
        key, sep, value = line.partition("=")
        if sep and key.strip():
            out[key.strip()] = (number, value.strip())
    return out


def _axis(path: Path, region: dict, d: int, where: str) -> tuple[str, np.ndarray]:
    name_key, size_key, scale_key = (f"Dimension {d} name", f"Dimension {d} size", f"Dimension {d} scale")
    if scale_key not in region:
        raise ArpesDataError(f"{path}: {where} has no '{scale_key}=' line; the export is incomplete, export it again")
    line, text = region[scale_key]
    try:
        values = np.asarray(text.split(), dtype=float)
    except ValueError:
        raise ArpesDataError(f"{path} line {line}: '{scale_key}' holds a non-number; fix the line") from None
    if size_key in region:
        sline, stext = region[size_key]
        try:
            size = int(float(stext))
        except ValueError:
            raise ArpesDataError(f"{path} line {sline}: '{size_key}={stext}' is not a number; fix the line") from None
        if size != values.size:
            raise ArpesDataError(
                f"{path} line {line}: '{scale_key}' has {values.size} values but '{size_key}' says {size}; "
                f"the file is truncated or edited, export it again")
    name = region.get(name_key, (0, f"Dimension {d}"))[1]
    return name, values


def _region_names(path: Path, sections: dict) -> list[int]:
    numbers = sorted(int(m.group(1)) for s in sections if (m := re.fullmatch(r"Region (\d+)", s)))
    if not numbers:
        raise ArpesDataError(
            f"{path} has no [Region 1] section; it is not an SES text export (SES → File → Export → Text)")
    return numbers


def _pick_region(path: Path, sections: dict, region: int | str | None) -> int:
    numbers = _region_names(path, sections)
    names = {r: _keys(sections[f"Region {r}"][1]).get("Region Name", (0, f"Region {r}"))[1] for r in numbers}
    if region is None:
        if len(numbers) == 1:
            return numbers[0]
        listing = ", ".join(f"{r}: {names[r]!r}" for r in numbers)
        raise ArpesDataError(
            f"{path} holds {len(numbers)} regions ({listing}); choose one with region=<number or name>")
    if isinstance(region, (int, np.integer)) and not isinstance(region, bool):
        if int(region) in numbers:
            return int(region)
    else:
        for r, n in names.items():
            if n == str(region):
                return r
    listing = ", ".join(f"{r}: {names[r]!r}" for r in numbers)
    raise ArpesDataError(f"{path} has no region {region!r} (regions: {listing}); choose one of those")


def _info_attrs(info: dict) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key, (name, kind) in ANALYSER_ATTRS.items():
        if key in info:
            text = info[key][1]
            try:
                attrs[name] = kind(float(text)) if kind is not str else text
            except ValueError:
                attrs[name] = text
    return attrs


def read_ses_text(path: str | os.PathLike, *, region: int | str | None = None,
                  work_function: float | None = None) -> xr.DataArray:
    """One region of an SES text export as a raw cut: dims ``("alpha", "eV")``, kinetic energy.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.txt`` file (read-only).
    region : int or str, optional
        Region number (1-based) or ``Region Name``; needed when the file holds
        several regions.
    work_function : float, optional
        Analyser work function, eV. Only for a region exported on the binding
        energy scale: E_kin = hν − φ − E_B. Kinetic-scale exports need nothing.

    Returns
    -------
    xarray.DataArray
        Intensity as written in the file (float64), dims ``("alpha", "eV")``:
        ``eV`` kinetic energy (eV), ``alpha`` analyser angle (degrees). attrs:
        ``hv`` (eV), ``pass_energy`` (eV), ``lens_mode``, ``n_sweeps``,
        ``step_time`` (ms), ``sample``, ``date``, ... (:data:`ANALYSER_ATTRS`),
        ``region_name``, ``energy_scale`` ("kinetic") and ``analyser_info``
        (every ``[Info r]`` line, as text).

    Raises
    ------
    ArpesDataError
        A file that is not an SES export, truncated or malformed (the message
        names the line), a region without an angle axis, or a binding-energy
        export without ``work_function``.
    """
    p = Path(os.fspath(path))
    sections = ses_sections(_decode(p))
    r = _pick_region(p, sections, region)
    reg = _keys(sections[f"Region {r}"][1])
    info = _keys(sections.get(f"Info {r}", (0, []))[1])
    where = f"[Region {r}]"
    dims = [d for d in (1, 2, 3) if f"Dimension {d} scale" in reg or f"Dimension {d} name" in reg]
    if dims and dims[0] != 1:
        raise ArpesDataError(f"{p}: {where} has no 'Dimension 1' (energy) lines; export the region again")
    e_name, energy = _axis(p, reg, 1, where)
    if len(dims) < 2:
        raise ArpesDataError(
            f"{p}: region {r} has no angle axis (only '{e_name}'): an angle-integrated spectrum; "
            f"measure or export the cut in an angular lens mode")
    if len(dims) > 2:
        raise ArpesDataError(
            f"{p}: region {r} has {len(dims)} dimensions (a map); export one cut (two dimensions: energy, angle)")
    a_name, angle = _axis(p, reg, 2, where)
    if "deg" not in a_name.lower() and "angle" not in a_name.lower() and "theta" not in a_name.lower():
        raise ArpesDataError(
            f"{p}: region {r} has no angle axis (dimension 2 is '{a_name}', not in degrees); "
            f"export the cut in an angular lens mode")
    if "energy" not in e_name.lower():
        raise ArpesDataError(f"{p}: dimension 1 of region {r} is '{e_name}', not an energy; export energy first")

    data_key = f"Data {r}"
    if data_key not in sections:
        raise ArpesDataError(f"{p}: region {r} has no [{data_key}] section; the export is incomplete")
    header_line, rows = sections[data_key]
    table = []
    for number, line in rows:
        cells = line.split()
        if not cells:
            continue
        if len(cells) != angle.size + 1:
            raise ArpesDataError(
                f"{p} line {number}: {len(cells)} numbers, expected {angle.size + 1} (the energy and one "
                f"intensity per angle); the file is truncated or edited, export it again")
        try:
            table.append([float(c) for c in cells])
        except ValueError:
            raise ArpesDataError(f"{p} line {number}: a cell is not a number; fix the line") from None
    if len(table) != energy.size:
        raise ArpesDataError(
            f"{p}: [{data_key}] (line {header_line}) has {len(table)} rows but the energy axis has {energy.size}; "
            f"the file is truncated, export it again")
    arr = np.asarray(table)
    if not np.allclose(arr[:, 0], energy, rtol=0, atol=1e-6 * max(1.0, float(np.abs(energy).max()))):
        raise ArpesDataError(f"{p}: the energies of [{data_key}] do not match 'Dimension 1 scale'; export it again")

    attrs = _info_attrs(info)
    scale = info.get("Energy Scale", (0, "Kinetic"))[1].strip().lower()
    if "binding" in e_name.lower() or scale.startswith("binding"):
        hv = attrs.get("hv")
        if work_function is None or not isinstance(hv, float):
            raise ArpesDataError(
                f"{p}: region {r} is on the binding-energy scale; pass work_function=<analyser work function, eV> "
                f"(and the file needs 'Excitation Energy') to convert it to kinetic energy, or export it kinetic")
        energy = hv - float(work_function) - energy
        attrs["history"] = f"binding energy converted to kinetic: hv - {float(work_function)} eV - E_B"
    attrs.update(
        region_name=reg.get("Region Name", (0, f"Region {r}"))[1],
        energy_scale="kinetic",
        analyser_info="\n".join(f"{k}={v}" for k, (_, v) in info.items()),
    )
    da = xr.DataArray(
        np.ascontiguousarray(arr[:, 1:].T),
        dims=("alpha", "eV"),
        coords={"alpha": ("alpha", angle, {"units": "deg", "long_name": a_name}),
                "eV": ("eV", energy, {"units": "eV", "long_name": "kinetic energy"})},
        name="intensity",
        attrs=attrs,
    )
    if da.sizes["eV"] > 1 and np.all(np.diff(energy) < 0):
        da = da.isel(eV=slice(None, None, -1))
    return da


_INFO_ORDER = ("Region Name", "Lens Mode", "Pass Energy", "Number of Sweeps", "Excitation Energy", "Energy Scale",
               "Acquisition Mode", "Energy Unit", "Center Energy", "Low Energy", "High Energy", "Energy Step",
               "Step Time", "Detector First X-Channel", "Detector Last X-Channel", "Detector First Y-Channel",
               "Detector Last Y-Channel", "Number of Slices", "File", "Sequence", "Spectrum Name", "Instrument",
               "Location", "User", "Sample", "Comments", "Date", "Time")


def _region_text(r: int, da: xr.DataArray) -> list[str]:
    if tuple(da.dims) != ("alpha", "eV"):
        raise ValueError(f"write_ses_text needs dims ('alpha', 'eV'), got {da.dims}")
    e = np.asarray(da["eV"].values, dtype=float)
    a = np.asarray(da["alpha"].values, dtype=float)
    name = str(da.attrs.get("region_name", da.name or f"Region{r}"))
    info = {"Region Name": name, "Energy Scale": "Kinetic", "Energy Unit": "Kinetic",
            "Acquisition Mode": "Swept", "Center Energy": f"{(e[0] + e[-1]) / 2:.5f}",
            "Low Energy": f"{e[0]:.5f}", "High Energy": f"{e[-1]:.5f}",
            "Energy Step": f"{(e[-1] - e[0]) / max(e.size - 1, 1):.6f}", "Number of Slices": str(a.size)}
    for key, (attr, _kind) in ANALYSER_ATTRS.items():
        if attr in da.attrs:
            info[key] = str(da.attrs[attr])
    lines = [f"[Region {r}]", f"Region Name={name}",
             "Dimension 1 name=Kinetic Energy [eV]", f"Dimension 1 size={e.size}",
             "Dimension 1 scale=" + " ".join(f"{x:.5f}" for x in e),
             "Dimension 2 name=Y-Scale [deg]", f"Dimension 2 size={a.size}",
             "Dimension 2 scale=" + " ".join(f"{x:.5f}" for x in a), "",
             f"[Info {r}]"]
    lines += [f"{k}={info[k]}" for k in _INFO_ORDER if k in info]
    lines += ["", f"[Run Mode Information {r}]", "Name=Normal", "", f"[Data {r}]"]
    values = np.asarray(da.transpose("alpha", "eV").values, dtype=float)
    for j, energy in enumerate(e):
        lines.append(f"  {energy:.5f}  " + "  ".join(f"{v:.8g}" for v in values[:, j]))
    return lines + [""]


def write_ses_text(path: str | os.PathLike, regions: xr.DataArray | Sequence[xr.DataArray]) -> Path:
    """Write one or more raw cuts as an SES text export (the layout :func:`read_ses_text` reads), atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Target ``.txt`` file (written through :func:`arpes_sigma.io.writers.atomic_write`).
    regions : xarray.DataArray or sequence of them
        Each with dims ``("alpha", "eV")`` (degrees, kinetic eV) and the attrs
        of :data:`ANALYSER_ATTRS` it has (``hv``, ``pass_energy``, ...).

    Returns
    -------
    pathlib.Path
        ``path``. Lines end in CRLF, as SES writes them.
    """
    from .writers import atomic_write

    items = [regions] if isinstance(regions, xr.DataArray) else list(regions)
    lines = ["[Info]", f"Number of Regions={len(items)}", "Version=1.3.1", ""]
    for r, da in enumerate(items, start=1):
        lines += _region_text(r, da)
    text = "\r\n".join(lines)

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    return atomic_write(path, write, suffix=".txt")
