"""The cheapest exact reference for a thermal model: one place that knows every exact method.

Jordan–Wigner and dense exact diagonalisation live in :mod:`.exact`, the
symmetry-sector diagonalisation of J1–J2 in :mod:`.sectors`; this module picks
between them, so neither of those imports the other.
"""

from __future__ import annotations

import numpy.typing as npt

from ..errors import ConfigError
from .exact import ExactThermo, ed_tfim, jw_tfim
from .models import J1J2Square, TransverseFieldIsing
from .sectors import ed_j1j2

__all__ = ["exact_reference"]


def exact_reference(
    model: TransverseFieldIsing | J1J2Square, temperatures: npt.ArrayLike
) -> ExactThermo | None:
    """The cheapest exact reference for a model, or None when none is feasible.

    TFIM: Jordan–Wigner (periodic N ≥ 3 or open); dense ED for periodic N = 2.
    J1–J2: sector ED up to 16 sites.
    """
    if isinstance(model, TransverseFieldIsing):
        if model.periodic and model.n_sites < 3:
            return ed_tfim(model, temperatures)
        return jw_tfim(model, temperatures)
    if isinstance(model, J1J2Square):
        if model.n_sites <= 16:
            return ed_j1j2(model, temperatures)
        return None
    raise ConfigError(f"unknown model {type(model).__name__}; use TransverseFieldIsing or J1J2Square")
