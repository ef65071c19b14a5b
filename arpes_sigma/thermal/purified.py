"""Purified deep Boltzmann machines for thermal states.

Method (Nomura, Yoshioka and Nori, Phys. Rev. Lett. 127, 060601 (2021))
------------------------------------------------------------------------
A Gibbs state of N system spins is the reduced state of a pure state of the
system plus N ancilla spins σ':

    |ψ(β)⟩ = (e^{−βH/2} ⊗ 1) |ψ(0)⟩,   ψ(σ, σ'; β) = ⟨σ| e^{−βH/2} |σ'⟩,
    ⟨O⟩_β = ⟨ψ(β)| O ⊗ 1 |ψ(β)⟩ / ⟨ψ(β)|ψ(β)⟩ = Tr(O e^{−βH}) / Z.

**β = 0** is exact: |ψ(0)⟩ = ⊗_i (|↑↑'⟩ + |↓↓'⟩), the product of maximally
entangled system–ancilla pairs. As a Boltzmann machine each pair has one
hidden unit h_i with the complex weight iπ/4 to σ_i and −iπ/4 to σ'_i:
½ Σ_{h=±1} e^{iπ/4 h (σ − σ')} = cos(π(σ − σ')/4) = δ_{σσ'}
(:func:`bell_pair_factor`).

**Imaginary-time evolution** multiplies by e^{−τH} in symmetric (second-order)
Trotter steps, τ ≤ ``trotter_step``, Σ τ = β/2. Every factor is added to the
network *exactly*, by new units and couplings (in the spirit of the paper's
deterministic scheme; the particular factorisation below is this module's):

* transverse field, TFIM: ⟨s|e^{τhσˣ}|s'⟩ = A e^{K s s'} with
  K = −½ ln tanh(τh) and A = √(sinh(τh) cosh(τh)) (:func:`transverse_field_weights`).
  The current system layer s' becomes a **deep** layer and a new visible
  layer s is coupled to it site by site (one deep unit per site per step);
* Ising bond, TFIM: e^{τJ s_i s_j} is a 2-body weight τJ inside a layer, or
  equally one hidden unit with weights W, cosh 2W = e^{2τJ} (:func:`ising_bond_weights`);
* Heisenberg bond, J1–J2: ⟨s1 s2|e^{−τJ S1·S2}|s1' s2'⟩ = e^{w0 + w1 s1 s2 +
  (w2/2)(s1 s1' + s2 s2')} × two hidden units with weights ±iπ/4, ±iπ/8 that
  enforce s1 + s2 = s1' + s2' (:func:`heisenberg_bond_weights`); w2 is complex
  when J > 0 (the antiferromagnetic sign); complex weights are allowed.
  Summed over its hidden units this factor equals e^{τJ/4}[cosh(τJ/2) − sinh(τJ/2) P12]
  (P12 swaps the two spins), which is the form the JAX code applies; the tests
  check that the two agree to 1e-12.

The symmetric step is e^{−τH_z/2} e^{−τH_x} e^{−τH_z/2} (TFIM) or the bond
sequence forwards then backwards, each with τ/2 (Heisenberg); both are second
order, so errors in ⟨H⟩ scale as τ².

Why the deterministic construction
----------------------------------
It has no optimisation noise and no hyper-parameters beyond the Trotter step,
so the accuracy is controlled (and tested) by one number, and β = 0 → β is
exact up to Trotter error by construction. A variational (stochastic
reconfiguration) evolution of a fixed network would add sampling noise in
the parameters and an uncontrolled expressivity error; it is not implemented
(so there is no "hidden-unit density" parameter: the number of units is fixed
by β and the Trotter step, see :func:`network_size`).

Evaluating observables
----------------------
``method="exact"``: the amplitude is ψ(σ, σ') = Σ_{hidden, deep} e^{…}. The
hidden units are summed analytically and the deep units layer by layer
(each sum over a deep layer is one multiplication of the 2^N-component
system vector by the layer's factor, done in JAX with ``lax.scan``), for every
ancilla configuration σ'. Summing |ψ|² over all 2^N σ and 2^N σ' gives
Z, ⟨H⟩ and ⟨H²⟩ exactly for the network (N ≤ 12).

``method="probe"`` (Heisenberg 4 × 4): the 2^N ancilla configurations are
replaced by R random ±1 superpositions |r⟩ of them (a Hutchinson trace
estimate: E_r[|r⟩⟨r|] = 1, so E_r ⟨ψ_r|O|ψ_r⟩ = Tr(O e^{−βH}) with
ψ_r(σ) = Σ_σ' r(σ') ψ(σ, σ')). The system and deep units are still summed
exactly; the error bar is a jackknife over groups of probes.

``method="sample"`` (TFIM, any size): Metropolis sampling of all units. For a
positive field the weights are real and positive, and |ψ(σ, σ')|² =
Σ_{d, d̃} W(σ, d, σ') W(σ, d̃, σ') is a classical Ising model on a ring of 2M
layers: σ', the M − 1 ket deep layers, σ, the bra deep layers. The local energy
uses the deep layer next to σ: ψ(σ^{(i)}, σ')/ψ(σ, σ') is estimated without
bias by W(σ^{(i)}, d)/W(σ, d) with d drawn given (σ, σ') (Carleo, Nomura,
Imada, Nat. Commun. 9, 5322 (2018)), here with the deep unit d_i summed
analytically given its other neighbours (Rao–Blackwell); the ket and bra
estimates a, b are independent given (σ, σ'), so ⟨H⟩ = ⟨(a+b)/2⟩ and
⟨H²⟩ = ⟨a b⟩. The uniform ring is invariant under cyclic shifts of the
layers, so every layer is used as σ. Updates are checkerboard Metropolis
sweeps over many chains; error bars come from blocking (energy) and a
jackknife over blocks (specific heat). A negative field is mapped to a
positive one by the unitary Π σᶻ, which leaves the spectrum unchanged.

Specific heat is always the fluctuation formula C = β²(⟨H²⟩ − ⟨H⟩²)/N,
not a finite difference along the ladder.

Limitations (honest)
--------------------
* The J1–J2 model has a sign problem (complex w2 on the J2 bonds), so it is
  not sampled; 4 × 4 uses ``probe`` (stochastic over the ancilla only). The
  4 × 4, J2/J1 = 0.5 check (energy within 2 % of ED at T ≥ 0.5) runs in the
  tests with 16 probes and in ``benchmarks/bench_thermal.py`` with 32.
* Sampled σˣ-type estimators have a variance that grows like 1/τ, so
  ``sample`` is best used with τ ≈ 0.1; its Trotter bias is O(τ²).
* ``exact`` and ``probe`` hold 2^N-component vectors: N ≤ 12 (exact),
  N ≤ 18 (probe).
"""

