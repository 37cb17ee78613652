"""OIDC ID tokens: issuance, import with every check, interop with PyJWT and joserfc, rollover."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

from eid.errors import (
    AssertionHeaderRefused,
    AssertionMalformed,
    EidError,
    MalformedInput,
    UsageError,
)
from eid.identity import Address
from eid.sso import KeySet as ProviderKeySet
from eid.sso import MemoryReplayStore, PortalRegistry, ProviderKey
from eid.sso.id_token import import_id_token
from eid.sso.imported import Imported
from eid.sso.jwks import VerificationKeys
from eid.sso.jws import LOGOUT_TOKEN_TYPES, b64url_encode, parse_compact
from eid.sso.oidc import access_token_hash, sign_jwt
from eid.sso.provider import IdentityProvider
from eid.tokens import Token
from tests.sso_support import ISSUER, as_production_card, ec_key, login, minter, portal, rsa_key

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
CLIENT = "portal-a"
KEYS: dict[str, Callable[[], ProviderKey]] = {
    "RS256": lambda: rsa_key(),
    "PS256": lambda: rsa_key(),
    "ES256": lambda: ec_key(),
    "ES384": lambda: ec_key("a", "P-384"),
}


def provider(
    key: ProviderKey, *, algorithms: tuple[str, ...] = ("RS256",), **kw: object
) -> IdentityProvider:
    registry = PortalRegistry(
        [
            portal(
                algorithms=algorithms,
                attributes=frozenset({"given_name", "family_name", "gender", "locale", "address"}),
            )
        ]
    )
    return IdentityProvider(
        ISSUER, ProviderKeySet(key), registry, subjects=minter(), clock=lambda: NOW, **kw
    )  # type: ignore[arg-type]


def keys_of(idp: IdentityProvider) -> VerificationKeys:
    """The portal's view: the JWKS document as published, parsed."""
    return VerificationKeys.from_jwks(json.dumps(idp.jwks()))


