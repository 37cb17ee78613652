"""The body of a request to the token endpoint: a URL-encoded form, each parameter once.

RFC 6749 (3.2) requires ``application/x-www-form-urlencoded`` and forbids sending a
parameter twice; a general form parser keeps one of the values without a word.
`parse_oauth_form` refuses that, a body that is not UTF-8 once decoded, and more than
`MAX_FIELDS` parameters; `oauth_form` also refuses another content type and a body
over `MAX_BODY` bytes (a client assertion is a few kilobytes).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from .problems import OAuthError

__all__ = ["MAX_BODY", "MAX_FIELDS", "oauth_form", "parse_oauth_form"]

MAX_BODY = 64 * 1024
"""The largest form accepted, in bytes."""

MAX_FIELDS = 32
"""The most parameters a form may have."""

_FORM_TYPE = "application/x-www-form-urlencoded"


def parse_oauth_form(body: bytes) -> dict[str, str]:
    """The parameters of a URL-encoded ``body``; `OAuthError` when malformed or repeated."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(
            "invalid_request", f"the form must be URL-encoded UTF-8, at most {MAX_FIELDS} fields"
        ) from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OAuthError("invalid_request", f"the parameter {name[:40]!r} is sent twice")
        form[name] = value
    return form


async def oauth_form(request: Request) -> dict[str, str]:
    """The form of ``request`` (checked as `parse_oauth_form` does, its type and size too)."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != _FORM_TYPE:
        raise OAuthError("invalid_request", f"the body must be {_FORM_TYPE}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise OAuthError("invalid_request", f"the form is over {MAX_BODY} bytes", status=413)
    return parse_oauth_form(bytes(body))
