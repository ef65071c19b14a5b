"""The fit configuration: one frozen, validated object that defines a fit.

The hard constraints (causality, the pairing bound, particle–hole structure)
are inside the model (:mod:`arpes_sigma.model`) and need no weight. The soft
priors ("constraint weights", :mod:`arpes_sigma.fitting.loss`) are:

``smoothness``
    mean squared curvature of the background spectral density (in units of
    (10 meV)²); keeps the network background from fitting noise.
``gap_penalty`` / ``gap_limit``
    (|Δ0| − ``gap_limit``)₊² / (10 meV)²: a cap on the static gap.
``l2``
    sum of squared network weights (weight decay).
``pairing_scale`` / ``gap_scale``
    the widths of the Gaussian priors on each pole's pairing-coherence logit
    (dimensionless) and on the static gap Δ0 (eV) — the shrinkage on pairing
    and the prior the evidence for pairing is computed against. Smaller values
    demand more evidence before W is reported.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from ..errors import ConfigError
from ..model_spec import ModelSpec

__all__ = ["AMPLITUDE_CHOICES", "BACKGROUND_CHOICES", "BAND_CHOICES", "LARGEST_RESOLUTION", "MAX_RESOLUTION_FACTOR",
           "MEASURED_DEFAULTS", "MEASURED_STEPS", "PRIOR_NAMES", "FitConfig", "prepared_cut"]

#: The extrinsic-background models (``FitConfig.background``).
BACKGROUND_CHOICES = ("constant", "shirley", "edge")

#: How the per-EDC amplitude a_k (matrix element × k-independent factors) is fitted (``FitConfig.amplitude``).
AMPLITUDE_CHOICES = ("free", "smooth")

#: How the bare band ε_k is treated (``FitConfig.band``).
BAND_CHOICES = ("auto", "fixed", "learn")

#: ``FitConfig.max_resolution = None`` pads the model grid for this many times the starting resolution.
MAX_RESOLUTION_FACTOR = 2.0
#: The largest resolution (FWHM, eV) a fit accepts at all.
LARGEST_RESOLUTION = 0.5

#: Solver steps for a measured cut with an energy-dependent background (``arpes-sigma fit`` on raw files and
#: prepared cuts when ``--steps`` is not given; the default FitConfig has 200).
#: On the package's raw SES export with its edge background (``write_raw_measurement(background=0.15)``,
#: seeds 3, 4, 6, 7, 8, each fitted with and without the sub-step energy offsets, 500 steps) the best paired
#: cost came within 0.5 of its 500-step value after 180–450 steps; with 200 steps, 5 of 11 seeds stopped
#: "still improving".
MEASURED_STEPS = 500
#: What the fit of a measured cut changes from ``FitConfig()`` (:meth:`FitConfig.default_for`, and
#: ``arpes-sigma fit`` on raw files and prepared cuts unless ``--background`` / ``--steps`` are given):
#: raw intensities carry inelastic electrons under the Fermi edge.
MEASURED_DEFAULTS = {"background": "edge", "steps": MEASURED_STEPS}


def prepared_cut(data: object) -> bool:
    """Whether ``data`` is a measured cut made by :func:`arpes_sigma.prepare` (its attr ``prepared_by``)."""
    attrs = getattr(data, "attrs", None) or {}
    return str(attrs.get("prepared_by", "")) == "arpes_sigma.prepare"


#: Names of the soft priors' weights (traced: changing them never recompiles).
PRIOR_NAMES = ("smoothness", "gap_penalty", "l2", "pairing_scale", "gap_scale")


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """Everything that defines a fit (frozen; checked when built).

    Parameters
    ----------
    n_poles, n_features, width, depth, n_background : int
        Model size (see :class:`arpes_sigma.model.ModelSpec`). Two poles
        (hidden fermions) and a background whose log-density is a smooth
        24-function basis expansion on 128 nodes over ±0.6 eV (9.4 meV apart,
        about one typical ARPES resolution) describe 10 meV / 20 K / 2 % noise
        spectra without structured residuals. More poles than the data
        support tend to split one peak into a narrow and a broad copy; so
        each model also fits with its weakest pole switched off (from
        ``restarts`` ≥ 3, :meth:`~arpes_sigma.fitting.fitter.Fitter.cross_seed`)
        and the evidence decides: :attr:`FitResult.hidden_fermions` is the
        number the reported fit uses.
    anomalous : bool
        Kept for the single-model view (the NNX module); every fit runs the
        paired and the normal-only model side by side.
    window : (float, float) or None, eV
        Energy window (E_min, E_max) of the χ²; None uses all data.
    steps : int
        Most Levenberg–Marquardt steps per restart (a restart stops earlier
        when it has converged).
    steps_per_call : int
        Solver steps per compiled call (``lax.scan`` length); also how often
        the callback is called.
    restarts : int
        Starting points per model: the paired and the normal-only model each
        get this many (half start unpaired, half paired), fitted side by side
        in one program. The spread of the accepted paired restarts is
        reported as ``*_spread`` (module :mod:`arpes_sigma.fitting.summary`).
    seed : int
        Seed of the initialisations.
    smoothness, gap_penalty, gap_limit, l2, pairing_scale, gap_scale : float
        Soft-prior weights and widths (``gap_limit``, ``gap_scale`` in eV);
        see the module docstring.
    temperature, resolution, noise : float or None
        Override the data's ``sample_temp`` (K), ``energy_resolution`` (FWHM,
        eV) and noise level (intensity units).
    max_resolution : float or None, eV
        Largest resolution (FWHM) the model grid is padded for, so a resolution
        slider up to this value never recompiles; the convolution runs over a
        band of ±2.5 × this value around each energy, and that convolution is
        the largest part of the fit's Jacobian. Default None:
        :data:`MAX_RESOLUTION_FACTOR` (2) × the resolution the fit starts with
        (the data's, or ``resolution``).
    grid_step : float or None, eV
        Spacing of the model grid on which A(k, ω) is evaluated before the
        resolution convolution; default min(data spacing, 2 meV).
    baselines : bool
        With :func:`arpes_sigma.fit_with_baselines` (the CLI, fit-many), also
        fit the Norman baseline (:mod:`arpes_sigma.fitting.baselines`).
    background : {"constant", "shirley", "edge"}
        The extrinsic background added to each EDC, its coefficients fitted in
        closed form with the amplitude a_k: ``"constant"`` is b_k;
        ``"shirley"`` is b_k + c_k S_k(ω) with S_k the Shirley integral of the
        measured EDC (Shirley, Phys. Rev. B 5, 4709 (1972);
        :func:`arpes_sigma.fitting.problem.shirley_integral`) — an
        energy-dependent background from inelastic scattering, as raw
        spectra carry; ``"edge"`` is b_k + f̃(ω)(c_k + d_k|ω|/W), a background
        rising linearly with binding energy and cut by the resolution-broadened
        Fermi edge f̃ at the data's temperature and resolution
        (:func:`arpes_sigma.fitting.problem.background_basis`). Each background
        function costs one degree of freedom per EDC.
    band : {"auto", "fixed", "learn"}
        The bare band ε_k: ``"fixed"`` takes the data's ``eps_k`` as it is;
        ``"learn"`` fits ε_k = ε_guess(k) + δ(k) jointly with the self-energy,
        δ a bounded quadratic in k with a Gaussian prior
        (:func:`arpes_sigma.model.band_correction`), and writes the learned
        ε_k to the result's ``eps_k`` (the guess to ``eps_k_guess``);
        ``"auto"`` learns when the data's ``eps_k_source`` attr marks a guess
        ("mdc": :func:`arpes_sigma.prepare` guessed it from MDC maxima) and
        keeps it fixed otherwise. A traced switch: changing it never recompiles.
    amplitude : {"free", "smooth"}
        The amplitude a_k that multiplies each EDC's model spectrum (the
        photoemission matrix element and everything else that does not depend
        on ω): ``"free"`` solves one a_k per EDC; ``"smooth"`` makes it a
        quadratic in k, a_k = α0 P0(x) + α1 P1(x) + α2 P2(x) (Legendre
        polynomials of the scaled momentum x ∈ [−1, 1]), for matrix elements
        that vary slowly along the cut: 3 linear parameters instead of K, so
        a_k can no longer absorb weight that the self-energy should explain
        EDC by EDC. Either way solved in closed form with the background.
        Part of the problem (changing it builds a new fit).
    """

    # the model's size: ModelSpec's defaults, written once there
    n_poles: int = ModelSpec.n_poles
    n_features: int = ModelSpec.n_features
    width: int = ModelSpec.width
    depth: int = ModelSpec.depth
    n_background: int = ModelSpec.n_background
    anomalous: bool = ModelSpec.anomalous
    window: tuple[float, float] | None = None
    steps: int = 200
    steps_per_call: int = 10
    restarts: int = 4
    seed: int = 0
    smoothness: float = 1.0
    gap_penalty: float = 1.0
    gap_limit: float = 0.1
    l2: float = 1e-4
    pairing_scale: float = 1.0
    gap_scale: float = 0.05
    temperature: float | None = None
    resolution: float | None = None
    noise: float | None = None
    max_resolution: float | None = None
    grid_step: float | None = None
    baselines: bool = True
    background: str = "constant"
    band: str = "auto"
    amplitude: str = "free"

    def __post_init__(self) -> None:
        self.model_spec()  # checks the sizes
        if self.background not in BACKGROUND_CHOICES:
            raise ConfigError(f"background={self.background!r} is unknown; use one of {', '.join(BACKGROUND_CHOICES)}")
        if self.amplitude not in AMPLITUDE_CHOICES:
            raise ConfigError(f"amplitude={self.amplitude!r} is unknown; use one of {', '.join(AMPLITUDE_CHOICES)}")
        if self.band not in BAND_CHOICES:
            raise ConfigError(f"band={self.band!r} is unknown; use one of {', '.join(BAND_CHOICES)}")
        ints = {"steps": (1, 10_000_000), "steps_per_call": (1, 100_000), "restarts": (1, 128),
                "seed": (0, 2**31 - 1)}
        for name, (lo, hi) in ints.items():
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not lo <= v <= hi:
                raise ConfigError(f"{name}={v!r} is invalid; use an integer in [{lo}, {hi}]")
        for name in ("smoothness", "gap_penalty", "l2"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise ConfigError(
                    f"weight {name}={v!r} must be a finite number >= 0; set it to 0 to switch the prior off"
                )
        for name, hint in (("pairing_scale", "1.0"), ("gap_scale", "0.05 eV")):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ConfigError(f"{name}={v!r} must be a positive prior width; try {hint}")
        if not (0 < self.gap_limit < 1):
            raise ConfigError(f"gap_limit={self.gap_limit!r} eV must be in (0, 1) eV")
        if self.window is not None:
            w = tuple(self.window)
            if len(w) != 2 or not all(np.isfinite(w)) or not w[0] < w[1]:
                raise ConfigError(f"window={self.window!r} must be (E_min, E_max) in eV with E_min < E_max")
            object.__setattr__(self, "window", (float(w[0]), float(w[1])))
        if self.temperature is not None and not self.temperature > 0:
            raise ConfigError(f"temperature={self.temperature!r} K must be > 0")
        top = LARGEST_RESOLUTION if self.max_resolution is None else self.max_resolution
        if self.resolution is not None and not 0 <= self.resolution <= top:
            raise ConfigError(
                f"resolution={self.resolution!r} eV must be in [0, max_resolution={top}] eV; raise max_resolution"
            )
        if self.noise is not None and not self.noise > 0:
            raise ConfigError(f"noise={self.noise!r} must be > 0 (intensity units) or None to estimate it")
        if self.grid_step is not None and not 1e-5 <= self.grid_step <= 0.01:
            raise ConfigError(f"grid_step={self.grid_step!r} eV must be in [1e-5, 0.01] eV or None")
        if self.max_resolution is not None and not 0 < self.max_resolution <= LARGEST_RESOLUTION:
            raise ConfigError(f"max_resolution={self.max_resolution!r} eV must be in (0, {LARGEST_RESOLUTION}] "
                              "or None (twice the data's resolution)")

    def model_spec(self) -> ModelSpec:
        """The :class:`ModelSpec` (static shapes) of this configuration."""
        return ModelSpec(
            n_poles=self.n_poles, n_features=self.n_features, width=self.width, depth=self.depth,
            n_background=self.n_background, anomalous=self.anomalous,
        )

    def replace(self, **changes: object) -> FitConfig:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def default_for(cls, data: object = None) -> FitConfig:
        """The configuration a fit of ``data`` uses when none is given.

        ``FitConfig()``, except for a measured cut made by
        :func:`arpes_sigma.prepare` (:func:`prepared_cut`): its raw
        intensities carry inelastic electrons under the Fermi edge, so it gets
        :data:`MEASURED_DEFAULTS` (``background="edge"``, :data:`MEASURED_STEPS`
        solver steps), as ``arpes-sigma fit`` does on raw files.
        """
        return cls(**MEASURED_DEFAULTS) if prepared_cut(data) else cls()

    def to_json(self) -> str:
        """The configuration as JSON text (stored in result files)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    def static_key(self) -> tuple:
        """What changes compiled shapes: model size, restarts, steps per call."""
        return (self.model_spec(), self.restarts, self.steps_per_call)
