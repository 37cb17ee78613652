"""The loopback services of the test PKI: CA certificates, CRLs, OCSP (GET and POST), TSA."""

from __future__ import annotations

import base64
import hashlib
import os
import urllib.parse

import requests
from asn1crypto import crl, ocsp, tsp
from asn1crypto import x509 as asn1_x509

from eid.pki.certificates import load_certificate
from eid.pki.ocsp import build_request
from eid.pki.services import TestServices
from tests._pki_helpers import new_card


def test_lifecycle_and_urls() -> None:
    services = TestServices(key_kind="ec", seed=b"svc")
    with services:
        assert services.base_url.startswith("http://127.0.0.1:")
        assert services.pki.base_url == services.base_url
        assert services.pki.ocsp_url == services.ocsp_url
        thread = services._thread
        assert thread is not None
        assert thread.is_alive()
    assert not thread.is_alive()


def test_ca_certificates_and_crls() -> None:
    with TestServices(key_kind="ec", seed=b"svc") as services:
        pki = services.pki
        answer = requests.get(pki.ca_cert_url("citizen"), timeout=5)
        assert answer.status_code == 200
        assert answer.content == pki.citizen_ca.cert_der()
        card = new_card(pki)
        services.revoke(card.signature, reason="superseded")
        listed = crl.CertificateList.load(requests.get(pki.crl_url("citizen"), timeout=5).content)
        entries = list(listed["tbs_cert_list"]["revoked_certificates"])
        assert [e["user_certificate"].native for e in entries] == [
            card.signature.certificate.serial_number
        ]
        assert entries[0].crl_reason_value.native == "superseded"
        assert requests.get(services.base_url + "/nothing", timeout=5).status_code == 404
        services.crl_enabled = False
        assert requests.get(pki.crl_url("citizen"), timeout=5).status_code == 503
        assert services.request_count == 4


def test_ocsp_get_and_post() -> None:
    with TestServices(key_kind="ec", seed=b"svc") as services:
        card = new_card(services.pki)
        cert = load_certificate(card.authentication.cert_der())
        issuer = load_certificate(services.pki.citizen_ca.cert_der())
        nonce = os.urandom(16)
        request = build_request(cert, issuer, nonce)
        posted = requests.post(
            services.ocsp_url,
            data=request,
            timeout=5,
            headers={"Content-Type": "application/ocsp-request"},
        )
        encoded = urllib.parse.quote(base64.b64encode(request).decode(), safe="")
        fetched = requests.get(f"{services.ocsp_url}/{encoded}", timeout=5)
        for answer in (posted, fetched):
            response = ocsp.OCSPResponse.load(answer.content)
            assert response["response_status"].native == "successful"
            data = response.basic_ocsp_response["tbs_response_data"]
            assert data["responses"][0]["cert_status"].name == "good"
        stranger = build_request(cert, load_certificate(services.pki.rrn.cert_der()), None)
        answer = requests.post(services.ocsp_url, data=stranger, timeout=5)
        assert ocsp.OCSPResponse.load(answer.content)["response_status"].native == "unauthorized"


def test_tsa() -> None:
    with TestServices(key_kind="ec", seed=b"svc") as services:
        digest = hashlib.sha256(b"document").digest()
        request = tsp.TimeStampReq(
            {
                "version": 1,
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": digest,
                },
                "nonce": 12345,
                "cert_req": True,
            }
        )
        answer = requests.post(
            services.tsa_url,
            data=request.dump(),
            timeout=5,
            headers={"Content-Type": "application/timestamp-query"},
        )
        assert answer.status_code == 200
        response = tsp.TimeStampResp.load(answer.content)
        assert response["status"]["status"].native == "granted"
        signed = response["time_stamp_token"]["content"]
        info = signed["encap_content_info"]["content"].parsed
        assert info["message_imprint"]["hashed_message"].native == digest
        assert info["nonce"].native == 12345
        tsa_cert = services.pki.tsa().cert_der()
        assert any(c.chosen.dump() == tsa_cert for c in signed["certificates"])
        assert asn1_x509.Certificate.load(tsa_cert).extended_key_usage_value.native == [
            "time_stamping"
        ]


def test_a_stopped_server_answers_no_more_on_kept_connections() -> None:
    """A client's pooled keep-alive connection must reach the next server on the port."""
    from eid.pki import _http

    first = TestServices(key_kind="ec", seed=b"first").start()
    port = int(first.base_url.rsplit(":", 1)[1])
    url = f"{first.base_url}/ca/root.crt"
    before, _ = _http.get(url, timeout=5)
    assert before == first.pki.root.cert_der()
    first.stop()
    with TestServices(key_kind="ec", seed=b"second", port=port) as second:
        after, _ = _http.get(url, timeout=5)
        assert after == second.pki.root.cert_der() != before
