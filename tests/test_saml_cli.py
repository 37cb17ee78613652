"""`eid sso issue|verify --format saml` and `eid sso metadata` with the virtual card."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from eid.sso import EIDAS, KeySet, ProviderKey
from eid.sso.saml import SAML_NS
from eid.sso.saml_metadata import idp_from_metadata, idp_metadata
from eid.sso.saml_response import saml_response
from eid.xmlsig import DSIG_NS, sign_enveloped, software_signer
from tests.cli_support import as_json, eid, served_files
from tests.saml_support import IDP, NOW, idp_key, issue, issued_by_ca, saml_portal, statement
from tests.xenc_support import cbc_encrypted
from tests.xmlsig_support import certificate, key_pem, pem, private_key, xmlsec1

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
    metadata = eid("sso", "metadata", "--slo-url", "https://idp.example/slo", home=home)
    assert metadata.returncode == 0, metadata.stderr
    assert metadata.stdout.count('Location="https://idp.example/slo"') == 2  # Redirect and POST
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


def test_metadata_signature_required_when_asked(tmp_path: Path) -> None:
    """--metadata-cert: only metadata signed with that certificate's key is used."""
    response = tmp_path / "response.xml"
    response.write_bytes(issue(in_response_to=None))
    metadata = idp_metadata(IDP, KeySet(idp_key()), sso_url=IDP + "/sso", now=NOW)
    signer = tmp_path / "signer.pem"
    signer.write_bytes(pem(certificate("rsa")))
    signed = tmp_path / "idp.xml"
    signed.write_bytes(metadata)
    base = ("--recipient", ACS, "--at", NOW.isoformat(), "--metadata-cert", str(signer))

    def verify(path: Path, *args: str) -> tuple[int, dict[str, object]]:
        return _verify(tmp_path, response, "--idp-metadata", str(path), *args)

    code, imported = verify(signed, *base)
    assert code == 0, imported

    root = etree.fromstring(metadata)
    signature = root.find(f"{{{DSIG_NS}}}Signature")
    assert signature is not None
    root.remove(signature)
    unsigned = tmp_path / "unsigned.xml"
    unsigned.write_bytes(etree.tostring(root))
    code, refused = verify(unsigned, *base)
    assert (code, refused["error"]["code"]) == (1, "signature_missing")  # type: ignore[index]
    code, imported = verify(unsigned, *base[:4])
    assert code == 0, imported  # without --metadata-cert, a local file is trusted as it is

    # an attacker's certificate in place of the published one: the signature says no
    attacker = base64.b64encode(certificate("rsa", "attacker").public_bytes(Encoding.DER))
    published = base64.b64encode(certificate("rsa").public_bytes(Encoding.DER))
    assert published in metadata
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(metadata.replace(published, attacker))
    code, refused = verify(tampered, *base)
    assert (code, refused["error"]["code"]) == (1, "signature_invalid")  # type: ignore[index]

    other = tmp_path / "other.pem"
    other.write_bytes(pem(certificate("rsa", "attacker")))
    code, refused = verify(signed, *base[:4], "--metadata-cert", str(other))
    assert (code, refused["error"]["code"]) == (1, "signature_invalid")  # type: ignore[index]
    other.write_bytes(pem(certificate("p256", "attacker")))
    code, refused = verify(signed, *base[:4], "--metadata-cert", str(other))
    assert (code, refused["error"]["code"]) == (1, "algorithm_refused")  # type: ignore[index]
    other.write_text("not a certificate")
    code, refused = verify(signed, *base[:4], "--metadata-cert", str(other))
    assert (code, refused["error"]["code"]) == (2, "malformed_input")  # type: ignore[index]
    code, refused = _verify(tmp_path, response, "--idp-cert", str(signer), *base)
    assert (code, refused["error"]["code"]) == (2, "usage")  # type: ignore[index]


