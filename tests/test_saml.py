"""SAML 2.0: responses issued by eid.sso, imported by eid.sso.saml_import, checked by peers."""

from __future__ import annotations

import base64
import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from eid.errors import (
    AssertionAlgorithmRefused,
    AssertionAudienceMismatch,
    AssertionDecryptionFailed,
    AssertionDestinationMismatch,
    AssertionExpired,
    AssertionInResponseToMismatch,
    AssertionIssuerMismatch,
    AssertionMalformed,
    AssertionNotYetValid,
    AssertionRecipientMismatch,
    AssertionReplayed,
    AssertionSha1Refused,
    AssertionSignatureInvalid,
    AssertionSignatureMissing,
    AssertionStatusError,
    AssertionTooLarge,
    EidError,
    SignatureReferenceInvalid,
    SignedCommentRefused,
    XmlForbidden,
)
from eid.identity import EnterpriseNumber
from eid.sso import BELGIAN, EIDAS, Mandate, MemoryReplayStore, make_statement
from eid.sso.saml import SAML_NS, SAMLP_NS
from eid.sso.saml_response import post_form_value, saml_response
from eid.xmlsig import DSIG_NS, sign_enveloped, software_signer
from tests.saml_support import (
    ACS,
    IDP,
    NOW,
    REQUEST,
    SP,
    do_import,
    idp,
    idp_key,
    issue,
    issued_by_ca,
    saml_portal,
    sign_as_idp,
    statement,
    tree,
)
from tests.sso_support import login, minter
from tests.xmlsig_support import (
    RSA_SHA1,
    RSA_SHA256,
    certificate,
    private_key,
    resign,
    xmlsec1,
)

NS = {"samlp": SAMLP_NS, "saml": SAML_NS, "ds": DSIG_NS}
EIDAS_NAME = "http://eidas.europa.eu/attributes/naturalperson/FamilyName"


def find(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path, NS)
    assert found is not None, path
    return found


def assertion_of(root: etree._Element) -> etree._Element:
    return find(root, "saml:Assertion")


# -- issuing and importing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "algorithms", "method"),
    [
        ("rsa", ("RS256",), "rsa-sha256"),
        ("rsa", ("PS256",), "sha256-rsa-MGF1"),
        ("p256", ("RS256", "ES256"), "ecdsa-sha256"),
        ("p384", ("ES384",), "ecdsa-sha384"),
    ],
)
def test_round_trip(kind: str, algorithms: tuple[str, ...], method: str) -> None:
    portal = saml_portal(algorithms=algorithms)
    message = issue(portal=portal, kind=kind)
    signature_method = find(tree(message), ".//ds:SignatureMethod").get("Algorithm")
    assert signature_method is not None
    assert signature_method.endswith(method)
    imported = do_import(message, kind=kind)
    said = statement(portal)
    assert imported.subject == said.subject.value
    assert imported.issuer == IDP
    assert imported.audience == (SP,)
    assert imported.level == said.level
    assert imported.level_uri == said.level_uri
    assert imported.session_index == find(tree(message), ".//saml:AuthnStatement").get(
        "SessionIndex"
    )
    assert imported.expires_at == NOW + dt.timedelta(minutes=5)
    assert imported.attributes[EIDAS_NAME] == "SPECIMEN"
    assert imported.format == "saml"


def test_every_element_of_the_assertion() -> None:
    assertion = assertion_of(tree(issue()))
    confirmation = find(
        assertion, "saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData"
    )
    assert confirmation.get("Recipient") == ACS
    assert confirmation.get("InResponseTo") == REQUEST
    assert confirmation.get("NotOnOrAfter") == "2026-12-01T12:05:00Z"
    conditions = find(assertion, "saml:Conditions")
    assert conditions.get("NotBefore") == "2026-12-01T12:00:00Z"
    assert find(conditions, "saml:AudienceRestriction/saml:Audience").text == SP
    assert find(assertion, "saml:AuthnStatement").get("SessionIndex")
    assert find(assertion, ".//saml:AuthnContextClassRef").text == "http://eidas.europa.eu/LoA/low"
    name_id = find(assertion, "saml:Subject/saml:NameID")
    assert name_id.get("Format") == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    names = {a.get("Name") for a in assertion.iterfind(".//saml:Attribute", NS)}
    assert names == {
        EIDAS.names["person_identifier"],
        EIDAS.names["given_name"],
        EIDAS.names["family_name"],
    } | ({EIDAS.names["birthdate"]} if "birthdate" in statement().attributes else set())


