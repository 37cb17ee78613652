"""Revocation of a validated path: each certificate by OCSP then CRL, cached, by policy.

Answers kept in the signed document (`eid.pki.embedded`) are used first; the network
only for what they do not settle.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from eid.errors import CertificateRevoked, RevocationUnknown
from eid.pki.cache import ValidationCache
from eid.pki.certificates import LoadedCertificate, describe, load_certificate
from eid.pki.crl import check_crl
from eid.pki.embedded import ValidationEvidence, status_from_evidence
from eid.pki.ocsp import fetch_ocsp
from eid.pki.revocation import (
    Method,
    Origin,
    RevInfoError,
    RevocationPolicy,
    RevocationResult,
    RevocationSettings,
    StatusFacts,
    check_freshness,
    usable_until,
)

__all__ = ["CertIdKey", "check_path"]

CertIdKey = tuple[bytes, bytes, int]


def check_path(
    links: Sequence[tuple[LoadedCertificate, LoadedCertificate, CertIdKey]],
    settings: RevocationSettings,
    at: dt.datetime,
    cache: ValidationCache,
    evidence: ValidationEvidence | None = None,
    proven: dt.datetime | None = None,
) -> RevocationResult:
    """Check (certificate, issuer, CertID) links, end entity first; raise or return the result.

    ``evidence``: answers kept in the document, tried first, timely for ``at`` or for the
    ``proven`` time (`eid.pki.embedded`).
    """
    if settings.policy is RevocationPolicy.OFF:
        return RevocationResult("not_checked", None)
    now = settings.now()
    warnings: list[str] = []
    soft_failed = False
    source: Method | None = None
    origin: Origin | None = None
    fresh_until: dt.datetime | None = None
    # A designated (pinned) responder answers for end-entity certificates only; the CAs of
    # the chain are checked through their own AIA and CRL distribution points.
    pinned = settings.ocsp_responder is not None or settings.ocsp_responder_certificate is not None
    chain_settings = (
        dataclasses.replace(settings, ocsp_responder=None, ocsp_responder_certificate=None)
        if pinned
        else settings
    )
    for index, (cert, issuer, key) in enumerate(links):
        if index and not settings.check_chain:
            break
        facts: StatusFacts | None = None
        errors: list[str] = []
        if evidence:
            facts, errors = status_from_evidence(
                evidence,
                cert,
                issuer,
                chain_settings if index else settings,
                at,
                proven,
                lambda c, i: check_crl(c, i, settings, now, cache),
            )
        if facts is None:
            facts, more = _status(
                cert, issuer, key, chain_settings if index else settings, now, cache
            )
            errors += more
        if facts is not None and facts.status == "revoked":
            when = facts.revocation_time or facts.this_update
            if when <= at:
                reason = f" ({facts.reason})" if facts.reason else ""
                raise CertificateRevoked(
                    f"{describe(cert)} was revoked on {when.isoformat()}{reason}, "
                    f"according to {facts.source.upper()}"
                )
            warnings.append(
                f"{describe(cert)} was revoked on {when.isoformat()}, after the validation time"
            )
        problem: str | None = None
        if facts is None:
            problem = (
                f"revocation status of {describe(cert)} could not be established: "
                + "; ".join(errors)
            )
        elif facts.status == "unknown":
            problem = f"the OCSP responder does not know {describe(cert)} (status unknown)"
        if problem is not None:
            if settings.policy is RevocationPolicy.REQUIRE:
                raise RevocationUnknown(problem)
            soft_failed = True
            warnings.append(problem)
        else:
            warnings.extend(f"{m} (fell back)" for m in errors)
        if facts is not None:
            warnings.extend(facts.warnings)
            if index == 0 and facts.status != "unknown":
                source, origin = facts.source, facts.origin
            until = usable_until(facts.this_update, facts.next_update, settings)
            fresh_until = until if fresh_until is None else min(fresh_until, until)
    return RevocationResult(
        "unknown_soft_fail" if soft_failed else "good", source, tuple(warnings), fresh_until, origin
    )


def _status(
    cert: LoadedCertificate,
    issuer: LoadedCertificate,
    key: CertIdKey,
    settings: RevocationSettings,
    now: dt.datetime,
    cache: ValidationCache,
) -> tuple[StatusFacts | None, list[str]]:
    errors: list[str] = []
    for method in settings.methods:
        try:
            if method == "ocsp":
                facts = _ocsp(cert, issuer, key, settings, now, cache)
            else:
                facts = check_crl(cert, issuer, settings, now, cache)
        except RevInfoError as error:
            errors.append(f"{method.upper()}: {error}")
            continue
        return facts, errors
    return None, errors


def _ocsp(
    cert: LoadedCertificate,
    issuer: LoadedCertificate,
    key: CertIdKey,
    settings: RevocationSettings,
    now: dt.datetime,
    cache: ValidationCache,
) -> StatusFacts:
    pinned = (
        load_certificate(settings.ocsp_responder_certificate).fingerprint
        if settings.ocsp_responder_certificate is not None
        else None
    )
    cached: StatusFacts | None = cache.ocsp.get(key)
    if cached is not None and (pinned is None or cached.signer == pinned):
        try:
            check_freshness("OCSP response", cached.this_update, cached.next_update, now, settings)
            return cached
        except RevInfoError:
            cache.ocsp.discard(key)

    def responder_crl(responder: LoadedCertificate, ca: LoadedCertificate) -> None:
        facts = check_crl(responder, ca, settings, now, cache)
        if facts.status != "good":
            raise RevInfoError(f"OCSP responder {describe(responder)} is {facts.status} by CRL")

    facts = fetch_ocsp(cert, issuer, settings, now, responder_crl)
    if facts.next_update is not None:
        cache.ocsp.put(key, facts)
    return facts
