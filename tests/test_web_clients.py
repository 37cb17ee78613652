"""A portal table's settings as the service reads them: true/false flags, single logout."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.errors import MalformedInput
from eid.sso.saml import POST_BINDING, REDIRECT_BINDING, LogoutEndpoint
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


_SAML = {"id": "https://sp.example", "kind": "saml", "acs_urls": ["https://sp.example/acs"]}
_SLO = "https://sp.example/slo"


@pytest.mark.parametrize(
    ("given", "binding"), [({}, REDIRECT_BINDING), ({"slo_binding": "redirect"}, REDIRECT_BINDING),
                           ({"slo_binding": "post"}, POST_BINDING)],
)  # fmt: skip
def test_slo_url_by_its_binding(given: dict[str, str], binding: str) -> None:
    client = client_from_dict({**_SAML, "slo_url": _SLO, **given})
    assert client.single_logout == (LogoutEndpoint(binding, _SLO),)
    assert client.logout_endpoint == LogoutEndpoint(binding, _SLO)
    assert client_from_dict(_SAML).logout_endpoint is None


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [({"slo_url": _SLO, "slo_binding": "HTTP-POST"}, "slo_binding", "must be one of redirect, post"),
     ({"slo_url": _SLO, "slo_binding": True}, "slo_binding", "must be one of redirect, post"),
     ({"slo_binding": "post"}, "slo_binding", "slo_binding without slo_url"),
     ({"slo_url": ["https://sp.example/slo"]}, "slo_url", "must be text")],
)  # fmt: skip
def test_a_bad_single_logout_setting_is_refused(
    given: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(MalformedInput, match=message) as refused:
        client_from_dict({**_SAML, **given})
    assert refused.value.field == field


@settings(max_examples=200, deadline=None)
@given(st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.lists(st.text()))
def test_slo_binding_is_one_of_its_names_or_refused(value: object) -> None:
    """Any value of ``slo_binding`` is either one of its two names or `MalformedInput`."""
    entry = {**_SAML, "slo_url": _SLO, "slo_binding": value}
    if value in ("redirect", "post"):
        [endpoint] = client_from_dict(entry).single_logout
        assert endpoint.binding == {"redirect": REDIRECT_BINDING, "post": POST_BINDING}[value]
    else:
        with pytest.raises(MalformedInput) as refused:
            client_from_dict(entry)
        assert refused.value.field == "slo_binding"
