"""Exact diagonalisation of the J1–J2 model in symmetry blocks (total S^z and lattice momentum).

:func:`ed_j1j2` diagonalises total-S^z blocks and, by default, lattice-momentum
blocks (translations of the torus), so the 4 × 4 cluster (largest block ≈ 820
states) takes seconds; ``use_momentum=False`` gives the S^z-only blocks
(N ≤ 12) used to cross-check.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.linalg

from ..errors import ConfigError
from .exact import ExactThermo, exact_temperatures
from .models import MAX_DENSE_SITES, J1J2Square
from .observables import canonical_averages

__all__ = ["heisenberg_spectrum", "ed_j1j2"]


def _popcount(x):
    x = np.asarray(x, dtype=np.int64)
    c = np.zeros_like(x)
    while np.any(x):
        c += x & 1
        x = x >> 1
    return c


def _translated_states(model: J1J2Square):
    """Images of every configuration under all translations, shape (G, 2**N) int64."""
    perms, vecs = model.translations()
    n = model.n_sites
    x = np.arange(2**n, dtype=np.int64)
    images = np.zeros((perms.shape[0], x.size), dtype=np.int64)
    for i in range(n):
        bit = (x >> i) & 1
        images |= bit[None, :] << perms[:, i][:, None]
    return images, vecs


def _momentum_stars(lx, ly):
    """Momenta (integer pairs) grouped into stars of the torus point group.

    Point-group operations map the block at k onto the block at Rk, so only
    one member of each star is diagonalised. The group is C4v for Lx = Ly and
    the two mirrors (with inversion) otherwise; inversion is time reversal, k → −k.

    Returns
    -------
    list of (tuple, int)
        (representative (kx, ky), star size).
    """
    ops = [lambda a, b: (-a, b), lambda a, b: (a, -b)]
    if lx == ly:
        ops.append(lambda a, b: (b, a))
    seen, stars = set(), []
    for kx in range(lx):
        for ky in range(ly):
            if (kx, ky) in seen:
                continue
            star, todo = {(kx, ky)}, [(kx, ky)]
            while todo:
                a, b = todo.pop()
                for op in ops:
                    na, nb = op(a, b)
                    q = (na % lx, nb % ly)
                    if q not in star:
                        star.add(q)
                        todo.append(q)
            seen |= star
            stars.append(((kx, ky), len(star)))
    return stars


def heisenberg_spectrum(model: J1J2Square, use_momentum: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """All eigenvalues of the J1–J2 model with their total S^z.

    Blocks: total S^z (only S^z ≥ 0 is diagonalised; S^z < 0 follows by the
    global spin flip) and, with ``use_momentum``, lattice momentum with Bloch
    states |r, k⟩ ∝ Σ_t e^{−ik·t} T_t |r⟩ over translation representatives r,

        ⟨r', k|H|r, k⟩ = Σ_{s: rep(s) = r'} ⟨s|H|r⟩ e^{ik·t_s} √(|S_r'| / |S_r|),

    with s = T_{t_s} r' and S_r the stabiliser of r; representatives whose
    stabiliser carries a nontrivial character are dropped. Momenta related by
    the point group share a spectrum (see :func:`_momentum_stars`).

    Parameters
    ----------
    model : J1J2Square
        Up to 16 sites with momenta (``use_momentum=False`` needs N ≤ 12).
    use_momentum : bool
        Also block by lattice momentum; otherwise only by total S^z.

    Returns
    -------
    energies, sz : numpy.ndarray, shape (2**N,)
        Every eigenvalue with multiplicity, and its S^z.
    """
    n = model.n_sites
    if n > 16 or (not use_momentum and n > MAX_DENSE_SITES):
        raise ConfigError(f"exact diagonalisation of {n} spins is too large here; use at most 16 sites (4 x 4)")
    bonds = model.bonds
    jb = model.bond_couplings
    dim = 2**n
    x_all = np.arange(dim, dtype=np.int64)
    ndown = _popcount(x_all)
    if use_momentum:
        images, vecs = _translated_states(model)
        rep_all = images.min(axis=0)
        tmin_all = images.argmin(axis=0)
        stars = _momentum_stars(model.lx, model.ly)
    energies, szs = [], []

    def emit(ev, sz, mult):
        copies = 2 if sz > 0 else 1  # the spin-flipped sector S^z → −S^z
        for sign in (1, -1)[:copies]:
            energies.append(np.repeat(ev, mult))
            szs.append(np.full(ev.size * mult, sign * sz))

    for nd in range(n // 2 + 1):
        states = x_all[ndown == nd]
        sz = 0.5 * (n - 2 * nd)
        if not use_momentum:
            index = np.full(dim, -1, dtype=np.int64)
            index[states] = np.arange(states.size)
            hmat = np.zeros((states.size, states.size))
            diag, targets, amps = _heisenberg_action(states, bonds, jb)
            hmat[np.arange(states.size), np.arange(states.size)] = diag
            for tgt, amp in zip(targets, amps, strict=True):
                ok = amp != 0
                np.add.at(hmat, (index[tgt[ok]], np.nonzero(ok)[0]), amp[ok])
            emit(scipy.linalg.eigvalsh(hmat, driver="evr"), sz, 1)
            continue
        reps = states[rep_all[states] == states]
        stab = images[:, reps] == reps[None, :]  # (G, R) stabiliser membership
        diag, targets, amps = _heisenberg_action(reps, bonds, jb)
        for (kx, ky), mult in stars:
            kvec = 2 * np.pi * np.array([kx / model.lx, ky / model.ly])
            chi = np.exp(1j * (vecs @ kvec))  # χ_k(t), shape (G,)
            real = np.allclose(chi.imag, 0.0, atol=1e-12)
            ok_rep = np.all(np.where(stab, np.isclose(chi[:, None], 1.0), True), axis=0)
            rk = reps[ok_rep]
            if rk.size == 0:
                continue
            size_s = stab[:, ok_rep].sum(axis=0).astype(np.float64)
            index = np.full(dim, -1, dtype=np.int64)
            index[rk] = np.arange(rk.size)
            hmat = np.zeros((rk.size, rk.size), dtype=np.float64 if real else np.complex128)
            cols = np.arange(rk.size)
            hmat[cols, cols] = diag[ok_rep]
            for tgt, amp in zip(targets, amps, strict=True):
                tgt = tgt[ok_rep]
                amp = amp[ok_rep]
                row = index[rep_all[tgt]]
                keep = (amp != 0) & (row >= 0)
                # rep(s) = T_t s with t = argmin, so s = T_t^{-1} rep(s) and χ(t^{-1}) = χ(t)*
                phase = np.conj(chi[tmin_all[tgt]])
                if real:
                    phase = phase.real
                val = amp * phase * np.sqrt(size_s[np.maximum(row, 0)] / size_s)
                np.add.at(hmat, (row[keep], cols[keep]), val[keep])
            emit(scipy.linalg.eigvalsh(hmat, driver="evr"), sz, mult)
    return np.concatenate(energies), np.concatenate(szs)


def _heisenberg_action(states, bonds, jb):
    """Diagonal energies and off-diagonal (target, amplitude) lists for H on ``states``.

    Returns
    -------
    diag : numpy.ndarray, shape (S,)
    targets : list of numpy.ndarray, each shape (S,)
    amps : list of numpy.ndarray, each shape (S,)
        ½ J_b where spins of bond b are antiparallel (the exchanged state), else 0.
    """
    diag = np.zeros(states.size)
    targets, amps = [], []
    for (i, j), jval in zip(bonds, jb, strict=True):
        si = 1 - 2 * ((states >> int(i)) & 1)
        sj = 1 - 2 * ((states >> int(j)) & 1)
        diag += 0.25 * jval * si * sj
        differ = si != sj
        targets.append(np.where(differ, states ^ ((1 << int(i)) | (1 << int(j))), states))
        amps.append(np.where(differ, 0.5 * jval, 0.0))
    return diag, targets, amps


def ed_j1j2(model: J1J2Square, temperatures: npt.ArrayLike, use_momentum: bool = True) -> ExactThermo:
    """Exact thermodynamics of the J1–J2 model by symmetry-block diagonalisation.

    Parameters
    ----------
    model : J1J2Square
        Up to 4 × 4.
    temperatures : array_like, shape (T,)
    use_momentum : bool
        See :func:`heisenberg_spectrum`.

    Returns
    -------
    ExactThermo
        observables ``sz2`` = ⟨(S^z_tot)²⟩ / N (so χ_uniform = sz2 / T).
    """
    t = exact_temperatures(temperatures)
    e, sz = heisenberg_spectrum(model, use_momentum=use_momentum)
    avg = canonical_averages(e, t, model.n_sites, {"sz2": sz**2 / model.n_sites})
    method = "ed-sectors" if use_momentum else "ed"
    return ExactThermo(t, avg["energy"], avg["specific_heat"], {"sz2": avg["sz2"]}, method)
