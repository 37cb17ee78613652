"""Trust and revocation options shared by the commands that validate certificates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import click

from eid.errors import UsageError
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore, load_certificates_from_path
from eid.times import to_utc

__all__ = ["parse_time", "revocation_options", "revocation_settings", "trust_option", "trust_store"]

F = TypeVar("F", bound=Callable[..., Any])


def trust_option(function: F) -> F:
    """Add ``--trust belgium|PATH`` (repeatable) to a command."""
    return click.option(
        "--trust",
        "trust",
        multiple=True,
        metavar="belgium|PATH",
        help="Trust anchors: 'belgium' (the bundled roots) or a PEM/DER file or folder. Repeatable.",
    )(function)


def revocation_options(function: F) -> F:
    """Add ``--revocation require|prefer|off`` and its shorthand ``--no-revocation``."""
    function = click.option("--no-revocation", is_flag=True, help="Same as --revocation off.")(
        function
    )
    return click.option(
        "--revocation",
        type=click.Choice([p.value for p in RevocationPolicy]),
        default=RevocationPolicy.REQUIRE.value,
        show_default=True,
        help="OCSP/CRL: require an answer, prefer one (warn when none), or skip the check.",
    )(function)


def trust_store(
    values: tuple[str, ...], default: Callable[[], TrustStore] = TrustStore.belgium
) -> TrustStore:
    """The trust store the ``--trust`` values name (the default when there are none)."""
    if not values:
        return default()
    store = TrustStore()
    for value in values:
        if value == "belgium":
            bundled = TrustStore.belgium()
            for anchor in bundled.anchors:
                store.add(anchor)
            for intermediate in bundled.intermediates:
                store.add(intermediate, anchor=False)
        else:
            for certificate in load_certificates_from_path(value):
                store.add(certificate, source=value)
    return store


def revocation_settings(policy: str, no_revocation: bool) -> RevocationSettings:
    """Revocation settings from the command-line options."""
    return RevocationSettings(
        policy=RevocationPolicy.OFF if no_revocation else RevocationPolicy(policy)
    )


def parse_time(value: str | None) -> dt.datetime | None:
    """An ISO 8601 time in UTC (taken as UTC when it names no zone), or None.

    `UsageError` for text that is no such time or one UTC cannot hold (years 1 to 9999).
    """
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return to_utc(moment, what="--at")
