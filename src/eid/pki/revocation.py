"""Revocation settings, results and the shared facts of OCSP and CRL checking."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

from eid.errors import UsageError
from eid.pki.certificates import CertificateInput
from eid.times import shifted

__all__ = [
    "CertStatus",
    "Method",
    "RevInfoError",
    "RevocationPolicy",
    "RevocationResult",
    "RevocationSettings",
    "RevocationStatus",
    "StatusFacts",
    "check_freshness",
    "verify_signature",
]

Method: TypeAlias = Literal["ocsp", "crl"]
"""A source of revocation information."""

RevocationStatus: TypeAlias = Literal["good", "not_checked", "unknown_soft_fail"]
"""The revocation outcome of a validation that did not fail."""

CertStatus: TypeAlias = Literal["good", "revoked", "unknown"]
"""What one OCSP answer or CRL says about one certificate."""


class RevocationPolicy(enum.Enum):
    """How hard revocation must be established.

    REQUIRE: no status, no validation (`RevocationUnknown`). PREFER: check, and when no status
    can be had, go on with a warning (revoked still fails). OFF: do not check.
    """

    REQUIRE = "require"
    PREFER = "prefer"
    OFF = "off"


@dataclass(frozen=True)
class RevocationSettings:
    """How to check revocation.

        ``clock_skew`` is allowed between our clock and the responder's (thisUpdate a little in the
        future, nextUpdate a little in the past). ``max_age`` bounds the age of an answer (from its
        thisUpdate) even when its nextUpdate is later; an answer without nextUpdate is only good for
        ``max_age`` (default: ``clock_skew``). ``ocsp_responder`` replaces the AIA responder URL;
        ``ocsp_responder_certificate`` pins the responder: answers must be signed by that
        certificate, which is then trusted without CA authorisation (both apply to the end-entity
    certificate; the CAs of the chain use their own AIA and CRLs). ``methods`` are tried in order
        (OCSP then CRL by default); ``check_chain`` also checks the intermediate CAs (not the
        anchor). ``clock`` gives "now" for freshness (default: the system clock, UTC).
    """

    policy: RevocationPolicy = RevocationPolicy.REQUIRE
    clock_skew: dt.timedelta = dt.timedelta(minutes=15)
    max_age: dt.timedelta | None = None
    ocsp_responder: str | None = None
    ocsp_responder_certificate: CertificateInput | None = None
    use_nonce: bool = True
    timeout: float = 5.0
    methods: tuple[Method, ...] = ("ocsp", "crl")
    check_chain: bool = True
    clock: Callable[[], dt.datetime] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        """Refuse settings that cannot work."""
        if not isinstance(self.policy, RevocationPolicy):
            raise UsageError(f"policy must be a RevocationPolicy, got {self.policy!r}")
        if self.clock_skew < dt.timedelta(0):
            raise UsageError("clock_skew must not be negative")
        if self.max_age is not None and self.max_age <= dt.timedelta(0):
            raise UsageError("max_age must be positive")
        if self.timeout <= 0:
            raise UsageError("timeout must be positive")
        if not self.methods or any(m not in ("ocsp", "crl") for m in self.methods):
            raise UsageError(f"methods must be 'ocsp' and/or 'crl', got {self.methods!r}")

    def now(self) -> dt.datetime:
        """The current time by ``clock`` (UTC)."""
        moment = self.clock() if self.clock is not None else dt.datetime.now(dt.UTC)
        return moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class RevocationResult:
    """The revocation outcome of a validation.

    ``status`` is "good" (every checked certificate), "not_checked" (policy OFF) or
    "unknown_soft_fail" (policy PREFER and some status could not be had; see ``warnings``).
    ``source`` is how the end-entity status was had ("ocsp", "crl") or None.
    ``fresh_until`` is when the first of the answers used stops being usable (None when
    no answer was used).
    """

    status: RevocationStatus
    source: Method | None
    warnings: tuple[str, ...] = ()
    fresh_until: dt.datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StatusFacts:
    """A verified statement about one certificate, from an OCSP answer or a CRL.

    ``signer`` is the SHA-256 fingerprint of the certificate whose key signed the answer.
    """

    status: CertStatus
    source: Method
    this_update: dt.datetime
    next_update: dt.datetime | None
    revocation_time: dt.datetime | None = None
    reason: str | None = None
    signer: bytes = b""
    warnings: tuple[str, ...] = ()


class RevInfoError(Exception):
    """Revocation information could not be had or was not acceptable (internal)."""


def usable_until(
    this_update: dt.datetime, next_update: dt.datetime | None, settings: RevocationSettings
) -> dt.datetime:
    """The last moment `check_freshness` accepts an answer made at ``this_update``."""
    skew = settings.clock_skew
    limits = []
    if next_update is not None:
        limits.append(shifted(next_update, skew))
    if settings.max_age is not None:
        limits.append(shifted(shifted(this_update, settings.max_age), skew))
    if not limits:
        limits.append(shifted(this_update, skew))
    return min(limits)


def check_freshness(
    what: str,
    this_update: dt.datetime,
    next_update: dt.datetime | None,
    now: dt.datetime,
    settings: RevocationSettings,
) -> None:
    """Raise `RevInfoError` unless the answer made at ``this_update`` is usable at ``now``."""
    skew = settings.clock_skew
    if this_update > shifted(now, skew):
        raise RevInfoError(f"{what} thisUpdate {this_update.isoformat()} is in the future")
    if next_update is not None and next_update < shifted(now, -skew):
        raise RevInfoError(f"{what} is stale: nextUpdate {next_update.isoformat()} has passed")
    if settings.max_age is not None and now - this_update > settings.max_age + skew:
        raise RevInfoError(
            f"{what} is older than the maximum age {settings.max_age} "
            f"(thisUpdate {this_update.isoformat()})"
        )
    if next_update is None and settings.max_age is None and now - this_update > skew:
        raise RevInfoError(
            f"{what} has no nextUpdate and is older than {skew} (thisUpdate {this_update.isoformat()})"
        )


_VALIDATOR = DefaultSignatureValidator()


def verify_signature(signature: bytes, data: bytes, public_key_info: Any, algorithm: Any) -> bool:
    """Whether ``signature`` over ``data`` verifies with the key (asn1crypto objects)."""
    try:
        _VALIDATOR.validate_signature(signature, data, public_key_info, algorithm)
    except Exception:
        return False
    return True
