"""Igor Pro files (``.ibw`` binary waves, ``.pxt`` packed experiments) through igor2.

The wave scaling ``sfB + sfA * index`` gives each axis; the header's dimension
units become coordinate ``units`` attrs; ``key=value`` lines of the wave note
with a known metadata key become attrs (see :func:`arpes_sigma.io.readers.load`).
"""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import ArpesDataError, describe
from .contract import ENERGY_DIMS, META_KEYS, MOMENTUM_DIMS

__all__ = ["parse_note", "read_ibw", "read_pxt"]


def _igor_precheck(path: Path, raw: bytes) -> None:
    """Refuse obviously broken .ibw bytes before igor2 sees them."""
    size = len(raw)
    if size < 8:
        raise ArpesDataError(
            f"could not read {path} as an Igor binary wave (only {size} bytes); the file may "
            f"be truncated or not .ibw")
    for order in "<>":
        version = struct.unpack_from(order + "h", raw, 0)[0]
        if version in (1, 2, 3, 5):
            break
    else:
        raise ArpesDataError(
            f"could not read {path} as an Igor binary wave (unknown version field); the file "
            f"may be corrupt or not .ibw")
    if version == 5:
        if size < 64 + 320:
            raise ArpesDataError(
                f"could not read {path} as an Igor binary wave (header cut short); the file "
                f"may be truncated")
        wfm = struct.unpack_from(order + "l", raw, 4)[0]
        need = 64 + wfm
    else:
        wfm = struct.unpack_from(order + "l", raw, 2)[0]
        need = wfm  # versions 1-3 count the headers inside wfmSize
    if wfm <= 0 or need > size:
        raise ArpesDataError(
            f"could not read {path} as an Igor binary wave (header promises {need} bytes, "
            f"file has {size}); the file may be truncated or corrupt")


def _igor_text(b) -> str:
    if isinstance(b, (bytes, bytearray)):
        return bytes(b).split(b"\x00", 1)[0].decode("latin-1").strip()
    arr = np.asarray(b)
    if arr.dtype.kind == "S":
        return b"".join(arr.ravel().tolist()).split(b"\x00", 1)[0].decode("latin-1").strip()
    return str(b).strip()


_NOTE_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(.+?)\s*$")


def parse_note(note: str) -> dict:
    """``key=value`` lines of a wave note / text comment with a known metadata key."""
    out = {}
    for line in re.split(r"[\r\n;]+", note):
        m = _NOTE_LINE.match(line)
        if m and m.group(1) in META_KEYS + ("eps_k",):
            try:
                out[m.group(1)] = float(m.group(2).split()[0])
            except ValueError:
                continue
    return out


def _wave_to_dataarray(wave: dict, path: Path) -> xr.DataArray:
    """Build a DataArray from an igor2 wave dict (``load(...)['wave']``).

    Axis naming rule (documented in :func:`load`): a dimension label that is
    an accepted energy/momentum name wins; otherwise the one axis whose
    units are ``eV``/``meV`` is energy; otherwise the first axis (Igor's
    rows, "x") is energy. Non-energy axes are ``k`` (``alpha`` if the units
    look like degrees).
    """
    head = wave["wave_header"]
    data = np.asarray(wave["wData"])
    if data.dtype.kind in "SUO" or data.dtype.names is not None:
        raise ArpesDataError(
            f"{path} holds a text or complex-integer Igor wave; save the intensity as a "
            f"real numeric wave")
    data = data.astype(data.dtype.newbyteorder("="), copy=True)
    ndim = data.ndim
    name = _igor_text(head.get("bname", b"")) or None
    if "sfA" in head:  # version 5: per-dimension scaling
        sfa = [float(x) for x in head["sfA"]]
        sfb = [float(x) for x in head["sfB"]]
        raw_units = list(head.get("dimUnits", [b""] * 4))
        units = [_igor_text(u) for u in raw_units][:4]
        ext = wave.get("dimension_units") or []
        ext = list(ext) if isinstance(ext, list) else []
        bh = wave.get("bin_header", {})
        if any(bh.get("dimEUnitsSize", [0] * 4)):
            it = iter(ext)
            for d, sz in enumerate(bh["dimEUnitsSize"]):
                if sz:
                    units[d] = _igor_text(next(it, b""))
        labels = []
        for d in range(4):
            lab = wave.get("labels") or []
            dl = lab[d] if d < len(lab) else []
            labels.append(_igor_text(dl[0]) if dl else "")
    else:  # versions 1-3: one dimension
        sfa = [float(head["hsA"])] + [1.0] * 3
        sfb = [float(head["hsB"])] + [0.0] * 3
        units = [_igor_text(head.get("xUnits", b""))] + [""] * 3
        labels = [""] * 4

    def is_energy_unit(u):
        return u.lower() in ("ev", "mev")

    e_axis = next((d for d in range(ndim) if labels[d] in ENERGY_DIMS), None)
    if e_axis is None:
        cand = [d for d in range(ndim) if is_energy_unit(units[d])]
        e_axis = cand[0] if len(cand) == 1 else 0
    dims, coords = [], {}
    momentum_named = False
    for d in range(ndim):
        if d == e_axis:
            dim = labels[d] if labels[d] in ENERGY_DIMS else "eV"
        elif not momentum_named:
            momentum_named = True
            if labels[d] in MOMENTUM_DIMS:
                dim = labels[d]
            elif units[d].lower() in ("deg", "degree", "degrees", "\u00b0"):
                dim = "alpha"
            else:
                dim = "k"
        else:
            dim = labels[d] or f"dim_{d}"
        if dim in dims:
            dim = f"dim_{d}"
        n = data.shape[d]
        attrs = {"units": units[d]} if units[d] else {}
        if labels[d] and labels[d] != dim:
            attrs["long_name"] = labels[d]
        coords[dim] = xr.Variable((dim,), sfb[d] + sfa[d] * np.arange(n), attrs)
        dims.append(dim)
    attrs = {}
    note = _igor_text(wave.get("note", b"")) if wave.get("note") is not None else ""
    note = note.replace("\r\n", "\n").replace("\r", "\n")
    if note:
        meta = parse_note(note)
        eps = meta.pop("eps_k", None)
        attrs.update(meta)
        attrs["note"] = note
        if eps is not None and ndim == 1:
            coords["eps_k"] = eps
    return xr.DataArray(data, dims=dims, coords=coords, name=name, attrs=attrs)


