"""The single-sign-on core: levels, subjects, attributes, mandates, portals, statements."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eid.errors import (
    AssuranceLevelTooLow,
    MalformedInput,
    MandateNotHeld,
    PortalUnknown,
    RedirectUriMismatch,
    UsageError,
)
from eid.identity import Address
from eid.sso import (
    BELGIAN,
    EIDAS,
    OIDC,
    AssuranceTable,
    FileMandateSource,
    PortalRegistry,
    SubjectMinter,
    load_portals,
    login_kind,
    make_statement,
    require_level,
)
from eid.sso.imported import Imported
from eid.sso.mandates import parse_mandates
from eid.sso.portals import portal_from_dict
from eid.sso.subjects import person_key
from tests.sso_support import ALICE, BOB, as_production_card, login, minter, portal

# -- levels of assurance -------------------------------------------------------------------


def test_login_kinds_and_levels() -> None:
    card = login()
    assert login_kind(card) == "virtual_card"
    assert login_kind(as_production_card(card)) == "eid_card"
    assert login_kind(as_production_card(login(BOB))) == "foreigner_card"
    table = AssuranceTable()
    assert table.level_of(as_production_card(card)) == "high"
    assert table.level_of(as_production_card(login(BOB))) == "high"
    assert table.level_of(card) == "low"
    configured = AssuranceTable(levels={**table.levels, "virtual_card": "substantial"})
    assert configured.level_of(card) == "substantial"
    assert table.national_name("high") == "urn:be:fedict:iam:fas:Level500"


def test_other_certificates_by_method() -> None:
    auth = login()
    other = replace(auth.validated, kind=replace(auth.validated.kind, belgian_policy=False))
    assert login_kind(replace(auth, validated=other)) == "token"
    tls = replace(auth, validated=other, method="tls_client_certificate")
    assert login_kind(tls) == "tls_client_certificate"
    assert AssuranceTable().level_of(tls) == "low"


def test_minimum_level() -> None:
    require_level("high", "substantial")
    require_level("low", None)
    with pytest.raises(AssuranceLevelTooLow, match="substantial") as caught:
        require_level("low", "substantial")
    assert caught.value.code == "assurance_level_too_low"
    with pytest.raises(AssuranceLevelTooLow):
        make_statement(login(), portal(minimum_level="high"), subjects=minter())


def test_incomplete_table_refused() -> None:
    with pytest.raises(UsageError, match="no level"):
        AssuranceTable(levels={"eid_card": "high"})
    with pytest.raises(UsageError):
        AssuranceTable(national_names={"high": "x"})


# -- subject identifiers -------------------------------------------------------------------


def test_pairwise_per_portal_and_sector() -> None:
    auth = login()
    a = make_statement(auth, portal(), subjects=minter())
    b = make_statement(auth, portal(id="portal-b"), subjects=minter())
    assert a.subject.kind == "pairwise"
    assert a.subject.value != b.subject.value
    shared_a = make_statement(auth, portal(sector="tax"), subjects=minter())
    shared_b = make_statement(auth, portal(id="portal-b", sector="tax"), subjects=minter())
    assert shared_a.subject == shared_b.subject
    # stable: the same secret gives the same pseudonym; another secret another one
    again = make_statement(auth, portal(), subjects=SubjectMinter(b"s" * 32))
    assert again.subject == a.subject
    other = make_statement(auth, portal(), subjects=SubjectMinter(b"t" * 32))
    assert other.subject != a.subject
    assert "71715100070" not in a.subject.value
    assert make_statement(login(BOB), portal(), subjects=minter()).subject != a.subject


def test_national_number_only_when_registered() -> None:
    with pytest.raises(UsageError, match="national number"):
        portal(subject_kind="national_number")
    with pytest.raises(UsageError, match="national number"):
        portal(attributes=frozenset({"national_number"}))
    allowed = portal(subject_kind="national_number", may_receive_national_number=True)
    statement = make_statement(login(), allowed, subjects=minter())
    assert statement.subject.value == "71715100070"
    assert "71715100070" not in repr(statement.subject)


def test_transient_identifiers_differ() -> None:
    auth = login()
    first = make_statement(auth, portal(), subjects=minter(), transient=True)
    second = make_statement(auth, portal(), subjects=minter(), transient=True)
    assert first.subject.kind == "transient"
    assert first.subject.value != second.subject.value


def test_short_secret_refused() -> None:
    with pytest.raises(UsageError):
        SubjectMinter(b"short")
    assert "s" * 32 not in repr(minter())


def test_person_key_without_national_number() -> None:
    auth = login()
    identity = replace(auth.validated.identity, national_number=None)
    other = replace(auth, validated=replace(auth.validated, identity=identity))
    assert person_key(other).startswith("dn:")
    assert person_key(auth) == "nn:71715100070"


# -- attributes ----------------------------------------------------------------------------


def test_only_registered_attributes_released() -> None:
    statement = make_statement(
        login(),
        portal(attributes=frozenset({"given_name", "address"})),
        subjects=minter(),
        address=Address("Wetstraat 16", "1000", "Brussel"),
    )
    assert set(statement.attributes) == {"given_name", "address"}
    assert statement.attributes["given_name"] == ALICE.given_names
    rendered = statement.rendered_attributes()
    assert rendered["address"]["locality"] == "Brussel"  # type: ignore[index]


def test_profiles() -> None:
    all_names = frozenset(
        {
            "given_name",
            "family_name",
            "birthdate",
            "gender",
            "person_identifier",
            "locale",
            "address",
        }
    )
    eidas_portal = portal(kind="saml", profile=EIDAS, attributes=all_names, country="NL")
    statement = make_statement(
        login(BOB),
        eidas_portal,
        subjects=minter(),
        language="N",
        address=Address("Wetstraat 16", "1000", "Brussel"),
    )
    rendered = statement.rendered_attributes()
    natural = "http://eidas.europa.eu/attributes/naturalperson/"
    assert rendered[natural + "FamilyName"] == "Vreemdeling"
    assert rendered[natural + "FirstName"] == "Bob"
    assert rendered[natural + "DateOfBirth"] == "1985-07-30"
    assert rendered[natural + "Gender"] == "Male"
    assert rendered[natural + "PersonIdentifier"] == f"BE/NL/{statement.subject.value}"
    assert rendered[natural + "CurrentAddress"] == "Wetstraat 16, 1000 Brussel"
    assert not any("locale" in name for name in rendered)  # eIDAS has no name for it
    belgian = BELGIAN.render(statement.attributes)
    assert belgian["urn:be:eid:attr:familyName"] == "Vreemdeling"
    assert belgian["urn:be:eid:attr:locale"] == "nl"
    assert OIDC.render(statement.attributes)["gender"] == "male"


# -- mandates ------------------------------------------------------------------------------

MANDATES = {
    "71715100070": [{"enterprise": "0203.201.340", "name": "Example NV", "role": "director"}]
}


def _mandate_portal() -> object:
    return portal(
        may_receive_mandates=True,
        attributes=frozenset({"legal_person_identifier", "legal_name", "mandate_role"}),
    )


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_mandate_held_and_not_held(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"mandates{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(MANDATES))
    else:
        path.write_text(
            '[[71715100070]]\nenterprise = "0203.201.340"\nname = "Example NV"\nrole = "director"\n'
        )
    source = FileMandateSource(path)
    statement = make_statement(
        login(), _mandate_portal(), subjects=minter(), mandates=source, acting_for="BE0203201340"
    )
    assert statement.mandate is not None
    assert statement.mandate.enterprise.formatted == "0203.201.340"
    assert statement.attributes["legal_name"] == "Example NV"
    assert statement.attributes["legal_person_identifier"] == "BE/BE/0203201340"
    with pytest.raises(MandateNotHeld, match=r"0403\.170\.701") as caught:
        make_statement(
            login(),
            _mandate_portal(),
            subjects=minter(),
            mandates=source,
            acting_for="0403.170.701",
        )
    assert caught.value.exit_code == 1
    with pytest.raises(MandateNotHeld):  # Bob holds none
        make_statement(
            login(BOB),
            _mandate_portal(),
            subjects=minter(),
            mandates=source,
            acting_for="0203201340",
        )


def test_mandate_needs_registration_and_valid_number(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(MANDATES))
    source = FileMandateSource(path)
    with pytest.raises(UsageError, match="not registered to receive mandates"):
        make_statement(
            login(), portal(), subjects=minter(), mandates=source, acting_for="0203201340"
        )
    with pytest.raises(UsageError, match="mandates"):
        portal(attributes=frozenset({"legal_name"}))
    with pytest.raises(MalformedInput, match="checksum"):
        make_statement(
            login(), _mandate_portal(), subjects=minter(), mandates=source, acting_for="0203201341"
        )


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"123": []},
        {"71715100070": {}},
        {"71715100070": [{"enterprise": "0203201341", "name": "x", "role": "y"}]},
        {"71715100070": [{"enterprise": "0203201340", "name": "", "role": "y"}]},
        {"71715100070": ["x"]},
    ],
)
def test_malformed_mandate_files(data: object) -> None:
    with pytest.raises(MalformedInput):
        parse_mandates(data, source="m.json")


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=8,
    )
)
def test_mandate_parser_never_crashes(data: object) -> None:
    with contextlib.suppress(MalformedInput):
        parse_mandates(data, source="m.json")


# -- portals -------------------------------------------------------------------------------


def test_registry_and_endpoints(tmp_path: Path) -> None:
    path = tmp_path / "portals.toml"
    path.write_text(
        '[[portal]]\nid = "portal-a"\nkind = "oidc"\nredirect_uris = ["https://a.test/cb"]\n'
        'attributes = ["given_name"]\nminimum_level = "substantial"\n\n'
        '[[portal]]\nid = "https://sp.test"\nkind = "saml"\nacs_urls = ["https://sp.test/acs"]\n'
        'profile = "eidas"\nallow_sha1 = true\n'
    )
    registry = load_portals(path)
    assert len(registry) == 2
    a = registry.get("portal-a")
    assert a.minimum_level == "substantial"
    assert a.check_endpoint("https://a.test/cb") == "https://a.test/cb"
    with pytest.raises(RedirectUriMismatch):
        a.check_endpoint("https://a.test/cb/../evil")
    assert a.redirect_uris == ("https://a.test/cb",)
    assert a.acs_urls == ()
    sp = registry.get("https://sp.test")
    assert sp.acs_urls == ("https://sp.test/acs",)
    assert sp.default_endpoint == "https://sp.test/acs"
    assert sp.profile is EIDAS
    assert sp.allow_sha1
    with pytest.raises(PortalUnknown):
        registry.get("nobody")
    with pytest.raises(UsageError, match="twice"):
        PortalRegistry([a, a])


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "x", "kind": "ftp"},
        {"id": "", "kind": "oidc"},
        {"id": "x", "attributes": ["shoe_size"]},
        {"id": "x", "attributes": "given_name"},
        {"id": "x", "profile": "klingon"},
        {"id": "x", "minimum_level": "extreme"},
        {"id": "x", "subject": "national_number"},
        {"id": "x", "encryption_certificate": "not pem"},
        {"id": "x", "unknown_key": 1},
    ],
)
def test_malformed_portals(entry: dict[str, object]) -> None:
    with pytest.raises(MalformedInput):
        portal_from_dict(entry)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "kind",
                "attributes",
                "profile",
                "minimum_level",
                "redirect_uris",
                "subject",
                "x",
            ]
        ),
        st.none() | st.text() | st.lists(st.text()) | st.booleans(),
    )
)
def test_portal_parser_never_crashes(entry: dict[str, object]) -> None:
    with contextlib.suppress(MalformedInput):
        portal_from_dict(entry)


# -- statement -----------------------------------------------------------------------------


def test_statement_facts() -> None:
    auth = as_production_card(login())
    statement = make_statement(
        auth, portal(minimum_level="high"), subjects=minter(), session_index="s1"
    )
    assert statement.audience == "portal-a"
    assert statement.level == "high"
    assert statement.level_uri == "http://eidas.europa.eu/LoA/high"
    assert statement.methods == ("sc", "hwk", "pin", "mfa")
    assert statement.authenticated_at == auth.authenticated_at
    assert statement.session_index == "s1"
    assert make_statement(login(), portal(), subjects=minter()).methods == ("swk", "pin")


def test_imported_to_dict() -> None:
    imported = Imported(
        subject="abc", issuer="https://idp", audience=("p",),
        expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), attributes={"address": {"locality": "X"}},
    )  # fmt: skip
    data = imported.to_dict()
    assert data["attributes"] == {"address": {"locality": "X"}}
    assert json.dumps(data)
