"""eid.tokens on a real SoftHSM2 token: the virtual eID, RSA and EC."""

from __future__ import annotations

import logging
import struct
import threading
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pkcs11 import Attribute, ObjectClass

from eid.errors import (
    KeyNotFound,
    MalformedInput,
    NoModule,
    NoReader,
    PinCancelled,
    PinIncorrect,
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


def verify(token: Token, role: Role, signature: bytes, data: bytes, *, pss: bool = False) -> None:
    """Verify with the certificate's public key; raises InvalidSignature on a bad signature."""
    public = token.certificate(role).certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        pad = (
            padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
            if pss
            else padding.PKCS1v15()
        )
        public.verify(signature, data, pad, hashes.SHA256())
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))


class CountingPin:
    """A PIN provider that counts how often it is asked."""

    def __init__(self, pin: str) -> None:
        self.pin = pin
        self.requests: list[PinRequest] = []

    def __call__(self, request: PinRequest, /) -> str:
        self.requests.append(request)
        return self.pin


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


@pytest.mark.parametrize("role", [Role.AUTHENTICATION, Role.SIGNATURE])
def test_sign_with_each_key(token: Token, role: Role) -> None:
    data = b"to be signed"
    verify(token, role, token.sign(data, key=role), data)


def test_rsa_pss_and_ecdsa_raw_format(token: Token) -> None:
    data = b"pss or raw"
    public = token.certificate(Role.AUTHENTICATION).certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        verify(token, Role.AUTHENTICATION, token.sign(data, padding="pss"), data, pss=True)
    else:
        raw = token.sign(data, ecdsa_format="raw")
        assert len(raw) == 96  # r || s for P-384
        der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
        verify(token, Role.AUTHENTICATION, der, data)


def test_sign_digest(token: Token) -> None:
    data = b"hashed elsewhere"
    hasher = hashes.Hash(hashes.SHA256())
    hasher.update(data)
    verify(token, Role.AUTHENTICATION, token.sign_digest(hasher.finalize()), data)
    with pytest.raises(MalformedInput):
        token.sign_digest(b"short")


def test_signature_key_asks_the_pin_before_every_signature(virtual_card: VirtualCard) -> None:
    pin = CountingPin("1234")
    with virtual_card.open(pin_provider=pin) as token:
        for _ in range(3):
            token.sign(b"x", key=Role.SIGNATURE)
        assert [r.purpose for r in pin.requests] == ["login"] + [
            "a signature with the signature key"
        ] * 3
        token.sign(b"x", key=Role.AUTHENTICATION)
        token.sign(b"y", key=Role.AUTHENTICATION)
        assert len(pin.requests) == 4  # the authentication key needs the PIN once per session


def test_wrong_pin_is_refused_once_and_never_retried(
    virtual_card: VirtualCard, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pin = CountingPin("987654")
    with virtual_card.open(pin_provider=pin) as token:
        with pytest.raises(PinIncorrect) as raised:
            token.sign(b"x")
        assert len(pin.requests) == 1
        error = raised.value
        assert error.code == "pin_incorrect"
        assert error.exit_code == 3
        # No PIN in the message, the structured form, a repr, or the log.
        for text in (str(error), repr(error), str(error.to_dict()), repr(token), caplog.text):
            assert "987654" not in text
    with virtual_card.open() as token:  # the right PIN still works: nothing was locked
        verify(token, Role.AUTHENTICATION, token.sign(b"x"), b"x")


def test_wrong_pin_on_the_per_signature_check(virtual_card: VirtualCard) -> None:
    answers = iter(["1234", "000000"])
    with (
        virtual_card.open(pin_provider=lambda request: next(answers)) as token,
        pytest.raises(PinIncorrect),
    ):
        token.sign(b"x", key=Role.SIGNATURE)


def test_cancelled_pin(virtual_card: VirtualCard) -> None:
    def cancel(request: PinRequest) -> str:
        raise PinCancelled("no")

    with virtual_card.open(pin_provider=cancel) as token, pytest.raises(PinCancelled):
        token.sign(b"x")


def test_eight_threads_signing_on_one_token(token: Token) -> None:
    results: list[tuple[bytes, bytes]] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                data = f"thread {n} message {i}".encode()
                role = Role.SIGNATURE if i % 2 else Role.AUTHENTICATION
                results.append((data, token.sign(data, key=role)))
                verify(token, role, results[-1][1], data)
        except BaseException as error:  # collected and reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 40


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


def test_pkcs11_is_the_same_key_as_the_certificate(token: Token) -> None:
    """The private key behind each role belongs to that role's certificate."""
    for role in (Role.AUTHENTICATION, Role.SIGNATURE):
        data = role.value.encode()
        verify(token, role, token.sign(data, key=role), data)
    other = token.sign(b"a", key=Role.AUTHENTICATION)
    with pytest.raises(InvalidSignature):
        verify(token, Role.SIGNATURE, other, b"a")


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
    # The manifest holds the PKI seed: it is readable by its owner only.
    assert (virtual_card.directory / "card.json").stat().st_mode & 0o077 == 0
