"""The signer's certificate at the right time, as ETSI EN 319 102-1 indications.

Chain, trust and revocation are `eid.pki.validate_certificate`'s (the same checks as
login): it is asked first at the validation time; when it says expired or revoked, it
is asked again at the proven signing time (a valid signature timestamp: the POE of the
signature), which is what the "validation process for signatures with time" does:

- revoked: valid at the proven time (revoked later) -> TOTAL_PASSED with a warning;
  revoked before the proven time -> TOTAL_FAILED/REVOKED; no proof, and the signer's own
  claimed signing time is after the revocation -> TOTAL_FAILED/REVOKED; otherwise
  INDETERMINATE/REVOKED_NO_POE.
- expired: valid at the proven time -> TOTAL_PASSED; expired already then ->
  TOTAL_FAILED/EXPIRED; no proof -> INDETERMINATE/OUT_OF_BOUNDS_NO_POE.
- not yet valid: TOTAL_FAILED/NOT_YET_VALID when the proven time is before notBefore,
  else INDETERMINATE/NOT_YET_VALID.
- no path to an anchor: INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND; no revocation status
  (policy REQUIRE): INDETERMINATE/TRY_LATER; wrong key usage or a refused policy:
  INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE; anything else:
  INDETERMINATE/CERTIFICATE_CHAIN_GENERAL_FAILURE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from eid.errors import (
    CertificateExpired,
    CertificateInvalid,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    DisallowedPolicy,
    MalformedInput,
    RevocationUnknown,
    WrongPurpose,
)
from eid.pki import (
    LoadedCertificate,
    RevocationSettings,
    TrustStore,
    ValidatedCertificate,
    ValidationCache,
    classify,
    subject_identity,
    validate_certificate,
)
from eid.pki.validate import Purpose
from eid.sign.report import Check, Indication, SignatureReport, SignerInfo, SubIndication

__all__ = ["QC_SSCD_OID", "VerifyContext", "check_certificate", "check_signer", "signer_info"]

QC_SSCD_OID = "0.4.0.1862.1.4"
"""id-etsi-qcs-QcSSCD: the private key lives in a qualified signature creation device."""

_QC_COMPLIANCE_OID = "0.4.0.1862.1.1"


@dataclass(frozen=True)
class VerifyContext:
    """What verification trusts and when: anchors, validation time, revocation, cache."""

    trust: TrustStore
    moment: dt.datetime
    revocation: RevocationSettings
    cache: ValidationCache | None = None
    allow_sha1: bool = False


def signer_info(certificate: LoadedCertificate) -> SignerInfo:
    """The signer as the report names them (identity from the subject, `eid.pki`)."""
    identity, _ = subject_identity(certificate)
    asn1 = certificate.asn1
    return SignerInfo(
        subject=certificate.subject,
        issuer=str(asn1.issuer.human_friendly),
        common_name=identity.common_name,
        given_names=identity.given_names,
        surname=identity.surname,
        serial_number=identity.serial_number,
        national_number=str(identity.national_number) if identity.national_number else None,
        country=identity.country,
        certificate=certificate.der,
    )


def check_certificate(
    certificate: LoadedCertificate,
    extras: Sequence[LoadedCertificate],
    context: VerifyContext,
    at: dt.datetime,
    purpose: Purpose | None,
) -> ValidatedCertificate:
    """`validate_certificate` with the context's trust, revocation and cache, at ``at``."""
    return validate_certificate(
        certificate,
        trust=context.trust,
        at=at,
        purpose=purpose,
        revocation=context.revocation,
        extra_certificates=extras,
        cache=context.cache,
        allow_sha1=context.allow_sha1,
    )


def _passed(report: SignatureReport, validated: ValidatedCertificate) -> None:
    report.confirm(Check.SIGNER_CERTIFICATE)
    report.chain = [c.subject for c in validated.chain]
    report.revocation = {
        "status": validated.revocation.status,
        "source": validated.revocation.source,
    }
    report.warnings.extend(validated.warnings)
    report.warnings.extend(validated.problems)


