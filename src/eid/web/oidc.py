"""OpenID Connect endpoints: discovery, JWKS, authorization code with PKCE, token, userinfo.

Authorization requests are checked in an order that never sends the browser to an
address the portal did not register: the client and its exact redirect URI first
(errors there are pages), then everything else (errors there go back to the
portal, with ``state``, in the ``response_mode`` asked for, see `eid.web.response_modes`).
Only ``response_type=code`` with PKCE ``S256``. ``prompt=login`` and ``max_age`` set the
flow's ``login_after``: a session login before it is asked again. Codes live
60 seconds and are taken from the shared store in one step, so one is redeemed at
most once, on whichever instance. The ID token is `eid.sso`'s.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote_plus

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from eid.errors import EidError, PortalUnknown
from eid.sso import Level, Statement, VerificationKeys
from eid.sso.jws import parse_compact
from eid.sso.levels import LEVELS, level_from_uri

from .clients import Client
from .flows import CANCELLED, LOGIN_FAILED, Flow, explanation
from .forms import oauth_form
from .i18n import LANGUAGES, negotiate
from .pages import LANGUAGE_COOKIE
from .problems import OAuthError
from .response_modes import DEFAULT_RESPONSE_MODE, RESPONSE_MODES, parse_response_mode, send_answer
from .scopes import MANDATE_SCOPE, scoped_attributes, supported_scopes
from .service import Service, address_of, service_of
from .sessions import Session
from .steps import silent_obstacle

__all__ = ["JWT_BEARER", "exchange", "finish", "hashed_key", "parse_max_age", "routes", "s256"]

CODE_TTL = 60
ACCESS_TOKEN_TTL = 600
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_MAX_AGE = re.compile(r"[0-9]{1,12}")
_ASSERTION_LEEWAY = 60
_ASSERTION_MAX_LIFE = 600
_OAUTH_ERRORS = {CANCELLED: "access_denied", LOGIN_FAILED: "access_denied"}
"""The OAuth error of a flow's ending reason where the two differ (others are sent as they are)."""


class _TokenResponse(JSONResponse):
    """The token response, encoded by orjson: ~4 us less than the standard library's encoder.

    Only for values this module makes (tokens and constants): orjson refuses strings that
    are no valid Unicode, which an error message quoting a client's input could hold.
    """

    def render(self, content: Any) -> bytes:
        """``content`` as compact UTF-8 JSON."""
        return orjson.dumps(content)


def s256(verifier: str) -> str:
    """The PKCE ``S256`` challenge of a code verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hashed_key(kind: str, value: str) -> str:
    """Where the store keeps a code or an access token: under its hash, never the value."""
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def parse_max_age(value: str | None) -> int | None:
    """The seconds of ``max_age`` (OIDC Core 3.1.2.1), None when absent or empty.

    `ValueError` unless it is a non-negative decimal integer of at most 12 digits.
    """
    if not value:
        return None
    if not _MAX_AGE.fullmatch(value):
        raise ValueError("max_age must be a non-negative integer of seconds (at most 12 digits)")
    return int(value)


def _endpoints(service: Service) -> dict[str, str]:
    base = service.config.base_url
    return {
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "jwks_uri": f"{base}/jwks",
        "userinfo_endpoint": f"{base}/userinfo",
    }


async def discovery(request: Request) -> Response:
    """The OpenID Provider metadata."""
    service = service_of(request)
    base = service.config.base_url
    document = service.provider.discovery(**_endpoints(service))
    document.update(
        {
            "end_session_endpoint": f"{base}/logout/oidc",
            "registration_endpoint": f"{base}/register",
            "grant_types_supported": ["authorization_code"],
            "response_modes_supported": list(RESPONSE_MODES),
            # RFC 9207: every answer to the redirect URI carries iss; saying so here makes
            # clients (openid-client) refuse an answer without it (mix-up defence).
            "authorization_response_iss_parameter_supported": True,
            "prompt_values_supported": ["none", "login", "consent"],
            "scopes_supported": supported_scopes(service.provider.mandates is not None),
            "ui_locales_supported": list(LANGUAGES),
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "token_endpoint_auth_signing_alg_values_supported": [
                "RS256",
                "PS256",
                "ES256",
                "ES384",
            ],
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
        }
    )
    return JSONResponse(document, headers={"cache-control": "public, max-age=300"})


async def jwks(request: Request) -> Response:
    """The provider's published keys (active, next, passive)."""
    return JSONResponse(
        service_of(request).provider.jwks(), headers={"cache-control": "public, max-age=300"}
    )


