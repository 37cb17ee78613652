"""The one error hierarchy of `eid`.

Every error has a stable ``code`` (for programs and JSON output) and a message a
person can act on. ``exit_code`` is what the command line exits with:
1 a verification said no, 2 bad usage or malformed input, 3 a token or card problem
(70, an internal error, is any exception that is not an `EidError`). A message is one
line: line breaks in it (from quoted input) become spaces. No error message ever holds a PIN.
"""

from __future__ import annotations

__all__ = [
    "AlgorithmNotAccepted",
    "AlgorithmRefused",
    "AssertionAccessTokenMismatch",
    "AssertionAlgorithmRefused",
    "AssertionAudienceMismatch",
    "AssertionAuthorizedPartyMismatch",
    "AssertionCbcRefused",
    "AssertionDecryptionFailed",
    "AssertionDestinationMismatch",
    "AssertionExpired",
    "AssertionHeaderRefused",
    "AssertionInResponseToMismatch",
    "AssertionInvalid",
    "AssertionIssuerMismatch",
    "AssertionKeyUnknown",
    "AssertionMalformed",
    "AssertionNonceMismatch",
    "AssertionNotYetValid",
    "AssertionRecipientMismatch",
    "AssertionReplayed",
    "AssertionSha1Refused",
    "AssertionSignatureInvalid",
    "AssertionSignatureMissing",
    "AssertionStatusError",
    "AssertionTooLarge",
    "AssuranceLevelTooLow",
    "AuthTokenMalformed",
    "CardRemoved",
    "CbcRefused",
    "CertificateExpired",
    "CertificateInvalid",
    "CertificateMalformed",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CertificateUntrusted",
    "DecryptionFailed",
    "DisallowedPolicy",
    "EidError",
    "KeyNotFound",
    "MalformedInput",
    "MandateNotHeld",
    "MechanismUnsupported",
    "MetadataExpired",
    "NoCard",
    "NoModule",
    "NoReader",
    "NonceExpired",
    "NonceReplayed",
    "NonceUnknown",
    "OriginMismatch",
    "PinCancelled",
    "PinIncorrect",
    "PinLocked",
    "PortalUnknown",
    "ProviderKeysUnavailable",
    "RedirectUriMismatch",
    "RevocationUnknown",
    "Sha1Refused",
    "SignatureInvalid",
    "SignatureMissing",
    "SignatureReferenceInvalid",
    "SignedCommentRefused",
    "SsoKeyError",
    "TimestampFailed",
    "TokenError",
    "TokenNotFound",
    "UnknownCard",
    "UsageError",
    "VerificationFailed",
    "WrongPurpose",
    "XmlForbidden",
    "one_line",
]


def one_line(text: str) -> str:
    """``text`` as one line: each line break (and the blanks around it) becomes one space."""
    lines = text.splitlines()
    if len(lines) <= 1:
        return text
    return " ".join(stripped for line in lines if (stripped := line.strip()))


class EidError(Exception):
    """Base of every error `eid` raises on purpose."""

    code = "error"
    exit_code = 2

    def __init__(self, message: str) -> None:
        message = one_line(message)
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        """The error as JSON-ready data: its code, message and details."""
        return {"code": self.code, "message": self.message, **self.details()}

    def details(self) -> dict[str, object]:
        """Structured facts about the error beyond its message (none by default)."""
        return {}


class UsageError(EidError):
    """The caller asked for something that cannot be done as asked."""

    code = "usage"


