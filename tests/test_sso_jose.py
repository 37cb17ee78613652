"""ID tokens signed by jose (panva, Node.js) with a key published in a JWKS, imported by
`eid.sso.import_id_token` and by `eid sso verify --format oidc`: RS256, PS256, ES256 and
ES384; an algorithm off the allow-list (RS512) and jose's unsecured and algorithm-confused
forgeries of the same claims refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from eid.errors import AssertionAlgorithmRefused, AssertionSignatureInvalid
from eid.sso import VerificationKeys, import_id_token

from .cli_support import as_json, eid
from .node_support import Node, node

__all__ = ["node"]  # the fixture, for pytest

ISSUER = "https://jose.example"
AUDIENCE = "portal-jose"
NONCE = "n-0S6_WzA2Mj"
ACCESS_TOKEN = "jHkWEdUXMU1BwAsC4vtUsZwnNBm5"


def _made(node: Node, alg: str) -> dict[str, Any]:
    """jose's JWKS, ID token and forgeries for a new ``alg`` key."""
    data = {"alg": alg, "issuer": ISSUER, "audience": AUDIENCE, "subject": "alice-pairwise",
            "nonce": NONCE, "access_token": ACCESS_TOKEN}  # fmt: skip
    return dict(node.run("jose_id_token.cjs", "sign", data=data))


def _import(token: str, jwks: dict[str, Any]) -> Any:
    return import_id_token(
        token, issuer=ISSUER, audience=AUDIENCE, keys=VerificationKeys.from_jwks(jwks),
        nonce=NONCE, access_token=ACCESS_TOKEN,
    )  # fmt: skip


def _changed(token: str) -> str:
    """``token`` with its payload's subject changed and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "mallory"
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "ES384"])
def test_import_id_token_of_jose(node: Node, alg: str) -> None:
    made = _made(node, alg)
    imported = _import(made["id_token"], made["jwks"])
    assert imported.subject == "alice-pairwise"
    assert imported.issuer == ISSUER
    assert imported.audience == (AUDIENCE,)
    assert imported.level == "substantial"
    assert imported.attributes["given_name"] == "Alice"
    with pytest.raises(AssertionSignatureInvalid):
        _import(_changed(made["id_token"]), made["jwks"])
    with pytest.raises(AssertionSignatureInvalid):  # another key under the same kid
        _import(made["id_token"], _made(node, alg)["jwks"])
    for forged in made["forged"].values():
        with pytest.raises(AssertionAlgorithmRefused):
            _import(forged, made["jwks"])


def test_an_algorithm_off_the_allow_list_is_refused(node: Node) -> None:
    made = _made(node, "RS512")
    with pytest.raises(AssertionAlgorithmRefused):
        _import(made["id_token"], made["jwks"])


def test_eid_sso_verify_of_jose(node: Node, tmp_path: Path) -> None:
    made = _made(node, "ES256")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(made["jwks"]))
    home = tmp_path / "home"
    home.mkdir()

    def verify(token: str) -> tuple[int, Any]:
        path = tmp_path / "id_token.jwt"
        path.write_text(token)
        result = eid(
            "sso", "verify", str(path), "--format", "oidc", "--issuer", ISSUER, "--jwks", str(jwks),
            "--audience", AUDIENCE, "--nonce", NONCE, "--access-token", ACCESS_TOKEN, "--json",
            home=home,
        )  # fmt: skip
        return result.returncode, as_json(result)

    code, imported = verify(made["id_token"])
    assert code == 0, imported
    assert imported["subject"] == "alice-pairwise"
    assert imported["level"] == "substantial"
    code, refused = verify(_changed(made["id_token"]))
    assert (code, refused["error"]["code"]) == (1, "assertion_signature_invalid")
    code, refused = verify(made["forged"]["unsecured"])
    assert (code, refused["error"]["code"]) == (1, "assertion_algorithm_refused")
