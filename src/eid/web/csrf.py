"""CSRF protection: every form carries the session's token; a POST without it is refused."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from .problems import CsrfFailed
from .sessions import Session

__all__ = ["FIELD", "check_csrf"]

FIELD = "csrf"
"""The name of the hidden form field that carries the token."""


def check_csrf(session: Session, form: Mapping[str, Any]) -> None:
    """Raise `CsrfFailed` unless ``form`` carries this (existing) session's token."""
    sent = form.get(FIELD)
    if session.fresh or not isinstance(sent, str) or not sent:
        raise CsrfFailed("the form carries no valid CSRF token")
    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise CsrfFailed("the form's CSRF token does not match the session")
