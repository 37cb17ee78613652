"""Validating Web eID authentication tokens, interoperable with the Web eID browser extension.

The checks run in this order, each failing with its own error code: the token's
form (`auth_token_malformed`), the certificate decodes (`certificate_malformed`),
its purpose (`wrong_purpose`), disallowed policies (`disallowed_policy`), chain and
validity at the given time (`certificate_untrusted`, `certificate_expired`, ...),
revocation (`certificate_revoked`, `revocation_unknown`), and the signature over
``hash(origin) || hash(challenge)`` (`signature_invalid`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from eid.errors import CertificateInvalid, CertificateMalformed, MalformedInput, WrongPurpose
from eid.pki import (
    CertificateInput,
    LoadedCertificate,
    RevocationPolicy,
    RevocationSettings,
    TrustStore,
    ValidatedCertificate,
    load_certificate,
    validate_certificate,
)

from .result import AuthMethod, AuthResult
from .webeid_create import create_token
from .webeid_format import WebEidToken, normalise_origin, parse_token, verify_token_signature

__all__ = ["create_token", "parse_token", "validate"]


def validate(
    token: str | bytes | Mapping[str, Any],
    *,
    origin: str,
    challenge: str,
    trust: TrustStore,
    at: dt.datetime | None = None,
    revocation: RevocationSettings | None = None,
    disallowed_policies: Iterable[str] = (),
    intermediates: Iterable[CertificateInput] = (),
    method: AuthMethod = "webeid",
) -> AuthResult:
    """Validate a Web eID token for ``origin`` and ``challenge``; return who authenticated.

    ``at`` is the validation time (default now); ``revocation`` defaults to OCSP then CRL,
    required; ``method`` is what the result calls the login. Raises the `eid.errors` of the first check that fails.
    """
    parsed = parse_token(token)
    origin = normalise_origin(origin)
    try:
        certificate = _load(parsed.certificate_der)
    except MalformedInput as error:
        raise CertificateMalformed(
            f"the authentication certificate cannot be decoded: {error.message}"
        ) from None
    validated = validate_certificate(
        certificate,
        trust=trust,
        at=at,
        purpose="authentication",
        revocation=revocation,
        extra_certificates=intermediates,
        disallowed_policies=disallowed_policies,
    )
    verify_token_signature(parsed, certificate, origin, challenge)
    signing = _validate_signing_certificates(
        parsed, validated, trust, validated.validated_at, intermediates
    )
    return AuthResult(validated, method, validated.validated_at, origin, signing)


@functools.lru_cache(maxsize=1024)
def _load(der: bytes) -> LoadedCertificate:
    """The token's certificate, loaded once per distinct certificate."""
    return load_certificate(der, source="unverifiedCertificate", allow_pem=False)


def _same_person(signing: x509.Name, authentication: x509.Name) -> bool:
    """Same subject, but for the role the Belgian CN ends with: "(Authentication)" / "(Signature)"."""

    def attributes(name: x509.Name) -> list[tuple[str, str]]:
        result = []
        for attribute in name:
            value = str(attribute.value)
            if attribute.oid == NameOID.COMMON_NAME:
                value = value.removesuffix(" (Signature)").removesuffix(" (Authentication)")
            result.append((attribute.oid.dotted_string, value))
        return sorted(result)

    return attributes(signing) == attributes(authentication)


def _validate_signing_certificates(
    parsed: WebEidToken,
    authentication: ValidatedCertificate,
    trust: TrustStore,
    at: dt.datetime,
    intermediates: Iterable[CertificateInput],
) -> tuple[x509.Certificate, ...]:
    """Format 1.1: each signing certificate is the same person's, same issuer, valid, for signing."""
    auth = authentication.certificate.crypto
    assert auth is not None
    accepted = []
    try:
        auth_subject, auth_issuer = auth.subject, auth.issuer
    except ValueError as error:
        raise CertificateMalformed(
            f"the authentication certificate's names cannot be read ({error})"
        ) from None
    for entry in parsed.signing_certificates:
        signing = entry.certificate
        if not _same_person(signing.subject, auth_subject):
            raise CertificateInvalid(
                "the signing certificate names another person than the authentication one"
            )
        if signing.issuer != auth_issuer:
            raise CertificateInvalid(
                "the signing certificate has another issuer than the authentication one"
            )
        validated = validate_certificate(
            signing,
            trust=trust,
            at=at,
            purpose="signature",
            revocation=RevocationSettings(policy=RevocationPolicy.OFF),
            extra_certificates=intermediates,
        )
        try:
            non_repudiation = signing.extensions.get_extension_for_class(
                x509.KeyUsage
            ).value.content_commitment
        except x509.ExtensionNotFound:
            non_repudiation = False
        if not non_repudiation:
            raise WrongPurpose("the signing certificate lacks nonRepudiation")
        accepted.append(validated.certificate.crypto or signing)
    return tuple(accepted)
