"""Moments at the edges of the calendar: conversion to UTC and shifts that cannot overflow.

`datetime` covers years 1 to 9999. A time given in another zone may fall outside that range
once converted to UTC (9999-12-31T23:59:59-14:00), and a shift by a clock skew may step
past either end; both raise `OverflowError` in `datetime`. Here the first is a
`UsageError` and the second saturates at the end of the range.
"""

from __future__ import annotations

import datetime as dt

from eid.errors import UsageError

__all__ = ["EARLIEST", "LATEST", "shifted", "to_utc"]

EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)
"""The first moment `datetime` can hold, in UTC."""
LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)
"""The last moment `datetime` can hold, in UTC."""


def to_utc(moment: dt.datetime, *, what: str = "the time") -> dt.datetime:
    """``moment`` (timezone-aware) in UTC; `UsageError` when UTC cannot hold it or it is naive."""
    if moment.utcoffset() is None:
        raise UsageError(f"{what} must name its time zone")
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        raise UsageError(
            f"{what} {moment.isoformat()} lies outside the years 1 to 9999 in UTC"
        ) from None


def shifted(moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``moment + delta`` (timezone-aware), held at `EARLIEST` or `LATEST` beyond the range."""
    try:
        return moment + delta
    except OverflowError:
        return LATEST if delta > dt.timedelta(0) else EARLIEST
