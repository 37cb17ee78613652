"""TLS client certificates from a proxy header or the ASGI TLS extension."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from eid.auth import (
    authenticate_client_certificate,
    certificate_chain_from_asgi_scope,
    certificate_from_header,
)
from eid.errors import CertificateMalformed, CertificateUntrusted, WrongPurpose
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.testpki import Holder, TestPKI

OFF = RevocationSettings(policy=RevocationPolicy.OFF)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"tls client certificates")


@pytest.fixture(scope="module")
def trust(pki: TestPKI) -> TrustStore:
    store = TrustStore()
    store.add(pki.root.certificate)
    return store


def test_header_forms(pki: TestPKI) -> None:
    cert = pki.issue_card(Holder("Jan", "Peeters", "85073003328")).authentication.certificate
    pem = cert.public_bytes(Encoding.PEM).decode()
    nginx = quote(pem, safe="")  # $ssl_client_escaped_cert
    one_line = pem.replace("\n", " ")
    der_b64 = base64.b64encode(cert.public_bytes(Encoding.DER)).decode()
    for value in (nginx, one_line, der_b64, pem):
        assert certificate_from_header(value).crypto == cert
    for bad in (
        "",
        "%00%01",
        "-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----",
        "not base64!",
    ):
        with pytest.raises(CertificateMalformed):
            certificate_from_header(bad)


def test_asgi_scope(pki: TestPKI) -> None:
    card = pki.issue_card(Holder("Jan", "Peeters", "85073003328"))
    chain = [card.authentication.certificate, pki.citizen_ca.certificate]
    scope = {
        "type": "http",
        "extensions": {
            "tls": {"client_cert_chain": [c.public_bytes(Encoding.PEM).decode() for c in chain]}
        },
    }
    assert [c.crypto for c in certificate_chain_from_asgi_scope(scope)] == chain
    assert certificate_chain_from_asgi_scope({"type": "http"}) == []
    with pytest.raises(CertificateMalformed):
        certificate_chain_from_asgi_scope(
            {"extensions": {"tls": {"client_cert_chain": ["garbage"]}}}
        )


def test_authenticate_a_client_certificate(pki: TestPKI, trust: TrustStore) -> None:
    card = pki.issue_card(Holder("Jan", "Peeters", "85073003328"))
    result = authenticate_client_certificate(
        card.authentication.certificate,
        trust=trust,
        revocation=OFF,
        intermediates=[pki.citizen_ca.certificate],
    )
    assert str(result.validated.identity.national_number) == "85073003328"
    assert result.method == "tls_client_certificate"
    with pytest.raises(WrongPurpose):
        authenticate_client_certificate(
            card.signature.certificate,
            trust=trust,
            revocation=OFF,
            intermediates=[pki.citizen_ca.certificate],
        )
    with pytest.raises(CertificateUntrusted):
        authenticate_client_certificate(
            card.authentication.certificate, trust=TrustStore.belgium(), revocation=OFF
        )
