"""The SAML 2.0 encoding of a `Statement`: a Response with a signed Assertion.

The Assertion carries ``Issuer``, ``Subject`` (NameID in the format of the portal's subject
kind, bearer ``SubjectConfirmationData`` with ``Recipient``, ``NotOnOrAfter`` and
``InResponseTo``), ``Conditions`` (``NotBefore``/``NotOnOrAfter``, ``AudienceRestriction``),
an ``AuthnStatement`` (``AuthnContextClassRef`` = the eIDAS level URI, ``SessionIndex``)
and an ``AttributeStatement`` under the portal's attribute profile. It is signed with the
provider's active key (exclusive C14N, the portal's first algorithm the key can make),
then encrypted (``EncryptedAssertion``, AES-256-GCM + RSA-OAEP) when the portal registered
an encryption certificate. The Response may be signed too.
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
from eid.xmlsig import OAEP_SHA256, KeyTransport, encrypt_element, sign_enveloped

__all__ = ["DEFAULT_SAML_LIFETIME", "post_form_value", "saml_response"]

DEFAULT_SAML_LIFETIME = dt.timedelta(minutes=5)
"""How long an assertion may be used after it is issued."""

_P = f"{{{SAMLP_NS}}}"
_A = f"{{{SAML_NS}}}"
_NSMAP = {"samlp": SAMLP_NS, "saml": SAML_NS}


def _new_id() -> str:
    return "_" + secrets.token_hex(20)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _attributes(
    parent: etree._Element, rendered: Mapping[str, AttributeValue], name_format: str | None
) -> None:
    statement = _sub(parent, _A + "AttributeStatement")
    for name, value in rendered.items():
        attribute = _sub(statement, _A + "Attribute", Name=name)
        if name_format:
            attribute.set("NameFormat", name_format)
        values = [value] if isinstance(value, str) else [f"{k}={v}" for k, v in value.items()]
        for text in values:
            _sub(attribute, _A + "AttributeValue", text)


def _assertion(
    statement: Statement,
    *,
    issuer: str,
    recipient: str,
    now: dt.datetime,
    expires: dt.datetime,
    in_response_to: str | None,
) -> etree._Element:
    instant = saml_instant(now)
    assertion = etree.Element(
        _A + "Assertion",
        {"ID": _new_id(), "Version": "2.0", "IssueInstant": instant},
        nsmap={"saml": SAML_NS},
    )
    _sub(assertion, _A + "Issuer", issuer)
    subject = _sub(assertion, _A + "Subject")
    _sub(
        subject,
        _A + "NameID",
        statement.subject.value,
        Format=NAMEID_FORMATS[statement.subject.kind],
        NameQualifier=issuer,
        SPNameQualifier=statement.audience,
    )
    confirmation = _sub(subject, _A + "SubjectConfirmation", Method=BEARER)
    data = _sub(
        confirmation,
        _A + "SubjectConfirmationData",
        NotOnOrAfter=saml_instant(expires),
        Recipient=recipient,
    )
    if in_response_to:
        data.set("InResponseTo", in_response_to)
    conditions = _sub(
        assertion, _A + "Conditions", NotBefore=instant, NotOnOrAfter=saml_instant(expires)
    )
    _sub(_sub(conditions, _A + "AudienceRestriction"), _A + "Audience", statement.audience)
    authn = _sub(
        assertion,
        _A + "AuthnStatement",
        AuthnInstant=saml_instant(statement.authenticated_at),
        SessionIndex=statement.session_index,
    )
    context = _sub(authn, _A + "AuthnContext")
    _sub(context, _A + "AuthnContextClassRef", statement.level_uri)
    rendered = statement.rendered_attributes()
    if rendered:
        _attributes(assertion, rendered, statement.portal.profile.name_format)
    return assertion


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
    transport: KeyTransport = OAEP_SHA256,
) -> bytes:
    """The SAML Response (XML bytes) that tells ``statement`` to its portal at ``recipient``.

    ``key`` signs (the portal's first accepted algorithm it can make); ``encrypt`` defaults
    to whether the portal registered an encryption certificate.
    """
    portal = statement.portal
    algorithm = ALGORITHMS[key.choose_algorithm(portal.algorithms)]
    name = algorithm.name

    def signer(data: bytes) -> bytes:
        return key.sign(data, name)

    expires = now + lifetime
    assertion = _assertion(
        statement,
        issuer=issuer,
        recipient=recipient,
        now=now,
        expires=expires,
        in_response_to=in_response_to,
    )
    certificates = [key.certificate] if key.certificate is not None else []
    sign_enveloped(
        assertion,
        signer=signer,
        method=algorithm.xmldsig_uri,
        certificates=certificates,
        index=1,
    )
    response = etree.Element(
        _P + "Response",
        {"ID": _new_id(), "Version": "2.0", "IssueInstant": saml_instant(now)},
        nsmap=_NSMAP,
    )
    response.set("Destination", recipient)
    if in_response_to:
        response.set("InResponseTo", in_response_to)
    _sub(response, _A + "Issuer", issuer)
    _sub(_sub(response, _P + "Status"), _P + "StatusCode", Value=STATUS_SUCCESS)
    if encrypt is None:
        encrypt = portal.encryption_certificate is not None
    if encrypt:
        if portal.encryption_certificate is None:
            raise UsageError(f"portal {portal.id} registered no encryption certificate")
        wrapper = _sub(response, _A + "EncryptedAssertion")
        wrapper.append(
            encrypt_element(assertion, portal.encryption_certificate, transport=transport)
        )
    else:
        response.append(assertion)
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