def test_transient_and_belgian_profile() -> None:
    portal = saml_portal(profile=BELGIAN, attributes=frozenset({"given_name"}))
    said = make_statement(login(), portal, subjects=minter(), transient=True)
    message = saml_response(said, issuer=IDP, key=idp_key(), recipient=ACS, now=NOW)
    name_id = find(tree(message), ".//saml:NameID")
    assert name_id.get("Format") == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    imported = do_import(message, in_response_to=None)
    assert imported.attributes == {"urn:be:eid:attr:givenName": "Alice Maria"}


def test_mandate_travels(tmp_path: Path) -> None:
    from eid.sso import FileMandateSource

    enterprise = "0403.170.701"
    national = str(login().validated.national_number)
    (tmp_path / "m.json").write_text(
        f'{{"{national}": [{{"enterprise": "{enterprise}", "name": "Acme", "role": "director"}}]}}'
    )
    portal = saml_portal(
        profile=BELGIAN,
        may_receive_mandates=True,
        attributes=frozenset(
            {"given_name", "legal_person_identifier", "legal_name", "mandate_role"}
        ),
    )
    said = make_statement(
        login(),
        portal,
        subjects=minter(),
        mandates=FileMandateSource(tmp_path / "m.json"),
        acting_for=enterprise,
    )
    message = saml_response(said, issuer=IDP, key=idp_key(), recipient=ACS, now=NOW)
    imported = do_import(message, in_response_to=None)
    assert imported.mandate == Mandate(EnterpriseNumber.parse(enterprise), "Acme", "director")


def test_post_binding_form_value() -> None:
    form = post_form_value(issue())
    assert do_import(form).subject == statement().subject.value
    wrapped = "\n".join(form[i : i + 76] for i in range(0, len(form), 76))
    assert do_import(wrapped).subject == statement().subject.value


def test_encrypted_assertion_and_signed_response() -> None:
    portal = saml_portal(encryption_certificate=certificate("rsa", "sp"))
    message = issue(portal=portal, sign_response=True)
    root = tree(message)
    assert root.find("saml:Assertion", NS) is None
    assert root.find("saml:EncryptedAssertion", NS) is not None
    assert root.find("ds:Signature", NS) is not None
    assert b"SPECIMEN" not in message
    assert do_import(message).attributes[EIDAS_NAME] == "SPECIMEN"
    with pytest.raises(AssertionDecryptionFailed):
        do_import(message, decryption_keys=[private_key("rsa", "other")])
    with pytest.raises(AssertionDecryptionFailed):
        do_import(message, decryption_keys=[])


def test_a_relative_namespace_in_a_signed_response_is_malformed() -> None:
    """Found by the saml_response fuzz target: a relative namespace URI in the assertion's
    signature, inside the signed Response, raised lxml's C14NError out of the import."""
    message = issue(sign_response=True)
    changed = message.replace(
        f'<ds:Signature xmlns:ds="{DSIG_NS}"'.encode(),
        f'<ds:Signature xmlns:ds="{DSIG_NS}" xmlns:p="httpw/w/:w.w3.org/"'.encode(),
        1,
    )
    assert changed != message
    with pytest.raises(AssertionMalformed, match="no canonical form"):
        do_import(changed)


def test_clock_skew_tolerated() -> None:
    message = issue()
    late = NOW + dt.timedelta(minutes=5, seconds=30)
    assert do_import(message, at=late).subject
    early = NOW - dt.timedelta(seconds=30)
    assert do_import(message, at=early).subject


def test_replay_store_shared() -> None:
    message = issue()
    store = MemoryReplayStore()
    do_import(message, replay=store)
    with pytest.raises(AssertionReplayed):
        do_import(message, replay=store)