class MalformedInput(EidError):
    """Input that does not have the expected structure.

    ``source`` names the file or object, ``field`` the field or tag, ``offset``
    the byte position where the problem was found, when known.
    """

    code = "malformed_input"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str | None = None,
        offset: int | None = None,
    ) -> None:
        where = ", ".join(
            part
            for part in (
                source,
                f"field {field}" if field is not None else None,
                f"byte {offset}" if offset is not None else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.source = source
        self.field = field
        self.offset = offset

    def details(self) -> dict[str, object]:
        """The file, field and byte offset of the problem, where known."""
        return {
            key: value
            for key, value in (
                ("source", self.source),
                ("field", self.field),
                ("offset", self.offset),
            )
            if value is not None
        }


class AuthTokenMalformed(MalformedInput):
    """An authentication token (Web eID) does not have the required form."""

    code = "auth_token_malformed"


class CertificateMalformed(MalformedInput):
    """A certificate cannot be decoded."""

    code = "certificate_malformed"


class VerificationFailed(EidError):
    """A check said no: a signature, a hash, a certificate or a nonce is not acceptable."""

    code = "verification_failed"
    exit_code = 1


class SignatureInvalid(VerificationFailed):
    """A signature or a hash does not match the data it should cover."""

    code = "signature_invalid"

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source

    def details(self) -> dict[str, object]:
        """The file or object whose signature failed, where known."""
        return {"source": self.source} if self.source else {}


class SignatureMissing(VerificationFailed):
    """A signature (of identity files, of an XML element), or the certificate to check it, is missing.

    ``missing`` names what is missing (files, fields).
    """

    code = "signature_missing"

    def __init__(self, message: str, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing

    def details(self) -> dict[str, object]:
        """What is missing."""
        return {"missing": list(self.missing)} if self.missing else {}


class CertificateInvalid(VerificationFailed):
    """A certificate is not acceptable for the use asked of it."""

    code = "certificate_invalid"


class CertificateExpired(CertificateInvalid):
    """The certificate (or one in its chain) expired before the validation time."""

    code = "certificate_expired"


class CertificateNotYetValid(CertificateInvalid):
    """The certificate (or one in its chain) is not yet valid at the validation time."""

    code = "certificate_not_yet_valid"


class CertificateUntrusted(CertificateInvalid):
    """No path leads from the certificate to a trust anchor."""

    code = "certificate_untrusted"


class CertificateRevoked(CertificateInvalid):
    """The certificate (or one in its chain) is revoked."""

    code = "certificate_revoked"


class RevocationUnknown(CertificateInvalid):
    """Revocation status could not be established (unknown, unreachable, stale or invalid answer)."""

    code = "revocation_unknown"


class WrongPurpose(CertificateInvalid):
    """The certificate's key usage, extended key usage or type does not allow this use."""

    code = "wrong_purpose"


class AlgorithmNotAccepted(CertificateInvalid):
    """An algorithm or key size the crypto policy no longer accepts at the proven time."""

    code = "algorithm_not_accepted"


class DisallowedPolicy(CertificateInvalid):
    """The certificate carries a policy the relying party does not accept."""

    code = "disallowed_policy"


class NonceUnknown(VerificationFailed):
    """The challenge nonce was never issued here (or was already forgotten)."""

    code = "nonce_unknown"


class NonceExpired(VerificationFailed):
    """The challenge nonce outlived its time to live."""

    code = "nonce_expired"


class NonceReplayed(VerificationFailed):
    """The challenge nonce was already used once."""

    code = "nonce_replayed"


class OriginMismatch(VerificationFailed):
    """The response was made for another origin than the one expected."""

    code = "origin_mismatch"


class TimestampFailed(EidError):
    """The timestamp authority could not be reached or gave no usable timestamp."""

    code = "timestamp_failed"


class TokenError(EidError):
    """A problem with the PKCS#11 module, the reader, the card or token."""

    code = "token_error"
    exit_code = 3


class NoModule(TokenError):
    """No PKCS#11 module could be found or loaded."""

    code = "no_module"


class NoReader(TokenError):
    """The module sees no reader (slot) at all."""

    code = "no_reader"


class NoCard(TokenError):
    """Readers exist but none holds a card or token."""

    code = "no_card"


class UnknownCard(TokenError):
    """A card is present but the module does not recognise it."""

    code = "unknown_card"


class TokenNotFound(TokenError):
    """No token matches the label or slot asked for."""

    code = "token_not_found"


class CardRemoved(TokenError):
    """The card or token went away during the session."""

    code = "card_removed"


class KeyNotFound(TokenError):
    """The token holds no key or certificate for the role asked for."""

    code = "key_not_found"


class MechanismUnsupported(TokenError):
    """The token offers no mechanism that can make the signature asked for."""

    code = "mechanism_unsupported"


class PinIncorrect(TokenError):
    """The PIN was refused. ``tries_left`` is set when the token tells (None when it does not)."""

    code = "pin_incorrect"

    def __init__(self, message: str = "PIN incorrect", *, tries_left: int | None = None) -> None:
        super().__init__(message)
        self.tries_left = tries_left

    def details(self) -> dict[str, object]:
        """The number of tries left, where the token tells it."""
        return {"tries_left": self.tries_left} if self.tries_left is not None else {}


class PinLocked(TokenError):
    """The PIN is blocked after too many wrong tries; it must be unblocked with the PUK."""

    code = "pin_locked"


class PinCancelled(TokenError):
    """No PIN was given: the prompt or the pinpad was cancelled or timed out."""

    code = "pin_cancelled"


class XmlForbidden(MalformedInput):
    """XML with a DTD, an entity, an external reference, or beyond the size or depth limits."""

    code = "xml_forbidden"


class SignatureReferenceInvalid(VerificationFailed):
    """An XML signature references something other than the one element it must cover."""

    code = "signature_reference_invalid"


class AlgorithmRefused(VerificationFailed):
    """An algorithm (signature, digest, transform, canonicalisation, encryption) is not accepted."""

    code = "algorithm_refused"


class Sha1Refused(AlgorithmRefused):
    """SHA-1 signs or digests the content, and SHA-1 is not allowed for this signer."""

    code = "sha1_refused"


class CbcRefused(AlgorithmRefused):
    """AES-CBC content encryption (no integrity: padding oracles), not allowed for this sender."""

    code = "cbc_refused"


class SignedCommentRefused(VerificationFailed):
    """The signed XML content holds a comment (comments can split the text a reader sees)."""

    code = "signed_content_comment"


class DecryptionFailed(VerificationFailed):
    """Encrypted XML could not be decrypted with the keys given (wrong key or tampered data)."""

    code = "decryption_failed"


# -- single sign-on (eid.sso): one code per check made when an assertion or ID token is imported


class AssertionMalformed(MalformedInput):
    """An ID token, SAML response or assertion does not have the required form."""

    code = "assertion_malformed"


class AssertionTooLarge(AssertionMalformed):
    """An ID token or SAML message is larger than the import accepts."""

    code = "assertion_too_large"


class AssertionInvalid(VerificationFailed):
    """An imported assertion or ID token failed a check (each check has its own subclass)."""

    code = "assertion_invalid"


class AssertionSignatureInvalid(AssertionInvalid):
    """The signature over the assertion does not verify with the identity provider's key."""

    code = "assertion_signature_invalid"


class AssertionSignatureMissing(AssertionInvalid):
    """The assertion (or the element that must be signed) carries no signature."""

    code = "assertion_signature_missing"


class AssertionAlgorithmRefused(AssertionInvalid):
    """The signature algorithm is not on the allow-list for the key it names."""

    code = "assertion_algorithm_refused"


class AssertionSha1Refused(AssertionAlgorithmRefused):
    """A SHA-1 signature or digest, refused unless allowed for this identity provider."""

    code = "assertion_sha1_refused"


class AssertionCbcRefused(AssertionAlgorithmRefused):
    """An assertion encrypted with AES-CBC, refused unless allowed for this identity provider."""

    code = "assertion_cbc_refused"


class AssertionKeyUnknown(AssertionInvalid):
    """The key the signature names (kid, certificate) is not one of the provider's keys."""

    code = "assertion_key_unknown"


class ProviderKeysUnavailable(AssertionInvalid):
    """The identity provider's keys (JWKS, discovery document) could not be fetched or read."""

    code = "provider_keys_unavailable"


class MetadataExpired(AssertionInvalid):
    """The identity provider's SAML metadata is past its validUntil: fetch it again."""

    code = "metadata_expired"


class AssertionHeaderRefused(AssertionInvalid):
    """A header the import never honours (jwk, jku, x5u, x5c, unknown crit, b64)."""

    code = "assertion_header_refused"


class AssertionIssuerMismatch(AssertionInvalid):
    """The assertion was issued by another identity provider than the one expected."""

    code = "assertion_issuer_mismatch"


class AssertionAudienceMismatch(AssertionInvalid):
    """The assertion is meant for another portal (audience)."""

    code = "assertion_audience_mismatch"


class AssertionAuthorizedPartyMismatch(AssertionInvalid):
    """The ID token's azp is missing or names another party while several audiences are given."""

    code = "assertion_authorized_party_mismatch"


class AssertionRecipientMismatch(AssertionInvalid):
    """The SAML subject confirmation names another recipient (assertion consumer URL)."""

    code = "assertion_recipient_mismatch"


class AssertionDestinationMismatch(AssertionInvalid):
    """The SAML response was sent to another destination."""

    code = "assertion_destination_mismatch"


class AssertionExpired(AssertionInvalid):
    """The assertion's validity ended before the import time (beyond the allowed skew)."""

    code = "assertion_expired"


class AssertionNotYetValid(AssertionInvalid):
    """The assertion's validity starts after the import time (beyond the allowed skew)."""

    code = "assertion_not_yet_valid"


class AssertionReplayed(AssertionInvalid):
    """The assertion (its ID or jti) was already imported once."""

    code = "assertion_replayed"


class AssertionNonceMismatch(AssertionInvalid):
    """The ID token's nonce is missing or differs from the one the portal sent."""

    code = "assertion_nonce_mismatch"


class AssertionInResponseToMismatch(AssertionInvalid):
    """The SAML response answers another request than the one the portal sent."""

    code = "assertion_in_response_to_mismatch"


class AssertionAccessTokenMismatch(AssertionInvalid):
    """The ID token's at_hash does not match the access token that came with it."""

    code = "assertion_access_token_mismatch"


class AssertionStatusError(AssertionInvalid):
    """The SAML response's status is not success."""

    code = "assertion_status_error"


class AssertionDecryptionFailed(AssertionInvalid):
    """An encrypted assertion cannot be decrypted with the portal's key."""

    code = "assertion_decryption_failed"


class AssuranceLevelTooLow(VerificationFailed):
    """The login's level of assurance is below the minimum the portal demands."""

    code = "assurance_level_too_low"


class MandateNotHeld(VerificationFailed):
    """The person does not hold a mandate for the enterprise they chose to act for."""

    code = "mandate_not_held"


class PortalUnknown(UsageError):
    """No portal with this identifier (audience, entity ID, client ID) is registered."""

    code = "portal_unknown"


class RedirectUriMismatch(UsageError):
    """The redirect URI or assertion consumer URL is not one the portal registered."""

    code = "redirect_uri_mismatch"


class SsoKeyError(UsageError):
    """A provider key cannot be loaded, used for the algorithm asked, or rotated as asked."""

    code = "sso_key_error"
