"""CRL checking (RFC 5280 6.3): fetch from the distribution point, verify, apply delta CRLs.

A CRL is accepted when: its issuer is the certificate's issuer and its signature verifies with
that CA's key (which must allow cRLSign); it is fresh (thisUpdate/nextUpdate with the skew,
maximum age); it has no unknown critical extension; its scope (issuingDistributionPoint) covers
the certificate (indirect and reason-partitioned CRLs are refused). A CRL naming a delta CRL
(freshestCRL) is completed with the delta when one can be had (else a warning): the delta must
be from the same issuer, fresh, and based on a CRL number not above the base's. Verified CRLs
are cached by URL until their nextUpdate. A CRL kept in a signed document
(`crl_status_of`) gets the same checks, its freshness judged by the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import crl as asn1_crl

from eid.asn1 import MALFORMED_ASN1
from eid.pki import _http
from eid.pki.cache import ValidationCache
from eid.pki.certificates import LoadedCertificate, describe
from eid.pki.revocation import (
    RevInfoError,
    RevocationSettings,
    StatusFacts,
    check_freshness,
    verify_signature,
)

__all__ = ["VerifiedCrl", "check_crl", "crl_status_of", "crl_urls"]

_KNOWN_CRL_EXTENSIONS = {
    "crl_number",
    "delta_crl_indicator",
    "issuing_distribution_point",
    "authority_key_identifier",
    "freshest_crl",
    "authority_information_access",
    "issuer_alt_name",
}
_KNOWN_ENTRY_EXTENSIONS = {"crl_reason", "invalidity_date", "hold_instruction_code"}


@dataclass(frozen=True)
class VerifiedCrl:
    """A CRL whose signature, issuer and scope were checked; revoked serials by number."""

    url: str
    issuer: bytes
    signer: bytes
    this_update: dt.datetime
    next_update: dt.datetime | None
    number: int | None
    base_number: int | None
    only_user: bool
    only_ca: bool
    delta_urls: tuple[str, ...]
    revoked: dict[int, tuple[dt.datetime, str | None]] = field(repr=False)


def crl_urls(cert: LoadedCertificate) -> list[str]:
    """The http(s) CRL distribution point URLs of the certificate."""
    urls: list[str] = []
    for point in cert.asn1.crl_distribution_points:
        try:
            url = point.url
        except ValueError:
            continue
        if url and str(url).startswith(("http://", "https://")):
            urls.append(str(url))
    return urls


def check_crl(
    cert: LoadedCertificate,
    issuer: LoadedCertificate,
    settings: RevocationSettings,
    now: dt.datetime,
    cache: ValidationCache,
) -> StatusFacts:
    """The status of ``cert`` by its issuer's CRL (raise RevInfoError when none is usable)."""
    urls = crl_urls(cert)
    if not urls:
        raise RevInfoError(f"{describe(cert)} names no http CRL distribution point")
    errors: list[str] = []
    for url in urls:
        try:
            base = _get_crl(url, issuer, settings, now, cache, delta=False)
            _check_scope(base, cert)
            warnings: list[str] = []
            delta = None
            if base.delta_urls:
                delta, problem = _get_delta(base, issuer, settings, now, cache)
                if problem:
                    warnings.append(problem)
            return _status(cert, base, delta, tuple(warnings))
        except RevInfoError as error:
            errors.append(str(error))
    raise RevInfoError("; ".join(errors))


def crl_status_of(
    label: str, body: bytes, cert: LoadedCertificate, issuer: LoadedCertificate
) -> StatusFacts:
    """The status of ``cert`` by the CRL ``body`` (not fetched; ``label`` names it).

    Issuer, cRLSign, signature, critical extensions and scope are checked as for a fetched
    CRL; freshness is left to the caller. A delta CRL is refused, and a base CRL that names
    one is used alone, with a warning. Raises RevInfoError.
    """
    verified = _verify(label, body, issuer, delta=False)
    _check_scope(verified, cert)
    warnings = (f"{label} names a delta CRL, which was not used",) if verified.delta_urls else ()
    return _status(cert, verified, None, warnings)


def _status(
    cert: LoadedCertificate,
    base: VerifiedCrl,
    delta: VerifiedCrl | None,
    warnings: tuple[str, ...],
) -> StatusFacts:
    serial = cert.serial_number
    this_update = delta.this_update if delta else base.this_update
    next_update = delta.next_update if delta else base.next_update
    entry = base.revoked.get(serial)
    if delta is not None and serial in delta.revoked:
        entry = delta.revoked[serial]
    if entry is None or entry[1] == "remove_from_crl":
        return StatusFacts(
            "good", "crl", this_update, next_update, signer=base.signer, warnings=warnings
        )
    return StatusFacts(
        "revoked", "crl", this_update, next_update, entry[0], entry[1], base.signer, warnings
    )


def _get_delta(
    base: VerifiedCrl,
    issuer: LoadedCertificate,
    settings: RevocationSettings,
    now: dt.datetime,
    cache: ValidationCache,
) -> tuple[VerifiedCrl | None, str | None]:
    problems: list[str] = []
    for url in base.delta_urls:
        try:
            delta = _get_crl(url, issuer, settings, now, cache, delta=True)
        except RevInfoError as error:
            problems.append(str(error))
            continue
        if delta.base_number is None or base.number is None or delta.base_number > base.number:
            problems.append(
                f"{url}: delta CRL is based on CRL {delta.base_number}, newer than the base "
                f"CRL {base.number}"
            )
            continue
        return delta, None
    return None, "delta CRL not used: " + "; ".join(problems)


