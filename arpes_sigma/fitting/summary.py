"""From a fitted state to a :class:`FitResult`: best restarts, evidence for pairing, error bars, cancellation.

* The reported curves are those of the **best paired restart**, not an
  average of restarts — an average of different optima is a curve no model
  produced. With the evidence computed, "best" is the restart whose optimum
  carries the most posterior mass (the largest Laplace evidence, the one that
  enters ``pairing_evidence``); a narrow optimum with a slightly lower ½‖r‖²
  can hold less mass than a broad one. Without it (``errors=False``), the
  lowest ½‖r‖² (the maximum a posteriori point). The same rule picks the
  normal-only fit. Measured on the continuum truth of ``bench_recovery``
  (10 seeds): the two rules differed on 2 seeds; on one the lowest-χ² restart
  (χ²_red 0.979) had |Im W| 28 % too high, the most probable one (χ²_red
  0.982, ln Z higher by 5.4) 9 %. After the forward model's quotients became
  products (float32 last bits) that seed's most probable optimum is the
  lowest-χ² one, with |Im W| 36 % too high: two optima that fit equally well,
  which the data do not separate.
* ``*_std``: statistical errors from the Laplace approximation at that point
  (:mod:`arpes_sigma.fitting.evidence`), propagated to Σ11, W and Σ_tot by
  linearisation. They say how well the data (with the priors) pin the curves
  down near that optimum.
* ``*_spread``: the standard deviation of the curves over the paired restarts
  that reached a comparable fit (χ²_red within ``ACCEPT_RATIO`` of the lowest).
  It shows how far the data leave the decomposition non-unique *within this
  model* (other optima). Neither covers systematic errors (wrong ε_k,
  resolution or temperature), nor a bias every measurement shares.
  ``benchmarks/bench_uncertainty.py`` measures both against the scatter of
  fits over noise seeds: in the model family ``*_std`` is about 1.3× that
  scatter and the peaks come out ≈ 4 % too high on average (with 16
  background functions instead of the default 24, 12–15 %: too coarse for a
  cusp at E_F, the pole narrowed instead); for a truth outside the family
  the scatter is ≈ 3× ``*_std``.
* ``*_detectable`` (Σ11 and W): per energy, the smallest local change of the
  curve (one resolution half-width wide) that the data would show, with every
  fit parameter and the other curve free to make up for it
  (:mod:`arpes_sigma.fitting.evidence`). Unlike ``*_std`` it does not shrink
  with the model's rigidity: where it exceeds the curve, the curve is the
  model's and the priors', not the data's. Measured on the out-of-family
  truths of ``tests/fitting/test_recovery.py`` (seeds 0, 1), the truth lies
  within 2·√(std² + detectable²) of the fit at 91–100 % of the occupied
  energies, within 2·std at 18–86 %.
* ``pole_evidence``: log Z of the best paired restart with all ``n_poles``
  hidden fermions minus that of the best one with a pole switched off
  (:meth:`~arpes_sigma.fitting.fitter.Fitter.cross_seed`), nats; > 0 says the
  data need every pole, < 0 that the reported fit has one fewer
  (``FitResult.hidden_fermions``), and its size how sure that is. NaN without
  a restart of each kind (fewer than 3 restarts, one pole, or no evidence).
* The **bare band**: with ``FitConfig.band`` learning (``Settings.band`` = 1),
  ``eps_k`` is the best paired restart's learned ε_k
  (:func:`arpes_sigma.fitting.loss.band_energies`) with its Laplace error
  ``eps_k_std`` (delta method), ``eps_k_guess`` the data's ε_k and
  ``eps_k_source`` "learned"; with the band fixed, ``eps_k`` is the data's.
  Either way ``quasiparticle_band`` E*_k = Z (ε_k + Re Σ11(0)) and its Laplace
  error, with ``quasiparticle_weight`` Z (:mod:`arpes_sigma.physics.renormalisation`):
  a learned ε_k is open along a constant shift and a velocity change (traded
  against Re Σ11(0) and Z), E*_k is what the spectrum fixes.
* The **cancellation ratio** |Im Σ_tot(k_F, ω_W)| / |Im Σ11(ω_W)| at the
  occupied-side peak ω_W of |Im W|, at the EDC closest to k_F: 0 when the Σ11
  peak is cancelled completely in what the spectrum shows (a rank-one hidden
  fermion), 1 when nothing cancels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax
import numpy as np

from ..model import ModelSpec, floor, gap, n_params, poles
from ..physics import quasiparticle_band, sigma_total
from .engine import Evaluation
from .evidence import SUPPORT_THRESHOLD, laplace, self_energy_std
from .loss import reduced_chi2
from .problem import on_device
from .result import STILL_IMPROVING_STATUS, FitResult

if TYPE_CHECKING:
    from .fitter import Fitter

__all__ = ["ACCEPT_RATIO", "OCCUPIED_BELOW", "STILL_IMPROVING", "cancellation_ratio", "compile_evidence",
           "compile_std", "last_chunk_drop", "summarise"]

#: Paired restarts whose χ²_red is within this factor of the lowest enter the spread.
ACCEPT_RATIO = 1.25
#: Energies below this (eV) count as the occupied side for peak searches
#: (keeps the Fermi-cut, resolution-smeared region at E_F out).
OCCUPIED_BELOW = -0.005
#: A fit that ran out of steps while the χ²_red of its best paired or best normal-only restart (lowest cost
#: or reported: :func:`last_chunk_drop`) still fell by more than this over the last chunk has not
#: converged (its χ²_red is quoted to three decimals); its status says so. Measured over the last chunk
#: (10 steps) of default fits: 0.0001–0.0002 on the package's two-pole truths, 0.0003–0.0013 on its raw
#: export with an edge background; 0.013–0.020 on that export with 32 background functions (not
#: converged: L2 0.7, against 0.17 with 300 steps).
STILL_IMPROVING = 0.005


def _x64(tree: Any) -> Any:
    return jax.tree.map(lambda x: on_device(x, np.float64) if np.issubdtype(np.asarray(x).dtype, np.floating) else x,
                        tree)


def cancellation_ratio(omega: np.ndarray, eps_k: np.ndarray, s11: np.ndarray, w: np.ndarray,
                       stot: np.ndarray) -> tuple[float, float]:
    """(ratio, ω_W): |Im Σ_tot(k_F, ω_W)| / |Im Σ11(ω_W)| at the occupied peak ω_W (eV) of |Im W|.

    ``stot`` is (K, E); k_F is the EDC with the smallest |ε_k|. NaN when there
    is no occupied energy or Σ11 vanishes there.
    """
    occ = np.asarray(omega) < OCCUPIED_BELOW
    if not occ.any():
        return float("nan"), float("nan")
    i = int(np.flatnonzero(occ)[np.argmax(np.abs(np.imag(w))[occ])])
    ik = int(np.argmin(np.abs(eps_k)))
    den = abs(float(np.imag(s11[i])))
    ratio = abs(float(np.imag(stot[ik, i]))) / den if den > 0 else float("nan")
    return ratio, float(omega[i])


def _laplace64(fitter: Fitter, noise_scale: float, compile_only: bool = False) -> Any:
    with jax.enable_x64(True):
        lap = laplace(_x64(fitter.state.params), _x64(fitter.state.pairing), noise_scale,
                      fitter.config.model_spec(), _x64(fitter.problem), _x64(fitter.settings),
                      compile_only=compile_only)
        return jax.tree.map(np.asarray, lap)


def _std64(fitter: Fitter, ib: int, cov: np.ndarray, noise_scale: float = 1.0,
           compile_only: bool = False) -> dict[str, np.ndarray] | None:
    best = jax.tree.map(lambda x: np.asarray(x)[ib], fitter.state.params)
    with jax.enable_x64(True):
        return self_energy_std(_x64(best), _x64(cov), fitter.config.model_spec(), _x64(fitter.problem),
                               _x64(fitter.settings), noise_scale, compile_only=compile_only)


def compile_evidence(fitter: Fitter) -> None:
    """Compile the evidence program (the Laplace approximation) for ``fitter``'s shapes; nothing runs.

    It takes the shapes of whatever state the Fitter holds (the values do not
    matter), so this can run on a second thread while the fit runs
    (:func:`arpes_sigma.fitting.pipeline.fit_with_baselines`): in a new
    process its XLA compilation would otherwise follow the fit.
    ``jax.enable_x64`` is a thread-local setting, so the fit's own float32
    programs are not affected.
    """
    _laplace64(fitter, 1.0, compile_only=True)


def compile_std(fitter: Fitter) -> None:
    """Compile the program of the curves' errors (:func:`compile_evidence`'s partner); nothing runs.

    It needs only the covariance's shape, so it does not wait for the evidence.
    """
    _std64(fitter, 0, np.eye(n_params(fitter.config.model_spec(), band=True)), compile_only=True)


def last_chunk_drop(history: list[np.ndarray], paired: np.ndarray, reported: tuple[int, ...] = ()) -> float:
    """How far the best paired and the best normal-only cost fell over the last chunk (the largest; nats).

    ``history`` holds the (2R,) cost ½‖r‖² after every chunk, ``paired`` (2R,)
    marks the paired restarts; the drop of each ``reported`` restart (the ones
    the result shows, which need not have the lowest cost) counts too. 0 with
    fewer than two chunks or no finite cost.
    """
    if len(history) < 2:
        return 0.0
    prev, last = np.asarray(history[-2], float), np.asarray(history[-1], float)
    drops = [0.0]
    for rows in (paired, ~paired):
        a, b = prev[rows & np.isfinite(prev)], last[rows & np.isfinite(last)]
        if a.size and b.size:
            drops.append(float(a.min() - b.min()))
    drops += [float(prev[i] - last[i]) for i in reported if np.isfinite(prev[i] - last[i])]
    return max(drops)


def _best(values: np.ndarray, members: np.ndarray) -> int:
    v = np.where(members & np.isfinite(values), values, np.inf)
    return int(np.argmin(v))


@jax.jit
def _pole_values(params: Any) -> tuple:
    # one compiled program: called eagerly, the few element-wise formulas compiled one small program each
    # (eight in a new process)
    return poles(params), gap(params), floor(params)


def _pole_params(params: Any, spec: ModelSpec, sign: float) -> dict[str, Any]:
    del spec
    (v, lev, d, gam, c), d0, g0 = jax.tree.map(np.asarray, _pole_values(params))
    return {
        "V": v.tolist(),
        "eps_f": lev.tolist(),
        "D": (sign * d).tolist(),
        "gamma": gam.tolist(),
        "coherence": c.tolist(),
        "static_gap": float(sign * d0),
        "gamma0": float(g0),
    }


def summarise(fitter: Fitter, ev: Evaluation, *, baselines: dict | None, errors: bool) -> FitResult:
    """The :class:`FitResult` of a Fitter's current state (see the module docstring)."""
    c = fitter.config
    r = c.restarts
    spec = c.model_spec()
    omega = np.asarray(fitter.problem.omega)
    learned = bool(np.asarray(fitter.settings.band) > 0)
    eps_all = ev.eps
    mask = np.asarray(fitter.settings.mask)
    n_k = eps_all.shape[1]
    cost = np.asarray(fitter.state.cost)
    paired = np.arange(2 * r) < r
    ib, inn = _best(cost, paired), _best(cost, ~paired)

    # gauge: W -> -W leaves every observable unchanged; fix Re W(0) >= 0 per restart
    i0 = int(np.argmin(np.abs(omega)))
    flip = np.where(ev.w[:, i0].real < 0, -1.0, 1.0)
    s11, s22, w = ev.s11, ev.s22, ev.w * flip[:, None]
    stot = np.asarray(sigma_total(omega, eps_all[:, :, None], s11[:, None, :], s22[:, None, :], w[:, None, :]))

    lap = _laplace64(fitter, 1.0) if errors else None
    p_eff = np.asarray(lap.p_eff) if lap is not None else np.full(2 * r, float(n_params(spec, band=learned)))
    chi2r = reduced_chi2(ev.chi2, mask, n_k, p_eff, fitter.info.n_linear)
    noise_scale = max(1.0, float(chi2r[ib])) if np.isfinite(chi2r[ib]) else 1.0
    if lap is not None and noise_scale > 1.0:
        lap = _laplace64(fitter, noise_scale)

    evidence = {"pairing_evidence": float("nan"), "log_evidence_paired": float("nan"),
                "log_evidence_normal": float("nan"), "pole_evidence": float("nan"), "noise_scale": noise_scale,
                "computed": lap is not None}
    std = None
    logz = None
    if lap is not None:
        good = np.asarray(lap.ok) & np.isfinite(np.asarray(lap.log_evidence))
        logz = np.where(good, np.asarray(lap.log_evidence), -np.inf)
        zp, zn = float(np.max(logz[paired])), float(np.max(logz[~paired]))
        evidence.update(log_evidence_paired=zp, log_evidence_normal=zn)
        if np.isfinite(zp) and np.isfinite(zn):
            evidence["pairing_evidence"] = zp - zn
        # all poles on against one switched off (V = 0 exactly: Fitter.cross_seed), paired restarts
        on = np.count_nonzero(np.asarray(fitter.state.params["coupling"]), axis=1)
        full, fewer = paired & (on == spec.n_poles), paired & (on < spec.n_poles)
        if full.any() and fewer.any() and np.isfinite(logz[full]).any() and np.isfinite(logz[fewer]).any():
            evidence["pole_evidence"] = float(np.max(logz[full]) - np.max(logz[fewer]))
        # the most probable optimum of each model (module docstring); the lowest cost where none has evidence
        ib = _best(-logz, paired) if np.isfinite(zp) else ib
        inn = _best(-logz, ~paired) if np.isfinite(zn) else inn
        if good[ib]:
            std = _std64(fitter, ib, np.asarray(lap.cov)[ib], noise_scale)
    supported = bool(np.isfinite(evidence["pairing_evidence"]) and evidence["pairing_evidence"] > SUPPORT_THRESHOLD)

    accepted = paired & np.isfinite(chi2r) & (chi2r <= ACCEPT_RATIO * np.nanmin(np.where(paired, chi2r, np.nan)))

    def spread(x: np.ndarray) -> np.ndarray | None:
        xa = x[accepted]
        if len(xa) < 2:
            return None
        return np.std(xa.real, axis=0) + 1j * np.std(xa.imag, axis=0)

    ratio, omega_w = cancellation_ratio(omega, eps_all[ib], s11[ib], w[ib], stot[ib])
    given = np.asarray(fitter.problem.eps)
    source = str(fitter.info.attrs.get("eps_k_source", "given"))
    eps = eps_all[ib] if learned else given
    band, z = quasiparticle_band(omega, eps, s11[ib])
    best = jax.tree.map(lambda x: np.asarray(x)[ib], fitter.state.params)  # on the host: no small programs
    base = {"normal_only": float(chi2r[inn])}
    base.update(baselines or {})
    return FitResult(
        omega=omega,
        eps_k=eps,
        eps_k_guess=given if learned else None,
        eps_k_std=None if std is None or not learned else std["eps_k"],
        eps_k_source="learned" if learned else source,
        quasiparticle_band=band,
        quasiparticle_band_std=None if std is None else std["quasiparticle_band"],
        quasiparticle_weight=float(z),
        log_evidence_restarts=logz,
        k=np.asarray(fitter.info.k),
        momentum_dim=fitter.info.momentum_dim,
        sigma_normal=s11[ib],
        sigma_anomalous=w[ib],
        sigma_total=stot[ib],
        sigma_normal_std=None if std is None else std["sigma_normal"],
        sigma_anomalous_std=None if std is None else std["sigma_anomalous"],
        sigma_total_std=None if std is None else std["sigma_total"],
        sigma_normal_detectable=None if std is None else std["sigma_normal_detectable"],
        sigma_anomalous_detectable=None if std is None else std["sigma_anomalous_detectable"],
        sigma_normal_spread=spread(s11),
        sigma_anomalous_spread=spread(w),
        sigma_total_spread=spread(stot),
        sigma_normal_unpaired=s11[inn],
        intensity=np.asarray(fitter.problem.intensity),
        model_intensity=ev.fitted[ib],
        model_intensity_unpaired=ev.fitted[inn],
        window_mask=mask,
        chi2_reduced=float(chi2r[ib]),
        chi2_restarts=chi2r,
        accepted=accepted,
        p_eff=float(p_eff[ib]),
        pairing_evidence=evidence["pairing_evidence"],
        pairing_supported=supported,
        evidence=evidence,
        cancellation_ratio=ratio,
        cancellation_energy=omega_w,
        loss_history=np.asarray(fitter.history) if fitter.history else np.zeros((0, 2 * r)),
        steps=fitter.step,
        converged=int(np.sum(np.asarray(fitter.state.done))),
        seed=c.seed,
        status=_status(fitter, float(reduced_chi2(2.0 * last_chunk_drop(fitter.history, paired, (ib, inn)), mask,
                                                  n_k, p_eff[ib], fitter.info.n_linear))),
        config=c,
        baselines=base,
        params=_pole_params(best, spec, float(flip[ib])),
        attrs={**fitter.info.attrs, "noise_source": fitter.info.noise_source,
               **({"eps_k_guess_source": source} if learned else {})},
    )


def _status(fitter: Fitter, falling: float) -> str:
    """Why the fit stopped; a "completed" fit whose best χ²_red still fell by ``falling`` > STILL_IMPROVING says so."""
    if fitter.status != "completed" or fitter.finished or falling <= STILL_IMPROVING:
        return fitter.status
    return (f"{STILL_IMPROVING_STATUS}: the best chi2_red fell by {falling:.3f} "
            f"in the last {fitter.config.steps_per_call} steps; raise steps")
