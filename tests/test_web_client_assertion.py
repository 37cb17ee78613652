"""The signed claims of a ``private_key_jwt`` client assertion (RFC 7523 3), each check alone.

The token endpoint's tests (test_web_oidc.py) go through HTTP; this table pins every refusal.
"""

from __future__ import annotations

from typing import Any

import pytest

from eid.web.oidc import _assertion_problem

_NOW = 1_800_000_000
_GOOD = {"iss": "c", "sub": "c", "aud": "https://idp/token", "exp": _NOW + 60, "jti": "j"}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"aud": ["https://other", "https://idp/token"]}, None),
        ({"exp": _NOW - 30}, None),  # within the leeway
        ({"sub": "other"}, "sub is not the client"),
        ({"sub": None}, "sub is not the client"),
        ({"aud": "https://other"}, "aud is not this token endpoint"),
        ({"aud": [["https://idp/token"]]}, "aud is not this token endpoint"),
        ({"exp": None}, "exp is missing"),
        ({"exp": str(_NOW + 60)}, "exp is missing"),
        ({"exp": True}, "exp is missing"),
        ({"exp": _NOW - 61}, "it expired"),
        ({"exp": _NOW + 601}, "it lives too long"),
        ({"exp": 1e400}, "it lives too long"),
        ({"jti": None}, "jti is missing"),
        ({"jti": 7}, "jti is missing"),
    ],
)
def test_client_assertion_claims(change: dict[str, Any], problem: str | None) -> None:
    claims = {k: v for k, v in {**_GOOD, **change}.items() if v is not None}
    assert _assertion_problem(claims, "c", {"https://idp/token"}, _NOW) == problem
