"""Property tests of single sign-on input: ID tokens, JWKS and discovery documents, SAML
responses, metadata and requests, client assertions; each accepted only as it was signed."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from eid.sso.jws import b64url_decode, b64url_encode
from fuzz import checks, sso_material
from tests.fuzz.strategies import edited, examples, field_or_json, inputs

_CLAIMS = ("iss", "aud", "azp", "sub", "exp", "iat", "nbf", "nonce", "jti", "given_name")
_HEADERS = ("alg", "kid", "typ", "crit", "jwk", "b64")


def _parts() -> tuple[dict[str, object], dict[str, object], str]:
    header, payload, signature = sso_material.id_token().split(".")
    return (
        json.loads(b64url_decode(header, "header")),
        json.loads(b64url_decode(payload, "payload")),
        signature,
    )


def _encoded(value: dict[str, object]) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())


def _changed_tokens() -> st.SearchStrategy[bytes]:
    """The issued token with header members or claims changed, its signature kept."""
    header, payload, signature = _parts()
    other = sorted({*map(str, payload.values()), "RS256", "none", "HS256", "ES256"})
    changes = st.dictionaries(
        st.sampled_from(_CLAIMS), field_or_json(st.sampled_from(other)), max_size=3
    )
    header_changes = st.dictionaries(
        st.sampled_from(_HEADERS), field_or_json(st.sampled_from(other)), max_size=2
    )
    return st.builds(
        lambda h, p: (
            f"{_encoded({**header, **h})}.{_encoded({**payload, **p})}.{signature}".encode()
        ),
        header_changes,
        changes,
    )


def _jwks_documents() -> st.SearchStrategy[bytes]:
    """JWKS documents built from the members of real keys (and any JSON in their place)."""
    jwks = sso_material.provider().jwks()["keys"]
    assert isinstance(jwks, list)
    keys = [*jwks, *sso_material.client_jwks()["keys"]]  # type: ignore[misc]
    known = {name: sorted({str(k[name]) for k in keys if name in k}) for k in keys for name in k}
    known["kty"] = ["RSA", "EC", "oct", "OKP"]
    known["crv"] = ["P-256", "P-384", "P-521", "secp256k1", "Ed25519"]
    known["alg"] = ["RS256", "PS256", "ES256", "ES384", "ES512", "HS256", "none", "RS1"]
    key = st.fixed_dictionaries(
        {},
        optional={
            name: field_or_json(st.sampled_from(values)) for name, values in sorted(known.items())
        },
    )
    return st.one_of(
        st.sampled_from(keys).map(lambda k: {"keys": [k]}),
        st.fixed_dictionaries({"keys": field_or_json(st.lists(key, max_size=3))}),
    ).map(lambda document: json.dumps(document).encode())


_DIRECTIVES = st.sampled_from(
    ["max-age=300", "max-age=0", 'max-age="60"', "max-age=9999999999", "max-age=-1",
     "no-cache", "no-store", "public", "s-maxage=10", "MAX-AGE = 7"]
)  # fmt: skip


@examples(0.5)
@given(inputs("id_token"))
def test_id_tokens_import_only_as_signed(data: bytes) -> None:
    checks.check_id_token(data)


@examples(0.5)
@given(st.deferred(_changed_tokens))
def test_an_id_token_with_changed_claims_never_imports(data: bytes) -> None:
    checks.check_id_token(data)


def _signed_claims() -> st.SearchStrategy[bytes]:
    """Claims near the issued ones (any JSON in any member), as the payload to be signed."""
    _, payload, _ = _parts()
    other = sorted({*map(str, payload.values()), "address", "legal_person_identifier"})
    names = st.sampled_from(
        [*_CLAIMS, "auth_time", "acr", "amr", "sid", "address", "legal_person_identifier",
         "legal_name", "mandate_role", "at_hash"]
    )  # fmt: skip
    numbers = st.one_of(
        st.integers(-(1 << 70), 1 << 70),
        st.floats(allow_nan=False),
        st.sampled_from([payload["exp"], 253402300799.9, -62135596800.5]),
    )
    changes = st.dictionaries(
        names, field_or_json(st.one_of(st.sampled_from(other), numbers)), max_size=4
    )
    return st.builds(lambda c: json.dumps({**payload, **c}).encode(), changes)


@examples(0.3)
@given(st.one_of(st.deferred(_signed_claims), st.binary(max_size=64)))
def test_any_signed_claims_import_or_raise_eid_errors(payload: bytes) -> None:
    checks.check_signed_claims(payload)


@examples(0.5)
@given(st.one_of(inputs("jwks"), st.deferred(_jwks_documents)))
def test_jwks_and_discovery_documents_parse_or_raise_eid_errors(data: bytes) -> None:
    checks.check_jwks(data)


@examples(0.25)
@given(st.lists(st.one_of(_DIRECTIVES, st.text(max_size=12)), max_size=4))
def test_cache_lifetimes_stay_within_bounds(directives: list[str]) -> None:
    checks.check_jwks(", ".join(directives).encode())


@examples(0.5)
@given(inputs("saml_response", max_size=2048))
def test_saml_responses_import_only_as_signed(data: bytes) -> None:
    checks.check_saml_response(data)


@examples(0.3)
@given(st.deferred(lambda: edited(sso_material.unsigned_assertion())))
def test_any_signed_assertion_imports_or_raises_eid_errors(assertion: bytes) -> None:
    checks.check_signed_assertion(assertion)


@examples(0.3)
@given(inputs("saml_metadata", max_size=2048))
def test_saml_metadata_is_read_only_as_signed(data: bytes) -> None:
    checks.check_saml_metadata(data)


@examples(0.5)
@given(inputs("saml_request", max_size=2048))
def test_saml_requests_verify_only_as_signed(data: bytes) -> None:
    checks.check_saml_request(data)


@examples(0.3)
@given(inputs("client_assertion"))
def test_client_assertions_verify_only_as_signed(data: bytes) -> None:
    checks.check_client_assertion(data)


def _signed_client_claims() -> st.SearchStrategy[bytes]:
    """Claims near a real client assertion's (any JSON in any member), to be signed."""
    payload = json.loads(b64url_decode(sso_material.client_assertion().split(".")[1], "payload"))
    other = sorted({*map(str, payload.values()), sso_material.ISSUER})
    numbers = st.one_of(
        st.integers(-(1 << 70), 1 << 70),
        st.floats(allow_nan=False),
        st.sampled_from([payload["exp"], payload["exp"] + 3600, True]),
    )
    changes = st.dictionaries(
        st.sampled_from(["iss", "sub", "aud", "exp", "jti", "iat"]),
        field_or_json(st.one_of(st.sampled_from(other), numbers)),
        max_size=3,
    )
    return st.builds(lambda c: json.dumps({**payload, **c}).encode(), changes)


@examples(0.3)
@given(st.one_of(st.deferred(_signed_client_claims), st.binary(max_size=64)))
def test_any_signed_client_assertion_claims_are_judged(payload: bytes) -> None:
    checks.check_signed_client_claims(payload)
