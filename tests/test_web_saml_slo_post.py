"""Single logout by the HTTP-POST binding, over real HTTP, with pysaml2 service providers.

`POST_SP` is registered from the metadata pysaml2 writes for it, whose SingleLogoutService
is HTTP-POST only: our LogoutRequests and LogoutResponses are posted to it with an
enveloped signature (never redirected), and it logs out from either end, alone or in one
front-channel logout with `SP`, whose single logout is by Redirect (a TOML ``slo_url``).
"""

from __future__ import annotations

import asyncio
import base64
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.metadata import create_metadata_string
from saml2.response import IncorrectlySigned
from saml2.saml import NameID
from saml2.sigver import SignatureError
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from eid.errors import MalformedInput
from eid.sso.saml import NAMEID_TRANSIENT, SAML_NS, SAMLP_NS, STATUS_SUCCESS
from eid.sso.saml_metadata import idp_from_metadata
from eid.tokens.virtual import VirtualCard
from eid.web.clients import client_from_dict
from eid.web.saml_messages import Outgoing, next_stop
from eid.web.service import build_service
from eid.xmlsig import DSIG_NS, public_keys, verify_enveloped

from .browser_support import block_autopost, check_page, chromium
from .pysaml2_sp import ACS, SP, key_pair, pysaml2_sp, redirect_request, sp_config, tax_portal
from .test_web_oidc_modes import RelyingParty, posted_page
from .web_support import (
    Browser,
    browser,
    csrf_of,
    follow_to_portal,
    new_port,
    posted_fields,
    serving,
    serving_provider,
    web_config,
)

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

POST_SP = "https://tax.example/post-sp"
POST_ACS = "http://127.0.0.1:9/post-acs"
POST_SLO = POST_ACS + "/slo"
SLO = ACS + "/slo"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_SIGNING = {"sign_alg": RSA_SHA256, "digest_alg": SHA256}


@dataclass
class Setup:
    """The provider, its metadata, and the two pysaml2 SPs (`POST_SP`'s metadata file)."""

    base: str
    metadata: bytes
    post_sp: Saml2Client
    sp: Saml2Client
    post_sp_metadata: Path


@pytest.fixture
def setup(
    request: pytest.FixtureRequest, virtual_card: VirtualCard, tmp_path: Path
) -> Iterator[Setup]:
    """The provider signs with its development EC key, or (parameter "rsa") an RSA key:
    pysaml2 checks Redirect-binding signatures with RSA only, so `SP` needs that one."""
    post_key, post_cert, _ = key_pair(tmp_path, "post-sp")
    key, cert, pem = key_pair(tmp_path, "sp")
    options = {"entity_id": POST_SP, "acs": POST_ACS, "key": post_key, "cert": post_cert,
               "slo_binding": BINDING_HTTP_POST}  # fmt: skip
    written = create_metadata_string(
        None, config=sp_config(tmp_path, idp_metadata=None, **options), sign=False
    )
    metadata_file = tmp_path / "post-sp.xml"
    metadata_file.write_bytes(written)
    portals = [
        {"sp_metadata": metadata_file.name, "name": "Post portal"},
        tax_portal(pem, slo_url=SLO),
    ]
    tables = None
    if getattr(request, "param", "ec") == "rsa":
        provider_key, provider_cert, _ = key_pair(tmp_path, "provider-rsa")
        tables = {"keys": {"active": str(provider_key), "certificate": str(provider_cert)}}
    with serving_provider(virtual_card, tmp_path, portals=portals, tables=tables) as base:
        metadata = httpx.get(f"{base}/saml/metadata").content
        post_sp = pysaml2_sp(tmp_path, idp_metadata=metadata, **options)  # type: ignore[arg-type]
        sp = pysaml2_sp(tmp_path, entity_id=SP, acs=ACS, idp_metadata=metadata, key=key, cert=cert)
        yield Setup(base, metadata, post_sp, sp, metadata_file)


def _log_in(setup: Setup, sp: Saml2Client, acs: str, person: Browser) -> NameID:
    """Log in at ``sp`` in ``person``'s browser; the NameID it accepted."""
    request_id, url = redirect_request(sp, setup.base)
    fields = posted_fields(follow_to_portal(person, url), acs)
    answer = sp.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
    )
    assert answer is not None
    name_id: NameID = answer.name_id
    return name_id


def _form(info: dict[str, Any]) -> dict[str, str]:
    """The fields of pysaml2's POST-binding page."""
    found = re.findall(r'name="([^"]+)" value="([^"]*)"', info["data"])
    return {name: html.unescape(value) for name, value in found}


