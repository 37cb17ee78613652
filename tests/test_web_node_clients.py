"""The provider with the JavaScript world's reference clients, run for real in Node.js.

openid-client (panva, OpenID-certified relying party) discovers, builds the authorization
request, and after the login (the virtual eID, as in test_web_oidc.py) redeems the answer with
all its checks (iss per RFC 9207, ID token signature, nonce, at_hash, auth_time) and calls
userinfo; it also authenticates in each way, registers itself and logs out.
@node-saml/node-saml (passport-saml's core) makes signed AuthnRequests and validates our
Responses, the assertion in the clear or encrypted for it, and logs out from either end.
The scripts are tests/node/*.cjs; jose's ID tokens are in test_sso_jose.py.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc.jwk import ECKey

from eid.errors import AssertionHeaderRefused
from eid.examples.my_enterprise import create_portal
from eid.sso import VerificationKeys, import_id_token
from eid.sso.saml_metadata import idp_from_metadata
from eid.tokens.virtual import VirtualCard
from eid.web.logout import BACKCHANNEL_EVENT

from .node_support import Node, NodeRefused, node
from .pysaml2_sp import key_pair
from .test_web_logout import notices
from .test_web_oidc_modes import posted_page
from .web_support import (
    Browser,
    browser,
    csrf_of,
    follow_to_portal,
    new_port,
    posted_fields,
    serving,
    serving_provider,
)

__all__ = ["node", "notices"]  # the fixtures, for pytest

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

PORTAL = "http://127.0.0.1:9/callback"
SECRET = "openid-client-secret-0123456789"
BYE = "http://127.0.0.1:9/bye"
NODE_PORTAL = {"client_id": "node-portal", "client_secret": SECRET}
JWT_KEY = ECKey.generate_key("P-256", parameters={"kid": "node-jwt-1", "use": "sig"})
JWT_PORTAL = {"client_id": "node-jwt-portal", "auth": "private_key_jwt",
              "private_jwk": JWT_KEY.as_dict(private=True)}  # fmt: skip


@dataclass(frozen=True)
class OidcPortal:
    """The provider, and openid-client as one of its clients (``node-portal`` unless changed)."""

    base: str
    node: Node
    client: Mapping[str, Any] = field(default_factory=lambda: NODE_PORTAL)

    def as_client(self, **client: Any) -> OidcPortal:
        """openid-client as another client (``client_id``, ``client_secret``, ``auth``...)."""
        return replace(self, client=client)

    def register(self, **metadata: Any) -> dict[str, Any]:
        """openid-client's dynamic registration with ``metadata``: the registered client's."""
        data = {"issuer": self.base, "metadata": metadata}
        return dict(self.node.run("oidc_client.cjs", "register", data=data))

    def request(self, **params: str) -> dict[str, Any]:
        """openid-client's authorization request (URL, verifier, nonce, state) with ``params``."""
        return dict(self.node.run("oidc_client.cjs", "authorize", data=self._data(params=params)))

    def redeem(self, request: dict[str, Any], **answer: Any) -> dict[str, Any]:
        """openid-client's token and userinfo calls for the ``answer`` to ``request``."""
        return dict(
            self.node.run("oidc_client.cjs", "redeem", data=self._data(**request, **answer))
        )

    def logout_url(self, id_token: str, **params: str) -> str:
        """openid-client's RP-initiated logout URL with ``id_token`` as the hint."""
        data = self._data(id_token=id_token, params=params)
        return str(self.node.run("oidc_client.cjs", "logout", data=data)["url"])

    def _data(self, **extra: Any) -> dict[str, Any]:
        return {"issuer": self.base, **self.client, "redirect_uri": PORTAL,
                "scope": "openid profile", **extra}  # fmt: skip


