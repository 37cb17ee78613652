"""`eid sso issue|verify --format saml` and `eid sso metadata` with the virtual card."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from eid.sso.saml import SAML_NS
from eid.sso.saml_metadata import idp_from_metadata
from tests.cli_support import as_json, eid
from tests.xmlsig_support import pem, xmlsec1

pytestmark = pytest.mark.token

SP = "https://sp.example.test/metadata"
ACS = "https://sp.example.test/acs"


def _verify(home: Path, response: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = eid(
        "sso", "verify", str(response), "--format", "saml", "--audience", SP, "--json", *args,
        home=home,
    )  # fmt: skip
    return result.returncode, as_json(result)


def test_issue_metadata_verify(home: Path, tmp_path: Path) -> None:
    issued = eid(
        "sso", "issue", "--format", "saml", "--audience", SP, "--recipient", ACS,
        "--in-response-to", "_req-1", "--json", home=home,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stdout + issued.stderr
    response = tmp_path / "response.xml"
    response.write_text(str(as_json(issued)["token"]))
    metadata = eid("sso", "metadata", home=home)
    assert metadata.returncode == 0, metadata.stderr
    metadata_file = tmp_path / "idp.xml"
    metadata_file.write_text(metadata.stdout)

    saml = ("--recipient", ACS, "--in-response-to", "_req-1")
    code, imported = _verify(home, response, "--idp-metadata", str(metadata_file), *saml)
    assert code == 0, imported
    assert imported["format"] == "saml"
    assert imported["level"] == "low"  # the development virtual card
    assert imported["attributes"]["urn:be:eid:attr:familyName"] == "Specimen"  # type: ignore[index]

    published = idp_from_metadata(metadata.stdout.encode())
    data = response.read_bytes()
    assert (
        xmlsec1(tmp_path, data, published.certificates[0], "--id-attr:ID", f"{SAML_NS}:Assertion")
        == 0
    )

    cert = tmp_path / "idp.pem"
    cert.write_bytes(pem(published.certificates[0]))
    posted = tmp_path / "posted.txt"
    posted.write_text(base64.b64encode(data).decode())
    code, imported = _verify(home, posted, "--idp-cert", str(cert), *saml)
    assert code == 0, imported

    code, refused = _verify(home, response, "--idp-cert", str(cert), "--recipient", ACS)
    assert (code, refused["error"]["code"]) == (1, "assertion_in_response_to_mismatch")  # type: ignore[index]
    code, refused = _verify(
        home, response, "--idp-cert", str(cert), *saml, "--at", "2099-01-01T00:00:00+00:00"
    )
    assert (code, refused["error"]["code"]) == (1, "assertion_expired")  # type: ignore[index]
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(data.replace(b"Specimen", b"Mallory"))
    code, refused = _verify(home, tampered, "--idp-cert", str(cert), *saml)
    assert (code, refused["error"]["code"]) == (1, "assertion_signature_invalid")  # type: ignore[index]
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + data)
    code, refused = _verify(home, hostile, "--idp-cert", str(cert), *saml)
    assert (code, refused["error"]["code"]) == (2, "xml_forbidden")  # type: ignore[index]
    code, refused = _verify(home, response, "--idp-cert", str(cert))
    assert (code, refused["error"]["code"]) == (2, "usage")  # type: ignore[index]
    code, refused = _verify(home, response, *saml)
    assert (code, refused["error"]["code"]) == (2, "usage")  # type: ignore[index]
