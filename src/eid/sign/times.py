"""Times read from signed files, as UTC instants where they have one.

A GeneralizedTime or a PDF date may carry any offset up to ±14 h (or none) on any date
from year 1 to 9999, so its UTC instant can fall outside what `datetime` holds
(``0001-01-01T00:00+14:00`` is in year 0). Verification compares and reports times in
UTC only after `as_utc` has said they have one.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["as_utc", "iso_utc"]


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """``moment`` in UTC; None when it is None, naive, or outside `datetime`'s range in UTC."""
    if moment is None or moment.utcoffset() is None:
        return None
    try:
        return moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None


def iso_utc(moment: dt.datetime | None) -> str | None:
    """ISO 8601 text of ``moment`` in UTC, or as given when it has no UTC form (None: None)."""
    if moment is None:
        return None
    converted = as_utc(moment)
    return (converted or moment).isoformat()
