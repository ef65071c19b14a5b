"""Checks of the notebooks (executing all of them is ``pytest --nbmake notebooks/``).

* outputs are cleared in git (no stale results, small diffs);
* every notebook is valid nbformat 4;
* the teaching notebooks use the fast mode switch that CI relies on;
* notebook 02, executed, keeps its key physics as a static image (it reads without a kernel).
"""

import base64
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = (sorted((ROOT / "notebooks").glob("*.ipynb"))
             + sorted((ROOT / "tests" / "widgets" / "browser_app").glob("*.ipynb"))
             + sorted((ROOT / "arpes_sigma" / "app").glob("*.ipynb")))
FITTING = ("01_quickstart.ipynb", "03_your_data.ipynb", "05_real_measurement.ipynb")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_outputs_are_cleared(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {i} has outputs; clear them before committing"
            assert cell.execution_count is None, f"{path.name}: cell {i} has an execution count; clear outputs"


@pytest.mark.parametrize("name", FITTING)
def test_fitting_notebooks_have_a_fast_mode(name):
    source = "\n".join(c.source for c in nbformat.read(ROOT / "notebooks" / name, as_version=4).cells)
    assert 'os.environ.get("CI"' in source and "ARPES_SIGMA_FAST" in source


@pytest.mark.slow
def test_notebook_02_executed_keeps_a_static_cancellation_figure(tmp_path):
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "notebooks" / "02_hidden_cancellation.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    cells = [c for c in nb.cells if c.cell_type == "code" and "cancellation_figure(" in c.source]
    assert len(cells) == 1, "notebook 02 should have one cell that draws cancellation_figure(...)"
    images = [o["data"]["image/png"] for o in cells[0].outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, f"the cancellation figure cell has {len(images)} PNG outputs: {cells[0].outputs}"
    png = base64.b64decode(images[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # a real figure, not an empty canvas
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