@pytest.fixture(params=["ec", "rsa"])
def oidc(
    request: pytest.FixtureRequest, node: Node, virtual_card: VirtualCard, tmp_path: Path
) -> Iterator[OidcPortal]:
    """The provider signing with its development EC key (ES256) or an RSA key (RS256)."""
    portals = [
        {
            "id": "node-portal", "kind": "oidc", "name": "Node portal",
            "redirect_uris": [PORTAL], "attributes": ["given_name", "family_name"],
            "client_secret": SECRET, "post_logout_redirect_uris": [BYE],
        },
        {
            "id": "node-jwt-portal", "kind": "oidc", "redirect_uris": [PORTAL],
            "attributes": ["given_name"], "jwks": {"keys": [JWT_KEY.as_dict(private=False)]},
        },
    ]  # fmt: skip
    tables = None
    if request.param == "rsa":
        key, certificate, _ = key_pair(tmp_path, "provider-rsa")
        tables = {"keys": {"active": str(key), "certificate": str(certificate)}}
    with serving_provider(virtual_card, tmp_path, portals=portals, tables=tables) as base:
        yield OidcPortal(base, node)


def _login(oidc: OidcPortal, url: str) -> httpx.Response:
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


def _logs_in(oidc: OidcPortal) -> dict[str, Any]:
    """openid-client's claims and userinfo after a login of its client."""
    request = oidc.request()
    answer = _login(oidc, request["url"])
    assert answer.status_code == 303, answer.text
    result = oidc.redeem(request, callback=answer.headers["location"])
    assert result["userinfo"]["sub"] == result["claims"]["sub"]
    assert result["claims"]["aud"] == oidc.client["client_id"]
    return result


@pytest.mark.parametrize("oidc", ["ec"], indirect=True)
def test_openid_client_authenticates_by_post_and_private_key_jwt(oidc: OidcPortal) -> None:
    _logs_in(oidc.as_client(**NODE_PORTAL, auth="client_secret_post"))
    _logs_in(oidc.as_client(**JWT_PORTAL))
    stranger = ECKey.generate_key("P-256", parameters={"kid": "node-jwt-1"})
    with pytest.raises(NodeRefused) as refused:
        _logs_in(oidc.as_client(**JWT_PORTAL | {"private_jwk": stranger.as_dict(private=True)}))
    # a 401 carries a challenge (RFC 9110 15.5.2): openid-client reports the challenge
    assert refused.value.error["code"] == "OAUTH_WWW_AUTHENTICATE_CHALLENGE"
    [challenge] = refused.value.error["challenges"]
    assert challenge["scheme"] == "basic"


@pytest.mark.parametrize("oidc", ["ec"], indirect=True)
def test_openid_client_registers_itself(oidc: OidcPortal) -> None:
    """RFC 7591 (open in development mode): registered, the client logs in at once."""
    for method in ("client_secret_basic", "private_key_jwt"):
        metadata = {"redirect_uris": [PORTAL], "client_name": "Registered by openid-client",
                    "token_endpoint_auth_method": method}  # fmt: skip
        if method == "private_key_jwt":
            metadata["jwks"] = {"keys": [JWT_KEY.as_dict(private=False)]}
        registered = oidc.register(**metadata)
        assert registered["token_endpoint_auth_method"] == method
        client = {"client_id": registered["client_id"], "auth": method}
        if method == "private_key_jwt":
            client["private_jwk"] = JWT_KEY.as_dict(private=True)
        else:
            client["client_secret"] = registered["client_secret"]
        assert _logs_in(oidc.as_client(**client))["claims"]["sub"]
    with pytest.raises(NodeRefused) as refused:
        oidc.register(redirect_uris=["http://portal.example/callback"])
    assert refused.value.error["error"] == "invalid_redirect_uri"


@pytest.mark.parametrize("oidc", ["ec"], indirect=True)
def test_openid_client_logout_url_ends_the_session(oidc: OidcPortal) -> None:
    request = oidc.request()
    with browser(oidc.base) as person:
        answer = follow_to_portal(person, request["url"])
        result = oidc.redeem(request, callback=answer.headers["location"])
        assert "Alice" in person.get("/").text
        url = oidc.logout_url(result["id_token"], post_logout_redirect_uri=BYE, state="s-9")
        assert parse_qs(urlsplit(url).query)["client_id"] == ["node-portal"]
        out = person.get(url)
        assert out.status_code == 303, out.text
        assert out.headers["location"] == BYE + "?state=s-9"
        assert "Alice" not in person.get("/").text


