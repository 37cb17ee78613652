"""eid.tokens on a real SoftHSM2 token: the virtual eID, RSA and EC."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from pkcs11 import Attribute, ObjectClass

from eid.errors import (
    KeyNotFound,
    MalformedInput,
    NoModule,
    NoReader,
    PinCancelled,
    TokenNotFound,
)
from eid.tokens import (
    PinRequest,
    PinState,
    Role,
    Token,
    list_slots,
    load_module,
    open_default,
    open_token,
)
from eid.tokens.belpic.labels import FILE_OBJECT_IDS
from eid.tokens.virtual import VirtualCard

from .conftest import OPENSC


def test_slot_and_token_info(virtual_card: VirtualCard) -> None:
    slots = [s for s in list_slots(virtual_card.module()) if s.token and s.token.label == "BELPIC"]
    assert len(slots) == 1
    info = slots[0].token
    assert info is not None
    assert info.pin_state is PinState.OK
    assert info.login_required
    assert info.manufacturer == "SoftHSM project"


def test_certificates_have_the_middleware_labels_ids_and_roles(token: Token) -> None:
    found = {(c.label, c.role, struct.unpack("L", c.id)[0]) for c in token.certificates()}
    assert found == {
        ("Authentication", Role.AUTHENTICATION, 2),
        ("Signature", Role.SIGNATURE, 3),
        ("CA", Role.CA, 4),
        ("Root", Role.ROOT, 6),
    }
    signature = token.certificate("signature").certificate
    assert "(Signature)" in signature.subject.rfc4514_string()


def test_data_objects_carry_the_card_files_with_ascii_object_ids(
    virtual_card: VirtualCard, token: Token
) -> None:
    objects = token.data_objects()
    for label in (
        "DATA_FILE",
        "ADDRESS_FILE",
        "PHOTO_FILE",
        "CERT_RN_FILE",
        "SIGN_DATA_FILE",
        "SIGN_ADDRESS_FILE",
    ):
        assert objects[label], label
    assert objects["surname"] == b"Specimen"
    assert token.data_objects({"surname", "DATA_FILE"}) == {
        "surname": b"Specimen",
        "DATA_FILE": objects["DATA_FILE"],
    }
    assert objects["national_number"] == virtual_card.national_number.encode()
    # CKA_OBJECT_ID is an ASCII string on the card, not a DER OID.
    module = virtual_card.module()
    with module.lock:
        slot = next(
            s for s in module.slots(token_present=True) if s.get_token().label.strip() == "BELPIC"
        )
        with slot.get_token().open() as session:
            ids = {
                str(o[Attribute.LABEL]): bytes(o[Attribute.OBJECT_ID])
                for o in session.get_objects({Attribute.CLASS: ObjectClass.DATA})
            }
    assert ids["DATA_FILE"] == b"id"
    assert ids["ADDRESS_FILE"] == b"address"
    assert all(
        ids[label] == FILE_OBJECT_IDS[label].encode() for label in FILE_OBJECT_IDS if label in ids
    )


def test_read_card_verifies_the_rrn_signatures(virtual_card: VirtualCard, token: Token) -> None:
    card = token.read_card()
    assert str(card.identity.national_number) == virtual_card.national_number
    assert card.identity.surname == "Specimen"
    assert card.address is not None
    assert card.address.zip_code == "1000"
    assert card.photo is not None
    assert card.photo.startswith(b"\xff\xd8")


def test_a_digest_of_the_wrong_length_is_refused(token: Token) -> None:
    with pytest.raises(MalformedInput):
        token.sign_digest(b"short")


def test_cancelled_pin(virtual_card: VirtualCard) -> None:
    def cancel(request: PinRequest) -> str:
        raise PinCancelled("no")

    with virtual_card.open(pin_provider=cancel) as token, pytest.raises(PinCancelled):
        token.sign(b"x")


def test_unknown_label_and_missing_module(virtual_card: VirtualCard, tmp_path: Path) -> None:
    with pytest.raises(TokenNotFound):
        open_token(virtual_card.module(), label="NOT-THERE")
    with pytest.raises(NoModule):
        load_module(tmp_path / "missing.so")
    (tmp_path / "garbage.so").write_bytes(b"not a library")
    with pytest.raises(NoModule):
        load_module(tmp_path / "garbage.so")


def test_no_reader_through_opensc_without_pcscd() -> None:
    assert OPENSC.is_file(), "opensc-pkcs11 is not installed: run `make test`, which installs it"
    with pytest.raises(NoReader):
        open_token(load_module(OPENSC))


def test_key_not_found_for_a_role_without_certificate(token: Token) -> None:
    with pytest.raises(KeyNotFound):
        token.certificate(Role.OTHER)


def test_open_default_falls_back_to_the_virtual_card(
    virtual_card: VirtualCard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EID_HOME", str(virtual_card.directory.parent))
    monkeypatch.delenv("EID_PKCS11_MODULE", raising=False)
    # The virtual card lives in $EID_HOME/virtual-card; link this one there.
    link = virtual_card.directory.parent / "virtual-card"
    if not link.exists():
        link.symlink_to(virtual_card.directory)
    with open_default() as token:
        assert token.label == "BELPIC"
        assert token.module.path.name == "libsofthsm2.so"


def test_open_default_with_an_explicit_module(
    virtual_card: VirtualCard, monkeypatch: pytest.MonkeyPatch
) -> None:
    virtual_card.module()  # initialised with this card's configuration
    with open_default(module=virtual_card.module().path, label="BELPIC") as token:
        assert token.certificate(Role.SIGNATURE)
    monkeypatch.setenv("EID_PKCS11_MODULE", str(OPENSC))
    with pytest.raises(NoReader):
        open_default()


def test_card_data_objects(virtual_card: VirtualCard, token: Token) -> None:
    objects = token.data_objects()
    card = token.read_card()
    assert len(objects["CARD_DATA"]) == 28
    assert objects["ATR"] == bytes.fromhex("3B 98 13 40 0A A5 03 01 01 01 AD 13 11")
    assert objects["carddata_serialnumber"].hex().upper() == card.identity.chip_number
    assert objects["carddata_appl_version"] == (
        b"\x18" if virtual_card.key_kind == "ec" else b"\x17"
    )
    assert objects["carddata_appl_lifecycle"] == b"\x0f"


def test_uninitialised_tokens_are_not_offered(virtual_card: VirtualCard) -> None:
    module = virtual_card.module()
    slots = list_slots(module)
    # SoftHSM2 always adds a free slot whose token is not initialised.
    assert [s.problem for s in slots if s.token is None] == ["not_initialized"]
    with open_token(module) as token:
        assert token.label == "BELPIC"


def test_the_test_pki_is_rebuilt_identical_from_the_manifest(
    virtual_card: VirtualCard, token: Token
) -> None:
    pki = virtual_card.pki()
    assert token.certificate(Role.ROOT).certificate == pki.root.certificate
    assert token.certificate(Role.CA).certificate == pki.citizen_ca.certificate
    stored = (virtual_card.directory / "pki" / "root.pem").read_bytes()
    assert stored == pki.root.cert_pem()
    assert virtual_card.pki_base_url.startswith("http://127.0.0.1:")
    # Below the kernel's ephemeral range: no "any port" server is given it later.
    assert 20000 <= int(virtual_card.pki_base_url.rsplit(":", 1)[1]) < 32000
    # The manifest holds the PKI seed: it is readable by its owner only.
    assert (virtual_card.directory / "card.json").stat().st_mode & 0o077 == 0