from __future__ import annotations

import dataclasses
import math
import time

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ConfigError
from .models import J1J2Square, TransverseFieldIsing, flip_permutations, swap_permutations
from .observables import block_averages, jackknife, weighted_thermal_estimates

__all__ = [
    "PurifiedConfig",
    "PurifiedResult",
    "purified_thermal",
    "purified_amplitudes",
    "trotter_schedule",
    "network_size",
    "bell_pair_factor",
    "transverse_field_weights",
    "transverse_field_factor",
    "ising_bond_weights",
    "ising_bond_factor",
    "heisenberg_bond_weights",
    "heisenberg_bond_factor",
    "MAX_EXACT_SITES",
    "MAX_PROBE_SITES",
]

#: Largest system summed exactly over all ancilla configurations.
MAX_EXACT_SITES = 12
#: Largest system for random ancilla probes (2^N vectors in memory).
MAX_PROBE_SITES = 18
_SPINS = np.array([1.0, -1.0])  # index 0 ↔ s = +1, index 1 ↔ s = −1 (bit convention)


# ============================================================================ exact BM factors


def bell_pair_factor():
    """β = 0 system–ancilla pair as a Boltzmann machine with one hidden unit.

    Returns
    -------
    numpy.ndarray, complex, shape (2, 2)
        F[σ, σ'] = ½ Σ_{h=±1} exp(iπ/4 · h (σ − σ')) = δ_{σσ'} (indices: 0 ↔ +1, 1 ↔ −1).
    """
    s, sp = np.meshgrid(_SPINS, _SPINS, indexing="ij")
    return 0.5 * sum(np.exp(1j * np.pi / 4 * h * (s - sp)) for h in (1.0, -1.0))


