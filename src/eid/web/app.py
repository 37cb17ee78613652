"""The application factory: routes, middleware and error pages of the identity provider."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from eid.errors import EidError

from . import login, logout, oidc, registration, saml, steps
from .config import WebConfig
from .errorpages import error_page, internal_error_page
from .headers import SecurityHeaders
from .i18n import LANGUAGES
from .pages import LANGUAGE_COOKIE, local_path, render
from .persons import display_name
from .problems import PageNotFound
from .service import Service, build_service, service_of

__all__ = ["create_app"]


async def home(request: Request) -> Response:
    """The provider's own page: who is logged in, at which level, at which portals; log out."""
    service = service_of(request)
    session = await service.sessions.load(request)
    person = session.person
    response = render(
        request,
        "home.html",
        title="home_title",
        session=session,
        person=person,
        person_name=display_name(person) if person else "",
        level=person.get("level") if person else None,
        portals=session.portals,
    )
    await service.sessions.save(session, response)
    return response


async def language(request: Request) -> Response:
    """The language switch: remember the choice, go back to the page it was made on."""
    code = request.path_params["code"]
    if code not in LANGUAGES:
        raise PageNotFound("no such language")
    response = RedirectResponse(local_path(request.query_params.get("next")), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        path="/",
        secure=service_of(request).sessions.secure,
        httponly=True,
        samesite="lax",
    )
    return response


async def not_found(request: Request, error: Exception) -> Response:
    """Unknown addresses and methods get the error page, in the person's language."""
    status = error.status_code if isinstance(error, HTTPException) else 404
    if status == 404:
        return await error_page(request, PageNotFound("no page at this address"))
    page = await error_page(request, PageNotFound("method not allowed"))
    page.status_code = status
    return page


def create_app(config: WebConfig, *, service: Service | None = None) -> Starlette:
    """The ASGI application of the identity provider for ``config``."""
    service = service or build_service(config)
    app = Starlette(
        # A request's route is found by trying each in turn: the endpoints portals call
        # back to back (token, userinfo) come first.
        routes=[
            *oidc.routes,
            Route("/", home, methods=["GET"]),
            Route("/language/{code}", language, methods=["GET"]),
            *login.routes,
            *steps.routes,
            *logout.routes,
            *registration.routes,
            *saml.routes,
            Mount("/static", StaticFiles(packages=[("eid.web", "static")]), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders, hsts=config.hsts)],
        exception_handlers={
            EidError: error_page,
            HTTPException: not_found,
            Exception: internal_error_page,
        },
    )
    service.finishers.setdefault("oidc", oidc.finish)
    service.finishers.setdefault("saml", saml.finish)
    if logout.backchannel_logout not in service.logout_hooks:
        service.logout_hooks.append(logout.backchannel_logout)
    app.state.eid = service
    return app