@pytest.fixture
def backchannel(
    node: Node, virtual_card: VirtualCard, tmp_path: Path, notices: tuple[str, list[str]]
) -> Iterator[tuple[OidcPortal, str, list[str]]]:
    """The provider with two portals told of logouts by the back channel: the example portal
    (`eid.examples.my_enterprise`, served here) and openid-client's, whose notices a loopback
    endpoint keeps. Yields openid-client's portal, the example's URL, and the notices."""
    notice_url, received = notices
    example_port = new_port()
    example = f"http://127.0.0.1:{example_port}"
    portals = [
        {"id": "my-enterprise", "kind": "oidc", "redirect_uris": [f"{example}/callback"],
         "attributes": ["given_name", "family_name"], "client_secret": SECRET,
         "backchannel_logout_uri": f"{example}/backchannel-logout"},
        {"id": "node-portal", "kind": "oidc", "redirect_uris": [PORTAL],
         "attributes": ["given_name"], "client_secret": SECRET,
         "backchannel_logout_uri": notice_url},
    ]  # fmt: skip
    with serving_provider(virtual_card, tmp_path, portals=portals) as base:
        app = create_portal(
            provider=base, base_url=example, client_id="my-enterprise", client_secret=SECRET
        )
        with serving(app, example_port):
            yield OidcPortal(base, node), example, received


def _jose_logout_token(oidc: OidcPortal, token: str) -> dict[str, Any]:
    """jose's verification of ``token`` as a logout token for openid-client's portal."""
    data = {"token": token, "jwks_uri": f"{oidc.base}/jwks", "issuer": oidc.base,
            "audience": "node-portal"}  # fmt: skip
    return dict(oidc.node.run("jose_logout_token.cjs", "verify", data=data))


def test_logout_tokens_reach_the_example_portal_and_pass_jose(
    backchannel: tuple[OidcPortal, str, list[str]],
) -> None:
    """Back-Channel Logout: our logout token is typed logout+jwt (2.4), which jose's
    jwtVerify asks for; it is never taken for an ID token, nor an ID token for it (4.1)."""
    oidc, example, received = backchannel
    with browser(oidc.base) as person, browser(example) as at_example:
        answer = follow_to_portal(person, at_example.get("/login").headers["location"])
        at_example.get(answer.headers["location"])
        assert "Welcome, Alice" in at_example.get("/").text
        request = oidc.request()
        callback = follow_to_portal(person, request["url"]).headers["location"]
        result = oidc.redeem(request, callback=callback)  # signed on without a PIN
        # the example portal refuses an ID token where a logout token belongs
        posted = at_example.post("/backchannel-logout", data={"logout_token": result["id_token"]})
        assert posted.status_code == 400
        assert "Welcome, Alice" in at_example.get("/").text
        person.post("/logout", data={"csrf": csrf_of(person.get("/").text)})
        assert "You are not logged in" in at_example.get("/").text
    [token] = received
    verified = _jose_logout_token(oidc, token)
    assert verified["header"]["typ"] == "logout+jwt"
    assert verified["claims"]["sid"] == result["claims"]["sid"]
    assert verified["claims"]["events"] == {BACKCHANNEL_EVENT: {}}
    assert "nonce" not in verified["claims"]
    keys = VerificationKeys.from_jwks(httpx.get(f"{oidc.base}/jwks").json())
    with pytest.raises(AssertionHeaderRefused):
        import_id_token(token, issuer=oidc.base, audience="node-portal", keys=keys)
    with pytest.raises(NodeRefused) as refused:  # and jose refuses an ID token as one
        _jose_logout_token(oidc, result["id_token"])
    assert refused.value.error["message"] == 'unexpected "typ" JWT header value'


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
    # an error answer (prompt=none without a session) is read as one, its iss checked too
    request = oidc.request(prompt="none")
    answer = _login(oidc, request["url"])
    assert parse_qs(urlsplit(answer.headers["location"]).query)["iss"] == [oidc.base]
    with pytest.raises(NodeRefused) as refused:
        oidc.redeem(request, callback=answer.headers["location"])
    assert refused.value.error["code"] == "OAUTH_AUTHORIZATION_RESPONSE_ERROR"
    assert refused.value.error["error"] == "login_required"


