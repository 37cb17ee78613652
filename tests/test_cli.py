"""The `eid` command line, run as a real process against real SoftHSM2 virtual cards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography import x509

from eid.tokens.virtual import VirtualCard

from .cli_support import as_json, eid
from .conftest import FIXTURES, OPENSC

VECTORS = FIXTURES / "belgium" / "identity-vectors"
SIGNED_SET = {
    "DATA_FILE.tlv": "test-identity.tlv",
    "SIGN_DATA_FILE.der": "test-identity-sign.der",
    "ADDRESS_FILE": "test-address.tlv",
    "SIGN_ADDRESS_FILE": "test-address-sign.der",
    "CERT_RN_FILE.der": "test-rrn-cert.der",
    "PHOTO_FILE.jpg": "test-photo.jpg",
}


@pytest.fixture
def signed_files(tmp_path: Path) -> Path:
    directory = tmp_path / "files"
    directory.mkdir()
    for name, source in SIGNED_SET.items():
        shutil.copy(VECTORS / source, directory / name)
    return directory


def test_virtual_card_create_is_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "card"
    first = eid("virtual-card", "create", "--dir", str(target), "--json", home=tmp_path)
    assert first.returncode == 0, first.stderr
    assert as_json(first)["created_now"] is True
    again = eid("virtual-card", "create", "--dir", str(target), "--json", home=tmp_path)
    assert as_json(again)["created_now"] is False
    assert as_json(again)["national_number"] == "85073003427"
    text = eid("virtual-card", "create", "--dir", str(target), home=tmp_path)
    assert "already exists" in text.stdout
    assert str(target) in text.stdout


def test_virtual_card_options_and_replace(tmp_path: Path) -> None:
    target = tmp_path / "card"
    made = eid(
        "virtual-card", "create", "--dir", str(target), "--key-type", "ec", "--surname", "Peeters",
        "--given-names", "Jan", "--national-number", "85.07.30-033.28", "--json", home=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert as_json(made)["key_kind"] == "ec"
    replaced = eid(
        "virtual-card", "create", "--dir", str(target), "--replace", "--json", home=tmp_path
    )
    assert as_json(replaced)["created_now"] is True
    assert as_json(replaced)["key_kind"] == "rsa"


def test_virtual_card_refuses_bad_input(tmp_path: Path) -> None:
    bad = eid("virtual-card", "create", "--dir", str(tmp_path / "c"), "--national-number", "85073003329",
              "--json", home=tmp_path)  # fmt: skip
    assert bad.returncode == 2
    assert as_json(bad)["error"]["code"] == "malformed_input"
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "thesis.txt").write_text("do not delete")
    refused = eid("virtual-card", "create", "--dir", str(occupied), home=tmp_path)
    assert refused.returncode == 2
    assert (occupied / "thesis.txt").read_text() == "do not delete"


def test_tokens_lists_the_virtual_card(home: Path) -> None:
    result = eid("tokens", "--json", home=home)
    assert result.returncode == 0, result.stderr
    modules = as_json(result)["modules"]
    virtual = [m for m in modules if m["virtual_card"]]
    assert len(virtual) == 1
    assert [s["token"]["label"] for s in virtual[0]["slots"]] == ["BELPIC"]
    assert virtual[0]["slots"][0]["token"]["pin_state"] == "ok"


def test_tokens_with_a_missing_or_empty_module(tmp_path: Path) -> None:
    missing = eid("tokens", "--module", str(tmp_path / "nothing.so"), "--json", home=tmp_path)
    assert missing.returncode == 3
    assert as_json(missing)["error"]["code"] == "no_module"
    no_reader = eid("tokens", "--module", str(OPENSC), "--json", home=tmp_path)
    assert no_reader.returncode == 3
    assert as_json(no_reader)["error"]["code"] == "no_reader"


def test_commands_without_any_token(tmp_path: Path) -> None:
    result = eid("certs", "--json", home=tmp_path / "empty")
    assert result.returncode == 3
    assert as_json(result)["error"]["code"] in {"no_module", "no_reader", "no_card"}
    text = eid("identity", home=tmp_path / "empty")
    assert text.returncode == 3
    assert "eid:" in text.stderr


def test_certs_and_export(home: Path, tmp_path: Path) -> None:
    result = eid("certs", "--export", str(tmp_path / "out"), "--json", home=home)
    assert result.returncode == 0, result.stderr
    entries = as_json(result)["certificates"]
    assert [e["role"] for e in entries] == ["authentication", "signature", "ca", "root"]
    assert "serialNumber=85073003427" in entries[0]["subject"]
    for entry in entries:
        cert = x509.load_pem_x509_certificate(Path(entry["exported"]).read_bytes())
        assert cert.fingerprint(cert.signature_hash_algorithm or x509.hashes.SHA256()) is not None
        assert Path(entry["exported"]).name == f"{entry['label']}.pem"


def test_identity_from_the_virtual_card(
    home: Path, tmp_path: Path, virtual_card: VirtualCard
) -> None:
    photo = tmp_path / "photo.jpg"
    result = eid("identity", "--photo", str(photo), "--json", home=home)
    assert result.returncode == 0, result.stderr
    data = as_json(result)
    assert data["identity"]["national_number"] == virtual_card.national_number
    assert data["address"]["municipality"] == "Brussel"
    assert {c["status"] for c in data["checks"].values()} == {"valid"}
    assert "Belgium Test Root CA" in data["rrn_certificate_trusted_by"]
    assert photo.read_bytes().startswith(b"\xff\xd8")
    text = eid("identity", home=home)
    assert "identity file: RRN signature valid" in text.stdout
    assert "85.07.30-034.27" in text.stdout


def test_identity_files_from_the_shared_vectors(signed_files: Path, tmp_path: Path) -> None:
    # Their RRN certificate is a test one, under no Belgian root: without trusting it, refused.
    refused = eid("identity", "--files", str(signed_files), "--json", home=tmp_path)
    assert (refused.returncode, as_json(refused)["error"]["code"]) == (1, "certificate_untrusted")
    rrn = str(VECTORS / "test-rrn-cert.der")
    result = eid("identity", "--files", str(signed_files), "--trust", rrn, "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    data = as_json(result)
    assert data["identity"]["surname"] == "SPECIMEN"
    assert {name: c["status"] for name, c in data["checks"].items()} == {
        "identity_signature": "valid",
        "address_signature": "valid",
        "photo_hash": "valid",
    }


@pytest.mark.parametrize(
    ("name", "offset"),
    [("DATA_FILE.tlv", 40), ("SIGN_DATA_FILE.der", 10), ("ADDRESS_FILE", 5), ("SIGN_ADDRESS_FILE", 64),
     ("PHOTO_FILE.jpg", 1000), ("DATA_FILE.tlv", 1)],
)  # fmt: skip
def test_one_tampered_byte_fails_with_exit_1(
    signed_files: Path, tmp_path: Path, name: str, offset: int
) -> None:
    path = signed_files / name
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    result = eid("identity", "--files", str(signed_files), "--json", home=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    error = as_json(result)["error"]
    assert error["code"] == "signature_invalid"


@pytest.mark.parametrize(
    "vector", ["id-alice.tlv", "id-alice-2.tlv", "white-cane.tlv", "yellow-cane.tlv"]
)
def test_unsigned_files_are_refused(tmp_path: Path, vector: str) -> None:
    directory = tmp_path / "files"
    directory.mkdir()
    shutil.copy(VECTORS / vector, directory / "DATA_FILE")
    result = eid("identity", "--files", str(directory), "--json", home=tmp_path)
    assert result.returncode == 1, result.stderr
    error = as_json(result)["error"]
    assert error["code"] == "signature_missing"
    assert error["missing"] == ["CERT_RN_FILE", "SIGN_DATA_FILE"]


@pytest.mark.parametrize(
    ("removed", "missing"),
    [("SIGN_DATA_FILE.der", "SIGN_DATA_FILE"), ("SIGN_ADDRESS_FILE", "SIGN_ADDRESS_FILE"),
     ("CERT_RN_FILE.der", "CERT_RN_FILE")],
)  # fmt: skip
def test_identity_files_need_signatures_and_certificate(
    signed_files: Path, tmp_path: Path, removed: str, missing: str
) -> None:
    # The identity file is tampered with too: without its signature nothing may vouch for it.
    path = signed_files / "DATA_FILE.tlv"
    path.write_bytes(path.read_bytes().replace(b"SPECIMEN", b"SPECIMEM"))
    (signed_files / removed).unlink()
    rrn = str(VECTORS / "test-rrn-cert.der")
    result = eid("identity", "--files", str(signed_files), "--trust", rrn, home=tmp_path)
    assert result.returncode == 1
    assert "trusted" not in result.stdout
    assert result.stderr.startswith("eid: signature_missing:")
    assert missing in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_identity_files_usage_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = eid("identity", "--files", str(empty), "--json", home=tmp_path)
    assert result.returncode == 2
    assert as_json(result)["error"]["code"] == "usage"
    (empty / "DATA_FILE").write_bytes(b"\x01\x05ab")
    (empty / "SIGN_DATA_FILE").write_bytes(bytes(256))
    (empty / "CERT_RN_FILE").write_bytes(b"not a certificate")
    malformed = eid("identity", "--files", str(empty), "--json", home=tmp_path)
    assert malformed.returncode == 2
    assert as_json(malformed)["error"]["code"] == "malformed_input"


def test_demo(tmp_path: Path) -> None:
    result = eid("demo", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "RRN signature valid" in result.stdout
    assert "Alice Geldig Specimen" in result.stdout
    again = eid("demo", "--json", home=tmp_path)
    assert as_json(again)["identity"]["checks"]["identity_signature"]["status"] == "valid"


def test_an_unreadable_virtual_card_says_how_to_mend_it(tmp_path: Path) -> None:
    target = tmp_path / "virtual-card"
    assert eid("virtual-card", "create", "--dir", str(target), home=tmp_path).returncode == 0
    (target / "card.json").write_text('{"holder": "from an older version"}')
    broken = eid("identity", "--json", home=tmp_path)
    assert broken.returncode == 2
    assert "--replace" in as_json(broken)["error"]["message"]
    mended = eid("virtual-card", "create", "--replace", "--json", home=tmp_path)
    assert mended.returncode == 0, mended.stdout + mended.stderr
    assert eid("identity", home=tmp_path).returncode == 0


def test_the_demo_replaces_an_unreadable_virtual_card(tmp_path: Path) -> None:
    target = tmp_path / "virtual-card"
    assert eid("virtual-card", "create", "--dir", str(target), home=tmp_path).returncode == 0
    (target / "card.json").write_text('{"holder": "from an older version"}')
    result = eid("demo", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "making it anew" in result.stdout
    assert "RRN signature valid" in result.stdout
