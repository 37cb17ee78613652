"""Making a Web eID authentication token with a card or token's authentication key.

This is what the Web eID browser extension does on the user's machine; `eid` does
it too, so that a portal can be tested end to end with the virtual card.
"""

from __future__ import annotations

import base64
import json
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from eid import __version__
from eid.errors import MechanismUnsupported
from eid.tokens import Role, Token
from eid.tokens.mechanisms import HashName

from .webeid_format import ALGORITHMS, authentication_value, normalise_origin

__all__ = ["create_token"]

_EC_ALGORITHM = {256: "ES256", 384: "ES384", 521: "ES512"}
_HASH_NAMES: dict[str, HashName] = {"sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _default_algorithm(token: Token, role: Role) -> str:
    key = token.certificate(role).certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        try:
            return _EC_ALGORITHM[key.curve.key_size]
        except KeyError:
            raise MechanismUnsupported(
                f"Web eID has no algorithm for the curve {key.curve.name}"
            ) from None
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    raise MechanismUnsupported("the authentication key is neither RSA nor EC")


def create_token(
    token: Token,
    *,
    origin: str,
    challenge: str,
    algorithm: str | None = None,
    include_signing_certificate: bool = False,
    rsa_padding: Literal["pkcs1v15", "pss"] = "pkcs1v15",
) -> str:
    """Sign ``challenge`` for ``origin`` with the authentication key; return the token as JSON.

    With ``include_signing_certificate`` the token uses format ``web-eid:1.1`` and
    carries the signature certificate as well.
    """
    origin = normalise_origin(origin)
    name = algorithm or _default_algorithm(token, Role.AUTHENTICATION)
    if algorithm is None and rsa_padding == "pss" and name.startswith("RS"):
        name = "PS" + name[2:]
    scheme, hash_algorithm = ALGORITHMS[name]
    value = authentication_value(origin, challenge, hash_algorithm)
    signature = token.sign(
        value,
        key=Role.AUTHENTICATION,
        hash=_HASH_NAMES[hash_algorithm.name],
        padding="pss" if scheme == "pss" else "pkcs1v15",
        ecdsa_format="raw",
    )
    der = token.certificate(Role.AUTHENTICATION).certificate.public_bytes(
        serialization.Encoding.DER
    )
    data: dict[str, object] = {
        "unverifiedCertificate": _b64(der),
        "algorithm": name,
        "signature": _b64(signature),
        "format": "web-eid:1.0",
        "appVersion": f"https://eid.invalid/releases/{__version__}",
    }
    if include_signing_certificate:
        signing = token.certificate(Role.SIGNATURE).certificate
        is_ec = isinstance(signing.public_key(), ec.EllipticCurvePublicKey)
        data["format"] = "web-eid:1.1"
        data["unverifiedSigningCertificates"] = [
            {
                "certificate": _b64(signing.public_bytes(serialization.Encoding.DER)),
                "supportedSignatureAlgorithms": [
                    {
                        "cryptoAlgorithm": "ECC" if is_ec else "RSA",
                        "hashFunction": hash_name,
                        "paddingScheme": "NONE" if is_ec else "PKCS1.5",
                    }
                    for hash_name in ("SHA-256", "SHA-384", "SHA-512")
                ],
            }
        ]
    return json.dumps(data)