def _requested_level(acr_values: str | None, minimum: Level | None) -> Level | None:
    """The portal's registered minimum raised to the lowest level its ``acr_values`` accept."""
    levels = [level_from_uri(v) for v in (acr_values or "").split()]
    known = [level for level in levels if level is not None]
    wanted = min(known, key=LEVELS.index) if known else None
    candidates = [level for level in (minimum, wanted) if level is not None]
    return max(candidates, key=LEVELS.index) if candidates else None


class _Refusal(Exception):
    """An authorization error to send back to the portal's (verified) redirect URI."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _check_request(
    params: Mapping[str, str], client: Client
) -> tuple[set[str], list[str], float | None]:
    """The request's prompt values, scope and login_after; `_Refusal` for what is wrong."""
    if params.get("response_type") != "code":
        raise _Refusal("unsupported_response_type", "only response_type=code is supported")
    scope = (params.get("scope") or "").split()
    if "openid" not in scope:
        raise _Refusal("invalid_scope", "the scope must contain openid")
    for name in ("request", "request_uri"):
        if name in params:
            raise _Refusal(f"{name}_not_supported", f"the {name} parameter is not supported")
    _check_pkce(params, client)
    prompt = set((params.get("prompt") or "").split())
    if prompt - {"none", "login", "consent"} or ("none" in prompt and len(prompt) > 1):
        raise _Refusal("invalid_request", "prompt must be none, or login and/or consent")
    return prompt, scope, _login_after(prompt, params.get("max_age"))


def _login_after(prompt: set[str], max_age: str | None) -> float | None:
    """The time a session's login must be after: now for ``prompt=login``, else ``max_age`` ago."""
    try:
        seconds = parse_max_age(max_age)
    except ValueError as malformed:
        raise _Refusal("invalid_request", str(malformed)) from None
    if "login" in prompt:
        seconds = 0
    return None if seconds is None else dt.datetime.now(dt.UTC).timestamp() - seconds


def _check_pkce(params: Mapping[str, str], client: Client) -> None:
    """PKCE with S256, or (a client that need not use it) no PKCE at all and a nonce."""
    if client.require_pkce or "code_challenge" in params or "code_challenge_method" in params:
        if params.get("code_challenge_method") != "S256":
            raise _Refusal("invalid_request", "PKCE is required, with code_challenge_method=S256")
        if not _CHALLENGE.fullmatch(params.get("code_challenge") or ""):
            raise _Refusal("invalid_request", "code_challenge must be 43 base64url characters")
    elif not params.get("nonce"):
        raise _Refusal("invalid_request", "without PKCE, a nonce is required")


