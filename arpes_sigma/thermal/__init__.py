"""Thermal states of quantum spin models from purified (deep) Boltzmann machines.

Nomura, Yoshioka and Nori, Phys. Rev. Lett. 127, 060601 (2021): the Gibbs
state e^{−βH}/Z is the reduced state of a pure system + ancilla state
|ψ(β)⟩ = e^{−βH/2}|ψ(0)⟩ written as a Boltzmann machine; β = 0 is exact.

Modules (physics first, one way down):

models        transverse-field Ising chain, J1–J2 square lattice; H in local form
exact         Jordan–Wigner and exact diagonalisation of the Ising chain; reference dispatch
sectors       symmetry-block exact diagonalisation of the J1–J2 model
observables   canonical averages, autocorrelation times, blocking, jackknife
network       the explicit deterministic purified DBM (units, weights, biases)
contraction   exact summation of that network (small N)
sampling      Markov chains over the network's units; Metropolis for the variational machine
ansatz        the variational purified machine (ancilla along x)
propagation   stochastic reconfiguration / TDVP in imaginary time
variational   the variational evolution from β = 0 with measurements
driver        ``thermal(model, temperatures, ThermalConfig(method=...))``
"""

from __future__ import annotations

from .driver import METHODS, ThermalConfig, ThermalResult, thermal
from .exact import ExactThermo, ed_tfim, jw_tfim
from .models import J1J2Square, TransverseFieldIsing
from .network import PurifiedDBM, tfim_network
from .references import exact_reference
from .sectors import ed_j1j2

__all__ = [
    "METHODS",
    "TransverseFieldIsing",
    "J1J2Square",
    "ExactThermo",
    "ed_tfim",
    "jw_tfim",
    "ed_j1j2",
    "exact_reference",
    "PurifiedDBM",
    "tfim_network",
    "ThermalConfig",
    "ThermalResult",
    "thermal",
]
