"""Web eID tokens made by an attacker: every one is refused with a clean error and a code.

Tokens are made here with software keys of a test PKI (no card needed): the reproducers of
issue 8 (PEM in the certificate field, deep nesting, wrong JSON types, unreadable names,
a policy arc of 2^128) and the IPv6 origin that never verified.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eid.auth.webeid import validate
from eid.auth.webeid_format import authentication_value, normalise_origin, parse_token
from eid.errors import AuthTokenMalformed, CertificateMalformed, EidError
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.testpki import Holder, TestPKI
from tests._pki_helpers import with_policy

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
PKI = TestPKI.create(key_kind="ec", seed=b"hostile webeid", now=NOW)
CARD = PKI.issue_card(Holder("Jan", "Peeters", "85073003328"))
TRUST = TrustStore([PKI.root.certificate], [PKI.citizen_ca.certificate])
OFF = RevocationSettings(policy=RevocationPolicy.OFF)
NONCE = base64.b64encode(bytes(range(32))).decode()
ORIGIN = "https://portal.example"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def token(origin: str = ORIGIN, **changes: Any) -> dict[str, Any]:
    """A Web eID 1.0 token signed with the test card's authentication key (ES384)."""
    key = CARD.authentication.key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    value = authentication_value(normalise_origin(origin), NONCE, hashes.SHA384())
    r, s = decode_dss_signature(key.sign(value, ec.ECDSA(hashes.SHA384())))
    data: dict[str, Any] = {
        "algorithm": "ES384",
        "appVersion": "https://web-eid.eu/web-eid-app/releases/2.5.0",
        "format": "web-eid:1.0",
        "signature": b64(r.to_bytes(48, "big") + s.to_bytes(48, "big")),
        "unverifiedCertificate": b64(CARD.authentication.cert_der()),
    }
    data.update(changes)
    return data


def check(data: dict[str, Any] | str, origin: str = ORIGIN) -> object:
    text = data if isinstance(data, str) else json.dumps(data)
    return validate(text, origin=origin, challenge=NONCE, trust=TRUST, at=NOW, revocation=OFF)


def test_the_reference_token_validates() -> None:
    check(token())


def test_pem_in_the_certificate_field_is_refused() -> None:
    pem = token(unverifiedCertificate=b64(CARD.authentication.cert_pem()))
    with pytest.raises(CertificateMalformed, match="not a DER certificate"):
        check(pem)


def test_an_ipv6_origin_verifies() -> None:
    assert normalise_origin("https://[0:0::1]:8443/") == "https://[::1]:8443"
    check(token("https://[::1]:8443"), origin="https://[::1]:8443")


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deep_nesting_within_the_size_limit(opening: str) -> None:
    depth = 9000 // (len(opening) + 1)
    text = opening * depth + "1" + ("]" if opening == "[" else "}") * depth
    assert len(text) <= 10000
    with pytest.raises(AuthTokenMalformed, match="nested too deeply"):
        parse_token(text)


@pytest.mark.parametrize("value", [["ES384"], {"ES384": 1}, 384, None])
def test_algorithm_of_the_wrong_type(value: object) -> None:
    with pytest.raises(AuthTokenMalformed) as caught:
        parse_token(token(algorithm=value))
    assert caught.value.field == "algorithm"


def signing_token(**algorithm: Any) -> dict[str, Any]:
    entry = {
        "certificate": b64(CARD.signature.cert_der()),
        "supportedSignatureAlgorithms": [
            {"cryptoAlgorithm": "ECC", "hashFunction": "SHA-384", "paddingScheme": "NONE"}
            | algorithm
        ],
    }
    return token(format="web-eid:1.1", unverifiedSigningCertificates=[entry])


@pytest.mark.parametrize("field", ["cryptoAlgorithm", "hashFunction", "paddingScheme"])
@pytest.mark.parametrize("value", [["ECC"], {"a": "b"}])
def test_signature_algorithm_parts_of_the_wrong_type(field: str, value: object) -> None:
    with pytest.raises(AuthTokenMalformed, match="unsupported signature algorithm"):
        parse_token(signing_token(**{field: value}))
    assert parse_token(signing_token()).signing_certificates


@pytest.mark.parametrize("value", [3, "x", {"a": 1}, True])
def test_signing_certificates_of_the_wrong_type(value: object) -> None:
    with pytest.raises(AuthTokenMalformed):
        parse_token(token(format="web-eid:1.1", unverifiedSigningCertificates=value))


def with_broken_subject(der: bytes) -> bytes:
    """The certificate with a byte of its subject's first UTF8String made invalid UTF-8.

    `cryptography` loads it and fails only when the subject is read.
    """
    subject = asn1_x509.Certificate.load(der)["tbs_certificate"]["subject"].dump()
    broken = bytearray(subject)
    broken[subject.index(b"\x0c") + 2] = 0xFF
    return der.replace(subject, bytes(broken))


def test_an_unreadable_name_in_a_signing_certificate() -> None:
    data = signing_token()
    entry = data["unverifiedSigningCertificates"][0]
    entry["certificate"] = b64(with_broken_subject(CARD.signature.cert_der()))
    with pytest.raises(CertificateMalformed):
        parse_token(data)


def test_a_policy_arc_of_2_to_the_128_before_any_chain_check() -> None:
    huge = "2.25." + str(2**128)
    data = token(unverifiedCertificate=b64(with_policy(CARD.authentication.cert_der(), huge)))
    with pytest.raises(EidError) as caught:
        check(data)
    assert caught.value.code in ("certificate_untrusted", "certificate_invalid")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    ["algorithm", "appVersion", "format", "signature", "unverifiedCertificate",
     "unverifiedSigningCertificates"]
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(FIELDS, JSON, max_size=3), version=st.sampled_from(["1", "1.1"]))
def test_only_eid_errors_escape_from_token_parsing(changes: dict[str, Any], version: str) -> None:
    data = signing_token() if version == "1.1" else token()
    data.update(changes)
    try:
        parse_token(data)
        parse_token(json.dumps(data))
    except EidError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_only_eid_errors_escape_from_any_text(text: str | bytes) -> None:
    with contextlib.suppress(EidError):
        parse_token(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_only_usage_errors_escape_from_origins(origin: str) -> None:
    for candidate in (origin, "https://" + origin, "https://[" + origin + "]:8443"):
        with contextlib.suppress(EidError):
            normalise_origin(candidate)


@settings(max_examples=150, deadline=2000)
@given(data=st.data())
def test_only_eid_errors_escape_from_mutated_certificates(data: st.DataObject) -> None:
    der = bytearray(CARD.authentication.cert_der())
    for _ in range(data.draw(st.integers(1, 3))):
        der[data.draw(st.integers(0, len(der) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(EidError):
        check(token(unverifiedCertificate=b64(bytes(der))))


def test_a_message_quotes_a_long_value_cut_short() -> None:
    with pytest.raises(AuthTokenMalformed) as caught:
        parse_token(token(format="x" * 9000))
    assert len(caught.value.message) < 200
