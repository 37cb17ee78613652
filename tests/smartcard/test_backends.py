"""The token tests, run on every backend: SoftHSM2 and the emulated PIV card behind pcscd + OpenSC."""

from __future__ import annotations

import logging
import threading

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from eid.errors import PinIncorrect, PinLocked
from eid.tokens import PinRequest, PinState, Role, list_slots

from .conftest import Backend
from .stack import READER


def verify(
    backend: Backend, role: Role, signature: bytes, data: bytes, *, pss: bool = False
) -> None:
    """Verify with the issued certificate's public key; raises InvalidSignature."""
    public = backend.certificates[role].public_key()
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
    """A PIN provider that answers from a list (the last answer repeats) and records requests."""

    def __init__(self, *pins: str) -> None:
        self.pins = list(pins)
        self.requests: list[PinRequest] = []

    def __call__(self, request: PinRequest, /) -> str:
        self.requests.append(request)
        return self.pins[min(len(self.requests), len(self.pins)) - 1]


def test_list_slots_and_token_info(backend: Backend) -> None:
    with backend.open() as token:
        info = token.info
        assert info.pin_state is PinState.OK
        assert info.login_required
        assert not info.protected_authentication_path
        slots = [s for s in list_slots(token.module) if s.token and s.slot_id == info.slot_id]
        assert len(slots) == 1
        if backend.is_card:
            assert info.slot_description == READER
            assert info.manufacturer == "piv_II"  # OpenSC's PIV driver, not a generic one
        else:
            assert info.manufacturer == "SoftHSM project"


def test_certificates_by_role(backend: Backend) -> None:
    with backend.open() as token:
        for role in (Role.AUTHENTICATION, Role.SIGNATURE):
            assert token.certificate(role).certificate == backend.certificates[role]
        if backend.is_card:  # PIV labels; roles come from the key usage
            assert {c.label: c.role for c in token.certificates()} == {
                "Certificate for PIV Authentication": Role.AUTHENTICATION,
                "Certificate for Digital Signature": Role.SIGNATURE,
            }


@pytest.mark.parametrize("role", [Role.AUTHENTICATION, Role.SIGNATURE])
def test_sign_with_each_key(backend: Backend, role: Role) -> None:
    data = f"signed with the {role} key".encode()
    with backend.open() as token:
        verify(backend, role, token.sign(data, key=role), data)


def test_rsa_pss_ecdsa_raw_and_digest(backend: Backend) -> None:
    data = b"pss or raw"
    with backend.open() as token:
        public = backend.certificates[Role.AUTHENTICATION].public_key()
        if isinstance(public, rsa.RSAPublicKey):
            verify(backend, Role.AUTHENTICATION, token.sign(data, padding="pss"), data, pss=True)
        else:
            assert isinstance(public, ec.EllipticCurvePublicKey)
            size = (public.curve.key_size + 7) // 8
            raw = token.sign(data, ecdsa_format="raw")
            assert len(raw) == 2 * size
            r, s = int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
            verify(backend, Role.AUTHENTICATION, encode_dss_signature(r, s), data)
        hasher = hashes.Hash(hashes.SHA256())
        hasher.update(data)
        verify(
            backend, Role.SIGNATURE, token.sign_digest(hasher.finalize(), key=Role.SIGNATURE), data
        )


def test_each_key_is_the_one_of_its_certificate(backend: Backend) -> None:
    with backend.open() as token:
        other = token.sign(b"a", key=Role.AUTHENTICATION)
    with pytest.raises(InvalidSignature):
        verify(backend, Role.SIGNATURE, other, b"a")


def test_signature_key_asks_the_pin_before_every_signature(backend: Backend) -> None:
    pin = CountingPin(backend.pin)
    with backend.open(pin) as token:
        for _ in range(3):
            token.sign(b"x", key=Role.SIGNATURE)
        # The PIN typed to log in also allows the first signature (one entry, not two);
        # every later signature asks again.
        assert [r.purpose for r in pin.requests] == ["login"] + [
            "a signature with the signature key"
        ] * 2
        token.sign(b"x", key=Role.AUTHENTICATION)
        token.sign(b"y", key=Role.AUTHENTICATION)
        assert len(pin.requests) == 3  # the authentication key: once per session


def test_wrong_pin_is_refused_once_and_never_retried(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pin = CountingPin("987654")
    with backend.open(pin) as token, pytest.raises(PinIncorrect) as raised:
        token.sign(b"x")
    assert len(pin.requests) == 1
    error = raised.value
    assert (error.code, error.exit_code) == ("pin_incorrect", 3)
    # No PIN in the message, the structured form, a repr, or the log.
    for text in (str(error), repr(error), str(error.to_dict()), repr(token), caplog.text):
        assert "987654" not in text
    with backend.open() as token:  # the right PIN works (and resets a card's counter)
        verify(backend, Role.AUTHENTICATION, token.sign(b"x"), b"x")


def test_wrong_pin_on_the_per_signature_check(backend: Backend) -> None:
    pin = CountingPin(backend.pin, "000000")  # right to log in, wrong for the next signature
    with backend.open(pin) as token:
        token.sign(b"x", key=Role.SIGNATURE)  # the login's PIN allows this one
        with pytest.raises(PinIncorrect):
            token.sign(b"y", key=Role.SIGNATURE)
    assert len(pin.requests) == 2
    with backend.open() as token:
        verify(backend, Role.SIGNATURE, token.sign(b"x", key=Role.SIGNATURE), b"x")


def test_wrong_pin_counts_down_then_the_pin_locks(card: Backend) -> None:
    """PIV: 3 tries. OpenSC tells the final try and the lock (token flags), not the count before."""
    try:
        wrong = CountingPin("654321")
        with card.open(wrong) as token, pytest.raises(PinIncorrect) as first:
            token.sign(b"x")
        with card.open(wrong) as token:
            assert token.info.pin_state in (PinState.OK, PinState.COUNT_LOW)
            with pytest.raises(PinIncorrect) as second:
                token.sign(b"x")
            assert token.info.pin_state is PinState.FINAL_TRY
        assert first.value.tries_left is None  # the card said 2, OpenSC does not pass it on
        assert second.value.tries_left == 1
        assert "1 try left" in second.value.message
        with card.open(wrong) as token:
            with pytest.raises(PinLocked):
                token.sign(b"x")
            assert token.info.pin_state is PinState.LOCKED
            assert token.info.to_dict()["pin_tries_left"] == 0
        asked = len(wrong.requests)
        assert asked == 3
        right = CountingPin(card.pin)
        with card.open(right) as token, pytest.raises(PinLocked):
            token.sign(b"x")  # blocked: the PIN is not even asked
        assert right.requests == []
    finally:
        card.insert(fresh=True)  # a new card: the counter full again


def test_eight_threads_signing_on_one_token(backend: Backend) -> None:
    results: list[tuple[Role, bytes, bytes]] = []
    errors: list[BaseException] = []
    with backend.open() as token:

        def work(n: int) -> None:
            try:
                for i in range(4):
                    data = f"thread {n} message {i}".encode()
                    role = Role.SIGNATURE if i % 2 else Role.AUTHENTICATION
                    results.append((role, data, token.sign(data, key=role)))
            except BaseException as error:  # collected and reported below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert len(results) == 32
    for role, data, signature in results:
        verify(backend, role, signature, data)
