"""How an OpenID Connect authorization answer reaches the portal: its response mode.

``query`` (the code flow's default) and ``fragment`` redirect the browser with the
parameters in the redirect URI's query or fragment (OAuth 2.0 Multiple Response Type
Encoding Practices); ``form_post`` answers with a page whose form posts them to the
redirect URI (OAuth 2.0 Form Post Response Mode): ``/static/autopost.js`` submits it
(the CSP's ``script-src 'self'``), its button does for people without JavaScript. A code
and an error go back the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .pages import post_page

__all__ = ["DEFAULT_RESPONSE_MODE", "RESPONSE_MODES", "parse_response_mode", "send_answer"]

DEFAULT_RESPONSE_MODE = "query"
"""The mode of a request that names none (the code flow's default)."""


def _query(request: Request, uri: str, values: dict[str, str], portal_name: str) -> Response:
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{urlencode(values)}", 303)


def _fragment(request: Request, uri: str, values: dict[str, str], portal_name: str) -> Response:
    # A redirect URI has no fragment (RFC 6749 3.1.2); should one be registered, ours replaces it.
    return RedirectResponse(f"{uri.partition('#')[0]}#{urlencode(values)}", 303)


def _form_post(request: Request, uri: str, values: dict[str, str], portal_name: str) -> Response:
    return post_page(request, uri, list(values.items()), portal_name)


_SENDERS: dict[str, Callable[[Request, str, dict[str, str], str], Response]] = {
    "query": _query,
    "fragment": _fragment,
    "form_post": _form_post,
}

RESPONSE_MODES = tuple(_SENDERS)
"""The response modes the provider answers in (discovery's ``response_modes_supported``)."""


def parse_response_mode(value: str | None) -> str | None:
    """The mode the ``response_mode`` parameter names, or None when it names no supported one.

    Absent or empty is the default (RFC 6749 3.1: a parameter without a value is omitted).
    """
    if not value:
        return DEFAULT_RESPONSE_MODE
    return value if value in _SENDERS else None


def send_answer(
    request: Request, to: Mapping[str, Any], values: Mapping[str, str | None], portal_name: str
) -> Response:
    """``values`` (those not None) to the ``redirect_uri`` of ``to``, in its ``response_mode``.

    ``to`` is a flow's parameters: the verified redirect URI and the parsed mode; a flow
    stored before modes were kept has none and is answered in the default mode.
    """
    send = _SENDERS[str(to.get("response_mode", DEFAULT_RESPONSE_MODE))]
    present = {name: value for name, value in values.items() if value is not None}
    return send(request, str(to["redirect_uri"]), present, portal_name)
