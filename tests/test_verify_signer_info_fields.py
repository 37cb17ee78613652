"""Unsigned SignerInfo fields must be what RFC 5652 and RFC 5754 allow, or the signature fails.

Found by fuzzing: the version (RFC 5652 5.3) and the digest algorithm's parameters (RFC
5754 2: absent or NULL) lie outside the signed attributes, so version 0, a version of another
ASN.1 type, or an empty OCTET STRING as parameters left CAdES and ASiC signatures
TOTAL_PASSED: a second encoding of one signature that verified as well.
"""

from __future__ import annotations

import pytest
from asn1crypto import cms

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
