"""SAML 2.0 endpoints: metadata, single sign-on (HTTP-Redirect and HTTP-POST), single logout.

An AuthnRequest is accepted only from a registered service provider, with a signature
when its registration asks for one (SHA-1 only when it allows it), for one of its
registered ACS URLs (given, by index, or its default), once (its ID is remembered). The
answer is `eid.sso`'s signed Response, posted to the ACS URL by a form (sent by a
script, or by its button without JavaScript). A request valid that far
that the provider cannot satisfy gets a signed Response with a ``Responder`` status:
``NoAuthnContext`` (a ``RequestedAuthnContext`` naming no known level, or a login below
it), ``InvalidNameIDPolicy`` (a NameID format the portal cannot get), ``NoPassive``
(``IsPassive`` when a page would be needed), ``RequestDenied`` (the person refused, or
cancelled without trying) or ``AuthnFailed`` (the person cancelled after a failed login);
anything less valid gets an error page only.

Single logout runs front-channel: the session ends, then the browser visits each SAML
portal that registered a single logout endpoint with a signed LogoutRequest, by redirect or
by a posted form (`saml_messages`); each answers at ``/saml/slo`` (either binding) and the
browser goes on to the next, then to where the logout began. A portal's own LogoutRequest
is answered last, at its endpoint's ResponseLocation (else its Location), by its binding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from eid.errors import AssuranceLevelTooLow, PortalUnknown
from eid.sso import Level, SubjectKind
from eid.sso.levels import LEVELS, level_from_uri
from eid.sso.saml import (
    NAMEID_FORMATS,
    NAMEID_TRANSIENT,
    NAMEID_UNSPECIFIED,
    SAML_NS,
    SAMLP_NS,
    STATUS_SUCCESS,
    parse_instant,
)

from .clients import Client
from .flows import CANCELLED, LOGIN_FAILED, Flow, explanation
from .logout import end_session
from .pages import render
from .problems import InvalidRequest, RequestReplayed
from .saml_bindings import (
    ReceivedRequest,
    decode_post,
    decode_redirect,
    response_endpoint,
    verify_request,
)
from .saml_messages import deliver, message, next_stop, posted, signed_xml
from .service import Service, address_of, service_of
from .sessions import Session
from .steps import silent_obstacle

__all__ = ["finish", "routes"]

_P = f"{{{SAMLP_NS}}}"
_A = f"{{{SAML_NS}}}"
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,255}")
_SKEW = dt.timedelta(minutes=5)
_REQUEST_MEMORY = 15 * 60
_STATUS = "urn:oasis:names:tc:SAML:2.0:status:"
_STATUS_OF = {
    "access_denied": "RequestDenied",
    CANCELLED: "RequestDenied",
    LOGIN_FAILED: "AuthnFailed",
    AssuranceLevelTooLow.code: "NoAuthnContext",
    "no_authn_context": "NoAuthnContext",
    "invalid_name_id_policy": "InvalidNameIDPolicy",
    "no_passive": "NoPassive",
}
"""The second-level SAML status code of each reason a flow ends without a login.

SAML core 3.2.2.2: ``AuthnFailed`` is "unable to successfully authenticate the principal",
so it answers a cancel after a failed login attempt; ``RequestDenied`` is the responder
"choosing not to respond", so it answers the person's own choice: refused consent, or a
cancel without any failed attempt. Any other reason is ``AuthnFailed``.
"""


class _Unmet(Exception):
    """A valid request the provider cannot satisfy: answered to the portal, not on a page."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _sso_url(service: Service) -> str:
    return f"{service.config.base_url}/saml/sso"


async def metadata(request: Request) -> Response:
    """The provider's signed IdP metadata, with its SSO and SLO endpoints."""
    service = service_of(request)
    xml = service.provider.saml_metadata(
        sso_url=_sso_url(service),
        slo_url=f"{service.config.base_url}/saml/slo",
        want_requests_signed=service.config.saml_requests_signed,
    )
    return Response(xml, media_type="application/samlmetadata+xml")


def _verify(service: Service, client: Client, received: ReceivedRequest) -> None:
    """Check the signature of a request from ``client`` (SHA-1 only if it may use it)."""
    verify_request(
        received,
        client.sp_certificates,
        required=client.sign_requests or service.config.saml_requests_signed,
        allow_sha1=client.portal.allow_sha1,
    )


async def _saml_client(service: Service, root: etree._Element) -> Client:
    issuer = (root.findtext(_A + "Issuer") or "").strip()
    client = await service.clients.get(issuer)
    if client.portal.kind != "saml":
        raise PortalUnknown(f"{issuer} is not a SAML service provider")
    return client


