"""arpes_sigma.datasets: pinned URL and checksums, optional pooch (never downloads in the tests)."""

from __future__ import annotations

import builtins
import re

import pytest

from arpes_sigma import datasets
from arpes_sigma.errors import ConfigError


def test_registry_is_pinned():
    assert re.fullmatch(r"https://raw\.githubusercontent\.com/Francisco-UIC/Spin_fluctuations/[0-9a-f]{40}/",
                        datasets.BI2212_URL)
    roles = {role for role, _ in datasets.BI2212_OP80.values()}
    assert roles == {"gold", "near_nodal", "antinodal"}
    for _role, sha in datasets.BI2212_OP80.values():
        assert re.fullmatch(r"[0-9a-f]{64}", sha)


def test_without_pooch_a_clear_message(monkeypatch):
    real_import = builtins.__import__

    def no_pooch(name, *args, **kwargs):
        if name == "pooch":
            raise ImportError("no pooch")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pooch)
    with pytest.raises(ConfigError, match=r"arpes_sigma\[data\]"):
        datasets.fetch_bi2212("antinodal")
    with pytest.raises(ConfigError, match="not one of"):
        datasets.fetch_bi2212("gold")
