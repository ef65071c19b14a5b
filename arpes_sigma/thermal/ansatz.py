"""The variational purified Boltzmann machine (the network whose weights follow imaginary time).

Purification with the ancilla read in the σˣ basis
--------------------------------------------------
Nomura, Yoshioka and Nori, Phys. Rev. Lett. 127, 060601 (2021) purify the
Gibbs state with N ancilla spins a: |ψ(β)⟩ = (e^{−βH/2} ⊗ 1)|ψ(0)⟩ with a
maximally entangled |ψ(0)⟩, so that Tr_a |ψ⟩⟨ψ| ∝ e^{−βH}. Any unitary V on
the ancilla leaves that reduced state unchanged; this module uses the Bell
pairs with a Hadamard gate on each ancilla (ancilla measured along x),

    ψ(σ, a; 0) = 2^{−N/2} Π_i a_i^{n_i},   n_i = (1 − σ_i)/2,

whose log-amplitude iπ Σ_i n_i (1 − a_i)/2 = iπ/4 Σ_i (1 − σ_i)(1 − a_i) is
finite everywhere. (With the ancilla along z the β = 0 state is δ_{σσ'}: its
zeros make ∂ ln ψ infinite, so a log-amplitude network cannot leave β = 0 by
stochastic reconfiguration.) Each column a is then e^{−βH/2}|a_x⟩, a product
state along ±x evolved in imaginary time; |ψ(σ, a)|² is uniform at β = 0, so
the Markov chains start from exact samples.

The network
-----------
Visible units σ (system), ancilla units a (traced out: the "deep" layer of the
purified machine), and the pair products r_i = σ_i a_i that the β = 0 state
and every Heisenberg or Ising bond couple to. The log-amplitude is

    ln ψ = Σ_i (b_σ σ_i + b_a a_i)
         + Σ_i Σ_t [J_σσ(t) σ_i σ_{t(i)} + J_aa(t) a_i a_{t(i)} + J_rr(t) r_i r_{t(i)} + J_σa(t) σ_i a_{t(i)}]
         + Σ_f Σ_t ln cosh(c_f + Σ_i [W_f(i) σ_{t(i)} + V_f(i) a_{t(i)} + U_f(i) r_{t(i)}]),

the last line being α·N hidden units (α = ``features``) summed analytically,
all couplings complex and shared between lattice translations t (the
purified state is invariant under translating σ and a together). At β = 0
every coupling is zero except b_σ = b_a = −iπ/4 and J_σa(0) = iπ/4, which is
ψ(σ, a; 0) exactly. The hidden-unit biases c_f start at distinct real values
with W = V = U = 0, so the hidden units are present (∂ ln ψ/∂W ≠ 0) without
changing the β = 0 state. Why the r channel: one Heisenberg bond factor
applied to ψ(0) has the exact log-amplitude
−(τJ/4)(σ_iσ_j + a_ia_j − r_ir_j), so the first imaginary-time order is in
the ansatz's tangent space exactly.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ConfigError
from .models import J1J2Square, TransverseFieldIsing

__all__ = ["PurifiedRBM", "translation_table"]

_CHANNELS = 3  # σ, a, r = σ a
#: channel pairs of the two-body (Jastrow-like) couplings: σσ, aa, rr, σa, σr, ar
_PAIRS = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))
#: spread of the hidden units' starting weights, as a total over the 3N inputs
_HIDDEN_SCALE = 1.0


def translation_table(model: TransverseFieldIsing | J1J2Square) -> np.ndarray:
    """Site permutations of all lattice translations.

    Parameters
    ----------
    model : TransverseFieldIsing or J1J2Square
        Periodic chain or torus.

    Returns
    -------
    numpy.ndarray
        int32, shape (N, N); row t maps site i to its image under translation t
        (row 0 is the identity).
    """
    if isinstance(model, J1J2Square):
        perms, _ = model.translations()
        return perms.astype(np.int32)
    if isinstance(model, TransverseFieldIsing):
        if not model.periodic:
            raise ConfigError("the variational machine uses translation symmetry; use a periodic chain (drop --open)")
        n = model.n_sites
        return ((np.arange(n)[None, :] + np.arange(n)[:, None]) % n).astype(np.int32)
    raise ConfigError(f"unknown model {type(model).__name__}; use TransverseFieldIsing or J1J2Square")


@dataclasses.dataclass(frozen=True)
class PurifiedRBM:
    """Translation-symmetric purified Boltzmann machine (static structure; weights live in a pytree).

    Parameters
    ----------
    perms : numpy.ndarray
        int32, shape (N, N), from :func:`translation_table`.
    features : int
        Hidden-unit feature maps α (α·N hidden units).
    """

    perms: np.ndarray
    features: int = 2

    def __post_init__(self):
        if not isinstance(self.features, int) or isinstance(self.features, bool) or self.features < 0:
            raise ConfigError(f"features must be an integer >= 0, got {self.features!r}; e.g. 2")

    @property
    def n_sites(self) -> int:
        """Number of system spins N (= number of ancilla spins)."""
        return int(self.perms.shape[1])

    def init_params(self, seed: int = 0) -> dict[str, jax.Array]:
        """Weights of the exact β = 0 state (complex128; call inside ``jax.enable_x64``).

        Parameters
        ----------
        seed : int
            Seed of the hidden units' starting weights (they do not change ψ at β = 0).

        Returns
        -------
        dict
            ``bias`` (2,), ``pairs`` (6, N) for the σσ, aa, rr, σa, σr and ar
            channel pairs, ``hidden_power`` λ (α,), ``hidden_bias`` (α,),
            ``hidden`` (α, 3, N).
        """
        n, f = self.n_sites, self.features
        pairs = np.zeros((len(_PAIRS), n), dtype=np.complex128)
        pairs[_PAIRS.index((0, 1)), 0] = 1j * math.pi / 4
        rng = np.random.default_rng(seed)
        w = rng.normal(scale=_HIDDEN_SCALE / math.sqrt(_CHANNELS * n), size=(f, _CHANNELS, n))
        return {
            "bias": jnp.asarray(np.full(2, -1j * math.pi / 4)),
            "pairs": jnp.asarray(pairs),
            "hidden_power": jnp.zeros(f, dtype=jnp.complex128),
            "hidden_bias": jnp.asarray(rng.normal(scale=0.5, size=f).astype(np.complex128)),
            "hidden": jnp.asarray(w.astype(np.complex128)),
        }

    def dense_weights(self, params: dict[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
        """Translation-expanded couplings, built once per parameter set.

        Returns
        -------
        pair : jax.Array
            Shape (3N, 3N): ln ψ ∋ xᵀ P x over x = (σ, a, r) for the two-body terms.
        hidden : jax.Array
            Shape (αN, 3N): θ = hidden @ x + c of the α·N hidden units.
        """
        n = self.n_sites
        perms = jnp.asarray(self.perms)
        onehot = jax.nn.one_hot(perms, n, dtype=params["pairs"].dtype)  # (T, N, N): [t, i, t(i)]
        pair = jnp.zeros((_CHANNELS, n, _CHANNELS, n), dtype=params["pairs"].dtype)
        for p, (c, d) in enumerate(_PAIRS):
            pair = pair.at[c, :, d, :].add(jnp.einsum("t,tij->ij", params["pairs"][p], onehot))
        w = params["hidden"]  # (α, 3, N): weight to channel c at site t(i) for unit (f, t)
        hidden = jnp.einsum("fci,tij->ftcj", w, onehot).reshape(self.features * n, _CHANNELS * n)
        return pair.reshape(_CHANNELS * n, _CHANNELS * n), hidden

    def log_amplitude(self, params: dict[str, jax.Array], sigma: jax.Array, anc: jax.Array) -> jax.Array:
        """Log-amplitude ln ψ(σ, a) of a batch of configurations.

        Parameters
        ----------
        params : dict
            As from :meth:`init_params`.
        sigma, anc : jax.Array
            Shape (B, N), entries ±1 (system and ancilla).

        Returns
        -------
        jax.Array
            Complex, shape (B,).
        """
        return self.log_amplitude_dense(params, self.dense_weights(params), sigma, anc)

    def log_amplitude_dense(
        self, params: dict[str, jax.Array], dense: tuple[jax.Array, jax.Array], sigma: jax.Array, anc: jax.Array
    ) -> jax.Array:
        """:meth:`log_amplitude` with the expanded couplings of :meth:`dense_weights` given."""
        pair, hidden = dense
        x = jnp.concatenate([sigma, anc, sigma * anc], axis=1).astype(pair.dtype)  # (B, 3N)
        n = self.n_sites
        out = params["bias"][0] * jnp.sum(x[:, :n], axis=1) + params["bias"][1] * jnp.sum(x[:, n : 2 * n], axis=1)
        out = out + jnp.sum((x @ pair) * x, axis=1)
        if self.features:
            c = jnp.repeat(params["hidden_bias"], n)
            units = _log_cosh(x @ hidden.T + c[None]) - _log_cosh(c)[None]
            out = out + units.reshape(-1, self.features, n).sum(axis=2) @ params["hidden_power"]
        return out


    def flip_state(self, params: dict[str, jax.Array], dense: tuple, sigma: jax.Array, anc: jax.Array) -> tuple:
        """Cached quantities for fast flips: x = (σ, a, r), G x with G = P + Pᵀ, θ and ln ψ.

        Returns
        -------
        tuple
            ``(x (B, 3N), gx (B, 3N), theta (B, αN), log_psi (B,))``.
        """
        pair, hidden = dense
        x = jnp.concatenate([sigma, anc, sigma * anc], axis=1).astype(pair.dtype)
        theta = x @ hidden.T + jnp.repeat(params["hidden_bias"], self.n_sites)[None]
        return x, x @ (pair + pair.T), theta, self.log_amplitude_dense(params, dense, sigma, anc)

    def flip_log_ratio(
        self, params: dict[str, jax.Array], dense: tuple, state: tuple, idx: jax.Array, mask: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        """Change ln ψ(x') − ln ψ(x) when the entries ``idx`` of x = (σ, a, r) change sign.

        Flipping σ_k flips entries k and 2N + k; flipping a_k flips N + k and 2N + k.
        Cost O(α N) per move instead of O(α N²) for a full evaluation.

        Parameters
        ----------
        params, dense
            Weights and :meth:`dense_weights`.
        state : tuple
            From :meth:`flip_state`.
        idx : jax.Array
            int, shape (B or 1, K, U): entries of x flipped by each of K moves.
        mask : jax.Array
            Shape of ``idx``; 0 for padding entries.

        Returns
        -------
        delta : jax.Array
            Complex, shape (B, K).
        theta_new : jax.Array
            Shape (B, K, αN), the hidden-unit inputs after each move.
        """
        pair, hidden = dense
        x, gx, theta, _ = state
        b = x.shape[0]
        g = pair + pair.T
        n = self.n_sites
        bias_vec = jnp.concatenate([jnp.full(n, params["bias"][0]), jnp.full(n, params["bias"][1]), jnp.zeros(n)])
        mask = mask.astype(x.dtype)
        if idx.shape[0] == 1:  # the same K moves for every sample (local energy)
            i0 = idx[0]
            xu = x[:, i0] * mask  # (B, K, U)
            gxu = gx[:, i0] + bias_vec[i0][None]
            guv = g[i0[:, :, None], i0[:, None, :]]  # (K, U, U)
            quad = jnp.einsum("bku,kuv,bkv->bk", xu, guv, xu)
            dtheta = jnp.einsum("bku,kuh->bkh", xu, hidden.T[i0])
        else:  # one move per sample (Metropolis)
            flat = idx.reshape(b, -1)
            xu = jnp.take_along_axis(x, flat, axis=1).reshape(idx.shape) * mask
            gxu = jnp.take_along_axis(gx, flat, axis=1).reshape(idx.shape) + bias_vec[idx]
            quad = jnp.einsum("bku,bkuv,bkv->bk", xu, g[idx[..., :, None], idx[..., None, :]], xu)
            dtheta = jnp.einsum("bku,bkuh->bkh", xu, hidden.T[idx])
        delta = -2.0 * jnp.sum(xu * gxu, axis=-1) + 2.0 * quad
        theta_new = theta[:, None, :] - 2.0 * dtheta
        if self.features:
            units = _log_cosh(theta_new) - _log_cosh(theta)[:, None, :]
            lam = jnp.repeat(params["hidden_power"], n)
            delta = delta + units @ lam
        return delta, theta_new

    def log_derivatives(self, params: dict[str, jax.Array], sigma: jax.Array, anc: jax.Array) -> dict[str, jax.Array]:
        """O_k = ∂ ln ψ/∂θ_k per sample, in closed form, with the structure of ``params``.

        Parameters
        ----------
        params : dict
        sigma, anc : jax.Array
            Shape (B, N), ±1.

        Returns
        -------
        dict
            Same keys as ``params``, each with a leading batch axis B.
        """
        perms = jnp.asarray(self.perms)
        dtype = params["pairs"].dtype
        x = jnp.stack([sigma, anc, sigma * anc], axis=1).astype(dtype)  # (B, 3, N)
        moved = x[:, :, perms]  # (B, 3, T, N)
        first = jnp.asarray([c for c, _ in _PAIRS])
        second = jnp.asarray([d for _, d in _PAIRS])
        out = {
            "bias": jnp.stack([jnp.sum(x[:, 0], axis=1), jnp.sum(x[:, 1], axis=1)], axis=1),
            "pairs": jnp.einsum("bpn,bptn->bpt", x[:, first], moved[:, second]),
        }
        c = params["hidden_bias"]
        theta = jnp.einsum("bctn,fcn->bft", moved, params["hidden"]) + c[None, :, None]
        lam = params["hidden_power"][None, :]
        tanh = jnp.tanh(theta)
        out["hidden_power"] = jnp.sum(_log_cosh(theta) - _log_cosh(c)[None, :, None], axis=2)
        out["hidden_bias"] = lam * jnp.sum(tanh - jnp.tanh(c)[None, :, None], axis=2)
        out["hidden"] = lam[:, :, None, None] * jnp.einsum("bft,bctn->bfcn", tanh, moved)
        return out


def _log_cosh(z: jax.Array) -> jax.Array:
    """Log-cosh ln cosh z for complex z, stable for large |Re z|."""
    s = jnp.where(jnp.real(z) < 0, -z, z)
    return s + jnp.log1p(jnp.exp(-2 * s)) - math.log(2.0)
