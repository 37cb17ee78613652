"""A login flow: a portal's pending request, from its arrival to the answer sent back.

The protocol endpoints (OIDC authorize, SAML SSO) check the request and store a
`Flow`; the pages (login, enterprise, consent) carry only its random id. The flow
lives in the shared store, so any instance can finish what another started.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from eid.sso import Level

from .problems import FlowExpired
from .store import Store

__all__ = ["FLOW_TTL", "Flow", "FlowStore"]

FLOW_TTL = 15 * 60
"""Seconds a person has to finish a login once a portal sent them here."""


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

    async def finish(self, flow: Flow) -> None:
        """End the flow: a second answer to the same request is impossible."""
        if await self.store.take("flow:" + flow.id) is None:
            raise FlowExpired("this login flow was already finished")