def _signed_by_us(metadata: bytes, value: str) -> etree._Element:
    """The posted message ``value``, its enveloped signature checked with the key of our
    ``metadata``."""
    keys = public_keys(list(idp_from_metadata(metadata).certificates))
    return verify_enveloped(etree.fromstring(base64.b64decode(value)), keys=keys).element


def _status(value: str) -> str | None:
    root = etree.fromstring(base64.b64decode(value))
    return root.find(f"{{{SAMLP_NS}}}Status/{{{SAMLP_NS}}}StatusCode").get("Value")  # type: ignore[union-attr]


def _answer(sp: Saml2Client, name_id: NameID, binding: str, fields: dict[str, str]) -> Any:
    """``sp``'s signed answer to our LogoutRequest that came by ``binding``."""
    return sp.handle_logout_request(
        fields["SAMLRequest"], name_id, binding, sign=True, relay_state=fields["RelayState"],
        **_SIGNING,
    )  # fmt: skip


def test_registered_from_metadata_with_its_post_only_single_logout(setup: Setup) -> None:
    """pysaml2's metadata names its SingleLogoutService by POST only, and so it is registered;
    our metadata names /saml/slo by both bindings (it takes both: the tests here)."""
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        ours = setup.post_sp.metadata.single_logout_service(setup.base, binding, "idpsso")
        assert [s["location"] for s in ours] == [f"{setup.base}/saml/slo"]
    written = setup.post_sp_metadata.read_bytes()
    assert f'Binding="{BINDING_HTTP_POST}" Location="{POST_SLO}"'.encode() in written
    assert BINDING_HTTP_REDIRECT.encode() + b'" Location="' + POST_SLO.encode() not in written
    client = client_from_dict({"sp_metadata": str(setup.post_sp_metadata)})
    assert client.logout_endpoint is not None
    assert (client.logout_endpoint.binding, client.logout_endpoint.location) == (
        BINDING_HTTP_POST,
        POST_SLO,
    )
    with pytest.raises(MalformedInput, match="slo_binding come from sp_metadata"):
        client_from_dict({"sp_metadata": str(setup.post_sp_metadata), "slo_binding": "post"})


@pytest.mark.parametrize("setup", ["ec", "rsa"], indirect=True)
def test_logout_begun_at_the_provider_is_posted(setup: Setup) -> None:
    """Our LogoutRequest is posted, signed (EC or RSA key), with the NameID as the assertion
    had it, so pysaml2 finds its user and answers Success; its posted, signed answer ends
    the logout, changed or unsigned it is refused. Our request changed fails pysaml2's check
    of our signature."""
    with browser(setup.base) as person:
        name_id = _log_in(setup, setup.post_sp, POST_ACS, person)
        page = person.post("/logout", data={"csrf": csrf_of(person.get("/").text)})
        assert "location" not in page.headers
        request, _ = posted_page(page, POST_SLO)
        assert "You are not logged in" in person.get("/").text
        signed = _signed_by_us(setup.metadata, request["SAMLRequest"])
        assert signed.get("Destination") == POST_SLO
        answer = _form(_answer(setup.post_sp, name_id, BINDING_HTTP_POST, request))
        assert _status(answer["SAMLResponse"]) == STATUS_SUCCESS
        assert answer["RelayState"] == request["RelayState"]
        # its answer changed after its signature, or without it, is refused; the chain waits
        xml = base64.b64decode(answer["SAMLResponse"])
        changed = xml.replace(b'Destination="http', b'Destination="https')
        tampered = {**answer, "SAMLResponse": base64.b64encode(changed).decode()}
        assert person.post("/saml/slo", data=tampered).status_code == 403
        root = etree.fromstring(xml)
        root.remove(root.find(f"{{{DSIG_NS}}}Signature"))  # type: ignore[arg-type]
        unsigned = {**answer, "SAMLResponse": base64.b64encode(etree.tostring(root)).decode()}
        refused = person.post("/saml/slo", data=unsigned)
        assert refused.status_code == 403
        assert "assertion_signature_missing" in refused.text
        done = person.post("/saml/slo", data=answer)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/logged-out"
    xml = base64.b64decode(request["SAMLRequest"])
    changed = xml.replace(name_id.text.encode(), b"someone-else")
    assert changed != xml
    tampered = {**request, "SAMLRequest": base64.b64encode(changed).decode()}
    with pytest.raises(IncorrectlySigned):
        setup.post_sp.parse_logout_request(tampered["SAMLRequest"], BINDING_HTTP_POST)


