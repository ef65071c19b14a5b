"""The tested set of versions: one place for each pin, consistent with the package's ranges, and installed.

``binder/requirements.txt`` pins the set Binder installs, and ``scripts/test.sh``
installs the suite under it as pip constraints; the browser test's own front
end (Voilà, Playwright) is pinned in the ``[test]`` extra. The package's runtime
``dependencies`` keep ranges, never exact pins. Issue 10 came from a front end
that differed between machines, so the front end the browser test drives must
be exactly the pinned one.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder" / "requirements.txt"

# what the Voilà page, its kernel and the real-browser test are made of
FRONT_END = [
    "voila", "playwright", "jupyterlab", "jupyterlab_server", "jupyter_server", "jupyter_client", "jupyter_core",
    "ipykernel", "ipython", "comm", "traitlets", "tornado", "ipywidgets", "jupyterlab_widgets", "widgetsnbextension",
    "ipympl", "nbconvert", "nbclient", "nbformat", "jupyterlab_pygments",
]


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _binder_pins():
    pins = {}
    for number, line in enumerate(BINDER.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{BINDER.name}:{number}: {line!r} is not one == pin"
        name = canonicalize_name(req.name)
        assert name not in pins, f"{BINDER.name}:{number}: {req.name} pinned twice"
        pins[name] = specs[0].version
    return pins


def _test_extra_pins():
    pins = {}
    for text in _project()["optional-dependencies"]["test"]:
        req = Requirement(text)
        exact = [s.version for s in req.specifier if s.operator == "=="]
        if exact:
            pins[canonicalize_name(req.name)] = exact[0]
    return pins


def test_every_front_end_package_is_pinned_exactly_once():
    binder, extra = _binder_pins(), _test_extra_pins()
    for name in map(canonicalize_name, FRONT_END):
        assert (name in binder) != (name in extra), f"{name}: pin it in binder/requirements.txt or the [test] extra"


def test_runtime_dependencies_are_ranges_that_admit_the_binder_pins():
    binder = _binder_pins()
    for text in _project()["dependencies"]:
        req = Requirement(text)
        assert not any(s.operator in ("==", "===") for s in req.specifier), f"{text}: exact pins go in binder/"
        version = binder.get(canonicalize_name(req.name))
        if version is not None:
            assert req.specifier.contains(version, prereleases=True), f"binder pins {req.name}=={version}, not {text}"


def test_the_installed_front_end_is_the_pinned_one():
    pins = {**_binder_pins(), **_test_extra_pins()}
    wrong = []
    for name in map(canonicalize_name, FRONT_END):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "not installed"
        pinned = pins.get(name, "nowhere")
        if installed != pinned:
            wrong.append(f"{name} {installed} (pinned {pinned})")
    if wrong:
        pytest.fail("not the tested front end: " + ", ".join(wrong) + "; install with bash scripts/test.sh")
