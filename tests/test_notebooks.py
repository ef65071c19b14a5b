"""Static checks of the notebooks (executing them is ``pytest --nbmake notebooks/``).

* outputs are cleared in git (no stale results, small diffs);
* every notebook is valid nbformat 4;
* the teaching notebooks use the fast mode switch that CI relies on.
"""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "tests" / "browser_app").glob("*.ipynb"))
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