def do_import(token: str | bytes, keys: VerificationKeys, **kw: object) -> Imported:
    options: dict[str, object] = {"issuer": ISSUER, "audience": CLIENT, "keys": keys, "at": NOW}
    options.update(kw)
    return import_id_token(token, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("alg", list(KEYS))
def test_round_trip(alg: str) -> None:
    idp = provider(KEYS[alg](), algorithms=(alg,))
    auth = as_production_card(login())
    address = Address("Wetstraat 16", "1000", "Brussel")
    token = idp.issue_id_token(
        auth, CLIENT, nonce="n-1", access_token="access-1", language="F", address=address
    )
    assert parse_compact(token).header == {"alg": alg, "kid": idp.keys.active.kid, "typ": "JWT"}
    imported = do_import(token, keys_of(idp), nonce="n-1", access_token="access-1")
    assert imported.subject == idp.statement(auth, CLIENT).subject.value
    assert imported.level == "high"
    assert imported.methods == ("sc", "hwk", "pin", "mfa")
    assert imported.attributes == {
        "given_name": "Alice Maria",
        "family_name": "SPECIMEN",
        "locale": "fr",
        "gender": "female",
        "address": {
            "street_address": "Wetstraat 16",
            "postal_code": "1000",
            "locality": "Brussel",
            "country": "BE",
        },
    }
    assert imported.expires_at == NOW + dt.timedelta(minutes=5)
    assert imported.authenticated_at == dt.datetime.fromtimestamp(
        int(auth.authenticated_at.timestamp()), dt.UTC
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) >= {
        "iss",
        "sub",
        "aud",
        "azp",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "at_hash",
        "jti",
        "sid",
    }


def test_at_hash_known_value() -> None:
    # OpenID Connect Core 1.0, A.3 (RS256): access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
    assert (
        access_token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256")
        == "77QmUPtjPfzWtF2AnpK9RQ"
    )


def test_saml_portal_gets_no_id_token() -> None:
    idp = IdentityProvider(
        ISSUER, ProviderKeySet(ec_key()), PortalRegistry([portal(kind="saml")]), subjects=minter()
    )
    with pytest.raises(UsageError, match="SAML"):
        idp.issue_id_token(login(), CLIENT)


def test_discovery_and_jwks() -> None:
    idp = provider(rsa_key())
    document = idp.discovery()
    assert document["issuer"] == ISSUER
    assert document["jwks_uri"] == ISSUER + "/jwks"
    assert "RS256" in document["id_token_signing_alg_values_supported"]  # type: ignore[operator]
    assert "http://eidas.europa.eu/LoA/high" in document["acr_values_supported"]  # type: ignore[operator]
    assert idp.discovery(jwks_uri="https://x/keys")["jwks_uri"] == "https://x/keys"
    (jwk,) = idp.jwks()["keys"]  # type: ignore[misc]
    assert jwk["kid"] == rsa_key().kid
    assert "d" not in jwk


def _containers(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.lists(children) | st.dictionaries(st.text(), children)


def _small_containers(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.lists(children, max_size=3) | st.dictionaries(
        st.text(max_size=8), children, max_size=3
    )


# -- interop -------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", list(KEYS))
def test_our_tokens_verify_with_pyjwt_and_joserfc(alg: str) -> None:
    idp = provider(KEYS[alg](), algorithms=(alg,))
    token = idp.issue_id_token(login(), CLIENT, nonce="n")
    jwks = idp.jwks()
    kid = idp.keys.active.kid
    with_pyjwt = jwt.decode(
        token,
        jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid), algorithm=alg),  # type: ignore[union-attr, index, attr-defined]
        algorithms=[alg],
        audience=CLIENT,
        issuer=ISSUER,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert with_pyjwt["nonce"] == "n"
    decoded = jose_jwt.decode(token, KeySet.import_key_set(jwks), algorithms=[alg])
    assert decoded.claims == with_pyjwt
    jose_jwt.JWTClaimsRegistry(
        now=int(NOW.timestamp()),
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": CLIENT},
    ).validate(decoded.claims)


def _private(alg: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if alg.startswith(("RS", "PS")):
        return rsa.generate_private_key(65537, 2048)
    return ec.generate_private_key(ec.SECP256R1() if alg == "ES256" else ec.SECP384R1())


def _claims(**changes: object) -> dict[str, object]:
    iat = int(NOW.timestamp())
    claims: dict[str, object] = {
        "iss": ISSUER, "sub": "subject-1", "aud": CLIENT, "exp": iat + 300, "iat": iat,
        "nonce": "n", "jti": "j-1", "acr": "http://eidas.europa.eu/LoA/substantial",
    }  # fmt: skip
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize("alg", list(KEYS))
@pytest.mark.parametrize("library", ["pyjwt", "joserfc"])
def test_tokens_by_other_libraries_import(alg: str, library: str) -> None:
    private = _private(alg)
    ours = ProviderKey.from_private_key(private)
    keys = VerificationKeys.from_jwks(ProviderKeySet(ours, next=ec_key("other")).jwks())
    if library == "pyjwt":
        token = jwt.encode(_claims(), private, algorithm=alg, headers={"kid": ours.kid})
    else:
        jose_key = RSAKey.import_key(private) if alg[0] in "RP" else ECKey.import_key(private)
        token = jose_jwt.encode(
            {"alg": alg, "kid": ours.kid}, _claims(), jose_key, algorithms=[alg]
        )
    imported = do_import(token, keys, nonce="n", replay=MemoryReplayStore())
    assert imported.subject == "subject-1"
    assert imported.level == "substantial"


# -- tampered and hostile tokens -----------------------------------------------------------

SIGNER = ec_key()
OTHER = ec_key("other")
RSA = rsa_key()


def _keys() -> VerificationKeys:
    return VerificationKeys.from_key_set(ProviderKeySet(SIGNER, next=RSA))


def test_explicit_types_keep_logout_tokens_and_id_tokens_apart() -> None:
    """Back-Channel Logout 4.1 (cross-JWT confusion): each parser takes its own typ only."""
    logout = sign_jwt({"iss": ISSUER}, SIGNER, "ES256", typ="logout+jwt")
    id_token = sign_jwt({"iss": ISSUER}, SIGNER, "ES256")
    assert parse_compact(logout, types=LOGOUT_TOKEN_TYPES).header["typ"] == "logout+jwt"
    assert parse_compact(id_token).header["typ"] == "JWT"
    with pytest.raises(AssertionHeaderRefused):
        parse_compact(logout)
    with pytest.raises(AssertionHeaderRefused):
        parse_compact(id_token, types=LOGOUT_TOKEN_TYPES)


def _b64json(value: object) -> str:
    return b64url_encode(json.dumps(value).encode())


def forge(
    header: dict[str, object] | str | None = None,
    claims: dict[str, object] | str | None = None,
    *,
    key: ProviderKey = SIGNER,
    alg: str = "ES256",
    signature: bytes | None = None,
) -> str:
    h = (
        header
        if isinstance(header, str)
        else _b64json(header if header is not None else {"alg": alg, "kid": key.kid, "typ": "JWT"})
    )
    c = claims if isinstance(claims, str) else _b64json(claims if claims is not None else _claims())
    signing_input = f"{h}.{c}".encode()
    sig = signature if signature is not None else key.sign(signing_input, alg)
    return f"{h}.{c}.{b64url_encode(sig)}"


def _hmac(header: dict[str, object], secret: bytes) -> str:
    import hashlib
    import hmac

    h, c = _b64json(header), _b64json(_claims())
    return (
        f"{h}.{c}.{b64url_encode(hmac.new(secret, f'{h}.{c}'.encode(), hashlib.sha256).digest())}"
    )


def _swap_last_char(token: str) -> str:
    """Change unused low bits of the signature's last character: same bytes, other text."""
    head, sig = token.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = alphabet.index(sig[-1])
    return f"{head}.{sig[:-1]}{alphabet[index | 1 if index % 2 == 0 else index & ~1]}"


def _standard_alphabet(token: str) -> str:
    """The token with base64's '+' and '/' where base64url has '-' and '_' (one at least)."""
    head, sig = token.rsplit(".", 1)
    changed = sig.replace("-", "+").replace("_", "/")
    return f"{head}.{changed if changed != sig else '+' + sig[1:]}"


def _public_pem() -> bytes:
    return SIGNER.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _der_signature() -> str:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    token = forge()
    raw = base64.urlsafe_b64decode(token.rsplit(".", 1)[1] + "==")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    return token.rsplit(".", 1)[0] + "." + b64url_encode(der)


def _resigned_with_other_key_same_kid() -> str:
    header = {"alg": "ES256", "kid": SIGNER.kid}
    h, c = _b64json(header), _b64json(_claims())
    return f"{h}.{c}.{b64url_encode(OTHER.sign(f'{h}.{c}'.encode(), 'ES256'))}"


def _payload_swapped() -> str:
    token = forge()
    h, _, s = token.split(".")
    return f"{h}.{_b64json(_claims(sub='someone-else'))}.{s}"


def _flipped_signature() -> str:
    token = forge()
    head, sig = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
    raw[5] ^= 1
    return f"{head}.{b64url_encode(bytes(raw))}"


def _with_header(**members: object) -> Callable[[], str]:
    """A token well signed by SIGNER whose header has ``members`` besides its alg and kid."""
    return lambda: forge({"alg": "ES256", "kid": SIGNER.kid, **members})


iat = int(NOW.timestamp())
HOSTILE: dict[str, tuple[Callable[[], str | bytes], str, dict[str, object]]] = {
    "alg none": (
        lambda: forge({"alg": "none", "kid": SIGNER.kid}, signature=b""),
        "assertion_algorithm_refused",
        {},
    ),
    "alg None": (
        lambda: forge({"alg": "None", "kid": SIGNER.kid}, signature=b""),
        "assertion_algorithm_refused",
        {},
    ),
    "HS256 keyed with public key": (
        lambda: _hmac({"alg": "HS256", "kid": SIGNER.kid}, _public_pem()),
        "assertion_algorithm_refused",
        {},
    ),
    "HS512": (lambda: _hmac({"alg": "HS512"}, b"secret"), "assertion_algorithm_refused", {}),
    "RS256 named on an EC key": (
        lambda: forge({"alg": "RS256", "kid": SIGNER.kid}, key=RSA, alg="RS256"),
        "assertion_algorithm_refused",
        {},
    ),
    "ES384 on a P-256 key": (
        lambda: forge({"alg": "ES384", "kid": SIGNER.kid}, key=ec_key("a", "P-384"), alg="ES384"),
        "assertion_algorithm_refused",
        {},
    ),
    "algorithm not allowed here": (
        lambda: forge(),
        "assertion_algorithm_refused",
        {"algorithms": ("RS256",)},
    ),
    "unknown kid": (lambda: forge({"alg": "ES256", "kid": "nobody"}), "assertion_key_unknown", {}),
    "no kid with several keys": (lambda: forge({"alg": "ES256"}), "assertion_key_unknown", {}),
    "embedded jwk": (
        lambda: forge({"alg": "ES256", "kid": SIGNER.kid, "jwk": OTHER.jwk()}, key=OTHER),
        "assertion_header_refused",
        {},
    ),
    "jku": (_with_header(jku="https://evil.test/jwks"), "assertion_header_refused", {}),
    "x5u": (_with_header(x5u="https://evil.test/c.pem"), "assertion_header_refused", {}),
    "x5c": (_with_header(x5c=["MIIB"]), "assertion_header_refused", {}),
    "unknown crit": (_with_header(crit=["exp"], exp=1), "assertion_header_refused", {}),
    "b64 false": (_with_header(b64=False, crit=["b64"]), "assertion_header_refused", {}),
    "compressed": (_with_header(zip="DEF"), "assertion_header_refused", {}),
    "nested (cty JWT)": (_with_header(cty="JWT"), "assertion_header_refused", {}),
    "typ of an access token": (_with_header(typ="at+jwt"), "assertion_header_refused", {}),
    "typ of a logout token": (_with_header(typ="logout+jwt"), "assertion_header_refused", {}),
    "duplicate header member": (
        lambda: forge(
            b64url_encode(f'{{"alg":"ES256","kid":"{SIGNER.kid}","alg":"none"}}'.encode())
        ),
        "assertion_malformed",
        {},
    ),
    "duplicate claim": (
        lambda: forge(
            claims=b64url_encode(json.dumps(_claims())[:-1].encode() + b',"sub":"admin"}')
        ),
        "assertion_malformed",
        {},
    ),
    "non-canonical base64url": (lambda: _swap_last_char(forge()), "assertion_malformed", {}),
    "padding": (lambda: forge() + "=", "assertion_malformed", {}),
    "standard base64 alphabet": (lambda: _standard_alphabet(forge()), "assertion_malformed", {}),
    "JWE": (
        lambda: "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d",
        "assertion_malformed",
        {},
    ),
    "two parts": (lambda: ".".join(forge().split(".")[:2]), "assertion_malformed", {}),
    "deeply nested header": (
        lambda: forge(b64url_encode(b"[" * 5000 + b"]" * 5000)),
        "assertion_malformed",
        {},
    ),
    "deeply nested claims": (
        lambda: forge(claims=b64url_encode(b'{"a":' * 1500 + b"1" + b"}" * 1500)),
        "assertion_malformed",
        {},
    ),
    "header is an array": (lambda: forge(b64url_encode(b'["ES256"]')), "assertion_malformed", {}),
    "header without alg": (lambda: forge({"kid": SIGNER.kid}), "assertion_malformed", {}),
    "not ASCII": (lambda: forge().encode() + "é".encode(), "assertion_malformed", {}),
    "not ASCII text in the payload": (
        lambda: forge().replace(".", ".é", 1),
        "assertion_malformed",
        {},
    ),
    "oversize": (lambda: forge(claims=_claims(pad="x" * 20000)), "assertion_too_large", {}),
    "flipped signature bit": (_flipped_signature, "assertion_signature_invalid", {}),
    "claims swapped under old signature": (_payload_swapped, "assertion_signature_invalid", {}),
    "other key, same kid": (_resigned_with_other_key_same_kid, "assertion_signature_invalid", {}),
    "ECDSA signature in DER": (_der_signature, "assertion_signature_invalid", {}),
    "empty signature": (lambda: forge(signature=b""), "assertion_signature_invalid", {}),
    "payload not UTF-8 JSON": (
        lambda: forge(claims=b64url_encode(b"\xff\xfe")),
        "assertion_malformed",
        {},
    ),
    "payload is a list": (lambda: forge(claims=b64url_encode(b"[1]")), "assertion_malformed", {}),
    "other issuer": (
        lambda: forge(claims=_claims(iss="https://evil.test")),
        "assertion_issuer_mismatch",
        {},
    ),
    "issuer with a suffix": (
        lambda: forge(claims=_claims(iss=ISSUER + ".evil.test")),
        "assertion_issuer_mismatch",
        {},
    ),
    "issuer missing": (lambda: forge(claims=_claims(iss=None)), "assertion_issuer_mismatch", {}),
    "other audience": (
        lambda: forge(claims=_claims(aud="portal-b")),
        "assertion_audience_mismatch",
        {},
    ),
    "audience as a substring": (
        lambda: forge(claims=_claims(aud="portal-a-b")),
        "assertion_audience_mismatch",
        {},
    ),
    "several audiences without azp": (
        lambda: forge(claims=_claims(aud=[CLIENT, "portal-b"])),
        "assertion_authorized_party_mismatch",
        {},
    ),
    "several audiences, azp another": (
        lambda: forge(claims=_claims(aud=[CLIENT, "portal-b"], azp="portal-b")),
        "assertion_authorized_party_mismatch",
        {},
    ),
    "azp another": (
        lambda: forge(claims=_claims(azp="portal-b")),
        "assertion_authorized_party_mismatch",
        {},
    ),
    "aud empty list": (lambda: forge(claims=_claims(aud=[])), "assertion_malformed", {}),
    "expired": (lambda: forge(claims=_claims(exp=iat - 61)), "assertion_expired", {}),
    "issued in the future": (
        lambda: forge(claims=_claims(iat=iat + 61)),
        "assertion_not_yet_valid",
        {},
    ),
    "not before in the future": (
        lambda: forge(claims=_claims(nbf=iat + 61)),
        "assertion_not_yet_valid",
        {},
    ),
    "exp missing": (lambda: forge(claims=_claims(exp=None)), "assertion_malformed", {}),
    "exp as text": (lambda: forge(claims=_claims(exp=str(iat + 300))), "assertion_malformed", {}),
    "exp beyond any date": (
        lambda: forge(claims=b64url_encode(json.dumps(_claims())[:-1].encode() + b',"nbf":1e400}')),
        "assertion_malformed",
        {},
    ),
    "NaN": (
        lambda: forge(
            claims=b64url_encode(json.dumps(_claims(exp=None))[:-1].encode() + b',"exp":NaN}')
        ),
        "assertion_malformed",
        {},
    ),
    "claims with spaces and a duplicate": (
        lambda: forge(
            claims=b64url_encode(
                json.dumps(_claims(), indent=1)[:-1].encode() + b', "aud": "portal-a"}'
            )
        ),
        "assertion_malformed",
        {},
    ),
    "exp as boolean": (lambda: forge(claims=_claims(exp=True)), "assertion_malformed", {}),
    "nonce missing": (
        lambda: forge(claims=_claims(nonce=None)),
        "assertion_nonce_mismatch",
        {"nonce": "n"},
    ),
    "lone surrogate": (
        lambda: forge(claims=b64url_encode(json.dumps(_claims(nonce="\ud800")).encode())),
        "assertion_malformed",
        {"nonce": "n"},
    ),
    "integer beyond 64 bits": (lambda: forge(claims=_claims(exp=2**70)), "assertion_malformed", {}),
    "nonce not ASCII": (
        lambda: forge(claims=_claims(nonce="é")),
        "assertion_nonce_mismatch",
        {"nonce": "n"},
    ),
    "at_hash not ASCII": (
        lambda: forge(claims=_claims(at_hash="é")),
        "assertion_access_token_mismatch",
        {"access_token": "a"},
    ),
    "nonce differs": (
        lambda: forge(claims=_claims(nonce="m")),
        "assertion_nonce_mismatch",
        {"nonce": "n"},
    ),
    "at_hash missing": (lambda: forge(), "assertion_access_token_mismatch", {"access_token": "a"}),
    "at_hash of another token": (
        lambda: forge(claims=_claims(at_hash=access_token_hash("b", "ES256"))),
        "assertion_access_token_mismatch",
        {"access_token": "a"},
    ),
    "sub missing": (lambda: forge(claims=_claims(sub=None)), "assertion_malformed", {}),
    "jti missing with a replay store": (
        lambda: forge(claims=_claims(jti=None)),
        "assertion_malformed",
        {"replay": MemoryReplayStore()},
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_tokens(case: str) -> None:
    make, code, options = HOSTILE[case]
    with pytest.raises(EidError) as caught:
        do_import(make(), _keys(), **options)
    assert caught.value.code == code, caught.value.message


def test_hostile_list_is_long_enough() -> None:
    assert len(HOSTILE) >= 30


def test_valid_forgery_baseline() -> None:
    """The forge helper's untampered token imports: the hostile cases fail for their change only."""
    imported = do_import(forge(), _keys(), nonce="n", replay=MemoryReplayStore())
    assert imported.subject == "subject-1"
    assert do_import(forge({"alg": "ES256"}), VerificationKeys.from_key_set(ProviderKeySet(SIGNER)))
    assert do_import(forge(claims=_claims(exp=iat - 59)), _keys())  # within the skew
    spaced = forge(claims=b64url_encode(json.dumps(_claims(), indent=2).encode()))
    assert do_import(spaced, _keys()).subject == "subject-1"  # JSON not in compact form
    assert do_import(forge(claims=_claims(aud=[CLIENT, "b"], azp=CLIENT)), _keys())
    assert do_import(
        forge(claims=_claims(at_hash=access_token_hash("a", "ES256"))), _keys(), access_token="a"
    )


def test_replayed_token() -> None:
    store = MemoryReplayStore()
    token = forge()
    do_import(token, _keys(), replay=store)
    with pytest.raises(EidError) as caught:
        do_import(token, _keys(), replay=store)
    assert caught.value.code == "assertion_replayed"
    # a refused token does not use up its jti
    store2 = MemoryReplayStore()
    with pytest.raises(EidError):
        do_import(token, _keys(), replay=store2, nonce="other")
    do_import(token, _keys(), replay=store2)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300))
def test_parser_never_crashes(token: str | bytes) -> None:
    with contextlib.suppress(EidError):
        do_import(token, _keys())


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=255))
def test_any_byte_change_is_refused(position: int, value: int) -> None:
    token = forge()
    index = position % len(token)
    changed = token[:index] + chr(48 + value % 75) + token[index + 1 :]
    if changed == token:
        return
    with pytest.raises(EidError):
        do_import(changed, _keys())


def test_jwks_parsing() -> None:
    for bad in (
        "not json",
        "[" * 5000 + "]" * 5000,
        {"keys": "x"},
        {"keys": [{"kty": "oct", "k": "AAAA"}]},
        {"keys": [{**rsa_key().jwk(), "d": "AAAA"}]},
        {"keys": [rsa_key().jwk(), rsa_key().jwk()]},
        {"keys": [{**ec_key().jwk(), "alg": "RS256"}]},
        {"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]},
    ):
        with pytest.raises(MalformedInput):
            VerificationKeys.from_jwks(bad)  # type: ignore[arg-type]
    limited = VerificationKeys.from_jwks({"keys": [{**rsa_key().jwk(), "alg": "PS256"}]})
    token = forge({"alg": "RS256", "kid": RSA.kid}, key=RSA, alg="RS256")
    with pytest.raises(EidError) as caught:
        do_import(token, limited)
    assert caught.value.code == "assertion_algorithm_refused"
    enc_only = VerificationKeys.from_jwks({"keys": [{**rsa_key().jwk(), "use": "enc"}]})
    assert len(enc_only) == 0


def test_keys_of_no_use_beside_the_signing_key_are_left_out() -> None:
    """RFC 7517 5: a provider's JWKS also holds keys of other uses, types and algorithms."""
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    others = [
        {**RSAKey.generate_key(2048, private=False).as_dict(), "use": "enc", "alg": "RSA-OAEP"},
        {**RSAKey.generate_key(2048, private=False).as_dict(), "alg": "RSA-OAEP-256"},
        {**OKPKey.generate_key("Ed25519", private=False).as_dict(), "alg": "EdDSA"},
        {**ECKey.generate_key("secp256k1", private=False).as_dict(), "alg": "ES256K"},
        {**ECKey.generate_key("secp256k1", private=False).as_dict()},
        {**RSAKey.import_key(small).as_dict(private=False), "alg": "RS256"},
        {"kty": "future-kind", "kid": "x"},
    ]
    keys = VerificationKeys.from_jwks({"keys": [*others, SIGNER.jwk()]})
    assert len(keys) == 1
    assert do_import(forge(), keys).subject == "subject-1"


@given(
    st.recursive(
        st.none() | st.text() | st.integers(),
        _containers,
        max_leaves=6,
    )
)
def test_jwks_parser_never_crashes(document: object) -> None:
    with contextlib.suppress(MalformedInput):
        VerificationKeys.from_jwks({"keys": [document]})


# -- key rollover and the virtual card -----------------------------------------------------


def test_rollover_end_to_end() -> None:
    old, new = ec_key("old"), rsa_key("new")
    clock = [NOW]
    registry = PortalRegistry([portal()])
    idp = IdentityProvider(
        ISSUER, ProviderKeySet(old, next=new), registry, subjects=minter(), clock=lambda: clock[0]
    )
    before = idp.issue_id_token(login(), CLIENT)
    assert parse_compact(before).kid == old.kid
    idp.rotate(ec_key("newer"))
    clock[0] = NOW + dt.timedelta(minutes=1)
    after = idp.issue_id_token(login(), CLIENT)
    assert parse_compact(after).kid == new.kid
    portal_keys = keys_of(idp)  # fetched after the rotation: active, next and passive
    at = clock[0]
    assert (
        do_import(before, portal_keys, at=at).subject
        == do_import(after, portal_keys, at=at).subject
    )
    # the old token expires as it would have anyway
    with pytest.raises(EidError) as caught:
        do_import(before, portal_keys, at=NOW + dt.timedelta(minutes=7))
    assert caught.value.code == "assertion_expired"
    # once the retention has passed the old key is gone from the JWKS
    idp.keys = idp.keys.prune(now=NOW + dt.timedelta(minutes=10), retention=dt.timedelta(minutes=5))
    with pytest.raises(EidError) as caught:
        do_import(before, keys_of(idp))
    assert caught.value.code == "assertion_key_unknown"
    # a portal that fetched the JWKS before the next key was published refuses the new key's tokens
    stale = VerificationKeys.from_key_set(ProviderKeySet(old))
    with pytest.raises(EidError) as caught:
        do_import(after, stale, at=at)
    assert caught.value.code == "assertion_key_unknown"


@pytest.mark.token
def test_virtual_card_key_as_provider_key(token: Token) -> None:
    key = ProviderKey.from_token(token)
    idp = provider(key, algorithms=("RS256", "ES384"))
    id_token = idp.issue_id_token(login(), CLIENT, nonce="n")
    expected = "RS256" if isinstance(key.public_key, rsa.RSAPublicKey) else "ES384"
    assert parse_compact(id_token).algorithm == expected
    assert do_import(id_token, keys_of(idp), nonce="n").subject
    assert jwt.decode(
        id_token,
        jwt.PyJWKSet.from_dict(idp.jwks())[key.kid],
        algorithms=[expected],
        audience=CLIENT,
        options={"verify_exp": False, "verify_iat": False},
    )


def test_id_token_of_unknown_algorithm_refused() -> None:
    from eid.sso.oidc import sign_jwt

    with pytest.raises(EidError):
        sign_jwt({}, ec_key(), "HS256")
    with pytest.raises(AssertionMalformed):
        parse_compact("a.b")


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    _small_containers,
    max_leaves=6,
)
_CLAIM_NAMES = [
    "iss",
    "sub",
    "aud",
    "azp",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "at_hash",
    "jti",
    "acr",
    "amr",
    "auth_time",
    "sid",
    "address",
    "given_name",
    "legal_person_identifier",
    "legal_name",
    "mandate_role",
]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(_CLAIM_NAMES), _JSON))
def test_signed_hostile_claims_never_crash(changes: dict[str, object]) -> None:
    """Claims an attacker holding a key could sign: a result or an eid error, never a crash."""
    claims = {**_claims(), **changes}
    with contextlib.suppress(EidError):
        do_import(
            forge(claims=claims), _keys(), nonce="n", access_token="a", replay=MemoryReplayStore()
        )


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="ABCab019-_+/=* \n\u00e9", max_size=12)
    | st.binary(max_size=9).map(b64url_encode)
)
def test_base64url_is_strict_and_canonical(text: str) -> None:
    """Whatever decodes re-encodes to the very same text; everything else is refused."""
    from eid.sso.jws import b64url_decode

    try:
        decoded = b64url_decode(text, "x")
    except AssertionMalformed:
        return
    assert b64url_encode(decoded) == text


_JWK_VALUES = (
    st.none()
    | st.integers()
    | st.text(alphabet="AQBw-_=", max_size=12)
    | st.sampled_from(["P-256", "P-384", "sig", "enc", "ES256", "RS256"])
    | st.lists(st.text(max_size=4), max_size=2)
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["RSA", "EC"]),
    st.dictionaries(
        st.sampled_from(["n", "e", "crv", "x", "y", "kid", "alg", "use", "key_ops", "x5c"]),
        _JWK_VALUES,
    ),
)
def test_jwk_members_never_crash(kty: str, members: dict[str, object]) -> None:
    with contextlib.suppress(MalformedInput):
        VerificationKeys.from_jwks({"keys": [{"kty": kty, **members}]})
