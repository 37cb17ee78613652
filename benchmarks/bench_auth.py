"""Verifying a challenge response vs verifying its signature alone (same key type).

A portal's `Authenticator.verify` does everything a login needs: use up the nonce,
parse the Web eID token, load the certificate, check purpose, chain and validity,
revocation (OCSP answer cached after the first login), and the signature. The raw
contender only verifies the signature with `cryptography`. Target: eid's rate at
least 0.5x the raw rate, for RSA-2048 and EC P-384.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from eid.auth import Authenticator
from eid.auth.webeid_format import authentication_value
from eid.pki import TrustStore
from eid.pki.services import TestServices
from eid.pki.testpki import Holder, Issued

ORIGIN = "https://portal.example"


def _token(issued: Issued, nonce: str) -> tuple[str, bytes, bytes]:
    """A Web eID token signed in software, with the signed value and signature for the raw side."""
    key = issued.key
    if isinstance(key, rsa.RSAPrivateKey):
        algorithm, hash_algorithm = "RS256", hashes.SHA256()
        value = authentication_value(ORIGIN, nonce, hash_algorithm)
        signature = key.sign(value, padding.PKCS1v15(), hash_algorithm)
        raw = signature
    else:
        algorithm, hash_algorithm = "ES384", hashes.SHA384()
        value = authentication_value(ORIGIN, nonce, hash_algorithm)
        signature = key.sign(value, ec.ECDSA(hash_algorithm))
        r, s = decode_dss_signature(signature)
        raw = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    token = {
        "unverifiedCertificate": base64.b64encode(
            issued.certificate.public_bytes(serialization.Encoding.DER)
        ).decode(),
        "algorithm": algorithm,
        "signature": base64.b64encode(raw).decode(),
        "format": "web-eid:1.0",
        "appVersion": "https://eid.invalid/benchmark",
    }
    return json.dumps(token), value, signature


def _rate(calls: list[Callable[[], object]]) -> float:
    started = time.perf_counter()
    for call in calls:
        call()
    return len(calls) / (time.perf_counter() - started)


def run(kind: str, count: int) -> None:
    with TestServices(
        key_kind="ec" if kind == "ec" else "rsa", seed=f"bench-{kind}".encode()
    ) as services:
        pki = services.pki
        card = pki.issue_card(Holder("Alice", "Specimen", "85073003427"))
        portal = Authenticator(
            origin=ORIGIN, trust=TrustStore([pki.root.certificate], [pki.citizen_ca.certificate])
        )
        public = card.authentication.certificate.public_key()

        def raw_verify(value: bytes, signature: bytes) -> Callable[[], None]:
            if isinstance(public, rsa.RSAPublicKey):
                return lambda: public.verify(signature, value, padding.PKCS1v15(), hashes.SHA256())
            assert isinstance(public, ec.EllipticCurvePublicKey)
            return lambda: public.verify(signature, value, ec.ECDSA(hashes.SHA384()))

        best = {"raw": 0.0, "eid": 0.0}
        warm = portal.new_challenge()
        portal.verify(
            _token(card.authentication, warm.nonce)[0], challenge=warm.nonce
        )  # fetches OCSP once
        requests = services.request_count
        for _ in range(5):
            rounds = []
            for _ in range(count):
                challenge = portal.new_challenge()
                token, value, signature = _token(card.authentication, challenge.nonce)
                rounds.append((challenge.nonce, token, value, signature))
            best["raw"] = max(best["raw"], _rate([raw_verify(v, s) for _, _, v, s in rounds]))
            best["eid"] = max(
                best["eid"],
                _rate([lambda t=t, n=n: portal.verify(t, challenge=n) for n, t, _, _ in rounds]),
            )
        assert services.request_count == requests, "the cached validation went to the network"
    label = "RSA-2048" if kind == "rsa" else "EC P-384"
    print(
        f"login verification, {label} ({count} logins x 5 rounds, best round; OCSP required, cached):"
    )
    print(f"  raw signature verify     {best['raw']:9.0f} /s")
    print(f"  eid Authenticator.verify {best['eid']:9.0f} /s")
    print(f"  ratio eid / raw: {best['eid'] / best['raw']:.2f}  (target >= 0.5)")


def main() -> None:
    """Run the login benchmark for RSA-2048 and EC P-384."""
    run("rsa", 1000)
    run("ec", 300)
