"""Keys, certificates and documents for the XML signature tests, and the xmlsec1 command."""

from __future__ import annotations

import base64
import subprocess
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from eid.xmlsig import DSIG_NS, canonicalize, software_signer
from tests.self_signed import self_signed

RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
RSA_PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
NS = {"ds": DSIG_NS, "saml": ASSERTION_NS}


def private_key(kind: str, label: str = "idp") -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """One key per kind ("rsa", "p256", "p384") and label for the whole test session."""
    return _private_key(kind, label)


@cache
def _private_key(kind: str, label: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(65537, 2048)
    return ec.generate_private_key(ec.SECP256R1() if kind == "p256" else ec.SECP384R1())


def certificate(kind: str, label: str = "idp") -> x509.Certificate:
    """A self-signed certificate of ``private_key(kind, label)``."""
    return _certificate(kind, label)


@cache
def _certificate(kind: str, label: str) -> x509.Certificate:
    return self_signed(private_key(kind, label), f"{label} {kind}", days=31)


def pem(cert: x509.Certificate) -> bytes:
    """``cert`` as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    """``key`` as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def document(subject: str = "alice") -> etree._Element:
    """A Response holding one unsigned SAML-shaped Assertion with ID ``_a1``."""
    return etree.fromstring(
        f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1">\n'
        f'  <saml:Assertion xmlns:saml="{ASSERTION_NS}" ID="_a1">\n'
        "    <saml:Issuer>https://idp.example</saml:Issuer>\n"
        f"    <saml:Subject><saml:NameID>{subject}</saml:NameID></saml:Subject>\n"
        '    <saml:AttributeStatement><saml:Attribute Name="role">'
        "<saml:AttributeValue>user</saml:AttributeValue></saml:Attribute>"
        "</saml:AttributeStatement>\n"
        "  </saml:Assertion>\n</samlp:Response>".encode()
    )


def resign(signature: etree._Element, kind: str = "rsa", method: str = RSA_SHA256) -> None:
    """Sign ``signature``'s SignedInfo again as it now stands (after a test changed it)."""
    signed_info = signature.find(f"{{{DSIG_NS}}}SignedInfo")
    assert signed_info is not None
    value = software_signer(private_key(kind), method)(canonicalize(signed_info))
    signature_value = signature.find(f"{{{DSIG_NS}}}SignatureValue")
    assert signature_value is not None
    signature_value.text = base64.b64encode(value).decode()


def xmlsec1(tmp_path: Path, data: bytes, cert: x509.Certificate, *args: str) -> int:
    """The exit status of ``xmlsec1 --verify`` of ``data`` with only ``cert`` as key."""
    (tmp_path / "cert.pem").write_bytes(pem(cert))
    (tmp_path / "signed.xml").write_bytes(data)
    return subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--pubkey-cert-pem",
            str(tmp_path / "cert.pem"),
            *args,
            str(tmp_path / "signed.xml"),
        ],
        capture_output=True,
        check=False,
    ).returncode
