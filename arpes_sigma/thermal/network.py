"""The purified deep Boltzmann machine as an explicit network: units, weights, biases.

Construction (Nomura, Yoshioka and Nori, Phys. Rev. Lett. 127, 060601 (2021);
deep-Boltzmann-machine rules of Carleo, Nomura and Imada, Nat. Commun. 9,
5322 (2018)), for the transverse-field Ising chain H = −J Σ s_i s_{i+1} − h Σ σˣ_i:

* **β = 0** — N ancilla units a_i and the first system layer s⁰_i, joined by one
  hidden unit per pair with weights −iπ/4 (to a_i) and +iπ/4 (to s⁰_i):
  ½ Σ_{h=±1} e^{iπh(s − a)/4} = cos(π(s − a)/4) = δ_{s a}  (:func:`bell_pair_weights`).
* **each symmetric Trotter step** e^{−τH_z/2} e^{−τH_x} e^{−τH_z/2}:
  the current system layer becomes a **deep** layer and a new layer s^{ℓ+1}
  is coupled to it site by site with K = −½ ln tanh(τh), because
  ⟨s|e^{τhσˣ}|s'⟩ = A e^{K s s'}, A = √(sinh τh cosh τh)  (:func:`transverse_field_weights`);
  every Ising bond of a layer gets one **hidden** unit with equal weights W to
  its two spins, cosh 2W = e^{2τ'J}, which after summing h gives e^{τ'J s_i s_j}
  (τ' = τ/2 on the first and last layer, τ inside; :func:`ising_bond_weights`).

After m steps (β = 2mτ) the network has 2N visible units (N system spins
s^m = σ and N ancillas a), N Bell + (m+1)·B bond hidden units and m·N deep
units; its amplitude, summed over hidden and deep units, is
ψ(σ, a) = ⟨σ|(e^{−τH_z/2} e^{−τH_x} e^{−τH_z/2})^m|a⟩ ≈ ⟨σ|e^{−βH/2}|a⟩.
:meth:`PurifiedDBM.layer_couplings` sums the hidden units analytically (what
the sampler and the exact contraction use); :meth:`PurifiedDBM.brute_force_amplitude`
sums every unit of a tiny network by enumeration, as an independent check.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

from ..errors import ConfigError
from .models import TransverseFieldIsing

__all__ = [
    "KINDS",
    "PurifiedDBM",
    "LayerCouplings",
    "tfim_network",
    "bell_pair_weights",
    "transverse_field_weights",
    "ising_bond_weights",
    "heisenberg_bond_weights",
    "heisenberg_bond_factor",
]

#: unit kinds, in the order of the integer codes stored in :attr:`PurifiedDBM.kind`
KINDS = ("visible", "ancilla", "hidden", "deep")
_BELL = 1j * math.pi / 4


def bell_pair_weights() -> tuple[complex, complex, float]:
    """Weights of the β = 0 hidden unit of one system–ancilla pair.

    Returns
    -------
    w_system, w_ancilla, log_scale : complex, complex, float
        iπ/4, −iπ/4 and ln ½: ½ Σ_h e^{h(w_s s + w_a a)} = δ_{s a}.
    """
    return _BELL, -_BELL, math.log(0.5)


def transverse_field_weights(tau: float, field: float) -> tuple[complex, complex]:
    """Deep-layer coupling that represents e^{τ h σˣ} exactly.

    ⟨s|e^{τhσˣ}|s'⟩ = exp(log_a + K s s') with K = −½ ln tanh(τh) and
    log_a = ½ ln(sinh(τh) cosh(τh)) (complex logarithms for h < 0).

    Parameters
    ----------
    tau : float
        Imaginary-time step > 0.
    field : float
        Transverse field h ≠ 0.

    Returns
    -------
    log_a, coupling : complex
    """
    x = complex(tau * field)
    return 0.5 * np.log(np.sinh(x) * np.cosh(x)), -0.5 * np.log(np.tanh(x))


def ising_bond_weights(tau: float, coupling: float) -> tuple[complex, complex]:
    """Hidden unit representing the Ising bond factor e^{τJ s_i s_j}.

    e^{τJ s_i s_j} = c Σ_{h=±1} e^{W h (s_i + s_j)} with cosh 2W = e^{2τJ} and
    c = e^{−τJ}/2 (W imaginary when τJ < 0).

    Returns
    -------
    log_c, w : complex
    """
    x = complex(tau * coupling)
    return np.log(0.5 * np.exp(-x)), 0.5 * np.arccosh(np.exp(2 * x))


def heisenberg_bond_weights(tau: float, coupling: float) -> dict[str, complex | tuple[complex, complex]]:
    """Boltzmann-machine weights of one Heisenberg bond factor e^{−τJ S1·S2}.

    Within the S^z-conserving configurations the factor takes three values,
    A = e^{−τJ/4} (all four spins equal), B = e^{τJ/4} cosh(τJ/2) (s1 = −s2,
    s' = s) and C = −e^{τJ/4} sinh(τJ/2) (s1 = −s2, s' = −s), matched by
    e^{w0 + w1 s1 s2 + (w2/2)(s1 s1' + s2 s2')}; two hidden units with weights
    iπ/4 and iπ/8 to (s1, s2) and the opposite to (s1', s2') give
    cos(πΔ/4) cos(πΔ/8) = δ_{Δ,0}, Δ = s1 + s2 − s1' − s2' (the S^z constraint).

    Parameters
    ----------
    tau : float
        Imaginary-time step, τJ ≠ 0.
    coupling : float
        Exchange J.

    Returns
    -------
    dict
        ``w0``, ``w1``, ``w2`` (complex) and ``hidden`` = (iπ/4, iπ/8).
    """
    x = tau * coupling
    if x == 0:
        raise ConfigError("a Heisenberg bond with tau*J = 0 is the identity; leave it out of the network")
    la = complex(-x / 4)
    lb = complex(x / 4 + np.log(np.cosh(x / 2)))
    lc = np.log(complex(-np.exp(x / 4) * np.sinh(x / 2)))
    w2 = 0.5 * (lb - lc)
    w1 = 0.5 * (la - lb)
    return {"w0": la - w1 - w2, "w1": w1, "w2": w2, "hidden": (_BELL, _BELL / 2)}


def heisenberg_bond_factor(tau: float, coupling: float) -> np.ndarray:
    """e^{−τJ S1·S2} as a (2, 2, 2, 2) table [s1, s2, s1', s2'] (index 0 ↔ +1), summed over the bond's hidden units."""
    w = heisenberg_bond_weights(tau, coupling)
    spins = np.array([1.0, -1.0])
    s1, s2, t1, t2 = np.meshgrid(spins, spins, spins, spins, indexing="ij")
    delta = s1 + s2 - t1 - t2
    h1, h2 = w["hidden"]
    hidden = sum(np.exp(a * h1 * delta + b * h2 * delta) for a in (1, -1) for b in (1, -1)) / 4.0
    return np.exp(w["w0"] + w["w1"] * s1 * s2 + 0.5 * w["w2"] * (s1 * t1 + s2 * t2)) * hidden


