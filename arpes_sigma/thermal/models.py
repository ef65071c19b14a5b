"""Spin Hamiltonians used by the thermal (purified Boltzmann machine) code.

Conventions (used everywhere in :mod:`arpes_sigma.thermal`)
-----------------------------------------------------------
* Units: k_B = 1, energies and temperatures in units of the couplings.
* Basis: a configuration of ``n`` spins is the integer ``x`` in
  ``[0, 2**n)``; bit ``i`` of ``x`` is site ``i`` and the σᶻ eigenvalue is
  ``s_i = 1 - 2 * bit_i`` (bit clear = spin up = +1).
* Pauli matrices σ^{x,y,z} for the transverse-field Ising chain; spin-1/2
  operators **S = σ/2** for the Heisenberg model, so that a single bond has
  S_i·S_j = +1/4 in the triplet and −3/4 in the singlet.

Models
------
:class:`TransverseFieldIsing`
    H = −J Σ_i σᶻ_i σᶻ_{i+1} − h Σ_i σˣ_i on a chain of N sites, periodic
    (σ_{N+1} ≡ σ_1) by default or open.
:class:`J1J2Square`
    H = J1 Σ_⟨ij⟩ S_i·S_j + J2 Σ_⟨⟨ij⟩⟩ S_i·S_j on an Lx × Ly periodic square
    cluster (nearest and next-nearest, i.e. diagonal, neighbours), the model
    studied at finite temperature by Nomura, Yoshioka and Nori,
    Phys. Rev. Lett. 127, 060601 (2021).

Both are frozen dataclasses validated on construction; bad values raise
:class:`arpes_sigma.errors.ConfigError` with a one-line message.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..errors import ConfigError

__all__ = [
    "LocalTerms",
    "TransverseFieldIsing",
    "J1J2Square",
    "spin_configurations",
    "flip_permutations",
    "swap_permutations",
    "MAX_DENSE_SITES",
]

#: Largest number of spins for which a dense 2^N × 2^N matrix is built.
MAX_DENSE_SITES = 12


@dataclasses.dataclass(frozen=True)
class LocalTerms:
    """H in the form a local-energy estimator needs (σᶻ basis).

    ``H|σ⟩ = diag(σ)|σ⟩ + Σ_k amp_k(σ) |σ with the sites of move k flipped⟩``, where

    * diag(σ) = Σ_b ``diag_coef[b]`` σ_i σ_j over ``diag_bonds[b]`` = (i, j);
    * move k flips ``move_sites[k]`` = (i, j) (both; j = −1 for a single site i)
      with amplitude ``move_coef[k]``, times [σ_i ≠ σ_j] when ``antiparallel_only``
      (the exchange part ½ J (S⁺S⁻ + h.c.) of a Heisenberg bond).

    Attributes
    ----------
    diag_bonds : numpy.ndarray, int32, shape (B, 2)
    diag_coef : numpy.ndarray, float64, shape (B,)
    move_sites : numpy.ndarray, int32, shape (K, 2)
    move_coef : numpy.ndarray, float64, shape (K,)
    antiparallel_only : bool
    """

    diag_bonds: np.ndarray
    diag_coef: np.ndarray
    move_sites: np.ndarray
    move_coef: np.ndarray
    antiparallel_only: bool


def _check_finite(name: str, value: object) -> None:
    if not isinstance(value, (int, float, np.floating, np.integer)) or not math.isfinite(float(value)):
        raise ConfigError(f"{name} must be a finite real number, got {value!r}; pass e.g. {name}=1.0")


def spin_configurations(n_sites: int) -> np.ndarray:
    """All σᶻ configurations of ``n_sites`` spins in basis order.

    Parameters
    ----------
    n_sites : int
        Number of spins N.

    Returns
    -------
    numpy.ndarray
        int8 array, shape (2**N, N), entries ±1; row ``x`` is configuration
        ``x`` with ``s_i = 1 - 2 * ((x >> i) & 1)``.
    """
    x = np.arange(2**n_sites, dtype=np.int64)[:, None]
    bits = (x >> np.arange(n_sites)) & 1
    return (1 - 2 * bits).astype(np.int8)


def flip_permutations(n_sites: int) -> np.ndarray:
    """Index maps of σˣ_i: row ``i`` maps configuration ``x`` to ``x`` with spin ``i`` flipped.

    Returns
    -------
    numpy.ndarray
        int32 array, shape (N, 2**N); ``(σˣ_i ψ)[x] = ψ[perm[i, x]]``.
    """
    x = np.arange(2**n_sites, dtype=np.int64)
    return np.stack([x ^ (1 << i) for i in range(n_sites)]).astype(np.int32)


def swap_permutations(bonds: np.ndarray, n_sites: int) -> np.ndarray:
    """Index maps of the exchange operators P_ij (swap spins i and j).

    Parameters
    ----------
    bonds : array_like of int, shape (B, 2)
    n_sites : int

    Returns
    -------
    numpy.ndarray
        int32 array, shape (B, 2**N); ``(P_b ψ)[x] = ψ[perm[b, x]]``.
    """
    x = np.arange(2**n_sites, dtype=np.int64)
    out = []
    for i, j in np.asarray(bonds):
        differ = ((x >> i) ^ (x >> j)) & 1
        out.append(x ^ (differ * ((1 << int(i)) | (1 << int(j)))))
    return np.stack(out).astype(np.int32)


@dataclasses.dataclass(frozen=True)
class TransverseFieldIsing:
    """1D transverse-field Ising chain H = −J Σ σᶻ_i σᶻ_{i+1} − h Σ σˣ_i.

    Parameters
    ----------
    n_sites : int
        Number of spins N ≥ 2.
    coupling : float
        Ising coupling J (J > 0 ferromagnetic).
    field : float
        Transverse field h.
    periodic : bool
        Periodic chain (bond N−1 — 0 included) when True, open chain otherwise.
        For N = 2 the periodic chain has the bond (0, 1) twice.
    """

    n_sites: int
    coupling: float = 1.0
    field: float = 1.0
    periodic: bool = True

    def __post_init__(self):
        if not isinstance(self.n_sites, (int, np.integer)) or isinstance(self.n_sites, bool) or self.n_sites < 2:
            raise ConfigError(f"n_sites must be an integer >= 2, got {self.n_sites!r}; use at least two spins")
        _check_finite("coupling", self.coupling)
        _check_finite("field", self.field)

    name = "tfim"

    @property
    def bonds(self) -> np.ndarray:
        """Nearest-neighbour bonds (i, i+1), shape (B, 2), B = N (periodic) or N − 1 (open)."""
        n = self.n_sites
        last = n if self.periodic else n - 1
        return np.array([(i, (i + 1) % n) for i in range(last)], dtype=np.int32)

    def diagonal(self) -> np.ndarray:
        """Diagonal (Ising) part −J Σ s_i s_j of every configuration, shape (2**N,)."""
        s = spin_configurations(self.n_sites).astype(np.float64)
        b = self.bonds
        return -self.coupling * np.sum(s[:, b[:, 0]] * s[:, b[:, 1]], axis=1)

    def dense(self) -> np.ndarray:
        """The Hamiltonian as a dense real symmetric matrix, shape (2**N, 2**N).

        Raises
        ------
        ConfigError
            If N > :data:`MAX_DENSE_SITES`.
        """
        _guard_dense(self.n_sites)
        dim = 2**self.n_sites
        h = np.diag(self.diagonal())
        flips = flip_permutations(self.n_sites)
        rows = np.arange(dim)
        for perm in flips:
            h[rows, perm] -= self.field
        return h

    def local_terms(self) -> LocalTerms:
        """Diagonal Ising bonds −J s_i s_j and single-site flips −h σˣ_i (see :class:`LocalTerms`)."""
        n = self.n_sites
        sites = np.stack([np.arange(n), np.full(n, -1)], axis=1).astype(np.int32)
        return LocalTerms(
            self.bonds, np.full(len(self.bonds), -float(self.coupling)), sites, np.full(n, -float(self.field)), False
        )



@dataclasses.dataclass(frozen=True)
class J1J2Square:
    """J1–J2 Heisenberg model on a periodic Lx × Ly square cluster.

    H = J1 Σ_⟨ij⟩ S_i·S_j + J2 Σ_⟨⟨ij⟩⟩ S_i·S_j with S = σ/2 (spin 1/2),
    ⟨ij⟩ nearest neighbours along x and y, ⟨⟨ij⟩⟩ the two diagonals. Site
    index ``i = x + Lx * y``. Each site owns the bonds to (x+1, y), (x, y+1),
    (x+1, y+1) and (x+1, y−1): 2N nearest and 2N next-nearest bonds.

    Parameters
    ----------
    lx, ly : int
        Cluster size, each ≥ 3 (smaller periodic sizes would count bonds twice).
    j1, j2 : float
        Exchange couplings (J1 > 0 antiferromagnetic).
    """

    lx: int
    ly: int
    j1: float = 1.0
    j2: float = 0.0

    def __post_init__(self):
        for name in ("lx", "ly"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 3:
                raise ConfigError(f"{name} must be an integer >= 3, got {v!r}; use a cluster of at least 3 x 3 sites")
        _check_finite("j1", self.j1)
        _check_finite("j2", self.j2)

    name = "j1j2"

    @property
    def n_sites(self) -> int:
        """Number of spins N = Lx Ly."""
        return self.lx * self.ly

    def _site(self, x, y):
        return (x % self.lx) + self.lx * (y % self.ly)

    @property
    def nn_bonds(self) -> np.ndarray:
        """Nearest-neighbour bonds, shape (2N, 2)."""
        out = []
        for y in range(self.ly):
            for x in range(self.lx):
                i = self._site(x, y)
                out += [(i, self._site(x + 1, y)), (i, self._site(x, y + 1))]
        return np.array(out, dtype=np.int32)

    @property
    def nnn_bonds(self) -> np.ndarray:
        """Next-nearest (diagonal) bonds, shape (2N, 2)."""
        out = []
        for y in range(self.ly):
            for x in range(self.lx):
                i = self._site(x, y)
                out += [(i, self._site(x + 1, y + 1)), (i, self._site(x + 1, y - 1))]
        return np.array(out, dtype=np.int32)

    @property
    def bonds(self) -> np.ndarray:
        """All bonds, nearest first, shape (4N, 2)."""
        return np.concatenate([self.nn_bonds, self.nnn_bonds])

    @property
    def bond_couplings(self) -> np.ndarray:
        """Exchange constant of each bond in :attr:`bonds`, shape (4N,)."""
        n = self.n_sites
        return np.concatenate([np.full(2 * n, float(self.j1)), np.full(2 * n, float(self.j2))])

    def translations(self) -> tuple[np.ndarray, np.ndarray]:
        """Site permutations of all Lx Ly lattice translations.

        Returns
        -------
        perms : numpy.ndarray
            int64, shape (Lx Ly, N); ``perms[t, i]`` is the image of site i.
        vectors : numpy.ndarray
            int64, shape (Lx Ly, 2); the translation (a, b) of each row.
        """
        perms, vecs = [], []
        for b in range(self.ly):
            for a in range(self.lx):
                perms.append([self._site(x + a, y + b) for y in range(self.ly) for x in range(self.lx)])
                vecs.append((a, b))
        return np.array(perms, dtype=np.int64), np.array(vecs, dtype=np.int64)

    def diagonal(self) -> np.ndarray:
        """Diagonal part Σ_b J_b s_i s_j / 4 of every configuration, shape (2**N,)."""
        s = spin_configurations(self.n_sites).astype(np.float64)
        b = self.bonds
        return 0.25 * np.sum(self.bond_couplings * s[:, b[:, 0]] * s[:, b[:, 1]], axis=1)

    def dense(self) -> np.ndarray:
        """The Hamiltonian as a dense real symmetric matrix, shape (2**N, 2**N).

        Uses S_i·S_j = P_ij / 2 − 1/4 with P_ij the exchange (swap) operator.

        Raises
        ------
        ConfigError
            If N > :data:`MAX_DENSE_SITES`.
        """
        _guard_dense(self.n_sites)
        dim = 2**self.n_sites
        h = np.zeros((dim, dim))
        rows = np.arange(dim)
        for jb, perm in zip(self.bond_couplings, swap_permutations(self.bonds, self.n_sites), strict=True):
            h[rows, perm] += 0.5 * jb
            h[rows, rows] -= 0.25 * jb
        return h

    def local_terms(self) -> LocalTerms:
        """S_i·S_j = s_i s_j / 4 + ½ (S⁺S⁻ + h.c.) per bond (see :class:`LocalTerms`); J = 0 bonds dropped."""
        keep = self.bond_couplings != 0
        bonds, jb = self.bonds[keep], self.bond_couplings[keep]
        return LocalTerms(bonds, 0.25 * jb, bonds, 0.5 * jb, True)



def _guard_dense(n):
    if n > MAX_DENSE_SITES:
        raise ConfigError(
            f"a dense Hamiltonian for {n} spins needs 2^{2 * n} entries; use at most {MAX_DENSE_SITES} sites "
            "or the sector/Jordan-Wigner references in arpes_sigma.thermal.exact"
        )
