"""The virtual card's test PKI as the commands use it: its trust anchors and its services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from eid.pki import TrustStore
from eid.pki.services import TestServices
from eid.pki.testpki import TestPKI
from eid.tokens import Token
from eid.tokens.virtual import VirtualCard, find_virtual_card, softhsm_module

__all__ = ["card_trust", "test_pki_services", "virtual_card_of"]


def virtual_card_of(token: Token) -> VirtualCard | None:
    """The virtual card ``token`` is, or None for any other token."""
    card = find_virtual_card()
    if card is None or token.label != card.label:
        return None
    if token.module.path != softhsm_module().resolve() or token.module.environment.get(
        "SOFTHSM2_CONF"
    ) != str(card.config):
        return None
    return card


def card_trust(card: VirtualCard) -> TrustStore:
    """Trust the card's test root, with its Citizen CA to complete paths (as stored beside it)."""
    folder = card.directory / "pki"
    return TrustStore.from_paths([folder / "root.pem"], intermediates=[folder / "citizen-ca.pem"])


@contextmanager
def test_pki_services(pki: TestPKI) -> Iterator[TestServices]:
    """Serve the test PKI's OCSP, CRL and TSA on the loopback port its certificates name."""
    services = TestServices(pki, port=urlsplit(pki.base_url).port or 0).start()
    try:
        yield services
    finally:
        services.stop()
