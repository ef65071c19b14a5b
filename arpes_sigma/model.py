"""The Flax (NNX) self-energy model: Σ11(ω) and W(ω) that are causal and bounded for any weights.

The model is the Nambu self-energy of the electron coupled to ``n_poles``
*hidden fermions* (the hidden units of the Boltzmann-machine representation of
Yamaji, Yoshida, Fujimori and Imada, Phys. Rev. Research 3, 043099 (2021)),
plus a static gap and a smooth normal background produced by a neural network:

    Σ̂(ω) = Σ_l V_l² τ3 [ω + iγ_l − ε_l τ3 − D_l τ1]⁻¹ τ3      (hidden fermions)
          + Δ0 τ1                                            (static real gap)
          + diag(Σ_bg(ω), −Σ_bg(−ω)*) − iΓ0                  (normal background)

    Σ_bg(ω) = Σ_j ρ_j / (ω − x_j + iΓ_j),  ρ_j = softplus(MLP(u_j)) · Δx_j · s

(uniform nodes x_j on [−Ω, Ω], widths Γ_j = 1.5 Δx)

Constraints are *inside* ``__call__``, not penalties: γ_l, Γ_j, Γ0 > 0 and
ρ_j ≥ 0 through softplus, and each hidden fermion contributes a rank-one
positive-semidefinite residue matrix (see :mod:`arpes_sigma.physics.hidden_fermion`).
So for every parameter value Σ̂ is analytic in the upper half plane,
Im Σ11 ≤ 0, (Im W)² ≤ Im Σ11 · Im Σ22 and Σ22(ω) = −Σ11(−ω)*.

Parameters are stored in units of ``ENERGY_SCALE`` (0.1 eV) so that Adam's step
size means the same for every energy.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
from flax import nnx

from .errors import ConfigError
from .physics.hidden_fermion import background_sigma, hidden_fermion_sigma

__all__ = ["ENERGY_SCALE", "ModelSpec", "SelfEnergyModel", "init_state", "init_states", "model_graphdef", "apply_state"]

#: eV per unit of a stored energy parameter.
ENERGY_SCALE = 0.1
#: Smallest pole width (eV); keeps poles finite on a discrete grid.
MIN_WIDTH = 0.002


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Shape of the self-energy model (everything here changes compiled shapes).

    Parameters
    ----------
    n_poles : int
        Number of hidden fermions ("hidden units"), 1–32.
    width, depth : int
        Hidden width (1–256) and number of hidden layers (0–6) of the
        background network.
    n_background : int
        Number of nodes x_j of the background spectral density (8–256).
    omega_max : float, eV
        The background density lives on [−omega_max, omega_max].
    anomalous : bool
        False gives the normal-only model (W ≡ 0), the baseline for the
        evidence for pairing.
    """

    n_poles: int = 4
    width: int = 16
    depth: int = 2
    n_background: int = 128
    omega_max: float = 0.6
    anomalous: bool = True

    def __post_init__(self):
        checks = [
            ("n_poles", self.n_poles, 1, 32),
            ("width", self.width, 1, 256),
            ("depth", self.depth, 0, 6),
            ("n_background", self.n_background, 8, 256),
        ]
        for name, value, lo, hi in checks:
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise ConfigError(f"{name}={value!r} is out of range; use an integer in [{lo}, {hi}]")
        if not 0.05 <= float(self.omega_max) <= 5.0:
            raise ConfigError(f"omega_max={self.omega_max!r} eV is out of range; use 0.05–5 eV")


