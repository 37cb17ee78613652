"""Unsigned SignerInfo fields must be what RFC 5652 and RFC 5754 allow, or the signature fails.

Found by fuzzing: the version (RFC 5652 5.3) and the digest algorithm's parameters (RFC
5754 2: absent or NULL) lie outside the signed attributes, so version 0, a version of another
ASN.1 type, or an empty OCTET STRING as parameters left CAdES and ASiC signatures
TOTAL_PASSED: a second encoding of one signature that verified as well.
"""

from __future__ import annotations

import pytest
from asn1crypto import cms, x509

from eid.sign import Indication, SubIndication, verify
from fuzz import material
from fuzz.mutation import signed_cases

CASES = {case.name: index for index, case in enumerate(signed_cases())}


@pytest.mark.parametrize("case", ["cades-detached", "cades-enveloping", "asice", "asics"])
@pytest.mark.parametrize(
    ("position", "change"),
    [(6, 0x01), (4, 0x01), (121, 0x01)],
    ids=["version-0", "version-not-integer", "digest-parameters-octet-string"],
)
def test_a_changed_signer_info_version_fails(
    case: str, position: int, change: int, tmp_path
) -> None:
    chosen = signed_cases()[CASES[case]]
    name = next(n for n in chosen.parts if n.endswith((".p7s", ".p7m")))
    data = bytearray(chosen.parts[name])
    signer_info = cms.ContentInfo.load(bytes(data))["content"]["signer_infos"][0].dump()
    data[data.index(signer_info) + position] ^= change
    parts = dict(chosen.parts, **{name: bytes(data)})
    main, detached = chosen.write(parts, tmp_path / "doc")
    report = verify(
        main, detached=detached, trust=material.trust(), at=material.AT, revocation=material.OFF
    )
    assert not report.passed
    assert any(
        s.indication is Indication.TOTAL_FAILED and s.sub_indication is SubIndication.FORMAT_FAILURE
        for s in report.signatures
    ), report.to_dict()


@pytest.mark.parametrize("case", ["cades-detached", "cades-enveloping", "asice", "asics"])
def test_the_signed_originals_pass(case: str, tmp_path) -> None:
    chosen = signed_cases()[CASES[case]]
    main, detached = chosen.write(chosen.parts, tmp_path / "doc")
    report = verify(
        main, detached=detached, trust=material.trust(), at=material.AT, revocation=material.OFF
    )
    assert report.passed, report.to_dict()


def _with_sid_issuer(data: bytes, issuer: x509.Name) -> bytes:
    """The CMS ``data`` with its signer's identifier naming ``issuer`` (serial number kept)."""
    info = cms.ContentInfo.load(data)
    signer = info["content"]["signer_infos"][0]
    serial = signer["sid"].chosen["serial_number"].native
    signer["sid"] = cms.SignerIdentifier(
        name="issuer_and_serial_number",
        value=cms.IssuerAndSerialNumber({"issuer": issuer, "serial_number": serial}),
    )
    return bytes(info.dump(force=True))


def _verify_p7m(data: bytes, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "doc.p7m"
    path.write_bytes(data)
    return verify(path, trust=material.trust(), at=material.AT, revocation=material.OFF)


def _recoded(name: x509.Name) -> x509.Name:
    """``name`` with each UTF8String value as a PrintableString in capitals, order kept."""
    rdns = []
    for rdn in name.chosen:
        avas = []
        for ava in rdn:
            value = ava["value"]
            if isinstance(value, x509.DirectoryString) and value.name == "utf8_string":
                value = x509.DirectoryString(name="printable_string", value=value.native.upper())
            avas.append(x509.NameTypeAndValue({"type": ava["type"], "value": value}))
        rdns.append(x509.RelativeDistinguishedName(avas))
    return x509.Name(name="", value=x509.RDNSequence(rdns))


def test_the_signer_identifier_matches_names_as_rfc_5280_compares_them(tmp_path) -> None:
    """An issuer re-encoded as PrintableString in capitals still names the signer's issuer.

    The identifier is not signed (the signing-certificate attribute binds the certificate),
    and RFC 5280 7.1 (as EU DSS) compares names case-insensitively across string types.
    """
    original = signed_cases()[CASES["cades-enveloping"]].parts["doc.p7m"]
    issuer = cms.ContentInfo.load(original)["content"]["signer_infos"][0]["sid"].chosen["issuer"]
    recoded = _recoded(issuer)
    assert recoded.dump() != issuer.dump()
    assert _verify_p7m(_with_sid_issuer(original, recoded), tmp_path).passed


def test_a_signer_identifier_naming_another_issuer_fails(tmp_path) -> None:
    original = signed_cases()[CASES["cades-enveloping"]].parts["doc.p7m"]
    issuer = cms.ContentInfo.load(original)["content"]["signer_infos"][0]["sid"].chosen["issuer"]
    native = dict(issuer.native, common_name=issuer.native["common_name"] + " 2")
    report = _verify_p7m(_with_sid_issuer(original, x509.Name.build(native)), tmp_path)
    assert not report.passed
