"""Sign, then verify: every format at every level, on the virtual card and with software keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from eid.pki import TrustStore
from eid.pki.services import TestServices
from eid.sign import EidSigner, Indication, Level, SubIndication, verify
from tests import verify_support as support
from tests.verify_support import FORMATS, OFF, options, sign_as, trust_of

services = support.services
any_signer = support.any_signer


@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize("kind", FORMATS)
def test_round_trip(
    any_signer: tuple[EidSigner, str],
    services: TestServices,
    tmp_path: Path,
    kind: str,
    level: Level,
) -> None:
    signer, national_number = any_signer
    signed, detached, tamper = sign_as(kind, signer, options(level, services), tmp_path)
    trust = trust_of(services.pki)

    report = verify(signed, detached=detached, trust=trust)
    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_PASSED, signature.to_dict()
    assert report.passed
    assert signature.signer is not None
    assert signature.signer.national_number == national_number
    assert signature.level == level.value
    assert signature.qc_compliance
    assert signature.qc_sscd
    # Long-term signatures are judged by the answers they carry, the others by fetched ones.
    origin = "document" if level.long_term else "online"
    assert signature.revocation == {"status": "good", "source": "ocsp", "origin": origin}
    assert signature.claimed_signing_time is not None
    assert (signature.proven_signing_time is not None) == level.timestamped
    assert report.to_dict()["signatures"][0]["indication"] == "TOTAL_PASSED"

    untrusted = verify(signed, detached=detached, trust=TrustStore.belgium(), revocation=OFF)
    assert untrusted.signatures[0].indication is Indication.INDETERMINATE
    assert untrusted.signatures[0].sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND

    tampered = tamper()
    broken = verify(tampered, detached=detached, trust=trust, revocation=OFF)
    assert broken.signatures[0].indication is Indication.TOTAL_FAILED
    assert broken.signatures[0].sub_indication is SubIndication.HASH_FAILURE, broken.to_dict()