@dataclasses.dataclass(frozen=True)
class LayerCouplings:
    """The network with its hidden units summed: a classical spin model on m + 1 layers.

    Attributes
    ----------
    ancilla_is_first_layer : bool
        The Bell hidden units identify the ancillas with layer 0.
    inter : numpy.ndarray, complex, shape (m,)
        Coupling K between layer ℓ and ℓ + 1 (site by site).
    intra : numpy.ndarray, complex, shape (m + 1, B)
        Effective two-body coupling of each bond in each layer.
    bonds : numpy.ndarray, int, shape (B, 2)
    log_scale : complex
        ln of the constant prefactor.
    """

    ancilla_is_first_layer: bool
    inter: np.ndarray
    intra: np.ndarray
    bonds: np.ndarray
    log_scale: complex


@dataclasses.dataclass(frozen=True)
class PurifiedDBM:
    """An explicit purified deep Boltzmann machine.

    The Boltzmann weight of a full configuration u ∈ {±1}^U of all units is
    exp(log_scale + Σ_u bias_u u + Σ_e weight_e u_i u_j); the amplitude
    ψ(σ, a) sums it over the hidden and deep units.

    Attributes
    ----------
    n_sites : int
        System spins N.
    kind : numpy.ndarray, int8, shape (U,)
        Index into :data:`KINDS` (visible, ancilla, hidden, deep).
    layer : numpy.ndarray, int, shape (U,)
        Imaginary-time layer of a spin unit (ancilla −1); for a hidden unit, the
        layer it belongs to (Bell units −1).
    site : numpy.ndarray, int, shape (U,)
        Lattice site (a bond hidden unit: its first site).
    bias : numpy.ndarray, complex, shape (U,)
    edges : numpy.ndarray, int, shape (E, 2)
        Unit pairs (i, j) with a coupling.
    weight : numpy.ndarray, complex, shape (E,)
    log_scale : complex
    beta, tau : float
        Inverse temperature represented and the Trotter step (β = 2 m τ).
    n_steps : int
        Trotter steps m.
    bonds : numpy.ndarray, int, shape (B, 2)
        The model's bonds (layer structure).
    """

    n_sites: int
    kind: np.ndarray
    layer: np.ndarray
    site: np.ndarray
    bias: np.ndarray
    edges: np.ndarray
    weight: np.ndarray
    log_scale: complex
    beta: float
    tau: float
    n_steps: int
    bonds: np.ndarray

    def counts(self) -> dict[str, int]:
        """Number of units of each kind and of couplings."""
        out = {k: int(np.sum(self.kind == i)) for i, k in enumerate(KINDS)}
        out["couplings"] = len(self.weight)
        return out

    def units(self, kind: str) -> np.ndarray:
        """Indices of the units of one kind (see :data:`KINDS`), shape (n,)."""
        return np.nonzero(self.kind == KINDS.index(kind))[0]

    def log_weight(self, config: np.ndarray) -> np.ndarray:
        """Log of the Boltzmann weight of full configurations, shape (..., U) → (...)."""
        u = np.asarray(config, dtype=np.complex128)
        pair = u[..., self.edges[:, 0]] * u[..., self.edges[:, 1]]
        return self.log_scale + u @ self.bias + pair @ self.weight

    def layer_couplings(self) -> LayerCouplings:
        """Sum every hidden unit analytically (exact for this construction).

        A hidden unit with weights w, w to two spins gives
        2 cosh(w(s_i + s_j)) = e^{ln 2 + ½ ln cosh 2w} e^{(½ ln cosh 2w) s_i s_j};
        the Bell units (iπ/4, −iπ/4) give δ_{s a}, i.e. layer 0 ≡ ancillas.

        Raises
        ------
        ConfigError
            If a hidden unit is not of these two forms.
        """
        m, bonds = self.n_steps, self.bonds
        intra = np.zeros((m + 1, len(bonds)), dtype=np.complex128)
        log_scale = complex(self.log_scale)
        hidden = set(self.units("hidden").tolist())
        by_unit: dict[int, list[tuple[int, complex]]] = {}
        inter = np.zeros(m, dtype=np.complex128)
        for (i, j), w in zip(self.edges, self.weight, strict=True):
            if i in hidden or j in hidden:
                h, other = (i, j) if i in hidden else (j, i)
                by_unit.setdefault(int(h), []).append((int(other), complex(w)))
            else:  # a deep–visible or deep–deep coupling between consecutive layers
                inter[min(self.layer[i], self.layer[j])] = w
        bond_index = {tuple(sorted(map(int, b))): k for k, b in enumerate(bonds)}
        bell = 0
        for h, links in by_unit.items():
            (u1, w1), (u2, w2) = links
            if np.isclose(w1, -w2) and np.isclose(abs(w1), math.pi / 4) and self.bias[h] == 0:
                bell += 1
                log_scale += math.log(2.0)
                continue
            if not np.isclose(w1, w2) or self.bias[h] != 0:
                raise ConfigError("hidden unit is not an Ising-bond unit; this network cannot be summed layer by layer")
            jeff = 0.5 * np.log(np.cosh(2 * w1))
            k = bond_index[tuple(sorted((int(self.site[u1]), int(self.site[u2]))))]
            intra[self.layer[u1], k] += jeff
            log_scale += math.log(2.0) + jeff
        return LayerCouplings(bell == self.n_sites, inter, intra, bonds, log_scale)

    def brute_force_amplitude(self) -> np.ndarray:
        """ψ(σ, a) by enumerating every hidden and deep unit (tiny networks only).

        Returns
        -------
        numpy.ndarray, complex, shape (2**N, 2**N)
            Rows σ (visible), columns a (ancilla), in the bit convention of
            :func:`arpes_sigma.thermal.models.spin_configurations`.

        Raises
        ------
        ConfigError
            If more than 22 units would be summed.
        """
        summed = np.concatenate([self.units("hidden"), self.units("deep")])
        if len(summed) > 22:
            raise ConfigError(f"brute force over {len(summed)} units is too large; use at most 22")
        n = self.n_sites
        vis, anc = self.units("visible"), self.units("ancilla")
        vis = vis[np.argsort(self.site[vis])]
        anc = anc[np.argsort(self.site[anc])]
        spins = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
        inner = np.array(list(itertools.product((1, -1), repeat=len(summed))), dtype=np.int8)
        out = np.zeros((2**n, 2**n), dtype=np.complex128)
        config = np.zeros((len(inner), len(self.kind)))
        config[:, summed] = inner
        for a_index, a in enumerate(spins):
            config[:, anc] = a
            for s_index, s in enumerate(spins):
                config[:, vis] = s
                out[s_index, a_index] = np.sum(np.exp(self.log_weight(config)))
        return out


