"""A PIV card (NIST SP 800-73-4) emulated in Python, inserted in vsmartcard's virtual reader.

vpcd (the pcscd driver of vsmartcard) listens on TCP; the card connects to it as a client.
Every message is a 2-byte big-endian length and a payload: a 1-byte payload is a control
(0 power off, 1 power on, 2 reset, 4 ATR, which the card answers with its ATR), anything
else is a command APDU, which the card answers with a response APDU.

The card holds what ``write_card`` puts in a directory: a ``card.json`` (PIN, PUK, tries,
GUID) and, per slot, ``<slot>.key.pem`` and ``<slot>.crt.der``. Slots: 9A (PIV
authentication, PIN once per session), 9C (digital signature, PIN right before every
signature), 9D, 9E. Keys: RSA-2048 and EC P-256/P-384.

APDUs: SELECT (the PIV application), GET DATA (discovery object, CHUID, CCC, certificates),
VERIFY (the PIV application PIN 80: 3 tries, blocked after; an empty VERIFY tells the tries
left; P1=FF logs out), GENERAL AUTHENTICATE (signature: raw RSA, ECDSA), GET RESPONSE (for
replies longer than Le), command chaining (CLA bit 0x10), short and extended lengths.

Run as ``python -m tests.smartcard.emulator DIR [--port 35963]``: it connects to vpcd on
127.0.0.1 (waiting until vpcd listens), and reconnects when vpcd drops the connection.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

log = logging.getLogger("piv-emulator")

VPCD_PORT = 35963
PIV_AID = bytes.fromhex("A000000308000010000100")
# 3B 8A 80 01 + historical bytes "eid-PIV-em" + TCK: T=0 and T=1, no card other than PIV claims it.
_HISTORY = b"eid-PIV-em"
_ATR_BODY = bytes([0x3B, 0x80 | len(_HISTORY), 0x80, 0x01]) + _HISTORY


def _tck(body: bytes) -> int:
    value = 0
    for byte in body[1:]:
        value ^= byte
    return value


ATR = _ATR_BODY + bytes([_tck(_ATR_BODY)])

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY = b"\x69\x82"
SW_BLOCKED = b"\x69\x83"
SW_CONDITIONS = b"\x69\x85"
SW_WRONG_DATA = b"\x6a\x80"
SW_NOT_FOUND = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_REF_NOT_FOUND = b"\x6a\x88"
SW_INS = b"\x6d\x00"
SW_CLA = b"\x6e\x00"

# PIV algorithm identifiers (SP 800-78-4 table 6-2).
ALG_RSA_2048 = 0x07
ALG_ECC_P256 = 0x11
ALG_ECC_P384 = 0x14

# Certificate container tags by key reference (SP 800-73-4 part 1, table 3).
CERT_TAGS = {
    0x9A: bytes.fromhex("5FC105"),
    0x9C: bytes.fromhex("5FC10A"),
    0x9D: bytes.fromhex("5FC10B"),
    0x9E: bytes.fromhex("5FC101"),
}
CHUID_TAG = bytes.fromhex("5FC102")
DISCOVERY_TAG = bytes.fromhex("7E")
PIN_REF = 0x80
PUK_REF = 0x81


def tlv(tag: bytes | int, value: bytes) -> bytes:
    """BER-TLV with a definite length."""
    tag_bytes = bytes([tag]) if isinstance(tag, int) else tag
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return tag_bytes + length + value


def parse_tlv(data: bytes) -> list[tuple[bytes, bytes]]:
    """A flat list of (tag, value) from BER-TLV (multi-byte tags and lengths)."""
    items = []
    i = 0
    while i < len(data):
        start = i
        i += 1
        if data[start] & 0x1F == 0x1F:
            while data[i] & 0x80:
                i += 1
            i += 1
        tag = data[start:i]
        length = data[i]
        i += 1
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[i : i + count], "big")
            i += count
        items.append((tag, data[i : i + length]))
        i += length
    return items


@dataclass
class Slot:
    """A key reference with its key and certificate."""

    reference: int
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: bytes

    @property
    def algorithm(self) -> int:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return ALG_RSA_2048
        return ALG_ECC_P256 if self.key.curve.key_size == 256 else ALG_ECC_P384

    def sign(self, challenge: bytes) -> bytes:
        """Raw RSA on a padded block, or ECDSA (DER) on a digest."""
        if isinstance(self.key, rsa.RSAPrivateKey):
            numbers = self.key.private_numbers()
            n = numbers.public_numbers.n
            size = (n.bit_length() + 7) // 8
            if len(challenge) != size:
                raise ValueError("RSA input must be as long as the modulus")
            value = int.from_bytes(challenge, "big")
            if value >= n:
                raise ValueError("RSA input out of range")
            # CRT: m1 = c^dP mod p, m2 = c^dQ mod q, h = qInv (m1 - m2) mod p.
            m1 = pow(value, numbers.dmp1, numbers.p)
            m2 = pow(value, numbers.dmq1, numbers.q)
            h = (numbers.iqmp * (m1 - m2)) % numbers.p
            return (m2 + h * numbers.q).to_bytes(size, "big")
        digest = _DIGESTS.get(len(challenge))
        if digest is None:
            raise ValueError(f"no ECDSA digest of {len(challenge)} bytes")
        return self.key.sign(challenge, ec.ECDSA(Prehashed(digest)))


_DIGESTS: dict[int, hashes.HashAlgorithm] = {
    20: hashes.SHA1(),
    28: hashes.SHA224(),
    32: hashes.SHA256(),
    48: hashes.SHA384(),
    64: hashes.SHA512(),
}


@dataclass
class PivCard:
    """The card's state: objects, PIN counter and security status."""

    slots: dict[int, Slot]
    pin: bytes
    puk: bytes
    guid: bytes
    max_tries: int = 3
    tries_left: int = 3
    puk_tries_left: int = 3
    selected: bool = False
    pin_verified: bool = False
    # The digital-signature key (9C) needs a VERIFY right before each signature.
    signature_allowed: bool = False
    _chain: bytes = b""
    _chain_header: bytes = b""
    _pending: bytes = b""
    objects: dict[bytes, bytes] = field(default_factory=dict)
    blank: bool = False

    @classmethod
    def load(cls, directory: Path) -> PivCard:
        config = json.loads((directory / "card.json").read_text())
        slots = {}
        for name in ("9a", "9c", "9d", "9e"):
            key_file = directory / f"{name}.key.pem"
            if key_file.exists():
                key = serialization.load_pem_private_key(key_file.read_bytes(), None)
                assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
                certificate = (directory / f"{name}.crt.der").read_bytes()
                slots[int(name, 16)] = Slot(int(name, 16), key, certificate)
        card = cls(
            slots=slots,
            pin=_pad_pin(config["pin"]),
            puk=_pad_pin(config["puk"]),
            guid=bytes.fromhex(config["guid"]),
            max_tries=config.get("tries", 3),
            tries_left=config.get("tries", 3),
            blank=config.get("blank", False),
        )
        card._build_objects()
        return card

    def _build_objects(self) -> None:
        # Discovery object: the PIV AID and the PIN usage policy (application PIN only).
        self.objects[DISCOVERY_TAG] = tlv(
            0x7E, tlv(0x4F, PIV_AID) + tlv(bytes.fromhex("5F2F"), b"\x40\x00")
        )
        fasc_n = bytes.fromhex("D4E739DA739CED39CE739D836858210842108421C84210C3EB")
        chuid = (
            tlv(0x30, fasc_n)
            + tlv(0x34, self.guid)
            + tlv(0x35, b"20991231")
            + tlv(0x3E, b"")
            + tlv(0xFE, b"")
        )
        self.objects[CHUID_TAG] = tlv(0x53, chuid)
        for reference, slot in self.slots.items():
            body = tlv(0x70, slot.certificate) + tlv(0x71, b"\x00") + tlv(0xFE, b"")
            self.objects[CERT_TAGS[reference]] = tlv(0x53, body)

    # -- transport ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Power off, on or reset: the security status and any pending exchange are gone."""
        self.selected = self.pin_verified = self.signature_allowed = False
        self._chain = self._chain_header = self._pending = b""

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU."""
        try:
            cla, ins, p1, p2, data, le = _parse(apdu)
        except ValueError:
            return SW_WRONG_LENGTH
        if ins == 0xC0:  # GET RESPONSE
            return self._respond(self._pending, le)
        self._pending = b""
        if cla & 0x10:  # command chaining: more blocks follow
            header = bytes([cla & ~0x10, ins, p1, p2])
            if self._chain and header != self._chain_header:
                self._chain = b""
            self._chain_header = header
            self._chain += data
            return SW_OK
        if self._chain:
            if bytes([cla, ins, p1, p2]) == self._chain_header:
                data = self._chain + data
            self._chain = self._chain_header = b""
        if cla & 0xE0 not in (0x00,):
            return SW_CLA
        handler = {
            0xA4: self._select,
            0xCB: self._get_data,
            0x20: self._verify,
            0x87: self._general_authenticate,
            0x2C: self._reset_retry_counter,
        }.get(ins)
        if handler is None:
            return SW_INS
        body, status = handler(p1, p2, data)
        if status != SW_OK:
            return status
        return self._respond(body, le)

    def _respond(self, body: bytes, le: int) -> bytes:
        size = le or 256
        if len(body) <= size:
            self._pending = b""
            return body + SW_OK
        self._pending = body[size:]
        return body[:size] + bytes([0x61, min(len(self._pending), 256) & 0xFF])

    # -- commands ----------------------------------------------------------------------------

    def _select(self, p1: int, p2: int, data: bytes) -> tuple[bytes, bytes]:
        if self.blank or p1 != 0x04 or not data or not PIV_AID.startswith(data):
            self.selected = False
            return b"", SW_NOT_FOUND
        if not self.selected:
            self.pin_verified = self.signature_allowed = False
        self.selected = True
        template = (
            tlv(0x4F, PIV_AID[5:])
            + tlv(0x79, tlv(0x4F, PIV_AID[:5]))
            + tlv(0x50, b"eid PIV emulator")
            + tlv(
                0xAC,
                tlv(0x80, bytes([ALG_RSA_2048]))
                + tlv(0x80, bytes([ALG_ECC_P256]))
                + tlv(0x80, bytes([ALG_ECC_P384]))
                + tlv(0x06, b"\x00"),
            )
        )
        return tlv(0x61, template), SW_OK

    def _get_data(self, p1: int, p2: int, data: bytes) -> tuple[bytes, bytes]:
        if not self.selected:
            return b"", SW_CONDITIONS
        if (p1, p2) != (0x3F, 0xFF):
            return b"", SW_WRONG_P1P2
        items = parse_tlv(data)
        if len(items) != 1 or items[0][0] != b"\x5c":
            return b"", SW_WRONG_DATA
        value = self.objects.get(items[0][1])
        if value is None:
            return b"", SW_NOT_FOUND
        return value, SW_OK

    def _status(self) -> bytes:
        if self.tries_left == 0:
            return SW_BLOCKED
        return bytes([0x63, 0xC0 | self.tries_left])

    def _verify(self, p1: int, p2: int, data: bytes) -> tuple[bytes, bytes]:
        if p2 != PIN_REF:
            return b"", SW_REF_NOT_FOUND
        if p1 == 0xFF:  # reset the security status
            self.pin_verified = self.signature_allowed = False
            return b"", SW_OK
        if p1 != 0x00:
            return b"", SW_WRONG_P1P2
        if not data:  # how many tries are left
            if self.pin_verified and self.tries_left:
                return b"", SW_OK
            return b"", self._status()
        if self.tries_left == 0:
            return b"", SW_BLOCKED
        if len(data) != 8:
            return b"", SW_WRONG_DATA
        if data != self.pin:
            self.tries_left -= 1
            self.pin_verified = self.signature_allowed = False
            log.info("wrong PIN, %d tries left", self.tries_left)
            return b"", self._status()
        self.tries_left = self.max_tries
        self.pin_verified = self.signature_allowed = True
        return b"", SW_OK

    def _reset_retry_counter(self, p1: int, p2: int, data: bytes) -> tuple[bytes, bytes]:
        if p1 != 0x00 or p2 != PIN_REF:
            return b"", SW_WRONG_P1P2
        if len(data) != 16:
            return b"", SW_WRONG_DATA
        if self.puk_tries_left == 0:
            return b"", SW_BLOCKED
        if data[:8] != self.puk:
            self.puk_tries_left -= 1
            return b"", bytes([0x63, 0xC0 | self.puk_tries_left])
        self.puk_tries_left = 3
        self.pin = data[8:]
        self.tries_left = self.max_tries
        return b"", SW_OK

    def _general_authenticate(self, p1: int, p2: int, data: bytes) -> tuple[bytes, bytes]:
        slot = self.slots.get(p2)
        if slot is None:
            return b"", SW_REF_NOT_FOUND
        if p1 != slot.algorithm:
            return b"", SW_WRONG_P1P2
        template = parse_tlv(data)
        if len(template) != 1 or template[0][0] != b"\x7c":
            return b"", SW_WRONG_DATA
        fields = dict(parse_tlv(template[0][1]))
        challenge = fields.get(b"\x81")
        if b"\x82" not in fields or not challenge:
            return b"", SW_WRONG_DATA
        if p2 == 0x9C:
            if not self.signature_allowed:
                return b"", SW_SECURITY
            self.signature_allowed = False
        elif not self.pin_verified:
            return b"", SW_SECURITY
        try:
            signature = slot.sign(challenge)
        except ValueError as error:
            log.info("GENERAL AUTHENTICATE refused: %s", error)
            return b"", SW_WRONG_DATA
        return tlv(0x7C, tlv(0x82, signature)), SW_OK


def _pad_pin(pin: str) -> bytes:
    raw = pin.encode("ascii")
    if not 6 <= len(raw) <= 8:
        raise ValueError("a PIV PIN has 6 to 8 characters")
    return raw + b"\xff" * (8 - len(raw))


def _parse(apdu: bytes) -> tuple[int, int, int, int, bytes, int]:
    """CLA, INS, P1, P2, data and Le (0 for "as much as there is") of a short or extended APDU."""
    if len(apdu) < 4:
        raise ValueError("short APDU")
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    if not body:
        return cla, ins, p1, p2, b"", 0
    if len(body) == 1:
        return cla, ins, p1, p2, b"", body[0]
    if body[0] == 0 and len(body) >= 3:  # extended length
        if len(body) == 3:
            return cla, ins, p1, p2, b"", int.from_bytes(body[1:3], "big")
        lc = int.from_bytes(body[1:3], "big")
        data = body[3 : 3 + lc]
        rest = body[3 + lc :]
        if len(data) != lc or len(rest) not in (0, 2):
            raise ValueError("bad extended APDU")
        le = int.from_bytes(rest, "big") if rest else 0
        return cla, ins, p1, p2, data, le
    lc = body[0]
    data = body[1 : 1 + lc]
    rest = body[1 + lc :]
    if len(data) != lc or len(rest) > 1:
        raise ValueError("bad short APDU")
    return cla, ins, p1, p2, data, rest[0] if rest else 0


# -- writing a card and running it ------------------------------------------------------------


def write_card(
    directory: Path,
    slots: dict[int, tuple[rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, x509.Certificate]],
    *,
    pin: str,
    puk: str = "12345678",
    guid: bytes | None = None,
    tries: int = 3,
    blank: bool = False,
) -> Path:
    """Write the card's files into ``directory`` (keys unencrypted: test material only).

    A ``blank`` card answers reset but holds no application: no driver recognises it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for reference, (key, certificate) in slots.items():
        name = f"{reference:02x}"
        (directory / f"{name}.key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (directory / f"{name}.crt.der").write_bytes(
            certificate.public_bytes(serialization.Encoding.DER)
        )
    config = {
        "pin": pin,
        "puk": puk,
        "guid": (guid or os.urandom(16)).hex(),
        "tries": tries,
        "blank": blank,
    }
    (directory / "card.json").write_text(json.dumps(config))
    return directory


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        _quickack(sock)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        data += chunk
    return data


