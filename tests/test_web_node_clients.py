"""The provider with the JavaScript world's reference clients, run for real in Node.js.

openid-client (panva, OpenID-certified relying party) does discovery, builds the authorization
request, and after the login (the virtual eID, as in test_web_oidc.py) redeems the answer with
all its checks (iss per RFC 9207, ID token signature, nonce, at_hash, auth_time) and calls
userinfo. @node-saml/node-saml (passport-saml's core) makes a signed AuthnRequest and
validates our Response, with its assertion in the clear or encrypted for the SP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from eid.tokens.virtual import VirtualCard

from .node_support import Node, NodeRefused, node
from .pysaml2_sp import key_pair
from .test_web_oidc_modes import posted_page
from .web_support import browser, follow_to_portal, serving_provider

__all__ = ["node"]  # the fixture, for pytest

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

PORTAL = "http://127.0.0.1:9/callback"
SECRET = "openid-client-secret-0123456789"


@dataclass
class OidcPortal:
    """The provider, and openid-client registered there as ``node-portal``."""

    base: str
    node: Node

    def request(self, **params: str) -> dict[str, Any]:
        """openid-client's authorization request (URL, verifier, nonce, state) with ``params``."""
        return dict(self.node.run("oidc_client.cjs", "authorize", data=self._data(params=params)))

    def redeem(self, request: dict[str, Any], **answer: Any) -> dict[str, Any]:
        """openid-client's token and userinfo calls for the ``answer`` to ``request``."""
        return dict(
            self.node.run("oidc_client.cjs", "redeem", data=self._data(**request, **answer))
        )

    def _data(self, **extra: Any) -> dict[str, Any]:
        return {"issuer": self.base, "client_id": "node-portal", "client_secret": SECRET,
                "redirect_uri": PORTAL, "scope": "openid profile", **extra}  # fmt: skip


@pytest.fixture(params=["ec", "rsa"])
def oidc(
    request: pytest.FixtureRequest, node: Node, virtual_card: VirtualCard, tmp_path: Path
) -> Iterator[OidcPortal]:
    """The provider signing with its development EC key (ES256) or an RSA key (RS256)."""
    portals = [
        {
            "id": "node-portal", "kind": "oidc", "name": "Node portal",
            "redirect_uris": [PORTAL], "attributes": ["given_name", "family_name"],
            "client_secret": SECRET,
        }
    ]  # fmt: skip
    tables = None
    if request.param == "rsa":
        key, certificate, _ = key_pair(tmp_path, "provider-rsa")
        tables = {"keys": {"active": str(key), "certificate": str(certificate)}}
    with serving_provider(virtual_card, tmp_path, portals=portals, tables=tables) as base:
        yield OidcPortal(base, node)


def _login(oidc: OidcPortal, url: str) -> Any:
    with browser(oidc.base) as person:
        return follow_to_portal(person, url)


def test_openid_client_code_flow(oidc: OidcPortal) -> None:
    request = oidc.request()
    query = parse_qs(urlsplit(request["url"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] == [request["nonce"]]
    assert query["state"] == [request["state"]]
    answer = _login(oidc, request["url"])
    assert answer.status_code == 303, answer.text
    result = oidc.redeem(request, callback=answer.headers["location"])
    claims, userinfo = result["claims"], result["userinfo"]
    assert claims["iss"] == oidc.base
    assert claims["aud"] == "node-portal"
    assert claims["nonce"] == request["nonce"]
    assert "at_hash" in claims
    assert result["token_type"].lower() == "bearer"
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["given_name"] == claims["given_name"]
    assert "Specimen" in userinfo["family_name"]


def test_openid_client_form_post_and_max_age(oidc: OidcPortal) -> None:
    request = oidc.request(response_mode="form_post", max_age="600")
    fields, _ = posted_page(_login(oidc, request["url"]), PORTAL)
    assert fields["iss"] == oidc.base
    result = oidc.redeem(request, form=fields, max_age=600)
    assert result["claims"]["nonce"] == request["nonce"]
    assert isinstance(result["claims"]["auth_time"], int)
    assert result["userinfo"]["sub"] == result["claims"]["sub"]


def _with_query(url: str, **changes: str | None) -> str:
    """``url`` with its query parameters changed (None removes one)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode({k: v for k, v in query.items() if v})))


def test_openid_client_refusals(oidc: OidcPortal) -> None:
    request = oidc.request()
    callback = _login(oidc, request["url"]).headers["location"]
    # RFC 9207: the provider announces iss in its answers, so an answer without it or from
    # another issuer is refused before the code is sent anywhere.
    for changed in (_with_query(callback, iss=None), _with_query(callback, iss="http://evil")):
        with pytest.raises(NodeRefused) as refused:
            oidc.redeem(request, callback=changed)
        assert '"iss"' in refused.value.error["reason"]
    with pytest.raises(NodeRefused) as refused:
        oidc.redeem({**request, "nonce": "another-nonce"}, callback=callback)
    assert refused.value.error["reason"] == 'unexpected ID Token "nonce" claim value'
    # the code was spent by the refused nonce's redemption: the provider refuses it again
    with pytest.raises(NodeRefused) as refused:
        oidc.redeem(request, callback=callback)
    assert refused.value.error["error"] == "invalid_grant"
