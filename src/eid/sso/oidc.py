"""OpenID Connect on the provider side: ID token claims, signing, discovery document.

An ID token carries ``iss``, ``sub``, ``aud`` (the client ID, plus any extra audiences),
``azp`` (the client ID), ``exp``, ``iat``, ``auth_time``, ``jti`` (for one-time use),
``nonce`` (when the portal sent one), ``acr`` (the eIDAS level URI), ``amr`` (RFC 8176),
``sid`` (the session index), ``at_hash`` (when an access token goes with it) and the
released identity claims under the OIDC profile. It is signed as a compact JWS with
``typ: JWT`` and the signing key's ``kid`` (`sign_jwt` makes other types too: logout tokens).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping

import orjson

from eid.sso.algorithms import ALGORITHMS, signature_algorithm
from eid.sso.jws import b64url_encode
from eid.sso.keys import ProviderKey
from eid.sso.statement import Statement

__all__ = ["access_token_hash", "discovery_document", "id_token_claims", "sign_jwt"]

_HASHLIB = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_AT_HASH = {name: _HASHLIB[algorithm.hash] for name, algorithm in ALGORITHMS.items()}


def access_token_hash(access_token: str, algorithm: str) -> str:
    """``at_hash``: the left half of the access token's hash under the ID token's algorithm's hash."""
    try:
        hasher = _AT_HASH[algorithm]
    except KeyError:
        signature_algorithm(algorithm)  # raises, naming the algorithms
        raise
    digest = hasher(access_token.encode("ascii")).digest()
    return b64url_encode(digest[: len(digest) // 2])


def id_token_claims(
    statement: Statement,
    *,
    issuer: str,
    issued_at: dt.datetime,
    lifetime: dt.timedelta,
    nonce: str | None = None,
    access_token: str | None = None,
    algorithm: str = "RS256",
    extra_audiences: Iterable[str] = (),
) -> dict[str, object]:
    """The claims of the ID token that carries ``statement``."""
    iat = int(issued_at.timestamp())
    extra = [a for a in extra_audiences if a != statement.audience]
    claims: dict[str, object] = {
        **statement.rendered_attributes(),
        "iss": issuer,
        "sub": statement.subject.value,
        "aud": [statement.audience, *extra] if extra else statement.audience,
        "azp": statement.audience,
        "exp": iat + int(lifetime.total_seconds()),
        "iat": iat,
        "auth_time": int(statement.authenticated_at.timestamp()),
        "jti": b64url_encode(secrets.token_bytes(18)),
        "acr": statement.level_uri,
        "amr": list(statement.methods),
        "sid": statement.session_index,
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if access_token is not None:
        claims["at_hash"] = access_token_hash(access_token, algorithm)
    return claims


@functools.cache
def _encoded_header(kid: str, algorithm: str, typ: str) -> str:
    """The encoded JWS header of ``kid``, ``algorithm`` and ``typ`` (the same for each token)."""
    header = {"alg": algorithm, "kid": kid, "typ": typ}
    return b64url_encode(json.dumps(header, separators=(",", ":")).encode())


def sign_jwt(
    claims: Mapping[str, object], key: ProviderKey, algorithm: str, *, typ: str = "JWT"
) -> str:
    """The compact JWS of ``claims`` signed by ``key`` with ``algorithm``, typed ``typ``."""
    if algorithm not in ALGORITHMS:
        signature_algorithm(algorithm)  # raises with the list of algorithms
    payload = b64url_encode(orjson.dumps(claims))
    signing_input = f"{_encoded_header(key.kid, algorithm, typ)}.{payload}"
    signature = key.sign(signing_input.encode("ascii"), algorithm)
    return f"{signing_input}.{b64url_encode(signature)}"


def discovery_document(
    issuer: str,
    *,
    algorithms: Iterable[str],
    authorization_endpoint: str | None = None,
    token_endpoint: str | None = None,
    jwks_uri: str | None = None,
    userinfo_endpoint: str | None = None,
    claims: Iterable[str] = (),
    acr_values: Iterable[str] = (),
) -> dict[str, object]:
    """The OpenID Provider metadata (``/.well-known/openid-configuration``).

    Endpoints default to ``<issuer>/authorize``, ``/token`` and ``/jwks``.
    """
    base = issuer.rstrip("/")
    document: dict[str, object] = {
        "issuer": issuer,
        "authorization_endpoint": authorization_endpoint or f"{base}/authorize",
        "token_endpoint": token_endpoint or f"{base}/token",
        "jwks_uri": jwks_uri or f"{base}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": list(algorithms),
        "scopes_supported": ["openid", "profile", "address"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "claims_supported": sorted(
            {"iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid"}
            | set(claims)
        ),
        "acr_values_supported": list(acr_values),
        "code_challenge_methods_supported": ["S256"],
    }
    if userinfo_endpoint:
        document["userinfo_endpoint"] = userinfo_endpoint
    return document
