"""Levels of assurance in order, to compare what a login gives with what a portal needs."""

from __future__ import annotations

__all__ = ["LEVELS", "level_suffices"]

LEVELS = ("low", "substantial", "high")
"""The eIDAS levels, weakest first."""


def level_suffices(have: str | None, need: str | None) -> bool:
    """Whether a login at ``have`` meets a portal's minimum ``need`` (None: no minimum)."""
    if need is None:
        return True
    if have not in LEVELS or need not in LEVELS:
        return False
    return LEVELS.index(have) >= LEVELS.index(need)
