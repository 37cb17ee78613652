"""Revocation over real HTTP on loopback: OCSP, CRL, delta CRL, policies, caching."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from eid.errors import CertificateRevoked, RevocationUnknown
from eid.pki import (
    RevocationPolicy,
    RevocationSettings,
    ValidationCache,
    validate_certificate,
)
from eid.pki.services import OcspFault, TestServices
from tests._pki_helpers import new_card, trust_of

OCSP_ONLY = RevocationSettings(methods=("ocsp",))
CRL_ONLY = RevocationSettings(methods=("crl",))


@pytest.fixture(scope="module", params=["ec", "rsa"])
def running(request: pytest.FixtureRequest) -> Iterator[TestServices]:
    with TestServices(key_kind=request.param, seed=f"rev-{request.param}".encode()) as started:
        yield started


@pytest.fixture
def services(running: TestServices) -> Iterator[TestServices]:
    yield running
    running.ocsp_fault = OcspFault.NONE
    running.ocsp_enabled = True
    running.crl_enabled = True
    running.responder = "delegated"


def _validate(
    services: TestServices,
    der: bytes,
    settings: RevocationSettings | None = None,
    cache: ValidationCache | None = None,
):  # type: ignore[no-untyped-def]
    return validate_certificate(
        der,
        trust=trust_of(services),
        revocation=settings or RevocationSettings(),
        cache=cache or ValidationCache(),
    )


@pytest.mark.parametrize("responder", ["delegated", "ca"])
def test_good_by_ocsp(services: TestServices, responder: str) -> None:
    services.responder = responder  # type: ignore[assignment]
    der = new_card(services.pki).authentication.cert_der()
    result = _validate(services, der)
    assert result.revocation.status == "good"
    assert result.revocation.source == "ocsp"
    assert result.warnings == ()


def test_revoked_by_ocsp(services: TestServices) -> None:
    issued = new_card(services.pki).signature
    services.revoke(issued, at=services.clock() - dt.timedelta(hours=1), reason="key_compromise")
    with pytest.raises(CertificateRevoked) as caught:
        _validate(services, issued.cert_der(), OCSP_ONLY)
    assert caught.value.code == "certificate_revoked"
    assert "key_compromise" in caught.value.message
    assert "OCSP" in caught.value.message


def test_revoked_after_validation_time_is_a_warning(services: TestServices) -> None:
    issued = new_card(services.pki).signature
    services.revoke(issued)
    result = validate_certificate(
        issued.cert_der(),
        trust=trust_of(services),
        at=services.clock() - dt.timedelta(hours=2),
        revocation=OCSP_ONLY,
        cache=ValidationCache(),
    )
    assert any("after the validation time" in w for w in result.warnings)


def test_revoked_by_crl_when_ocsp_is_off(services: TestServices) -> None:
    issued = new_card(services.pki).authentication
    services.revoke(
        issued, at=services.clock() - dt.timedelta(minutes=5), reason="affiliation_changed"
    )
    with pytest.raises(CertificateRevoked) as caught:
        _validate(services, issued.cert_der(), CRL_ONLY)
    assert caught.value.code == "certificate_revoked"
    assert "CRL" in caught.value.message
    services.ocsp_enabled = False  # OCSP unavailable: the CRL decides, and the fallback is noted
    with pytest.raises(CertificateRevoked):
        _validate(services, issued.cert_der())
    good = new_card(services.pki).authentication.cert_der()
    result = _validate(services, good)
    assert result.revocation.source == "crl"
    assert any("OCSP" in w and "503" in w for w in result.warnings)


def test_delta_crl(services: TestServices) -> None:
    first, second = (
        new_card(services.pki).authentication,
        new_card(services.pki).authentication,
    )
    services.revoke(first, at=services.clock() - dt.timedelta(minutes=5))
    services.enable_delta_crls()
    services.revoke(second, at=services.clock() - dt.timedelta(minutes=5))
    for issued in (first, second):  # the second is only in the delta CRL
        with pytest.raises(CertificateRevoked):
            _validate(services, issued.cert_der(), CRL_ONLY)
    assert any(path.endswith("-delta.crl") for _, path in services.requests)


def test_unknown_status(services: TestServices) -> None:
    issued = new_card(services.pki).authentication
    services.mark_unknown(issued)
    with pytest.raises(RevocationUnknown) as caught:
        _validate(services, issued.cert_der())
    assert caught.value.code == "revocation_unknown"
    assert "unknown" in caught.value.message


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (OcspFault.BAD_SIGNATURE, "signature does not verify"),
        (OcspFault.WRONG_CERT_ID, "0 SingleResponses"),
        (OcspFault.TWO_RESPONSES, "2 SingleResponses"),
        (OcspFault.STALE, "stale"),
        (OcspFault.NO_NONCE, "no nonce"),
        (OcspFault.WRONG_NONCE, "nonce does not match"),
        (OcspFault.UNAUTHORIZED_SIGNER, "not issued by"),
        (OcspFault.TRY_LATER, "try_later"),
    ],
)
def test_bad_ocsp_answers_rejected(services: TestServices, fault: OcspFault, words: str) -> None:
    services.ocsp_fault = fault
    der = new_card(services.pki).authentication.cert_der()
    with pytest.raises(RevocationUnknown) as caught:
        _validate(services, der, OCSP_ONLY)
    assert caught.value.code == "revocation_unknown"
    assert words in caught.value.message


def test_no_nonce_accepted_when_not_asked(services: TestServices) -> None:
    services.ocsp_fault = OcspFault.NO_NONCE
    der = new_card(services.pki).authentication.cert_der()
    result = _validate(services, der, RevocationSettings(methods=("ocsp",), use_nonce=False))
    assert result.revocation.status == "good"


def test_max_age(services: TestServices) -> None:
    der = new_card(services.pki).authentication.cert_der()
    cache = ValidationCache()
    _validate(services, der, OCSP_ONLY, cache)
    later = services.clock() + dt.timedelta(minutes=30)
    strict = RevocationSettings(
        methods=("ocsp",), max_age=dt.timedelta(minutes=5), clock=lambda: later
    )
    services.ocsp_enabled = False
    with pytest.raises(RevocationUnknown) as caught:
        _validate(services, der, strict, cache)
    assert "503" in caught.value.message


def test_pinned_responder(services: TestServices) -> None:
    pki = services.pki
    der = new_card(pki).authentication.cert_der()
    pinned = RevocationSettings(
        methods=("ocsp",),
        ocsp_responder=services.ocsp_url,
        ocsp_responder_certificate=pki.ocsp_responder("citizen").certificate,
    )
    assert _validate(services, der, pinned).revocation.status == "good"
    other = RevocationSettings(
        methods=("ocsp",),
        ocsp_responder=services.ocsp_url,
        ocsp_responder_certificate=pki.ocsp_responder("foreigner").certificate,
        check_chain=False,
    )
    with pytest.raises(RevocationUnknown) as caught:
        _validate(services, der, other)
    assert "pinned responder" in caught.value.message


def test_prefer_soft_fails_with_warning(services: TestServices) -> None:
    services.ocsp_enabled = False
    services.crl_enabled = False
    der = new_card(services.pki).authentication.cert_der()
    result = _validate(services, der, RevocationSettings(policy=RevocationPolicy.PREFER))
    assert result.revocation.status == "unknown_soft_fail"
    assert any("could not be established" in w for w in result.warnings)
    with pytest.raises(RevocationUnknown):
        _validate(services, der)


def test_prefer_still_fails_on_revoked(services: TestServices) -> None:
    issued = new_card(services.pki).authentication
    services.revoke(issued, at=services.clock() - dt.timedelta(minutes=1))
    with pytest.raises(CertificateRevoked):
        _validate(services, issued.cert_der(), RevocationSettings(policy=RevocationPolicy.PREFER))


def test_off_makes_no_request(services: TestServices) -> None:
    der = new_card(services.pki).authentication.cert_der()
    before = services.request_count
    result = _validate(services, der, RevocationSettings(policy=RevocationPolicy.OFF))
    assert result.revocation.status == "not_checked"
    assert services.request_count == before


@pytest.mark.parametrize("settings", [OCSP_ONLY, CRL_ONLY])
def test_second_validation_is_cached(services: TestServices, settings: RevocationSettings) -> None:
    cache = ValidationCache()
    card = new_card(services.pki)
    _validate(services, card.authentication.cert_der(), settings, cache)
    before = services.request_count
    result = _validate(services, card.authentication.cert_der(), settings, cache)
    assert result.revocation.status == "good"
    assert services.request_count == before
    if settings is CRL_ONLY:  # the same CRLs serve another certificate of the same CA
        _validate(services, card.signature.cert_der(), settings, cache)
        assert services.request_count == before
