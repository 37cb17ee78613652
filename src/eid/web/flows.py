"""A login flow: a portal's pending request, from its arrival to the answer sent back.

The protocol endpoints (OIDC authorize, SAML SSO) check the request and store a
`Flow`; the pages (login, enterprise, consent) carry only its random id. The flow
lives in the shared store, so any instance can finish what another started.

A flow that ends without a login is answered with a reason code; `explanation` is
what the portal is told (SAML ``StatusMessage``, OIDC ``error_description``). When
the person cancels, the reason is `LOGIN_FAILED` if a login attempt in the flow
failed (its error code is kept on the flow), else `CANCELLED`.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from eid.errors import AssuranceLevelTooLow
from eid.sso import Level

from .problems import FlowExpired
from .store import Store

__all__ = [
    "CANCELLED",
    "FLOW_TTL",
    "LOGIN_FAILED",
    "Flow",
    "FlowStore",
    "cancel_reason",
    "explanation",
]

FLOW_TTL = 15 * 60
"""Seconds a person has to finish a login once a portal sent them here."""

CANCELLED = "cancelled"
"""The reason a flow ends when the person cancels before any login attempt failed."""

LOGIN_FAILED = "login_failed"
"""The reason a flow ends when the person cancels after a login attempt failed."""

_EXPLANATIONS = {
    "access_denied": "the person did not agree to share their data",
    AssuranceLevelTooLow.code: "the login did not reach the requested level of assurance",
    "no_passive": "the person must interact with the identity provider to log in",
    "login_required": "no one is logged in",
    CANCELLED: "the person cancelled the login without trying to log in",
    LOGIN_FAILED: "the person could not log in and cancelled",
}


@dataclass
class Flow:
    """A portal's pending request and what the person decided so far."""

    id: str
    protocol: str
    portal: str
    portal_name: str
    params: dict[str, Any]
    min_level: Level | None = None
    ask_consent: bool = False
    attributes: list[str] = field(default_factory=list)
    mandates: bool = False
    consented: bool = False
    enterprise_chosen: bool = False
    enterprise: str | None = None
    login_after: float | None = None
    failed_login: str | None = None
    """The error code of the last login attempt that failed in this flow, if one did."""


def cancel_reason(flow: Flow) -> str:
    """Why ``flow`` ends when the person cancels: `LOGIN_FAILED` after a failed attempt."""
    return LOGIN_FAILED if flow.failed_login else CANCELLED


def explanation(flow: Flow, reason: str) -> str:
    """What the portal is told when ``flow`` ends without a login for ``reason`` (no personal data)."""
    text = _EXPLANATIONS.get(reason, reason)
    if reason == LOGIN_FAILED and flow.failed_login:
        text += f" (error code {flow.failed_login})"
    return text


class FlowStore:
    """Flows in the shared store, under random ids."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def start(self, flow_fields: dict[str, Any]) -> Flow:
        """Store a new flow and return it with its id."""
        flow = Flow(id=secrets.token_urlsafe(24), **flow_fields)
        await self.save(flow)
        return flow

    async def save(self, flow: Flow) -> None:
        """Store the flow's current state."""
        await self.store.put("flow:" + flow.id, asdict(flow), FLOW_TTL)

    async def load(self, flow_id: str | None) -> Flow:
        """The flow with this id; `FlowExpired` when there is none (finished, expired, made up)."""
        data = await self.store.get("flow:" + flow_id) if flow_id else None
        if data is None:
            raise FlowExpired("this login flow is unknown, finished or expired")
        return Flow(**data)

    async def note_failure(self, flow_id: str | None, code: str) -> None:
        """Remember on the flow that a login attempt failed with ``code`` (no flow: nothing)."""
        try:
            flow = await self.load(flow_id)
        except FlowExpired:
            return
        flow.failed_login = code
        await self.save(flow)

    async def finish(self, flow: Flow) -> None:
        """End the flow: a second answer to the same request is impossible."""
        if await self.store.take("flow:" + flow.id) is None:
            raise FlowExpired("this login flow was already finished")
