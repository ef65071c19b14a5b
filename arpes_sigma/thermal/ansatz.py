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

Nodes, and the ancilla along y
------------------------------
For a real Hamiltonian with the ancilla along x, every column e^{−βH/2}|a_x⟩
is real, and its amplitudes change sign as β grows (on the 4-site Ising ring,
J = h = 1, none up to β = 0.5, 68 sign changes over the 2^8 amplitudes by
β = 1). A holomorphic log-amplitude cannot follow an amplitude through zero,
so the projected flow leaves it behind: exact-sum TDVP of that ring is
1.9 % / 3.3 % too warm in E at T = 1 / 0.5 whatever α (2 or 8). Reading the
ancilla through e^{iπX/4} instead (``ancilla="y"``),

    ψ(σ, a; 0) = 2^{−N/2} Π_i i^{(1 − σ_i a_i)/2},   ln ψ = −iπ/4 Σ_i σ_i a_i + const,

makes each column e^{−βH/2}(u + iv) with real u, v: an amplitude vanishes only
where two real functions vanish together, which generically does not happen.
For an SU(2)-invariant H (the J1–J2 model) it changes nothing: e^{iπX/4} is a
global rotation that commutes with e^{−βH/2}, and within each magnetisation
sector it multiplies the column by one phase, so the nodes stay (on 3 × 3 the
first ones appear between β = 1 and 2).

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

__all__ = ["PurifiedRBM", "SYMMETRIES", "check_symmetry", "machine_for", "symmetry_table", "translation_table"]

_CHANNELS = 3  # σ, a, r = σ a
#: channel pairs of the two-body (Jastrow-like) couplings: σσ, aa, rr, σa, σr, ar
_PAIRS = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))
#: spread of the hidden units' starting weights, as a total over the 3N inputs
_HIDDEN_SCALE = 1.0
#: groups a hidden feature can be shared over (:func:`machine_for`)
SYMMETRIES = ("translation", "swap", "space", "full")


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


def symmetry_table(
    model: TransverseFieldIsing | J1J2Square, point_group: bool = True, swap: bool | None = None
) -> np.ndarray:
    """Permutations of the hidden layer's inputs x = (σ, a, r) under the symmetries of the purified state.

    The β = 0 state Π_i a_i^{n_i} is invariant under any permutation applied to σ
    and a together, and H ⊗ 1 under the lattice's space group, so ψ(σ, a; β) is
    invariant under translations × point group (D4 on an L × L torus, the two
    axis reflections and the 180° rotation on Lx ≠ Ly, the reflection i → −i on a
    ring). For the Heisenberg (J1–J2) model, ψ(σ, a; β) = ψ(a, σ; β) as well: with
    the ancilla read through Hadamard gates ψ = e^{−βH/2} Had^{⊗N} (as 2^N × 2^N
    matrices [σ, a]), and Had^{⊗N} commutes with Σ S_i·S_j (x ↔ z, y → −y), so the
    matrix is symmetric. The transverse-field Ising chain has no such swap.

    A hidden feature shared over the G elements of this group gives G hidden units
    for the parameters of one, and keeps ln ψ exactly invariant.

    Parameters
    ----------
    model : TransverseFieldIsing (periodic) or J1J2Square
    point_group : bool
        Include the point group (else translations only).
    swap : bool, optional
        Include σ ↔ a; default: True for J1J2Square, False for the Ising chain.

    Returns
    -------
    numpy.ndarray
        int32, shape (G, 3N); row g lists, for each entry k of the flattened
        x = (σ, a, r), the entry of x that g moves to position k (row 0 is the identity).
    """
    n = model.n_sites
    if swap is None:
        swap = isinstance(model, J1J2Square)
    if swap and not isinstance(model, J1J2Square):
        raise ConfigError("the σ ↔ a swap is a symmetry of the Heisenberg (J1–J2) purified state only; use swap=False")
    trans = translation_table(model)
    if isinstance(model, J1J2Square):
        lx, ly = model.lx, model.ly
        ops = [lambda x, y: (x, y)]
        if point_group:
            ops += [lambda x, y: (-x, y), lambda x, y: (x, -y), lambda x, y: (-x, -y)]
            if lx == ly:
                ops += [lambda x, y: (y, x), lambda x, y: (-y, x), lambda x, y: (y, -x), lambda x, y: (-y, -x)]
        point = [np.array([(u % lx) + lx * (v % ly) for y in range(ly) for x in range(lx) for u, v in [op(x, y)]])
                 for op in ops]
    else:
        point = [np.arange(n)] + ([(-np.arange(n)) % n] if point_group else [])
    sites = np.unique(np.array([p[t] for p in point for t in trans]), axis=0)
    ident = np.arange(n)
    sites = np.concatenate([ident[None], sites[~np.all(sites == ident, axis=1)]])
    blocks = [(0, 1, 2)] + ([(1, 0, 2)] if swap else [])
    rows = [np.concatenate([c * n + p for c in chans]) for chans in blocks for p in sites]
    return np.array(rows, dtype=np.int32)


