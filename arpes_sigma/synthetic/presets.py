"""Teaching presets of the Playground: four self-energies a lecturer can click through.

Each :class:`Preset` is a full set of Playground parameters (the names of
:data:`arpes_sigma.synthetic.curves.PARAMETER_NAMES`) and a one-paragraph
caption that says what to look at. The three hidden-fermion presets share one
hidden fermion (V, ε_f, D, γ of the default truth) and differ only in its
pairing coherence c (:func:`arpes_sigma.physics.hidden_fermion_sigma`), so the
only thing that changes between them is how much of the pairing reaches W:

``BCS (static gap)``
    No hidden fermion (V = 0) and a constant gap W = Δ0.
``hidden fermion, paired (cancellation)``
    c = 1: rank-one residues, the Σ11 peak at −E is cancelled in Σ_tot
    (Yamaji, Yoshida, Fujimori and Imada, Phys. Rev. Research 3, 043099 (2021)).
``same hidden fermion, unpaired (normal-state dip that mimics a gap)``
    c = 0: W ≡ 0, so Σ_tot = Σ11 and the peak at −E is seen in full.
``spread of hidden fermions (partial cancellation)``
    c = 0.7: hidden fermions at the same energy whose pairing angles are
    spread; the averaged residue is not rank one and a fraction 1 − c² of the
    Σ11 peak survives in Σ_tot.
"""

from __future__ import annotations

import dataclasses

from ..errors import ConfigError
from .curves import PARAMETER_NAMES

__all__ = ["PRESETS", "Preset", "preset"]


@dataclasses.dataclass(frozen=True)
class Preset:
    """One Playground setting with its caption.

    Parameters
    ----------
    name : str
        Label of the preset's button.
    caption : str
        One paragraph of HTML: what the preset shows and what to look at.
    v, eps_f, d, gamma : float, eV
        The hidden fermion: hybridisation, level, pairing, width (γ > 0).
    coherence : float, in [0, 1]
        Pairing coherence of the hidden fermion (1: rank one, 0: no pairing).
    static_gap : float, eV
        Δ0, a constant added to W.
    gamma0 : float, eV;  alpha : float, dimensionless
        The normal background, −Im Σ_bg ≈ Γ0 + α|ω|.
    temperature : float, K;  resolution : float, eV (Gaussian FWHM)
    eps_k : float, eV
        Bare band energy of the EDC shown in the line panels.
    paired : bool
        Whether W is non-zero.
    """

    name: str
    caption: str
    v: float
    eps_f: float
    d: float
    gamma: float
    coherence: float
    static_gap: float
    gamma0: float = 0.010
    alpha: float = 0.30
    temperature: float = 20.0
    resolution: float = 0.010
    eps_k: float = -0.03
    paired: bool = True

    def __post_init__(self) -> None:
        if self.gamma <= 0 or self.gamma0 < 0 or self.alpha < 0:
            raise ConfigError(f"preset {self.name!r}: gamma must be > 0 and gamma0, alpha >= 0 (causality)")
        if not 0.0 <= self.coherence <= 1.0:
            raise ConfigError(f"preset {self.name!r}: coherence must lie in [0, 1] (the bound on pairing)")
        if self.paired != (self.static_gap != 0.0 or (self.v != 0.0 and self.d != 0.0 and self.coherence != 0.0)):
            raise ConfigError(f"preset {self.name!r}: 'paired' does not match its W; fix the preset")

    @property
    def values(self) -> dict[str, float]:
        """The Playground parameters by name (eV, K, dimensionless), ``omega_c`` excepted."""
        names = {"V": "v", "D": "d"}
        return {name: float(getattr(self, names.get(name, name))) for name in PARAMETER_NAMES if name != "omega_c"}


#: The hidden fermion the three hidden-fermion presets share (that of the default truth), eV.
_HF = {"v": 0.10, "eps_f": 0.02, "d": 0.045, "gamma": 0.008}

#: The presets, in the order a lecture goes through them; keyed by name.
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "BCS (static gap)",
            "<b>BCS: a static gap.</b> No hidden fermion (V = 0); the pairing is a constant W = Δ0 = 25 meV on a "
            "smooth normal background. Look at the image and the EDC: the band stops short of E_F instead of "
            "crossing it, and the EDC peak is held below E_F — a gap. Im Σ11 is featureless; the only sharp "
            "structure is in Im Σ_tot (lower right, green): the Bogoliubov pole of Δ0²/(ω + ε_k − Σ22) at "
            "ω ≈ −ε_k, <i>above</i> E_F. Nothing at negative energy needs explaining.",
            **dict(_HF, v=0.0), coherence=1.0, static_gap=0.025,
        ),
        Preset(
            "hidden fermion, paired (cancellation)",
            "<b>One hidden fermion with pairing: the cancellation.</b> Im Σ11 (lower left) and Im W (lower "
            "middle) have large peaks at the same energy −E = −√(ε_f² + D²) (dotted line). In the lower-right "
            "panel the green Im Σ_tot — what a normal-state analysis reads off the spectrum — stays small "
            "there: the anomalous term (red) cancels the Σ11 peak, because one hidden fermion gives rank-one "
            "residues. Strong scattering and strong pairing at −E leave almost no trace in the spectrum.",
            **_HF, coherence=1.0, static_gap=0.0,
        ),
        Preset(
            "same hidden fermion, unpaired (normal-state dip that mimics a gap)",
            "<b>The same hidden fermion without pairing.</b> Its pairing coherence is switched off (c = 0), "
            "so W ≡ 0 (lower middle is flat) and Σ_tot = Σ11: the peak of Im Σ11 at −E is seen in full. The "
            "EDC shows a peak–dip–hump with the dip near −E, and the band in the image breaks there — "
            "structures often read as signs of pairing, although nothing is paired. A dip in a spectrum is "
            "not evidence of a gap; only the comparison of a paired with a normal-only description is.",
            **_HF, coherence=0.0, static_gap=0.0, paired=False,
        ),
        Preset(
            "spread of hidden fermions (partial cancellation)",
            "<b>Hidden fermions with spread pairing angles.</b> Many hidden fermions at the same energy E whose "
            "pairing angles differ: averaged, their residue matrix is no longer rank one (coherence c = 0.7 "
            "scales its off-diagonal part; the bound on pairing still holds, upper right). W shrinks by c, and "
            "the anomalous term removes only a fraction c² ≈ 0.5 of the Σ11 peak: in the lower-right panel "
            "about half of the peak at −E survives in Im Σ_tot. How complete the cancellation is, is something "
            "a fit must measure, not assume.",
            **_HF, coherence=0.7, static_gap=0.0,
        ),
    )
}


def preset(name: str) -> Preset:
    """The preset called ``name`` (a key of :data:`PRESETS`)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {list(PRESETS)}")
    return PRESETS[name]
