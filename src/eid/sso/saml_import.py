"""The portal side of SAML 2.0: import a Response and read only what its signature covers.

`import_saml_response` parses the Response with the hardened parser (no DTD or entities,
size limit), accepts raw XML or the base64 value of the HTTP-POST binding, and checks, each
with its own error: status; destination; issuer; exactly one assertion in the whole
document, signed (encrypted ones are decrypted first) with a key of the identity provider
(`SamlIdentityProvider`: pinned certificates from its metadata or configuration, never from
the message) and an allowed algorithm (SHA-1 only where allowed for that provider); then, in
the verified assertion only: issuer, bearer subject confirmation (recipient,
``InResponseTo``, ``NotOnOrAfter``), conditions (time window with clock skew, audience),
the authentication statement, and one-time use of the assertion ID.
A signed Response is verified too; the Response and the assertion are read where they stand,
by child tags only, so nothing outside what their signatures cover is read. Where the
portal allows it for that provider (``require_signed_assertion=False``), the Response's
signature alone may cover an unsigned assertion.

An assertion encrypted with AES-CBC is decrypted when the Response's verified signature
covers the ciphertext (Shibboleth IdP 3's shape: nobody can have modified it), and otherwise
only where the portal allows it for that provider (``allow_cbc``; ADFS and Azure AD sign only
the assertion; `AssertionCbcRefused` without it): CBC has no integrity, and a portal that
says how a modified ciphertext failed is a padding oracle (see `eid.xmlsig.encrypt` for what
the switch risks). So, unless the Response's verified signature covers the ciphertext, every
failure from the decryption up to and including the check of the
decrypted assertion's own signature is the same `AssertionDecryptionFailed`: only content
the provider signed can fail in a way of its own.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from eid.errors import (
    AlgorithmRefused,
    AssertionAlgorithmRefused,
    AssertionAudienceMismatch,
    AssertionCbcRefused,
    AssertionDecryptionFailed,
    AssertionDestinationMismatch,
    AssertionExpired,
    AssertionInResponseToMismatch,
    AssertionIssuerMismatch,
    AssertionMalformed,
    AssertionNotYetValid,
    AssertionRecipientMismatch,
    AssertionSha1Refused,
    AssertionSignatureInvalid,
    AssertionSignatureMissing,
    AssertionStatusError,
    AssertionTooLarge,
    CbcRefused,
    CertificateInvalid,
    DecryptionFailed,
    EidError,
    MalformedInput,
    MetadataExpired,
    Sha1Refused,
    SignatureInvalid,
    SignatureMissing,
    XmlForbidden,
)
from eid.identity import EnterpriseNumber
from eid.pki import RevocationSettings, TrustStore, validate_certificate
from eid.sso.algorithms import ALGORITHMS
from eid.sso.attributes import PROFILES, AttributeValue
from eid.sso.imported import Imported
from eid.sso.levels import level_from_uri
from eid.sso.mandates import Mandate
from eid.sso.replay import ReplayStore
from eid.sso.saml import BEARER, SAML_NS, SAMLP_NS, STATUS_SUCCESS, parse_instant
from eid.xmlsig import (
    CBC_CONTENT,
    DSIG_NS,
    SIGNATURE_METHODS,
    PublicKey,
    Verified,
    content_encryption,
    decrypt_element,
    parse_xml,
    public_keys,
    verify_enveloped,
)
from eid.xmlsig.read import Children, children_by_tag

__all__ = [
    "DEFAULT_SAML_LEEWAY",
    "MAX_SAML_SIZE",
    "SAML_METHODS",
    "SamlIdentityProvider",
    "import_saml_response",
]

DEFAULT_SAML_LEEWAY = dt.timedelta(seconds=60)
"""The clock skew allowed between identity provider and portal."""
MAX_SAML_SIZE = 256 * 1024
"""The largest SAML response accepted (bytes of XML)."""
SAML_METHODS: frozenset[str] = frozenset(a.xmldsig_uri for a in ALGORITHMS.values())
"""The signature methods accepted by default (RSA PKCS#1/PSS, ECDSA; SHA-2 only)."""
_SHA1_METHODS = frozenset(uri for uri, m in SIGNATURE_METHODS.items() if m.hash_name == "sha1")
_P = f"{{{SAMLP_NS}}}"
_A = f"{{{SAML_NS}}}"
_SOURCE = "SAML response"
_SIGNATURE = f"{{{DSIG_NS}}}Signature"
_ASSERTION_COUNT = etree.XPath(
    "count(//saml:Assertion | //saml:EncryptedAssertion)",
    namespaces={"saml": SAML_NS},
    regexp=False,
)
_ERRORS: tuple[tuple[type[EidError], type[EidError]], ...] = (
    (SignatureMissing, AssertionSignatureMissing),
    (Sha1Refused, AssertionSha1Refused),
    (AlgorithmRefused, AssertionAlgorithmRefused),
    (SignatureInvalid, AssertionSignatureInvalid),
)
_UNDECRYPTABLE = "the encrypted assertion could not be decrypted and verified with the keys given"
_ENCRYPTED_DATA = "{http://www.w3.org/2001/04/xmlenc#}EncryptedData"
_NAMES = {name: key for profile in PROFILES.values() for key, name in profile.names.items()}
_LEGAL_PERSON = frozenset(
    {"legal_person_identifier"}
    | {name for name, key in _NAMES.items() if key == "legal_person_identifier"}
)


@dataclass(frozen=True)
class SamlIdentityProvider:
    """What a portal knows of a SAML identity provider: its entity ID and pinned keys.

    ``entity_id`` None accepts whichever issuer the pinned keys signed for (Response and
    Assertion must still agree): the keys alone then say who the provider is.
    ``certificates`` are key containers (their validity dates are not enforced, as in
    Shibboleth and SimpleSAMLphp) unless ``trust`` asks for PKIX validation of the one that
    verified (with ``revocation`` settings; `eid.pki.validate_certificate`); ``allow_sha1``
    accepts RSA-SHA1 and SHA-1 digests from this provider; ``methods`` is the signature
    method allow-list; ``valid_until`` the end of the metadata's validity (``validUntil``),
    after which nothing verifies (`MetadataExpired`). ``require_signed_assertion`` False
    accepts an unsigned assertion inside a Response whose own signature verified (and so
    covers it): Keycloak and the Shibboleth IdP sign only the Response by default.
    ``allow_cbc`` decrypts an assertion encrypted with AES-CBC (XML-Enc 1.0, no integrity:
    ADFS, Azure AD and SimpleSAMLphp 1.x use it) that no verified Response signature covers
    (one that does is decrypted without it: Shibboleth IdP 3), which opens a padding
    oracle to anyone who can post responses to the portal (`eid.xmlsig.encrypt` says what
    limits it); better give such a provider a decryption key of its own.
    """

    entity_id: str | None
    certificates: tuple[x509.Certificate, ...]
    allow_sha1: bool = False
    require_signed_assertion: bool = True
    allow_cbc: bool = False
    methods: frozenset[str] = SAML_METHODS
    trust: TrustStore | None = None
    revocation: RevocationSettings | None = None
    valid_until: dt.datetime | None = None
    keys: tuple[PublicKey, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Parse the keys once."""
        object.__setattr__(self, "keys", public_keys(self.certificates))

    @property
    def accepted_methods(self) -> frozenset[str]:
        """The allow-list with the SHA-1 methods when SHA-1 is allowed."""
        return self.methods | _SHA1_METHODS if self.allow_sha1 else self.methods

    def verify(self, element: etree._Element, now: dt.datetime) -> Verified:
        """The signed content of ``element`` (`eid.xmlsig.verify_enveloped` with these keys).

        With ``trust``, the certificate whose key verified is validated (path, validity
        dates, revocation per ``revocation``) at ``now``.
        """
        if self.valid_until is not None and now >= self.valid_until:
            raise MetadataExpired(
                f"the identity provider's metadata expired at {self.valid_until.isoformat()}"
            )
        verified = verify_enveloped(
            element, keys=self.keys, allow_sha1=self.allow_sha1, methods=self.accepted_methods
        )
        if self.trust is not None:
            certificate = next(
                c for c, k in zip(self.certificates, self.keys, strict=True) if k is verified.key
            )
            validate_certificate(
                certificate.public_bytes(Encoding.DER),
                trust=self.trust,
                at=now,
                revocation=self.revocation,
            )
        return verified


def _assertion_error(error: EidError) -> EidError:
    """An XML-DSig or XML-Enc error as the assertion error of `eid.errors`; others as they are."""
    if isinstance(error, XmlForbidden | AssertionMalformed):
        return error
    for xml_error, assertion_error in _ERRORS:
        if isinstance(error, xml_error):
            return assertion_error(error.message)
    if type(error) is MalformedInput:
        return AssertionMalformed(error.message, source=_SOURCE)
    return error


def _xml_bytes(message: str | bytes, max_size: int) -> bytes:
    data = message.encode() if isinstance(message, str) else message
    if len(data) > max_size * 4 // 3 + 4:
        raise AssertionTooLarge(f"the SAML response exceeds {max_size} bytes", source=_SOURCE)
    if data.lstrip()[:1] == b"<":
        if len(data) > max_size:
            raise AssertionTooLarge(f"the SAML response exceeds {max_size} bytes", source=_SOURCE)
        return data
    try:
        decoded = base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise AssertionMalformed(
            "neither XML nor the base64 form of the POST binding", source=_SOURCE
        ) from None
    if len(decoded) > max_size:
        raise AssertionTooLarge(f"the SAML response exceeds {max_size} bytes", source=_SOURCE)
    return decoded


def _one(children: Children, tag: str, what: str) -> etree._Element:
    found = children.get(tag, ())
    if len(found) != 1:
        name = tag.rsplit("}", 1)[-1]
        raise AssertionMalformed(f"{what} must hold one {name}, not {len(found)}", source=_SOURCE)
    return found[0]


def _text(element: etree._Element, what: str) -> str:
    if len(element):
        raise AssertionMalformed(f"{what} must be text only", source=_SOURCE, field=what)
    return element.text or ""


def _check_status(response: Children) -> None:
    status = _one(response, _P + "Status", "the Response")
    code = _one(children_by_tag(status), _P + "StatusCode", "Status")
    if code.get("Value") != STATUS_SUCCESS:
        inner = next(code.iterchildren(_P + "StatusCode"), None)
        detail = f" ({inner.get('Value')})" if inner is not None else ""
        raise AssertionStatusError(f"the identity provider answered {code.get('Value')}{detail}")


def _issuer(parent: Children, expected: str | None, *, required: bool) -> str | None:
    """The Issuer among ``parent``'s children, which must be ``expected`` (when not None)."""
    issuers = parent.get(_A + "Issuer", ())
    if not issuers and not required:
        return None
    issuer = _text(issuers[0], "Issuer") if len(issuers) == 1 else None
    if not issuer or (expected is not None and issuer != expected):
        raise AssertionIssuerMismatch(f"the SAML message was not issued by {expected}")
    return issuer


def _the_assertion(
    document: etree._Element,
    response: Children,
    decryption_keys: Sequence[rsa.RSAPrivateKey],
    *,
    allow_cbc: bool,
    authenticated: bool,
) -> tuple[etree._Element, bool]:
    """The one assertion, decrypted if need be, and whether it is malleable.

    Malleable: decrypted from AES-CBC that no verified signature covers (``authenticated``:
    the Response's signature verified, so what it covers was not modified). Several
    assertions anywhere in the document are refused; a malleable plaintext that holds no
    single Assertion fails like the decryption itself.
    """
    count = _ASSERTION_COUNT(document)
    direct = response.get(_A + "Assertion", []) + response.get(_A + "EncryptedAssertion", [])
    if count != 1 or len(direct) != 1:
        raise AssertionMalformed(
            f"a SAML response must hold exactly one assertion, not {count:.0f}", source=_SOURCE
        )
    assertion: etree._Element = direct[0]
    if assertion.tag == _A + "Assertion":
        return assertion, False
    if not decryption_keys:
        raise AssertionDecryptionFailed(
            "the assertion is encrypted and no decryption key is given "
            "(decryption_keys; eid sso verify --sp-key)"
        )
    data = _one(children_by_tag(assertion), _ENCRYPTED_DATA, "EncryptedAssertion")
    try:
        decrypted = decrypt_element(data, decryption_keys, allow_cbc=allow_cbc)
    except CbcRefused:
        name = content_encryption(data).rsplit("#", 1)[-1]
        raise AssertionCbcRefused(
            f"the assertion is encrypted with AES-CBC ({name}), which has no integrity "
            "(padding oracles): accept it from this identity provider only with "
            "allow_cbc=True (eid sso verify --allow-cbc)"
        ) from None
    except DecryptionFailed:
        raise AssertionDecryptionFailed(_UNDECRYPTABLE) from None
    malleable = not authenticated and content_encryption(data) in CBC_CONTENT
    if decrypted.tag != _A + "Assertion" or _ASSERTION_COUNT(decrypted) != 1:
        if malleable:
            raise AssertionDecryptionFailed(_UNDECRYPTABLE)
        raise AssertionMalformed(
            "the encrypted assertion holds no single Assertion", source=_SOURCE
        )
    return decrypted, malleable


def _verify_decrypted(
    idp: SamlIdentityProvider, assertion: etree._Element, now: dt.datetime
) -> Verified:
    """``idp.verify`` of an assertion decrypted from AES-CBC: a failed check fails as decryption.

    Anything else would tell an attacker that his modified ciphertext decrypted to XML; the
    provider's own state (expired metadata, its certificate's validation) is told as it is.
    """
    try:
        return idp.verify(assertion, now)
    except (MetadataExpired, CertificateInvalid):
        raise
    except EidError:
        raise AssertionDecryptionFailed(_UNDECRYPTABLE) from None


def _check_confirmation(
    subject: Children,
    *,
    recipient: str,
    in_response_to: str | None,
    now: dt.datetime,
    leeway: dt.timedelta,
) -> dt.datetime:
    confirmations = subject.get(_A + "SubjectConfirmation", ())
    bearer = [c for c in confirmations if c.get("Method") == BEARER]
    if len(bearer) != 1:
        raise AssertionMalformed("the subject needs one bearer confirmation", source=_SOURCE)
    data = _one(children_by_tag(bearer[0]), _A + "SubjectConfirmationData", "SubjectConfirmation")
    if data.get("Recipient") != recipient:
        raise AssertionRecipientMismatch(
            f"the assertion is meant for another recipient than {recipient}"
        )
    _check_in_response_to(data.get("InResponseTo"), in_response_to)
    not_on_or_after = parse_instant(data.get("NotOnOrAfter"), "SubjectConfirmationData")
    if now >= not_on_or_after + leeway:
        raise AssertionExpired(f"the bearer confirmation expired at {not_on_or_after.isoformat()}")
    if data.get("NotBefore") is not None:
        raise AssertionMalformed("a bearer confirmation has no NotBefore", source=_SOURCE)
    return not_on_or_after


def _check_in_response_to(found: str | None, expected: str | None) -> None:
    if expected is None:
        if found is not None:
            raise AssertionInResponseToMismatch(
                "the response answers a request, and no request ID was given to check it"
            )
        return
    if found is None or not hmac.compare_digest(found.encode(), expected.encode()):
        raise AssertionInResponseToMismatch("the response answers another request")


def _check_conditions(
    assertion: Children, *, audience: str, now: dt.datetime, leeway: dt.timedelta
) -> dt.datetime:
    conditions = _one(assertion, _A + "Conditions", "the Assertion")
    not_before = conditions.get("NotBefore")
    if not_before is not None and now + leeway < parse_instant(not_before, "Conditions"):
        raise AssertionNotYetValid(f"the assertion is valid only from {not_before}")
    not_on_or_after = parse_instant(conditions.get("NotOnOrAfter"), "Conditions")
    if now >= not_on_or_after + leeway:
        raise AssertionExpired(f"the assertion expired at {not_on_or_after.isoformat()}")
    restrictions = [c for c in conditions if c.tag == _A + "AudienceRestriction"]
    if not restrictions:
        raise AssertionAudienceMismatch("the assertion names no audience")
    for restriction in restrictions:
        named = [_text(a, "Audience") for a in restriction if a.tag == _A + "Audience"]
        if audience not in named:
            raise AssertionAudienceMismatch(f"the assertion is not meant for {audience}")
    return not_on_or_after


def _attributes(assertion: Children) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    for statement in assertion.get(_A + "AttributeStatement", ()):
        for attribute in statement:
            if attribute.tag != _A + "Attribute":
                continue
            name = attribute.get("Name")
            if not name or name in attributes:
                raise AssertionMalformed("an attribute without a name or twice", source=_SOURCE)
            values = [_text(v, name) for v in attribute if v.tag == _A + "AttributeValue"]
            attributes[name] = (
                values[0] if len(values) == 1 else {str(i): v for i, v in enumerate(values, 1)}
            )
    return attributes


def _mandate(attributes: Mapping[str, AttributeValue]) -> Mandate | None:
    if _LEGAL_PERSON.isdisjoint(attributes):
        return None
    canonical = {_NAMES.get(name, name): value for name, value in attributes.items()}
    identifier = canonical.get("legal_person_identifier")
    name, role = canonical.get("legal_name"), canonical.get("mandate_role", "")
    if not (isinstance(identifier, str) and isinstance(name, str) and isinstance(role, str)):
        return None
    try:
        return Mandate(EnterpriseNumber.parse(identifier.rsplit("/", 1)[-1]), name, role)
    except MalformedInput:
        raise AssertionMalformed(
            "the legal person identifier holds no valid enterprise number", source=_SOURCE
        ) from None


def _signed_assertion(
    data: bytes,
    *,
    idp: SamlIdentityProvider,
    recipient: str,
    in_response_to: str | None,
    decryption_keys: Sequence[rsa.RSAPrivateKey],
    max_size: int,
    now: dt.datetime,
) -> tuple[etree._Element, str | None]:
    """The verified assertion of the Response ``data`` and the Response's issuer.

    Both are read where they stand in the parsed document, by child tags only, so nothing
    outside their verified content (a wrapper, an element inside ``ds:Signature``) is read.
    """
    document = parse_xml(data, source=_SOURCE, max_size=max_size)
    if document.tag != _P + "Response" or document.get("Version") != "2.0":
        raise AssertionMalformed("not a SAML 2.0 Response", source=_SOURCE)
    response = children_by_tag(document)
    response_signed = _SIGNATURE in response
    if response_signed:
        idp.verify(document, now)
    destination = document.get("Destination")
    if destination is not None and destination != recipient:
        raise AssertionDestinationMismatch(
            f"the response was sent to another destination than {recipient}"
        )
    response_issuer = _issuer(response, idp.entity_id, required=False)
    _check_status(response)
    _check_in_response_to(document.get("InResponseTo"), in_response_to)
    found, malleable = _the_assertion(
        document,
        response,
        decryption_keys,
        # under the verified Response signature the ciphertext is authenticated: no oracle
        allow_cbc=idp.allow_cbc or response_signed,
        authenticated=response_signed,
    )
    if response_signed and not idp.require_signed_assertion and found.find(_SIGNATURE) is None:
        return found, response_issuer  # a child of the verified Response: covered by it
    verify = _verify_decrypted if malleable else SamlIdentityProvider.verify
    return verify(idp, found, now).signed, response_issuer


def import_saml_response(
    message: str | bytes,
    *,
    idp: SamlIdentityProvider,
    audience: str,
    recipient: str,
    replay: ReplayStore,
    in_response_to: str | None = None,
    at: dt.datetime | None = None,
    leeway: dt.timedelta = DEFAULT_SAML_LEEWAY,
    decryption_keys: Collection[rsa.RSAPrivateKey] = (),
    max_size: int = MAX_SAML_SIZE,
) -> Imported:
    """Import a SAML Response sent to this portal (``audience``) at ``recipient`` (its ACS URL).

    ``message`` is the XML or the base64 ``SAMLResponse`` value of the POST binding;
    ``in_response_to`` the ID of the AuthnRequest the portal sent (None: unsolicited);
    ``replay`` accepts each assertion ID once; ``decryption_keys`` the portal's keys for an
    ``EncryptedAssertion``. Every check raises its own `eid.errors` error.
    """
    now = at or dt.datetime.now(dt.UTC)
    try:
        assertion, response_issuer = _signed_assertion(
            _xml_bytes(message, max_size),
            idp=idp,
            recipient=recipient,
            in_response_to=in_response_to,
            decryption_keys=list(decryption_keys),
            max_size=max_size,
            now=now,
        )
    except EidError as error:
        mapped = _assertion_error(error)
        if mapped is error:
            raise
        raise mapped from None
    if assertion.get("Version") != "2.0" or not assertion.get("ID"):
        raise AssertionMalformed("not a SAML 2.0 Assertion with an ID", source=_SOURCE)
    parts = children_by_tag(assertion)
    issuer = _issuer(parts, idp.entity_id or response_issuer, required=True)
    subject = children_by_tag(_one(parts, _A + "Subject", "the Assertion"))
    name_id = _text(_one(subject, _A + "NameID", "the Subject"), "NameID")
    if not name_id:
        raise AssertionMalformed("the NameID is empty", source=_SOURCE, field="NameID")
    confirmed_until = _check_confirmation(
        subject, recipient=recipient, in_response_to=in_response_to, now=now, leeway=leeway
    )
    valid_until = _check_conditions(parts, audience=audience, now=now, leeway=leeway)
    authn = _one(parts, _A + "AuthnStatement", "the Assertion")
    session_end = authn.get("SessionNotOnOrAfter")
    if session_end is not None and now >= parse_instant(session_end, "AuthnStatement") + leeway:
        raise AssertionExpired(f"the session ended at {session_end}")
    class_refs = [
        ref
        for context in authn
        if context.tag == _A + "AuthnContext"
        for ref in context
        if ref.tag == _A + "AuthnContextClassRef"
    ]
    class_ref = class_refs[0] if class_refs else None
    level_uri = _text(class_ref, "AuthnContextClassRef") if class_ref is not None else None
    attributes = _attributes(parts)
    expires_at = min(confirmed_until, valid_until)
    imported = Imported(
        subject=name_id,
        issuer=str(issuer),
        audience=(audience,),
        expires_at=expires_at,
        level=level_from_uri(level_uri) if level_uri else None,
        level_uri=level_uri,
        authenticated_at=parse_instant(authn.get("AuthnInstant"), "AuthnStatement"),
        attributes=attributes,
        mandate=_mandate(attributes),
        session_index=authn.get("SessionIndex"),
        identifier=assertion.get("ID"),
        format="saml",
    )
    replay.use(f"{issuer}|{imported.identifier}", expires_at=expires_at + leeway, now=now)
    return imported
