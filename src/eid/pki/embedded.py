"""Validation data a signed document carries, and the revocation status it proves.

B-LT and B-LTA signatures hold the certificates, OCSP responses and CRLs that were
current when they were made, so that they can be validated offline years later
(ETSI EN 319 102-1, validation with long-term validation material). A
`ValidationEvidence` is that material; `status_from_evidence` finds in it the status of
one certificate. Each answer gets every check a fetched one gets (`eid.pki.ocsp`,
`eid.pki.crl`: signature, responder authorisation, CertID or CRL scope) except the
nonce; what differs is the time it must speak for. An answer is timely when it is

- current at the validation time (as a fetched answer must be), or
- current at the proven time (the signature's proof of existence, a timestamp), or
- issued after the proven time, while the certificate was still valid (an expired
  certificate may have left its CA's CRL and responder): it shows that the certificate
  was not revoked before the signature was proven to exist.

It must not be made in the future (after the clock of ``RevocationSettings``), just as a
fetched one. A kept OCSP responder is judged at
the answer's producedAt; when it lacks ocsp-nocheck its own status comes from the
document's CRLs, or online as a fetched one's would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp

from eid.asn1 import MALFORMED_ASN1
from eid.errors import MalformedInput
from eid.pki.certificates import LoadedCertificate, describe, load_certificate
from eid.pki.crl import crl_status_of
from eid.pki.ocsp import verify_response
from eid.pki.revocation import (
    Method,
    RevInfoError,
    RevocationSettings,
    StatusFacts,
    check_freshness,
)

__all__ = ["OnlineCrlCheck", "ValidationEvidence", "status_from_evidence"]

OnlineCrlCheck = Callable[[LoadedCertificate, LoadedCertificate], StatusFacts]
"""Fetches the CRL status of (certificate, issuer) (raises RevInfoError)."""


@dataclass(frozen=True)
class ValidationEvidence:
    """Certificates, OCSP responses (DER ``OCSPResponse``) and CRLs (DER) kept in a document."""

    certificates: tuple[LoadedCertificate, ...] = ()
    ocsp_responses: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()

    @classmethod
    def of(
        cls,
        certificates: Iterable[bytes] = (),
        ocsp_responses: Iterable[bytes] = (),
        crls: Iterable[bytes] = (),
    ) -> ValidationEvidence:
        """Collect DER blobs, without duplicates; certificates that do not load are left out."""
        loaded: dict[bytes, LoadedCertificate] = {}
        for der in certificates:
            if der not in loaded:
                try:
                    loaded[der] = load_certificate(der)
                except MalformedInput:
                    continue
        return cls(
            tuple(loaded.values()),
            tuple(dict.fromkeys(ocsp_responses)),
            tuple(dict.fromkeys(crls)),
        )

    def merged(self, other: ValidationEvidence) -> ValidationEvidence:
        """Both sets of evidence together."""
        return ValidationEvidence.of(
            (*(c.der for c in self.certificates), *(c.der for c in other.certificates)),
            (*self.ocsp_responses, *other.ocsp_responses),
            (*self.crls, *other.crls),
        )

    def __bool__(self) -> bool:
        """Whether there is anything at all."""
        return bool(self.certificates or self.ocsp_responses or self.crls)


def _timely(
    cert: LoadedCertificate,
    at: dt.datetime,
    proven: dt.datetime | None,
    settings: RevocationSettings,
) -> Callable[[str, dt.datetime, dt.datetime | None], None]:
    """The freshness rule for kept answers about ``cert`` (see the module docstring)."""
    skew = settings.clock_skew
    not_after = cert.asn1["tbs_certificate"]["validity"]["not_after"].native
    now = settings.now()

    def judge(what: str, this_update: dt.datetime, next_update: dt.datetime | None) -> None:
        if this_update > now + skew:
            raise RevInfoError(f"{what} thisUpdate {this_update.isoformat()} is in the future")
        try:
            check_freshness(what, this_update, next_update, at, settings)
            return
        except RevInfoError as error:
            if proven is None:
                raise
            stale = error
        try:
            check_freshness(what, this_update, next_update, proven, settings)
            return
        except RevInfoError:
            pass
        if proven - skew <= this_update <= not_after + skew:
            return
        late = " but after the certificate expired" if this_update > not_after + skew else ""
        raise RevInfoError(
            f"{stale}; it was neither current at the proven time {proven.isoformat()} "
            f"nor issued after it while the certificate was valid (thisUpdate "
            f"{this_update.isoformat()}{late})"
        )

    return judge


def _ocsp_candidates(
    evidence: ValidationEvidence, cert: LoadedCertificate, issuer: LoadedCertificate
) -> list[bytes]:
    """The kept OCSP responses with a SingleResponse for ``cert`` (cheap pre-selection)."""
    name_hash = hashlib.sha1(issuer.asn1.subject.dump(), usedforsecurity=False).digest()
    found: list[bytes] = []
    for body in evidence.ocsp_responses:
        try:
            response = asn1_ocsp.OCSPResponse.load(body)
            tbs = response["response_bytes"]["response"].parsed["tbs_response_data"]
            if any(
                single["cert_id"]["serial_number"].native == cert.serial_number
                and (
                    single["cert_id"]["hash_algorithm"]["algorithm"].native != "sha1"
                    or single["cert_id"]["issuer_name_hash"].native == name_hash
                )
                for single in tbs["responses"]
            ):
                found.append(body)
        except MALFORMED_ASN1:
            continue
    return found


def _crl_candidates(evidence: ValidationEvidence, issuer: LoadedCertificate) -> list[bytes]:
    """The kept CRLs whose issuer name is ``issuer``'s subject."""
    found: list[bytes] = []
    for body in evidence.crls:
        try:
            if (
                asn1_crl.CertificateList.load(body)["tbs_cert_list"]["issuer"]
                == issuer.asn1.subject
            ):
                found.append(body)
        except (ValueError, TypeError, KeyError):
            continue
    return found


