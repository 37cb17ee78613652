"""Revocation data kept in a document: checked like fetched answers, timely for the proven time.

The services are stopped: nothing can be fetched, so every outcome comes from the kept
answers alone (made with the services' own responder and CRL code, at chosen times).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eid.errors import CertificateRevoked, RevocationUnknown
from eid.pki import (
    RevocationPolicy,
    RevocationSettings,
    TrustStore,
    ValidationCache,
    load_certificate,
    validate_certificate,
)
from eid.pki.embedded import ValidationEvidence
from eid.pki.ocsp import build_request
from eid.pki.services import OcspFault, TestServices
from eid.pki.testpki import Issued
from eid.sign.verify_ltv import RevocationValues, cms_evidence
from tests._pki_helpers import ALICE, CARD_KEY, trust_of

T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
SIGNED = T0 + dt.timedelta(days=30)  # the proven time of a signature
LATER = T0 + dt.timedelta(days=900)  # the validation time, years after
LEAF_ONLY = RevocationSettings(check_chain=False, clock=lambda: LATER + dt.timedelta(days=1))


@pytest.fixture(scope="module")
def offline() -> TestServices:
    """A test PKI whose services are not reachable (its port is closed)."""
    services = TestServices(key_kind="ec", seed=b"kept answers", now=T0)
    services.stop()
    return services


@pytest.fixture
def services(offline: TestServices) -> Iterator[TestServices]:
    yield offline
    offline.ocsp_fault = OcspFault.NONE
    offline.clock = lambda: dt.datetime.now(dt.UTC)


@pytest.fixture
def leaf(offline: TestServices) -> Issued:
    return offline.pki.issue(ALICE, "signature", key=CARD_KEY)


def _answer(services: TestServices, cert: Issued, made: dt.datetime) -> bytes:
    services.clock = lambda: made
    request = build_request(
        load_certificate(cert.cert_der()),
        load_certificate(services.pki.citizen_ca.cert_der()),
        None,
    )
    return services.ocsp_response(request)


def _validate(
    services: TestServices,
    cert: Issued,
    evidence: ValidationEvidence,
    *,
    at: dt.datetime = LATER,
    proven: dt.datetime | None = SIGNED,
    settings: RevocationSettings = LEAF_ONLY,
    trust: TrustStore | None = None,
):  # type: ignore[no-untyped-def]
    return validate_certificate(
        cert.cert_der(),
        trust=trust or trust_of(services),
        at=at,
        purpose="signature",
        revocation=settings,
        cache=ValidationCache(),
        evidence=evidence,
        proven=proven,
    )


def test_answer_made_after_the_proven_time_settles_it(services: TestServices, leaf: Issued) -> None:
    kept = ValidationEvidence.of(
        ocsp_responses=[_answer(services, leaf, SIGNED + dt.timedelta(hours=3))]
    )
    result = _validate(services, leaf, kept)
    assert (result.revocation.status, result.revocation.source) == ("good", "ocsp")
    assert result.revocation.origin == "document"


def test_without_a_proven_time_the_old_answer_is_stale(
    services: TestServices, leaf: Issued
) -> None:
    kept = ValidationEvidence.of(ocsp_responses=[_answer(services, leaf, SIGNED)])
    with pytest.raises(RevocationUnknown, match="stale"):
        _validate(services, leaf, kept, proven=None)


def test_without_a_proven_time_a_current_answer_is_used(
    services: TestServices, leaf: Issued
) -> None:
    kept = ValidationEvidence.of(ocsp_responses=[_answer(services, leaf, SIGNED)])
    result = _validate(services, leaf, kept, at=SIGNED + dt.timedelta(minutes=5), proven=None)
    assert result.revocation.origin == "document"


def test_answer_current_at_the_proven_time(services: TestServices, leaf: Issued) -> None:
    # Made 30 minutes before, valid one hour: it was the current answer when the signature was.
    kept = ValidationEvidence.of(
        ocsp_responses=[_answer(services, leaf, SIGNED - dt.timedelta(minutes=30))]
    )
    assert _validate(services, leaf, kept).revocation.status == "good"


def test_answer_stale_at_the_proven_time_is_refused(services: TestServices, leaf: Issued) -> None:
    kept = ValidationEvidence.of(
        ocsp_responses=[_answer(services, leaf, SIGNED - dt.timedelta(hours=3))]
    )
    with pytest.raises(RevocationUnknown, match="neither current at the proven time"):
        _validate(services, leaf, kept)


def test_prefer_goes_on_with_a_warning_when_the_kept_answer_is_stale(
    services: TestServices, leaf: Issued
) -> None:
    kept = ValidationEvidence.of(
        ocsp_responses=[_answer(services, leaf, SIGNED - dt.timedelta(hours=3))]
    )
    prefer = RevocationSettings(
        policy=RevocationPolicy.PREFER, check_chain=False, timeout=1, clock=LEAF_ONLY.clock
    )
    result = _validate(services, leaf, kept, settings=prefer)
    assert result.revocation.status == "unknown_soft_fail"
    assert any("kept in the document" in w for w in result.warnings)


def test_answer_from_the_future_is_refused(services: TestServices, leaf: Issued) -> None:
    kept = ValidationEvidence.of(
        ocsp_responses=[_answer(services, leaf, LATER + dt.timedelta(days=30))]
    )
    with pytest.raises(RevocationUnknown, match="in the future"):
        _validate(services, leaf, kept)


def test_answer_made_after_the_certificate_expired_is_refused(services: TestServices) -> None:
    expiring = services.pki.issue(
        ALICE, "signature", key=CARD_KEY, not_after=SIGNED + dt.timedelta(days=1)
    )
    late = ValidationEvidence.of(
        ocsp_responses=[_answer(services, expiring, SIGNED + dt.timedelta(days=2))]
    )
    with pytest.raises(RevocationUnknown, match="after the certificate expired"):
        _validate(services, expiring, late, at=SIGNED)
    timely = ValidationEvidence.of(
        ocsp_responses=[_answer(services, expiring, SIGNED + dt.timedelta(hours=2))]
    )
    assert _validate(services, expiring, timely, at=SIGNED).revocation.origin == "document"


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (OcspFault.BAD_SIGNATURE, "signature does not verify"),
        (OcspFault.UNAUTHORIZED_SIGNER, "not issued by"),
        (OcspFault.WRONG_CERT_ID, "could not be established"),
        (OcspFault.TWO_RESPONSES, "exactly one"),
    ],
)
def test_kept_answers_get_every_check(
    services: TestServices, leaf: Issued, fault: OcspFault, words: str
) -> None:
    services.ocsp_fault = fault
    kept = ValidationEvidence.of(
        ocsp_responses=[_answer(services, leaf, SIGNED + dt.timedelta(hours=1))]
    )
    with pytest.raises(RevocationUnknown, match=words):
        _validate(services, leaf, kept)


def test_a_revoked_answer_wins_over_a_good_one(services: TestServices) -> None:
    leaf = services.pki.issue(ALICE, "signature", key=CARD_KEY)
    good = _answer(services, leaf, SIGNED + dt.timedelta(hours=1))
    services.revoke(leaf, at=SIGNED + dt.timedelta(hours=2))
    revoked = _answer(services, leaf, SIGNED + dt.timedelta(hours=3))
    kept = ValidationEvidence.of(ocsp_responses=[good, revoked])
    with pytest.raises(CertificateRevoked, match="revoked on"):
        _validate(services, leaf, kept)
    # At the proven time, before the revocation, it was good: a warning only.
    result = _validate(services, leaf, kept, at=SIGNED)
    assert any("after the validation time" in w for w in result.warnings)


def test_kept_crls_and_certificates(services: TestServices, leaf: Issued) -> None:
    pki = services.pki
    services.clock = lambda: SIGNED + dt.timedelta(hours=1)
    kept = ValidationEvidence.of(
        certificates=[pki.citizen_ca.cert_der()],
        crls=[services.crl("citizen"), services.crl("root")],
    )
    # Only the root is trusted: the Citizen CA comes from the document, and its status too.
    only_root = TrustStore([pki.root.cert_der()])
    settings = RevocationSettings(methods=("crl",), clock=LEAF_ONLY.clock)
    result = _validate(services, leaf, kept, settings=settings, trust=only_root)
    assert (result.revocation.source, result.revocation.origin) == ("crl", "document")
    assert len(result.chain) == 3
    # Without the root's CRL the Citizen CA's status is missing.
    no_root_crl = ValidationEvidence.of(
        certificates=[pki.citizen_ca.cert_der()], crls=[services.crl("citizen")]
    )
    with pytest.raises(RevocationUnknown, match="Citizen Test CA"):
        _validate(services, leaf, no_root_crl, settings=settings, trust=only_root)


def test_unusable_blobs_are_ignored(services: TestServices, leaf: Issued) -> None:
    good = _answer(services, leaf, SIGNED + dt.timedelta(hours=1))
    kept = ValidationEvidence.of(
        certificates=[b"\x30\x03\x02\x01\x00"], ocsp_responses=[b"junk", good], crls=[b"\x30\x00"]
    )
    assert len(kept.certificates) == 0
    assert _validate(services, leaf, kept).revocation.origin == "document"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blobs=st.lists(st.binary(max_size=300), max_size=4))
def test_any_blob_is_checked_not_trusted(
    services: TestServices, leaf: Issued, blobs: list[bytes]
) -> None:
    kept = ValidationEvidence.of(certificates=blobs, ocsp_responses=blobs, crls=blobs)
    with pytest.raises(RevocationUnknown):
        _validate(services, leaf, kept)


def _signed_data(services: TestServices, leaf: Issued) -> bytes:
    """A SignedData carrying an OCSP answer, a CRL and certificates in every place looked at."""
    from asn1crypto import algos, cms, core
    from asn1crypto import x509 as asn1_x509

    answer = _answer(services, leaf, SIGNED)
    crl = services.crl("citizen")
    certificate = asn1_x509.Certificate.load(leaf.cert_der())
    revocation_values = RevocationValues(
        {
            "crl_vals": [asn1_crl.CertificateList.load(crl)],
            "ocsp_vals": [asn1_ocsp.OCSPResponse.load(answer)["response_bytes"]["response"].parsed],
        }
    )
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": certificate.issuer, "serial_number": certificate.serial_number},
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": b"\x00" * 8,
            "unsigned_attrs": [
                {
                    "type": "1.2.840.113549.1.9.16.2.24",
                    "values": [core.Any.load(revocation_values.dump())],
                }
            ],
        }
    )
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [certificate],
            "crls": [
                cms.RevocationInfoChoice(name="crl", value=asn1_crl.CertificateList.load(crl)),
                cms.RevocationInfoChoice(
                    name="other",
                    value={
                        "other_rev_info_format": "ocsp_response",
                        "other_rev_info": asn1_ocsp.OCSPResponse.load(answer),
                    },
                ),
            ],
            "signer_infos": [signer],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump())


def test_every_place_in_a_cms_is_looked_at(services: TestServices, leaf: Issued) -> None:
    from asn1crypto import cms

    found = cms_evidence(cms.ContentInfo.load(_signed_data(services, leaf))["content"])
    assert len(found.certificates) == 1
    assert len(found.crls) == 1  # the same CRL twice, kept once
    assert len(found.ocsp_responses) == 1  # the same answer, full and basic, kept once


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255))
def test_gathering_from_damaged_cms_never_raises(
    services: TestServices, leaf: Issued, position: int, value: int
) -> None:
    from asn1crypto import cms

    data = bytearray(_signed_data(services, leaf))
    data[position % len(data)] = value
    try:
        signed_data = cms.ContentInfo.load(bytes(data))["content"]
    except Exception:  # not even a SignedData: nothing to gather from
        return
    assert isinstance(cms_evidence(signed_data), ValidationEvidence)
