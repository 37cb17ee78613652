"""OCSP client (RFC 6960): request with a nonce, and every check of the answer.

Checked here: responseStatus successful; a basic response; the signature over tbsResponseData;
the signer is the issuing CA, or a certificate issued by it with id-kp-OCSPSigning, valid now
(when it lacks ocsp-nocheck its own status is checked by CRL), or the pinned responder;
exactly one SingleResponse matches the CertID asked; thisUpdate/nextUpdate/producedAt against
the clock with the allowed skew and maximum age; the nonce echoed when one was sent.
An answer kept in a signed document (``archived``) gets the same checks, except that its
responder is judged when it answered (producedAt) and its freshness by the caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from typing import Any

from asn1crypto import ocsp

from eid.asn1 import MALFORMED_ASN1
from eid.errors import MalformedInput
from eid.pki import _http
from eid.pki.certificates import LoadedCertificate, describe, load_certificate
from eid.pki.revocation import (
    RevInfoError,
    RevocationSettings,
    StatusFacts,
    check_freshness,
    verify_signature,
)
from eid.times import shifted

__all__ = [
    "OCSP_SIGNING",
    "Freshness",
    "build_request",
    "cert_id_key",
    "fetch_ocsp",
    "ocsp_url",
    "verify_response",
]

OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
"""id-kp-OCSPSigning."""

_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384}
_HASHES["sha512"] = hashlib.sha512

CrlCheck = Callable[[LoadedCertificate, LoadedCertificate], None]
"""Checks a responder certificate by CRL: (responder, issuer) -> None or RevInfoError."""

Freshness = Callable[[str, dt.datetime, dt.datetime | None], None]
"""Judges (what, thisUpdate, nextUpdate) of an answer: None, or raises RevInfoError."""


def ocsp_url(cert: LoadedCertificate) -> str | None:
    """The first http(s) OCSP URL of the certificate's AIA, or None."""
    for url in cert.asn1.ocsp_urls:
        if str(url).startswith(("http://", "https://")):
            return str(url)
    return None


def cert_id_key(cert: LoadedCertificate, issuer: LoadedCertificate) -> tuple[bytes, bytes, int]:
    """The SHA-1 CertID of ``cert`` as a cache key: (issuer name hash, key hash, serial)."""
    return (
        hashlib.sha1(issuer.asn1.subject.dump()).digest(),  # noqa: S324 - CertID uses SHA-1
        issuer.asn1.public_key.sha1,
        cert.serial_number,
    )


def build_request(cert: LoadedCertificate, issuer: LoadedCertificate, nonce: bytes | None) -> bytes:
    """DER of an OCSPRequest for ``cert`` (SHA-1 CertID), with a nonce extension if given."""
    name_hash, key_hash, serial = cert_id_key(cert, issuer)
    tbs: dict[str, Any] = {
        "request_list": [
            {
                "req_cert": {
                    "hash_algorithm": {"algorithm": "sha1"},
                    "issuer_name_hash": name_hash,
                    "issuer_key_hash": key_hash,
                    "serial_number": serial,
                }
            }
        ]
    }
    if nonce is not None:
        tbs["request_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": nonce}]
    return bytes(ocsp.OCSPRequest({"tbs_request": tbs}).dump())


def fetch_ocsp(
    cert: LoadedCertificate,
    issuer: LoadedCertificate,
    settings: RevocationSettings,
    now: dt.datetime,
    crl_check: CrlCheck,
) -> StatusFacts:
    """Ask the responder about ``cert`` and return the verified answer (or raise RevInfoError)."""
    url = settings.ocsp_responder or ocsp_url(cert)
    if url is None:
        raise RevInfoError(f"{describe(cert)} names no OCSP responder")
    nonce = os.urandom(32) if settings.use_nonce else None
    body, _ = _http.post(
        url,
        build_request(cert, issuer, nonce),
        "application/ocsp-request",
        timeout=settings.timeout,
    )
    return verify_response(body, cert, issuer, settings, now, nonce, crl_check)


def verify_response(
    body: bytes,
    cert: LoadedCertificate,
    issuer: LoadedCertificate,
    settings: RevocationSettings,
    now: dt.datetime,
    nonce: bytes | None,
    crl_check: CrlCheck,
    *,
    archived: Freshness | None = None,
) -> StatusFacts:
    """Check an OCSP response for ``cert`` completely; return what it says.

    ``archived``: the response was kept (in a signed document), not fetched: its responder
    must have been valid at producedAt, and ``archived`` judges its freshness instead of
    the clock (``now`` then bounds producedAt only). Raises RevInfoError for any response
    that is refused, malformed ones included.
    """
    try:
        return _check_response(body, cert, issuer, settings, now, nonce, crl_check, archived)
    except (*MALFORMED_ASN1, MalformedInput) as error:
        # asn1crypto parses lazily: a malformed part can surface at any later access.
        raise RevInfoError(f"OCSP response is malformed ({error})") from error