def _checked_id(root: etree._Element) -> str:
    request_id = root.get("ID") or ""
    if not _ID.fullmatch(request_id):
        raise InvalidRequest("the request has no valid ID")
    return request_id


def _check_time(root: etree._Element) -> None:
    instant = parse_instant(root.get("IssueInstant"), "IssueInstant")
    now = dt.datetime.now(dt.UTC)
    if not now - _REQUEST_MEMORY * dt.timedelta(seconds=1) <= instant <= now + _SKEW:
        raise InvalidRequest("the request was issued too long ago or in the future")


def _requested_level(root: etree._Element, names: Mapping[Level, str]) -> Level | None:
    """The lowest level RequestedAuthnContext allows (``names``: the national level names)."""
    context = root.find(_P + "RequestedAuthnContext")
    if context is None:
        return None
    levels = [
        level
        for ref in context.findall(_A + "AuthnContextClassRef")
        if (level := level_from_uri((ref.text or "").strip(), names)) is not None
    ]
    if not levels:
        raise _Unmet("no_authn_context", "RequestedAuthnContext names no level this provider knows")
    lowest = min(levels, key=LEVELS.index)
    comparison = context.get("Comparison", "exact")
    if comparison in ("exact", "minimum"):
        return lowest
    if comparison == "better":
        if lowest == LEVELS[-1]:
            raise _Unmet("no_authn_context", "no level is better than the highest")
        return LEVELS[LEVELS.index(lowest) + 1]
    if comparison == "maximum":
        return None
    raise _Unmet("no_authn_context", f"unknown Comparison {comparison!r}")


def _transient(root: etree._Element, subject_kind: SubjectKind) -> bool:
    """Whether the NameIDPolicy asks for a transient NameID; `_Unmet` for a format not offered."""
    policy = root.find(_P + "NameIDPolicy")
    wanted = policy.get("Format") if policy is not None else None
    if wanted in (None, NAMEID_UNSPECIFIED, NAMEID_FORMATS[subject_kind]):
        return False
    if wanted == NAMEID_TRANSIENT:
        return True
    raise _Unmet("invalid_name_id_policy", "this portal cannot receive that NameID format")


async def _authn_request(request: Request, received: ReceivedRequest) -> Response:
    service = service_of(request)
    root = received.root
    if root.tag != _P + "AuthnRequest" or root.get("Version") != "2.0":
        raise InvalidRequest("not a SAML 2.0 AuthnRequest")
    client = await _saml_client(service, root)
    _verify(service, client, received)
    request_id = _checked_id(root)
    _check_time(root)
    destination = root.get("Destination")
    if destination is not None and destination != _sso_url(service):
        raise InvalidRequest("the request's Destination is not this provider's SSO URL")
    acs = response_endpoint(root, client.portal)
    remembered = hashlib.sha256(f"{client.id}\x00{request_id}".encode()).hexdigest()
    if not await service.store.add("authnrequest:" + remembered, {}, _REQUEST_MEMORY):
        raise RequestReplayed("this AuthnRequest was already received")
    params: dict[str, Any] = {
        "acs": acs,
        "request_id": request_id,
        "relay_state": received.relay_state,
    }
    try:
        requested = _requested_level(root, service.provider.assurance.national_names)
        params["transient"] = _transient(root, client.portal.subject_kind)
    except _Unmet as unmet:
        service.audit.record("failure", outcome="failure", portal=client.id, error=unmet.code)
        return _post_status(request, service, client, params, unmet.code, unmet.message)
    minimum = client.portal.minimum_level
    if requested is not None and (
        minimum is None or LEVELS.index(requested) > LEVELS.index(minimum)
    ):
        minimum = requested
    flow = await service.flows.start(
        {
            "protocol": "saml",
            "portal": client.id,
            "portal_name": client.name,
            "params": params,
            "min_level": minimum,
            "login_after": dt.datetime.now(dt.UTC).timestamp()
            if root.get("ForceAuthn") in ("true", "1")
            else None,
            "attributes": sorted(client.portal.attributes),
            "mandates": client.portal.may_receive_mandates,
        }
    )
    request.state.flow_id = flow.id
    if root.get("IsPassive") in ("true", "1"):
        session = await service.sessions.load(request)
        if flow.login_after is not None or silent_obstacle(service, session, flow) is not None:
            return await finish(request, service, session, flow, "no_passive")
        return await finish(request, service, session, flow, None)
    return RedirectResponse(f"/continue?flow={flow.id}", status_code=303)