class SelfEnergyModel(nnx.Module):
    """Causal, pairing-bounded Nambu self-energy (see the module docstring).

    Call with frequencies ``omega`` (shape (E,), eV) to get
    ``(sigma11, sigma22, w)``, complex arrays of shape (E,) in eV.
    """

    def __init__(self, spec: ModelSpec, *, rngs: nnx.Rngs):
        self.spec = spec
        n = spec.n_poles
        key = rngs.params()
        k1, k2, k3, k4 = jax.random.split(key, 4)
        # hidden fermions spread over the occupied and unoccupied side
        self.level = nnx.Param(jax.random.uniform(k1, (n,), minval=-1.5, maxval=1.5))
        self.pairing = nnx.Param(
            (0.3 * jax.random.normal(k2, (n,))) if spec.anomalous else jnp.zeros((n,))
        )
        self.coupling = nnx.Param(0.3 + 0.4 * jax.random.uniform(k3, (n,)))
        self.width_raw = nnx.Param(-2.0 + 0.5 * jax.random.normal(k4, (n,)))
        self.static_gap = nnx.Param(jnp.asarray(0.1 if spec.anomalous else 0.0, dtype=jnp.float32))
        self.floor_raw = nnx.Param(jnp.asarray(-2.0, dtype=jnp.float32))
        sizes = [1] + [spec.width] * spec.depth + [1]
        self.layers = nnx.List(
            [nnx.Linear(a, b, rngs=rngs) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        )

    # -- pieces ------------------------------------------------------------
    def poles(self):
        """Hidden-fermion parameters in eV: (V, ε, D, γ), each shape (n_poles,)."""
        s = ENERGY_SCALE
        d = self.pairing[...] * s if self.spec.anomalous else jnp.zeros_like(self.pairing[...])
        gamma = MIN_WIDTH + s * jax.nn.softplus(self.width_raw[...])
        return self.coupling[...] * s, self.level[...] * s, d, gamma

    def gap(self):
        """Static real gap Δ0 in eV (0 for the normal-only model)."""
        return self.static_gap[...] * ENERGY_SCALE if self.spec.anomalous else jnp.asarray(0.0)

    def background_grid(self):
        """Scaled node positions u_j ∈ [−1, 1], nodes x_j = Ω u_j (eV) and spacings Δx_j (eV)."""
        spec = self.spec
        u = jnp.linspace(-1.0, 1.0, spec.n_background)
        x = spec.omega_max * u
        return u, x, jnp.full_like(x, x[1] - x[0])

    def background_density(self):
        """Nodes x_j (eV) and the non-negative spectral density −Im Σ_bg/π there (eV)."""
        u, x, _ = self.background_grid()
        h = u[:, None]
        for layer in self.layers[:-1]:
            h = jnp.tanh(layer(h))
        return x, jax.nn.softplus(self.layers[-1](h)[:, 0] - 1.0) * 0.02

    def background_nodes(self):
        """Nodes x_j (eV), weights ρ_j = density·Δx_j (eV², ≥ 0) and widths Γ_j = 1.5 Δx_j (eV)."""
        _, _, dx = self.background_grid()
        x, density = self.background_density()
        return x, density * dx, 1.5 * dx

    def floor(self):
        """Frequency-independent scattering rate Γ0 (eV, ≥ 0)."""
        return ENERGY_SCALE * jax.nn.softplus(self.floor_raw[...])

    def components(self, omega):
        """Separate contributions, each complex shape (E,), eV.

        Returns a dict with ``poles`` (Σ11, Σ22, W of the hidden fermions),
        ``background`` (Σ11, Σ22 of the network background plus −iΓ0) and
        ``gap`` (Δ0).
        """
        v, eps, d, gamma = self.poles()
        p11, p22, pw = hidden_fermion_sigma(omega, v, eps, d, gamma)
        x, rho, width = self.background_nodes()
        b11, b22 = background_sigma(omega, x, rho, width)
        floor = 1j * self.floor()
        return {"poles": (p11, p22, pw), "background": (b11 - floor, b22 - floor), "gap": self.gap()}

    def __call__(self, omega):
        c = self.components(omega)
        p11, p22, pw = c["poles"]
        b11, b22 = c["background"]
        return p11 + b11, p22 + b22, pw + c["gap"]


def init_state(spec: ModelSpec, key):
    """Graph definition and parameter state of a freshly initialised model.

    ``key`` may be batched under ``jax.vmap`` to initialise several restarts.
    """
    model = SelfEnergyModel(spec, rngs=nnx.Rngs(params=key))
    return nnx.split(model)


@functools.lru_cache(maxsize=32)
def _batched_init(spec: ModelSpec):
    return jax.jit(jax.vmap(lambda key: init_state(spec, key)[1]))


@functools.lru_cache(maxsize=32)
def model_graphdef(spec: ModelSpec):
    """The graph definition of a model of shape ``spec`` (no arrays are allocated)."""
    abstract = nnx.eval_shape(lambda: SelfEnergyModel(spec, rngs=nnx.Rngs(params=0)))
    return nnx.graphdef(abstract)


def init_states(spec: ModelSpec, keys):
    """Parameter states of ``len(keys)`` independent initialisations, stacked on axis 0 (jitted)."""
    return _batched_init(spec)(keys)


def apply_state(graphdef, state, omega):
    """Pure function (jit/vmap friendly): Σ11, Σ22, W of the model with ``state``."""
    return nnx.merge(graphdef, state)(omega)
