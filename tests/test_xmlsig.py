"""eid.xmlsig: hardened parsing, enveloped signatures, and the cross-check against peers."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path

import pytest
import xmlsec
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from signxml import XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod

from eid.errors import (
    AlgorithmRefused,
    EidError,
    MalformedInput,
    Sha1Refused,
    SignatureInvalid,
    SignatureMissing,
    SignatureReferenceInvalid,
    SignedCommentRefused,
    UsageError,
    XmlForbidden,
)
from eid.xmlsig import (
    DSIG_NS,
    canonicalize,
    parse_xml,
    public_keys,
    sign_enveloped,
    software_signer,
    verify_enveloped,
    writer,
)
from eid.xmlsig.read import children_by_tag
from tests.xmlsig_support import (
    ASSERTION_NS,
    ECDSA_SHA256,
    ECDSA_SHA384,
    NS,
    RSA_PSS_SHA256,
    RSA_SHA1,
    RSA_SHA256,
    RSA_SHA384,
    RSA_SHA512,
    SHA1,
    certificate,
    document,
    key_pem,
    pem,
    private_key,
    resign,
    xmlsec1,
)

METHODS = [
    ("rsa", RSA_SHA256),
    ("rsa", RSA_SHA384),
    ("rsa", RSA_SHA512),
    ("rsa", RSA_PSS_SHA256),
    ("p256", ECDSA_SHA256),
    ("p384", ECDSA_SHA384),
]


def signed(kind: str = "rsa", method: str = RSA_SHA256, **options: object) -> etree._Element:
    """A document whose assertion carries our enveloped signature."""
    root = document()
    sign_enveloped(
        root[0],
        signer=software_signer(private_key(kind), method),
        method=method,
        certificates=[certificate(kind)],
        index=1,
        **options,  # type: ignore[arg-type]
    )
    return root


def verify(root: etree._Element, kind: str = "rsa", **options: object) -> etree._Element:
    """Serialise, parse and verify the assertion of ``root``; the covered element."""
    reparsed = parse_xml(etree.tostring(root))
    assertion = reparsed.find(f"{{{ASSERTION_NS}}}Assertion")
    assert assertion is not None
    keys = public_keys([certificate(kind)])
    return verify_enveloped(assertion, keys=keys, **options).element  # type: ignore[arg-type]


def signature_of(root: etree._Element) -> etree._Element:
    found = root.find(".//ds:Signature", NS)
    assert found is not None
    return found


# -- parsing -------------------------------------------------------------------------------

HOSTILE = {
    "xxe file": b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    "xxe network": b'<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><r>&x;</r>',
    "billion laughs": b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;'
    b'&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><r>&c;&c;&c;</r>',
    "parameter entity": b'<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]><r/>',
    "external dtd": b'<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>',
    "plain doctype": b"<!DOCTYPE r><r/>",
    "undeclared entity": b"<r>&x;</r>",
    "too deep": b"<a>" * 65 + b"</a>" * 65,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_xml_is_forbidden(name: str) -> None:
    with pytest.raises(XmlForbidden):
        parse_xml(HOSTILE[name])


@pytest.mark.parametrize("limit", [1, 3, 8, 9, 10, 64])
def test_depth_limit_exact(limit: int) -> None:
    """Exactly ``limit`` nested elements parse; one more is refused (the path check walks nine
    levels, then looks below what it found there)."""
    for depth in range(max(1, limit - 2), limit + 3):
        data = b"<a>" * depth + b"</a>" * depth
        if depth > limit:
            with pytest.raises(XmlForbidden):
                parse_xml(data, max_depth=limit)
        else:
            assert parse_xml(data, max_depth=limit).tag == "a"
    wide = b"<r>" + b"<a><b/></a>" * 20 + b"<a>" * limit + b"</a>" * limit + b"</r>"
    with pytest.raises(XmlForbidden):
        parse_xml(wide, max_depth=limit)


def test_children_by_tag() -> None:
    root = etree.fromstring(b"<r><a>1</a><b/><!--c--><a>2</a><?p x?></r>")
    children = children_by_tag(root)
    assert [a.text for a in children["a"]] == ["1", "2"]
    assert len(children["b"]) == 1
    assert len(children[etree.Comment]) == 1
    assert len(children[etree.ProcessingInstruction]) == 1


def test_size_limit() -> None:
    with pytest.raises(XmlForbidden):
        parse_xml(b"<r>" + b"x" * 100 + b"</r>", max_size=50)
    assert parse_xml(b"<r>" + b"x" * 100 + b"</r>", max_size=200).text == "x" * 100


def test_not_well_formed_and_not_bytes() -> None:
    with pytest.raises(MalformedInput):
        parse_xml(b"<r><a></r>")
    with pytest.raises(MalformedInput):
        parse_xml("<r/>")  # type: ignore[arg-type]


@settings(max_examples=300)
@given(st.binary(max_size=300) | st.text(max_size=200).map(lambda t: f"<r>{t}</r>".encode()))
def test_parse_never_fails_otherwise(data: bytes) -> None:
    with contextlib.suppress(MalformedInput):
        parse_xml(data)


# -- signing and verifying -------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "method"), METHODS)
def test_round_trip(kind: str, method: str) -> None:
    covered = verify(signed(kind, method), kind)
    assert covered.findtext("saml:Subject/saml:NameID", namespaces=NS) == "alice"
    assert covered.find("ds:Signature", NS) is None


@pytest.mark.parametrize(("kind", "method"), METHODS)
def test_signxml_verifies_ours(kind: str, method: str) -> None:
    result = XMLVerifier().verify(
        etree.tostring(signed(kind, method)),
        x509_cert=pem(certificate(kind)).decode(),
        expect_references=1,
        ignore_ambiguous_key_info=True,
    )
    assert result.signed_xml is not None
    assert result.signed_xml.get("ID") == "_a1"


@pytest.mark.parametrize(("kind", "method"), [m for m in METHODS if "MGF1" not in m[1]])
def test_xmlsec1_verifies_ours(tmp_path: Path, kind: str, method: str) -> None:
    data = etree.tostring(signed(kind, method))
    id_attr = ("--id-attr:ID", f"{ASSERTION_NS}:Assertion")
    assert xmlsec1(tmp_path, data, certificate(kind), *id_attr) == 0
    tampered = data.replace(b">alice<", b">mallory<")
    assert xmlsec1(tmp_path, tampered, certificate(kind), *id_attr) != 0


@pytest.mark.parametrize(
    "c14n",
    [
        CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        CanonicalizationMethod.CANONICAL_XML_1_0,
    ],
)
def test_ours_verifies_signxml(c14n: CanonicalizationMethod) -> None:
    root = document()
    signer = XMLSigner(
        signature_algorithm="rsa-sha256", digest_algorithm="sha256", c14n_algorithm=c14n
    )
    signed_root = signer.sign(
        root, key=private_key("rsa"), cert=[certificate("rsa")], reference_uri="#_r1"
    )
    covered = verify_enveloped(
        parse_xml(etree.tostring(signed_root)), keys=public_keys([certificate("rsa")])
    ).element
    assert covered.get("ID") == "_r1"


def test_ours_verifies_whole_document_signature() -> None:
    root = etree.fromstring(b"<doc>\n  <a>one</a>\n  <b>two</b>\n</doc>")
    signer = XMLSigner(signature_algorithm="ecdsa-sha384", digest_algorithm="sha384")
    data = etree.tostring(signer.sign(root, key=private_key("p384"), cert=[certificate("p384")]))
    covered = verify_enveloped(parse_xml(data), keys=public_keys([certificate("p384")])).element
    assert covered.findtext("b") == "two"
    inner = parse_xml(data)[0]
    inner.append(copy.deepcopy(signature_of(parse_xml(data))))
    with pytest.raises(SignatureReferenceInvalid):
        verify_enveloped(inner, keys=public_keys([certificate("p384")]))


def test_ours_verifies_xmlsec_with_text_after_the_signature() -> None:
    """The enveloped transform takes the signature out, not the whitespace after it."""
    root = document()
    assertion = root[0]
    template = xmlsec.template.create(
        assertion, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformEcdsaSha256
    )
    template.tail = "\n    "
    assertion.insert(1, template)
    reference = xmlsec.template.add_reference(
        template, xmlsec.constants.TransformSha256, uri="#_a1"
    )
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    xmlsec.tree.add_ids(assertion, ["ID"])
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(
        key_pem(private_key("p256")), xmlsec.constants.KeyDataFormatPem
    )
    context.sign(template)
    covered = verify(root, "p256")
    assert covered.findtext("saml:Issuer", namespaces=NS) == "https://idp.example"


def test_signed_is_in_place_and_element_comes_from_the_canonical_form() -> None:
    """``signed`` is the caller's element, signature in place; ``element`` is parsed from the
    canonical bytes, so a later change to the document does not reach it."""
    document_root = parse_xml(etree.tostring(signed()))
    assertion = document_root[0]
    verified = verify_enveloped(assertion, keys=public_keys([certificate("rsa")]))
    assert verified.signed is assertion
    assert verified.signed.find("ds:Signature", NS) is not None
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    assert name_id is not None
    name_id.text = "mallory"
    covered = verified.element
    assert covered.findtext("saml:Subject/saml:NameID", namespaces=NS) == "alice"
    assert etree.tostring(covered, method="c14n", exclusive=True) == verified.canonical
    assert verified.element is covered  # built once


@pytest.mark.parametrize("declaration", ['xmlns="rel/x"', 'xmlns:p="httpw/w/:w.w3.org/"'])
def test_a_relative_namespace_uri_is_malformed_not_a_c14n_crash(declaration: str) -> None:
    """Found by the saml_response fuzz target: a relative namespace URI anywhere in signed
    content made libxml2's C14N fail, and lxml's C14NError escaped verification."""
    element = etree.fromstring(f"<a><b {declaration}/></a>".encode())
    with pytest.raises(MalformedInput, match="no canonical form"):
        canonicalize(element)
    root = signed()
    name_id = root[0].find("saml:Subject/saml:NameID", NS)
    assert name_id is not None
    text = etree.tostring(root).replace(b"<saml:NameID", f"<saml:NameID {declaration}".encode())
    with pytest.raises(MalformedInput, match="no canonical form"):
        verify(etree.fromstring(text))


def test_covered_element_stands_alone() -> None:
    """Nothing outside the signed element can be reached from what verification returns."""
    covered = verify(signed())
    assert covered.getparent() is None
    assert covered.getroottree().getroot() is covered
    assert covered.getprevious() is None
    assert covered.getnext() is None


# -- refusals --------------------------------------------------------------------------------


def test_tampered_content() -> None:
    root = signed()
    root[0].find("saml:Subject/saml:NameID", NS).text = "mallory"  # type: ignore[union-attr]
    with pytest.raises(SignatureInvalid):
        verify(root)


def test_tampered_signature_value() -> None:
    root = signed()
    value = root.find(".//ds:SignatureValue", NS)
    assert value is not None
    assert value.text
    value.text = ("B" if value.text[0] == "A" else "A") + value.text[1:]
    with pytest.raises(SignatureInvalid):
        verify(root)


def test_other_key_and_key_info_ignored() -> None:
    """Signed by another key whose certificate rides in KeyInfo: the pinned key says no."""
    root = document()
    sign_enveloped(
        root[0],
        signer=software_signer(private_key("rsa", "attacker"), RSA_SHA256),
        method=RSA_SHA256,
        certificates=[certificate("rsa", "attacker")],
        index=1,
    )
    with pytest.raises(SignatureInvalid):
        verify(root)


def test_key_type_mismatch_is_refused() -> None:
    with pytest.raises(AlgorithmRefused):
        verify(signed("p256", ECDSA_SHA256), "rsa")


def test_no_signature_and_two_signatures() -> None:
    with pytest.raises(SignatureMissing):
        verify(document())
    root = signed()
    root[0].append(copy.deepcopy(signature_of(root)))
    with pytest.raises(SignatureReferenceInvalid):
        verify(root)


def test_sha1_refused_unless_allowed() -> None:
    root = signed("rsa", RSA_SHA1)
    with pytest.raises(Sha1Refused):
        verify(root)
    assert verify(root, allow_sha1=True).get("ID") == "_a1"
    digest_sha1 = signed("rsa", RSA_SHA256, digest=SHA1)
    with pytest.raises(Sha1Refused):
        verify(digest_sha1)
    assert verify(digest_sha1, allow_sha1=True).get("ID") == "_a1"


def test_two_references_refused() -> None:
    root = signed()
    signature = signature_of(root)
    reference = signature.find("ds:SignedInfo/ds:Reference", NS)
    assert reference is not None
    reference.addnext(copy.deepcopy(reference))
    resign(signature)
    with pytest.raises(SignatureReferenceInvalid):
        verify(root)


@pytest.mark.parametrize(
    "transform",
    [
        "http://www.w3.org/TR/1999/REC-xpath-19991116",
        "http://www.w3.org/2000/09/xmldsig#base64",
        "http://www.w3.org/TR/1999/REC-xslt-19991116",
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    ],
)
def test_unknown_transform_refused(transform: str) -> None:
    root = signed()
    signature = signature_of(root)
    last = signature.find("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform[2]", NS)
    assert last is not None
    last.set("Algorithm", transform)
    resign(signature)
    with pytest.raises(AlgorithmRefused):
        verify(root)


def test_hmac_and_unknown_methods_refused() -> None:
    root = signed()
    signature = signature_of(root)
    method = signature.find("ds:SignedInfo/ds:SignatureMethod", NS)
    assert method is not None
    method.set("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256")
    with pytest.raises(AlgorithmRefused):
        verify(root)
    c14n = signature.find("ds:SignedInfo/ds:CanonicalizationMethod", NS)
    assert c14n is not None
    method.set("Algorithm", RSA_SHA256)
    c14n.set("Algorithm", "http://www.w3.org/2006/12/xml-c14n11#WithComments")
    with pytest.raises(AlgorithmRefused):
        verify(root)


def test_comment_in_signed_content_refused() -> None:
    """A comment keeps the signature valid (c14n drops it) but could split the NameID."""
    root = signed()
    name_id = root[0].find("saml:Subject/saml:NameID", NS)
    assert name_id is not None
    name_id.text = "ali"
    comment = etree.Comment("x")
    comment.tail = "ce"
    name_id.append(comment)
    with pytest.raises(SignedCommentRefused):
        verify(root)


def test_reference_to_another_element_refused() -> None:
    root = signed()
    root[0].set("ID", "_other")
    with pytest.raises(SignatureReferenceInvalid):
        verify(root)


def test_duplicate_id_refused() -> None:
    root = signed()
    decoy = etree.SubElement(root, f"{{{ASSERTION_NS}}}Assertion", ID="_a1")
    decoy.text = "decoy"
    with pytest.raises(SignatureReferenceInvalid):
        verify(root)


@pytest.mark.parametrize("uri", ["", "http://127.0.0.1:9/doc.xml", "#xpointer(/)", None])
def test_reference_uri_forms_refused(uri: str | None) -> None:
    root = signed()
    signature = signature_of(root)
    reference = signature.find("ds:SignedInfo/ds:Reference", NS)
    assert reference is not None
    if uri is None:
        del reference.attrib["URI"]
    else:
        reference.set("URI", uri)
    resign(signature)
    with pytest.raises(SignatureReferenceInvalid):
        verify(root)


def test_signature_value_not_base64() -> None:
    root = signed()
    value = root.find(".//ds:SignatureValue", NS)
    assert value is not None
    value.text = "not base64!"
    with pytest.raises(MalformedInput):
        verify(root)


def test_keyinfo_only_document_needs_keys() -> None:
    """An empty key list verifies nothing."""
    root = signed()
    assertion = parse_xml(etree.tostring(root))[0]
    with pytest.raises(AlgorithmRefused):
        verify_enveloped(assertion, keys=())
    assert signature_of(root).find(f"{{{DSIG_NS}}}KeyInfo") is not None


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_any_flipped_byte_is_refused(position: int, flip: int) -> None:
    """Whatever byte changes, what verifies is exactly what was signed (KeyInfo and the
    Response around the assertion are not signed, and may change)."""
    data = bytearray(etree.tostring(_SIGNED))
    index = position % len(data)
    if flip == 0 or data[index] ^ flip in b" \t\r\n" or data[index] in b" \t\r\n":
        return
    data[index] ^= flip
    try:
        assertion = parse_xml(bytes(data)).find(f"{{{ASSERTION_NS}}}Assertion")
        if assertion is None:
            return
        covered = verify_enveloped(assertion, keys=public_keys([certificate("rsa")]))
    except EidError:
        return
    assert etree.tostring(covered.element, method="c14n", exclusive=True) == _COVERED


_SIGNED = signed()
_COVERED = etree.tostring(verify(_SIGNED), method="c14n", exclusive=True)


def test_c14n11_only_without_xml_attributes() -> None:
    root = etree.fromstring(b'<doc><a xml:lang="nl">een</a></doc>')
    signer = XMLSigner(signature_algorithm="rsa-sha256", digest_algorithm="sha256")
    data = etree.tostring(signer.sign(root, key=private_key("rsa"), cert=[certificate("rsa")]))
    with pytest.raises(AlgorithmRefused):
        verify_enveloped(parse_xml(data), keys=public_keys([certificate("rsa")]))


def test_method_allow_list() -> None:
    root = signed("rsa", RSA_SHA512)
    with pytest.raises(AlgorithmRefused):
        verify(root, methods={RSA_SHA256})
    assert verify(root, methods={RSA_SHA512}).get("ID") == "_a1"


# -- writing canonical XML directly ------------------------------------------------------------

_XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
).filter(
    lambda t: (
        all(c in "\t\n\r" or ord(c) >= 0x20 for c in t) and "\ufffe" not in t and "\uffff" not in t
    )
)


@settings(max_examples=200)
@given(_XML_TEXT, _XML_TEXT, _XML_TEXT)
def test_writer_output_is_canonical(value: str, attribute: str, other: str) -> None:
    written = writer.element(
        "saml:A",
        {"b": attribute, "a": other, "Z": "z"},
        (writer.element("saml:B", content=writer.text(value)), writer.element("saml:C")),
        namespaces={"saml": ASSERTION_NS},
    ).encode()
    root = parse_xml(written)
    assert canonicalize(root) == written
    assert root[0].text == (value or None)
    assert root.get("b") == attribute


def test_writer_refuses_what_xml_cannot_carry() -> None:
    with pytest.raises(UsageError):
        writer.text("a\x00b")
    with pytest.raises(UsageError):
        writer.attribute_value("\x1b")
