"""Exceptions raised for bad input.

Every message is one line that names the problem and the fix, so the CLI can
print it as-is (exit status 2) and notebooks show it without a deep traceback.
"""

from __future__ import annotations

__all__ = ["ArpesDataError", "ConfigError", "describe"]


class ArpesDataError(ValueError):
    """The input spectrum or file cannot be used as it is (message says how to fix it)."""


class ConfigError(ValueError):
    """A configuration value is out of range or inconsistent (message says how to fix it)."""


def describe(exc: BaseException, limit: int = 160) -> str:
    """One-line, length-limited ``"Type: message"`` of an exception, for a message to the user."""
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