def test_xmlsec1_verifies_with_metadata_certificate(tmp_path: Path) -> None:
    from eid.sso import KeySet
    from eid.sso.saml_metadata import idp_from_metadata, idp_metadata

    metadata = idp_metadata(IDP, KeySet(idp_key()), sso_url=IDP + "/sso", now=NOW)
    published = idp_from_metadata(metadata).certificates[0]
    message = issue(sign_response=True)
    id_attr = ("--id-attr:ID", f"{SAML_NS}:Assertion", "--id-attr:ID", f"{SAMLP_NS}:Response")
    assert xmlsec1(tmp_path, message, published, *id_attr) == 0
    root = tree(message)
    find(root, "ds:Signature").getparent().remove(find(root, "ds:Signature"))  # type: ignore[union-attr]
    assert xmlsec1(tmp_path, etree.tostring(root), published, *id_attr) == 0
    tampered = message.replace(b"SPECIMEN", b"MALLORY")
    assert xmlsec1(tmp_path, tampered, published, *id_attr) != 0


def test_sha1_only_where_allowed() -> None:
    root = tree(issue())
    assertion = assertion_of(root)
    assertion.remove(find(assertion, "ds:Signature"))
    sign_as_idp(assertion, RSA_SHA1)
    message = etree.tostring(root)
    with pytest.raises(AssertionSha1Refused):
        do_import(message)
    assert do_import(message, provider=idp(allow_sha1=True)).subject


# -- hostile and tampered responses --------------------------------------------------------------

Mutation = Callable[[etree._Element], etree._Element | bytes]


def _evil_copy(assertion: etree._Element, *, keep_signature: bool = False) -> etree._Element:
    evil = copy.deepcopy(assertion)
    if not keep_signature:
        evil.remove(find(evil, "ds:Signature"))
        evil.set("ID", "_evil")
    find(evil, "saml:Subject/saml:NameID").text = "mallory"
    return evil