SAML_SP = "https://portal.example/node-saml"
ENCRYPTED_SAML_SP = "https://portal.example/node-saml-encrypted"
ROOT = "http://127.0.0.1:9"


@dataclass
class SamlPortals:
    """The provider and two node-saml SPs: `SAML_SP` registered in TOML (with its single
    logout URL), `ENCRYPTED_SAML_SP` from the metadata node-saml writes."""

    base: str
    node: Node
    sps: dict[str, dict[str, Any]]

    def run(self, step: str, entity_id: str, **extra: Any) -> dict[str, Any]:
        return dict(self.node.run("saml_sp.cjs", step, data={**self.sps[entity_id], **extra}))

    def login(
        self, entity_id: str, person: Browser | None = None, **extra: Any
    ) -> tuple[dict[str, str], dict[str, str]]:
        """node-saml's request (ID, time) and the fields our POST binding page sends its ACS
        (in ``person``'s browser, else a new one)."""
        request = self.run("request", entity_id, **extra)
        with browser(self.base) if person is None else nullcontext(person) as visitor:
            if "form" in request:  # the POST binding: the signature is in the XML
                assert b"rsa-sha256" in base64.b64decode(request["form"]["SAMLRequest"])
                sent = visitor.post("/saml/sso", data=request["form"])
                assert sent.status_code == 303, sent.text
                url = sent.headers["location"]
            else:
                url = request["url"]
                query = parse_qs(urlsplit(url).query)
                assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
            fields = posted_fields(follow_to_portal(visitor, url), _acs(entity_id))
        assert fields["RelayState"] == "relay-7"
        return {"request_id": request["request_id"], "made": request["made"]}, fields


def _acs(entity_id: str) -> str:
    return f"{ROOT}/{entity_id.rsplit('/', 1)[1]}/acs"


def _sls(entity_id: str) -> str:
    return f"{ROOT}/{entity_id.rsplit('/', 1)[1]}/sls"


def _node_saml_sp(entity_id: str, tmp_path: Path) -> dict[str, Any]:
    """An SP's settings for saml_sp.cjs (our URLs and certificates come once we run)."""
    key, _, cert = key_pair(tmp_path, entity_id.rsplit("/", 1)[1])
    return {"entity_id": entity_id, "acs": _acs(entity_id), "sls": _sls(entity_id),
            "key": key.read_text(), "cert": cert, "encrypted": entity_id == ENCRYPTED_SAML_SP,
            "response_signed": entity_id == ENCRYPTED_SAML_SP}  # fmt: skip


@pytest.fixture
def saml(
    request: pytest.FixtureRequest, node: Node, virtual_card: VirtualCard, tmp_path: Path
) -> Iterator[SamlPortals]:
    """The node-saml SPs; the encrypted one wants the Response signed too (``sign_response``).
    The provider signs with an RSA key, or (parameter "ec") its development EC key."""
    sps = {
        entity_id: _node_saml_sp(entity_id, tmp_path) for entity_id in (SAML_SP, ENCRYPTED_SAML_SP)
    }
    metadata = node.run("saml_sp.cjs", "metadata", data=sps[ENCRYPTED_SAML_SP])["metadata"]
    (tmp_path / "node-saml-sp.xml").write_text(metadata)
    attributes = ["given_name", "family_name"]
    portals = [
        {"id": SAML_SP, "kind": "saml", "name": "Node portal", "acs_urls": [_acs(SAML_SP)],
         "attributes": attributes, "sp_certificate": sps[SAML_SP]["cert"], "sign_requests": True,
         "slo_url": _sls(SAML_SP)},
        {"sp_metadata": "node-saml-sp.xml", "name": "Node portal", "attributes": attributes,
         "sign_response": True},
    ]  # fmt: skip
    tables = None
    if getattr(request, "param", "rsa") == "rsa":
        key, certificate, _ = key_pair(tmp_path, "provider-rsa")
        tables = {"keys": {"active": str(key), "certificate": str(certificate)}}
    with serving_provider(virtual_card, tmp_path, portals=portals, tables=tables) as base:
        idp = idp_from_metadata(httpx.get(f"{base}/saml/metadata").content)
        pems = [c.public_bytes(Encoding.PEM).decode() for c in idp.certificates]
        for sp in sps.values():
            sp.update(
                sso=f"{base}/saml/sso", slo=f"{base}/saml/slo", idp_certs=pems, idp_issuer=base
            )
        yield SamlPortals(base, node, sps)