def read_ibw(path: Path) -> xr.DataArray:
    """An Igor binary wave (``.ibw``, versions 1–5) as a DataArray (axes named by :func:`_wave_to_dataarray`)."""
    from igor2 import binarywave

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArpesDataError(f"could not open {path} ({describe(exc)}); check permissions") from None
    _igor_precheck(path, raw)
    try:
        wave = binarywave.load(io.BytesIO(raw))["wave"]
    except Exception as exc:
        raise ArpesDataError(
            f"could not read {path} as an Igor binary wave ({describe(exc)}); the file may be "
            f"truncated or not .ibw") from None
    return _wave_to_dataarray(wave, path)


def read_pxt(path: Path, variable: str | None) -> xr.DataArray:
    """One wave of an Igor packed experiment (``.pxt``): ``variable``, or the only (2-D) wave."""
    from igor2 import packed
    from igor2.record.wave import WaveRecord

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArpesDataError(f"could not open {path} ({describe(exc)}); check permissions") from None
    ok = len(raw) >= 8
    if ok:
        for order in "<>":
            rtype, _ver, nbytes = struct.unpack_from(order + "Hhl", raw, 0)
            if (rtype & 0x7FFF) in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 101) and \
                    0 <= nbytes <= len(raw) - 8:
                break
        else:
            ok = False
    if not ok:
        raise ArpesDataError(
            f"could not read {path} as an Igor packed experiment (bad record header); the file "
            f"may be truncated or not .pxt")
    try:
        records, _fs = packed.load(io.BytesIO(raw))
    except Exception as exc:
        raise ArpesDataError(
            f"could not read {path} as an Igor packed experiment ({describe(exc)}); the file may "
            f"be truncated or not .pxt") from None
    waves = [r.wave["wave"] for r in records if isinstance(r, WaveRecord)]
    names = [_igor_text(w["wave_header"].get("bname", b"")) for w in waves]
    if variable is not None:
        if variable not in names:
            raise ArpesDataError(
                f"{path} has no wave '{variable}' (waves: {', '.join(names) or 'none'}); pass "
                f"variable= one of those")
        return _wave_to_dataarray(waves[names.index(variable)], path)
    if not waves:
        raise ArpesDataError(f"{path} holds no waves; export the spectrum from Igor as .ibw")
    multi = [i for i, w in enumerate(waves) if np.asarray(w["wData"]).ndim >= 2]
    if len(waves) == 1:
        return _wave_to_dataarray(waves[0], path)
    if len(multi) == 1:
        return _wave_to_dataarray(waves[multi[0]], path)
    raise ArpesDataError(
        f"{path} holds several waves ({', '.join(names)}); choose one with "
        f"load(path, variable=name)")


