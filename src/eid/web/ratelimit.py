"""Rate limits on PIN and login attempts, per session and per client address.

Fixed windows counted in the shared store, so several instances count together.
"""

from __future__ import annotations

import hashlib

from .problems import RateLimited
from .store import Store

__all__ = ["RateLimiter"]


class RateLimiter:
    """Counts attempts of a kind and refuses the one past the limit in ``window`` seconds.

    ``limit`` applies per session; ``address_limit`` (default four times as many, for
    people behind one address) per client address.
    """

    def __init__(
        self, store: Store, *, kind: str, limit: int, window: int, address_limit: int | None = None
    ) -> None:
        self.store = store
        self.kind = kind
        self.limit = limit
        self.address_limit = address_limit if address_limit is not None else 4 * limit
        self.window = window

    def _key(self, scope: str, value: str) -> str:
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"rate:{self.kind}:{scope}:{digest}"

    async def hit(self, *, session: str, address: str) -> None:
        """Count one attempt for the session and the address; raise `RateLimited` past the limit."""
        by_session = await self.store.count(self._key("session", session), self.window)
        by_address = await self.store.count(self._key("address", address), self.window)
        if by_session > self.limit or by_address > self.address_limit:
            raise RateLimited(
                f"too many {self.kind} attempts; wait before trying again",
                retry_after=self.window,
            )
