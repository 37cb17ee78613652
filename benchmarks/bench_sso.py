"""ID tokens: issuance and import vs raw `cryptography` signing/verifying and vs PyJWT.

Issuance is `IdentityProvider.issue_id_token` from a login (statement with pairwise subject
and released claims, claims, JWS); the raw contender signs the same signing input with
`cryptography`. Import is `import_id_token` with every check (form, header, kid, signature,
iss, aud/azp, time, nonce, at_hash) and the memory replay store; the raw contender verifies
the signature only; PyJWT's `jwt.decode` checks signature, iss, aud and time.
Targets: issuance >= 0.9x raw signing (RS256, ES256); import >= 0.5x raw RS256 verify and
>= 0.8x raw ES256 verify.
"""

from __future__ import annotations

import datetime as dt
import itertools

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from tests.sso_support import ISSUER, login, minter, portal

from benchmarks.timing import compare
from eid.sso import KeySet, MemoryReplayStore, PortalRegistry, ProviderKey, VerificationKeys
from eid.sso.id_token import import_id_token
from eid.sso.jws import parse_compact
from eid.sso.provider import IdentityProvider


def run(alg: str, count: int) -> None:
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        rsa.generate_private_key(65537, 2048)
        if alg == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    public = private.public_key()
    key = ProviderKey.from_private_key(private)
    registry = PortalRegistry([portal(algorithms=(alg,))])
    idp = IdentityProvider(ISSUER, KeySet(key), registry, subjects=minter())
    auth = login()
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
            for _ in range(count * 6 + 2)
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

    issue = compare(
        {
            "raw": raw_sign,
            "eid": lambda: idp.issue_id_token(auth, "portal-a", nonce="n", access_token="at"),
            "pyjwt": lambda: jwt.encode(claims, private, algorithm=alg, headers={"kid": key.kid}),
        },
        count=count,
    )
    verify = compare({"raw": raw_verify, "eid": eid_import, "pyjwt": pyjwt_import}, count=count)
    print(
        f"ID token {alg} issue: raw {issue['raw']:.0f}/s, eid {issue['eid']:.0f}/s "
        f"({issue['eid'] / issue['raw']:.2f}x), PyJWT {issue['pyjwt']:.0f}/s "
        f"({issue['pyjwt'] / issue['raw']:.2f}x)"
    )
    print(
        f"ID token {alg} import: raw verify {verify['raw']:.0f}/s, eid {verify['eid']:.0f}/s "
        f"({verify['eid'] / verify['raw']:.2f}x), PyJWT {verify['pyjwt']:.0f}/s "
        f"({verify['pyjwt'] / verify['raw']:.2f}x)"
    )


def main() -> None:
    run("RS256", 300)
    run("ES256", 1000)


if __name__ == "__main__":
    main()
