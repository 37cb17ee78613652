"""The login page and its methods: Web eID, TLS client certificate, and the virtual eID (development).

Each method ends in `finish_login`: the person goes into a renewed session (new
cookie, new CSRF token) and on to the portal's flow, or to the home page. A failed
attempt (after the CSRF check) is noted on the portal's flow, so that a later
"cancel and return to the portal" tells the portal the login failed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from eid.auth import AuthResult, authenticate_client_certificate, certificate_from_header, respond
from eid.errors import EidError, PinIncorrect

from .csrf import check_csrf
from .pages import render
from .persons import person_from_result
from .problems import InvalidRequest, NoClientCertificate, PageNotFound
from .service import Service, address_of, service_of
from .sessions import Session

__all__ = ["finish_login", "routes"]

_PIN = re.compile(r"[0-9]{4,12}")


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    request.state.flow_id = values.get("flow") or None
    return values


def _after_login(flow_id: str | None) -> str:
    return f"/continue?flow={flow_id}" if flow_id else "/"


async def finish_login(
    request: Request, service: Service, session: Session, result: AuthResult, flow: str | None
) -> Response:
    """Put the person in a renewed session and send them on; audit the login."""
    person = person_from_result(result, service.provider.assurance)
    renewed = await service.sessions.renew(session)
    renewed.person = person
    service.audit.record(
        "login",
        pseudonym=service.audit.pseudonym(person["national_number"]),
        level=person["level"],
        method=person["method"],
        address=address_of(request),
    )
    response = RedirectResponse(_after_login(flow), status_code=303)
    await service.sessions.save(renewed, response)
    return response


async def login_page(request: Request) -> Response:
    """The choice of login method (for a portal's flow when ``flow`` is given)."""
    service = service_of(request)
    session = await service.sessions.load(request)
    flow_id = request.query_params.get("flow") or None
    request.state.flow_id = flow_id
    portal_name = (await service.flows.load(flow_id)).portal_name if flow_id else None
    response = render(
        request,
        "login.html",
        session=session,
        title="choose_title",
        flow=flow_id or "",
        portal_name=portal_name,
        tls=bool(service.config.trusted_proxies),
        virtual=service.virtual_card is not None,
    )
    await service.sessions.save(session, response)
    return response


def _challenge_key(session: Session) -> str:
    return "webeid:" + session.key


async def webeid_challenge(request: Request) -> Response:
    """Issue a Web eID challenge for this session (JSON: ``nonce``)."""
    service = service_of(request)
    session = await service.sessions.load(request)
    check_csrf(session, await _form(request))
    await service.login_limit.hit(session=session.key, address=address_of(request))
    challenge = await run_in_threadpool(service.authenticator.new_challenge)
    await service.store.put(
        _challenge_key(session),
        {"nonce": challenge.nonce},
        service.authenticator.ttl.total_seconds(),
    )
    return JSONResponse({"nonce": challenge.nonce})


_Method = Callable[[Request, Service, Session, dict[str, str]], Awaitable[AuthResult]]
"""A login method: checks what the form and request carry, returns the login or raises."""


async def _attempt(request: Request, method: _Method) -> Response:
    """One login attempt by ``method`` from a CSRF-checked form; a failure is noted on its flow."""
    service = service_of(request)
    session = await service.sessions.load(request)
    form = await _form(request)
    check_csrf(session, form)
    flow = form.get("flow") or None
    try:
        result = await method(request, service, session, form)
    except EidError as error:
        await service.flows.note_failure(flow, error.code)
        raise
    return await finish_login(request, service, session, result, flow)


async def _webeid(
    request: Request, service: Service, session: Session, form: dict[str, str]
) -> AuthResult:
    await service.login_limit.hit(session=session.key, address=address_of(request))
    issued = await service.store.take(_challenge_key(session))
    token = form.get("token", "")
    if issued is None or issued["nonce"] != form.get("challenge") or not token:
        raise InvalidRequest("no Web eID challenge is pending for this page; start again")
    return await run_in_threadpool(
        service.authenticator.verify, token, challenge=str(issued["nonce"])
    )


async def webeid_login(request: Request) -> Response:
    """Validate the Web eID token the page posts for this session's challenge."""
    return await _attempt(request, _webeid)


async def _tls(
    request: Request, service: Service, session: Session, form: dict[str, str]
) -> AuthResult:
    await service.login_limit.hit(session=session.key, address=address_of(request))
    peer = request.client.host if request.client else None
    header = request.headers.get(service.config.client_certificate_header)
    if not service.config.is_trusted_proxy(peer) or not header:
        raise NoClientCertificate("no client certificate came from a trusted proxy")
    certificate = certificate_from_header(header)
    return await run_in_threadpool(
        authenticate_client_certificate,
        certificate,
        trust=service.trust,
        revocation=service.revocation,
    )


async def tls_login(request: Request) -> Response:
    """Log in with the client certificate a trusted TLS-terminating proxy hands over."""
    return await _attempt(request, _tls)


def _virtual_login(service: Service, pin: str) -> AuthResult:
    card = service.virtual_card
    assert card is not None
    with card.open(pin_provider=lambda _request: pin) as token:
        challenge = service.authenticator.new_challenge()
        answer = respond(token, challenge)
    return service.authenticator.verify(answer, challenge=challenge.nonce)


async def _virtual(
    request: Request, service: Service, session: Session, form: dict[str, str]
) -> AuthResult:
    await service.pin_limit.hit(session=session.key, address=address_of(request))
    pin = form.get("pin", "")
    if not _PIN.fullmatch(pin):
        raise PinIncorrect("a PIN has 4 to 12 digits")
    return await run_in_threadpool(_virtual_login, service, pin)


async def virtual_login(request: Request) -> Response:
    """Development only: the server runs challenge–response on the virtual card with the typed PIN."""
    if service_of(request).virtual_card is None:
        raise PageNotFound("the virtual eID is only offered in development mode")
    return await _attempt(request, _virtual)


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login/webeid/challenge", webeid_challenge, methods=["POST"]),
    Route("/login/webeid", webeid_login, methods=["POST"]),
    Route("/login/tls", tls_login, methods=["POST"]),
    Route("/login/virtual", virtual_login, methods=["POST"]),
]
