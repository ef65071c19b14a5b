"""Pure ``jax.numpy`` physics: Nambu Green's functions, the instrument, Kramers–Kronig, the forward model.

Everything here takes and returns arrays, keeps no state, prints nothing and
survives ``jax.jit`` and ``jax.vmap``. Energies are in eV measured from E_F,
temperatures in K. :mod:`arpes_sigma.physics.band` (bare dispersions, numpy)
and :mod:`arpes_sigma.physics.renormalisation` (NumPy or JAX arrays)
need no JAX; the names below are imported lazily, so that reading and
preparing raw data (``arpes-sigma prepare``) never imports JAX.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_LAZY = {
    "observed": "forward",
    "anomalous_term": "greens",
    "nambu_g11": "greens",
    "sigma_total": "greens",
    "spectral_function": "greens",
    "background_sigma": "hidden_fermion",
    "hidden_fermion_sigma": "hidden_fermion",
    "particle_hole": "hidden_fermion",
    "K_B": "instrument",
    "fermi": "instrument",
    "gaussian_matrix": "instrument",
    "model_grid": "instrument",
    "observe": "instrument",
    "kk_matrix": "kramers_kronig",
    "kramers_kronig": "kramers_kronig",
    "norman_sigma": "norman",
    "quasiparticle_band": "renormalisation",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    """Keeps the function ``kramers_kronig`` when its submodule of the same name is imported.

    Importing a submodule sets the package attribute of its name to the
    module; an eager ``__init__`` rebound it to the function at once, a lazy
    one must refuse that one assignment instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and _LAZY[name] == name and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
