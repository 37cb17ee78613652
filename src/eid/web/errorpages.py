"""Error pages that say what happened and what to do, in the person's language.

Within a portal's flow that is still pending, the page offers, besides trying again,
to cancel and return to the portal (``/cancel``, a CSRF-protected form).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from eid.errors import EidError, PinIncorrect, TokenError, VerificationFailed

from .flows import Flow
from .i18n import translator
from .pages import language_of, render
from .problems import FlowExpired, RateLimited, WebError
from .service import Service, address_of, service_of

__all__ = ["error_page", "internal_error_page", "status_of"]

_log = logging.getLogger(__name__)


def status_of(error: EidError) -> int:
    """The HTTP status of an error's page."""
    if isinstance(error, WebError):
        return error.status
    if isinstance(error, VerificationFailed):
        return 403
    return 400


def _retry(request: Request) -> str:
    flow = getattr(request.state, "flow_id", None)
    return f"/login?flow={flow}" if flow else "/login"


async def _pending_flow(request: Request, service: Service) -> Flow | None:
    """The portal's flow the failed request belongs to, while it can still be cancelled."""
    flow_id = getattr(request.state, "flow_id", None)
    if not isinstance(flow_id, str) or not flow_id:
        return None
    try:
        return await service.flows.load(flow_id)
    except FlowExpired:
        return None


async def error_page(request: Request, error: Exception) -> Response:
    """The page for an `EidError` raised by a handler; the failure goes to the audit log."""
    assert isinstance(error, EidError)
    service = service_of(request)
    t = translator(language_of(request))
    code = error.code if t.has(f"error_{error.code}") else "invalid_request"
    if isinstance(error, TokenError) and code == "invalid_request":
        code = "no_card"
    values: dict[str, object] = {}
    extra = None
    if isinstance(error, RateLimited):
        values["minutes"] = max(1, error.retry_after // 60)
    if isinstance(error, PinIncorrect) and error.tries_left is not None:
        extra = t("error_pin_incorrect_tries", tries=error.tries_left)
    service.audit.record(
        "failure", outcome="failure", error=error.code, address=address_of(request)
    )
    flow = await _pending_flow(request, service)
    session = await service.sessions.load(request) if flow is not None else None
    response = render(
        request,
        "error.html",
        title="error_title",
        session=session,
        status=status_of(error),
        code=error.code,
        message=t(f"error_{code}"),
        action=t(f"error_{code}_action", **values),
        extra=extra,
        retry=_retry(request),
        flow=flow.id if flow is not None else "",
        portal_name=flow.portal_name if flow is not None else None,
    )
    if session is not None:
        await service.sessions.save(session, response)
    if isinstance(error, RateLimited):
        response.headers["retry-after"] = str(error.retry_after)
    return response


async def internal_error_page(request: Request, error: Exception) -> Response:
    """A bug: one line in the server log, a plain page for the person, code ``internal``."""
    _log.error("internal error on %s: %s", request.url.path, type(error).__name__)
    service_of(request).audit.record(
        "failure", outcome="failure", error="internal", address=address_of(request)
    )
    t = translator(language_of(request))
    return render(
        request,
        "error.html",
        title="error_title",
        status=500,
        code="internal",
        message=t("error_internal"),
        action=t("error_internal_action"),
        extra=None,
        retry=None,
        flow="",
        portal_name=None,
    )
