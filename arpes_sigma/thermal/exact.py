"""Exact thermal references: exact diagonalisation and the Jordan–Wigner solution.

Functions return a :class:`ExactThermo` with per-site energy and specific heat
(fluctuation formula C = (⟨H²⟩ − ⟨H⟩²)/(N T²), k_B = 1) and, where cheap,
magnetisations.

Transverse-field Ising chain
----------------------------
* :func:`ed_tfim` — dense diagonalisation (N ≤ 12), with ⟨σˣ⟩ and
  ⟨(Σσᶻ/N)²⟩.
* :func:`jw_tfim` — free fermions (Lieb, Schultz, Mattis, Ann. Phys. 16, 407
  (1961); Pfeuty, Ann. Phys. 57, 79 (1970)), any N.

  A global Hadamard maps H to −J Σ X_i X_{i+1} − h Σ Z_i. With
  Z_i = 1 − 2 n_i and X_i = Π_{j<i}(1 − 2 n_j)(c_i + c_i†), a bulk bond is
  (c_i† − c_i)(c_{i+1}† + c_{i+1}), and the closing bond of a periodic chain is
  the same with c_{N+1} ≡ −P c_1, P = Π_j (1 − 2 n_j) = (−1)^{N_f}. So the
  even-parity sector (P = +1) sees antiperiodic fermions, k = (2n+1)π/N, and
  the odd sector (P = −1) periodic ones, k = 2πn/N. Projecting with
  (1 ± P)/2,

      Z = ½ [Tr e^{−βH_A} + Tr P e^{−βH_A}] + ½ [Tr e^{−βH_P} − Tr P e^{−βH_P}].

  In a sector, with ξ_k = 2(h − J cos k) and E_k = 2√(J² + h² − 2Jh cos k),
  a pair (k, −k), 0 < k < π, has levels ξ_k − E_k (even), ξ_k (twice, odd),
  ξ_k + E_k (even); an unpaired k ∈ {0, π} has levels 0 (even) and ξ_k (odd);
  the constant is −hN. Hence

      Tr e^{−βH}   = e^{βhN} Π_pairs e^{−β(ξ−E)} (1 + e^{−βE})² Π_unpaired (1 + e^{−βξ})
      Tr P e^{−βH} = e^{βhN} Π_pairs e^{−β(ξ−E)} (1 − e^{−βE})² Π_unpaired (1 − e^{−βξ}).

  Numerically the difference ½[Tr − Tr P] cancels catastrophically at low T
  (e.g. an odd frustrated ring), so the code evaluates the same two parity-
  projected sums with a recursion over modes that only adds positive numbers
  (:func:`_parity_sums`), carrying exact β-derivatives alongside, so that
  ⟨H⟩ = −∂_β ln Z and ⟨H²⟩ − ⟨H⟩² = ∂²_β ln Z. The open chain has no parity
  constraint and uses the Bogoliubov energies Λ_k, Λ² = eig[(A − B)(A + B)].

J1–J2 Heisenberg model
----------------------
:func:`arpes_sigma.thermal.sectors.ed_j1j2` (symmetry blocks);
:func:`exact_reference` picks the cheapest exact method for a model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError
from .models import TransverseFieldIsing, flip_permutations, spin_configurations
from .observables import canonical_averages

__all__ = ["ExactThermo", "ed_tfim", "exact_temperatures", "jw_tfim"]


@dataclasses.dataclass(frozen=True)
class ExactThermo:
    """Exact thermal curves.

    Attributes
    ----------
    temperature : numpy.ndarray, shape (T,)
    energy : numpy.ndarray, shape (T,)
        ⟨H⟩ / N.
    specific_heat : numpy.ndarray, shape (T,)
        (⟨H²⟩ − ⟨H⟩²) / (N T²).
    observables : dict[str, numpy.ndarray]
        Extra curves, each shape (T,) (e.g. ``mx`` = ⟨σˣ_i⟩,
        ``mz2`` = ⟨(Σ σᶻ_i / N)²⟩, ``sz2`` = ⟨(S^z_tot)²⟩ / N).
    method : str
        ``"ed"``, ``"ed-sectors"`` or ``"jordan-wigner"``.
    """

    temperature: np.ndarray
    energy: np.ndarray
    specific_heat: np.ndarray
    observables: dict
    method: str


def exact_temperatures(temperatures: npt.ArrayLike) -> np.ndarray:
    """Temperatures as float64, shape (T,); :class:`ConfigError` unless all finite and > 0."""
    t = np.atleast_1d(np.asarray(temperatures, dtype=np.float64))
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ConfigError("temperatures must be a non-empty list of finite values > 0; e.g. 0.25,0.5,1")
    return t


def ed_tfim(model: TransverseFieldIsing, temperatures: npt.ArrayLike) -> ExactThermo:
    """Dense exact diagonalisation of the transverse-field Ising chain.

    Parameters
    ----------
    model : TransverseFieldIsing
        N ≤ 12.
    temperatures : array_like, shape (T,)

    Returns
    -------
    ExactThermo
        observables ``mx`` = ⟨σˣ_i⟩ (site average) and ``mz2`` = ⟨(Σσᶻ/N)²⟩.
    """
    t = exact_temperatures(temperatures)
    n = model.n_sites
    h = model.dense()
    evals, evecs = np.linalg.eigh(h)
    # diagonal matrix elements of Mx = Σ σˣ / N and Mz² in the eigenbasis
    flips = flip_permutations(n)
    mx_op_v = sum(evecs[perm] for perm in flips) / n
    mx = np.einsum("ij,ij->j", evecs, mx_op_v)
    mz = spin_configurations(n).sum(axis=1).astype(np.float64) / n
    mz2 = np.einsum("ij,i,ij->j", evecs, mz**2, evecs)
    avg = canonical_averages(evals, t, n, {"mx": mx, "mz2": mz2})
    return ExactThermo(t, avg["energy"], avg["specific_heat"], {"mx": avg["mx"], "mz2": avg["mz2"]}, "ed")


# --------------------------------------------------------------------------- Jordan–Wigner


def _parity_sums(beta, xi_pairs, e_pairs, xi_unpaired):
    """Even- and odd-parity Boltzmann sums of one fermion sector, with β-derivatives.

    Every mode's levels are measured from its lowest level, so all weights
    a(β) = Σ_levels e^{−β ε} are positive with a' ≤ 0 ≤ a''. The recursion

        (S_e, S_o) ← (S_e a_e + S_o a_o, S_e a_o + S_o a_e)

    (a_e, a_o: the mode's even/odd level weights) then only adds numbers of
    one sign, unlike ½[Tr ± Tr P], which cancels catastrophically at low T.
    Values and the first two β-derivatives are carried together (product rule)
    and rescaled after each mode.

    Parameters
    ----------
    beta : numpy.ndarray, shape (T,)
    xi_pairs, e_pairs : numpy.ndarray, shape (P,)
        ξ_k and E_k ≥ 0 of the (k, −k) pairs: levels ξ−E (even), ξ (odd, twice), ξ+E (even).
    xi_unpaired : numpy.ndarray, shape (U,)
        ξ_k of unpaired momenta (k = 0, π): levels 0 (even), ξ (odd).

    Returns
    -------
    offset : float
        Σ over modes of the lowest level (energy units).
    even, odd : numpy.ndarray, shape (3, T)
        (S, S', S'') of the even and odd sums, all divided by the same
        positive, β-independent-in-form scale ``exp(log_scale)``.
    log_scale : numpy.ndarray, shape (T,)
    """
    b = np.asarray(beta, dtype=np.float64)
    modes = []  # (levels relative to minimum, parities)
    for e in e_pairs:
        modes.append((np.array([0.0, e, e, 2 * e]), np.array([0, 1, 1, 0])))
    for xi in xi_unpaired:
        lv = np.array([0.0, xi]) - min(0.0, xi)
        modes.append((lv, np.array([0, 1])))
    offset = float(np.sum(xi_pairs - e_pairs) + np.sum(np.minimum(0.0, xi_unpaired)))
    one = np.ones_like(b)
    even = np.stack([one, 0 * b, 0 * b])
    odd = np.zeros((3, b.size))
    log_scale = np.zeros_like(b)
    for levels, par in modes:
        w = np.exp(-b[:, None] * levels[None, :])  # (T, L)
        jet = np.stack([w, -levels * w, levels**2 * w])  # (3, T, L)
        ae = jet[..., par == 0].sum(axis=-1)
        ao = jet[..., par == 1].sum(axis=-1)
        new_e = _jet_mul(even, ae) + _jet_mul(odd, ao)
        new_o = _jet_mul(even, ao) + _jet_mul(odd, ae)
        scale = new_e[0] + new_o[0]
        even, odd = new_e / scale, new_o / scale
        log_scale += np.log(scale)
    return offset, even, odd, log_scale


def _jet_mul(f, g):
    """Product of two (value, d/dβ, d²/dβ²) jets, each shape (3, T)."""
    return np.stack([f[0] * g[0], f[1] * g[0] + f[0] * g[1], f[2] * g[0] + 2 * f[1] * g[1] + f[0] * g[2]])


def _sector_modes(n, jc, hf, periodic_fermions):
    k = (2 * np.arange(n) + (0.0 if periodic_fermions else 1.0)) * np.pi / n  # in [0, 2π)
    unpaired = np.isclose(np.sin(k), 0.0, atol=1e-12)
    kp = k[(~unpaired) & (k < np.pi)]
    xi_p = 2 * (hf - jc * np.cos(kp))
    e_p = 2 * np.sqrt(np.maximum(jc**2 + hf**2 - 2 * jc * hf * np.cos(kp), 0.0))
    xi_u = 2 * (hf - jc * np.cos(k[unpaired]))
    return xi_p, e_p, xi_u


def _jw_periodic(model, t):
    n, jc, hf = model.n_sites, float(model.coupling), float(model.field)
    beta = 1.0 / t
    # physical states: even parity with antiperiodic momenta, odd parity with periodic ones
    off_a, even_a, _, ls_a = _parity_sums(beta, *_sector_modes(n, jc, hf, periodic_fermions=False))
    off_p, _, odd_p, ls_p = _parity_sums(beta, *_sector_modes(n, jc, hf, periodic_fermions=True))
    # Z e^{−βhN}... = e^{−β off_a + ls_a} S_A + e^{−β off_p + ls_p} S_P; a sector's own
    # prefactor e^{−β off} contributes energy off to every state of that sector
    la = -beta * off_a + ls_a + np.log(np.maximum(even_a[0], 1e-300))
    lp = -beta * off_p + ls_p + np.log(np.maximum(odd_p[0], 1e-300))
    la = np.where(even_a[0] > 0, la, -np.inf)
    lp = np.where(odd_p[0] > 0, lp, -np.inf)
    top = np.maximum(la, lp)
    wa, wp = np.exp(la - top), np.exp(lp - top)
    pa, pp = wa / (wa + wp), wp / (wa + wp)
    with np.errstate(invalid="ignore", divide="ignore"):
        # per sector: ⟨H⟩_s = off − S'/S,  ⟨H²⟩_s = off² − 2 off S'/S + S''/S
        ra1 = np.where(pa > 0, even_a[1] / even_a[0], 0.0)
        ra2 = np.where(pa > 0, even_a[2] / even_a[0], 0.0)
        rp1 = np.where(pp > 0, odd_p[1] / odd_p[0], 0.0)
        rp2 = np.where(pp > 0, odd_p[2] / odd_p[0], 0.0)
    shift = -hf * n
    mean_a, mean_p = off_a - ra1, off_p - rp1
    mean = pa * mean_a + pp * mean_p
    # variance = within-sector variances + between-sector spread (no large cancellation)
    var = pa * (ra2 - ra1**2) + pp * (rp2 - rp1**2) + pa * pp * (mean_a - mean_p) ** 2
    return (mean + shift) / n, var * beta**2 / n


def _jw_open(model, t):
    n, jc, hf = model.n_sites, float(model.coupling), float(model.field)
    a = np.diag(np.full(n, 2 * hf)) - jc * (np.eye(n, k=1) + np.eye(n, k=-1))
    b = -jc * (np.eye(n, k=1) - np.eye(n, k=-1))
    # A symmetric, B antisymmetric: (A − B)(A + B) = (A + B)ᵀ(A + B), so Λ_k are
    # the singular values of A + B (Lieb, Schultz, Mattis 1961)
    lam = np.linalg.svd(a + b, compute_uv=False)
    beta = 1.0 / t[:, None]
    energy = -np.sum(lam / 2 * np.tanh(beta * lam / 2), axis=1)
    heat = np.sum((beta * lam / 2) ** 2 / np.cosh(beta * lam / 2) ** 2, axis=1)
    return energy / n, heat / n


def jw_tfim(model: TransverseFieldIsing, temperatures: npt.ArrayLike) -> ExactThermo:
    """Jordan–Wigner (free-fermion) thermodynamics of the transverse-field Ising chain.

    Exact for any N, periodic (with the fermion-parity projection described in
    the module docstring) or open.

    Parameters
    ----------
    model : TransverseFieldIsing
    temperatures : array_like, shape (T,)

    Returns
    -------
    ExactThermo
        No extra observables.
    """
    t = exact_temperatures(temperatures)
    if model.periodic and model.n_sites < 3:
        raise ConfigError(
            "the periodic Jordan-Wigner solution needs n_sites >= 3 (N = 2 doubles the bond); use ed_tfim"
        )
    e, c = _jw_periodic(model, t) if model.periodic else _jw_open(model, t)
    return ExactThermo(t, e, c, {}, "jordan-wigner")
