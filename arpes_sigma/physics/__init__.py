"""Pure ``jax.numpy`` physics: Nambu Green's functions, the instrument, Kramers–Kronig, the forward model.

Everything here takes and returns arrays, keeps no state, prints nothing and
survives ``jax.jit`` and ``jax.vmap``. Energies are in eV measured from E_F,
temperatures in K.
"""

from .forward import observed
from .greens import anomalous_term, nambu_g11, sigma_total, spectral_function
from .hidden_fermion import background_sigma, hidden_fermion_sigma, particle_hole
from .instrument import K_B, fermi, gaussian_matrix, model_grid, observe
from .kramers_kronig import kk_matrix, kramers_kronig
from .norman import norman_sigma

__all__ = [
    "K_B",
    "anomalous_term",
    "background_sigma",
    "fermi",
    "gaussian_matrix",
    "hidden_fermion_sigma",
    "kk_matrix",
    "kramers_kronig",
    "model_grid",
    "nambu_g11",
    "norman_sigma",
    "observe",
    "observed",
    "particle_hole",
    "sigma_total",
    "spectral_function",
]