def _post_logout_request(
    setup: Setup, name_id: NameID, *, sign: bool
) -> tuple[str, dict[str, str]]:
    """`POST_SP`'s LogoutRequest in the POST binding (enveloped RSA-SHA256 when ``sign``)."""
    request_id, request = setup.post_sp.create_logout_request(
        f"{setup.base}/saml/slo", setup.base, name_id=name_id, sign=sign, **_SIGNING
    )
    info = setup.post_sp.apply_binding(
        BINDING_HTTP_POST, str(request), f"{setup.base}/saml/slo", relay_state="back-7"
    )
    return request_id, _form(info)


def test_logout_begun_at_the_post_only_sp(setup: Setup) -> None:
    """Its LogoutRequest, posted unsigned or changed, is refused and the session stays; posted
    signed, it ends the session, and our LogoutResponse is posted back (never a redirect)
    with its RelayState; pysaml2 takes it, and refuses it changed."""
    with browser(setup.base) as person:
        name_id = _log_in(setup, setup.post_sp, POST_ACS, person)
        _, unsigned = _post_logout_request(setup, name_id, sign=False)
        refused = person.post("/saml/slo", data=unsigned)
        assert refused.status_code == 403
        assert "assertion_signature_missing" in refused.text
        request_id, fields = _post_logout_request(setup, name_id, sign=True)
        xml = base64.b64decode(fields["SAMLRequest"])
        other = xml.replace(name_id.text.encode(), b"someone-else")
        changed = {**fields, "SAMLRequest": base64.b64encode(other).decode()}
        forged = person.post("/saml/slo", data=changed)
        assert forged.status_code == 403
        assert "Error code: signature_invalid" in forged.text  # eid.xmlsig's, enveloped
        assert "You are not logged in" not in person.get("/").text
        page = person.post("/saml/slo", data=fields)
        assert "location" not in page.headers  # a POST-only SP: never a redirect
        answer, _ = posted_page(page, POST_SLO)
        assert "You are not logged in" in person.get("/").text
    assert answer["RelayState"] == "back-7"
    signed = _signed_by_us(setup.metadata, answer["SAMLResponse"])
    assert signed.get("InResponseTo") == request_id
    response = setup.post_sp.parse_logout_request_response(
        answer["SAMLResponse"], BINDING_HTTP_POST
    )
    assert response is not None
    assert response.status_ok()
    assert response.in_response_to == request_id
    xml = base64.b64decode(answer["SAMLResponse"])
    tampered = base64.b64encode(xml.replace(request_id.encode(), b"_other")).decode()
    with pytest.raises(SignatureError):
        setup.post_sp.parse_logout_request_response(tampered, BINDING_HTTP_POST)


@pytest.mark.parametrize("setup", ["rsa"], indirect=True)
def test_one_logout_posts_and_redirects_in_turn(setup: Setup) -> None:
    """Logged in at both SPs, a logout begun at the POST-only one visits the other by
    Redirect first, then posts the answer to the one that began it; begun at the provider,
    the POST step and the Redirect step follow each other the same way, to the end."""
    for begun_at_provider in (False, True):
        with browser(setup.base) as person:
            post_name = _log_in(setup, setup.post_sp, POST_ACS, person)
            name = _log_in(setup, setup.sp, ACS, person)
            if begun_at_provider:
                step = person.post("/logout", data={"csrf": csrf_of(person.get("/").text)})
            else:
                step = person.post(
                    "/saml/slo", data=_post_logout_request(setup, post_name, sign=True)[1]
                )
            visited = []
            for _ in range(3):
                if step.status_code == 200:  # a posted step
                    fields, _ = posted_page(step, POST_SLO)
                    if "SAMLResponse" in fields:  # the end: the answer to its request
                        visited.append("post answer")
                        assert fields["RelayState"] == "back-7"
                        break
                    visited.append("post")
                    answer = _form(_answer(setup.post_sp, post_name, BINDING_HTTP_POST, fields))
                    step = person.post("/saml/slo", data=answer)
                else:
                    location = step.headers["location"]
                    if not location.startswith(SLO):
                        visited.append(location)
                        break
                    visited.append("redirect")
                    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
                    info = setup.sp.handle_logout_request(
                        query["SAMLRequest"], name, BINDING_HTTP_REDIRECT, sign=True,
                        relay_state=query["RelayState"], sigalg=query["SigAlg"],
                        signature=query["Signature"], **_SIGNING,
                    )  # fmt: skip
                    step = person.get(dict(info["headers"])["Location"])
            assert "You are not logged in" in person.get("/").text
        if begun_at_provider:
            assert sorted(visited[:2]) == ["post", "redirect"]
            assert visited[2:] == ["/logged-out"]
        else:
            assert visited == ["redirect", "post answer"]


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    with chromium() as chrome:
        yield chrome


