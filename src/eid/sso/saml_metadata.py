"""SAML 2.0 metadata: the identity provider's (signed), and reading a portal's or a provider's.

`idp_metadata` publishes an ``EntityDescriptor`` with an ``IDPSSODescriptor``: a signing
``KeyDescriptor`` for every published key with a certificate (active, next and passive, so
portals learn a key before it signs), an optional encryption ``KeyDescriptor``, the single
logout endpoints when there are any, the NameID formats and the single sign-on endpoints,
and whether AuthnRequests must be signed; it is signed with the active key.
`sp_from_metadata` reads a service provider's ``SPSSODescriptor`` (endpoints, keys, whether
it signs its requests) and `portal_from_sp_metadata` registers a SAML portal from it;
`idp_from_metadata` gives a portal the `SamlIdentityProvider` of an IdP's metadata.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from lxml import etree

from eid.errors import MalformedInput, MetadataExpired
from eid.sso.algorithms import ALGORITHMS
from eid.sso.attributes import PROFILES
from eid.sso.keys import KeySet
from eid.sso.portals import Portal
from eid.sso.saml import (
    LOGOUT_BINDINGS,
    MD_NS,
    NAMEID_FORMATS,
    NAMEID_TRANSIENT,
    POST_BINDING,
    REDIRECT_BINDING,
    LogoutEndpoint,
    parse_index,
    parse_instant,
    saml_instant,
)
from eid.sso.saml_encryption import DEFAULT_ENCRYPTION, AssertionEncryption, choose_encryption
from eid.sso.saml_import import SamlIdentityProvider
from eid.xmlsig import DSIG_NS, parse_xml, public_keys, sign_enveloped, verify_enveloped

__all__ = [
    "ServiceProviderMetadata",
    "idp_from_metadata",
    "idp_metadata",
    "portal_from_sp_metadata",
    "sp_from_metadata",
]

_MD = f"{{{MD_NS}}}"
_DS = f"{{{DSIG_NS}}}"
_SOURCE = "SAML metadata"
_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"


def _key_descriptor(parent: etree._Element, use: str, certificate: x509.Certificate) -> None:
    descriptor = etree.SubElement(parent, _MD + "KeyDescriptor", use=use)
    key_info = etree.SubElement(descriptor, _DS + "KeyInfo", nsmap={"ds": DSIG_NS})
    data = etree.SubElement(key_info, _DS + "X509Data")
    der = certificate.public_bytes(serialization.Encoding.DER)
    etree.SubElement(data, _DS + "X509Certificate").text = base64.b64encode(der).decode()


def idp_metadata(
    entity_id: str,
    keys: KeySet,
    *,
    sso_url: str,
    now: dt.datetime,
    valid_for: dt.timedelta = dt.timedelta(days=7),
    encryption_certificate: x509.Certificate | None = None,
    slo_url: str | None = None,
    want_requests_signed: bool = False,
) -> bytes:
    """The identity provider's metadata, signed with ``keys.active`` (XML bytes).

    ``sso_url`` receives AuthnRequests, and ``slo_url`` (when given) logout messages, by the
    Redirect and POST bindings; ``want_requests_signed`` says every AuthnRequest must be signed.
    """
    root = etree.Element(
        _MD + "EntityDescriptor",
        {"ID": "_metadata", "entityID": entity_id, "validUntil": saml_instant(now + valid_for)},
        nsmap={"md": MD_NS},
    )
    descriptor = etree.SubElement(
        root,
        _MD + "IDPSSODescriptor",
        WantAuthnRequestsSigned="true" if want_requests_signed else "false",
        protocolSupportEnumeration=_PROTOCOL,
    )
    for key in keys:
        if key.certificate is not None:
            _key_descriptor(descriptor, "signing", key.certificate)
    if encryption_certificate is not None:
        _key_descriptor(descriptor, "encryption", encryption_certificate)
    if slo_url is not None:
        for binding in (REDIRECT_BINDING, POST_BINDING):
            etree.SubElement(
                descriptor, _MD + "SingleLogoutService", Binding=binding, Location=slo_url
            )
    for name_format in NAMEID_FORMATS.values():
        etree.SubElement(descriptor, _MD + "NameIDFormat").text = name_format
    for binding in (POST_BINDING, REDIRECT_BINDING):
        etree.SubElement(descriptor, _MD + "SingleSignOnService", Binding=binding, Location=sso_url)
    active = keys.active
    name = active.choose_algorithm(tuple(ALGORITHMS))
    sign_enveloped(
        root,
        signer=lambda data: active.sign(data, name),
        method=ALGORITHMS[name].xmldsig_uri,
        certificates=[active.certificate] if active.certificate is not None else [],
        index=0,
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _certificates(descriptor: etree._Element, uses: Sequence[str]) -> list[x509.Certificate]:
    found = []
    for key_descriptor in descriptor.findall(_MD + "KeyDescriptor"):
        if key_descriptor.get("use", "") not in uses:
            continue
        for value in key_descriptor.iterfind(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate"):
            try:
                der = base64.b64decode("".join((value.text or "").split()), validate=True)
                certificate = x509.load_der_x509_certificate(der)
                certificate.public_key()  # read lazily by cryptography: read it here
            except (binascii.Error, ValueError, UnsupportedAlgorithm, x509.InvalidVersion):
                raise MalformedInput(
                    "a KeyDescriptor certificate cannot be read", source=_SOURCE
                ) from None
            found.append(certificate)
    return found


def _entity(data: bytes, role: str) -> tuple[etree._Element, etree._Element]:
    root = parse_xml(data, source=_SOURCE)
    if root.tag != _MD + "EntityDescriptor" or not root.get("entityID"):
        raise MalformedInput("not a SAML EntityDescriptor with an entityID", source=_SOURCE)
    descriptors = root.findall(_MD + role)
    if len(descriptors) != 1:
        raise MalformedInput(f"the metadata must hold one {role}", source=_SOURCE)
    return root, descriptors[0]


def _valid_until(*elements: etree._Element) -> dt.datetime | None:
    """The earliest ``validUntil`` of ``elements`` (SAML metadata 2.3.1), None without one."""
    ends = [
        parse_instant(element.get("validUntil"), "validUntil")
        for element in elements
        if element.get("validUntil") is not None
    ]
    return min(ends, default=None)


def idp_from_metadata(
    data: bytes,
    *,
    signer: x509.Certificate | None = None,
    allow_sha1: bool = False,
    require_signed_assertion: bool = True,
    allow_cbc: bool = False,
    at: dt.datetime | None = None,
) -> SamlIdentityProvider:
    """The identity provider described by metadata ``data``: its entity ID and signing keys.

    With ``signer``, the metadata must be signed by that certificate's key, and only the
    signed content is read. Without it, the metadata is trusted as a local file. Metadata
    past its ``validUntil`` at ``at`` (default now) is `MetadataExpired`, and the provider
    returned stops verifying when it passes. ``allow_sha1``, ``require_signed_assertion`` and
    ``allow_cbc`` are the portal's policy for this provider (`SamlIdentityProvider`).
    """
    root, _ = _entity(data, "IDPSSODescriptor")
    if signer is not None:
        root = verify_enveloped(root, keys=public_keys([signer])).element
    descriptor = root.find(_MD + "IDPSSODescriptor")
    assert descriptor is not None
    certificates = _certificates(descriptor, ("signing", ""))
    if not certificates:
        raise MalformedInput("the identity provider publishes no signing key", source=_SOURCE)
    valid_until = _valid_until(root, descriptor)
    if valid_until is not None and (at or dt.datetime.now(dt.UTC)) >= valid_until:
        raise MetadataExpired(f"the metadata expired at {valid_until.isoformat()}")
    return SamlIdentityProvider(
        entity_id=str(root.get("entityID")),
        certificates=tuple(certificates),
        allow_sha1=allow_sha1,
        require_signed_assertion=require_signed_assertion,
        allow_cbc=allow_cbc,
        valid_until=valid_until,
    )


@dataclass(frozen=True)
class ServiceProviderMetadata:
    """What a service provider's ``SPSSODescriptor`` says about it.

    ``acs_urls`` are its AssertionConsumerServices of the POST binding, the default first
    (SAML metadata 2.2.3: the first with ``isDefault`` true, else the first without
    ``isDefault`` false, else the first), ``acs_indexes`` their (index, URL) pairs;
    ``logout_endpoints`` its SingleLogoutServices of the Redirect and POST bindings, in the
    order listed (`eid.sso.saml.logout_endpoint` chooses one); ``signing_certificates``
    the keys its requests are signed with (KeyDescriptor for signing or for any use,
    several during a rollover), ``encryption_certificate`` the first for encryption or any
    use, ``encryption`` the methods chosen from that KeyDescriptor's EncryptionMethods
    (`eid.sso.saml_encryption.choose_encryption`); ``authn_requests_signed`` its
    ``AuthnRequestsSigned`` (it signs every AuthnRequest).
    """

    entity_id: str
    acs_urls: tuple[str, ...]
    logout_endpoints: tuple[LogoutEndpoint, ...]
    signing_certificates: tuple[x509.Certificate, ...]
    encryption_certificate: x509.Certificate | None
    authn_requests_signed: bool
    name_id_formats: frozenset[str]
    requested_attributes: frozenset[str]
    acs_indexes: tuple[tuple[int, str], ...] = ()
    encryption: AssertionEncryption = DEFAULT_ENCRYPTION

    @property
    def transient_only(self) -> bool:
        """Whether it asks for transient NameIDs and nothing else."""
        return self.name_id_formats == {NAMEID_TRANSIENT}

    def profile(self) -> str:
        """The known SAML attribute profile its RequestedAttributes are named in (else Belgian)."""
        return next(
            (
                p.name
                for p in PROFILES.values()
                if p.name_format and self.requested_attributes & set(p.names.values())
            ),
            "belgian",
        )

    def attributes(self, profile: str) -> frozenset[str]:
        """The canonical attributes it requests under ``profile`` (never the national number)."""
        names = PROFILES[profile].names
        requested = self.requested_attributes
        return frozenset(key for key, name in names.items() if name in requested) - {
            "national_number"
        }


_TRUE = {"true": True, "1": True, "false": False, "0": False}


def _boolean(element: etree._Element, name: str) -> bool | None:
    """The ``xs:boolean`` attribute ``name`` of ``element`` (None without it)."""
    value = element.get(name)
    if value is None:
        return None
    parsed = _TRUE.get(value.strip(" \t\r\n"))
    if parsed is None:
        raise MalformedInput(f"{name} is not a boolean", source=_SOURCE)
    return parsed


def _assertion_consumers(
    descriptor: etree._Element,
) -> tuple[tuple[str, ...], tuple[tuple[int, str], ...]]:
    """The POST-binding ACS URLs, the default first, and the (index, URL) of each."""
    services: list[tuple[str, bool | None]] = []
    indexes: dict[int, str] = {}
    seen: set[int] = set()
    for service in descriptor.findall(_MD + "AssertionConsumerService"):
        index = parse_index(service.get("index"))
        if service.get("index") is not None and index is None:
            raise MalformedInput("an ACS index is not a number from 0 to 65535", source=_SOURCE)
        if index in seen:
            raise MalformedInput(f"two ACS have index {index}", source=_SOURCE)
        is_default = _boolean(service, "isDefault")
        location = service.get("Location")
        if index is not None:
            seen.add(index)
        if service.get("Binding") == POST_BINDING and location:
            services.append((location, is_default))
            if index is not None:
                indexes[index] = location
    if not services:
        raise MalformedInput("no AssertionConsumerService with the POST binding", source=_SOURCE)
    default = next(
        (url for url, flag in services if flag is True),
        next((url for url, flag in services if flag is None), services[0][0]),
    )
    urls = tuple(dict.fromkeys([default, *(url for url, _ in services)]))
    return urls, tuple(sorted(indexes.items()))


def _encryption_methods(descriptor: etree._Element) -> list[etree._Element]:
    """The EncryptionMethods of the first KeyDescriptor for encryption (or any use) with a key."""
    for key_descriptor in descriptor.findall(_MD + "KeyDescriptor"):
        if (
            key_descriptor.get("use", "") in ("encryption", "")
            and key_descriptor.find(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate") is not None
        ):
            return key_descriptor.findall(_MD + "EncryptionMethod")
    return []


def _logout_endpoints(descriptor: etree._Element) -> tuple[LogoutEndpoint, ...]:
    """The SingleLogoutServices of the Redirect and POST bindings that have a Location.

    Those of other bindings, such as SOAP, are left out; an empty ResponseLocation is none.
    """
    return tuple(
        LogoutEndpoint(
            binding=str(service.get("Binding")),
            location=str(service.get("Location")),
            response_location=service.get("ResponseLocation") or None,
        )
        for service in descriptor.findall(_MD + "SingleLogoutService")
        if service.get("Binding") in LOGOUT_BINDINGS and service.get("Location")
    )


def sp_from_metadata(data: bytes) -> ServiceProviderMetadata:
    """Read a service provider's metadata ``data`` (trusted as the registration it is)."""
    root, descriptor = _entity(data, "SPSSODescriptor")
    entity_id = str(root.get("entityID"))
    acs_urls, acs_indexes = _assertion_consumers(descriptor)
    signed = bool(_boolean(descriptor, "AuthnRequestsSigned"))
    signing = tuple(_certificates(descriptor, ("signing", "")))
    if signed and not signing:
        raise MalformedInput("AuthnRequestsSigned without a signing certificate", source=_SOURCE)
    encryption = _certificates(descriptor, ("encryption", ""))
    return ServiceProviderMetadata(
        entity_id=entity_id,
        acs_urls=acs_urls,
        acs_indexes=acs_indexes,
        encryption=choose_encryption(_encryption_methods(descriptor), portal=entity_id),
        logout_endpoints=_logout_endpoints(descriptor),
        signing_certificates=signing,
        encryption_certificate=encryption[0] if encryption else None,
        authn_requests_signed=signed,
        name_id_formats=frozenset(
            (f.text or "").strip() for f in descriptor.findall(_MD + "NameIDFormat")
        ),
        requested_attributes=frozenset(
            str(r.get("Name"))
            for r in descriptor.iterfind(f"{_MD}AttributeConsumingService/{_MD}RequestedAttribute")
        ),
    )


def portal_from_sp_metadata(
    data: bytes,
    *,
    attributes: frozenset[str] | None = None,
    profile: str | None = None,
    **registration: object,
) -> Portal:
    """A SAML portal registered from its SP metadata ``data``.

    Its ACS URLs (POST binding, the default first) and their indexes become the endpoints,
    an encryption certificate (a KeyDescriptor for encryption or for any use) and the
    encryption chosen from its EncryptionMethods the portal's; a service provider that
    asks only for transient NameIDs gets transient subjects. ``attributes`` and ``profile``
    default to the RequestedAttributes it names in a known profile (eIDAS, Belgian).
    Other ``registration`` keywords go to `Portal`.
    """
    sp = sp_from_metadata(data)
    profile = profile or sp.profile()
    options: dict[str, object] = {"subject_kind": "transient"} if sp.transient_only else {}
    options.update(registration)
    return Portal(
        id=sp.entity_id,
        kind="saml",
        endpoints=sp.acs_urls,
        attributes=sp.attributes(profile) if attributes is None else attributes,
        profile=PROFILES[profile],
        encryption_certificate=sp.encryption_certificate,
        acs_indexes=sp.acs_indexes,
        encryption=sp.encryption,
        **options,  # type: ignore[arg-type]
    )
