"""SAML messages the provider sends by the HTTP-Redirect binding: logout requests and responses.

Each is deflated, base64-encoded and signed over the query string with the provider's
active key. The values are form-encoded (a space as ``+``, everything else but letters,
digits and ``_.-~`` escaped): SAML Bindings 3.4.4.1 signs the query as sent, but verifiers
such as python3-saml re-encode the decoded values that way before checking.

`logout_chain` plans the front-channel single logout of a session: one signed LogoutRequest
per SAML portal that registered a ``slo_url``, each portal answering at ``/saml/slo``, then
the browser goes on to where the logout began.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import zlib
from typing import Any
from urllib.parse import quote_plus

from lxml import etree

from eid.errors import PortalUnknown
from eid.sso.algorithms import ALGORITHMS
from eid.sso.saml import SAML_NS, SAMLP_NS, saml_instant

from .service import Service
from .sessions import Session

__all__ = ["logout_chain", "message", "next_stop", "signed_redirect"]

_P = f"{{{SAMLP_NS}}}"
_A = f"{{{SAML_NS}}}"
_CHAIN_TTL = 5 * 60


def _deflated(xml: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(xml) + compressor.flush()).decode("ascii")


def signed_redirect(service: Service, url: str, name: str, xml: bytes, relay: str | None) -> str:
    """``url`` with the message in the HTTP-Redirect binding, signed with the provider's key."""
    key = service.provider.keys.active
    algorithm = key.choose_algorithm(tuple(ALGORITHMS))
    query = f"{name}={quote_plus(_deflated(xml), safe='')}"
    if relay:
        query += f"&RelayState={quote_plus(relay, safe='')}"
    query += f"&SigAlg={quote_plus(ALGORITHMS[algorithm].xmldsig_uri, safe='')}"
    signature = key.sign(query.encode("ascii"), algorithm)
    query += f"&Signature={quote_plus(base64.b64encode(signature).decode('ascii'), safe='')}"
    return f"{url}{'&' if '?' in url else '?'}{query}"


def message(service: Service, tag: str, destination: str, **extra: str) -> etree._Element:
    """A SAML protocol message ``tag`` from this provider to ``destination`` (ID, time, Issuer)."""
    root = etree.Element(_P + tag, nsmap={"samlp": SAMLP_NS, "saml": SAML_NS})
    attributes = {
        "ID": "_" + secrets.token_hex(20),
        "Version": "2.0",
        "IssueInstant": saml_instant(dt.datetime.now(dt.UTC)),
        "Destination": destination,
        **extra,
    }
    for name, value in attributes.items():
        root.set(name, value)
    etree.SubElement(root, _A + "Issuer").text = service.config.issuer
    return root


async def logout_chain(service: Service, session: Session, final: str) -> str:
    """Where the browser goes after ``session`` ended: each SAML portal's SLO, then ``final``."""
    stops = []
    for portal_id in session.portals:
        try:
            client = await service.clients.get(portal_id)
        except PortalUnknown:
            continue
        name = session.names.get(portal_id)
        if client.portal.kind == "saml" and client.slo_url and name:
            stops.append({"portal": portal_id, "url": client.slo_url, "name": name})
    if not stops:
        return final
    chain = secrets.token_urlsafe(24)
    await service.store.put(
        "slo:" + chain, {"stops": stops, "final": final, "sid": session.sid}, _CHAIN_TTL
    )
    return await next_stop(service, chain)


async def next_stop(service: Service, chain: str) -> str:
    """The next stop of logout ``chain``: a portal's SLO URL with a LogoutRequest, or the end."""
    state = await service.store.take("slo:" + chain)
    if state is None:
        return "/logged-out"
    if not state["stops"]:
        return str(state["final"])
    stop: dict[str, Any] = state["stops"].pop(0)
    await service.store.put("slo:" + chain, state, _CHAIN_TTL)
    root = message(service, "LogoutRequest", stop["url"])
    name_id = etree.SubElement(root, _A + "NameID")
    name_id.text = stop["name"][0]
    etree.SubElement(root, _P + "SessionIndex").text = state["sid"]
    service.audit.record("logout", portal=stop["portal"])
    return signed_redirect(service, stop["url"], "SAMLRequest", etree.tostring(root), relay=chain)
