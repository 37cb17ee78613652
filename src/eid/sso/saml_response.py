"""The SAML 2.0 encoding of a `Statement`: a Response with a signed Assertion.

The Assertion carries ``Issuer``, ``Subject`` (NameID in the format of the portal's subject
kind, bearer ``SubjectConfirmationData`` with ``Recipient``, ``NotOnOrAfter`` and
``InResponseTo``), ``Conditions`` (``NotBefore``/``NotOnOrAfter``, ``AudienceRestriction``),
an ``AuthnStatement`` (``AuthnContextClassRef`` = the eIDAS level URI, ``SessionIndex``)
and an ``AttributeStatement`` under the portal's attribute profile. It is signed with the
provider's active key (exclusive C14N, the portal's first algorithm the key can make),
then encrypted (``EncryptedAssertion``, AES-GCM + RSA-OAEP) when the portal registered
an encryption certificate, by the methods chosen at its registration (`Portal.encryption`).
The Response may be signed too.

Unless the portal's metadata lists others, AES-256-GCM with the key transport XML-Enc 1.0
``rsa-oaep-mgf1p`` and SHA-1 (OAEP needs no collision resistance of its hash), the widely
deployed form: xmlsec1 1.2 (Debian's, under pysaml2) knows no XML-Enc 1.1 key transport nor
another digest there, and python3-saml checks every response against SAML 2.0's schemas,
which declare no ``xenc11:MGF``.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Mapping

from lxml import etree

from eid.errors import UsageError
from eid.sso.algorithms import ALGORITHMS
from eid.sso.attributes import AttributeValue
from eid.sso.keys import ProviderKey
from eid.sso.saml import (
    BEARER,
    NAMEID_FORMATS,
    SAML_NS,
    SAMLP_NS,
    STATUS_SUCCESS,
    saml_instant,
)
from eid.sso.statement import Statement
from eid.xmlsig import (
    encrypt_element,
    enveloped_signature,
    sign_enveloped,
    writer,
)

__all__ = ["DEFAULT_SAML_LIFETIME", "post_form_value", "saml_response"]

DEFAULT_SAML_LIFETIME = dt.timedelta(minutes=5)
"""How long an assertion may be used after it is issued."""

_A = f"{{{SAML_NS}}}"
_ASSERTION_END = "</saml:Assertion>"


def _new_id() -> str:
    return "_" + secrets.token_hex(20)


def _attribute_statement(rendered: Mapping[str, AttributeValue], name_format: str | None) -> str:
    attributes = []
    for name, value in rendered.items():
        values = [value] if isinstance(value, str) else [f"{k}={v}" for k, v in value.items()]
        attributes.append(
            writer.element(
                "saml:Attribute",
                {"Name": name, **({"NameFormat": name_format} if name_format else {})},
                (writer.element("saml:AttributeValue", content=writer.text(v)) for v in values),
            )
        )
    return writer.element("saml:AttributeStatement", content=attributes)


def _assertion_body(
    statement: Statement,
    *,
    issuer: str,
    recipient: str,
    now: str,
    expires: str,
    in_response_to: str | None,
) -> str:
    """Everything of the assertion after its Issuer, in canonical form."""
    confirmation = {"NotOnOrAfter": expires, "Recipient": recipient}
    if in_response_to:
        confirmation["InResponseTo"] = in_response_to
    subject = writer.element(
        "saml:Subject",
        content=(
            writer.element(
                "saml:NameID",
                {
                    "Format": NAMEID_FORMATS[statement.subject.kind],
                    "NameQualifier": issuer,
                    "SPNameQualifier": statement.audience,
                },
                writer.text(statement.subject.value),
            ),
            writer.element(
                "saml:SubjectConfirmation",
                {"Method": BEARER},
                writer.element("saml:SubjectConfirmationData", confirmation),
            ),
        ),
    )
    conditions = writer.element(
        "saml:Conditions",
        {"NotBefore": now, "NotOnOrAfter": expires},
        writer.element(
            "saml:AudienceRestriction",
            content=writer.element("saml:Audience", content=writer.text(statement.audience)),
        ),
    )
    authn = writer.element(
        "saml:AuthnStatement",
        {
            "AuthnInstant": saml_instant(statement.authenticated_at),
            "SessionIndex": statement.session_index,
        },
        writer.element(
            "saml:AuthnContext",
            content=writer.element(
                "saml:AuthnContextClassRef", content=writer.text(statement.level_uri)
            ),
        ),
    )
    rendered = statement.rendered_attributes()
    attributes = (
        _attribute_statement(rendered, statement.portal.profile.name_format) if rendered else ""
    )
    return subject + conditions + authn + attributes


def saml_response(
    statement: Statement,
    *,
    issuer: str,
    key: ProviderKey,
    recipient: str,
    now: dt.datetime,
    in_response_to: str | None = None,
    lifetime: dt.timedelta = DEFAULT_SAML_LIFETIME,
    sign_response: bool = False,
    encrypt: bool | None = None,
) -> bytes:
    """The SAML Response (XML bytes) that tells ``statement`` to its portal at ``recipient``.

    ``key`` signs (the portal's first accepted algorithm it can make); ``encrypt`` defaults
    to whether the portal registered an encryption certificate (then with the portal's
    `~eid.sso.saml_encryption.AssertionEncryption`). The Assertion is written
    in its canonical form at once (`eid.xmlsig.writer`), so signing it needs no tree.
    """
    portal = statement.portal
    algorithm = ALGORITHMS[key.choose_algorithm(portal.algorithms)]
    name = algorithm.name

    def signer(data: bytes) -> bytes:
        return key.sign(data, name)

    instant = saml_instant(now)
    assertion_id = _new_id()
    head = writer.start_tag(
        "saml:Assertion",
        {"ID": assertion_id, "IssueInstant": instant, "Version": "2.0"},
        namespaces={"saml": SAML_NS},
    ) + writer.element("saml:Issuer", content=writer.text(issuer))
    tail = (
        _assertion_body(
            statement,
            issuer=issuer,
            recipient=recipient,
            now=instant,
            expires=saml_instant(now + lifetime),
            in_response_to=in_response_to,
        )
        + _ASSERTION_END
    )
    certificates = [key.certificate] if key.certificate is not None else []
    signature = enveloped_signature(
        (head + tail).encode(),
        reference_id=assertion_id,
        signer=signer,
        method=algorithm.xmldsig_uri,
        certificates=certificates,
    )
    assertion = head.encode() + signature + tail.encode()
    response_attributes = {
        "Destination": recipient,
        "ID": _new_id(),
        "IssueInstant": instant,
        "Version": "2.0",
    }
    if in_response_to:
        response_attributes["InResponseTo"] = in_response_to
    response_head = (
        writer.start_tag(
            "samlp:Response",
            response_attributes,
            namespaces={"samlp": SAMLP_NS, "saml": SAML_NS},
        )
        + writer.element("saml:Issuer", content=writer.text(issuer))
        + writer.element(
            "samlp:Status", content=writer.element("samlp:StatusCode", {"Value": STATUS_SUCCESS})
        )
    ).encode()
    if encrypt is None:
        encrypt = portal.encryption_certificate is not None
    if not encrypt and not sign_response:
        return response_head + assertion + b"</samlp:Response>"
    response = etree.fromstring(response_head + b"</samlp:Response>")
    if encrypt:
        if portal.encryption_certificate is None:
            raise UsageError(f"portal {portal.id} registered no encryption certificate")
        wrapper = etree.SubElement(response, _A + "EncryptedAssertion")
        wrapper.append(
            encrypt_element(
                etree.fromstring(assertion),
                portal.encryption_certificate,
                content=portal.encryption.content,
                transport=portal.encryption.transport,
            )
        )
    else:
        response.append(etree.fromstring(assertion))
    if sign_response:
        sign_enveloped(
            response,
            signer=signer,
            method=algorithm.xmldsig_uri,
            certificates=certificates,
            index=1,
        )
    return etree.tostring(response)


def post_form_value(response: bytes) -> str:
    """The ``SAMLResponse`` value of the HTTP-POST binding: the response in base64."""
    return base64.b64encode(response).decode("ascii")
