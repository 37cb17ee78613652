"""Validation data for long-term signatures: certificate paths, CRLs and OCSP responses.

Gathered through a pyHanko ``ValidationContext``: validating the signer's (and
the timestamp authority's) certificate makes the context fetch, or pick from
what it was given, the revocation data of every certificate on the path.
"""

from __future__ import annotations

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from eid.errors import (
    CertificateExpired,
    CertificateInvalid,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    RevocationUnknown,
)
from eid.pki import TrustStore
from eid.sign.live_context import Clock, LiveValidationContext

__all__ = ["certificate_error", "embed_validation_data", "fetching_context"]


def certificate_error(error: Exception) -> CertificateInvalid:
    """The `eid` error for a certificate validation failure reported by pyhanko-certvalidator."""
    message = str(error)
    if isinstance(error, cv.RevokedError):
        return CertificateRevoked(message)
    if isinstance(error, cv.ExpiredError):
        return CertificateExpired(message)
    if isinstance(error, cv.NotYetValidError):
        return CertificateNotYetValid(message)
    if isinstance(error, cv.InsufficientRevinfoError):
        return RevocationUnknown(message)
    if isinstance(error, cv.PathBuildingError):
        return CertificateUntrusted(message)
    return CertificateInvalid(message)


async def _path_certificates(
    certificate: asn1_x509.Certificate,
    others: list[asn1_x509.Certificate],
    context: ValidationContext,
) -> list[asn1_x509.Certificate]:
    validator = CertificateValidator(
        certificate, intermediate_certs=others, validation_context=context
    )
    try:
        path = await validator.async_validate_usage(key_usage=set())  # type: ignore[no-untyped-call]
    except (cv.PathError, cv.ValidationError) as error:
        raise certificate_error(error) from error
    return list(path)


async def embed_validation_data(signed_data: cms.SignedData, context: ValidationContext) -> None:
    """Add to ``signed_data`` the certificates and revocation data that make it long-term.

    The signer's path and that of each signature timestamp go into
    ``SignedData.certificates``; CRLs and OCSP responses (the latter as
    ``id-ri-ocsp-response``, RFC 5940) into ``SignedData.crls``, as EN 319 122-1
    allows for CAdES B-LT. Neither field is signed, so the signature stays intact.
    """
    info = extract_certificate_info(signed_data)
    wanted = await _path_certificates(info.signer_cert, list(info.other_certs), context)
    signer_info = signed_data["signer_infos"][0]
    for token_data in extract_tst_data_iter(signer_info, signed=False):
        token_info = extract_certificate_info(token_data)
        wanted += await _path_certificates(
            token_info.signer_cert, list(token_info.other_certs), context
        )
    present = {choice.chosen.dump() for choice in signed_data["certificates"]}
    certificates = list(signed_data["certificates"])
    for certificate in wanted:
        if certificate.dump() not in present:
            present.add(certificate.dump())
            certificates.append(cms.CertificateChoices(name="certificate", value=certificate))
    signed_data["certificates"] = certificates
    revocation: list[cms.RevocationInfoChoice] = [
        cms.RevocationInfoChoice(name="crl", value=crl) for crl in context.crls
    ]
    revocation += [
        cms.RevocationInfoChoice(
            name="other",
            value=cms.OtherRevocationInfoFormat(
                {"other_rev_info_format": "ocsp_response", "other_rev_info": response}
            ),
        )
        for response in context.ocsps
    ]
    if revocation:
        signed_data["crls"] = revocation


def fetching_context(trust: TrustStore, *, clock: Clock | None = None) -> ValidationContext:
    """A live context for B-LT and up: trusts ``trust``, fetches OCSP and CRLs, reads ``clock``.

    Revocation data is required (``hard-fail``): a signature is made long-term
    only with the answers that prove its certificates were good. The context reads the clock
    at every check (signing, with its PIN, card and TSA, comes between its making and the
    fetches), allowing responders' clocks `eid.sign.live_context.CLOCK_SKEW` ahead.
    """
    return LiveValidationContext(
        clock=clock,
        trust_roots=[c.asn1 for c in trust.anchors],
        other_certs=[c.asn1 for c in trust.intermediates],
        allow_fetching=True,
        revocation_mode="hard-fail",
        # Blocking HTTP: no aiohttp session left for someone to close.
        fetcher_backend=RequestsFetcherBackend(),
    )