async def authorize(request: Request) -> Response:
    """The authorization endpoint (GET or form POST)."""
    service = service_of(request)
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        params = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    client = await service.clients.get(params.get("client_id"))
    if client.portal.kind != "oidc":
        raise PortalUnknown(f"{client.id} is not an OpenID Connect client")
    language = negotiate(
        ui_locales=params.get("ui_locales"),
        remembered=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )
    request.state.language = language  # also of a form_post answer's page
    answer_to = {
        "redirect_uri": client.portal.check_endpoint(params.get("redirect_uri") or ""),
        "state": params.get("state"),
        "response_mode": DEFAULT_RESPONSE_MODE,
    }
    mode = parse_response_mode(params.get("response_mode"))
    if mode is None:
        message = f"response_mode must be one of {', '.join(RESPONSE_MODES)}"
        return _refuse(request, service, client, answer_to, "invalid_request", message)
    answer_to["response_mode"] = mode
    try:
        prompt, scope, login_after = _check_request(params, client)
        minimum = _requested_level(params.get("acr_values"), client.portal.minimum_level)
    except _Refusal as refusal:
        return _refuse(request, service, client, answer_to, refusal.error, refusal.description)
    flow = await service.flows.start(
        {
            "protocol": "oidc",
            "portal": client.id,
            "portal_name": client.name,
            "params": {
                **answer_to,
                "nonce": params.get("nonce"),
                "code_challenge": params.get("code_challenge"),
                "language": language,
            },
            "min_level": minimum,
            "login_after": login_after,
            "ask_consent": "consent" in prompt,
            "attributes": scoped_attributes(scope, client.portal.attributes),
            "mandates": client.portal.may_receive_mandates and MANDATE_SCOPE in scope,
            "consented": False,
        }
    )
    if "none" in prompt:
        response = await _silent(request, service, client, flow)
    else:
        response = RedirectResponse(f"/continue?flow={flow.id}", status_code=303)
    if params.get("ui_locales"):
        response.set_cookie(
            LANGUAGE_COOKIE, language, path="/", secure=service.sessions.secure, httponly=True,
            samesite="lax", max_age=365 * 24 * 3600,
        )  # fmt: skip
    return response


async def _silent(request: Request, service: Service, client: Client, flow: Flow) -> Response:
    """``prompt=none``: answer at once from the session, or with the reason it cannot."""
    session = await service.sessions.load(request)
    error = silent_obstacle(service, session, flow)
    if error is not None:
        await service.flows.finish(flow)
        return _refuse(request, service, client, flow.params, *error)
    return await finish(request, service, session, flow, None)


def _refuse(
    request: Request,
    service: Service,
    client: Client,
    answer_to: Mapping[str, Any],
    error: str,
    description: str,
    *,
    reason: str | None = None,
) -> Response:
    """Send ``error`` to the redirect URI of ``answer_to`` (a flow's parameters) in its mode.

    The audit line says ``reason`` (default: the error).
    """
    service.audit.record("failure", outcome="failure", portal=client.id, error=reason or error)
    values = {
        "error": error,
        "error_description": description,
        "state": answer_to.get("state"),
        "iss": service.config.issuer,
    }
    return send_answer(request, answer_to, values, client.name)


async def finish(
    request: Request, service: Service, session: Session, flow: Flow, error: str | None
) -> Response:
    """Answer the portal: a one-time code (or the person's refusal) at its redirect URI."""
    await service.flows.finish(flow)
    params = flow.params
    client = await service.clients.get(flow.portal)
    if error is not None or session.person is None:
        reason = error or "login_required"
        return _refuse(
            request,
            service,
            client,
            params,
            _OAUTH_ERRORS.get(reason, reason),
            explanation(flow, reason),
            reason=reason,
        )
    code = secrets.token_urlsafe(32)
    await service.store.put(
        hashed_key("code", code),
        {
            "client_id": client.id,
            "redirect_uri": params["redirect_uri"],
            "code_challenge": params["code_challenge"],
            "nonce": params.get("nonce"),
            "language": params.get("language"),
            "person": session.person,
            "acting_for": flow.enterprise,
            "attributes": flow.attributes,
            "sid": session.sid,
        },
        CODE_TTL,
    )
    session.use_portal(client.id)
    values = {"code": code, "state": params.get("state"), "iss": service.config.issuer}
    response = send_answer(request, params, values, client.name)
    await service.sessions.save(session, response)
    return response


async def _basic_client(service: Service, header: str) -> Client:
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic authorization", status=401) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", "malformed Basic authorization", status=401)
    return await _secret_client(service, unquote_plus(client_id), unquote_plus(secret))


async def _secret_client(service: Service, client_id: str, secret: str) -> Client:
    """The client ``client_id`` when ``secret`` is its secret (Basic or form, RFC 6749 2.3.1)."""
    try:
        client = await service.clients.get(client_id)
    except PortalUnknown:
        raise OAuthError("invalid_client", "unknown client", status=401) from None
    if not client.secret_matches(secret):
        raise OAuthError("invalid_client", "wrong client secret", status=401)
    return client


