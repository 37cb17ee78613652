"""Remembered validations: reused only while their path and revocation answers hold."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from eid.errors import CertificateRevoked, WrongPurpose
from eid.pki import (
    RevocationPolicy,
    RevocationSettings,
    ValidatedCertificate,
    ValidationCache,
    validate_certificate,
)
from eid.pki.services import TestServices
from eid.pki.testpki import CardCredentials

from ._pki_helpers import new_card, trust_of


def _validate(
    services: TestServices, card: CardCredentials, cache: ValidationCache, **options: Any
) -> ValidatedCertificate:
    """``card``'s authentication certificate validated under ``services``' PKI with ``cache``."""
    return validate_certificate(
        card.authentication.certificate, trust=trust_of(services), cache=cache, **options
    )


def test_a_clean_validation_is_reused_until_its_answers_go_stale() -> None:
    now = [dt.datetime.now(dt.UTC)]
    with TestServices(
        key_kind="ec", seed=b"memo", validity=dt.timedelta(minutes=30), clock=lambda: now[0]
    ) as services:
        card = new_card(services.pki)
        cache = ValidationCache()
        settings = RevocationSettings(clock=lambda: now[0])
        check = lambda: _validate(services, card, cache, revocation=settings)  # noqa: E731
        first = check()
        assert first.revocation.status == "good"
        asked = services.request_count
        assert check().revocation.status == "good"
        assert services.request_count == asked  # remembered: no request
        # Past nextUpdate + skew the answers are stale: the validation is made again,
        # and sees what happened meanwhile.
        services.revoke(card.authentication.certificate)
        now[0] += dt.timedelta(minutes=46)
        with pytest.raises(CertificateRevoked):
            check()
        assert services.request_count > asked


def test_a_soft_failure_is_not_remembered() -> None:
    with TestServices(key_kind="ec", seed=b"memo soft") as services:
        card = new_card(services.pki)
        cache = ValidationCache()
        prefer = RevocationSettings(policy=RevocationPolicy.PREFER)
        services.ocsp_enabled = services.crl_enabled = False
        soft = _validate(services, card, cache, revocation=prefer)
        assert soft.revocation.status == "unknown_soft_fail"
        services.ocsp_enabled = services.crl_enabled = True
        again = _validate(services, card, cache, revocation=prefer)
        assert again.revocation.status == "good"


def test_a_clean_validation_is_not_worked_out_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The remembered result is used: revocation is not checked again while it holds."""
    import eid.pki.validate as validate_module

    with TestServices(key_kind="ec", seed=b"memo used") as services:
        card = new_card(services.pki)
        cache = ValidationCache()
        calls = []
        checked = validate_module.check_path
        monkeypatch.setattr(
            validate_module, "check_path", lambda *a, **k: calls.append(1) or checked(*a, **k)
        )
        for _ in range(3):
            _validate(services, card, cache)
        assert len(calls) == 1
        # Another purpose is another question: worked out once more.
        with pytest.raises(WrongPurpose):
            _validate(services, card, cache, purpose="signature")