def _get_crl(
    url: str,
    issuer: LoadedCertificate,
    settings: RevocationSettings,
    now: dt.datetime,
    cache: ValidationCache,
    *,
    delta: bool,
) -> VerifiedCrl:
    cached: VerifiedCrl | None = cache.crls.get(url)
    if cached is not None and cached.signer == issuer.fingerprint:
        try:
            check_freshness(f"CRL {url}", cached.this_update, cached.next_update, now, settings)
            return cached
        except RevInfoError:
            cache.crls.discard(url)
    body, _ = _http.get(url, timeout=settings.timeout)
    verified = _verify(url, body, issuer, delta=delta)
    check_freshness(f"CRL {url}", verified.this_update, verified.next_update, now, settings)
    cache.crls.put(url, verified)
    return verified


def _verify(url: str, body: bytes, issuer: LoadedCertificate, *, delta: bool) -> VerifiedCrl:
    """Parse and check a CRL; RevInfoError for any that is refused, malformed ones included."""
    try:
        return _check(url, body, issuer, delta=delta)
    except MALFORMED_ASN1 as error:
        # asn1crypto parses lazily: a malformed part can surface at any later access.
        raise RevInfoError(f"{url}: CRL is malformed ({error})") from error


def _check(url: str, body: bytes, issuer: LoadedCertificate, *, delta: bool) -> VerifiedCrl:
    crl = asn1_crl.CertificateList.load(body, strict=True)
    tbs = crl["tbs_cert_list"]
    crl_issuer = tbs["issuer"]
    critical = set(crl.critical_extensions)
    this_update = tbs["this_update"].native
    next_update = tbs["next_update"].native
    number = crl.crl_number_value.native if crl.crl_number_value is not None else None
    indicator = crl.delta_crl_indicator_value
    idp = crl.issuing_distribution_point_value
    delta_urls = tuple(str(p.url) for p in crl.delta_crl_distribution_points if p.url)
    entries = list(tbs["revoked_certificates"])
    if crl_issuer != issuer.asn1.subject:
        raise RevInfoError(f"{url}: CRL is issued by '{crl_issuer.human_friendly}', not the issuer")
    usages = issuer.asn1.key_usage_value
    if usages is not None and "crl_sign" not in usages.native:
        raise RevInfoError(f"{url}: {describe(issuer)} may not sign CRLs (no cRLSign)")
    if not verify_signature(
        crl["signature"].native, tbs.dump(), issuer.asn1.public_key, crl["signature_algorithm"]
    ):
        raise RevInfoError(f"{url}: CRL signature does not verify with {describe(issuer)}")
    unknown = {str(name) for name in critical} - _KNOWN_CRL_EXTENSIONS
    if unknown:
        raise RevInfoError(f"{url}: CRL has unknown critical extensions {sorted(unknown)}")
    if delta != (indicator is not None):
        raise RevInfoError(
            f"{url}: {'a delta CRL was expected' if delta else 'unexpected delta CRL'}"
        )
    only_user = only_ca = False
    if idp is not None:
        if idp["indirect_crl"].native:
            raise RevInfoError(f"{url}: indirect CRLs are not supported")
        if idp["only_some_reasons"].native:
            raise RevInfoError(f"{url}: CRLs partitioned by reason are not supported")
        if idp["only_contains_attribute_certs"].native:
            raise RevInfoError(f"{url}: CRL covers attribute certificates only")
        only_user = bool(idp["only_contains_user_certs"].native)
        only_ca = bool(idp["only_contains_ca_certs"].native)
    revoked: dict[int, tuple[dt.datetime, str | None]] = {}
    for entry in entries:
        entry_unknown = {str(n) for n in entry.critical_extensions} - _KNOWN_ENTRY_EXTENSIONS
        if entry_unknown:
            raise RevInfoError(
                f"{url}: CRL entry has unknown critical extensions {sorted(entry_unknown)}"
            )
        reason = entry.crl_reason_value
        revoked[int(entry["user_certificate"].native)] = (
            entry["revocation_date"].native,
            str(reason.native) if reason is not None else None,
        )
    return VerifiedCrl(
        url=url,
        issuer=bytes(crl_issuer.dump()),
        signer=issuer.fingerprint,
        this_update=this_update,
        next_update=next_update,
        number=int(number) if number is not None else None,
        base_number=int(indicator.native) if indicator is not None else None,
        only_user=only_user,
        only_ca=only_ca,
        delta_urls=delta_urls,
        revoked=revoked,
    )


def _check_scope(crl: VerifiedCrl, cert: LoadedCertificate) -> None:
    is_ca: Any = cert.asn1.ca
    if crl.only_user and is_ca:
        raise RevInfoError(f"{crl.url}: CRL covers end-entity certificates only")
    if crl.only_ca and not is_ca:
        raise RevInfoError(f"{crl.url}: CRL covers CA certificates only")