def _assertion_problem(
    claims: Mapping[str, Any], client_id: str, audiences: set[str], now: float
) -> str | None:
    """What is wrong with a client assertion's signed claims (RFC 7523 3), or None.

    ``sub`` is the client, ``aud`` names one of ``audiences``, ``exp`` is a number within the
    leeway and the maximal life from ``now``, and ``jti`` is a string.
    """
    audience = claims.get("aud")
    named = audience if isinstance(audience, list) else [audience]
    exp = claims.get("exp")
    if claims.get("sub") != client_id:
        return "sub is not the client"
    if not audiences.intersection(a for a in named if isinstance(a, str)):
        return "aud is not this token endpoint"
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return "exp is missing"
    if exp < now - _ASSERTION_LEEWAY:
        return "it expired"
    if exp > now + _ASSERTION_MAX_LIFE:
        return "it lives too long"
    if not isinstance(claims.get("jti"), str):
        return "jti is missing"
    return None


async def _assertion_client(service: Service, assertion: str) -> Client:
    """``private_key_jwt``: a JWT the client signed with a key of its registered JWKS (RFC 7523)."""
    try:
        jws = parse_compact(assertion)
        unverified = jws.claims()
        client = await service.clients.get(str(unverified.get("iss", "")))
        if client.jwks is None:
            raise OAuthError("invalid_client", "this client has no registered keys", status=401)
        check = VerificationKeys.from_jwks(client.jwks).select(jws.kid, jws.algorithm)
    except EidError as error:
        if isinstance(error, OAuthError):
            raise
        raise OAuthError(
            "invalid_client", f"client assertion: {error.message}", status=401
        ) from None
    if not check(jws.signature, jws.signing_input):
        raise OAuthError(
            "invalid_client", "the client assertion's signature is invalid", status=401
        )
    claims = jws.claims()
    expected = {service.config.issuer, f"{service.config.base_url}/token"}
    problem = _assertion_problem(claims, client.id, expected, dt.datetime.now(dt.UTC).timestamp())
    if problem is not None:
        raise OAuthError("invalid_client", f"client assertion: {problem}", status=401)
    if not await service.store.add(
        hashed_key("assertion", f"{client.id}\x00{claims['jti']}"), {}, _ASSERTION_MAX_LIFE * 2
    ):
        raise OAuthError(
            "invalid_client", "client assertion: this jti was already used", status=401
        )
    return client


async def _authenticate(service: Service, authorization: str, form: Mapping[str, str]) -> Client:
    """The client by the one method it used: client_secret_basic, _post or private_key_jwt."""
    basic = authorization[:6].lower() == "basic "
    methods = [basic, "client_secret" in form, "client_assertion" in form]
    if sum(methods) > 1:
        raise OAuthError("invalid_request", "more than one client authentication method")
    if basic:
        client = await _basic_client(service, authorization)
    elif "client_secret" in form:
        client = await _secret_client(service, form.get("client_id", ""), form["client_secret"])
    elif form.get("client_assertion_type") == JWT_BEARER and form.get("client_assertion"):
        client = await _assertion_client(service, form["client_assertion"])
    else:
        raise OAuthError("invalid_client", "client authentication is required", status=401)
    if form.get("client_id") not in (None, client.id):
        raise OAuthError(
            "invalid_client", "client_id does not match the authentication", status=401
        )
    return client


def _oauth_error(service: Service, request: Request, error: OAuthError) -> Response:
    service.audit.record(
        "failure", outcome="failure", error=error.error, address=address_of(request)
    )
    headers = {"cache-control": "no-store"}
    if error.status == 401:
        headers["www-authenticate"] = 'Basic realm="eid"'
    return JSONResponse(
        {"error": error.error, "error_description": error.message},
        status_code=error.status,
        headers=headers,
    )


def _check_grant(record: Mapping[str, Any], client: Client, form: Mapping[str, str]) -> None:
    """The redeemed code was issued to ``client``, for this redirect URI and PKCE verifier."""
    if record["client_id"] != client.id:
        raise OAuthError("invalid_grant", "the code was issued to another client")
    if record["redirect_uri"] != form.get("redirect_uri"):
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
    challenge, verifier = record["code_challenge"], form.get("code_verifier")
    if challenge is None:
        if verifier is not None:  # RFC 9700 2.1.1: no PKCE downgrade
            raise OAuthError("invalid_grant", "the authorization request had no code_challenge")
    elif verifier is None or not secrets.compare_digest(s256(verifier), str(challenge)):
        raise OAuthError("invalid_grant", "the PKCE code_verifier does not match")