def transverse_field_weights(tau, field):
    """Deep-layer coupling that represents e^{τ h σˣ} exactly.

    ⟨s|e^{τhσˣ}|s'⟩ = exp(log_a + K s s') with K = −½ ln tanh(τh) and
    log_a = ½ ln(sinh(τh) cosh(τh)) (complex logs for h < 0).

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


def transverse_field_factor(tau, field):
    """The 2 × 2 table exp(log_a + K s s') of :func:`transverse_field_weights` (rows s, columns s')."""
    log_a, k = transverse_field_weights(tau, field)
    s, sp = np.meshgrid(_SPINS, _SPINS, indexing="ij")
    return np.exp(log_a + k * s * sp)


def ising_bond_weights(tau, coupling):
    """Hidden unit representing the Ising bond factor e^{τJ s_i s_j}.

    e^{τJ s_i s_j} = c Σ_{h=±1} e^{W h (s_i + s_j)} with cosh 2W = e^{2τJ}
    and c = e^{−τJ}/2 (W imaginary when τJ < 0).

    Returns
    -------
    log_c, w : complex
    """
    x = complex(tau * coupling)
    return np.log(0.5 * np.exp(-x)), 0.5 * np.arccosh(np.exp(2 * x))


def ising_bond_factor(tau, coupling):
    """e^{τJ s_i s_j} as a 2 × 2 table, obtained by summing the hidden unit of :func:`ising_bond_weights`."""
    log_c, w = ising_bond_weights(tau, coupling)
    s, sp = np.meshgrid(_SPINS, _SPINS, indexing="ij")
    return np.exp(log_c) * sum(np.exp(w * h * (s + sp)) for h in (1.0, -1.0))


def heisenberg_bond_weights(tau, coupling):
    """Boltzmann-machine weights of one Heisenberg bond factor e^{−τJ S1·S2}.

    Within the S^z-conserving configurations the factor takes three values,

        A = e^{−τJ/4}                   (s1 = s2 = s1' = s2'),
        B = e^{τJ/4} cosh(τJ/2)         (s1 = −s2, s1' = s1),
        C = −e^{τJ/4} sinh(τJ/2)        (s1 = −s2, s1' = −s1),

    matched by e^{w0 + w1 s1 s2 + (w2/2)(s1 s1' + s2 s2')}; two hidden units
    with weights iπ/4 and iπ/8 to (s1, s2) and the opposite to (s1', s2')
    give cos(πΔ/4) cos(πΔ/8) = δ_{Δ,0}, Δ = s1 + s2 − s1' − s2'.

    Parameters
    ----------
    tau : float
        Imaginary-time step, τJ ≠ 0 (a bond with J = 0 is simply absent).
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
    w0 = la - w1 - w2
    return {"w0": w0, "w1": w1, "w2": w2, "hidden": (1j * np.pi / 4, 1j * np.pi / 8)}


def heisenberg_bond_factor(tau, coupling):
    """e^{−τJ S1·S2} as a (2, 2, 2, 2) table [s1, s2, s1', s2'], summed over the BM hidden units."""
    w = heisenberg_bond_weights(tau, coupling)
    s1, s2, t1, t2 = np.meshgrid(_SPINS, _SPINS, _SPINS, _SPINS, indexing="ij")
    delta = s1 + s2 - t1 - t2
    hidden = sum(
        np.exp(h1 * w["hidden"][0] * delta + h2 * w["hidden"][1] * delta) for h1 in (1, -1) for h2 in (1, -1)
    ) / 4.0
    return np.exp(w["w0"] + w["w1"] * s1 * s2 + 0.5 * w["w2"] * (s1 * t1 + s2 * t2)) * hidden


def network_size(model, n_steps):
    """Units of the deterministic purified DBM after ``n_steps`` Trotter steps.

    Parameters
    ----------
    model : TransverseFieldIsing or J1J2Square
    n_steps : int

    Returns
    -------
    dict
        ``visible`` (2N: system + ancilla), ``hidden`` (N β=0 pair units +
        2 per Heisenberg bond factor; Ising bonds use 2-body weights) and
        ``deep`` (N per TFIM step; 2 per Heisenberg bond factor).
    """
    n = model.n_sites
    if isinstance(model, TransverseFieldIsing):
        return {"visible": 2 * n, "hidden": n, "deep": n * n_steps}
    factors = 2 * int(np.count_nonzero(model.bond_couplings)) * n_steps
    return {"visible": 2 * n, "hidden": n + 2 * factors, "deep": 2 * factors}


# ============================================================================ configuration


_METHODS = ("auto", "exact", "probe", "sample")


def _is_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _is_real(x):
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


@dataclasses.dataclass(frozen=True)
class PurifiedConfig:
    """Settings of the purified-DBM calculation (validated on construction).

    Parameters
    ----------
    trotter_step : float
        Largest imaginary-time step τ of e^{−τH}, 0 < τ ≤ 0.5 (β/2 = Σ τ).
    method : {"auto", "exact", "probe", "sample"}
        See the module docstring. ``auto``: exact for N ≤ 10, else sample
        (TFIM) or probe (J1–J2).
    samples : int or None
        Probe vectors (``probe``, default 32) or measured sweeps per chain
        (``sample``, default 4000).
    chains : int
        Independent Markov chains (``sample``).
    burn_in : int or None
        Discarded sweeps per chain (default: samples // 4).
    seed : int
        Seed of the probe vectors / Markov chains.
    """

    trotter_step: float = 0.05
    method: str = "auto"
    samples: int | None = None
    chains: int = 32
    burn_in: int | None = None
    seed: int = 0

    def __post_init__(self):
        t = self.trotter_step
        if not _is_real(t) or not math.isfinite(t) or not 0 < t <= 0.5:
            raise ConfigError(f"trotter_step must be in (0, 0.5], got {t!r}; e.g. 0.05")
        if self.method not in _METHODS:
            raise ConfigError(f"method must be one of {', '.join(_METHODS)}, got {self.method!r}")
        if self.samples is not None and (not _is_int(self.samples) or self.samples < 2):
            raise ConfigError(f"samples must be an integer >= 2, got {self.samples!r}; e.g. 32 probes or 4000 sweeps")
        if not _is_int(self.chains) or self.chains < 2:
            raise ConfigError(f"chains must be an integer >= 2, got {self.chains!r}")
        if self.burn_in is not None and (not _is_int(self.burn_in) or self.burn_in < 0):
            raise ConfigError(f"burn_in must be an integer >= 0, got {self.burn_in!r}")

    def resolved_method(self, model):
        """The method actually used for ``model``."""
        n = model.n_sites
        method = self.method
        if method == "auto":
            method = "exact" if n <= 10 else ("sample" if isinstance(model, TransverseFieldIsing) else "probe")
        if method == "exact" and n > MAX_EXACT_SITES:
            raise ConfigError(
                f"exact summation over 2^{n} ancilla configurations is too large; use at most "
                f"{MAX_EXACT_SITES} sites or method 'probe'/'sample'"
            )
        if method == "probe" and n > MAX_PROBE_SITES:
            raise ConfigError(f"probe vectors of 2^{n} components are too large; use at most {MAX_PROBE_SITES} sites")
        if method == "sample" and not isinstance(model, TransverseFieldIsing):
            raise ConfigError(
                "Monte Carlo sampling of the J1-J2 network has a sign problem; use method 'exact' or 'probe'"
            )
        if method == "sample" and model.field == 0:
            raise ConfigError("sampling needs a nonzero transverse field; use method 'exact' for h = 0")
        if method == "sample" and model.periodic and model.n_sites % 2:
            raise ConfigError("checkerboard sampling needs an even number of sites on a periodic chain; use even N")
        return method


@dataclasses.dataclass(frozen=True)
class PurifiedResult:
    """Thermal curves from the purified DBM (per site, k_B = 1).

    Attributes
    ----------
    temperature, energy, energy_err, specific_heat, specific_heat_err : numpy.ndarray, shape (T,)
        Errors are one standard error (0 for ``exact``).
    observables : dict[str, numpy.ndarray]
        ``mx`` = ⟨σˣ⟩ and ``mz2`` = ⟨(Σσᶻ/N)²⟩ with standard errors
        ``mx_err``, ``mz2_err`` (TFIM, ``sample`` only; blocking).
    n_steps : numpy.ndarray of int, shape (T,)
        Trotter steps from β = 0 to each temperature (deep layers per site).
    method : str
    config : PurifiedConfig
    seconds : float
        Wall time.
    """

    temperature: np.ndarray
    energy: np.ndarray
    energy_err: np.ndarray
    specific_heat: np.ndarray
    specific_heat_err: np.ndarray
    observables: dict
    n_steps: np.ndarray
    method: str
    config: PurifiedConfig
    seconds: float


def trotter_schedule(temperatures, trotter_step):
    """Imaginary-time ladder reaching every β/2 in steps no longer than ``trotter_step``.

    Parameters
    ----------
    temperatures : array_like, shape (T,)
    trotter_step : float

    Returns
    -------
    order : numpy.ndarray of int, shape (T,)
        Indices of the temperatures from hot to cold (β ascending).
    segments : list of (int, float)
        For each temperature in that order, (number of steps, step τ) taking
        β/2 from the previous target to this one.
    """
    t = np.asarray(temperatures, dtype=np.float64)
    order = np.argsort(-t, kind="stable")
    half = 0.5 / t[order]
    prev, segments = 0.0, []
    for target in half:
        gap = target - prev
        m = int(math.ceil(gap / trotter_step - 1e-9)) if gap > 0 else 0
        segments.append((m, gap / m if m else 0.0))
        prev = target
    return order, segments


def _check_temperatures(temperatures):
    t = np.atleast_1d(np.asarray(temperatures, dtype=np.float64))
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ConfigError("temperatures must be a non-empty list of finite values > 0; e.g. 0.25,0.5,1")
    return t


# ============================================================================ JAX engine (exact / probe)


def _ops(model):
    """Arrays that define the layer factors of ``model`` (passed to jitted code as a pytree)."""
    if isinstance(model, TransverseFieldIsing):
        return "tfim", {
            "zz": jnp.asarray(_zz_sum(model)),
            "flips": jnp.asarray(flip_permutations(model.n_sites)),
            "coupling": jnp.asarray(float(model.coupling)),
            "field": jnp.asarray(float(model.field)),
        }
    if isinstance(model, J1J2Square):
        keep = model.bond_couplings != 0
        return "heisenberg", {
            "perms": jnp.asarray(swap_permutations(model.bonds[keep], model.n_sites)),
            "jb": jnp.asarray(model.bond_couplings[keep]),
        }
    raise ConfigError(f"unknown model {type(model).__name__}; use TransverseFieldIsing or J1J2Square")


def _zz_sum(model):
    """Σ_bonds s_i s_j of every configuration, shape (2**N,)."""
    return -TransverseFieldIsing(model.n_sites, 1.0, 0.0, model.periodic).diagonal()


def _flip_all(psi, flips, coef_same, coef_flip):
    """Apply Π_i (coef_same + coef_flip σˣ_i) to columns psi, shape (2**N, C).

    ``flips`` (N, 2**N) are the σˣ_i index maps; a gather is much faster than
    reversing a reshaped axis on the XLA CPU backend.
    """

    def body(p, perm):
        return coef_same * p + coef_flip * jnp.take(p, perm, axis=0), None

    return jax.lax.scan(body, psi, flips)[0]


def _sum_flips(psi, flips):
    """Σ_i σˣ_i psi for columns psi, shape (2**N, C)."""

    def body(acc, perm):
        return acc + jnp.take(psi, perm, axis=0), None

    return jax.lax.scan(body, jnp.zeros_like(psi), flips)[0]


def _step(kind, n, ops, psi, tau):
    """One symmetric Trotter step e^{−τH} (summing one set of deep units)."""
    if kind == "tfim":
        half = jnp.exp(0.5 * tau * ops["coupling"] * ops["zz"])[:, None]
        x = tau * ops["field"]
        return half * _flip_all(half * psi, ops["flips"], jnp.cosh(x), jnp.sinh(x))

    def gate(p, xs):
        perm, j = xs
        y = 0.5 * tau * j  # each bond appears twice per step with τ/2
        return jnp.exp(y / 4) * (jnp.cosh(y / 2) * p - jnp.sinh(y / 2) * jnp.take(p, perm, axis=0)), None

    psi, _ = jax.lax.scan(gate, psi, (ops["perms"], ops["jb"]))
    psi, _ = jax.lax.scan(gate, psi, (ops["perms"], ops["jb"]), reverse=True)
    return psi


def _apply_h(kind, n, ops, psi):
    if kind == "tfim":
        return -ops["coupling"] * ops["zz"][:, None] * psi - ops["field"] * _sum_flips(psi, ops["flips"])

    def term(acc, xs):
        perm, j = xs
        return acc + 0.5 * j * jnp.take(psi, perm, axis=0), None

    acc, _ = jax.lax.scan(term, jnp.zeros_like(psi), (ops["perms"], ops["jb"]))
    return acc - 0.25 * jnp.sum(ops["jb"]) * psi


def _advance_impl(kind, n, ops, psi, lognorm, taus):
    def body(carry, tau):
        p, ln = carry
        p = _step(kind, n, ops, p, tau)
        nrm = jnp.sqrt(jnp.sum(p * p, axis=0))
        return (p / nrm, ln + jnp.log(nrm)), None

    (psi, lognorm), _ = jax.lax.scan(body, (psi, lognorm), taus)
    return psi, lognorm


def _measure_impl(kind, n, ops, psi):
    hpsi = _apply_h(kind, n, ops, psi)
    return jnp.sum(psi * hpsi, axis=0), jnp.sum(hpsi * hpsi, axis=0)


_advance = jax.jit(_advance_impl, static_argnums=(0, 1))
_measure = jax.jit(_measure_impl, static_argnums=(0, 1))
_CHUNK_STEPS = 8


def _run_columns(kind, n, ops, psi, lognorm, segments, progress_tick):
    """Propagate columns along the ladder; returns per-target (2 ln‖ψ_c‖, ⟨H⟩_c, ⟨H²⟩_c)."""
    out = []
    for m, tau in segments:
        done = 0
        while done < m:
            k = min(_CHUNK_STEPS, m - done)
            taus = np.zeros(_CHUNK_STEPS)
            taus[:k] = tau
            psi, lognorm = _advance(kind, n, ops, psi, lognorm, jnp.asarray(taus))
            done += k
            progress_tick(k)
        e, q = _measure(kind, n, ops, psi)
        out.append((2 * np.asarray(lognorm), np.asarray(e), np.asarray(q)))
    return out


def purified_amplitudes(model, beta, trotter_step=0.05):
    """The purified-DBM amplitudes ψ(σ, σ'; β) for a small system (deep units summed exactly).

    Parameters
    ----------
    model : TransverseFieldIsing or J1J2Square
        N ≤ 10.
    beta : float
        Inverse temperature ≥ 0 (the network holds e^{−βH/2}).
    trotter_step : float

    Returns
    -------
    numpy.ndarray, shape (2**N, 2**N)
        ψ[σ, σ'] ≈ ⟨σ|e^{−βH/2}|σ'⟩ (exactly δ_{σσ'} at β = 0).
    """
    if model.n_sites > 10:
        raise ConfigError("dense amplitudes need 4^N numbers; use at most 10 sites")
    if not (math.isfinite(beta) and beta >= 0):
        raise ConfigError(f"beta must be finite and >= 0, got {beta!r}")
    with jax.enable_x64(True):
        kind, ops = _ops(model)
        n = model.n_sites
        # β = 0: the product of Bell-pair factors is the identity on (σ, σ')
        pair = bell_pair_factor().real
        psi = np.ones((1, 1))
        for _ in range(n):
            psi = np.kron(pair, psi)
        psi, ln = jnp.asarray(psi), jnp.zeros(2**n)
        if beta > 0:
            (_, segs) = trotter_schedule([1.0 / beta], trotter_step)
            (m, tau) = segs[0]
            psi, ln = _advance(kind, n, ops, psi, ln, jnp.full(m, tau))
        return np.asarray(psi) * np.exp(np.asarray(ln))[None, :]


# ============================================================================ Monte Carlo (TFIM)


def _ring_sample_impl(spins, key, k_time, a_space, coupling, field, open_mask, colours, n_burn, n_meas):
    """Checkerboard Metropolis on the purified ring; returns per-sweep estimators.

    spins: (chains, L, N) ±1; colours: (2, L, N) masks; open_mask: (N,) 1 if
    the bond (i, i+1) exists.
    """

    def nb_space(s):
        right = jnp.roll(s, -1, axis=2) * open_mask
        left = jnp.roll(s * open_mask, 1, axis=2)
        return left + right

    def half(s, key, c):
        field_loc = k_time * (jnp.roll(s, 1, axis=1) + jnp.roll(s, -1, axis=1)) + a_space * nb_space(s)
        u = jax.random.uniform(key, s.shape, dtype=s.dtype)
        flip = (jnp.log(u) < -2.0 * s * field_loc) & colours[c]
        return jnp.where(flip, -s, s)

    def sweep(s, key):
        k1, k2 = jax.random.split(key)
        return half(half(s, k1, 0), k2, 1)

    def measure(s):
        nsp = s.shape[2]
        zz = jnp.sum(s * jnp.roll(s, -1, axis=2) * open_mask, axis=2)  # (chains, L)
        nb = nb_space(s)

        def ratio(shift):
            # deep neighbour d = layer l − shift·1 and the layer beyond it; d_i is averaged
            # out given its other neighbours (Rao–Blackwell): E[e^{−2Kσd}] = cosh(g − Kσ)/cosh(g + Kσ)
            d = jnp.roll(s, shift, axis=1)
            g = k_time * jnp.roll(s, 2 * shift, axis=1) + a_space * nb_space(d)
            return jnp.exp(-a_space * s * nb) * jnp.cosh(g - k_time * s) / jnp.cosh(g + k_time * s)

        xk, xb = jnp.sum(ratio(1), axis=2), jnp.sum(ratio(-1), axis=2)
        a = -coupling * zz - field * xk
        b = -coupling * zz - field * xb
        mz = jnp.sum(s, axis=2) / nsp
        return jnp.stack(
            [
                jnp.mean(0.5 * (a + b), axis=1),
                jnp.mean(a * b, axis=1),
                jnp.mean(0.5 * (xk + xb), axis=1) / nsp,
                jnp.mean(mz * mz, axis=1),
            ]
        )  # (4, chains)

    def burn(s, key):
        return sweep(s, key), None

    def meas(s, key):
        s = sweep(s, key)
        return s, measure(s)

    kb, km = jax.random.split(key)
    spins, _ = jax.lax.scan(burn, spins, jax.random.split(kb, n_burn))
    spins, series = jax.lax.scan(meas, spins, jax.random.split(km, n_meas))
    return series  # (n_meas, 4, chains)


_ring_sample = jax.jit(_ring_sample_impl, static_argnums=(8, 9))


def _sample_tfim(model, beta, cfg, key, n_sweeps, burn_in):
    """Sample the purified TFIM network at one β. Returns (E, dE, C, dC, observables, M)."""
    n = model.n_sites
    # at least 2 steps so that the layers next to σ are deep units, not σ'
    m = max(2, int(math.ceil(0.5 * beta / cfg.trotter_step - 1e-9)))
    tau = 0.5 * beta / m
    layers = 2 * m
    h = abs(float(model.field))
    _, k_time = transverse_field_weights(tau, h)
    k_time = float(np.real(k_time))
    a_space = tau * float(model.coupling)
    open_mask = np.ones(n)
    if not model.periodic:
        open_mask[-1] = 0.0
    li, si = np.meshgrid(np.arange(layers), np.arange(n), indexing="ij")
    base = (li + si) % 2 == 0  # 2L is even; N even (periodic) or any N (open): bipartite
    colours = np.stack([base, ~base])
    k0, k1 = jax.random.split(key)
    spins = jnp.where(jax.random.bernoulli(k0, 0.5, (cfg.chains, layers, n)), 1.0, -1.0)
    series = _ring_sample(
        spins,
        k1,
        k_time,
        a_space,
        float(model.coupling),
        h,
        jnp.asarray(open_mask),
        jnp.asarray(colours),
        int(burn_in),
        int(n_sweeps),
    )
    series = np.asarray(series)  # (S, 4, chains)
    blocks = block_averages(np.moveaxis(series, 1, 2), 16)  # (nb*chains, 4)
    e_mean, e_err = jackknife(lambda b: b[:, 0].mean() / n, blocks)
    c_mean, c_err = jackknife(lambda b: (b[:, 1].mean() - b[:, 0].mean() ** 2) * beta**2 / n, blocks)
    sem = blocks[:, 2:].std(axis=0, ddof=1) / np.sqrt(blocks.shape[0])
    obs = {"mx": blocks[:, 2].mean(), "mx_err": sem[0], "mz2": blocks[:, 3].mean(), "mz2_err": sem[1]}
    return e_mean, e_err, c_mean, c_err, obs, m


# ============================================================================ driver


def purified_thermal(model, temperatures, config=None, progress=None):
    """Energy and specific heat per site from the purified deep Boltzmann machine.

    Parameters
    ----------
    model : TransverseFieldIsing or J1J2Square
    temperatures : array_like, shape (T,)
        Temperatures > 0 (k_B = 1), any order.
    config : PurifiedConfig, optional
    progress : callable, optional
        ``progress(done, total)`` after each chunk of work (for a progress bar).

    Returns
    -------
    PurifiedResult
        Curves in the order of ``temperatures``.
    """
    cfg = config or PurifiedConfig()
    if not isinstance(cfg, PurifiedConfig):
        raise ConfigError("config must be a PurifiedConfig; build one with PurifiedConfig(trotter_step=...)")
    t = _check_temperatures(temperatures)
    method = cfg.resolved_method(model)
    n = model.n_sites
    start = time.perf_counter()
    nt = t.size
    energy, energy_err = np.zeros(nt), np.zeros(nt)
    heat, heat_err = np.zeros(nt), np.zeros(nt)
    n_steps = np.zeros(nt, dtype=int)
    observables = {}
    with jax.enable_x64(True):
        if method == "sample":
            n_sweeps = cfg.samples or 4000
            burn = cfg.burn_in if cfg.burn_in is not None else max(n_sweeps // 4, 100)
            keys = jax.random.split(jax.random.PRNGKey(cfg.seed), nt)
            observables = {k: np.zeros(nt) for k in ("mx", "mx_err", "mz2", "mz2_err")}
            for j in range(nt):
                e, de, c, dc, obs, m = _sample_tfim(model, 1.0 / t[j], cfg, keys[j], n_sweeps, burn)
                energy[j], energy_err[j], heat[j], heat_err[j], n_steps[j] = e, de, c, dc, m
                for k, v in obs.items():
                    observables[k][j] = v
                if progress is not None:
                    progress(j + 1, nt)
        else:
            kind, ops = _ops(model)
            order, segments = trotter_schedule(t, cfg.trotter_step)
            n_steps[order] = np.cumsum([m for m, _ in segments])
            dim = 2**n
            if method == "exact":
                width = min(dim, 1024)
                starts = list(range(0, dim, width))
            else:
                width = min(cfg.samples or 32, 64)
                total = cfg.samples or 32
                starts = list(range(0, total, width))
            steps_total = int(sum(m for m, _ in segments)) * len(starts)
            done = [0]

            def tick(k):
                done[0] += k
                if progress is not None:
                    progress(done[0], steps_total)

            rng = np.random.default_rng(cfg.seed)
            results = [[] for _ in range(nt)]
            for s0 in starts:
                if method == "exact":
                    cols = np.arange(s0, min(s0 + width, dim))
                    psi = np.zeros((dim, cols.size))
                    psi[cols, np.arange(cols.size)] = 1.0  # β = 0: σ = σ' (Bell pairs)
                    ln = np.zeros(cols.size)
                else:
                    size = min(width, total - s0)
                    psi = rng.choice([-1.0, 1.0], size=(dim, size)) / np.sqrt(dim)
                    ln = np.full(size, 0.5 * np.log(dim))
                out = _run_columns(kind, n, ops, jnp.asarray(psi), jnp.asarray(ln), segments, tick)
                for pos, vals in zip(order, out):
                    results[pos].append(vals)
            for j in range(nt):
                ln2 = np.concatenate([r[0] for r in results[j]])
                e = np.concatenate([r[1] for r in results[j]])
                q = np.concatenate([r[2] for r in results[j]])
                groups = None if method == "exact" else 16
                energy[j], energy_err[j], heat[j], heat_err[j] = weighted_thermal_estimates(
                    ln2, e, q, 1.0 / t[j], n, n_groups=groups
                )
    return PurifiedResult(
        temperature=t,
        energy=energy,
        energy_err=energy_err,
        specific_heat=heat,
        specific_heat_err=heat_err,
        observables=observables,
        n_steps=n_steps,
        method=method,
        config=cfg,
        seconds=time.perf_counter() - start,
    )
