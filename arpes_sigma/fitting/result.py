"""The outcome of a fit: :class:`FitResult` and its netCDF form (the result contract of README.md)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from .config import FitConfig

__all__ = ["FitResult"]

#: χ²_red above which a fit is said not to describe its data (with a structured residual check).
MISFIT_CHI2 = 2.0
#: How the status begins of a fit that used all its steps while still improving (fitting.summary.STILL_IMPROVING).
STILL_IMPROVING_STATUS = "stopped at the step budget while still improving"


@dataclasses.dataclass(frozen=True)
class FitResult:
    """Outcome of a fit (frozen). Self-energies are complex numpy arrays in eV.

    Attributes
    ----------
    omega : (E,) eV; eps_k : (K,) eV; k : (K,) momentum coordinate; momentum_dim : str
    sigma_normal, sigma_anomalous : (E,) complex — Σ11 and W of the best paired restart (the largest
        Laplace evidence when it was computed, else the lowest cost; see fitting.summary)
        (gauge Re W(0) ≥ 0)
    sigma_total : (K, E) complex — Σ_tot = Σ11 + W²/(ω + ε_k − Σ22)
    sigma_normal_std, sigma_anomalous_std, sigma_total_std : same shapes or None —
        statistical errors (Laplace approximation, real and imaginary parts
        separately: ``std.real`` is the error of the real part)
    sigma_normal_spread, sigma_anomalous_spread, sigma_total_spread : same shapes or None —
        standard deviation over the accepted paired restarts (None with fewer than two)
    sigma_normal_unpaired : (E,) complex — Σ11 of the best normal-only fit (W ≡ 0)
    intensity, model_intensity, model_intensity_unpaired : (K, E)
    window_mask : (E,) 0/1
    chi2_reduced : float — best paired restart, χ²/(N − p_eff − n_linear) (amplitudes and backgrounds)
    chi2_restarts : (2R,) — every restart (first R paired, then R normal-only)
    accepted : (2R,) bool — paired restarts entering the spread
    p_eff : float — parameters the data determine (Laplace), used in χ²_red
    pairing_evidence : float — log Z(paired) − log Z(normal-only), nats (> 0 favours W)
    pairing_supported : bool — pairing_evidence above the documented threshold (3 nats)
    evidence : dict — both log evidences, ``pole_evidence`` (log Z with every pole − log Z with one
        switched off, nats; :mod:`arpes_sigma.fitting.summary`) and the noise scale they were computed with
    cancellation_ratio : float — |Im Σ_tot(k_F, ω_W)| / |Im Σ11(ω_W)| at the W peak ω_W
    cancellation_energy : float — ω_W, eV
    loss_history : (n_chunks, 2R) — cost after every chunk
    steps, converged, seed : int; status : str — why the fit stopped
    config : FitConfig
    baselines : dict name -> reduced χ² ("normal_only", and "norman" when fitted)
    params : dict — the best paired restart's pole parameters (eV)
    attrs : dict — data attrs carried over
    eps_k_guess : (K,) eV or None — the data's ε_k when the fit learned the band
        (``eps_k`` is then the learned one), None when the band was fixed
    eps_k_std : (K,) eV or None — Laplace error of the learned ε_k (delta method)
    eps_k_source : str — "learned", or the data's ``eps_k_source`` ("given", "band:NAME", "mdc")
    quasiparticle_band : (K,) eV or None — E*_k = Z (ε_k + Re Σ11(0)), the band renormalised by
        the best paired Σ11 at E_F (:func:`arpes_sigma.physics.quasiparticle_band`): what the
        spectrum fixes when ε_k itself is learned and left open by a shift and a velocity change
    quasiparticle_band_std : (K,) eV or None — its Laplace error (delta method)
    quasiparticle_weight : float — Z = 1/(1 − ∂Re Σ11/∂ω at 0), NaN when not computed
    log_evidence_restarts : (2R,) nats or None — the Laplace log evidence of every restart's optimum
        (−inf where it could not be computed); None when the evidence was not computed
    sigma_normal_detectable, sigma_anomalous_detectable : (E,) eV or None — per energy, the height
        (peak of |Im|) of the smallest local change of Σ11 / W one resolution half-width wide that the
        data would show at one standard deviation, with every fit parameter and the other curve free
        to make up for it (:mod:`arpes_sigma.fitting.evidence`); NaN outside the window (and for W
        within that half width of E_F). Where it exceeds the curve, the curve is the model's, not the
        data's (:meth:`determined_to`)
    """

    omega: np.ndarray
    eps_k: np.ndarray
    k: np.ndarray
    momentum_dim: str
    sigma_normal: np.ndarray
    sigma_anomalous: np.ndarray
    sigma_total: np.ndarray
    sigma_normal_std: np.ndarray | None
    sigma_anomalous_std: np.ndarray | None
    sigma_total_std: np.ndarray | None
    sigma_normal_spread: np.ndarray | None
    sigma_anomalous_spread: np.ndarray | None
    sigma_total_spread: np.ndarray | None
    sigma_normal_unpaired: np.ndarray
    intensity: np.ndarray
    model_intensity: np.ndarray
    model_intensity_unpaired: np.ndarray
    window_mask: np.ndarray
    chi2_reduced: float
    chi2_restarts: np.ndarray
    accepted: np.ndarray
    p_eff: float
    pairing_evidence: float
    pairing_supported: bool
    evidence: dict
    cancellation_ratio: float
    cancellation_energy: float
    loss_history: np.ndarray
    steps: int
    converged: int
    seed: int
    status: str
    config: FitConfig
    baselines: dict
    params: dict
    attrs: dict
    eps_k_guess: np.ndarray | None = None
    eps_k_std: np.ndarray | None = None
    eps_k_source: str = "given"
    log_evidence_restarts: np.ndarray | None = None
    quasiparticle_band: np.ndarray | None = None
    quasiparticle_band_std: np.ndarray | None = None
    quasiparticle_weight: float = float("nan")
    sigma_normal_detectable: np.ndarray | None = None
    sigma_anomalous_detectable: np.ndarray | None = None

    @property
    def hidden_fermions(self) -> int:
        """Hidden fermions (poles) in the reported fit: ``n_poles``, or fewer where the evidence removed one.

        :meth:`~arpes_sigma.fitting.fitter.Fitter.cross_seed` restarts one fit
        of each model with its weakest pole switched off (V = 0); when that
        restart is the more probable one, the data did not need the pole.
        """
        return int(np.count_nonzero(np.asarray(self.params.get("V", []))))

    def determined_to(self, name: str = "sigma_anomalous") -> float:
        """How far below E_F the data determine a curve ("sigma_normal" or "sigma_anomalous"), eV.

        Walking down from E_F over the occupied energies where the detectable
        change is defined, the range ends before the first energy at which it
        exceeds the curve's modulus |Σ| (at that energy a change as large as the
        curve itself would not show in the spectrum). Returns the lowest energy
        of the range (≤ 0), 0.0 when the very first energy fails, NaN when the
        detectable changes were not computed.
        """
        detect = getattr(self, f"{name}_detectable")
        if detect is None:
            return float("nan")
        value = np.abs(getattr(self, name))
        down = np.flatnonzero((self.omega < 0) & np.isfinite(detect))[::-1]
        lowest = 0.0
        for i in down:
            if detect[i] > value[i]:
                break
            lowest = float(self.omega[i])
        return lowest

    # -- verdicts ----------------------------------------------------------
    @property
    def still_improving(self) -> bool:
        """True when the fit used all its steps while its best χ²_red still fell (:data:`STILL_IMPROVING_STATUS`)."""
        return self.status.startswith(STILL_IMPROVING_STATUS)

    @property
    def describes_data(self) -> bool:
        """False when the fit does not describe its data (χ²_red above :data:`MISFIT_CHI2`)."""
        return bool(np.isfinite(self.chi2_reduced) and self.chi2_reduced <= MISFIT_CHI2)

    @property
    def verdict(self) -> str:
        """One line saying whether the data need pairing (or that no verdict is possible)."""
        if not self.describes_data:
            return (f"no verdict: the fit does not describe the data (chi2_reduced = {self.chi2_reduced:.2f} > "
                    f"{MISFIT_CHI2:g}); check the noise level, the window, eps_k and the resolution")
        e = self.pairing_evidence
        if not self.evidence.get("computed", True):
            return "verdict pending: the evidence for pairing is computed when the fit ends"
        if not np.isfinite(e):
            return "no verdict: the evidence could not be computed (singular Hessian)"
        if self.pairing_supported:
            return (f"pairing supported: ln B = {e:+.1f} in favour of W (threshold 3); "
                    f"cancellation ratio {self.cancellation_ratio:.2f} at {1e3 * self.cancellation_energy:+.0f} meV")
        return (f"pairing NOT supported: ln B = {e:+.1f} (threshold 3); the normal-only model explains the data, "
                f"the W shown is not required")

    # -- file form ---------------------------------------------------------
    def to_dataset(self) -> Any:
        """The result as an :class:`xarray.Dataset` with the names of the result contract (README.md).

        Complex quantities are stored as real ``re_*``/``im_*`` variables; the
        statistical errors as ``*_std``, the spread over restarts as
        ``*_spread`` and the detectable changes as ``sigma_normal_detectable``,
        ``sigma_anomalous_detectable`` (attr ``determined_to``) when available.
        The coordinate ``eps_k`` is the bare band
        the fit used (the learned one when attr ``eps_k_source`` is
        "learned"; then also ``eps_k_guess``, the data's, and ``eps_k_std``).
        """
        import xarray as xr

        dims_e, dims_ke = ("eV",), ("k", "eV")
        out = {}

        def put(name: str, value: np.ndarray, dims: tuple, std: Any = None, spread: Any = None) -> None:
            out[f"re_{name}"] = (dims, np.real(value), {"units": "eV"})
            out[f"im_{name}"] = (dims, np.imag(value), {"units": "eV"})
            for suffix, extra in (("std", std), ("spread", spread)):
                if extra is not None:
                    out[f"re_{name}_{suffix}"] = (dims, np.real(extra), {"units": "eV"})
                    out[f"im_{name}_{suffix}"] = (dims, np.imag(extra), {"units": "eV"})

        put("sigma_normal", self.sigma_normal, dims_e, self.sigma_normal_std, self.sigma_normal_spread)
        put("sigma_anomalous", self.sigma_anomalous, dims_e, self.sigma_anomalous_std, self.sigma_anomalous_spread)
        put("sigma_total", self.sigma_total, dims_ke, self.sigma_total_std, self.sigma_total_spread)
        put("sigma_normal_unpaired", self.sigma_normal_unpaired, dims_e)
        out["intensity"] = (dims_ke, self.intensity)
        out["model_intensity"] = (dims_ke, self.model_intensity)
        out["model_intensity_unpaired"] = (dims_ke, self.model_intensity_unpaired)
        out["residual"] = (dims_ke, self.intensity - self.model_intensity)
        out["window"] = (dims_e, self.window_mask.astype(np.int8))
        out["loss"] = (("chunk", "restart"), self.loss_history)
        out["chi2_restart"] = (("restart",), self.chi2_restarts)
        out["accepted_restart"] = (("restart",), self.accepted.astype(np.int8))
        if self.log_evidence_restarts is not None:
            out["log_evidence_restart"] = (("restart",), self.log_evidence_restarts, {"units": "nats"})
        for name in ("sigma_normal", "sigma_anomalous"):
            detect = getattr(self, f"{name}_detectable")
            if detect is not None:
                out[f"{name}_detectable"] = (dims_e, detect, {
                    "units": "eV", "determined_to": self.determined_to(name),
                    "long_name": "smallest local change the data would show (1 sigma, all else free)"})
        coords = {
            "eV": ("eV", self.omega, {"units": "eV"}),
            "k": ("k", self.k),
            "eps_k": ("k", self.eps_k, {"units": "eV", "source": self.eps_k_source}),
        }
        if self.eps_k_guess is not None:
            coords["eps_k_guess"] = ("k", self.eps_k_guess, {"units": "eV", "long_name": "bare band as given"})
        if self.eps_k_std is not None:
            coords["eps_k_std"] = ("k", self.eps_k_std, {"units": "eV", "long_name": "Laplace error of eps_k"})
        if self.quasiparticle_band is not None:
            coords["quasiparticle_band"] = ("k", self.quasiparticle_band, {
                "units": "eV", "long_name": "Z (eps_k + Re sigma_normal(0))",
                "quasiparticle_weight": self.quasiparticle_weight})
        if self.quasiparticle_band_std is not None:
            coords["quasiparticle_band_std"] = ("k", self.quasiparticle_band_std,
                                                {"units": "eV", "long_name": "Laplace error of quasiparticle_band"})
        ds = xr.Dataset(out, coords=coords)
        attrs = {k: v for k, v in self.attrs.items() if isinstance(v, (int, float, str, np.number))}
        attrs.update(
            chi2_reduced=float(self.chi2_reduced),
            p_eff=float(self.p_eff),
            pairing_evidence=float(self.pairing_evidence),
            pairing_supported=int(self.pairing_supported),
            verdict=self.verdict,
            describes_data=int(self.describes_data),
            log_evidence_paired=float(self.evidence["log_evidence_paired"]),
            log_evidence_normal=float(self.evidence["log_evidence_normal"]),
            evidence_noise_scale=float(self.evidence["noise_scale"]),
            cancellation_ratio=float(self.cancellation_ratio),
            hidden_fermions=self.hidden_fermions,
            pole_evidence=float(self.evidence.get("pole_evidence", float("nan"))),
            cancellation_energy=float(self.cancellation_energy),
            steps=int(self.steps),
            converged_restarts=int(self.converged),
            seed=int(self.seed),
            status=self.status,
            config=self.config.to_json(),
            gauge="Re W(0) >= 0",
            params=json.dumps(self.params),
            momentum_dim=self.momentum_dim,
            eps_k_source=self.eps_k_source,
        )
        for name, value in self.baselines.items():
            attrs[f"chi2_reduced_{name}"] = float(value)
        ds.attrs = attrs
        return ds

    def save(self, path: Any, *, protect: Any = ()) -> Any:
        """Write :meth:`to_dataset` to netCDF (h5netcdf) atomically; never over a path in ``protect``."""
        from ..io.writers import to_netcdf_atomic

        return to_netcdf_atomic(self.to_dataset(), path, protect=protect)

    def cancellation(self, k_index: int | None = None) -> dict:
        """Im Σ11, Im of the anomalous term W²/(ω+ε_k−Σ22) and Im Σ_tot at one k.

        Returns a dict of (E,) arrays (eV) and the chosen ``k_index`` (default:
        the EDC closest to k_F).
        """
        if k_index is None:
            k_index = int(np.argmin(np.abs(self.eps_k)))
        s11 = self.sigma_normal
        stot = self.sigma_total[k_index]
        return {
            "k_index": k_index,
            "im_sigma_normal": s11.imag,
            "im_anomalous_term": (stot - s11).imag,
            "im_sigma_total": stot.imag,
        }
