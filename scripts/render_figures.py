"""Render the static teaching figures into docs/figures/ (the README's "Teaching" section shows them).

    python scripts/render_figures.py              # the figures that need no fit (seconds)
    python scripts/render_figures.py --with-fit   # also a short demo fit (minutes on a laptop CPU)

Every figure is made by a library plotting function, the same ones the
notebooks call, and written as a palette PNG so each stays under 150 kB:

* ``cancellation.png`` — :func:`arpes_sigma.plotting.teaching.cancellation_figure`,
  the Playground's four presets side by side (notebook 02);
* ``demo_result.png`` (with ``--with-fit``) — :func:`arpes_sigma.plotting.result_figure`
  of a short fit of the built-in demo spectrum (what ``arpes-sigma demo`` draws; notebook 01);
* ``thermal_exact.png`` — :func:`arpes_sigma.plotting.thermal.thermal_figure`,
  the exactly contracted purified network against Jordan–Wigner (notebook 04).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures"
MAX_BYTES = 150_000


def save_small(fig, path: Path, dpi: float = 72) -> int:
    """Write ``fig`` as an adaptive-palette PNG (256 colours); its size in bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    buf.seek(0)
    image = Image.open(buf).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, format="PNG", optimize=True)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{path.name} is {size} bytes, over {MAX_BYTES}; lower its dpi")
    return size


def cancellation() -> object:
    from arpes_sigma.plotting.teaching import cancellation_figure

    return cancellation_figure()[0]


def demo_result(steps: int) -> object:
    from arpes_sigma import FitConfig, fit
    from arpes_sigma.plotting import result_figure
    from arpes_sigma.synthetic import default_spectrum

    data, truth = default_spectrum()
    result = fit(data, FitConfig(steps=steps, steps_per_call=50, window=(-0.28, 0.05), baselines=False))
    return result_figure(result, truth=truth)[0]


def thermal_exact() -> object:
    from arpes_sigma.plotting.thermal import thermal_figure
    from arpes_sigma.thermal import ThermalConfig, TransverseFieldIsing, jw_tfim, thermal

    chain = TransverseFieldIsing(6, 1.0, 1.0)
    temps = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0])
    net = thermal(chain, temps, ThermalConfig(method="exact", trotter_step=0.05))
    return thermal_figure({"exact contraction, N = 6": net}, jw_tfim(chain, np.linspace(0.2, 3.2, 80)))[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-fit", action="store_true", help="also fit the demo spectrum (demo_result.png)")
    parser.add_argument("--steps", type=int, default=600, help="optimizer steps of the demo fit (default 600)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    jobs = [("cancellation.png", cancellation, 72), ("thermal_exact.png", thermal_exact, 80)]
    if args.with_fit:
        jobs.append(("demo_result.png", lambda: demo_result(args.steps), 72))
    for name, make, dpi in jobs:
        size = save_small(make(), OUT / name, dpi=dpi)
        print(f"{OUT / name}: {size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
