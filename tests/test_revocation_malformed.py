"""Malformed OCSP responses and CRLs are refused with RevInfoError, whatever part is broken.

asn1crypto parses lazily, so a broken certificate inside a response or a broken issuer name
in a CRL used to surface as a bare ValueError after the parsing step (found by fuzzing).
"""

from __future__ import annotations

import pytest
from asn1crypto import crl, ocsp

from eid.pki.crl import _verify as verify_crl
from eid.pki.ocsp import verify_response
from eid.pki.revocation import RevInfoError
from fuzz import material


def _retag(data: bytes, part: bytes, offset: int, tag: int) -> bytes:
    """``data`` with the byte at ``offset`` inside its (only) copy of ``part`` set to ``tag``."""
    assert data.count(part) == 1
    at = data.index(part) + offset
    return data[:at] + bytes([tag]) + data[at + 1 :]


def test_ocsp_response_with_a_broken_responder_certificate() -> None:
    body = material.ocsp_response()
    basic = ocsp.OCSPResponse.load(body)["response_bytes"]["response"].parsed
    responder = basic["certs"][0].dump()
    tbs_offset = len(responder) - len(basic["certs"][0].contents)  # the TBSCertificate's tag
    broken = _retag(body, responder, tbs_offset, 0x31)
    cert, issuer = material.revocation_subject()
    assert verify_response(body, cert, issuer, material.OFF, material.AT, None, lambda *_: None)
    with pytest.raises(RevInfoError, match="malformed"):
        verify_response(broken, cert, issuer, material.OFF, material.AT, None, lambda *_: None)


def test_crl_with_a_broken_issuer_name() -> None:
    body = material.crl()
    issuer_name = crl.CertificateList.load(body)["tbs_cert_list"]["issuer"].dump()
    first_rdn = len(issuer_name) - len(
        crl.CertificateList.load(body)["tbs_cert_list"]["issuer"].chosen.contents
    )
    broken = _retag(body, issuer_name, first_rdn, 0xB1)
    _, issuer = material.revocation_subject()
    assert verify_crl("http://crl.invalid/a.crl", body, issuer, delta=False)
    with pytest.raises(RevInfoError, match="malformed"):
        verify_crl("http://crl.invalid/a.crl", broken, issuer, delta=False)


def test_crl_whose_issuer_holds_a_value_of_another_asn1_type() -> None:
    """Found by fuzzing: an issuer attribute of an unknown type holding an ASN.1 REAL.

    Printing that name in the refusal raised AttributeError inside asn1crypto.
    """
    body = material.crl()
    serial_number_attribute = bytes.fromhex("06035504051306")  # serialNumber, PrintableString
    assert body.count(serial_number_attribute) == 1
    broken = body.replace(serial_number_attribute, bytes.fromhex("06035504ff0906"))
    _, issuer = material.revocation_subject()
    with pytest.raises(RevInfoError, match="malformed"):
        verify_crl("http://crl.invalid/a.crl", broken, issuer, delta=False)