async def sso_redirect(request: Request) -> Response:
    """SSO by the HTTP-Redirect binding."""
    return await _authn_request(request, decode_redirect(request.url.query))


async def sso_post(request: Request) -> Response:
    """SSO by the HTTP-POST binding."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await _authn_request(request, decode_post(form))


def _post_status(
    request: Request,
    service: Service,
    client: Client,
    params: Mapping[str, Any],
    reason: str,
    explanation: str,
) -> Response:
    """Post the portal a signed Response whose ``Responder`` status says why (``reason``)."""
    acs = str(params["acs"])
    root = message(service, "Response", acs, InResponseTo=str(params["request_id"]))
    status = etree.SubElement(root, _P + "Status")
    outer = etree.SubElement(status, _P + "StatusCode", Value=_STATUS + "Responder")
    etree.SubElement(
        outer, _P + "StatusCode", Value=_STATUS + _STATUS_OF.get(reason, "AuthnFailed")
    )
    etree.SubElement(status, _P + "StatusMessage").text = explanation
    xml = signed_xml(service, root, client)
    return posted(acs, "SAMLResponse", xml, params.get("relay_state"), client.name).response(
        request
    )


async def finish(
    request: Request, service: Service, session: Session, flow: Flow, error: str | None
) -> Response:
    """Answer the service provider: a signed Response posted to its ACS URL."""
    await service.flows.finish(flow)
    params = flow.params
    client = await service.clients.get(flow.portal)
    if error is not None or session.person is None:
        reason = error or "access_denied"
        service.audit.record(
            "failure",
            outcome="failure",
            portal=client.id,
            error=reason,
            address=address_of(request),
        )
        return _post_status(request, service, client, params, reason, explanation(flow, reason))
    person = session.person
    auth = await service.logins.of(person)
    statement = service.provider.statement(
        auth,
        client.id,
        acting_for=flow.enterprise,
        language=request.cookies.get("eid_lang"),
        transient=bool(params.get("transient")),
        session_index=session.sid,
    )
    xml = await run_in_threadpool(
        lambda: service.provider.saml_response(
            statement,
            recipient=str(params["acs"]),
            in_response_to=str(params["request_id"]),
            sign_response=client.sign_response,
        )
    )
    session.use_portal(client.id)
    session.names[client.id] = [statement.subject.value, statement.subject.kind]
    service.audit.issued("assertion", statement, person, address=address_of(request))
    response = posted(
        str(params["acs"]), "SAMLResponse", xml, params.get("relay_state"), client.name
    ).response(request)
    await service.sessions.save(session, response)
    return response


async def slo(request: Request) -> Response:
    """Single logout: a portal's LogoutRequest, or a portal's LogoutResponse in our chain."""
    service = service_of(request)
    if request.method == "POST":
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        has_response = "SAMLResponse" in form
        received = decode_post(form, "SAMLResponse" if has_response else "SAMLRequest")
    else:
        has_response = "SAMLResponse" in request.query_params
        received = decode_redirect(
            request.url.query, "SAMLResponse" if has_response else "SAMLRequest"
        )
    root = received.root
    client = await _saml_client(service, root)
    _verify(service, client, received)
    if has_response:
        if root.tag != _P + "LogoutResponse" or not received.relay_state:
            raise InvalidRequest("not a LogoutResponse of a logout in progress")
        return (await next_stop(service, received.relay_state)).response(request)
    if root.tag != _P + "LogoutRequest":
        raise InvalidRequest("not a LogoutRequest")
    request_id = _checked_id(root)
    _check_time(root)
    endpoint = client.logout_endpoint
    if endpoint is None:
        raise InvalidRequest("this portal registered no single logout endpoint")
    answer = message(service, "LogoutResponse", endpoint.response_url, InResponseTo=request_id)
    status = etree.SubElement(etree.SubElement(answer, _P + "Status"), _P + "StatusCode")
    status.set("Value", STATUS_SUCCESS)
    final = deliver(service, client, endpoint.binding, answer, received.relay_state)
    return await end_session(request, service, final, answered=client.id)


async def logged_out(request: Request) -> Response:
    """Where a logout ends when no portal asked to be returned to."""
    return render(
        request, "logged_out.html", title="logged_out_title", return_url=None, return_name=""
    )


routes = [
    Route("/saml/metadata", metadata, methods=["GET"]),
    Route("/saml/sso", sso_redirect, methods=["GET"]),
    Route("/saml/sso", sso_post, methods=["POST"]),
    Route("/saml/slo", slo, methods=["GET", "POST"]),
    Route("/logged-out", logged_out, methods=["GET"]),
]