def _crl_facts(
    evidence: ValidationEvidence,
    cert: LoadedCertificate,
    issuer: LoadedCertificate,
    judge: Callable[[str, dt.datetime, dt.datetime | None], None],
    errors: list[str],
) -> list[StatusFacts]:
    found: list[StatusFacts] = []
    for number, body in enumerate(_crl_candidates(evidence, issuer), start=1):
        label = f"CRL {number} in the document"
        try:
            facts = crl_status_of(label, body, cert, issuer)
            judge(label, facts.this_update, facts.next_update)
        except RevInfoError as error:
            errors.append(str(error))
            continue
        found.append(facts)
    return found


def status_from_evidence(
    evidence: ValidationEvidence,
    cert: LoadedCertificate,
    issuer: LoadedCertificate,
    settings: RevocationSettings,
    at: dt.datetime,
    proven: dt.datetime | None,
    online_crl: OnlineCrlCheck,
) -> tuple[StatusFacts | None, list[str]]:
    """The status of ``cert`` by the kept answers, in ``settings.methods`` order.

    Returns the facts (``origin`` "document") or None, and why kept answers were not
    usable. A usable answer that says revoked wins over one that says good (the earliest
    revocation); else the good answer made last; else an unknown one.
    ``online_crl`` gives a responder's status when the document holds no usable CRL for it.
    """
    errors: list[str] = []
    found: list[StatusFacts] = []
    for method in settings.methods:
        found.extend(
            _facts_by(method, evidence, cert, issuer, settings, at, proven, online_crl, errors)
        )
    if not found:
        return None, [f"{e} (kept in the document)" for e in errors]
    revoked = [f for f in found if f.status == "revoked"]
    good = [f for f in found if f.status == "good"]
    if revoked:
        chosen = min(revoked, key=lambda f: f.revocation_time or f.this_update)
    elif good:
        chosen = max(good, key=lambda f: f.this_update)
    else:
        chosen = found[0]
    return replace(chosen, origin="document"), []


def _facts_by(
    method: Method,
    evidence: ValidationEvidence,
    cert: LoadedCertificate,
    issuer: LoadedCertificate,
    settings: RevocationSettings,
    at: dt.datetime,
    proven: dt.datetime | None,
    online_crl: OnlineCrlCheck,
    errors: list[str],
) -> list[StatusFacts]:
    judge = _timely(cert, at, proven, settings)
    if method == "crl":
        return _crl_facts(evidence, cert, issuer, judge, errors)

    def responder_crl(responder: LoadedCertificate, ca: LoadedCertificate) -> None:
        """The responder's own status: the document's CRLs first, else online."""
        found = _crl_facts(evidence, responder, ca, _timely(responder, at, proven, settings), [])
        facts = found[0] if found else online_crl(responder, ca)
        if facts.status != "good":
            raise RevInfoError(f"OCSP responder {describe(responder)} is {facts.status} by CRL")

    found: list[StatusFacts] = []
    for body in _ocsp_candidates(evidence, cert, issuer):
        try:
            found.append(
                verify_response(
                    body,
                    cert,
                    issuer,
                    settings,
                    settings.now(),
                    None,
                    responder_crl,
                    archived=judge,
                )
            )
        except RevInfoError as error:
            errors.append(str(error))
    return found
