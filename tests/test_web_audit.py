"""The audit log: one JSON line per login, token, assertion, logout and failure, and never a
PIN, token, assertion, cookie or national number; mandates chosen on the enterprise page."""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from eid.tokens.virtual import VirtualCard
from eid.web.dev import example_portals

from .web_support import browser, csrf_of, flow_of, serving_with_services

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

OIDC = "http://127.0.0.1:9"
SAML = "http://127.0.0.1:10"
FIELDS = {"time", "event", "outcome", "pseudonym", "portal", "level", "method", "error", "address"}


@pytest.fixture
def provider(
    virtual_card: VirtualCard, tmp_path: Path
) -> Iterator[tuple[str, io.StringIO, dict[str, str]]]:
    portals, oidc, builds = example_portals(virtual_card, tmp_path, oidc_url=OIDC, saml_url=SAML)
    audit = io.StringIO()
    with serving_with_services(
        virtual_card, tmp_path, portals=portals, tables={"oidc": oidc}, audit=audit
    ) as (base, _):
        yield base, audit, builds


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, name
    return match.group(1)


def test_mandates_and_an_audit_log_without_secrets(
    provider: tuple[str, io.StringIO, dict[str, str]], virtual_card: VirtualCard
) -> None:
    base, audit, builds = provider
    client = OAuth2Client(builds["client_id"], builds["client_secret"], scope="openid profile mandates",
                          redirect_uri=f"{OIDC}/callback", code_challenge_method="S256")  # fmt: skip
    verifier = secrets.token_urlsafe(48)
    url, _ = client.create_authorization_url(f"{base}/authorize", code_verifier=verifier)
    secrets_seen: list[str] = []
    with browser(base) as person:
        login = person.get(person.get(url).headers["location"]).headers["location"]
        page = person.get(login)
        wrong = person.post("/login/virtual",
                            data={"csrf": csrf_of(page.text), "pin": "98765432", "flow": flow_of(login)})  # fmt: skip
        assert wrong.status_code == 400
        answer = person.post("/login/virtual",
                             data={"csrf": csrf_of(page.text), "pin": "1234", "flow": flow_of(login)})  # fmt: skip
        secrets_seen += list(person.jar.values())
        choice = person.get(answer.headers["location"])
        assert "Specimen Bakery BV (0202020118)" in choice.text
        flow = _hidden(choice.text, "flow")
        refused = person.post("/enterprise", data={"csrf": csrf_of(choice.text), "flow": flow,
                                                   "enterprise": "0403170701"})  # fmt: skip
        assert refused.status_code == 403
        assert "mandate_not_held" in refused.text
        consent = person.post("/enterprise", data={"csrf": csrf_of(choice.text), "flow": flow,
                                                   "enterprise": "0202020118"})  # fmt: skip
        assert "Specimen Bakery BV" in consent.text
        assert "director" in consent.text
        done = person.post("/consent", data={"csrf": csrf_of(consent.text), "flow": flow,
                                             "decision": "accept"})  # fmt: skip
        code = parse_qs(urlsplit(done.headers["location"]).query)["code"][0]
        token = client.fetch_token(f"{base}/token", authorization_response=done.headers["location"],
                                   code_verifier=verifier)  # fmt: skip
        secrets_seen += [code, token["access_token"], token["id_token"], verifier]
        claims = json.loads(
            __import__("base64").urlsafe_b64decode(token["id_token"].split(".")[1] + "==")
        )
        assert claims["legal_name"] == "Specimen Bakery BV"
        assert claims["mandate_role"] == "director"
        home = person.get("/")
        person.post("/logout", data={"csrf": csrf_of(home.text)})
    assert httpx.post(f"{base}/token", data={"grant_type": "authorization_code", "code": code,
                      "code_verifier": verifier, "redirect_uri": f"{OIDC}/callback"},
                      auth=(builds["client_id"], "wrong")).status_code == 401  # fmt: skip

    text = audit.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert all(set(line) == FIELDS for line in lines)
    events = [(line["event"], line["outcome"], line["error"]) for line in lines]
    assert ("failure", "failure", "pin_incorrect") in events
    assert ("login", "success", None) in events
    assert ("failure", "failure", "mandate_not_held") in events
    assert ("token", "success", None) in events
    assert ("logout", "success", None) in events
    assert ("failure", "failure", "invalid_client") in events
    token_line = next(line for line in lines if line["event"] == "token")
    assert token_line["portal"] == "my-enterprise"
    assert token_line["level"] == "low"
    assert token_line["pseudonym"] == claims["sub"]
    national = virtual_card.national_number
    for value in (national, "98765432", *secrets_seen):
        assert value not in text, "the audit log holds a secret or the national number"
    # Short values (the PIN 1234, the birth date part of the number) could occur by chance
    # in a random pseudonym or a time: check every other field for them.
    for line in lines:
        for key in FIELDS - {"time", "pseudonym"}:
            assert "1234" not in str(line[key])
            assert national[:6] not in str(line[key])
