"""The Flax (NNX) self-energy model: Σ11(ω) and W(ω) that are causal and bounded for any parameters.

The model is the Nambu self-energy of the electron coupled to ``n_poles``
*hidden fermions* (the hidden units of the Boltzmann-machine representation of
Yamaji, Yoshida, Fujimori and Imada, Phys. Rev. Research 3, 043099 (2021)),
plus a static gap and a smooth normal background produced by a small network:

    Σ̂(ω) = Σ_l V_l² τ3 [ω + iγ_l − ε_l τ3 − D_l τ1]⁻¹ τ3   with W scaled by c_l  (hidden fermions)
          + p·Δ0 τ1                                                           (static real gap)
          + diag(Σ_bg(ω), −Σ_bg(−ω)*) − iΓ0                                    (normal background)

    Σ_bg(ω) = Σ_j ρ_j / (ω − x_j + iΓ_j),  ρ_j = softplus(net(u_j)) · Δx_j · s

(uniform nodes x_j on [−Ω, Ω], widths Γ_j = 1.5 Δx; the network sees smooth
radial-basis features of u_j = x_j/Ω).

**Beyond rank one.** A hidden fermion with level ε, pairing D and
hybridisation V gives residue matrices V²[[u², ∓uv], [∓uv, v²]] at ±E,
E = √(ε² + D²): rank one, so its Σ11 and W poles cancel *exactly* in
Σ_tot (Sakai, Civelli and Imada, PRL 116, 057003 (2016)). Each pole here also
carries a *pairing coherence* c_l = p·tanh(φ_l) ∈ (−1, 1) that scales its
off-diagonal residue to V²c_l uv: the residue matrix V²[[u², ∓c uv], [∓c uv,
v²]] has determinant V⁴u²v²(1 − c²) ≥ 0, i.e. it is the average over hidden
fermions at the same energy whose pairing angles are spread (c = ⟨cos⟩ of the
spread). |c| = 1 is the rank-one hidden fermion, c = 0 a normal pole pair,
and in between the Σ11 peak is only partly cancelled — so the cancellation is
measured, not built in. ``p`` ∈ {0, 1} (traced) switches all pairing off: the
normal-only model is the same parameters with p = 0.

Constraints are *inside* the model, not penalties: γ_l, Γ_j, Γ0 > 0 and
ρ_j ≥ 0 through softplus, |c_l| < 1 through tanh, so for every parameter value
Σ̂ is analytic in the upper half plane, Im Σ11 ≤ 0, (Im W)² ≤ Im Σ11 · Im Σ22
and Σ22(ω) = −Σ11(−ω)*, W(ω) = W(−ω)*.

Two faces of one model:

* pure functions on the parameter pytree (:func:`init_params`,
  :func:`self_energy`, :func:`poles`, ...) that the fit compiles;
* :class:`SelfEnergyModel`, a Flax NNX module (``model(omega)``), whose
  ``__call__`` is :func:`self_energy` on its own parameters.

The pytree also carries three coefficients of a bounded quadratic correction
to the bare band, ε_k = ε_guess(k) + δ(k) (:func:`band_correction`), which
the fit learns when the given ε_k is only a guess; the self-energy does not
depend on them.

Parameters are stored in units of ``ENERGY_SCALE`` (0.1 eV) so that every
parameter is of order one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from .model_spec import ModelSpec
from .physics.hidden_fermion import background_sigma, hidden_fermion_sigma

__all__ = [
    "BAND_BOUNDS",
    "BAND_PRIOR_WIDTH",
    "ENERGY_SCALE",
    "MIN_WIDTH",
    "PAIRING_LEAVES",
    "POLE_LEAVES",
    "ModelSpec",
    "Params",
    "SelfEnergyModel",
    "background_density",
    "band_coefficients",
    "band_correction",
    "batched_init",
    "coherence",
    "components",
    "floor",
    "gap",
    "init_params",
    "legendre_quadratic",
    "n_params",
    "poles",
    "self_energy",
]

#: eV per unit of a stored energy parameter.
ENERGY_SCALE = 0.1
#: Smallest pole width (eV); keeps poles finite on a discrete grid.
MIN_WIDTH = 0.002
#: Leaves that only act through the pairing switch p (absent from the normal-only model).
PAIRING_LEAVES = ("coherence_raw", "static_gap")
#: Leaves with one entry per hidden fermion (pole); all zero is a pole switched off (V = 0).
POLE_LEAVES = ("level", "split", "coupling", "width_raw", "coherence_raw")

#: Bounds (eV) on the coefficients (d0, d1, d2) of the band correction δ(x) = Σ_j d_j P_j(x)
#: (:func:`band_correction`): |d_j| < 60 meV, i.e. two prior widths. Larger errors mean the
#: guess itself is wrong (another band or Fermi crossing) — the fit should not repair that silently.
BAND_BOUNDS = (0.06, 0.06, 0.06)
#: Width (eV) of the Gaussian prior on each band coefficient d_j (:mod:`arpes_sigma.fitting.loss`).
#: The size of the errors of an MDC guess ε = v (k − k_F) (:mod:`arpes_sigma.io.mdc`): k_F off by
#: one momentum bin (≈ 0.006 Å⁻¹ × 2–4 eV·Å ≈ 10–25 meV), a velocity renormalised by 1 + λ with
#: λ ≈ 0.3–1 (tens of meV at the ends of a ±0.1 eV band range) and the curvature a straight line
#: ignores (ħ²Δk²/2m ≈ 40 meV over ±0.1 Å⁻¹ for the free-electron mass).
BAND_PRIOR_WIDTH = 0.03

#: The parameter pytree: a dict of arrays (``layers`` a list of {kernel, bias}).
Params = dict[str, Any]




# --------------------------------------------------------------------------
# pure functions on the parameter pytree
# --------------------------------------------------------------------------
def init_params(spec: ModelSpec, key: jax.Array, *, paired_start: bool | jax.Array = True) -> Params:
    """A fresh parameter pytree (jit/vmap friendly in ``key`` and ``paired_start``).

    Hidden fermions start at levels spread over ±0.15 eV with couplings
    30–70 meV and small pole splittings. ``paired_start`` gives them pairing
    coherences of random sign with |c| = tanh(0.6) ≈ 0.54 and a 5 meV static
    gap, otherwise a weak start, |c| = tanh(0.15) ≈ 0.15 and 1 meV (never
    exactly zero: W enters the spectrum squared, so W = 0 is a stationary
    point the paired model could not leave). The network starts with small
    LeCun-normal kernels and zero biases (a nearly flat background); the band
    correction (:func:`band_correction`) starts at zero, i.e. at the given ε_k.
    """
    n = spec.n_poles
    k1, k2, k3, k4, k5, k6 = jax.random.split(key, 6)
    init = jax.nn.initializers.lecun_normal()
    sizes = spec.layer_sizes
    layer_keys = jax.random.split(k6, len(sizes) - 1)
    layers = [
        {"kernel": 0.3 * init(kk, (a, b), jnp.float32), "bias": jnp.zeros((b,), jnp.float32)}
        for kk, a, b in zip(layer_keys, sizes[:-1], sizes[1:], strict=True)
    ]
    paired = jnp.asarray(paired_start, jnp.float32)
    return {
        "level": jax.random.uniform(k1, (n,), minval=-1.5, maxval=1.5),
        "split": 0.3 * jax.random.normal(k2, (n,)),
        "coupling": 0.3 + 0.4 * jax.random.uniform(k3, (n,)),
        "width_raw": -2.0 + 0.5 * jax.random.normal(k4, (n,)),
        "coherence_raw": (0.15 + 0.45 * paired) * jax.random.choice(k5, jnp.asarray([-1.0, 1.0]), (n,)),
        "static_gap": (0.01 + 0.04 * paired) * jnp.ones((), jnp.float32),
        "floor_raw": jnp.asarray(-2.0, dtype=jnp.float32),
        "band": jnp.zeros((3,), jnp.float32),
        "layers": layers,
    }


def coherence(params: Params, pairing: jax.Array | float = 1.0) -> jax.Array:
    """Pairing coherence c_l = p·tanh(φ_l) ∈ (−1, 1) of each pole (1: rank-one hidden fermion)."""
    return pairing * jnp.tanh(params["coherence_raw"])


def poles(params: Params, pairing: jax.Array | float = 1.0) -> tuple[jax.Array, ...]:
    """Pole parameters in eV: (V, ε, D, γ) and the coherence c, each shape (n_poles,)."""
    s = ENERGY_SCALE
    gamma = MIN_WIDTH + s * jax.nn.softplus(params["width_raw"])
    return params["coupling"] * s, params["level"] * s, params["split"] * s, gamma, coherence(params, pairing)


def gap(params: Params, pairing: jax.Array | float = 1.0) -> jax.Array:
    """Static real gap Δ0 in eV (0 when pairing is switched off)."""
    return pairing * params["static_gap"] * ENERGY_SCALE


def floor(params: Params) -> jax.Array:
    """Frequency-independent scattering rate Γ0 (eV, ≥ 0)."""
    return ENERGY_SCALE * jax.nn.softplus(params["floor_raw"])


def band_coefficients(params: Params) -> jax.Array:
    """Coefficients (d0, d1, d2) of the band correction, eV, each bounded by :data:`BAND_BOUNDS`.

    d_j = L_j tanh(s b_j / L_j) with b_j the stored parameter (units of
    ``ENERGY_SCALE`` = s) and L_j the bound: d_j ≈ s b_j for small values, and
    |d_j| < L_j for every parameter value (bounded by construction, not by a penalty).
    """
    bounds = jnp.asarray(BAND_BOUNDS, dtype=params["band"].dtype)
    return bounds * jnp.tanh(ENERGY_SCALE * params["band"] / bounds)


def band_correction(params: Params, x: jax.Array, switch: jax.Array | float = 1.0) -> jax.Array:
    """The learned correction δ(k) (eV) to a bare band guess: ε_k = ε_guess(k) + δ(k).

    δ(x) = q · [d0 P0(x) + d1 P1(x) + d2 P2(x)], a quadratic in the scaled
    momentum x = (k − k_mid)/(half the EDCs' k range) ∈ [−1, 1] written with the
    Legendre polynomials P0 = 1, P1 = x, P2 = (3x² − 1)/2 (orthogonal on
    [−1, 1], so d0 is the mean shift, d1 the change of slope — a velocity
    error — and d2 the curvature), with the coefficients of
    :func:`band_coefficients` and the traced switch q ∈ {0, 1}
    (``Settings.band``): q = 0 keeps the guess, without recompiling.

    What the data can decide. With the per-EDC amplitudes a_k free, the
    observed intensity is exactly unchanged by

        ε_k → (1 + s)(ε_k + c),  Σ11 → (1 + s)(Σ11 − c) − sω,
        Σ22 → (1 + s)(Σ22 + c) − sω,  W → (1 + s) W

    (then G11 → G11/(1 + s), absorbed by a_k; Σ22(ω) = −Σ11(−ω)* still holds):
    a constant shift c of the band trades against a static Re Σ11 (the
    Hartree–Fock part, by convention counted in ε_k), and a velocity error s
    against a mass renormalisation (a −sω term in Re Σ11, the Z-factor). So d0
    and d1 are *not* fixed by the spectrum itself; only the causal form of the
    model breaks the symmetry: Σ11 here is a sum of poles and a Cauchy transform
    of a density on ±0.6 eV (:func:`self_energy`), whose real part decays as
    1/ω and is tied to Im Σ11 by Kramers–Kronig, so a constant or a −sω term
    across the window needs spectral weight outside it, which the priors
    (smoothness, weak widths) make costly but not impossible. The curvature d2
    is not degenerate. The Gaussian prior on d_j (width :data:`BAND_PRIOR_WIDTH`)
    keeps the flat directions proper, and the Laplace error of the learned ε_k
    (``eps_k_std`` of a result) says how far they remain open — expect it to
    be of order 10 meV, not 1 meV.

    Parameters
    ----------
    params : Params
    x : array, shape (K,) — scaled momentum of each EDC, dimensionless
    switch : float or array — q

    Returns
    -------
    array, shape (K,), eV
    """
    d = band_coefficients(params)
    return switch * (d @ jnp.stack(legendre_quadratic(x)))


def legendre_quadratic(x: Any) -> list:
    """[P0(x), P1(x), P2(x)] = [1, x, (3x² − 1)/2] of a NumPy or JAX array x ∈ [−1, 1] (same shape each).

    The basis of every quadratic along the cut: the band correction
    (:func:`band_correction`) and the smooth amplitudes a_k
    (:func:`arpes_sigma.fitting.problem.amplitude_basis`).
    """
    return [x * 0 + 1, x, 1.5 * x * x - 0.5]


def background_grid(spec: ModelSpec) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Scaled node positions u_j ∈ [−1, 1], nodes x_j = Ω u_j (eV) and spacings Δx_j (eV)."""
    u = jnp.linspace(-1.0, 1.0, spec.n_background)
    x = spec.omega_max * u
    return u, x, jnp.full_like(x, x[1] - x[0])


def _features(spec: ModelSpec, u: jax.Array) -> jax.Array:
    """Gaussian radial-basis features of u (J, B): centres evenly on [−1, 1], width one spacing."""
    centres = jnp.linspace(-1.0, 1.0, spec.n_features)
    h = centres[1] - centres[0]
    return jnp.exp(-0.5 * ((u[:, None] - centres[None, :]) / h) ** 2)


def _basis_weights(params: Params, spec: ModelSpec) -> jax.Array:
    """Non-negative weights (B,) of the radial-basis functions in the background density (depth 0), eV."""
    layer = params["layers"][-1]
    return jax.nn.softplus(layer["kernel"][:, 0] + layer["bias"][0] - 1.0) * 0.02


def background_density(params: Params, spec: ModelSpec) -> tuple[jax.Array, jax.Array]:
    """Nodes x_j (eV) and the non-negative spectral density −Im Σ_bg/π there (eV).

    Depth 0 (the default): a non-negative combination Σ_b w_b φ_b(u) of the
    radial-basis functions, w_b = softplus(·) — linear in the weights, so the
    background self-energy is a matrix product with fixed basis self-energies.
    Depth > 0: softplus of a tanh network of the features.
    """
    u, x, _ = background_grid(spec)
    h = _features(spec, u)
    if spec.depth == 0:
        return x, h @ _basis_weights(params, spec)
    layers = params["layers"]
    for layer in layers[:-1]:
        h = jnp.tanh(h @ layer["kernel"] + layer["bias"])
    out = h @ layers[-1]["kernel"] + layers[-1]["bias"]
    return x, jax.nn.softplus(out[:, 0] - 1.0) * 0.02


def _background_sigma(params: Params, spec: ModelSpec, omega: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Σ11, Σ22 of the background density, complex (E,), eV (Lorentzian-smoothed Cauchy sum)."""
    u, x, dx = background_grid(spec)
    if spec.depth == 0:
        # basis self-energies S_b(ω) = Σ_j φ_b(u_j) Δx_j / (ω − x_j + iΓ_j) do not depend on the
        # parameters, so a derivative costs one (E, B) product instead of an (E, J) sum
        s11, s22 = background_sigma(omega, x, _features(spec, u) * dx[:, None], 1.5 * dx)
        w = _basis_weights(params, spec).astype(s11.dtype)
        return s11 @ w, s22 @ w
    _, density = background_density(params, spec)
    return background_sigma(omega, x, density * dx, 1.5 * dx)


def _switch(spec: ModelSpec, pairing: jax.Array | float | None) -> jax.Array | float:
    return (1.0 if spec.anomalous else 0.0) if pairing is None else pairing


def components(
    params: Params, spec: ModelSpec, omega: jax.Array, pairing: jax.Array | float | None = None
) -> dict[str, Any]:
    """Separate contributions, each complex of shape (E,), eV.

    Returns
    -------
    dict
        ``poles`` (Σ11, Σ22, W of the hidden fermions), ``background``
        (Σ11, Σ22 of the network background plus −iΓ0) and ``gap`` (Δ0).
    """
    pairing = _switch(spec, pairing)
    v, eps, d, gamma, c = poles(params, pairing)
    p11, p22, pw = hidden_fermion_sigma(omega, v, eps, d, gamma, c)
    b11, b22 = _background_sigma(params, spec, omega)
    f = 1j * floor(params)
    return {"poles": (p11, p22, pw), "background": (b11 - f, b22 - f), "gap": gap(params, pairing)}


def self_energy(
    params: Params, spec: ModelSpec, omega: jax.Array, pairing: jax.Array | float | None = None
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Σ11(ω), Σ22(ω), W(ω) of the model, complex arrays of shape (E,), eV.

    ``pairing`` (0 or 1, may be traced) is the switch p of the module
    docstring; 0 gives the normal-only model; None takes it from
    ``spec.anomalous``.
    """
    c = components(params, spec, omega, pairing)
    p11, p22, pw = c["poles"]
    b11, b22 = c["background"]
    return p11 + b11, p22 + b22, pw + c["gap"]


def n_params(spec: ModelSpec, *, band: bool = False) -> int:
    """Number of scalar parameters of the model (with ``band``: the three band coefficients too)."""
    sizes = spec.layer_sizes
    network = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    return 5 * spec.n_poles + 2 + network + (3 if band else 0)


@functools.lru_cache(maxsize=32)
def batched_init(spec: ModelSpec) -> Callable[[jax.Array, jax.Array], Params]:
    """Jitted ``(keys (R,), paired_start (R,)) -> params`` stacked on axis 0 (one compilation per spec)."""
    return jax.jit(jax.vmap(lambda key, paired: init_params(spec, key, paired_start=paired)))


# --------------------------------------------------------------------------
# the Flax NNX face
# --------------------------------------------------------------------------
_LEAVES = ("level", "split", "coupling", "width_raw", "coherence_raw", "static_gap", "floor_raw", "band")


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
        for name in _LEAVES:
            setattr(self, name, nnx.Param(jnp.asarray(p[name])))
        self.layers = nnx.List(
            [nnx.Dict({"kernel": nnx.Param(jnp.asarray(lay["kernel"])), "bias": nnx.Param(jnp.asarray(lay["bias"]))})
             for lay in p["layers"]]
        )

    @property
    def pairing(self) -> float:
        """The pairing switch p of this module (1.0, or 0.0 for ``spec.anomalous=False``)."""
        return 1.0 if self.spec.anomalous else 0.0

    def params(self) -> Params:
        """The parameters as a plain pytree (the form :func:`self_energy` takes)."""
        out = {name: getattr(self, name)[...] for name in _LEAVES}
        out["layers"] = [{"kernel": lay["kernel"][...], "bias": lay["bias"][...]} for lay in self.layers]
        return out

    def poles(self) -> tuple[jax.Array, ...]:
        """Pole parameters in eV: (V, ε, D, γ) and the coherence c, each shape (n_poles,)."""
        return poles(self.params(), self.pairing)

    def gap(self) -> jax.Array:
        """Static real gap Δ0 in eV."""
        return gap(self.params(), self.pairing)

    def floor(self) -> jax.Array:
        """Frequency-independent scattering rate Γ0 (eV, ≥ 0)."""
        return floor(self.params())

    def background_density(self) -> tuple[jax.Array, jax.Array]:
        """Nodes x_j (eV) and the non-negative background density −Im Σ_bg/π (eV)."""
        return background_density(self.params(), self.spec)

    def components(self, omega: jax.Array) -> dict[str, Any]:
        """Separate contributions; see :func:`components`."""
        return components(self.params(), self.spec, omega, self.pairing)

    def __call__(self, omega: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Σ11(ω), Σ22(ω), W(ω) on ``omega`` (E,), complex, eV."""
        return self_energy(self.params(), self.spec, omega, self.pairing)