def check_signer(
    report: SignatureReport,
    certificate: LoadedCertificate,
    extras: Sequence[LoadedCertificate],
    context: VerifyContext,
) -> None:
    """Fill in the signer and judge their certificate (see the module docstring)."""
    report.signer = signer_info(certificate)
    try:
        kind = classify(certificate)
        report.qc_compliance = _QC_COMPLIANCE_OID in kind.qc_statements
        report.qc_sscd = QC_SSCD_OID in kind.qc_statements
    except MalformedInput as error:
        report.warnings.append(str(error))
    proven, claimed = report.proven_signing_time, report.claimed_signing_time
    try:
        _passed(
            report, check_certificate(certificate, extras, context, context.moment, "signature")
        )
        return
    except CertificateRevoked as error:
        _revoked(report, certificate, extras, context, proven, claimed, error)
    except CertificateExpired as error:
        if proven is None:
            report.fail(
                Indication.INDETERMINATE,
                SubIndication.OUT_OF_BOUNDS_NO_POE,
                f"{error.message}; no timestamp proves the signature was made while it was valid",
            )
            return
        try:
            _passed(report, check_certificate(certificate, extras, context, proven, "signature"))
            report.warnings.append(f"{error.message} (valid when the signature was timestamped)")
        except CertificateExpired as late:
            report.fail(Indication.TOTAL_FAILED, SubIndication.EXPIRED, late.message)
        except CertificateInvalid as other:
            _general(report, other, proven)
    except CertificateNotYetValid as error:
        not_before = certificate.asn1["tbs_certificate"]["validity"]["not_before"].native
        if proven is not None and proven < not_before:
            report.fail(Indication.TOTAL_FAILED, SubIndication.NOT_YET_VALID, error.message)
        else:
            report.fail(Indication.INDETERMINATE, SubIndication.NOT_YET_VALID, error.message)
    except CertificateInvalid as error:
        _general(report, error, context.moment)
    except MalformedInput as error:
        report.fail(
            Indication.INDETERMINATE, SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, error.message
        )


def _revoked(
    report: SignatureReport,
    certificate: LoadedCertificate,
    extras: Sequence[LoadedCertificate],
    context: VerifyContext,
    proven: dt.datetime | None,
    claimed: dt.datetime | None,
    error: CertificateRevoked,
) -> None:
    moment = proven or claimed
    if moment is None:
        report.fail(Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE, error.message)
        return
    try:
        validated = check_certificate(certificate, extras, context, moment, "signature")
    except CertificateRevoked as early:
        what = "timestamped" if proven else "claimed to be signed"
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.REVOKED,
            f"{early.message}; the signature was {what} at {moment.isoformat()}",
        )
        return
    except CertificateInvalid as other:
        _general(report, other, moment)
        return
    if proven is not None:
        _passed(report, validated)
        report.warnings.append(f"{error.message} (after the signature was timestamped)")
    else:
        report.fail(
            Indication.INDETERMINATE,
            SubIndication.REVOKED_NO_POE,
            f"{error.message}; no timestamp proves the signature was made before",
        )


def _general(report: SignatureReport, error: CertificateInvalid, at: dt.datetime) -> None:
    sub = SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
    if isinstance(error, CertificateUntrusted):
        sub = SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    elif isinstance(error, RevocationUnknown):
        sub = SubIndication.TRY_LATER
    elif isinstance(error, WrongPurpose | DisallowedPolicy):
        sub = SubIndication.CHAIN_CONSTRAINTS_FAILURE
    elif isinstance(error, CertificateRevoked):
        sub = SubIndication.REVOKED_NO_POE
    report.fail(Indication.INDETERMINATE, sub, f"{error.message} (at {at.isoformat()})")
