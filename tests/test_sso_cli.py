"""`eid sso`: issue with the virtual card, verify as a portal, JWKS, key rotation, exit codes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.cli_support import as_json, eid, served_files

ISSUER = "https://eid.localhost"

pytestmark = pytest.mark.token


def _issue(home: Path, *args: str, audience: str = "portal-x") -> str:
    result = eid(
        "sso", "issue", "--format", "oidc", "--audience", audience, "--json", *args, home=home
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return str(as_json(result)["token"])


def _verify(
    home: Path, token_file: Path, jwks: Path | str, *args: str
) -> tuple[int, dict[str, object]]:
    result = eid(
        "sso", "verify", str(token_file), "--format", "oidc", "--issuer", ISSUER, "--jwks", str(jwks),
        "--json", *args, home=home,
    )  # fmt: skip
    return result.returncode, as_json(result)


def _failure(home: Path, *args: str) -> tuple[int, str]:
    """``eid *args --json`` that is meant to fail: its exit code and error code."""
    result = eid(*args, "--json", home=home)
    return result.returncode, str(as_json(result)["error"]["code"])


def test_issue_verify_rotate(home: Path, tmp_path: Path) -> None:
    token = _issue(home, "--nonce", "n-1", "--access-token", "at-1")
    token_file = tmp_path / "id_token.jwt"
    token_file.write_text(token)
    jwks = tmp_path / "jwks.json"
    published = eid("sso", "jwks", home=home)
    assert published.returncode == 0
    jwks.write_text(published.stdout)
    assert len(json.loads(published.stdout)["keys"]) == 2  # active and next

    code, imported = _verify(
        home, token_file, jwks, "--audience", "portal-x", "--nonce", "n-1", "--access-token", "at-1"
    )
    assert code == 0, imported
    assert imported["attributes"]["family_name"] == "Specimen"  # type: ignore[index]
    assert imported["level"] == "low"  # the development virtual card

    code, refused = _verify(home, token_file, jwks, "--audience", "portal-y")
    assert (code, refused["error"]["code"]) == (1, "assertion_audience_mismatch")  # type: ignore[index]
    code, refused = _verify(home, token_file, jwks, "--audience", "portal-x", "--nonce", "other")
    assert (code, refused["error"]["code"]) == (1, "assertion_nonce_mismatch")  # type: ignore[index]
    code, refused = _verify(
        home, token_file, jwks, "--audience", "portal-x", "--at", "2099-01-01T00:00:00+00:00"
    )
    assert (code, refused["error"]["code"]) == (1, "assertion_expired")  # type: ignore[index]

    tampered = tmp_path / "tampered.jwt"
    header, payload, signature = token.split(".")
    tampered.write_text(f"{header}.{payload}.{signature[:-4]}AAAA")
    code, refused = _verify(home, tampered, jwks, "--audience", "portal-x")
    assert code == 1
    assert refused["error"]["code"] == "assertion_signature_invalid"  # type: ignore[index]
    garbage = tmp_path / "garbage.jwt"
    garbage.write_text("not a token")
    code, refused = _verify(home, garbage, jwks, "--audience", "portal-x")
    assert (code, refused["error"]["code"]) == (2, "assertion_malformed")  # type: ignore[index]

    old_kid = json.loads(published.stdout)["keys"][0]["kid"]
    rotated = eid("sso", "keys", "rotate", "--json", home=home)
    assert rotated.returncode == 0, rotated.stderr
    state = as_json(rotated)
    assert state["passive"][0]["kid"] == old_kid
    assert state["active"] == json.loads(published.stdout)["keys"][1]["kid"]
    jwks.write_text(eid("sso", "jwks", home=home).stdout)
    code, _ = _verify(home, token_file, jwks, "--audience", "portal-x")
    assert code == 0  # the old key still verifies after rotation
    new_token = _issue(home)
    assert (
        json.loads(base64.urlsafe_b64decode(new_token.split(".")[0] + "=="))["kid"]
        == state["active"]
    )
    listed = eid("sso", "keys", "list", home=home)
    assert state["active"] in listed.stdout


def test_portal_configuration(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "portals.toml"
    config.write_text(
        '[[portal]]\nid = "tax"\nkind = "oidc"\nattributes = ["family_name"]\nsector = "finance"\n'
        '[[portal]]\nid = "https://sp.test"\nkind = "saml"\n'
    )
    token = _issue(home, "--portal-config", str(config), audience="tax")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["aud"] == "tax"
    assert "family_name" in claims
    assert "given_name" not in claims  # only what the portal is registered for
    for audience, code in (("nobody", "portal_unknown"), ("https://sp.test", "usage")):
        assert _failure(
            home, "sso", "issue", "--portal-config", str(config), "--audience", audience
        ) == (2, code)


def test_usage_errors(home: Path, tmp_path: Path) -> None:
    token_file = tmp_path / "t.jwt"
    token_file.write_text("x.y.z")
    assert _failure(home, "sso", "verify", str(token_file), "--audience", "a") == (2, "usage")
    bad_jwks = ("--audience", "a", "--issuer", ISSUER, "--jwks", str(token_file))
    unreadable = eid("sso", "verify", str(tmp_path / "nope"), *bad_jwks, home=home)
    assert unreadable.returncode == 2
    assert _failure(home, "sso", "verify", str(token_file), *bad_jwks) == (2, "malformed_input")


def test_acting_for_an_enterprise(home: Path, tmp_path: Path) -> None:
    number = json.loads((home / "virtual-card" / "card.json").read_text())["national_number"]
    mandates = tmp_path / "mandates.json"
    mandates.write_text(
        json.dumps(
            {number: [{"enterprise": "0203.201.340", "name": "Example NV", "role": "director"}]}
        )
    )
    token = _issue(home, "--acting-for", "BE0203201340", "--mandates", str(mandates))
    token_file = tmp_path / "t.jwt"
    token_file.write_text(token)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(eid("sso", "jwks", home=home).stdout)
    code, imported = _verify(home, token_file, jwks, "--audience", "portal-x")
    assert code == 0
    assert imported["mandate"] == {
        "enterprise": "0203201340",
        "name": "Example NV",
        "role": "director",
    }
    other = ("--acting-for", "0403.170.701", "--mandates", str(mandates))
    assert _failure(home, "sso", "issue", "--audience", "portal-x", *other) == (
        1,
        "mandate_not_held",
    )


def test_verify_with_the_jwks_fetched_from_a_url(home: Path, tmp_path: Path) -> None:
    token_file = tmp_path / "id_token.jwt"
    token_file.write_text(_issue(home))
    served = tmp_path / "served"
    served.mkdir()
    (served / "jwks.json").write_text(eid("sso", "jwks", home=home).stdout)
    with served_files(served) as base:
        url = f"{base}/jwks.json"
        code, imported = _verify(home, token_file, url, "--audience", "portal-x")
        assert code == 0, imported
        code, refused = _verify(home, token_file, url + ".missing", "--audience", "portal-x")
        assert (code, refused["error"]["code"]) == (1, "provider_keys_unavailable")  # type: ignore[index]
    code, refused = _verify(
        home, token_file, "http://idp.example.test/jwks", "--audience", "portal-x"
    )
    assert (code, refused["error"]["code"]) == (2, "usage")  # type: ignore[index]
