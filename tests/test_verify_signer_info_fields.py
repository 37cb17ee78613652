"""Unsigned SignerInfo fields must be what RFC 5652 and RFC 5754 allow, or the signature fails.

Found by fuzzing: the version (RFC 5652 5.3) and the digest algorithm's parameters (RFC
5754 2: absent or NULL) lie outside the signed attributes, so version 0, a version of another
ASN.1 type, or an empty OCTET STRING as parameters left CAdES and ASiC signatures
TOTAL_PASSED: a second encoding of one signature that verified as well.
"""

from __future__ import annotations

import pytest

from eid.sign import Indication, SubIndication, verify
from fuzz import material
from fuzz.mutation import Mutation, Op, signed_cases

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
    signer_info = max(i for i, r in enumerate(chosen.regions) if r.part.endswith((".p7s", ".p7m")))
    parts = chosen.apply(Mutation(Op.FLIP, signer_info, position, bytes([change])))
    assert parts != chosen.parts
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
