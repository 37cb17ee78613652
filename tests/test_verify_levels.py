"""The level found in the structure, and separately what its valid parts prove (issue 11)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eid.pki import TrustStore
from eid.pki.services import TestServices
from eid.sign import Level, verify
from tests.verify_support import OFF, options, sign_as, software_signer, trust_of


@pytest.fixture(scope="module")
def services() -> Iterator[TestServices]:
    with TestServices() as running:
        yield running


def _untrusted_tsa(services: TestServices) -> TrustStore:
    """The signer's CA as the only anchor: the signer validates, the TSA (under the root) not."""
    return TrustStore([services.pki.citizen_ca.certificate])


@pytest.mark.parametrize(
    ("kind", "level", "found", "proven"),
    [
        ("cades-enveloping", Level.B_B, "B-B", "B-B"),
        ("cades-enveloping", Level.B_T, "B-T", "B-T"),
        ("cades-enveloping", Level.B_LTA, "B-LTA", "B-LTA"),
        ("pdf", Level.B_T, "B-T", "B-T"),
        ("pdf", Level.B_LT, "B-LT", "B-LT"),
        ("pdf", Level.B_LTA, "B-LTA", "B-LTA"),
    ],
)
def test_levels_found_and_proven(
    services: TestServices, tmp_path: Path, kind: str, level: Level, found: str, proven: str
) -> None:
    signed, _, _ = sign_as(kind, software_signer(services.pki), options(level, services), tmp_path)
    report = verify(signed, trust=trust_of(services.pki), revocation=OFF)
    (signature,) = report.signatures
    assert signature.passed, signature.to_dict()
    assert (signature.level, signature.proven_level) == (found, proven)
    untrusted = verify(signed, trust=_untrusted_tsa(services), revocation=OFF)
    (signature,) = untrusted.signatures
    assert signature.passed, signature.to_dict()  # the signer is valid now
    assert (signature.level, signature.proven_level) == (found, "B-B")
    assert signature.to_dict()["proven_level"] == "B-B"
