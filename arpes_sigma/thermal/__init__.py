"""Thermal states of quantum spin models from purified deep Boltzmann machines.

Nomura, Yoshioka and Nori, Phys. Rev. Lett. 127, 060601 (2021): the Gibbs
state e^{−βH}/Z is the reduced state of a pure system + ancilla state
|ψ(β)⟩ = e^{−βH/2}|ψ(0)⟩, written as a deep Boltzmann machine; β = 0 is exact
and imaginary-time (Trotter) steps add hidden and deep units.

Submodules
----------
models       transverse-field Ising chain and J1–J2 square-lattice Heisenberg model
exact        exact diagonalisation (with symmetry sectors) and Jordan–Wigner references
purified     the purified DBM: exact factors, exact/probe/sampled evaluation
observables  thermal averages, blocking and jackknife errors
cli          the ``arpes-sigma thermal`` subcommand (``register(subparsers)``)
"""

from __future__ import annotations

from .exact import ExactThermo, ed_j1j2, ed_tfim, exact_reference, jw_tfim
from .models import J1J2Square, TransverseFieldIsing
from .purified import PurifiedConfig, PurifiedResult, network_size, purified_amplitudes, purified_thermal

__all__ = [
    "TransverseFieldIsing",
    "J1J2Square",
    "ExactThermo",
    "ed_tfim",
    "jw_tfim",
    "ed_j1j2",
    "exact_reference",
    "PurifiedConfig",
    "PurifiedResult",
    "purified_thermal",
    "purified_amplitudes",
    "network_size",
]