def _check_response(
    body: bytes,
    cert: LoadedCertificate,
    issuer: LoadedCertificate,
    settings: RevocationSettings,
    now: dt.datetime,
    nonce: bytes | None,
    crl_check: CrlCheck,
    archived: Freshness | None,
) -> StatusFacts:
    response = ocsp.OCSPResponse.load(body, strict=True)
    status = response["response_status"].native
    if status != "successful":
        raise RevInfoError(f"OCSP responder answered {status}")
    if response["response_bytes"]["response_type"].native != "basic_ocsp_response":
        raise RevInfoError("OCSP response is not a basic response")
    basic = response["response_bytes"]["response"].parsed
    tbs = basic["tbs_response_data"]
    tbs_bytes = tbs.dump()
    responses = list(tbs["responses"])
    produced_at = tbs["produced_at"].native
    certs = [load_certificate(c.dump()) for c in (basic["certs"] or [])]
    extensions = {e["extn_id"].native: e for e in (tbs["response_extensions"] or [])}
    signer_time = produced_at if archived is not None else now
    signer, warnings = _signer(
        basic, tbs["responder_id"], certs, issuer, settings, signer_time, crl_check
    )
    if not verify_signature(
        basic["signature"].native, tbs_bytes, signer.asn1.public_key, basic["signature_algorithm"]
    ):
        raise RevInfoError(f"OCSP response signature does not verify with {describe(signer)}")

    if nonce is not None:
        echoed = extensions.get("nonce")
        if echoed is None:
            raise RevInfoError("OCSP response carries no nonce, but one was sent")
        if echoed["extn_value"].parsed.native != nonce:
            raise RevInfoError("OCSP response nonce does not match the request's")

    matching = [single for single in responses if _matches(single["cert_id"], cert, issuer)]
    if len(matching) != 1:
        raise RevInfoError(
            f"OCSP response has {len(matching)} SingleResponses for {describe(cert)} "
            f"(of {len(responses)}), exactly one is required"
        )
    single = matching[0]
    this_update = single["this_update"].native
    next_update = single["next_update"].native
    if produced_at > shifted(now, settings.clock_skew):
        raise RevInfoError(f"OCSP response producedAt {produced_at.isoformat()} is in the future")
    if archived is not None:
        archived("OCSP response", this_update, next_update)
    else:
        check_freshness("OCSP response", this_update, next_update, now, settings)

    cert_status = single["cert_status"]
    kind = cert_status.name
    if kind == "good":
        return StatusFacts(
            "good", "ocsp", this_update, next_update, None, None, signer.fingerprint, warnings
        )
    if kind == "revoked":
        info = cert_status.chosen
        reason = info["revocation_reason"].native if info["revocation_reason"] else None
        return StatusFacts(
            "revoked",
            "ocsp",
            this_update,
            next_update,
            info["revocation_time"].native,
            str(reason) if reason is not None else None,
            signer.fingerprint,
            warnings,
        )
    return StatusFacts(
        "unknown", "ocsp", this_update, next_update, None, None, signer.fingerprint, warnings
    )


def _matches(cert_id: Any, cert: LoadedCertificate, issuer: LoadedCertificate) -> bool:
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    hasher = _HASHES.get(algorithm)
    if hasher is None:
        return False
    key_bits = issuer.asn1.public_key["public_key"].contents[1:]  # skip the unused-bits octet
    return bool(
        cert_id["serial_number"].native == cert.serial_number
        and cert_id["issuer_name_hash"].native == hasher(issuer.asn1.subject.dump()).digest()
        and cert_id["issuer_key_hash"].native == hasher(key_bits).digest()
    )


def _responder_is(responder_id: Any, cert: LoadedCertificate) -> bool:
    if responder_id.name == "by_key":
        return bool(responder_id.chosen.native == cert.asn1.public_key.sha1)
    return bool(responder_id.chosen == cert.asn1.subject)


def _signer(
    basic: Any,
    responder_id: Any,
    certs: list[LoadedCertificate],
    issuer: LoadedCertificate,
    settings: RevocationSettings,
    now: dt.datetime,
    crl_check: CrlCheck,
) -> tuple[LoadedCertificate, tuple[str, ...]]:
    """Find the certificate that must have signed the response, and check it may."""
    if settings.ocsp_responder_certificate is not None:
        pinned = load_certificate(settings.ocsp_responder_certificate)
        if not _responder_is(responder_id, pinned):
            raise RevInfoError(f"OCSP response is not from the pinned responder {describe(pinned)}")
        _check_validity(pinned, now, settings)
        return pinned, ()
    if _responder_is(responder_id, issuer):
        return issuer, ()
    for candidate in certs:
        if not _responder_is(responder_id, candidate):
            continue
        asn1 = candidate.asn1
        if asn1.issuer != issuer.asn1.subject or not verify_signature(
            asn1["signature_value"].native,
            asn1["tbs_certificate"].dump(),
            issuer.asn1.public_key,
            asn1["signature_algorithm"],
        ):
            raise RevInfoError(
                f"OCSP responder {describe(candidate)} is not issued by {describe(issuer)}"
            )
        ekus = asn1.extended_key_usage_value
        if ekus is None or OCSP_SIGNING not in [e.dotted for e in ekus]:
            raise RevInfoError(f"OCSP responder {describe(candidate)} lacks id-kp-OCSPSigning")
        usages = asn1.key_usage_value
        if usages is not None and "digital_signature" not in usages.native:
            raise RevInfoError(f"OCSP responder {describe(candidate)} lacks digitalSignature")
        _check_validity(candidate, now, settings)
        if asn1.ocsp_no_check_value is None:
            crl_check(candidate, issuer)
        return candidate, ()
    raise RevInfoError("OCSP response signer is neither the CA nor a certificate in the response")


def _check_validity(
    cert: LoadedCertificate, now: dt.datetime, settings: RevocationSettings
) -> None:
    validity = cert.asn1["tbs_certificate"]["validity"]
    if validity["not_before"].native > shifted(now, settings.clock_skew):
        raise RevInfoError(f"OCSP responder {describe(cert)} is not yet valid")
    if validity["not_after"].native < shifted(now, -settings.clock_skew):
        raise RevInfoError(f"OCSP responder {describe(cert)} has expired")
