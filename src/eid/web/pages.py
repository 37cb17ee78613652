"""Rendering the pages: Jinja2 templates (autoescaped) in the request's language."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from .i18n import LANGUAGES, negotiate, translator
from .sessions import Session

__all__ = ["LANGUAGE_COOKIE", "language_of", "local_path", "post_page", "render"]

LANGUAGE_COOKIE = "eid_lang"
"""The cookie that remembers the language chosen with the switch or by a portal."""


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("eid.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def language_of(request: Request) -> str:
    """The page language: the remembered choice, else the browser's, else English."""
    chosen = getattr(request.state, "language", None)
    if isinstance(chosen, str):
        return chosen
    return negotiate(
        remembered=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def local_path(value: str | None, default: str = "/") -> str:
    """``value`` when it is a path on this site (no scheme, host or ``//``), else ``default``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def render(
    request: Request,
    template: str,
    *,
    title: str,
    session: Session | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` in the request's language, with the CSRF token of ``session``.

    ``title`` is the message key of the page's title.
    """
    language = language_of(request)
    t = translator(language)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        here = "/"
    switch = [
        (code, translator(code)("language_name"), f"/language/{code}?next={quote(here, safe='')}")
        for code in LANGUAGES
    ]
    html = (
        _environment()
        .get_template(template)
        .render(
            t=t,
            title=t(title),
            lang=language,
            switch=switch,
            csrf=session.csrf if session is not None else "",
            dev=request.app.state.eid.config.development.enabled,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)


def post_page(
    request: Request, action: str, fields: Sequence[tuple[str, str]], portal_name: str
) -> HTMLResponse:
    """The page whose form posts ``fields`` to the portal's ``action`` URL.

    ``/static/autopost.js`` submits it (the CSP's ``script-src 'self'``); without JavaScript
    its "Continue" button does. It names the portal (``portal_name``) for the person.
    """
    return render(
        request,
        "post.html",
        title="post_title",
        action=action,
        fields=list(fields),
        portal_name=portal_name,
    )
