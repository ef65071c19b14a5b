"""Many cuts along the Fermi surface: the gap, W(0) and the evidence for pairing, cut by cut.

:func:`fermi_surface_summary` reduces a :func:`arpes_sigma.fit_many` result
over ``cut`` (and the stacked input it was fitted from) to

``w0``
    Re W at the energy closest to ω = 0, eV;
``gap``
    |Re W(0)| / (1 − ∂Re Σ11/∂ω at 0), eV: where the quasiparticle peak at
    k_F sits. With Σ11 ≈ s ω and Σ22(ω) = −Σ11(−ω)* near E_F the Nambu
    determinant (ω − Σ11)(ω − Σ22) − W² vanishes at ω = ±W/(1 − s)
    (the Eliashberg renormalisation Δ = W/Z);
``pairing_evidence``
    the result's own ``pairing_evidence`` when the fit reports it; else, with
    the normal-only baseline fitted, ½ (χ²_normal − χ²_paired) × N — the
    log-likelihood ratio in nats (an upper bound on the log evidence: no
    Occam factor); NaN without a baseline;
``describes_data``
    1 where the fit describes its cut (:func:`arpes_sigma.analysis.quality.residual_quality`
    against the cut's measured noise: χ²_red ≤ 3, no structure along energy),
    0 where its numbers are not to be read;
``fs_angle``
    the Fermi-surface angle of the cut (degrees, 0 antinode … 45 node) when
    its geometry is known; the x coordinate is the file order otherwise.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import ArpesDataError
from .quality import CHI2_MAX, residual_quality

__all__ = ["fermi_surface_summary"]


def _per_cut(result: xr.Dataset, name: str) -> np.ndarray:
    return np.asarray(result[name].values, dtype=float) if name in result else np.full(result.sizes["cut"], np.nan)


def fermi_surface_summary(result: xr.Dataset, cuts: xr.DataArray | None = None, *, slope_width: float = 0.010
                          ) -> xr.Dataset:
    """Gap, W(0) and pairing evidence per cut of a fit-many result.

    Parameters
    ----------
    result : xarray.Dataset
        From :func:`arpes_sigma.fit_many` with dim ``cut`` (``re_sigma_normal``,
        ``re_sigma_anomalous`` over (cut, eV); ``chi2_reduced`` and optionally
        ``chi2_reduced_normal_only``, ``pairing_evidence``, ``status``).
    cuts : xarray.DataArray, optional
        The stacked input (:func:`arpes_sigma.io.stack.stack_cuts`): gives
        ``fs_angle``, ``source_file`` and the number of data points.
    slope_width : float, eV
        Half width of the finite difference for ∂Re Σ11/∂ω at 0.

    Returns
    -------
    xarray.Dataset
        dim ``cut``: ``gap``, ``w0`` (eV), ``pairing_evidence`` (nats),
        ``chi2_reduced`` (the fit's own), ``chi2_measured_noise``,
        ``residual_correlation``, ``describes_data``, ``fs_angle`` (deg),
        ``status``, ``source_file``.
    """
    if "cut" not in result.dims:
        raise ArpesDataError("the result has no 'cut' dimension; pass the result of fit-many over several cuts")
    omega = np.asarray(result["eV"].values, dtype=float)
    re11 = np.atleast_2d(np.asarray(result["re_sigma_normal"].values, dtype=float))
    rew = np.atleast_2d(np.asarray(result["re_sigma_anomalous"].values, dtype=float))
    i0 = int(np.argmin(np.abs(omega)))
    lo = int(np.argmin(np.abs(omega + slope_width)))
    hi = int(np.argmin(np.abs(omega - slope_width)))
    slope = (re11[:, hi] - re11[:, lo]) / max(omega[hi] - omega[lo], 1e-12)
    w0 = rew[:, i0]
    gap = np.abs(w0) / np.maximum(1.0 - slope, 1e-3)
    n_cut = result.sizes["cut"]
    if "pairing_evidence" in result:
        evidence = _per_cut(result, "pairing_evidence")
    elif "chi2_reduced_normal_only" in result:
        n_points = (cuts.sizes["k"] * cuts.sizes["eV"]) if cuts is not None else result.sizes.get("k", 1) * omega.size
        evidence = 0.5 * (_per_cut(result, "chi2_reduced_normal_only") - _per_cut(result, "chi2_reduced")) * n_points
    else:
        evidence = np.full(n_cut, np.nan)
    angle = np.asarray(cuts["fs_angle"].values, float) if cuts is not None and "fs_angle" in cuts.coords \
        else np.full(n_cut, np.nan)
    files = cuts["source_file"].values if cuts is not None and "source_file" in cuts.coords \
        else np.array([""] * n_cut, dtype=object)
    status = result["status"].values if "status" in result else np.array(["ok"] * n_cut, dtype=object)
    chi2_noise, corr, describes = np.full(n_cut, np.nan), np.full(n_cut, np.nan), np.zeros(n_cut, dtype=np.int8)
    if cuts is not None and "noise_sigma" in cuts.coords and "residual" in result and "window" in result:
        for i in range(n_cut):
            res = np.asarray(result["residual"].values[i], dtype=float)
            if not np.all(np.isfinite(res)):
                continue
            q = residual_quality(res, cuts["noise_sigma"].values[i], np.asarray(result["window"].values[i], bool))
            chi2_noise[i], corr[i], describes[i] = q.chi2_reduced, q.correlation, int(q.describes_data)
    else:  # no measured noise: the fit's own χ² decides
        describes = (np.asarray(_per_cut(result, "chi2_reduced")) <= CHI2_MAX).astype(np.int8)
    return xr.Dataset(
        {
            "gap": ("cut", gap, {"units": "eV", "long_name": "|Re W(0)| / (1 - dReSigma11/domega)"}),
            "w0": ("cut", w0, {"units": "eV", "long_name": "Re W(0)"}),
            "pairing_evidence": ("cut", evidence, {"units": "nats"}),
            "chi2_reduced": ("cut", _per_cut(result, "chi2_reduced")),
            "chi2_measured_noise": ("cut", chi2_noise, {"long_name": "chi2_red against the prepared noise_sigma"}),
            "residual_correlation": ("cut", corr, {"long_name": "lag-1 correlation of the residual along energy"}),
            "describes_data": ("cut", describes, {"long_name": "1: the fit describes the data (fit_quality)"}),
            "fs_angle": ("cut", angle, {"units": "deg", "long_name": "Fermi-surface angle (0 antinode, 45 node)"}),
            "status": ("cut", np.asarray(status, dtype=object)),
            "source_file": ("cut", np.asarray(files, dtype=object)),
        },
        coords={"cut": ("cut", np.asarray(result["cut"].values))},
    )