def _quickack(sock: socket.socket) -> None:
    # Linux leaves quick-ack mode on its own: set it before every read, or vpcd's length
    # and body (two writes under Nagle) wait ~40 ms for a delayed ACK on every APDU.
    if hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


def serve(card: PivCard, host: str, port: int) -> None:
    """Connect to vpcd (waiting for it) and answer it until the process is stopped."""
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=1)
        except OSError:
            time.sleep(0.05)
            continue
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _quickack(sock)
        log.info("connected to vpcd at %s:%d", host, port)
        card.reset()
        try:
            while True:
                (size,) = struct.unpack(">H", _recv_exact(sock, 2))
                message = _recv_exact(sock, size)
                _quickack(sock)
                if size == 1:
                    if message[0] == 0x04:
                        reply = ATR
                    else:  # 0 power off, 1 power on, 2 reset
                        card.reset()
                        continue
                else:
                    reply = card.process(message)
                    log.debug("> %s\n< %s", message.hex(), reply.hex())
                sock.sendall(struct.pack(">H", len(reply)) + reply)
        except (ConnectionError, OSError) as error:
            log.info("vpcd connection lost: %s", error)
        finally:
            sock.close()
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path, help="the card's files (see write_card)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=VPCD_PORT)
    parser.add_argument("--verbose", "-v", action="store_true", help="log every APDU")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s piv-emulator %(message)s",
    )
    card = PivCard.load(args.directory)
    with contextlib.suppress(KeyboardInterrupt):
        serve(card, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
