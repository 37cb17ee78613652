"""Real single sign-on inputs for the fuzzers and property tests, from the seeded test PKI.

An `IdentityProvider` at a fixed clock signs with the test PKI's time-stamping key (RSA,
with its certificate), and a SAML service provider holds the RRN key (RSA): both keys are
derived from the seed, so a token or response made in one process (the seeds) verifies in
another (the fuzzer). The provider issues an ID token to an OIDC portal and SAML responses
(plain, signed twice, encrypted with AES-GCM and, as ADFS does, with AES-CBC, which the
portal allows) to a SAML portal about the Web eID holder's login; the service provider
signs an AuthnRequest (HTTP-Redirect and HTTP-POST) and a LogoutRequest. The portal side
of each is `imported` here once, as the meaning a mutation must not reach.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import os
import zlib
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

from eid.auth import AuthResult, authenticate_client_certificate
from eid.sso import (
    EIDAS,
    IdentityProvider,
    KeySet,
    MemoryReplayStore,
    Portal,
    PortalRegistry,
    ProviderKey,
    SubjectMinter,
    VerificationKeys,
    import_id_token,
    saml_metadata,
)
from eid.sso.algorithms import ALGORITHMS
from eid.sso.imported import Imported
from eid.sso.oidc import sign_jwt
from eid.sso.saml import NAMEID_TRANSIENT, POST_BINDING, SAML_NS, SAMLP_NS, saml_instant
from eid.sso.saml_import import SamlIdentityProvider, import_saml_response
from eid.sso.saml_response import post_form_value, saml_response
from eid.xmlsig import AES256_CBC, MGF1P_SHA1, parse_xml, sign_enveloped
from fuzz import material

ISSUER = "https://idp.fuzz.example"
CLIENT = "fuzz-portal"
SP = "https://sp.fuzz.example/metadata"
ACS = "https://sp.fuzz.example/acs"
SSO_URL = ISSUER + "/saml/sso"
NONCE = "fuzz-nonce-1"
REQUEST_ID = "_fuzz-request-1"
RELAY = "fuzz-relay"
SESSION = "fuzz-session"
AT = material.NOW + dt.timedelta(minutes=1)
"""When every ID token and SAML response here is imported (within their lifetimes)."""
RSA_SHA256 = ALGORITHMS["RS256"].xmldsig_uri
_XENC = "{http://www.w3.org/2001/04/xmlenc#}"


@functools.cache
def provider_key() -> ProviderKey:
    """The provider's signing key: the test PKI's TSA key and certificate (RSA)."""
    issued = material.pki().tsa()
    assert isinstance(issued.key, rsa.RSAPrivateKey)
    return ProviderKey.from_private_key(issued.key, issued.certificate)


@functools.cache
def sp_key() -> ProviderKey:
    """The service provider's key (signing requests, decrypting assertions): the RRN's (RSA)."""
    issued = material.pki().rrn
    assert isinstance(issued.key, rsa.RSAPrivateKey)
    return ProviderKey.from_private_key(issued.key, issued.certificate)


def sp_decryption_key() -> rsa.RSAPrivateKey:
    """The service provider's private key, to decrypt an EncryptedAssertion."""
    key = material.pki().rrn.key
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@functools.cache
def provider() -> IdentityProvider:
    """The identity provider with an OIDC portal (`CLIENT`) and a SAML portal (`SP`)."""
    sp_certificate = sp_key().certificate
    portals = PortalRegistry(
        [
            Portal(
                id=CLIENT,
                kind="oidc",
                endpoints=("https://portal.fuzz.example/callback",),
                attributes=frozenset({"given_name", "family_name", "birthdate"}),
            ),
            Portal(
                id=SP,
                kind="saml",
                endpoints=(ACS,),
                attributes=frozenset({"person_identifier", "given_name", "family_name"}),
                profile=EIDAS,
                encryption_certificate=sp_certificate,
            ),
        ]
    )
    return IdentityProvider(
        ISSUER,
        KeySet(provider_key()),
        portals,
        subjects=SubjectMinter(b"fuzz-subject-secret-of-32-bytes!"),
        clock=lambda: material.NOW,
    )


@functools.cache
def login() -> AuthResult:
    """The Web eID holder's login (the authentication certificate, revocation off)."""
    return authenticate_client_certificate(
        material.authentication().cert_der(),
        trust=material.trust(),
        at=material.AT,
        revocation=material.OFF,
    )


def verification_keys() -> VerificationKeys:
    """The provider's JWKS as a portal parses it."""
    return VerificationKeys.from_jwks(provider().jwks())


@functools.cache
def id_token() -> str:
    """An ID token for `CLIENT` with `NONCE` (RS256)."""
    return provider().issue_id_token(login(), CLIENT, nonce=NONCE, session_index=SESSION)


