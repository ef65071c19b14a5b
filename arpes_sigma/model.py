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

Constraints are *inside* the model, not penalties: γ_l, Γ_j, Γ0 > 0 and
ρ_j ≥ 0 through softplus, and each hidden fermion contributes a rank-one
positive-semidefinite residue matrix (see :mod:`arpes_sigma.physics.hidden_fermion`).
So for every parameter value Σ̂ is analytic in the upper half plane,
Im Σ11 ≤ 0, (Im W)² ≤ Im Σ11 · Im Σ22 and Σ22(ω) = −Σ11(−ω)*.

Two faces of one model:

* :class:`SelfEnergyModel`, a Flax NNX module (``model(omega)``), for users;
* pure functions on the parameter pytree (:func:`init_params`,
  :func:`self_energy`, :func:`poles`, ...) that the fit compiles. The
  module's ``__call__`` is :func:`self_energy` on its own parameters, so
  both give the same numbers; the fit never traces the NNX object graph.

Parameters are stored in units of ``ENERGY_SCALE`` (0.1 eV) so that a step
size means the same for every energy.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from .errors import ConfigError
from .physics.hidden_fermion import background_sigma, hidden_fermion_sigma

__all__ = [
    "ENERGY_SCALE",
    "MIN_WIDTH",
    "ModelSpec",
    "Params",
    "SelfEnergyModel",
    "background_density",
    "components",
    "floor",
    "gap",
    "init_params",
    "n_params",
    "poles",
    "self_energy",
]

#: eV per unit of a stored energy parameter.
ENERGY_SCALE = 0.1
#: Smallest pole width (eV); keeps poles finite on a discrete grid.
MIN_WIDTH = 0.002

#: The parameter pytree: a dict of arrays (``layers`` a list of {kernel, bias}).
Params = dict[str, Any]


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

    def __post_init__(self) -> None:
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

    @property
    def layer_sizes(self) -> list[int]:
        """Input/output sizes of the background network's layers, [1, width, …, width, 1]."""
        return [1] + [self.width] * self.depth + [1]


# --------------------------------------------------------------------------
# pure functions on the parameter pytree
# --------------------------------------------------------------------------
def init_params(spec: ModelSpec, key: jax.Array) -> Params:
    """A fresh parameter pytree (jit/vmap friendly in ``key``).

    Hidden fermions start spread over ±0.15 eV with random pairing (zero for
    the normal-only model); the network layers start with LeCun-normal
    kernels and zero biases.
    """
    n = spec.n_poles
    k1, k2, k3, k4, k5 = jax.random.split(key, 5)
    init = jax.nn.initializers.lecun_normal()
    sizes = spec.layer_sizes
    layer_keys = jax.random.split(k5, len(sizes) - 1)
    layers = [
        {"kernel": init(kk, (a, b), jnp.float32), "bias": jnp.zeros((b,), jnp.float32)}
        for kk, a, b in zip(layer_keys, sizes[:-1], sizes[1:], strict=True)
    ]
    return {
        "level": jax.random.uniform(k1, (n,), minval=-1.5, maxval=1.5),
        "pairing": (0.3 * jax.random.normal(k2, (n,))) if spec.anomalous else jnp.zeros((n,)),
        "coupling": 0.3 + 0.4 * jax.random.uniform(k3, (n,)),
        "width_raw": -2.0 + 0.5 * jax.random.normal(k4, (n,)),
        "static_gap": jnp.asarray(0.1 if spec.anomalous else 0.0, dtype=jnp.float32),
        "floor_raw": jnp.asarray(-2.0, dtype=jnp.float32),
        "layers": layers,
    }


def poles(params: Params, spec: ModelSpec) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Hidden-fermion parameters in eV: (V, ε, D, γ), each shape (n_poles,)."""
    s = ENERGY_SCALE
    d = params["pairing"] * s if spec.anomalous else jnp.zeros_like(params["pairing"])
    gamma = MIN_WIDTH + s * jax.nn.softplus(params["width_raw"])
    return params["coupling"] * s, params["level"] * s, d, gamma


def gap(params: Params, spec: ModelSpec) -> jax.Array:
    """Static real gap Δ0 in eV (0 for the normal-only model)."""
    return params["static_gap"] * ENERGY_SCALE if spec.anomalous else jnp.zeros((), params["static_gap"].dtype)


def floor(params: Params) -> jax.Array:
    """Frequency-independent scattering rate Γ0 (eV, ≥ 0)."""
    return ENERGY_SCALE * jax.nn.softplus(params["floor_raw"])


def background_grid(spec: ModelSpec) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Scaled node positions u_j ∈ [−1, 1], nodes x_j = Ω u_j (eV) and spacings Δx_j (eV)."""
    u = jnp.linspace(-1.0, 1.0, spec.n_background)
    x = spec.omega_max * u
    return u, x, jnp.full_like(x, x[1] - x[0])


