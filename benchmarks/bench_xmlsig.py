"""XML-DSig: eid.xmlsig vs signxml vs the xmlsec binding vs raw `cryptography` (RSA-2048).

The document is a SAML-shaped Assertion (a few KiB). Signing: the enveloped signature of
the Assertion, key loaded once in every contender. Verifying: parse + verify with a
pinned certificate (keys pre-loaded where the library allows it), and the signed content
read back (signxml's ``signed_xml``, eid's ``Verified.element``; the xmlsec binding
returns nothing, the caller has to find the element itself).
"""

from __future__ import annotations

import datetime
import time

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from signxml import XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod

from benchmarks.timing import compare
from eid.xmlsig import parse_xml, public_keys, sign_enveloped, software_signer, verify_enveloped
from tests.self_signed import self_signed

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"


def certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    """A self-signed certificate for ``key``, valid for a day."""
    now = datetime.datetime.now(datetime.UTC)
    return self_signed(key, "benchmark IdP", not_before=now, days=1)


def assertion() -> etree._Element:
    """An unsigned SAML-shaped assertion with a dozen attributes."""
    values = "".join(
        f'<saml:Attribute Name="urn:example:attribute:{n}">'
        f"<saml:AttributeValue>value {n}</saml:AttributeValue></saml:Attribute>"
        for n in range(12)
    )
    return etree.fromstring(
        f'<saml:Assertion xmlns:saml="{ASSERTION_NS}" ID="_a1" Version="2.0" '
        'IssueInstant="2026-12-01T12:00:00Z"><saml:Issuer>https://idp.example</saml:Issuer>'
        "<saml:Subject><saml:NameID>pseudonym</saml:NameID></saml:Subject>"
        f"<saml:AttributeStatement>{values}</saml:AttributeStatement></saml:Assertion>".encode()
    )


def main() -> None:
    key = rsa.generate_private_key(65537, 2048)
    cert = certificate(key)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = software_signer(key, RSA_SHA256)
    xmlsec_key = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
    xmlsec_cert = xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
    signxml_signer = XMLSigner(
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    sample = b"x" * 1000

    def eid_sign() -> bytes:
        element = assertion()
        sign_enveloped(element, signer=signer, method=RSA_SHA256, certificates=[cert], index=1)
        return etree.tostring(element)

    def signxml_sign() -> bytes:
        return etree.tostring(signxml_signer.sign(assertion(), key=key, cert=[cert]))

    def xmlsec_sign() -> bytes:
        element = assertion()
        template = xmlsec.template.create(
            element, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256
        )
        element.insert(1, template)
        reference = xmlsec.template.add_reference(
            template, xmlsec.constants.TransformSha256, uri="#_a1"
        )
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
        xmlsec.tree.add_ids(element, ["ID"])
        context = xmlsec.SignatureContext()
        context.key = xmlsec_key
        context.sign(template)
        return etree.tostring(element)

    def raw_sign() -> bytes:
        return key.sign(sample, padding.PKCS1v15(), hashes.SHA256())

    signing = compare(
        {"raw": raw_sign, "eid": eid_sign, "signxml": signxml_sign, "xmlsec": xmlsec_sign},
        count=200,
        clock=time.process_time,
    )
    signed = eid_sign()
    keys = public_keys([cert])
    signxml_verifier = XMLVerifier()

    def eid_verify() -> object:
        return verify_enveloped(parse_xml(signed), keys=keys).element

    def signxml_verify() -> object:
        return signxml_verifier.verify(
            signed,
            x509_cert=cert,
            expect_references=1,
            ignore_ambiguous_key_info=True,
        ).signed_xml

    def xmlsec_verify() -> object:
        element = etree.fromstring(signed)
        xmlsec.tree.add_ids(element, ["ID"])
        context = xmlsec.SignatureContext()
        context.key = xmlsec_cert
        context.verify(xmlsec.tree.find_node(element, xmlsec.constants.NodeSignature))
        return element

    def raw_verify() -> None:
        key.public_key().verify(raw_sign_value, sample, padding.PKCS1v15(), hashes.SHA256())

    raw_sign_value = raw_sign()
    verifying = compare(
        {"raw": raw_verify, "eid": eid_verify, "signxml": signxml_verify, "xmlsec": xmlsec_verify},
        count=300,
        clock=time.process_time,
    )
    print("XML-DSig RSA-2048, operations per CPU second (best of 5 interleaved rounds)")
    for title, rates in (("sign", signing), ("verify", verifying)):
        line = ", ".join(f"{name} {rate:,.0f}/s" for name, rate in rates.items())
        print(f"  {title}: {line}")
        print(
            f"    eid/raw {rates['eid'] / rates['raw']:.2f}x, "
            f"eid/signxml {rates['eid'] / rates['signxml']:.1f}x, "
            f"eid/xmlsec {rates['eid'] / rates['xmlsec']:.2f}x, "
            f"xmlsec/signxml {rates['xmlsec'] / rates['signxml']:.1f}x"
        )


if __name__ == "__main__":
    main()