def xsw_sibling_before(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    assertion.addprevious(_evil_copy(assertion))
    return root


def xsw_sibling_after(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    assertion.addnext(_evil_copy(assertion))
    return root


def xsw_original_inside_evil(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    evil = _evil_copy(assertion)
    assertion.addprevious(evil)
    evil.append(assertion)
    return root


def xsw_evil_inside_original(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    find(assertion, "saml:Subject").append(_evil_copy(assertion))
    return root


def _into_extensions(root: etree._Element, assertion: etree._Element) -> None:
    """Move ``assertion`` into a new samlp:Extensions after the response's Issuer."""
    extensions = etree.Element(f"{{{SAMLP_NS}}}Extensions")
    find(root, "saml:Issuer").addnext(extensions)
    extensions.append(assertion)


def xsw_moved_to_extensions(root: etree._Element) -> etree._Element:
    _into_extensions(root, assertion_of(root))
    return root


def xsw_moved_evil_in_place(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    assertion.addprevious(_evil_copy(assertion))
    _into_extensions(root, assertion)
    return root


def xsw_in_signature_object(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    evil = _evil_copy(assertion)
    signature = find(assertion, "ds:Signature")
    holder = etree.SubElement(signature, f"{{{DSIG_NS}}}Object")
    holder.append(copy.deepcopy(assertion))
    assertion.addprevious(evil)
    root.remove(assertion)
    evil.insert(1, signature)
    return root


def xsw_signature_moved_to_evil(root: etree._Element) -> etree._Element:
    """The signed assertion is replaced by an evil one with the same ID and its signature."""
    assertion = assertion_of(root)
    evil = _evil_copy(assertion, keep_signature=True)
    assertion.addprevious(evil)
    root.remove(assertion)
    return root


def xsw_duplicated(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    assertion.addnext(copy.deepcopy(assertion))
    return root


def xsw_in_advice(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    advice = etree.Element(f"{{{SAML_NS}}}Advice")
    advice.append(_evil_copy(assertion))
    find(assertion, "saml:Conditions").append(advice)
    return root


def id_changed(root: etree._Element) -> etree._Element:
    assertion_of(root).set("ID", "_evil")
    return root


def duplicate_id_elsewhere(root: etree._Element) -> etree._Element:
    extensions = etree.Element(f"{{{SAMLP_NS}}}Extensions", ID=str(assertion_of(root).get("ID")))
    find(root, "saml:Issuer").addnext(extensions)
    return root


def _split_by_comment(element: etree._Element, at: int, comment: str) -> None:
    """Cut ``element``'s text after ``at`` characters with a comment holding ``comment``."""
    text = element.text or ""
    element.text = text[:at]
    inserted = etree.Comment(comment)
    inserted.tail = text[at:]
    element.append(inserted)


def comment_in_name_id(root: etree._Element) -> etree._Element:
    _split_by_comment(find(root, "saml:Assertion/saml:Subject/saml:NameID"), 5, "x")
    return root


def comment_in_attribute_value(root: etree._Element) -> etree._Element:
    _split_by_comment(find(root, ".//saml:AttributeValue"), 3, "")
    return root


def unsigned_assertion_in_signed_response(root: etree._Element) -> etree._Element:
    sign_as_idp(signature_removed(root))
    return root


def signature_removed(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    assertion.remove(find(assertion, "ds:Signature"))
    return root


def two_signed_assertions(root: etree._Element) -> etree._Element:
    other = assertion_of(tree(issue()))
    assertion_of(root).addnext(other)
    return root


def name_id_tampered(root: etree._Element) -> etree._Element:
    find(root, "saml:Assertion/saml:Subject/saml:NameID").text = "mallory"
    return root


def attribute_tampered(root: etree._Element) -> etree._Element:
    find(root, ".//saml:AttributeValue").text = "MALLORY"
    return root


def audience_tampered(root: etree._Element) -> etree._Element:
    find(root, ".//saml:Audience").text = "https://evil.example"
    return root


def _sign_as_attacker(element: etree._Element) -> None:
    """Sign ``element`` with an attacker's RSA key, its certificate in KeyInfo."""
    sign_enveloped(
        element,
        signer=software_signer(private_key("rsa", "attacker"), RSA_SHA256),
        method=RSA_SHA256,
        certificates=[certificate("rsa", "attacker")],
        index=1,
    )


def signed_by_attacker(root: etree._Element) -> etree._Element:
    _sign_as_attacker(assertion_of(signature_removed(root)))
    return root


def hmac_method(root: etree._Element) -> etree._Element:
    find(root, ".//ds:SignatureMethod").set(
        "Algorithm", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
    )
    return root


def xpath_transform(root: etree._Element) -> etree._Element:
    find(root, ".//ds:Transform[2]").set(
        "Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116"
    )
    return root


def two_references(root: etree._Element) -> etree._Element:
    signature = find(assertion_of(root), "ds:Signature")
    reference = find(signature, "ds:SignedInfo/ds:Reference")
    reference.addnext(copy.deepcopy(reference))
    resign(signature)
    return root


def two_signatures(root: etree._Element) -> etree._Element:
    assertion = assertion_of(root)
    find(assertion, "ds:Signature").addnext(copy.deepcopy(find(assertion, "ds:Signature")))
    return root


def signed_response_tampered(root: etree._Element) -> etree._Element:
    sign_as_idp(root)
    root.set("Destination", "https://evil.example/acs")
    return root


def destination_changed(root: etree._Element) -> etree._Element:
    root.set("Destination", "https://evil.example/acs")
    return root


def status_failed(root: etree._Element) -> etree._Element:
    find(root, "samlp:Status/samlp:StatusCode").set(
        "Value", "urn:oasis:names:tc:SAML:2.0:status:Responder"
    )
    return root


def response_issuer_changed(root: etree._Element) -> etree._Element:
    find(root, "saml:Issuer").text = "https://evil.example"
    return root


def response_in_response_to_changed(root: etree._Element) -> etree._Element:
    root.set("InResponseTo", "_other-request")
    return root


def xxe(root: etree._Element) -> bytes:
    return (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + etree.tostring(root).replace(b"SPECIMEN", b"&x;")
    )


def billion_laughs(root: etree._Element) -> bytes:
    entities = b'<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %c "%s">' % (ord("b") + i, (b"&%c;" % (ord("a") + i)) * 10) for i in range(8)
    )
    return b"<!DOCTYPE r [" + entities + b"]>" + etree.tostring(root).replace(b"SPECIMEN", b"&i;")


def external_dtd(root: etree._Element) -> bytes:
    return b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">' + etree.tostring(root)


def not_a_response(root: etree._Element) -> bytes:
    return etree.tostring(assertion_of(root))


HOSTILE: dict[str, tuple[Mutation, type[EidError]]] = {
    "xsw evil sibling before": (xsw_sibling_before, AssertionMalformed),
    "xsw evil sibling after": (xsw_sibling_after, AssertionMalformed),
    "xsw original wrapped in evil": (xsw_original_inside_evil, AssertionMalformed),
    "xsw evil nested in original": (xsw_evil_inside_original, AssertionMalformed),
    "xsw original moved to extensions": (xsw_moved_to_extensions, AssertionMalformed),
    "xsw moved, evil in its place": (xsw_moved_evil_in_place, AssertionMalformed),
    "xsw original in signature object": (xsw_in_signature_object, AssertionMalformed),
    "xsw signature moved to evil": (xsw_signature_moved_to_evil, AssertionSignatureInvalid),
    "xsw duplicated assertion": (xsw_duplicated, AssertionMalformed),
    "xsw evil in advice": (xsw_in_advice, AssertionMalformed),
    "reference to another id": (id_changed, SignatureReferenceInvalid),
    "duplicate id elsewhere": (duplicate_id_elsewhere, SignatureReferenceInvalid),
    "comment in name id": (comment_in_name_id, SignedCommentRefused),
    "comment in attribute value": (comment_in_attribute_value, SignedCommentRefused),
    "signed response, unsigned assertion": (
        unsigned_assertion_in_signed_response,
        AssertionSignatureMissing,
    ),
    "signature removed": (signature_removed, AssertionSignatureMissing),
    "two signed assertions": (two_signed_assertions, AssertionMalformed),
    "name id tampered": (name_id_tampered, AssertionSignatureInvalid),
    "attribute tampered": (attribute_tampered, AssertionSignatureInvalid),
    "audience tampered": (audience_tampered, AssertionSignatureInvalid),
    "signed by an attacker's key in KeyInfo": (signed_by_attacker, AssertionSignatureInvalid),
    "hmac signature method": (hmac_method, AssertionAlgorithmRefused),
    "xpath transform": (xpath_transform, AssertionAlgorithmRefused),
    "two references": (two_references, SignatureReferenceInvalid),
    "two signatures": (two_signatures, SignatureReferenceInvalid),
    "signed response tampered": (signed_response_tampered, AssertionSignatureInvalid),
    "destination changed": (destination_changed, AssertionDestinationMismatch),
    "status not success": (status_failed, AssertionStatusError),
    "response issuer changed": (response_issuer_changed, AssertionIssuerMismatch),
    "response answers another request": (
        response_in_response_to_changed,
        AssertionInResponseToMismatch,
    ),
    "xxe": (xxe, XmlForbidden),
    "billion laughs": (billion_laughs, XmlForbidden),
    "external dtd": (external_dtd, XmlForbidden),
    "bare assertion": (not_a_response, AssertionMalformed),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_response_refused(name: str) -> None:
    mutate, error = HOSTILE[name]
    mutated = mutate(tree(issue()))
    message = mutated if isinstance(mutated, bytes) else etree.tostring(mutated)
    with pytest.raises(error) as raised:
        do_import(message)
    assert type(raised.value) is error


def _response_signed_only() -> etree._Element:
    return signature_removed(tree(issue()))


def _made(
    change: Callable[[etree._Element], object], *, signed_after: bool
) -> Callable[[], etree._Element]:
    """A Response signed only by the IdP, with ``change`` made before or after signing."""

    def made() -> etree._Element:
        root = _response_signed_only()
        if signed_after:
            change(root)
        sign_as_idp(root)
        if not signed_after:
            change(root)
        return root

    return made


def _then_signed(change: Callable[[etree._Element], object]) -> Callable[[], etree._Element]:
    return _made(change, signed_after=True)


def _signed_then(change: Callable[[etree._Element], object]) -> Callable[[], etree._Element]:
    return _made(change, signed_after=False)


def _wrapped_in_evil_response(root: etree._Element) -> None:
    """The signed Response moved into the Extensions of an evil one around an evil assertion."""
    original = copy.deepcopy(root)
    root.remove(find(root, "ds:Signature"))
    find(root, "saml:Assertion/saml:Subject/saml:NameID").text = "mallory"
    _into_extensions(root, original)


def _attacker_signed() -> etree._Element:
    root = _response_signed_only()
    _sign_as_attacker(root)
    return root


RESPONSE_SIGNED_ONLY: dict[str, tuple[Callable[[], etree._Element], type[EidError]]] = {
    "name id tampered": (
        _signed_then(lambda r: setattr(find(r, ".//saml:NameID"), "text", "mallory")),
        AssertionSignatureInvalid,
    ),
    "evil assertion added": (
        _signed_then(lambda r: assertion_of(r).addnext(_evil_copy(assertion_of(r), keep_signature=True))),
        AssertionSignatureInvalid,
    ),
    "two assertions signed": (
        _then_signed(lambda r: assertion_of(r).addnext(_evil_copy(assertion_of(r), keep_signature=True))),
        AssertionMalformed,
    ),
    "comment in name id": (_then_signed(comment_in_name_id), SignedCommentRefused),
    "signature removed": (_response_signed_only, AssertionSignatureMissing),
    "wrapped in an evil response": (
        _signed_then(_wrapped_in_evil_response),
        AssertionMalformed,
    ),
    "signed by an attacker": (_attacker_signed, AssertionSignatureInvalid),
}  # fmt: skip


def test_a_response_signature_covers_its_assertion_only_where_allowed() -> None:
    """Keycloak and the Shibboleth IdP sign the Response only, by default."""
    relaxed = idp(require_signed_assertion=False)
    message = etree.tostring(_then_signed(lambda r: None)())
    with pytest.raises(AssertionSignatureMissing):
        do_import(message)
    assert do_import(message, provider=relaxed).subject == statement().subject.value


@pytest.mark.parametrize("name", list(RESPONSE_SIGNED_ONLY))
def test_hostile_response_signed_only_refused(name: str) -> None:
    make, error = RESPONSE_SIGNED_ONLY[name]
    with pytest.raises(error) as raised:
        do_import(etree.tostring(make()), provider=idp(require_signed_assertion=False))
    assert type(raised.value) is error


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"audience": "https://other-sp.example"}, AssertionAudienceMismatch),
        ({"recipient": "https://sp.example.test/other-acs"}, AssertionDestinationMismatch),
        ({"at": NOW + dt.timedelta(minutes=7)}, AssertionExpired),
        ({"at": NOW - dt.timedelta(minutes=2)}, AssertionNotYetValid),
        ({"in_response_to": "_another-request"}, AssertionInResponseToMismatch),
        ({"in_response_to": None}, AssertionInResponseToMismatch),
        ({"provider": idp(kind="p256")}, AssertionAlgorithmRefused),
        ({"provider": idp(methods=frozenset({"urn:other"}))}, AssertionAlgorithmRefused),
        ({"max_size": 1000}, AssertionTooLarge),
        ({"max_size": len(issue()) - 1}, AssertionTooLarge),
    ],
)
def test_portal_side_checks(changes: dict[str, object], error: type[EidError]) -> None:
    with pytest.raises(error) as raised:
        do_import(issue(), **changes)
    assert type(raised.value) is error


def test_recipient_checked_in_the_assertion() -> None:
    """Without a Destination on the response, the signed Recipient still decides."""
    root = tree(issue())
    del root.attrib["Destination"]
    with pytest.raises(AssertionRecipientMismatch):
        do_import(etree.tostring(root), recipient="https://sp.example.test/other-acs")


def test_issuer_checked_in_the_assertion() -> None:
    message = issue()
    other = idp()
    from dataclasses import replace

    with pytest.raises(AssertionIssuerMismatch):
        do_import(message, provider=replace(other, entity_id="https://other-idp.example"))


def test_status_with_second_level_code() -> None:
    root = tree(issue())
    code = find(root, "samlp:Status/samlp:StatusCode")
    code.set("Value", "urn:oasis:names:tc:SAML:2.0:status:Requester")
    etree.SubElement(
        code, f"{{{SAMLP_NS}}}StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
    )
    with pytest.raises(AssertionStatusError, match="AuthnFailed"):
        do_import(etree.tostring(root))


def test_garbage_is_malformed() -> None:
    with pytest.raises(AssertionMalformed):
        do_import(b"not xml and not base64 !")
    with pytest.raises(AssertionMalformed):
        do_import(base64.b64encode(b"<samlp:Response"))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300))
def test_import_never_fails_otherwise(message: bytes | str) -> None:
    with pytest.raises(EidError):
        do_import(message)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_flipped_byte_never_changes_what_is_imported(position: int, flip: int) -> None:
    data = bytearray(_MESSAGE)
    index = position % len(data)
    data[index] ^= flip
    try:
        imported = do_import(bytes(data))
    except EidError:
        return
    assert imported == _IMPORTED


_MESSAGE = issue()
_IMPORTED = do_import(_MESSAGE)


def test_issued_assertion_is_written_canonical() -> None:
    """The assertion is signed as written: its canonical form without the signature is itself."""
    from eid.xmlsig import canonicalize

    message = issue()
    start = message.index(b"<saml:Assertion")
    end = message.index(b"</saml:Assertion>") + len(b"</saml:Assertion>")
    written = message[start:end]
    signature = written[written.index(b"<ds:Signature") : written.index(b"</ds:Signature>") + 15]
    unsigned = written.replace(signature, b"")
    assert canonicalize(etree.fromstring(unsigned)) == unsigned


def test_pinned_key_without_entity_id() -> None:
    """Without an entity ID the pinned key decides; Response and Assertion must still agree."""
    from dataclasses import replace

    anyone = replace(idp(), entity_id=None)
    assert do_import(issue(), provider=anyone).issuer == IDP
    root = tree(issue())
    find(root, "saml:Issuer").text = "https://evil.example"
    with pytest.raises(AssertionIssuerMismatch):
        do_import(etree.tostring(root), provider=anyone)


def test_pinned_certificate_dates_ignored_unless_pkix_asked() -> None:
    from eid.errors import CertificateExpired, CertificateUntrusted
    from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
    from eid.sso import ProviderKey
    from eid.sso.saml_import import SamlIdentityProvider

    off = RevocationSettings(policy=RevocationPolicy.OFF)
    key = private_key("rsa", "pkix")
    assert isinstance(key, rsa.RSAPrivateKey)
    ca, expired = issued_by_ca(NOW - dt.timedelta(days=60), NOW - dt.timedelta(days=1))
    message = saml_response(
        statement(), issuer=IDP, key=ProviderKey.from_private_key(key, expired), recipient=ACS,
        now=NOW, in_response_to=REQUEST,
    )  # fmt: skip
    assert do_import(message, provider=SamlIdentityProvider(IDP, (expired,))).issuer == IDP
    pkix = SamlIdentityProvider(IDP, (expired,), trust=TrustStore([ca]), revocation=off)
    with pytest.raises(CertificateExpired):
        do_import(message, provider=pkix)
    _, valid = issued_by_ca(NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=60))
    trusted = SamlIdentityProvider(IDP, (valid,), trust=TrustStore([ca]), revocation=off)
    assert do_import(message, provider=trusted).issuer == IDP
    other = SamlIdentityProvider(
        IDP, (valid,), trust=TrustStore([certificate("p384", "other-ca")]), revocation=off
    )
    with pytest.raises(CertificateUntrusted):
        do_import(message, provider=other)


def test_one_time_use_across_instances_with_redis(tmp_path: Path) -> None:
    """Two portal instances share a Redis replay store: the second import is a replay. A
    refused import does not use the assertion up (the replay store is the last check)."""
    from eid.sso import RedisReplayStore
    from tests.redis_server import redis_server

    message = issue()
    with redis_server(tmp_path) as url:
        first, second = (RedisReplayStore.from_url(url) for _ in range(2))
        with pytest.raises(AssertionAudienceMismatch):
            do_import(message, replay=first, audience="https://other-sp.example")
        assert do_import(message, replay=first).subject
        with pytest.raises(AssertionReplayed):
            do_import(message, replay=second)