def background_density(params: Params, spec: ModelSpec) -> tuple[jax.Array, jax.Array]:
    """Nodes x_j (eV) and the non-negative spectral density −Im Σ_bg/π there (eV)."""
    u, x, _ = background_grid(spec)
    h = u[:, None]
    layers = params["layers"]
    for layer in layers[:-1]:
        h = jnp.tanh(h @ layer["kernel"] + layer["bias"])
    out = h @ layers[-1]["kernel"] + layers[-1]["bias"]
    return x, jax.nn.softplus(out[:, 0] - 1.0) * 0.02


def components(params: Params, spec: ModelSpec, omega: jax.Array) -> dict[str, Any]:
    """Separate contributions, each complex of shape (E,), eV.

    Returns
    -------
    dict
        ``poles`` (Σ11, Σ22, W of the hidden fermions), ``background``
        (Σ11, Σ22 of the network background plus −iΓ0) and ``gap`` (Δ0).
    """
    v, eps, d, gamma = poles(params, spec)
    p11, p22, pw = hidden_fermion_sigma(omega, v, eps, d, gamma)
    _, _, dx = background_grid(spec)
    x, density = background_density(params, spec)
    b11, b22 = background_sigma(omega, x, density * dx, 1.5 * dx)
    f = 1j * floor(params)
    return {"poles": (p11, p22, pw), "background": (b11 - f, b22 - f), "gap": gap(params, spec)}


def self_energy(params: Params, spec: ModelSpec, omega: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Σ11(ω), Σ22(ω), W(ω) of the model, complex arrays of shape (E,), eV."""
    c = components(params, spec, omega)
    p11, p22, pw = c["poles"]
    b11, b22 = c["background"]
    return p11 + b11, p22 + b22, pw + c["gap"]


def n_params(spec: ModelSpec) -> int:
    """Rough count of the model's effective free parameters, for the reduced χ².

    Four per hidden fermion, the gap and the floor, and ``width`` per network
    layer plus two (the background's weights are strongly tied by the
    smoothness prior, so counting every weight would overstate the freedom).
    """
    return 4 * spec.n_poles + 2 + spec.width * (spec.depth + 2)


@functools.lru_cache(maxsize=32)
def batched_init(spec: ModelSpec) -> Callable[[jax.Array], Params]:
    """Jitted ``keys (R,) -> params`` stacked on axis 0 (one compilation per spec)."""
    return jax.jit(jax.vmap(lambda key: init_params(spec, key)))


# --------------------------------------------------------------------------
# the Flax NNX face
# --------------------------------------------------------------------------
class SelfEnergyModel(nnx.Module):
    """Causal, pairing-bounded Nambu self-energy as a Flax NNX module (see the module docstring).

    Call with frequencies ``omega`` (shape (E,), eV) to get ``(sigma11,
    sigma22, w)``, complex arrays of shape (E,) in eV. The parameters are
    :class:`flax.nnx.Param` leaves with the names of :func:`init_params`;
    :meth:`params` returns them as the plain pytree the pure functions take.

    Parameters
    ----------
    spec : ModelSpec
    rngs : flax.nnx.Rngs
        Uses the ``params`` stream.
    params : dict, optional
        Start from these values (e.g. a fitted parameter pytree) instead of a
        random initialisation.
    """

    def __init__(self, spec: ModelSpec, *, rngs: nnx.Rngs, params: Params | None = None):
        self.spec = spec
        p = init_params(spec, rngs.params()) if params is None else params
        for name in ("level", "pairing", "coupling", "width_raw", "static_gap", "floor_raw"):
            setattr(self, name, nnx.Param(jnp.asarray(p[name])))
        self.layers = nnx.List(
            [nnx.Dict({"kernel": nnx.Param(jnp.asarray(lay["kernel"])), "bias": nnx.Param(jnp.asarray(lay["bias"]))})
             for lay in p["layers"]]
        )

    def params(self) -> Params:
        """The parameters as a plain pytree (the form :func:`self_energy` takes)."""
        out = {name: getattr(self, name)[...] for name in ("level", "pairing", "coupling", "width_raw",
                                                             "static_gap", "floor_raw")}
        out["layers"] = [{"kernel": lay["kernel"][...], "bias": lay["bias"][...]} for lay in self.layers]
        return out

    def poles(self) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
        """Hidden-fermion parameters in eV: (V, ε, D, γ), each shape (n_poles,)."""
        return poles(self.params(), self.spec)

    def gap(self) -> jax.Array:
        """Static real gap Δ0 in eV."""
        return gap(self.params(), self.spec)

    def floor(self) -> jax.Array:
        """Frequency-independent scattering rate Γ0 (eV, ≥ 0)."""
        return floor(self.params())

    def background_density(self) -> tuple[jax.Array, jax.Array]:
        """Nodes x_j (eV) and the non-negative background density −Im Σ_bg/π (eV)."""
        return background_density(self.params(), self.spec)

    def components(self, omega: jax.Array) -> dict[str, Any]:
        """Separate contributions; see :func:`components`."""
        return components(self.params(), self.spec, omega)

    def __call__(self, omega: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Σ11(ω), Σ22(ω), W(ω) on ``omega`` (E,), complex, eV."""
        return self_energy(self.params(), self.spec, omega)
