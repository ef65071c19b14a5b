"""Property tests for arpes_sigma.model: the constraints hold for *every* weight.

The model promises causality (Im Σ11, Im Σ22 ≤ 0), the pairing bound
(Im W)² ≤ Im Σ11 · Im Σ22, and the particle–hole structure
Σ22(ω) = −Σ11(−ω)*, W(ω) = W(−ω)* for any parameter values, not only for
trained ones. So every leaf of the state is overwritten with normal draws of a
large, hypothesis-chosen spread, and the properties are checked on a grid.

Cost control: each distinct ModelSpec costs one XLA compile (~1 s on the shared
CPU), so the property tests draw the spec from a small pool that spans the
allowed sizes (1 and several poles, depth 0 and > 0, width 1, the smallest
background, normal-only), while hypothesis explores the parameter values, which
do not recompile. ModelSpec validation itself is property-tested over wide
integer ranges (no compile involved).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arpes_sigma.errors import ConfigError
from arpes_sigma.model import ModelSpec, SelfEnergyModel, batched_init, init_params, self_energy

SETTINGS = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

SPECS = (
    ModelSpec(n_poles=1, width=1, depth=0, n_background=8),
    ModelSpec(n_poles=3, width=5, depth=2, n_background=11),
    ModelSpec(n_poles=2, width=3, depth=1, n_background=9, omega_max=2.0),
    ModelSpec(n_poles=2, width=2, depth=1, n_background=8, anomalous=False),
)

# Float64 evaluation for the exact properties: in float64 the only violation is
# rounding, ≲ (number of summed terms ≤ 300) × eps (2.2e-16) × amplification
# near a pole (|ω|/γ ≤ 3 eV / 2 meV = 1.5e3) ≈ 1e-10 of the local magnitude;
# 1e-9 leaves a 10× margin and is still 1e9 below an O(1) constraint breach.
REL64 = 1e-9

# float32 jit vs eager (and vmap vs single): XLA may fuse, contract (FMA) and
# reorder float32 operations; rounding (eps 1.2e-7) amplified near a pole by
# up to |ω|/γ allows ~1e-4 of the local magnitude (a 150-sample stress run
# saw ≤ 3e-6).
REL32 = 1e-4

N_OMEGA = 257


@functools.cache
def _template(spec):
    """(spec, abstract parameters) of ``init_params(spec, key)``, once per spec.

    Only the structure and leaf shapes are needed (every leaf is overwritten),
    so init_params is traced abstractly with jax.eval_shape: no compile. The
    concrete init_params / batched_init are tested separately below.
    """
    key = jax.random.key(0)
    return spec, jax.eval_shape(lambda k: init_params(spec, k), key)


def _apply_pure(spec, params, omega):
    return self_energy(params, spec, omega)


_apply = jax.jit(_apply_pure, static_argnums=0)


def _randomise(state, seed, scale, dtype=np.float64):
    """Every leaf replaced by normal(0, scale) draws (numpy, no JAX dispatch)."""
    rng = np.random.default_rng(seed)
    return jax.tree.map(lambda x: (scale * rng.standard_normal(np.shape(x))).astype(dtype), state)


def _omega(seed):
    """256 random frequencies in ±3 eV plus ω = 0 (fixed shape: no recompile)."""
    rng = np.random.default_rng(seed + 1)
    return np.concatenate([[0.0], rng.uniform(-3.0, 3.0, N_OMEGA - 1)])


models = st.tuples(
    st.sampled_from(SPECS),
    st.integers(0, 2**32 - 1),
    st.floats(0.1, 20.0),
)


def _eval64(spec, seed, scale, omega):
    graphdef, state = _template(spec)
    with jax.enable_x64(True):
        s = _randomise(state, seed, scale)
        return tuple(np.asarray(t) for t in _apply(graphdef, s, omega))


def _mag(*arrays):
    """Pointwise magnitude |Σ11| + |Σ22| + |W| that sets the rounding scale."""
    return sum(np.abs(a) for a in arrays)


# --------------------------------------------------------------------------
# exact structural properties (float64)
# --------------------------------------------------------------------------


@SETTINGS
@given(models)
def test_causality_im_sigma_nonpositive(m):
    spec, seed, scale = m
    s11, s22, w = _eval64(spec, seed, scale, _omega(seed))
    assert np.all(np.isfinite(s11)) and np.all(np.isfinite(s22)) and np.all(np.isfinite(w))
    tol = REL64 * _mag(s11, s22, w)
    assert np.all(s11.imag <= tol), np.max(s11.imag / _mag(s11, s22, w))
    assert np.all(s22.imag <= tol)
    # the floor Γ0 = 0.1·softplus(·) > 0 makes Im Σ strictly negative: the check
    # is not satisfied by a vanishing imaginary part
    assert np.all(s11.imag < 0)


@SETTINGS
@given(models)
def test_pairing_bound_psd(m):
    spec, seed, scale = m
    s11, s22, w = _eval64(spec, seed, scale, _omega(seed))
    lhs = w.imag**2
    rhs = s11.imag * s22.imag
    # rounding of the three imaginary parts, each ≲ REL64·mag, enters the
    # products as ≲ 2·REL64·mag²
    tol = 2 * REL64 * _mag(s11, s22, w) ** 2
    assert np.all(lhs <= rhs + tol), np.max((lhs - rhs) / _mag(s11, s22, w) ** 2)


@SETTINGS
@given(models)
def test_particle_hole_structure(m):
    spec, seed, scale = m
    omega = _omega(seed)
    s11, s22, w = _eval64(spec, seed, scale, omega)
    m11, m22, mw = _eval64(spec, seed, scale, -omega)
    scale_pm = _mag(s11, s22, w) + _mag(m11, m22, mw)
    # Σ22(ω) = −Σ11(−ω)* and W(−ω)* = W(ω): same terms summed in the same
    # order with mirrored arguments, so only rounding differs
    assert np.all(np.abs(s22 - (-np.conj(m11))) <= REL64 * scale_pm)
    assert np.all(np.abs(np.conj(mw) - w) <= REL64 * scale_pm)


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.floats(0.1, 20.0))
def test_normal_only_spec_has_no_pairing(seed, scale):
    spec = SPECS[-1]
    assert not spec.anomalous
    s11, s22, w = _eval64(spec, seed, scale, _omega(seed))
    # the pairing and static-gap leaves are random too, yet W must vanish exactly
    np.testing.assert_array_equal(w, 0.0)
    assert np.all(s11.imag < 0)


def test_anomalous_spec_does_pair():
    # control for the test above: with anomalous=True the same draws give W ≠ 0
    s11, s22, w = _eval64(SPECS[0], 5, 2.0, _omega(5))
    assert np.max(np.abs(w)) > 1e-3


def test_property_checks_can_fail():
    # The checks above are not vacuous: a non-causal or over-paired Σ̂ of the
    # same size is caught by the same tolerances.
    s11, s22, w = _eval64(SPECS[1], 11, 1.0, _omega(11))
    mag = _mag(s11, s22, w)
    assert np.any(np.conj(s11).imag > REL64 * mag)  # Σ11* is anti-causal
    w_big = w + 1j * 2 * np.sqrt(s11.imag * s22.imag)  # breaks the PSD bound
    assert np.any(w_big.imag**2 > s11.imag * s22.imag + 2 * REL64 * _mag(s11, s22, w_big) ** 2)


# --------------------------------------------------------------------------
# jit == eager, vmap (float32, the default)
# --------------------------------------------------------------------------

JIT_SPEC = SPECS[1]


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.floats(0.1, 5.0))
def test_apply_jit_equals_eager(seed, scale):
    graphdef, state = _template(JIT_SPEC)
    s = _randomise(state, seed, scale, np.float32)
    omega = jnp.asarray(_omega(seed), dtype=jnp.float32)
    s = jax.tree.map(jnp.asarray, s)
    eager = _apply_pure(graphdef, s, omega)
    jitted = _apply(graphdef, s, omega)
    mag = _mag(*(np.asarray(t) for t in eager))
    for a, b in zip(jitted, eager, strict=True):
        assert a.dtype == jnp.complex64
        assert np.all(np.abs(np.asarray(a) - np.asarray(b)) <= REL32 * mag)


def test_vmap_over_states_equals_loop():
    graphdef, state = _template(JIT_SPEC)
    batch = 4
    rng = np.random.default_rng(42)
    stacked = jax.tree.map(lambda x: (3.0 * rng.standard_normal((batch, *np.shape(x)))).astype(np.float32), state)
    omega = jnp.asarray(_omega(3), dtype=jnp.float32)
    out = jax.jit(jax.vmap(lambda s: self_energy(s, graphdef, omega)))(stacked)
    assert out[0].shape == (batch, N_OMEGA)
    for i in range(batch):
        single = _apply(graphdef, jax.tree.map(lambda x, i=i: x[i], stacked), omega)
        mag = _mag(*(np.asarray(t) for t in single))
        for a, b in zip(out, single, strict=True):
            # same float32 program batched: rounding only (see REL32)
            assert np.all(np.abs(np.asarray(a[i]) - np.asarray(b)) <= REL32 * mag)
    # the members really differ (the batch is not one state broadcast)
    assert not np.allclose(np.asarray(out[0][0]), np.asarray(out[0][1]))


def test_batched_init_is_vmapped_init_params():
    # documented: batched_init = init_params vmapped (jitted) over keys and paired/weak starts
    spec = SPECS[0]  # the smallest graph: cheapest to compile
    keys = jax.random.split(jax.random.key(7), 3)
    paired = jnp.asarray([True, False, True])
    states = batched_init(spec)(keys, paired)
    for i in range(3):
        ref = init_params(spec, keys[i], paired_start=bool(paired[i]))
        for a, b in zip(jax.tree.leaves(states), jax.tree.leaves(ref), strict=True):
            # same random bits; jit may reorder the float32 arithmetic of the
            # initialisers: a few ulp
            np.testing.assert_allclose(np.asarray(a[i]), np.asarray(b), rtol=1e-6, atol=1e-7)
    # different keys give different restarts
    assert any(not np.allclose(np.asarray(x[0]), np.asarray(x[1])) for x in jax.tree.leaves(states))


def test_fresh_model_is_causal_and_finite():
    # the untouched initial state also satisfies the constraints (evaluated in
    # float64 through the already compiled property-test path; the float32
    # initial values are represented exactly)
    graphdef, state = SPECS[0], init_params(SPECS[0], jax.random.key(1))
    omega = np.linspace(-1.0, 1.0, N_OMEGA)
    with jax.enable_x64(True):
        s64 = jax.tree.map(lambda x: np.asarray(x, dtype=np.float64), state)
        s11, s22, w = (np.asarray(t) for t in _apply(graphdef, s64, omega))
    assert s11.shape == s22.shape == w.shape == (N_OMEGA,)
    assert np.all(np.isfinite(s11)) and np.all(np.isfinite(w))
    mag = _mag(s11, s22, w)
    assert np.all(s11.imag <= REL64 * mag) and np.all(s22.imag <= REL64 * mag)
    assert np.all(w.imag**2 <= s11.imag * s22.imag + 2 * REL64 * mag**2)
    # the Flax NNX face of the model gives the same numbers as the pure function
    module = SelfEnergyModel(SPECS[0], rngs=nnx.Rngs(params=0), params=state)
    assert isinstance(module, nnx.Module)
    om32 = jnp.asarray(omega, dtype=jnp.float32)
    for a, b in zip(module(om32), self_energy(state, SPECS[0], om32), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------
# ModelSpec validation
# --------------------------------------------------------------------------

RANGES = {"n_poles": (1, 32), "width": (1, 256), "depth": (0, 6), "n_background": (8, 256)}


@settings(max_examples=60, deadline=None, database=None)
@given(st.sampled_from(sorted(RANGES)), st.integers(-50, 400))
def test_modelspec_integer_ranges(name, value):
    lo, hi = RANGES[name]
    if lo <= value <= hi:
        assert getattr(ModelSpec(**{name: value}), name) == value
    else:
        with pytest.raises(ConfigError, match=name):
            ModelSpec(**{name: value})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_poles": 0}, {"n_poles": 33}, {"n_poles": 2.0}, {"n_poles": True}, {"n_poles": "4"},
        {"width": 0}, {"width": 257}, {"depth": -1}, {"depth": 7},
        {"n_background": 7}, {"n_background": 257},
        {"omega_max": 0.01}, {"omega_max": 6.0}, {"omega_max": -1.0},
    ],
)
def test_modelspec_rejects_bad_values(kwargs):
    with pytest.raises(ConfigError) as err:
        ModelSpec(**kwargs)
    msg = str(err.value)
    assert "\n" not in msg and next(iter(kwargs)) in msg  # one line naming the field


@pytest.mark.parametrize(
    "kwargs",
    [{"n_poles": 1}, {"n_poles": 32}, {"width": 1}, {"width": 256}, {"depth": 0}, {"depth": 6},
     {"n_background": 8}, {"n_background": 256}, {"omega_max": 0.05}, {"omega_max": 5.0}],
)
def test_modelspec_accepts_boundaries(kwargs):
    spec = ModelSpec(**kwargs)
    key, value = next(iter(kwargs.items()))
    assert getattr(spec, key) == value


def test_modelspec_is_frozen():
    spec = ModelSpec()
    with pytest.raises(AttributeError):
        spec.n_poles = 3