def tfim_network(model: TransverseFieldIsing, n_steps: int, tau: float) -> PurifiedDBM:
    """Build the purified DBM of the transverse-field Ising chain after ``n_steps`` Trotter steps.

    Parameters
    ----------
    model : TransverseFieldIsing
        Field h ≠ 0 when ``n_steps`` > 0.
    n_steps : int
        Symmetric Trotter steps m ≥ 0.
    tau : float
        Step τ > 0 (β = 2 m τ).

    Returns
    -------
    PurifiedDBM
    """
    if not isinstance(model, TransverseFieldIsing):
        raise ConfigError("tfim_network builds the transverse-field Ising network; pass a TransverseFieldIsing")
    if n_steps > 0 and model.field == 0:
        raise ConfigError("the deep-layer construction needs a nonzero transverse field; use h != 0")
    n, bonds = model.n_sites, model.bonds
    kind, layer, site, bias = [], [], [], []
    edges, weight = [], []
    log_scale = 0.0 + 0.0j

    def add(k, lay, s):
        kind.append(KINDS.index(k))
        layer.append(lay)
        site.append(s)
        bias.append(0.0)
        return len(kind) - 1

    anc = [add("ancilla", -1, i) for i in range(n)]
    layers = [[add("visible" if n_steps == 0 else "deep", 0, i) for i in range(n)]]
    ws, wa, ls = bell_pair_weights()
    for i in range(n):
        h = add("hidden", -1, i)
        edges += [(h, layers[0][i]), (h, anc[i])]
        weight += [ws, wa]
        log_scale += ls
    if n_steps > 0:
        log_a, k_time = transverse_field_weights(tau, model.field)
        for step in range(1, n_steps + 1):
            layers.append([add("visible" if step == n_steps else "deep", step, i) for i in range(n)])
            for i in range(n):
                edges.append((layers[step - 1][i], layers[step][i]))
                weight.append(k_time)
            log_scale += n * log_a
        for lay, units in enumerate(layers):
            tau_z = tau / 2 if lay in (0, n_steps) else tau
            log_c, w = ising_bond_weights(tau_z, model.coupling)
            for i, j in bonds:
                h = add("hidden", lay, int(i))
                edges += [(h, units[i]), (h, units[j])]
                weight += [w, w]
                log_scale += log_c
    return PurifiedDBM(
        n_sites=n,
        kind=np.asarray(kind, dtype=np.int8),
        layer=np.asarray(layer),
        site=np.asarray(site),
        bias=np.asarray(bias, dtype=np.complex128),
        edges=np.asarray(edges, dtype=np.int64).reshape(-1, 2),
        weight=np.asarray(weight, dtype=np.complex128),
        log_scale=complex(log_scale),
        beta=2 * n_steps * tau,
        tau=float(tau),
        n_steps=int(n_steps),
        bonds=bonds,
    )
