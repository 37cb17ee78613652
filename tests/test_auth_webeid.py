"""Web eID tokens and challenge–response login with the virtual card, checked in order."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from eid.auth import Authenticator, MemoryNonceStore, respond
from eid.auth.webeid import create_token, validate
from eid.errors import (
    AuthTokenMalformed,
    CertificateExpired,
    CertificateMalformed,
    CertificateNotYetValid,
    CertificateUntrusted,
    DisallowedPolicy,
    EidError,
    NonceExpired,
    NonceReplayed,
    NonceUnknown,
    OriginMismatch,
    SignatureInvalid,
    UsageError,
    WrongPurpose,
)
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.testpki import Holder, TestPKI
from eid.tokens import Role, Token
from eid.tokens.virtual import VirtualCard

ORIGIN = "https://portal.example"
NONCE = base64.b64encode(bytes(range(32))).decode()
OFF = RevocationSettings(policy=RevocationPolicy.OFF)


@pytest.fixture
def trust(virtual_card: VirtualCard) -> TrustStore:
    pki = virtual_card.pki()
    store = TrustStore()
    store.add(pki.root.certificate)
    store.add(pki.citizen_ca.certificate, anchor=False)  # Web eID tokens carry only the leaf
    return store


@pytest.fixture
def card_token(token: Token) -> str:
    return create_token(token, origin=ORIGIN, challenge=NONCE)


def check(token: str, trust: TrustStore, **kwargs: object) -> object:
    arguments: dict[str, object] = {
        "origin": ORIGIN,
        "challenge": NONCE,
        "trust": trust,
        "revocation": OFF,
    }
    arguments.update(kwargs)
    return validate(token, **arguments)  # type: ignore[arg-type]


def test_a_token_made_by_the_virtual_card_validates(
    virtual_card: VirtualCard, card_token: str, trust: TrustStore
) -> None:
    result = validate(
        card_token, origin=ORIGIN + ":443/", challenge=NONCE, trust=trust, revocation=OFF
    )
    assert str(result.validated.identity.national_number) == virtual_card.national_number
    assert result.validated.identity.surname == "Specimen"
    assert result.assurance_level == "high"
    assert result.method == "webeid"
    assert result.to_dict()["national_number"] == virtual_card.national_number
    assert json.loads(card_token)["algorithm"] == (
        "ES384" if virtual_card.key_kind == "ec" else "RS256"
    )


def test_rsa_pss_tokens(virtual_card: VirtualCard, token: Token, trust: TrustStore) -> None:
    if virtual_card.key_kind == "ec":
        with pytest.raises(SignatureInvalid):  # ES256 is P-256 only (RFC 7518); the card is P-384
            check(create_token(token, origin=ORIGIN, challenge=NONCE, algorithm="ES256"), trust)
        return
    made = create_token(token, origin=ORIGIN, challenge=NONCE, rsa_padding="pss")
    assert json.loads(made)["algorithm"] == "PS256"
    check(made, trust)


def test_wrong_origin_or_challenge_fails_the_signature(card_token: str, trust: TrustStore) -> None:
    with pytest.raises(SignatureInvalid):
        check(card_token, trust, origin="https://evil.example")
    with pytest.raises(SignatureInvalid):
        check(card_token, trust, challenge=base64.b64encode(bytes(32)).decode())
    with pytest.raises(UsageError):
        check(card_token, trust, origin="http://portal.example")


def _mutations(token: str) -> Iterator[tuple[int, str]]:
    """Every position of the token whose byte the validation must depend on.

    ``appVersion`` is informational and unsigned in the Web eID format, and JSON
    whitespace is insignificant: changing those is not tampering.
    """
    data = json.loads(token)
    app_version = json.dumps(data["appVersion"])
    skip_from = token.index(app_version)
    skip = range(skip_from, skip_from + len(app_version))
    for position, char in enumerate(token):
        if position in skip or char.isspace():
            continue
        replacement = "B" if char == "A" else "A"
        yield position, token[:position] + replacement + token[position + 1 :]


def test_any_byte_changed_fails(card_token: str, trust: TrustStore) -> None:
    tried = 0
    for position, mutated in _mutations(card_token):
        try:
            check(mutated, trust)
        except EidError:
            tried += 1
            continue
        pytest.fail(f"a token changed at position {position} still validated")
    assert tried > 1000


def test_authenticator_login_replay_expiry_and_origin(token: Token, trust: TrustStore) -> None:
    now = [dt.datetime.now(dt.UTC)]
    store = MemoryNonceStore()
    portal = Authenticator(
        origin=ORIGIN, trust=trust, store=store, revocation=OFF, clock=lambda: now[0]
    )
    challenge = portal.new_challenge()
    assert len(base64.b64decode(challenge.nonce)) == 32
    answer = respond(token, challenge)
    result = portal.verify(answer, challenge=challenge.nonce)
    assert result.method == "challenge_response"
    assert result.origin == ORIGIN
    with pytest.raises(NonceReplayed):
        portal.verify(answer, challenge=challenge.nonce)
    with pytest.raises(NonceUnknown):
        portal.verify(answer, challenge=NONCE)

    late = portal.new_challenge()
    late_answer = respond(token, late)
    now[0] += dt.timedelta(minutes=5, seconds=1)
    with pytest.raises(NonceExpired):
        portal.verify(late_answer, challenge=late.nonce)

    # Another portal sharing the store must not accept a challenge issued for this one.
    other = Authenticator(origin="https://other.example", trust=trust, store=store, revocation=OFF)
    stolen = portal.new_challenge()
    with pytest.raises(OriginMismatch):
        other.verify(respond(token, stolen), challenge=stolen.nonce)


def test_malformed_tokens(card_token: str, trust: TrustStore) -> None:
    data = json.loads(card_token)
    cases: list[object] = [
        "x" * 50,
        "x" * 10001,
        "[" + "1," * 60 + "1]",
        json.dumps({**data, "format": "web-eid:2"}),
        json.dumps({**data, "format": "webauthn:1"}),
        json.dumps({**data, "format": "web-eid:1.A"}),
        json.dumps({**data, "format": "web-eid:10"}),
        json.dumps({**data, "algorithm": "HS256"}),
        json.dumps({k: v for k, v in data.items() if k != "signature"}),
        json.dumps({k: v for k, v in data.items() if k != "appVersion"}),
        json.dumps(
            {**data, "signature": data["signature"].replace("+", "-").replace("/", "_") + "-_"}
        ),
        json.dumps({**data, "format": "web-eid:1.1"}),
        json.dumps({**data, "unverifiedSigningCertificates": []}),
        json.dumps(
            {
                **data,
                "unverifiedSigningCertificates": [{"certificate": data["unverifiedCertificate"]}],
            }
        ),
    ]
    for case in cases:
        with pytest.raises(AuthTokenMalformed):
            check(case, trust)  # type: ignore[arg-type]
    assert check(json.dumps({**data, "somethingNew": 1}), trust)  # unknown fields are ignored


def test_undecodable_certificate(card_token: str, trust: TrustStore) -> None:
    data = json.loads(card_token)
    data["unverifiedCertificate"] = base64.b64encode(b"\x30\x03\x02\x01\x01" * 40).decode()
    with pytest.raises(CertificateMalformed):
        check(json.dumps(data), trust)


def test_wrong_purpose_when_the_signature_certificate_answers(
    token: Token, trust: TrustStore
) -> None:
    data = json.loads(create_token(token, origin=ORIGIN, challenge=NONCE))
    signing = token.certificate(Role.SIGNATURE).certificate
    data["unverifiedCertificate"] = base64.b64encode(
        signing.public_bytes(encoding=Encoding.DER)
    ).decode()
    with pytest.raises(WrongPurpose):
        check(json.dumps(data), trust)


def test_disallowed_policy(card_token: str, token: Token, trust: TrustStore) -> None:
    policies = (
        token.certificate(Role.AUTHENTICATION)
        .certificate.extensions.get_extension_for_class(x509.CertificatePolicies)
        .value
    )
    with pytest.raises(DisallowedPolicy):
        check(card_token, trust, disallowed_policies=[policies[0].policy_identifier.dotted_string])


def test_untrusted_expired_and_not_yet_valid(card_token: str, trust: TrustStore) -> None:
    another = TestPKI.create(key_kind="ec", seed=b"another pki")
    stranger = TrustStore()
    stranger.add(another.root.certificate)
    stranger.add(another.citizen_ca.certificate, anchor=False)
    with pytest.raises(CertificateUntrusted):
        check(card_token, stranger)
    with pytest.raises(CertificateExpired):
        check(card_token, trust, at=dt.datetime(2060, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(CertificateNotYetValid):
        check(card_token, trust, at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC))


def test_format_1_1_carries_a_validated_signing_certificate(
    token: Token, trust: TrustStore
) -> None:
    made = create_token(token, origin=ORIGIN, challenge=NONCE, include_signing_certificate=True)
    result = check(made, trust)
    assert result.signing_certificates == (token.certificate(Role.SIGNATURE).certificate,)  # type: ignore[attr-defined]
    data = json.loads(made)
    other = TestPKI.create(key_kind="ec", seed=b"someone else")
    someone = other.issue_card(Holder("Bob", "Other", "85073003328")).signature.certificate
    data["unverifiedSigningCertificates"][0]["certificate"] = base64.b64encode(
        someone.public_bytes(encoding=Encoding.DER)
    ).decode()
    with pytest.raises(EidError) as raised:
        check(json.dumps(data), trust)
    assert raised.value.code == "certificate_invalid"


def test_purpose_is_checked_before_the_chain(token: Token) -> None:
    data = json.loads(create_token(token, origin=ORIGIN, challenge=NONCE))
    signing = token.certificate(Role.SIGNATURE).certificate
    data["unverifiedCertificate"] = base64.b64encode(signing.public_bytes(Encoding.DER)).decode()
    with pytest.raises(WrongPurpose):  # untrusted too, but the purpose check comes first
        check(json.dumps(data), TrustStore.belgium())
