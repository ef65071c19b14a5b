"""Public real measurements, fetched at run time with pooch (optional: ``pip install 'arpes_sigma[data]'``).

Nothing here is needed by the tests, and no data are stored in this
repository: each file is downloaded once from a URL pinned to a commit, checked
against its SHA-256 and cached (pooch's cache folder, or ``folder=``).

Bi2212, optimally doped film (T_c ≈ 80 K), 70 K, He-I (hν = 21.2 eV), SES text
exports as the analyser software wrote them, from the GitHub repository
`Francisco-UIC/Spin_fluctuations <https://github.com/Francisco-UIC/Spin_fluctuations>`_
(commit 47ac637e3a12ef41ad23553f524c25ed08d4f6f1), the data behind "Coupled
charge and spin excitations in the cuprates and their role in the
superconducting transition" (its README). The repository has no licence file:
the data are credited here, fetched from it at run time, and never copied.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError

__all__ = ["BI2212_OP80", "BI2212_URL", "fetch_bi2212"]

#: Where the files are read from (pinned to one commit, so the checksums hold).
BI2212_URL = ("https://raw.githubusercontent.com/Francisco-UIC/Spin_fluctuations/"
              "47ac637e3a12ef41ad23553f524c25ed08d4f6f1/")

#: file name → (role, SHA-256). The gold reference and two cuts of the 19 in the repository.
BI2212_OP80: dict[str, tuple[str, str]] = {
    "R99S10040.txt": ("gold", "c7d263246dc84218585e82be8228e303fc513f324f9a74b105c6fbd2d6aa8e8f"),
    "R99S10041.txt": ("near_nodal", "4f1cebf729eff2649e3341f27a77f3d0b12796120daf8fac9893ab46a9446690"),
    "R99S10057.txt": ("antinodal", "cb1c5b426f5e83529695c81e77810d6a14e61b01d3e99c11b47d9cc7a011f3ac"),
}

#: Conditions of the measurement (what a fit needs besides the files).
BI2212_CONDITIONS = {"sample_temp": 70.0, "hv": 21.2, "tc": 80.0}


def fetch_bi2212(cut: str = "antinodal", *, folder: str | os.PathLike | None = None) -> dict[str, Path]:
    """Download (once) the Bi2212 gold reference and one cut; returns their local paths.

    Parameters
    ----------
    cut : {"antinodal", "near_nodal"}
        Which cut.
    folder : path, optional
        Cache folder; default pooch's per-user cache (``arpes_sigma``).

    Returns
    -------
    dict
        ``{"gold": Path, "cut": Path}``; read them with :func:`arpes_sigma.read`,
        calibrate with ``arpes_sigma.calibrate(paths["gold"], 70.0)``.

    Raises
    ------
    ConfigError
        pooch is not installed, or ``cut`` is unknown.
    """
    roles = {role: name for name, (role, _sha) in BI2212_OP80.items()}
    if cut not in roles or cut == "gold":
        raise ConfigError(f"cut={cut!r} is not one of {sorted(r for r in roles if r != 'gold')}")
    try:
        import pooch
    except ImportError:
        raise ConfigError("fetching public data needs pooch: pip install 'arpes_sigma[data]' (or pip install pooch)"
                          ) from None
    store = pooch.create(path=folder if folder is not None else pooch.os_cache("arpes_sigma"), base_url=BI2212_URL,
                         registry={name: f"sha256:{sha}" for name, (_role, sha) in BI2212_OP80.items()})
    return {"gold": Path(store.fetch(roles["gold"])), "cut": Path(store.fetch(roles[cut]))}