@pytest.mark.parametrize(
    ("entity_id", "post"), [(SAML_SP, False), (SAML_SP, True), (ENCRYPTED_SAML_SP, False)]
)
def test_node_saml_sp_logs_in(saml: SamlPortals, entity_id: str, post: bool) -> None:
    """By the Redirect binding, or the POST one (with node-saml's skipRequestCompression)."""
    request, fields = saml.login(entity_id, post=post, post_uncompressed=post)
    assertion = base64.b64decode(fields["SAMLResponse"])
    assert (b"EncryptedAssertion" in assertion) == (entity_id == ENCRYPTED_SAML_SP)
    profile = saml.run("validate", entity_id, **request, **fields)["profile"]
    assert profile["issuer"] == saml.base
    assert profile["inResponseTo"] == request["request_id"]
    assert profile["nameIDFormat"] == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    assert profile["spNameQualifier"] == entity_id
    assert profile["attributes"]["urn:be:eid:attr:familyName"] == "Specimen"
    assert profile["attributes"]["urn:be:eid:attr:givenName"]


def test_our_provider_checks_node_saml_signed_request(saml: SamlPortals) -> None:
    """node-saml's metadata says AuthnRequestsSigned: a request without its signature, or
    with a changed RelayState, is refused; the signed one is taken once."""
    url = saml.run("request", SAML_SP)["url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    unsigned = {k: v for k, v in query.items() if k not in ("Signature", "SigAlg")}
    with browser(saml.base) as person:
        no_signature = person.get("/saml/sso?" + urlencode(unsigned))
        changed = person.get("/saml/sso?" + urlencode({**query, "RelayState": "elsewhere"}))
        first, again = person.get(url), person.get(url)
    assert no_signature.status_code == 403
    assert "assertion_signature_missing" in no_signature.text
    assert changed.status_code == 403
    assert "assertion_signature_invalid" in changed.text
    assert first.status_code == 303
    assert again.status_code == 400


def test_node_saml_deflated_post_request_is_malformed(saml: SamlPortals) -> None:
    """node-saml deflates its POST-binding AuthnRequest by default; SAML Bindings 3.5.4 sends
    the XML base64-encoded only (DEFLATE is the Redirect binding's), so we refuse it: such
    portals set skipRequestCompression."""
    form = saml.run("request", SAML_SP, post=True)["form"]
    with browser(saml.base) as person:
        sent = person.post("/saml/sso", data=form)
    assert sent.status_code == 400
    assert "malformed_input" in sent.text


def _refused(saml: SamlPortals, entity_id: str, **changes: Any) -> dict[str, Any]:
    with pytest.raises(NodeRefused) as refused:
        saml.run("validate", entity_id, **changes)
    return refused.value.error


def test_node_saml_refuses_a_changed_response_and_a_wrong_key(
    saml: SamlPortals, tmp_path: Path
) -> None:
    request, fields = saml.login(SAML_SP)
    changed = base64.b64decode(fields["SAMLResponse"]).replace(b"Specimen", b"Specimex")
    tampered = {**fields, "SAMLResponse": base64.b64encode(changed).decode()}
    assert _refused(saml, SAML_SP, **request, **tampered)["message"] == "Invalid signature"
    other = key_pair(tmp_path, "other-idp")[2]
    wrong_idp = _refused(saml, SAML_SP, idp_certs=[other], **request, **fields)
    assert wrong_idp["message"] == "Invalid signature"
    # the encrypted assertion opens only with the key of the certificate in the SP's metadata
    request, fields = saml.login(ENCRYPTED_SAML_SP)
    stranger = key_pair(tmp_path, "stranger")[0].read_text()
    not_for_it = _refused(saml, ENCRYPTED_SAML_SP, key=stranger, **request, **fields)
    # OpenSSL's RSA-OAEP refusal; when the wrapped key, as a number, exceeds the stranger's
    # modulus (a random key: now and then), it says so first
    assert re.search(r"oaep decoding error|data too large for modulus", not_for_it["message"])


def test_node_saml_reads_our_refusal_of_its_default_authn_context(saml: SamlPortals) -> None:
    """node-saml asks by default for PasswordProtectedTransport, exactly: no eID level is
    that, so the answer is a NoAuthnContext status (SAML core 3.4.1.1), which it reports."""
    password = ["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"]
    request, fields = saml.login(SAML_SP, authn_context=password)
    refusal = _refused(saml, SAML_SP, **request, **fields, authn_context=password)
    assert refusal["message"].startswith("SAML provider returned Responder error")
    assert "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext" in refusal["status"]


@pytest.mark.parametrize("saml", ["ec"], indirect=True)
def test_node_saml_verifies_no_ecdsa(saml: SamlPortals) -> None:
    """xml-crypto 6 (node-saml's XML signatures) knows RSA signature algorithms only, and
    node-saml reports any failure as an invalid signature: a provider signing with an EC key
    (ecdsa-sha256, as the development configuration does) needs an RSA key for such portals.
    (xmlsec and python3-saml verify the same EC signatures: test_web_saml*.py.)"""
    request, fields = saml.login(SAML_SP)
    assert b"xmldsig-more#ecdsa-sha256" in base64.b64decode(fields["SAMLResponse"])
    assert _refused(saml, SAML_SP, **request, **fields)["message"] == "Invalid signature"


def test_node_saml_sp_initiated_single_logout(saml: SamlPortals) -> None:
    """node-saml's signed LogoutRequest (Redirect) ends our session; our signed
    LogoutResponse (Redirect, RSA-SHA256) passes validateRedirectAsync, a forged one not."""
    with browser(saml.base) as person:
        request, fields = saml.login(SAML_SP, person)
        profile = saml.run("validate", SAML_SP, **request, **fields)["profile"]
        logout = saml.run("logout", SAML_SP, profile=profile)
        answer = person.get(logout["url"])
        assert answer.status_code == 303, answer.text
        assert "You are not logged in" in person.get("/").text
    location = answer.headers["location"]
    assert location.startswith(_sls(SAML_SP) + "?SAMLResponse=")
    expected = {"request_id": logout["request_id"], "made": logout["made"]}
    assert saml.run("logged_out", SAML_SP, url=location, **expected) == {"loggedOut": True}
    same = _with_query(location)  # encoded again as we encode: still verifies
    assert saml.run("logged_out", SAML_SP, url=same, **expected) == {"loggedOut": True}
    forged = _with_query(location, RelayState="elsewhere")
    with pytest.raises(NodeRefused) as refused:
        saml.run("logged_out", SAML_SP, url=forged, **expected)
    assert "signature" in refused.value.error["message"].lower()


def test_node_saml_answers_our_logout_request(saml: SamlPortals) -> None:
    """Logout begun at the provider: our signed LogoutRequest (Redirect) passes node-saml's
    checks, and its signed LogoutResponse passes ours."""
    with browser(saml.base) as person:
        request, fields = saml.login(SAML_SP, person)
        profile = saml.run("validate", SAML_SP, **request, **fields)["profile"]
        stop = person.post("/logout", data={"csrf": csrf_of(person.get("/").text)})
        location = stop.headers["location"]
        assert location.startswith(_sls(SAML_SP) + "?SAMLRequest=")
        answer = saml.run("answer_logout", SAML_SP, url=location)
        assert answer["name_id"] == profile["nameID"]
        done = person.get(answer["url"])
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/logged-out"
        assert "You are not logged in" in person.get("/").text
    with pytest.raises(NodeRefused) as refused:
        saml.run("answer_logout", SAML_SP, url=_with_query(location, RelayState="elsewhere"))
    assert "signature" in refused.value.error["message"].lower()


def _tampered(fields: Mapping[str, str], name: str) -> dict[str, str]:
    """``fields`` with the message ``name`` changed after its signature (its Destination)."""
    xml = base64.b64decode(fields[name]).replace(b'Destination="http', b'Destination="https')
    return {**fields, name: base64.b64encode(xml).decode()}


def test_node_saml_from_its_metadata_logs_out_by_post(saml: SamlPortals) -> None:
    """Registered from the metadata node-saml writes, whose SingleLogoutService is HTTP-POST
    only: its signed LogoutRequest (Redirect) ends our session, and our LogoutResponse is
    posted to it (enveloped RSA-SHA256 signature), never redirected; validatePostResponseAsync
    takes it, and refuses it changed. node-saml reads InResponseTo there from a Response only,
    so it sets validateInResponseTo "ifPresent" to take any posted LogoutResponse; we check
    ours answers its request."""
    entity_id = ENCRYPTED_SAML_SP
    with browser(saml.base) as person:
        request, fields = saml.login(entity_id, person)
        profile = saml.run("validate", entity_id, **request, **fields)["profile"]
        logout = saml.run("logout", entity_id, profile=profile)
        page = person.get(logout["url"])
        assert "location" not in page.headers
        answer, _ = posted_page(page, _sls(entity_id))
        assert "You are not logged in" in person.get("/").text
    assert answer["RelayState"] == "relay-out"
    xml = base64.b64decode(answer["SAMLResponse"])
    assert b"LogoutResponse" in xml
    assert b"xmldsig-more#rsa-sha256" in xml
    assert f'InResponseTo="{logout["request_id"]}"'.encode() in xml
    expected = {"request_id": logout["request_id"], "made": logout["made"]}
    with pytest.raises(NodeRefused) as always:
        saml.run("logged_out", entity_id, form=answer, **expected)
    assert always.value.error["message"] == "InResponseTo is missing from response"
    expected["in_response_to"] = "ifPresent"
    assert saml.run("logged_out", entity_id, form=answer, **expected) == {"loggedOut": True}
    with pytest.raises(NodeRefused) as refused:
        saml.run("logged_out", entity_id, form=_tampered(answer, "SAMLResponse"), **expected)
    assert "signature" in refused.value.error["message"].lower()


def test_node_saml_from_its_metadata_answers_our_posted_logout_request(
    saml: SamlPortals,
) -> None:
    """Logout begun at the provider: our LogoutRequest is posted to node-saml's POST-only
    SingleLogoutService; validatePostRequestAsync checks its enveloped signature (and
    refuses it changed), and its signed answer (Redirect) brings the browser to the end."""
    entity_id = ENCRYPTED_SAML_SP
    with browser(saml.base) as person:
        request, fields = saml.login(entity_id, person)
        profile = saml.run("validate", entity_id, **request, **fields)["profile"]
        page = person.post("/logout", data={"csrf": csrf_of(person.get("/").text)})
        assert "location" not in page.headers
        posted, _ = posted_page(page, _sls(entity_id))
        assert "You are not logged in" in person.get("/").text
        answer = saml.run("answer_logout", entity_id, form=posted)
        assert answer["name_id"] == profile["nameID"]
        done = person.get(answer["url"])
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/logged-out"
    with pytest.raises(NodeRefused) as refused:
        saml.run("answer_logout", entity_id, form=_tampered(posted, "SAMLRequest"))
    assert "signature" in refused.value.error["message"].lower()
