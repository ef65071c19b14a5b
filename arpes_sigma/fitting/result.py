"""The outcome of a fit: :class:`FitResult` and its netCDF form (names of the result contract in README.md)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from .config import FitConfig

__all__ = ["FitResult"]


@dataclasses.dataclass(frozen=True)
class FitResult:
    """Outcome of a fit (frozen). Self-energies are complex numpy arrays in eV.

    Attributes
    ----------
    omega : (E,) eV; eps_k : (K,) eV; k : (K,) momentum coordinate
    sigma_normal, sigma_anomalous : (E,) complex — mean over accepted restarts
    sigma_normal_std, sigma_anomalous_std : (E,) complex — spread (std of real
        and imaginary parts separately) over accepted restarts, or None
    sigma_total, sigma_total_std : (K, E) complex
    intensity, model_intensity : (K, E)
    chi2_reduced : float — best restart
    chi2_restarts : (R,) — every restart
    accepted : (R,) bool — restarts entering the mean (χ² ≤ ACCEPT_RATIO × best)
    loss_history : (n_chunks, R)
    steps, seed : int; status : str — why the fit stopped
    config : FitConfig
    baselines : dict name -> reduced χ² (Norman, normal-only), may be empty
    params : dict of the best restart's hidden-fermion parameters (eV)
    attrs : dict — data attrs carried over
    """

    omega: np.ndarray
    eps_k: np.ndarray
    k: np.ndarray
    momentum_dim: str
    sigma_normal: np.ndarray
    sigma_anomalous: np.ndarray
    sigma_normal_std: np.ndarray | None
    sigma_anomalous_std: np.ndarray | None
    sigma_total: np.ndarray
    sigma_total_std: np.ndarray | None
    intensity: np.ndarray
    model_intensity: np.ndarray
    window_mask: np.ndarray
    chi2_reduced: float
    chi2_restarts: np.ndarray
    accepted: np.ndarray
    loss_history: np.ndarray
    steps: int
    seed: int
    status: str
    config: FitConfig
    baselines: dict
    params: dict
    attrs: dict

    def to_dataset(self) -> Any:
        """The result as an :class:`xarray.Dataset` with the names of the result contract (README.md).

        Complex quantities are stored as real ``re_*``/``im_*`` variables; the
        spreads as ``*_std`` when restarts > 1.
        """
        import xarray as xr

        dims_e, dims_ke = ("eV",), ("k", "eV")
        out = {}

        def put(name, value, dims, std=None):
            out[f"re_{name}"] = (dims, np.real(value))
            out[f"im_{name}"] = (dims, np.imag(value))
            if std is not None:
                out[f"re_{name}_std"] = (dims, np.real(std))
                out[f"im_{name}_std"] = (dims, np.imag(std))

        put("sigma_normal", self.sigma_normal, dims_e, self.sigma_normal_std)
        put("sigma_anomalous", self.sigma_anomalous, dims_e, self.sigma_anomalous_std)
        put("sigma_total", self.sigma_total, dims_ke, self.sigma_total_std)
        out["intensity"] = (dims_ke, self.intensity)
        out["model_intensity"] = (dims_ke, self.model_intensity)
        out["residual"] = (dims_ke, self.intensity - self.model_intensity)
        out["window"] = (dims_e, self.window_mask.astype(np.int8))
        out["loss"] = (("chunk", "restart"), self.loss_history)
        out["chi2_restart"] = (("restart",), self.chi2_restarts)
        out["accepted_restart"] = (("restart",), self.accepted.astype(np.int8))
        ds = xr.Dataset(
            out,
            coords={
                "eV": ("eV", self.omega, {"units": "eV"}),
                "k": ("k", self.k),
                "eps_k": ("k", self.eps_k, {"units": "eV"}),
            },
        )
        attrs = {k: v for k, v in self.attrs.items() if isinstance(v, (int, float, str, np.number))}
        attrs.update(
            chi2_reduced=float(self.chi2_reduced),
            steps=int(self.steps),
            seed=int(self.seed),
            status=self.status,
            config=self.config.to_json(),
            gauge="Re W(0) >= 0",
            params=json.dumps(self.params),
            momentum_dim=self.momentum_dim,
        )
        for name, value in self.baselines.items():
            attrs[f"chi2_reduced_{name}"] = float(value)
        ds.attrs = attrs
        for name in ("re_sigma_normal", "im_sigma_normal", "re_sigma_anomalous", "im_sigma_anomalous"):
            ds[name].attrs["units"] = "eV"
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