def check_symmetry(model: TransverseFieldIsing | J1J2Square, symmetry: str) -> None:
    """Raise :class:`~arpes_sigma.errors.ConfigError` unless ``symmetry`` is a group of ``model``'s purified state."""
    if symmetry not in SYMMETRIES:
        raise ConfigError(f"symmetry must be one of {', '.join(SYMMETRIES)}, got {symmetry!r}")
    if symmetry == "swap" and not isinstance(model, J1J2Square):
        raise ConfigError("symmetry 'swap' (σ ↔ a) holds for the J1–J2 model only; use translation or space")


def machine_for(model: TransverseFieldIsing | J1J2Square, features: int, symmetry: str = "translation") -> PurifiedRBM:
    """The purified machine of ``model`` with its hidden features shared over a symmetry group.

    Parameters
    ----------
    model : TransverseFieldIsing (periodic) or J1J2Square
    features : int
        Feature maps α.
    symmetry : {"translation", "swap", "space", "full"}
        Translations (α·N hidden units), translations × σ ↔ a (J1–J2 only; 2αN
        units), the space group (translations × point group), or the space group ×
        σ ↔ a where that is a symmetry (J1–J2; for the Ising chain "full" is the
        space group). See :func:`symmetry_table`.
    """
    check_symmetry(model, symmetry)
    perms = translation_table(model)
    ancilla = "y" if isinstance(model, TransverseFieldIsing) else "x"
    if symmetry == "translation":
        return PurifiedRBM(perms, features, ancilla=ancilla)
    swap = symmetry in ("swap", "full") and isinstance(model, J1J2Square)
    return PurifiedRBM(perms, features, symmetry_table(model, point_group=symmetry != "swap", swap=swap), ancilla)


