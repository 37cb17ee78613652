"""A python3-saml (OneLogin) service provider for the provider's SAML tests.

Its settings are built here (entity ID, ACS and SLS URLs, its own key and certificate);
the identity provider's part comes from our metadata through python3-saml's
`OneLogin_Saml2_IdPMetadataParser`. Requests reach python3-saml as its ``request_data``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

LOA_LOW = "http://eidas.europa.eu/LoA/low"
REQUESTED = ("urn:be:eid:attr:givenName", "urn:be:eid:attr:familyName")
"""The attributes the SP's metadata requests (Belgian profile names)."""


def onelogin_settings(
    *,
    entity_id: str,
    acs: str,
    sls: str,
    key_pem: str,
    cert_pem: str,
    next_cert_pem: str | None = None,
    idp_metadata: bytes | None = None,
    encrypted: bool = False,
    idp_certificate: str | None = None,
    authn_requests_signed: bool = True,
    messages_signed: bool = False,
) -> OneLogin_Saml2_Settings:
    """Strict settings of an SP that signs its requests (RSA-SHA256) and wants signed assertions.

    ``encrypted``: it wants them encrypted too (its metadata then publishes an encryption
    certificate). ``next_cert_pem``: the certificate of its next key, published beside the
    current one (python3-saml's rollover). Without ``idp_metadata`` only the SP part is set
    (enough for its metadata); ``idp_certificate`` replaces the IdP certificate read from it.
    ``authn_requests_signed=False`` makes it leave its AuthnRequests unsigned;
    ``messages_signed`` makes it want every message signed (the Response too, not only its
    assertion).
    """
    settings: dict[str, Any] = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": entity_id,
            "assertionConsumerService": {"url": acs, "binding": C.BINDING_HTTP_POST},
            "singleLogoutService": {"url": sls, "binding": C.BINDING_HTTP_REDIRECT},
            "NameIDFormat": C.NAMEID_PERSISTENT,
            "x509cert": cert_pem,
            "privateKey": key_pem,
            "attributeConsumingService": {
                "serviceName": "Tax-on-web",
                "requestedAttributes": [
                    {"name": name, "nameFormat": C.ATTRNAME_FORMAT_URI, "isRequired": True}
                    for name in REQUESTED
                ],
            },
        },
        "security": {
            "authnRequestsSigned": authn_requests_signed,
            "logoutRequestSigned": True,
            "logoutResponseSigned": True,
            "signMetadata": False,
            "wantMessagesSigned": messages_signed,
            "wantAssertionsSigned": True,
            "wantAssertionsEncrypted": encrypted,
            "wantNameId": True,
            "wantAttributeStatement": True,
            "wantXMLValidation": True,
            "signatureAlgorithm": C.RSA_SHA256,
            "digestAlgorithm": C.SHA256,
            "rejectDeprecatedAlgorithm": True,
            "requestedAuthnContext": [LOA_LOW],
            "requestedAuthnContextComparison": "minimum",
            "failOnAuthnContextMismatch": True,
        },
    }
    if next_cert_pem is not None:
        settings["sp"]["x509certNew"] = next_cert_pem
    if idp_metadata is None:
        return OneLogin_Saml2_Settings(settings, sp_validation_only=True)
    idp = OneLogin_Saml2_IdPMetadataParser.parse(
        idp_metadata.decode(),
        required_sso_binding=C.BINDING_HTTP_REDIRECT,
        required_slo_binding=C.BINDING_HTTP_REDIRECT,
    )["idp"]
    if idp_certificate is not None:
        idp.pop("x509certMulti", None)
        idp["x509cert"] = idp_certificate
    settings["idp"] = idp
    return OneLogin_Saml2_Settings(settings)


def request_data(url: str, *, post: dict[str, str] | None = None) -> dict[str, Any]:
    """python3-saml's view of a request to ``url`` (its query as ``get_data``; a POST form)."""
    parts = urlsplit(url)
    return {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": parts.path,
        "get_data": {k: v[0] for k, v in parse_qs(parts.query).items()},
        "post_data": post or {},
        "query_string": parts.query,
    }