def test_idp_pkix_when_asked(tmp_path: Path) -> None:
    """--idp-pkix validates the IdP certificate to --trust; without it the key is pinned."""
    key = private_key("rsa", "pkix")
    assert isinstance(key, rsa.RSAPrivateKey)
    ca, expired = issued_by_ca(NOW - dt.timedelta(days=60), NOW - dt.timedelta(days=1))
    _, valid = issued_by_ca(NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=60))
    files = {}
    for name, cert in {"ca": ca, "expired": expired, "valid": valid}.items():
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_bytes(pem(cert))
    files["other"] = tmp_path / "other.pem"
    files["other"].write_bytes(pem(certificate("p384", "other-ca")))
    response = tmp_path / "response.xml"
    response.write_bytes(
        saml_response(
            statement(), issuer=IDP, key=ProviderKey.from_private_key(key, valid),
            recipient=ACS, now=NOW,
        )
    )  # fmt: skip
    at = ("--recipient", ACS, "--at", NOW.isoformat())

    def verify(cert: str, *args: str) -> tuple[int, dict[str, object]]:
        return _verify(tmp_path, response, "--idp-cert", str(files[cert]), *at, *args)

    code, imported = verify("valid", "--idp-pkix", "--trust", str(files["ca"]), "--no-revocation")
    assert code == 0, imported
    code, refused = verify("valid", "--idp-pkix", "--trust", str(files["other"]), "--no-revocation")
    assert (code, refused["error"]["code"]) == (1, "certificate_untrusted")  # type: ignore[index]
    code, imported = verify("expired")
    assert code == 0, imported  # a pinned key: its dates are not enforced
    code, refused = verify("expired", "--idp-pkix", "--trust", str(files["ca"]), "--no-revocation")
    assert (code, refused["error"]["code"]) == (1, "certificate_expired")  # type: ignore[index]
    code, refused = verify("valid", "--idp-pkix", "--trust", str(files["ca"]))
    assert (code, refused["error"]["code"]) == (1, "revocation_unknown")  # type: ignore[index]
    code, refused = verify("valid", "--trust", str(files["ca"]))
    assert (code, refused["error"]["code"]) == (2, "usage")  # type: ignore[index]


