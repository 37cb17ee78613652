"""Timestamps from an RFC 3161 timestamp authority, and their failures as `eid` errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

from eid.errors import EidError, TimestampFailed
from eid.sign.options import SignatureOptions

__all__ = ["run_signing", "timestamper_for"]

T = TypeVar("T")


def timestamper_for(options: SignatureOptions) -> TimeStamper | None:
    """The timestamp client for ``options`` (None for B-B)."""
    if not options.level.timestamped or options.tsa_url is None:
        return None
    return RequestsHTTPTimeStamper(  # type: ignore[no-untyped-call]
        options.tsa_url, timeout=options.tsa_timeout
    )


def run_signing(coroutine: Coroutine[Any, Any, T], tsa_url: str | None = None) -> T:
    """Run a pyHanko coroutine to its end, from synchronous code or from inside an event loop.

    A timestamp failure becomes `TimestampFailed`; other pyHanko signing errors
    become `EidError`; `eid` errors (a wrong PIN, a card removed) pass through.
    """
    try:
        return _run(coroutine)
    except TimestampRequestError as error:
        raise TimestampFailed(f"no timestamp from {tsa_url}: {error}") from error
    except SigningError as error:
        cause = error.__cause__ or error.__context__
        if isinstance(cause, EidError):
            raise cause from error
        if isinstance(cause, TimestampRequestError):
            raise TimestampFailed(f"no timestamp from {tsa_url}: {cause}") from error
        raise EidError(f"signing failed: {error}") from error


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Called from async code: run on a loop of our own in a helper thread.
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as error:
            failure.append(error)

    worker = threading.Thread(target=target, name="eid-sign")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]