def import_token(token: str | bytes) -> Imported:
    """Import ``token`` as `CLIENT` would at `AT`, with a fresh replay store."""
    return import_id_token(
        token,
        issuer=ISSUER,
        audience=CLIENT,
        keys=verification_keys(),
        nonce=NONCE,
        at=AT,
        replay=MemoryReplayStore(),
    )


@functools.cache
def client_assertion() -> str:
    """A ``private_key_jwt`` client assertion of `CLIENT` for the provider's token endpoint."""
    key = sp_key()
    claims = {
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": ISSUER + "/token",
        "jti": "fuzz-assertion-1",
        "exp": int((material.NOW + dt.timedelta(minutes=2)).timestamp()),
    }
    return sign_jwt(claims, key, "RS256")


def client_jwks() -> dict[str, object]:
    """The JWKS `CLIENT` registered for its client assertions."""
    return {"keys": [sp_key().jwk()]}


def discovery() -> bytes:
    """The provider's OpenID Connect discovery document."""
    return json.dumps(provider().discovery()).encode()


@functools.cache
def saml_responses() -> dict[str, bytes]:
    """SAML responses for `SP` at `ACS` answering `REQUEST_ID`, by kind.

    ``plain`` (a signed Assertion), ``signed`` (the Response signed too), ``encrypted`` (an
    EncryptedAssertion for the service provider's key), ``cbc`` (the same with AES-256-CBC,
    as ADFS encrypts), and ``post`` (the plain one in the base64 form of the POST binding).
    """
    idp = provider()
    statement = idp.statement(login(), SP, session_index=SESSION)
    common = {
        "issuer": ISSUER,
        "key": provider_key(),
        "recipient": ACS,
        "now": material.NOW,
        "in_response_to": REQUEST_ID,
    }
    plain = saml_response(statement, encrypt=False, **common)  # type: ignore[arg-type]
    encrypted = saml_response(statement, **common)  # type: ignore[arg-type]
    return {
        "plain": plain,
        "signed": saml_response(statement, encrypt=False, sign_response=True, **common),  # type: ignore[arg-type]
        "encrypted": encrypted,
        "cbc": _as_cbc(encrypted, plain),
        "post": post_form_value(plain).encode(),
    }


def _as_cbc(encrypted: bytes, plain: bytes) -> bytes:
    """``encrypted`` with ``plain``'s signed Assertion in AES-256-CBC under a new key.

    XML-Enc 1.0: IV || ciphertext, random padding bytes ending in their count.
    """
    response = etree.fromstring(encrypted)
    data = response.find(f"{{{SAML_NS}}}EncryptedAssertion/{_XENC}EncryptedData")
    assertion = etree.fromstring(plain).find(f"{{{SAML_NS}}}Assertion")
    assert data is not None
    assert assertion is not None
    method = data.find(f"{_XENC}EncryptionMethod")
    values = data.findall(f".//{_XENC}CipherValue")  # the wrapped key's, then the content's
    assert method is not None
    assert len(values) == 2
    method.set("Algorithm", AES256_CBC)
    secret, iv, text = os.urandom(32), os.urandom(16), etree.tostring(assertion)
    pad = 16 - len(text) % 16
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    cipher = iv + encryptor.update(text + os.urandom(pad - 1) + bytes([pad])) + encryptor.finalize()
    public = sp_decryption_key().public_key()
    values[0].text = base64.b64encode(public.encrypt(secret, MGF1P_SHA1.padding())).decode()
    values[1].text = base64.b64encode(cipher).decode()
    return etree.tostring(response)


@functools.cache
def unsigned_assertion() -> bytes:
    """The Assertion of the plain response, without its signature."""
    assertion = etree.fromstring(saml_responses()["plain"]).find(f"{{{SAML_NS}}}Assertion")
    assert assertion is not None
    signature = assertion.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signature is not None
    assertion.remove(signature)
    return etree.tostring(assertion)


def response_with(assertion: bytes) -> bytes:
    """The plain response holding ``assertion`` (any XML), signed anew with the provider's key."""
    element = parse_xml(assertion, source="fuzz")
    key = provider_key()
    sign_enveloped(
        element,
        signer=lambda data: key.sign(data, "RS256"),
        method=RSA_SHA256,
        certificates=[],
        index=1,
    )
    response = etree.fromstring(saml_responses()["plain"])
    original = response.find(f"{{{SAML_NS}}}Assertion")
    assert original is not None
    response.replace(original, element)
    return etree.tostring(response)


def saml_idp() -> SamlIdentityProvider:
    """The provider as the service provider pins it: entity ID and certificate."""
    certificate = provider_key().certificate
    assert certificate is not None
    return SamlIdentityProvider(ISSUER, (certificate,), allow_cbc=True)


