"""Thermal tests: ``@pytest.mark.slow`` ones run only when asked for (``-m slow``).

Each slow test here is also covered by ``benchmarks/bench_thermal.py``, which
prints the same quantity; the default run stays within the CI time budget.
"""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    if config.getoption("markexpr"):  # an explicit -m selection decides on its own
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow (also printed by benchmarks/bench_thermal.py)")
    for item in items:
        if "slow" in item.keywords and HERE in Path(item.fspath).resolve().parents:
            item.add_marker(skip)
