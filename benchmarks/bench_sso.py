"""ID tokens: issuance and import vs raw `cryptography` signing/verifying and vs PyJWT.

Issuance is `IdentityProvider.issue_id_token` from a login (statement with pairwise subject
and released claims, claims, JWS), and `IdentityProvider.id_token` from a statement already
made (claims and JWS only, as PyJWT and joserfc are given ready claims); the raw contender
signs the same signing input with `cryptography`. Import is `import_id_token` with every
check (form, header, kid, signature, iss, aud/azp, time, nonce, at_hash) and the memory
replay store; the raw contender verifies the signature only; PyJWT's `jwt.decode` and
joserfc's `jwt.decode` + claims registry check signature, iss, aud and time.
The floor contenders do only what any JWS issuer or reader must: JSON, base64url and the
signature (``r || s`` for ECDSA); how far they stay below raw shows what is reachable at all.
Rates are of this process's CPU time (best of interleaved rounds), so other work on the
machine does not skew the ratios. Targets: issuance >= 0.9x raw signing (RS256, ES256);
import >= 0.5x raw RS256 verify and >= 0.8x raw ES256 verify.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time

import jwt
import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, RSAKey

from benchmarks.timing import compare
from eid.auth import AuthResult, authenticate_client_certificate
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.testpki import Holder, TestPKI
from eid.sso import (
    KeySet,
    MemoryReplayStore,
    Portal,
    PortalRegistry,
    ProviderKey,
    SubjectMinter,
    VerificationKeys,
)
from eid.sso.id_token import import_id_token
from eid.sso.jws import b64url_decode, b64url_encode, parse_compact
from eid.sso.provider import IdentityProvider

ISSUER = "https://idp.example.test"


def login() -> AuthResult:
    """A login by a test-PKI card (revocation off): what the provider issues statements about."""
    pki = TestPKI.create(key_kind="ec", seed=b"sso benchmark")
    card = pki.issue_card(Holder("Alice", "Specimen", "85073003427"))
    return authenticate_client_certificate(
        card.authentication.certificate,
        trust=TrustStore([pki.root.cert_der()], [pki.citizen_ca.cert_der()]),
        revocation=RevocationSettings(policy=RevocationPolicy.OFF),
    )


def portal(alg: str) -> Portal:
    """An OIDC portal that receives names and birth date, signed with ``alg``."""
    return Portal(
        id="portal-a",
        kind="oidc",
        endpoints=("https://portal-a.example.test/callback",),
        attributes=frozenset({"given_name", "family_name", "birthdate"}),
        algorithms=(alg,),
    )


ROUNDS = 15


def run(alg: str, count: int) -> None:
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        rsa.generate_private_key(65537, 2048)
        if alg == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    public = private.public_key()
    key = ProviderKey.from_private_key(private)
    registry = PortalRegistry([portal(alg)])
    idp = IdentityProvider(ISSUER, KeySet(key), registry, subjects=SubjectMinter(b"s" * 32))
    auth = login()
    statement = idp.statement(auth, "portal-a")
    token = idp.issue_id_token(auth, "portal-a", nonce="n", access_token="at")
    jws = parse_compact(token)
    data, signature = jws.signing_input, jws.signature
    if isinstance(private, rsa.RSAPrivateKey):
        assert isinstance(public, rsa.RSAPublicKey)
        pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
        der = signature
        raw_sign = lambda: private.sign(data, pkcs1, sha256)  # noqa: E731
        raw_verify = lambda: public.verify(der, data, pkcs1, sha256)  # noqa: E731
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        ecdsa = ec.ECDSA(hashes.SHA256())
        der = private.sign(data, ecdsa)
        raw_sign = lambda: private.sign(data, ecdsa)  # noqa: E731
        raw_verify = lambda: public.verify(der, data, ecdsa)  # noqa: E731
    keys = VerificationKeys.from_key_set(idp.keys)
    claims = jwt.decode(token, options={"verify_signature": False})
    at = dt.datetime.now(dt.UTC)

    # Each import needs a fresh jti for the replay store: tokens made beforehand.
    tokens = iter(
        [
            idp.issue_id_token(auth, "portal-a", nonce="n", access_token="at")
            for _ in range(count * (ROUNDS + 1) + 1)
        ]
    )
    replay = MemoryReplayStore()
    serial = itertools.count()

    def eid_import() -> object:
        return import_id_token(next(tokens), issuer=ISSUER, audience="portal-a", keys=keys, nonce="n",
                               access_token="at", at=at, replay=replay)  # fmt: skip

    def pyjwt_import() -> object:
        next(serial)
        return jwt.decode(token, public, algorithms=[alg], audience="portal-a", issuer=ISSUER)

    jose_private = RSAKey.import_key(private) if alg == "RS256" else ECKey.import_key(private)
    jose_public = RSAKey.import_key(public) if alg == "RS256" else ECKey.import_key(public)
    registry_of_claims = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": "portal-a"}
    )

    def joserfc_import() -> object:
        decoded = jose_jwt.decode(token, jose_public, algorithms=[alg])
        registry_of_claims.validate(decoded.claims)
        return decoded

    header = token.split(".", 1)[0]
    check = keys.select(key.kid, alg)

    def floor_issue() -> str:
        signing_input = f"{header}.{b64url_encode(orjson.dumps(claims))}".encode()
        return b64url_encode(key.sign(signing_input, alg))

    def floor_import() -> object:
        head, payload, signature = token.split(".")
        ok = check(b64url_decode(signature, "s"), token[: len(head) + len(payload) + 1].encode())
        return ok and orjson.loads(b64url_decode(payload, "p"))

    issue = compare(
        {
            "raw": raw_sign,
            "floor": floor_issue,
            "eid": lambda: idp.issue_id_token(auth, "portal-a", nonce="n", access_token="at"),
            "eid(statement made)": lambda: idp.id_token(statement, nonce="n", access_token="at"),
            "pyjwt": lambda: jwt.encode(claims, private, algorithm=alg, headers={"kid": key.kid}),
            "joserfc": lambda: jose_jwt.encode({"alg": alg, "kid": key.kid}, claims, jose_private),
        },
        count=count,
        rounds=ROUNDS,
        clock=time.process_time,
    )
    verify = compare(
        {
            "raw": raw_verify,
            "floor": floor_import,
            "eid": eid_import,
            "pyjwt": pyjwt_import,
            "joserfc": joserfc_import,
        },
        count=count,
        rounds=ROUNDS,
        clock=time.process_time,
    )
    for what, rates in (("issue (vs raw sign)", issue), ("import (vs raw verify)", verify)):
        others = ", ".join(
            f"{name} {rate:.0f}/s ({rate / rates['raw']:.2f}x)"
            for name, rate in rates.items()
            if name != "raw"
        )
        print(f"ID token {alg} {what}: raw {rates['raw']:.0f}/s, {others}")


def main() -> None:
    run("RS256", 300)
    run("ES256", 1000)


if __name__ == "__main__":
    main()
