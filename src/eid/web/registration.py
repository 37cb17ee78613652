"""Dynamic client registration (RFC 7591): open in development mode, else behind a token.

A registered client is an OIDC portal that receives the default attributes (names),
a pairwise subject, never the national number or mandates; it authenticates with a
generated secret (``client_secret_basic`` or ``client_secret_post``) or its own keys
(``private_key_jwt``).
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from eid.errors import EidError
from eid.sso import VerificationKeys
from eid.sso.remote import is_loopback_host

from .service import service_of

__all__ = ["DEFAULT_ATTRIBUTES", "routes"]

DEFAULT_ATTRIBUTES = ("given_name", "family_name")
"""What a dynamically registered client receives."""

_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")


class _Invalid(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _uris(metadata: dict[str, Any], name: str, *, required: bool) -> list[str]:
    values = metadata.get(name, [])
    if not isinstance(values, list) or (required and not values):
        raise _Invalid("invalid_redirect_uri", f"{name} must be a non-empty list")
    for value in values:
        parts = urlsplit(value) if isinstance(value, str) else None
        if (
            parts is None
            or parts.fragment
            or not parts.hostname
            or not (
                parts.scheme == "https"
                or (parts.scheme == "http" and is_loopback_host(parts.hostname))
            )
        ):
            raise _Invalid(
                "invalid_redirect_uri",
                f"{name}: {value!r} must be an https URL (http only on loopback), no fragment",
            )
    return list(values)


def _entry(metadata: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The portal registration and the answer for the client."""
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in _METHODS:
        raise _Invalid(
            "invalid_client_metadata", f"token_endpoint_auth_method must be one of {_METHODS}"
        )
    client_id = "dyn-" + secrets.token_urlsafe(16)
    entry: dict[str, Any] = {
        "id": client_id,
        "kind": "oidc",
        "name": str(metadata.get("client_name") or client_id)[:100],
        "redirect_uris": _uris(metadata, "redirect_uris", required=True),
        "post_logout_redirect_uris": _uris(metadata, "post_logout_redirect_uris", required=False),
        "attributes": list(DEFAULT_ATTRIBUTES),
    }
    backchannel = metadata.get("backchannel_logout_uri")
    if backchannel is not None:
        entry["backchannel_logout_uri"] = _uris({"b": [backchannel]}, "b", required=True)[0]
    answer: dict[str, Any] = {
        "client_id": client_id,
        "client_id_issued_at": int(time.time()),
        "client_name": entry["name"],
        "redirect_uris": entry["redirect_uris"],
        "post_logout_redirect_uris": entry["post_logout_redirect_uris"],
        "token_endpoint_auth_method": method,
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }
    if method == "private_key_jwt":
        jwks = metadata.get("jwks")
        try:
            VerificationKeys.from_jwks(jwks if isinstance(jwks, dict) else {})
        except EidError as error:
            raise _Invalid("invalid_client_metadata", f"jwks: {error.message}") from None
        entry["jwks"] = answer["jwks"] = jwks
    else:
        entry["client_secret"] = answer["client_secret"] = secrets.token_urlsafe(32)
        answer["client_secret_expires_at"] = 0
    return entry, answer


async def register(request: Request) -> Response:
    """Register a client from its JSON metadata; 201 with its id (and secret)."""
    service = service_of(request)
    config = service.config
    if not config.development.enabled:
        sent = request.headers.get("authorization", "")
        expected = config.registration_token
        if (
            not expected
            or sent[:7].lower() != "bearer "
            or not hmac.compare_digest(sent[7:].strip().encode(), expected.encode())
        ):
            return JSONResponse(
                {
                    "error": "invalid_token",
                    "error_description": "an initial access token is required",
                },
                status_code=401,
                headers={"www-authenticate": 'Bearer error="invalid_token"'},
            )
    try:
        metadata = await request.json()
        if not isinstance(metadata, dict):
            raise _Invalid("invalid_client_metadata", "the body must be a JSON object")
        entry, answer = _entry(metadata)
        await service.clients.register(entry)
    except ValueError:
        return JSONResponse(
            {"error": "invalid_client_metadata", "error_description": "the body is not JSON"},
            status_code=400,
        )
    except EidError as error:
        return JSONResponse(
            {"error": "invalid_client_metadata", "error_description": error.message},
            status_code=400,
        )
    except _Invalid as invalid:
        return JSONResponse(
            {"error": invalid.error, "error_description": invalid.description}, status_code=400
        )
    return JSONResponse(answer, status_code=201, headers={"cache-control": "no-store"})


routes = [Route("/register", register, methods=["POST"])]
