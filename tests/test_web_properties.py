"""Property tests of the service's parsers of outside input (Hypothesis)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import zlib
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.errors import EidError
from eid.sso.attributes import ATTRIBUTES
from eid.web.config import config_from_mapping
from eid.web.flows import LOGIN_FAILED, FlowStore, cancel_reason, explanation
from eid.web.forms import MAX_FIELDS, parse_oauth_form
from eid.web.i18n import LANGUAGES, negotiate
from eid.web.oidc import parse_max_age
from eid.web.pages import local_path
from eid.web.problems import FlowExpired, InvalidRequest, OAuthError
from eid.web.response_modes import DEFAULT_RESPONSE_MODE, RESPONSE_MODES, parse_response_mode
from eid.web.saml_bindings import decode_post, decode_redirect
from eid.web.scopes import SCOPES, scoped_attributes
from eid.web.store import MemoryStore

text = st.text(max_size=200)


@given(text, text, text, text)
def test_negotiation_always_picks_a_page_language(a: str, b: str, c: str, d: str) -> None:
    assert negotiate(switch=a, ui_locales=b, remembered=c, accept_language=d) in LANGUAGES


@given(st.lists(st.sampled_from(["nl", "fr-BE", "de;q=0.5", "en;q=0", "x", ",", ";q=abc"])))
def test_accept_language_weights(parts: list[str]) -> None:
    assert negotiate(accept_language=",".join(parts)) in LANGUAGES


@given(text)
def test_local_path_never_leaves_the_site(value: str) -> None:
    path = local_path(value)
    assert path.startswith("/")
    assert not path.startswith("//")
    assert "\\" not in path


def _deflated(data: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(data) + compressor.flush()).decode()


@settings(max_examples=200)
@given(st.one_of(text, st.binary(max_size=300).map(lambda b: "SAMLRequest=" + _deflated(b))))
def test_redirect_binding_decoding_fails_only_with_eid_errors(query: str) -> None:
    with contextlib.suppress(EidError):
        decode_redirect(query)


@pytest.mark.parametrize("where", ["RelayState=\u00e9", "Signature=\u00e9", "x=\u00e9"])
def test_a_redirect_query_with_a_raw_non_ascii_character_is_an_invalid_request(
    where: str,
) -> None:
    """Found with the saml_request fuzz check: a signed query with a raw 'é' raised
    UnicodeEncodeError (an internal error) where the signed octets were encoded as ASCII."""
    request = quote(_deflated(b'<AuthnRequest ID="_1"/>'), safe="")
    with pytest.raises(InvalidRequest, match="not URL-encoded"):
        decode_redirect(f"SAMLRequest={request}&SigAlg=x&Signature=c2ln&{where}")


@given(st.dictionaries(st.sampled_from(["SAMLRequest", "RelayState", "x"]), text))
def test_post_binding_decoding_fails_only_with_eid_errors(form: dict[str, str]) -> None:
    with contextlib.suppress(EidError):
        decode_post(form)


toml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=10,
)


@given(
    st.dictionaries(
        st.sampled_from(["server", "trust", "limits", "development", "keys", "oidc", "portals"]),
        toml_values,
    )
)
def test_configuration_fails_only_with_eid_errors(data: dict[str, object]) -> None:
    with contextlib.suppress(EidError, OSError):
        config_from_mapping(data, base=Path("/nonexistent"))


@given(
    st.lists(st.one_of(st.sampled_from(sorted(SCOPES)), st.text(max_size=20))),
    st.sets(st.sampled_from(sorted(ATTRIBUTES))),
)
def test_scopes_never_release_beyond_the_registration(
    scope: list[str], registered: set[str]
) -> None:
    released = set(scoped_attributes(scope, registered))
    assert released <= registered
    assert released == registered & set().union(*(SCOPES[s] for s in scope if s in SCOPES))


STARTED = "<the id the flow was started under>"


@given(st.one_of(st.none(), text, st.just(STARTED)), text)
def test_a_posted_flow_id_finds_only_a_stored_flow(posted: str | None, code: str) -> None:
    """A flow id from a form finds the flow started under it, or none: it never makes one."""

    async def run(posted: str | None) -> None:
        flows = FlowStore(MemoryStore())
        started = await flows.start(
            {"protocol": "saml", "portal": "p", "portal_name": "P", "params": {}}
        )
        posted = started.id if posted == STARTED else posted
        await flows.note_failure(posted, code or "pin_incorrect")
        if posted == started.id:
            noted = await flows.load(posted)
            assert cancel_reason(noted) == LOGIN_FAILED
            assert explanation(noted, LOGIN_FAILED).endswith(f"(error code {noted.failed_login})")
            return
        assert cancel_reason(await flows.load(started.id)) != LOGIN_FAILED
        try:
            await flows.load(posted)
        except FlowExpired:
            return
        raise AssertionError("a flow id no flow was started under found one")

    asyncio.run(run(posted))


@given(st.dictionaries(text, text, max_size=MAX_FIELDS))
def test_an_oauth_form_reads_back_what_was_encoded(form: dict[str, str]) -> None:
    assert parse_oauth_form(urlencode(form).encode()) == form


@given(st.lists(st.tuples(text, text), min_size=1, max_size=MAX_FIELDS - 1))
def test_an_oauth_form_with_a_parameter_twice_is_refused(pairs: list[tuple[str, str]]) -> None:
    pairs.append(pairs[0])
    with pytest.raises(OAuthError, match="is sent twice") as refused:
        parse_oauth_form(urlencode(pairs).encode())
    assert refused.value.error == "invalid_request"


@given(st.one_of(st.binary(max_size=300), text.map(str.encode)))
def test_oauth_form_parsing_fails_only_with_oauth_errors(body: bytes) -> None:
    with contextlib.suppress(OAuthError):
        form = parse_oauth_form(body)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in form.items())


@given(st.one_of(st.none(), text, st.sampled_from(RESPONSE_MODES)))
def test_a_response_mode_is_a_supported_one_or_none(value: str | None) -> None:
    """Absent or empty: the default; a supported name: itself; anything else: refused (None)."""
    mode = parse_response_mode(value)
    if not value:
        assert mode == DEFAULT_RESPONSE_MODE
    else:
        assert mode == (value if value in RESPONSE_MODES else None)


@given(st.one_of(st.none(), text, st.integers(min_value=-(10**13), max_value=10**13).map(str)))
def test_max_age_is_a_non_negative_whole_number_of_seconds_or_refused(value: str | None) -> None:
    """Absent or empty: None; 1 to 12 ASCII digits: their number; anything else: ValueError."""
    digits = bool(value) and value.isascii() and value.isdigit() and len(value) <= 12
    if not value:
        assert parse_max_age(value) is None
    elif digits:
        assert parse_max_age(value) == int(value)
    else:
        with pytest.raises(ValueError, match="non-negative integer"):
            parse_max_age(value)