def test_verify_with_the_metadata_fetched_from_a_url(home: Path, tmp_path: Path) -> None:
    issued = eid(
        "sso", "issue", "--format", "saml", "--audience", SP, "--recipient", ACS, "--json",
        home=home,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stdout + issued.stderr
    response = tmp_path / "response.xml"
    response.write_text(str(as_json(issued)["token"]))
    served = tmp_path / "served"
    served.mkdir()
    (served / "idp.xml").write_text(eid("sso", "metadata", home=home).stdout)
    with served_files(served) as base:
        url = f"{base}/idp.xml"
        code, imported = _verify(home, response, "--idp-metadata", url, "--recipient", ACS)
        assert code == 0, imported
        code, refused = _verify(
            home, response, "--idp-metadata", url, "--recipient", ACS,
            "--at", (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat(),
        )  # fmt: skip
        assert (code, refused["error"]["code"]) == (1, "provider_keys_unavailable")  # type: ignore[index]
        assert "expired" in refused["error"]["message"]  # type: ignore[index]


def test_allow_unsigned_assertion(tmp_path: Path) -> None:
    """--allow-unsigned-assertion: a signed Response may cover an unsigned assertion."""
    root = etree.fromstring(issue(in_response_to=None))
    assertion = root.find(f"{{{SAML_NS}}}Assertion")
    assert assertion is not None
    assertion.remove(assertion.find(f"{{{DSIG_NS}}}Signature"))  # type: ignore[arg-type]
    method = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    sign_enveloped(root, signer=software_signer(private_key("rsa"), method), method=method, index=1)
    response = tmp_path / "response.xml"
    response.write_bytes(etree.tostring(root))
    cert = tmp_path / "idp.pem"
    cert.write_bytes(pem(certificate("rsa")))
    base = ("--recipient", ACS, "--at", NOW.isoformat(), "--idp-cert", str(cert))
    code, refused = _verify(tmp_path, response, *base)
    assert (code, refused["error"]["code"]) == (1, "assertion_signature_missing")  # type: ignore[index]
    code, imported = _verify(tmp_path, response, *base, "--allow-unsigned-assertion")
    assert code == 0, imported
    assert imported["subject"] == statement().subject.value


def test_encrypted_response_with_sp_key(tmp_path: Path) -> None:
    """--sp-key: the portal's decryption keys (several during a rollover), and --allow-cbc."""
    sp = private_key("rsa", "sp")
    assert isinstance(sp, rsa.RSAPrivateKey)
    portal = saml_portal(encryption_certificate=certificate("rsa", "sp"))
    response = tmp_path / "response.xml"
    response.write_bytes(issue(portal=portal, in_response_to=None))
    root = etree.fromstring(issue(in_response_to=None))
    assertion = root.find(f"{{{SAML_NS}}}Assertion")
    assert assertion is not None
    wrapper = etree.SubElement(root, f"{{{SAML_NS}}}EncryptedAssertion")
    wrapper.append(cbc_encrypted(etree.tostring(assertion), certificate("rsa", "sp"))[0])
    root.remove(assertion)
    cbc = tmp_path / "cbc.xml"
    cbc.write_bytes(etree.tostring(root))
    files = {"sp": sp, "other": private_key("rsa", "other"), "ec": private_key("p256", "sp")}
    for name, key in files.items():
        (tmp_path / f"{name}.pem").write_bytes(key_pem(key))
    (tmp_path / "locked.pem").write_bytes(
        sp.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"correct horse"),
        )
    )
    (tmp_path / "idp.pem").write_bytes(pem(certificate("rsa")))
    base = ("--recipient", ACS, "--at", NOW.isoformat(), "--idp-cert", str(tmp_path / "idp.pem"))

    def verify(
        path: Path, *keys: str, flags: tuple[str, ...] = (), env: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        options = [option for key in keys for option in ("--sp-key", str(tmp_path / key))]
        result = eid(
            "sso", "verify", str(path), "--format", "saml", "--audience", SP, "--json",
            *base, *options, *flags, home=tmp_path, env=env,
        )  # fmt: skip
        return result.returncode, as_json(result)

    code, refused = verify(response)
    assert (code, refused["error"]["code"]) == (1, "assertion_decryption_failed")
    assert "--sp-key" in refused["error"]["message"]
    code, imported = verify(response, "sp.pem")
    assert code == 0, imported
    assert imported["attributes"][EIDAS.names["family_name"]] == "SPECIMEN"
    code, imported = verify(response, "other.pem", "sp.pem")  # rollover: old and new key
    assert code == 0, imported
    code, refused = verify(response, "other.pem")
    assert (code, refused["error"]["code"]) == (1, "assertion_decryption_failed")
    password = {"EID_SP_KEY_PASSWORD": "correct horse"}
    code, imported = verify(response, "locked.pem", env=password)
    assert code == 0, imported
    for keys, env, error in [
        (("missing.pem",), None, "malformed_input"),
        (("idp.pem",), None, "malformed_input"),  # a certificate, not a key
        (("ec.pem",), None, "usage"),  # XML decryption is RSA's
        (("locked.pem",), None, "usage"),  # encrypted, and no password given
        (("locked.pem",), {"EID_SP_KEY_PASSWORD": "wrong"}, "malformed_input"),
    ]:
        code, refused = verify(response, *keys, env=env)
        assert (code, refused["error"]["code"]) == (2, error), keys
    assert "correct horse" not in str(refused)

    code, refused = verify(cbc, "sp.pem")
    assert (code, refused["error"]["code"]) == (1, "assertion_cbc_refused")
    assert "--allow-cbc" in refused["error"]["message"]
    code, imported = verify(cbc, "sp.pem", flags=("--allow-cbc",))
    assert code == 0, imported