def test_the_posted_logout_page_in_chromium(
    driver: webdriver.Chrome, virtual_card: VirtualCard, tmp_path: Path
) -> None:
    """A portal registered in TOML with ``slo_binding = "post"`` (its endpoint a real one on
    loopback): logging out at the provider shows the POST page, axe-clean on a desktop and a
    phone, whose "Continue" button posts the signed LogoutRequest without JavaScript; with
    it, the page posts by itself."""
    key, cert, pem = key_pair(tmp_path, "sp")
    receiver = RelyingParty()
    port = new_port()
    slo = f"http://127.0.0.1:{port}/callback"
    portals = [tax_portal(pem, slo_url=slo, slo_binding="post")]
    with (
        serving(receiver.app(), port),
        serving_provider(virtual_card, tmp_path, portals=portals) as base,
    ):
        metadata = httpx.get(f"{base}/saml/metadata").content
        sp = pysaml2_sp(tmp_path, entity_id=SP, acs=ACS, idp_metadata=metadata, key=key, cert=cert)
        driver.delete_all_cookies()
        block_autopost(driver, True)
        try:
            for scripted in (False, True):
                driver.get(f"{base}/language/en?next=/")
                driver.get(redirect_request(sp, base)[1])
                driver.find_element(By.NAME, "pin").send_keys("1234")
                driver.find_element(By.CSS_SELECTOR, "form[action='/login/virtual'] button").click()
                WebDriverWait(driver, 30).until(lambda d: 'action="/consent"' in d.page_source)
                driver.find_element(By.CSS_SELECTOR, "button[value='accept']").click()
                WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "autopost"))
                driver.get(f"{base}/")  # the Response's page held: on to the home page
                block_autopost(driver, not scripted)
                driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
                if not scripted:
                    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "autopost"))
                    form = driver.find_element(By.ID, "autopost")
                    assert form.get_attribute("action") == slo
                    check_page(driver, "single logout POST page")
                    button = driver.find_element(By.CSS_SELECTOR, "#autopost button")
                    assert button.accessible_name == "Continue"
                    assert not receiver.received  # nothing went without the button
                    button.click()
                assert receiver.posted.wait(30)
                receiver.posted.clear()
                WebDriverWait(driver, 30).until(lambda d: "Received" in d.page_source)
        finally:
            block_autopost(driver, False)
        driver.get(f"{base}/")
        assert "You are not logged in" in driver.page_source
    assert len(receiver.received) == 2
    for fields in receiver.received:
        request = _signed_by_us(metadata, fields["SAMLRequest"])
        assert request.tag == f"{{{SAMLP_NS}}}LogoutRequest"
        assert request.get("Destination") == slo
        assert fields["RelayState"]


def test_a_logout_chain_step_by_step(virtual_card: VirtualCard, tmp_path: Path) -> None:
    """The chain as the store keeps it: a portal no longer registered for single logout is
    passed over, a POST one gets its signed LogoutRequest (the chain as RelayState), then
    comes the end kept in the store (a posted answer here), then, the chain gone, the
    logged-out page."""
    _, _, pem = key_pair(tmp_path, "sp")
    portals = [tax_portal(pem, slo_url=POST_SLO, slo_binding="post")]
    service = build_service(web_config(virtual_card, new_port(), tmp_path, portals=portals))
    final = Outgoing(SLO, (("SAMLResponse", "PHg+"), ("RelayState", "r")), "Tax-on-web")
    stops = [{"portal": "https://gone.example/sp", "name": ["bob", "pairwise"]},
             {"portal": SP, "name": ["alice", "transient"]}]  # fmt: skip

    async def walk() -> list[Outgoing]:
        state = {"stops": stops, "final": final.to_dict(), "sid": "sid-1"}
        await service.store.put("slo:chain-1", state, 60)
        return [await next_stop(service, "chain-1") for _ in range(3)]

    first, second, third = asyncio.run(walk())
    assert first.url == POST_SLO
    assert first.portal_name == "Tax-on-web"
    assert dict(first.fields)["RelayState"] == "chain-1"
    request = etree.fromstring(base64.b64decode(dict(first.fields)["SAMLRequest"]))
    [key] = service.provider.keys
    verify_enveloped(request, keys=public_keys([key.certificate]))  # type: ignore[list-item]
    name = request.find(f"{{{SAML_NS}}}NameID")
    assert name is not None
    assert (name.text, name.get("Format"), name.get("SPNameQualifier")) == (
        "alice",
        NAMEID_TRANSIENT,
        SP,
    )
    assert request.findtext(f"{{{SAMLP_NS}}}SessionIndex") == "sid-1"
    assert second == final
    assert third == Outgoing("/logged-out")