async def _released(service: Service, record: Mapping[str, Any]) -> Statement:
    """The statement a code's record grants its portal: the login rebuilt, granted attributes only."""
    statement = service.provider.statement(
        await service.logins.of(record["person"]),
        record["client_id"],
        acting_for=record.get("acting_for"),
        language=record.get("language"),
        session_index=record["sid"],
    )
    granted = set(record["attributes"])
    attributes = {k: v for k, v in statement.attributes.items() if k in granted}
    return replace(statement, attributes=MappingProxyType(attributes))


async def exchange(
    service: Service, form: Mapping[str, str], authorization: str, address: str
) -> dict[str, Any]:
    """The token endpoint's work without HTTP: a code and its PKCE verifier for the token response.

    ``authorization`` is the request's ``Authorization`` header (``client_secret_basic``), or
    empty (``private_key_jwt`` in ``form``). The code's record becomes the access token's in
    the same step it is taken (`Store.move`): one round trip to the store, and a code is
    redeemed once. Raises `OAuthError`; a failed redemption leaves no access token behind.
    """
    client = await _authenticate(service, authorization, form)
    if form.get("grant_type") != "authorization_code":
        raise OAuthError("unsupported_grant_type", "only authorization_code is supported")
    verifier = form.get("code_verifier")
    if (verifier is not None or client.require_pkce) and not _VERIFIER.fullmatch(verifier or ""):
        raise OAuthError("invalid_request", "a PKCE code_verifier of 43-128 characters is required")
    access_token = secrets.token_urlsafe(32)
    access_key = hashed_key("access", access_token)
    code_key = hashed_key("code", form.get("code") or "")
    record = await service.store.move(code_key, access_key, ACCESS_TOKEN_TTL)
    if record is None:
        raise OAuthError("invalid_grant", "the code is unknown, expired or already used")
    try:
        _check_grant(record, client, form)
        statement = await _released(service, record)
        id_token = service.provider.id_token(
            statement, nonce=record.get("nonce"), access_token=access_token
        )
    except Exception:
        await service.store.delete(access_key)
        raise
    service.audit.issued("token", statement, record["person"], address=address)
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL,
        "id_token": id_token,
        "scope": "openid",
    }


async def token(request: Request) -> Response:
    """The token endpoint: a code (with its PKCE verifier) for an ID token and an access token."""
    service = service_of(request)
    try:
        form = await oauth_form(request)
        authorization = request.headers.get("authorization", "")
        answer = await exchange(service, form, authorization, address_of(request))
    except OAuthError as error:
        return _oauth_error(service, request, error)
    return _TokenResponse(answer, headers={"cache-control": "no-store", "pragma": "no-cache"})


async def userinfo(request: Request) -> Response:
    """The released claims for a valid access token (``Authorization: Bearer``)."""
    service = service_of(request)
    header = request.headers.get("authorization", "")
    record = None
    if header[:7].lower() == "bearer ":
        record = await service.store.get(hashed_key("access", header[7:].strip()))
    if record is None:
        return JSONResponse(
            {"error": "invalid_token", "error_description": "unknown or expired access token"},
            status_code=401,
            headers={"www-authenticate": 'Bearer error="invalid_token"'},
        )
    await service.clients.get(record["client_id"])  # a registered client known to this instance
    statement = await _released(service, record)
    claims = {"sub": statement.subject.value, **statement.rendered_attributes()}
    return JSONResponse(claims, headers={"cache-control": "no-store"})


routes = [
    Route("/token", token, methods=["POST"]),
    Route("/userinfo", userinfo, methods=["GET", "POST"]),
    Route("/authorize", authorize, methods=["GET", "POST"]),
    Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
    Route("/jwks", jwks, methods=["GET"]),
]
