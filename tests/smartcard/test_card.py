"""The card's life in the reader: removal mid-session, re-insertion, empty reader, no pcscd, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from eid.errors import CardRemoved, NoCard, NoReader, UnknownCard
from eid.pki.testpki import TestPKI
from eid.tokens import Role, list_slots, open_token

from ..conftest import NOW
from .conftest import Backend, opensc, reinitialize_opensc, wait_for_card
from .emulator import write_card
from .stack import OPENSC, READER

pytestmark = pytest.mark.smartcard

T = TypeVar("T")


def within(seconds: float, call: Callable[[], T]) -> T:
    """Run ``call`` in a thread; fail (rather than hang the suite) when it takes too long."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(("value", call()))
        except BaseException as error:  # handed back to the test
            outcome.append(("error", error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the call did not return within {seconds} s (a hang)")
    kind, value = outcome[0]  # type: ignore[misc]
    if kind == "error":
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]


@pytest.mark.parametrize("call", ["sign", "sign-signature", "info", "login"])
def test_card_removed_mid_session_then_reinserted(card: Backend, call: str) -> None:
    token = card.open()
    if call == "login":
        assert token.certificates()  # a session in use, not logged in yet
    else:
        token.sign(b"before")  # logged in, key found
    assert card.stack is not None
    card.stack.remove()  # the emulator stops: the card leaves the reader
    calls: dict[str, Callable[[], object]] = {
        "sign": lambda: token.sign(b"after"),
        "sign-signature": lambda: token.sign(b"after", key=Role.SIGNATURE),
        "info": lambda: token.info,
        "login": token.login,
    }
    if call == "info":
        # Reading the token's information sends nothing that fails: until pcscd's next poll
        # (0.4 s) OpenSC answers from what it knew. Once the reader tells, so must `info`.
        wait_for_card(False)
    with pytest.raises(CardRemoved):
        within(10, calls[call])
    with pytest.raises(CardRemoved):  # and it stays removed, not a crash
        within(10, lambda: token.sign(b"again"))
    token.close()
    wait_for_card(False)
    with pytest.raises(NoCard):
        open_token(opensc())
    card.insert()  # the same card again
    with card.open() as again:
        assert again.sign(b"after re-insertion")
        assert again.info.slot_description == READER


def test_empty_reader_gives_no_card(card: Backend) -> None:
    card.remove()
    try:
        with pytest.raises(NoCard) as raised:
            open_token(opensc())
        assert "2 reader(s)" in raised.value.message  # vpcd's two readers
        assert raised.value.exit_code == 3
    finally:
        card.insert()


def test_a_card_no_driver_knows_gives_unknown_card(card: Backend, tmp_path: Path) -> None:
    """A card in the reader with no application OpenSC knows: `unknown_card`, not `no_card`."""
    assert card.stack is not None
    card.remove()
    try:
        card.stack.insert(write_card(tmp_path / "blank", {}, pin="000000", blank=True))
        deadline = time.monotonic() + 15
        while True:
            slots = {s.description: s for s in list_slots(opensc())}
            if slots[READER].problem == "unknown_card" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert slots[READER].problem == "unknown_card"
        with pytest.raises(UnknownCard) as raised:
            open_token(opensc())
        assert (raised.value.code, raised.value.exit_code) == ("unknown_card", 3)
    finally:
        card.stack.remove()
        wait_for_card(False)
        card.insert()


def test_no_pcscd_gives_no_reader(card: Backend) -> None:
    assert card.stack is not None
    card.stack.stop_pcscd()
    try:
        # OpenSC keeps the slots of readers it has seen (they would say NoCard); a process
        # that never saw pcscd, or a re-initialised module, sees no reader at all.
        reinitialize_opensc()
        with pytest.raises(NoReader):
            open_token(opensc())
    finally:
        card.stack.start_pcscd()
        card.insert()


def _eid(*args: str, pin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EID_PIN": pin, "EID_HOME": "/nonexistent"}
    env.pop("EID_PKCS11_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "eid", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_tokens_and_certs(card: Backend, tmp_path: Path) -> None:
    listed = _eid("tokens", "--module", str(OPENSC), "--json")
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)["modules"]
    slots = {s["description"]: s for s in entry["slots"]}
    token = slots[READER]["token"]
    assert token["manufacturer"] == "piv_II"
    assert token["pin_state"] == "ok"
    assert slots["Virtual PCD 00 01"]["token"] is None

    certs = _eid("certs", "--module", str(OPENSC), "--json", "--export", str(tmp_path))
    assert certs.returncode == 0, certs.stderr
    found = {c["role"]: c for c in json.loads(certs.stdout)["certificates"]}
    for role in (Role.AUTHENTICATION, Role.SIGNATURE):
        assert found[role.value]["subject"].startswith("serialNumber=85073003427")
        assert Path(found[role.value]["exported"]).is_file()


def test_cli_no_card_exit_code(card: Backend) -> None:
    card.remove()
    try:
        result = _eid("certs", "--module", str(OPENSC), "--json")
        assert result.returncode == 3
        assert json.loads(result.stdout or result.stderr)["error"]["code"] == "no_card"
    finally:
        card.insert()


def test_cli_sign_on_the_card_and_verify(card: Backend, tmp_path: Path) -> None:
    """eid sign with the card's 9C key (PIN before the signature), checked with eid verify."""
    letter = tmp_path / "letter.txt"
    letter.write_text("signed on a card behind pcscd\n")
    signed = _eid("sign", str(letter), "--module", str(OPENSC), "--json", pin=card.pin)
    assert signed.returncode == 0, signed.stdout + signed.stderr
    (output,) = json.loads(signed.stdout)["outputs"]
    assert output["format"] == "cades-detached"
    kind = card.name.split("-")[1]
    pki = TestPKI.create(
        key_kind="ec" if kind == "ec" else "rsa", seed=f"piv-{kind}".encode(), now=NOW
    )
    trust = tmp_path / "trust.pem"
    trust.write_bytes(pki.root.cert_pem() + pki.citizen_ca.cert_pem())
    checked = _eid(
        "verify", output["output"], "--detached", str(letter), "--trust", str(trust),
        "--revocation", "off", "--json",
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout
    (report,) = json.loads(checked.stdout)["signatures"]
    assert report["indication"] == "TOTAL_PASSED"
    assert report["signer"]["national_number"] == "85073003427"
