"""What a certificate is: holder (citizen/foreigner), usage, qualified; who its subject is.

Belgian card certificates say it with their policy OIDs (``<arc>.2.2`` citizen authentication,
``.7.1`` foreigner signature, ...; see `eid.pki.policy_arcs`). Where no Belgian policy is
present (Root CA6 issuing CAs assert anyPolicy only; foreign PKIs), the issuer's common name
(``Citizen CA`` / ``Foreigner CA``) and the key usage decide: nonRepudiation means signature,
digitalSignature alone authentication. Qualified means QCStatements with QcCompliance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from asn1crypto import core

from eid.errors import MalformedInput
from eid.identity import NationalNumber
from eid.pki.certificates import CertificateInput, LoadedCertificate, load_certificate
from eid.pki.policy_arcs import classify_policy

__all__ = [
    "QC_COMPLIANCE_OID",
    "CertificateKind",
    "HolderKind",
    "SubjectIdentity",
    "Usage",
    "classify",
    "subject_identity",
]

HolderKind: TypeAlias = Literal["citizen", "foreigner", "other"]
"""Whose card certificate: a Belgian citizen's, a foreigner's, or not a card certificate."""

Usage: TypeAlias = Literal["authentication", "signature", "ca", "other"]
"""What the key is for."""

QC_COMPLIANCE_OID = "0.4.0.1862.1.1"
"""id-etsi-qcs-QcCompliance."""

_QC_STATEMENTS_OID = "1.3.6.1.5.5.7.1.3"


@dataclass(frozen=True)
class CertificateKind:
    """The classification of a certificate.

    ``policies`` are the dotted policy OIDs; ``qc_statements`` the QCStatement ids;
    ``belgian_policy`` tells whether a Belgian (or test PKI) policy OID decided;
    ``key_usages`` (asn1crypto names) and ``extended_key_usages`` (dotted) are None when
    the certificate has no such extension.
    """

    holder: HolderKind
    usage: Usage
    qualified: bool
    policies: tuple[str, ...]
    qc_statements: tuple[str, ...]
    belgian_policy: bool
    key_usages: frozenset[str] | None = None
    extended_key_usages: frozenset[str] | None = None


@dataclass(frozen=True)
class SubjectIdentity:
    """The person a card certificate names.

    ``national_number`` is None when the subject's serialNumber is absent or not a valid
    national number (``serial_number`` keeps the raw value).
    """

    national_number: NationalNumber | None
    given_names: str | None
    surname: str | None
    common_name: str | None
    serial_number: str | None
    country: str | None


def classify(cert: CertificateInput) -> CertificateKind:
    """Classify a certificate from its policies, key usage, basic constraints and QCStatements."""
    loaded = load_certificate(cert)
    asn1 = loaded.asn1
    policies = tuple(
        str(info["policy_identifier"].dotted) for info in (asn1.certificate_policies_value or [])
    )
    qc = _qc_statement_ids(asn1)
    holder: HolderKind = "other"
    usage: Usage | None = None
    belgian = False
    for dotted in policies:
        found = classify_policy(dotted)
        if found is None:
            continue
        role = found[1]
        if role in ("citizen_ca", "foreigner_ca"):
            holder = "foreigner" if role.startswith("foreigner") else "citizen"
        if role.endswith(("_authentication", "_signature")):
            holder = "foreigner" if role.startswith("foreigner") else "citizen"
            usage = "authentication" if role.endswith("_authentication") else "signature"
            belgian = True
            break
    if asn1.ca:
        usage = "ca"
        if holder == "other":
            holder = _holder_from_name(asn1.subject)
    if usage is None:
        usage = _usage_from_key_usage(asn1)
        if usage != "other":
            holder = _holder_from_name(asn1.issuer)
    key_usages = asn1.key_usage_value
    ekus = asn1.extended_key_usage_value
    return CertificateKind(
        holder=holder,
        usage=usage,
        qualified=QC_COMPLIANCE_OID in qc,
        policies=policies,
        qc_statements=qc,
        belgian_policy=belgian,
        key_usages=frozenset(key_usages.native) if key_usages is not None else None,
        extended_key_usages=frozenset(e.dotted for e in ekus) if ekus is not None else None,
    )


def subject_identity(cert: CertificateInput) -> tuple[SubjectIdentity, list[str]]:
    """Read the holder from the subject; return it and the problems found (bad national number)."""
    loaded: LoadedCertificate = load_certificate(cert)
    subject: dict[str, Any] = dict(loaded.asn1.subject.native)
    problems: list[str] = []
    serial = _text(subject.get("serial_number"))
    national: NationalNumber | None = None
    if serial is not None and serial.isdigit() and len(serial) == 11:
        try:
            national = NationalNumber.parse(serial)
        except MalformedInput as error:
            problems.append(f"subject serialNumber is not a valid national number ({error})")
    return (
        SubjectIdentity(
            national_number=national,
            given_names=_text(subject.get("given_name")),
            surname=_text(subject.get("surname")),
            common_name=_text(subject.get("common_name")),
            serial_number=serial,
            country=_text(subject.get("country_name")),
        ),
        problems,
    )


def _holder_from_name(name: Any) -> HolderKind:
    common_name = str(name.native.get("common_name", ""))
    if common_name.startswith("Citizen CA"):
        return "citizen"
    if common_name.startswith("Foreigner CA"):
        return "foreigner"
    return "other"


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return " ".join(str(part) for part in value)
    return str(value)


def _usage_from_key_usage(asn1: Any) -> Usage:
    usages = set(asn1.key_usage_value.native) if asn1.key_usage_value is not None else set()
    if "non_repudiation" in usages:
        return "signature"
    if "digital_signature" in usages:
        return "authentication"
    return "other"


def _qc_statement_ids(asn1: Any) -> tuple[str, ...]:
    for extension in asn1["tbs_certificate"]["extensions"]:
        if extension["extn_id"].dotted != _QC_STATEMENTS_OID:
            continue
        try:
            statements = _QcStatements.load(extension["extn_value"].contents)
            return tuple(str(item["statement_id"].dotted) for item in statements)
        except (ValueError, TypeError) as error:
            raise MalformedInput(
                f"QCStatements extension is malformed ({error})", field="qcStatements"
            ) from error
    return ()


class _QcStatement(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012
        ("statement_id", core.ObjectIdentifier),
        ("statement_info", core.Any, {"optional": True}),
    ]


class _QcStatements(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _QcStatement