def import_response(message: str | bytes) -> Imported:
    """Import ``message`` as `SP` would at `AT`, with a fresh replay store."""
    return import_saml_response(
        message,
        idp=saml_idp(),
        audience=SP,
        recipient=ACS,
        replay=MemoryReplayStore(),
        in_response_to=REQUEST_ID,
        at=AT,
        decryption_keys=[sp_decryption_key()],
    )


@functools.cache
def idp_metadata() -> bytes:
    """The provider's signed SAML metadata, valid for a century from `material.NOW`.

    Readers that judge ``validUntil`` by the real clock then still read it.
    """
    return saml_metadata.idp_metadata(
        ISSUER,
        provider().keys,
        sso_url=SSO_URL,
        now=material.NOW,
        valid_for=dt.timedelta(days=36500),
    )


def _certificate_text(key: ProviderKey) -> str:
    assert key.certificate is not None
    return base64.b64encode(key.certificate.public_bytes(serialization.Encoding.DER)).decode()


@functools.cache
def sp_metadata() -> bytes:
    """The service provider's metadata: an ACS, an encryption key, eIDAS attributes."""
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    requested = "".join(
        f'<md:RequestedAttribute Name="{EIDAS.names[key]}"/>'
        for key in ("person_identifier", "family_name", "given_name")
    )
    return (
        f'<md:EntityDescriptor xmlns:md="{md}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        f'entityID="{SP}"><md:SPSSODescriptor AuthnRequestsSigned="true" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{_certificate_text(sp_key())}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        f"</md:KeyDescriptor><md:NameIDFormat>{NAMEID_TRANSIENT}</md:NameIDFormat>"
        f'<md:AssertionConsumerService Binding="{POST_BINDING}" Location="{ACS}" index="0"/>'
        '<md:AttributeConsumingService index="0"><md:ServiceName xml:lang="en">SP'
        f"</md:ServiceName>{requested}</md:AttributeConsumingService>"
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    ).encode()


def _request(tag: str) -> etree._Element:
    """A SAML request ``tag`` from `SP` to `SSO_URL` with a fixed ID and time."""
    samlp, saml = f"{{{SAMLP_NS}}}", f"{{{SAML_NS}}}"
    root = etree.Element(samlp + tag, nsmap={"samlp": SAMLP_NS, "saml": SAML_NS})
    for name, value in (
        ("ID", REQUEST_ID),
        ("Version", "2.0"),
        ("IssueInstant", saml_instant(material.NOW)),
        ("Destination", SSO_URL),
    ):
        root.set(name, value)
    etree.SubElement(root, saml + "Issuer").text = SP
    if tag == "AuthnRequest":
        root.set("AssertionConsumerServiceURL", ACS)
        root.set("ProtocolBinding", POST_BINDING)
        etree.SubElement(root, samlp + "NameIDPolicy", Format=NAMEID_TRANSIENT)
        context = etree.SubElement(root, samlp + "RequestedAuthnContext", Comparison="minimum")
        etree.SubElement(
            context, saml + "AuthnContextClassRef"
        ).text = "http://eidas.europa.eu/LoA/substantial"
    else:
        etree.SubElement(root, saml + "NameID").text = "fuzz-subject"
        etree.SubElement(root, samlp + "SessionIndex").text = SESSION
    return root


@functools.cache
def request_xml(tag: str = "AuthnRequest") -> bytes:
    """The unsigned SAML request ``tag`` (AuthnRequest or LogoutRequest)."""
    return etree.tostring(_request(tag))


@functools.cache
def redirect_query(tag: str = "AuthnRequest") -> str:
    """``tag`` in the HTTP-Redirect binding: deflated, with `RELAY`, signed over the query."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(request_xml(tag)) + compressor.flush()
    query = (
        f"SAMLRequest={quote(base64.b64encode(deflated).decode(), safe='')}"
        f"&RelayState={RELAY}&SigAlg={quote(RSA_SHA256, safe='')}"
    )
    signature = sp_key().sign(query.encode("ascii"), "RS256")
    return f"{query}&Signature={quote(base64.b64encode(signature).decode(), safe='')}"


@functools.cache
def post_value(tag: str = "AuthnRequest") -> str:
    """``tag`` in the HTTP-POST binding: enveloped signature, base64."""
    root = _request(tag)
    key = sp_key()
    sign_enveloped(
        root,
        signer=lambda data: key.sign(data, "RS256"),
        method=RSA_SHA256,
        certificates=[key.certificate] if key.certificate is not None else [],
        index=1,
    )
    return base64.b64encode(etree.tostring(root)).decode()
