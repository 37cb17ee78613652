"""The audit log: one JSON line per login, token, assertion, logout and failure.

A line says who by pseudonym (never the national number), which portal, which
level, the outcome and the error code. It never holds a PIN, a token, an
assertion, a cookie or a full national number: the fields are a fixed list, and
the values are only what `AuditLog.record` is given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

if TYPE_CHECKING:
    from eid.sso import Statement

__all__ = ["AuditLog", "Event"]

Event = Literal["login", "token", "assertion", "logout", "failure"]


class AuditLog:
    """Writes audit lines to a file (appended) or a stream (standard error by default)."""

    def __init__(self, secret: bytes, *, path: Path | None = None, stream: TextIO | None = None):
        self._key = hmac.new(secret, b"eid.web audit pseudonym", hashlib.sha256).digest()
        self._path = path
        self._stream = stream
        self._lock = threading.Lock()

    def pseudonym(self, national_number: str | None) -> str | None:
        """The audit log's own pseudonym of a person (stable, not reversible without the secret)."""
        if not national_number:
            return None
        return hmac.new(self._key, national_number.encode(), hashlib.sha256).hexdigest()[:32]

    def issued(
        self,
        event: Literal["token", "assertion"],
        statement: Statement,
        person: dict[str, Any],
        *,
        address: str | None,
    ) -> None:
        """Record a token or assertion issued from ``statement`` about the logged-in ``person``.

        The portal's pairwise subject is the pseudonym when it has one; otherwise (the national
        number or a transient name went to the portal) the audit log's own pseudonym.
        """
        subject = statement.subject
        self.record(
            event,
            pseudonym=subject.value
            if subject.kind == "pairwise"
            else self.pseudonym(person.get("national_number")),
            portal=statement.audience,
            level=statement.level,
            method=person.get("method"),
            address=address,
        )

    def record(
        self,
        event: Event,
        *,
        outcome: Literal["success", "failure"] = "success",
        pseudonym: str | None = None,
        portal: str | None = None,
        level: str | None = None,
        method: str | None = None,
        error: str | None = None,
        address: str | None = None,
    ) -> None:
        """Write one line."""
        line = json.dumps(
            {
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "event": event,
                "outcome": outcome,
                "pseudonym": pseudonym,
                "portal": portal,
                "level": level,
                "method": method,
                "error": error,
                "address": address,
            },
            separators=(",", ":"),
        )
        with self._lock:
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as file:
                    file.write(line + "\n")
            else:
                stream = self._stream or sys.stderr
                stream.write(line + "\n")
                stream.flush()
