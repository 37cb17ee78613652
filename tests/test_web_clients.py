"""A portal table's true/false settings as the service reads them."""

from __future__ import annotations

import pytest

from eid.errors import MalformedInput
from eid.web.clients import client_from_dict

_ENTRY = {
    "id": "p",
    "kind": "oidc",
    "redirect_uris": ["https://p.example/cb"],
    "client_secret": "s",
}


def test_flags_default_and_given() -> None:
    plain = client_from_dict(_ENTRY)
    assert (plain.require_pkce, plain.sign_response) == (True, False)
    given = client_from_dict({**_ENTRY, "require_pkce": False, "sign_response": True})
    assert (given.require_pkce, given.sign_response) == (False, True)


@pytest.mark.parametrize("name", ["require_pkce", "sign_response"])
@pytest.mark.parametrize("value", ["false", 0, None])
def test_a_flag_that_is_not_true_or_false_is_refused(name: str, value: object) -> None:
    with pytest.raises(MalformedInput) as refused:
        client_from_dict({**_ENTRY, name: value})
    assert refused.value.field == name