@dataclasses.dataclass(frozen=True)
class PurifiedRBM:
    """Translation-symmetric purified Boltzmann machine (static structure; weights live in a pytree).

    Parameters
    ----------
    perms : numpy.ndarray
        int32, shape (N, N), from :func:`translation_table` (shares the two-body couplings).
    features : int
        Hidden-unit feature maps α (α·G hidden units).
    hidden_perms : numpy.ndarray, optional
        int32, shape (G, 3N), from :func:`symmetry_table`: the group each feature is
        shared over. Default: the translations of ``perms`` (G = N).
    ancilla : {"x", "y"}
        Gate on each ancilla of the β = 0 Bell pairs: Hadamard ("x") or e^{iπX/4} ("y").
    """

    perms: np.ndarray
    features: int = 2
    hidden_perms: np.ndarray | None = None
    ancilla: str = "x"

    def __post_init__(self):
        if not isinstance(self.features, int) or isinstance(self.features, bool) or self.features < 0:
            raise ConfigError(f"features must be an integer >= 0, got {self.features!r}; e.g. 2")
        if self.ancilla not in ("x", "y"):
            raise ConfigError(f"ancilla must be 'x' or 'y', got {self.ancilla!r}")
        if self.hidden_perms is None:
            n = self.perms.shape[1]
            table = np.concatenate([c * n + self.perms for c in range(_CHANNELS)], axis=1).astype(np.int32)
            object.__setattr__(self, "hidden_perms", table)

    @property
    def group_size(self) -> int:
        """Hidden units per feature G (the symmetry group's order)."""
        return int(self.hidden_perms.shape[0])

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
        y = self.ancilla == "y"
        pairs[_PAIRS.index((0, 1)), 0] = (-1j if y else 1j) * math.pi / 4
        rng = np.random.default_rng(seed)
        w = rng.normal(scale=_HIDDEN_SCALE / math.sqrt(_CHANNELS * n), size=(f, _CHANNELS, n))
        return {
            "bias": jnp.asarray(np.full(2, 0.0 if y else -1j * math.pi / 4, dtype=np.complex128)),
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
            Shape (αG, 3N): θ = hidden @ x + c of the α·G hidden units.
        """
        n = self.n_sites
        perms = jnp.asarray(self.perms)
        onehot = jax.nn.one_hot(perms, n, dtype=params["pairs"].dtype)  # (T, N, N): [t, i, t(i)]
        pair = jnp.zeros((_CHANNELS, n, _CHANNELS, n), dtype=params["pairs"].dtype)
        for p, (c, d) in enumerate(_PAIRS):
            pair = pair.at[c, :, d, :].add(jnp.einsum("t,tij->ij", params["pairs"][p], onehot))
        w = params["hidden"].reshape(self.features, _CHANNELS * n)  # weight to entry g(k) of x for unit (f, g)
        moved = jax.nn.one_hot(jnp.asarray(self.hidden_perms), _CHANNELS * n, dtype=w.dtype)  # (G, 3N, 3N)
        hidden = jnp.einsum("fk,gkl->fgl", w, moved).reshape(self.features * self.group_size, _CHANNELS * n)
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
        x = jnp.concatenate([sigma, anc, sigma * anc], axis=1).astype(pair.real.dtype)  # (B, 3N), real ±1
        n = self.n_sites
        out = params["bias"][0] * jnp.sum(x[:, :n], axis=1) + params["bias"][1] * jnp.sum(x[:, n : 2 * n], axis=1)
        out = out + jnp.sum(_real_matmul(x, pair) * x, axis=1)
        if self.features:
            c = jnp.repeat(params["hidden_bias"], self.group_size)
            units = _log_cosh(_real_matmul(x, hidden.T) + c[None]) - _log_cosh(c)[None]
            out = out + units.reshape(-1, self.features, self.group_size).sum(axis=2) @ params["hidden_power"]
        return out


    def flip_state(self, params: dict[str, jax.Array], dense: tuple, sigma: jax.Array, anc: jax.Array) -> tuple:
        """Cached quantities for fast flips: x = (σ, a, r), G x with G = P + Pᵀ, θ and ln ψ.

        Returns
        -------
        tuple
            ``(x (B, 3N), gx (B, 3N), theta (B, αN), log_psi (B,))``.
        """
        pair, hidden = dense
        xr = jnp.concatenate([sigma, anc, sigma * anc], axis=1).astype(pair.real.dtype)
        theta = _real_matmul(xr, hidden.T) + jnp.repeat(params["hidden_bias"], self.group_size)[None]
        gx = _real_matmul(xr, pair + pair.T)
        return xr.astype(pair.dtype), gx, theta, self.log_amplitude_dense(params, dense, sigma, anc)

    def flip_log_ratio(
        self, params: dict[str, jax.Array], dense: tuple, state: tuple, idx: jax.Array, mask: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        """Change ln ψ(x') − ln ψ(x) when the entries ``idx`` of x = (σ, a, r) change sign.

        Flipping σ_k flips entries k and 2N + k; flipping a_k flips N + k and 2N + k.
        Cost O(α G) per move instead of O(α G N) for a full evaluation.

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
            Shape (B, K, αG), the hidden-unit inputs after each move.
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
            lam = jnp.repeat(params["hidden_power"], self.group_size)
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
        b, n = x.shape[0], self.n_sites
        # real ±1 inputs gathered per group element; complex products split into real ones (much faster on CPU)
        xg = x.real.reshape(b, _CHANNELS * n)[:, jnp.asarray(self.hidden_perms)]  # (B, G, 3N)
        w = params["hidden"].reshape(self.features, _CHANNELS * n)
        theta = _real_einsum("bgk,fk->bfg", xg, w) + c[None, :, None]
        lam = params["hidden_power"][None, :]
        tanh = jnp.tanh(theta)
        out["hidden_power"] = jnp.sum(_log_cosh(theta) - _log_cosh(c)[None, :, None], axis=2)
        out["hidden_bias"] = lam * jnp.sum(tanh - jnp.tanh(c)[None, :, None], axis=2)
        grad_w = _real_einsum("bgk,bfg->bfk", xg, tanh)
        out["hidden"] = (lam[:, :, None] * grad_w).reshape(b, *params["hidden"].shape)
        return out


def _real_matmul(x: jax.Array, m: jax.Array) -> jax.Array:
    """Product x @ m of real x and complex m as two real products (XLA's complex dot is slow on CPU)."""
    return jax.lax.complex(x @ m.real, x @ m.imag)


def _real_einsum(spec: str, x: jax.Array, m: jax.Array) -> jax.Array:
    """``einsum(spec, x, m)`` for real x and complex m as two real contractions."""
    return jax.lax.complex(jnp.einsum(spec, x, m.real), jnp.einsum(spec, x, m.imag))


def _log_cosh(z: jax.Array) -> jax.Array:
    """Log-cosh ln cosh z for complex z, stable for large |Re z|."""
    s = jnp.where(jnp.real(z) < 0, -z, z)
    return s + jnp.log1p(jnp.exp(-2 * s)) - math.log(2.0)
