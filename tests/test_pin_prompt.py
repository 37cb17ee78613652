"""The command line's PIN for a real token: EID_PIN, else a hidden prompt, else pin_cancelled.

The virtual card has its own test PIN; opened through an explicit --module it is an
ordinary token, so the command line asks for the PIN as it would for a card.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from eid.tokens.virtual import VirtualCard

from .cli_support import as_json, eid


def _env(virtual_card: VirtualCard, home: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("EID_PIN", "EID_PKCS11_MODULE")}
    environment.update({"EID_HOME": str(home), "SOFTHSM2_CONF": str(virtual_card.config)})
    return environment


def test_no_pin_and_no_terminal_is_pin_cancelled(virtual_card: VirtualCard, tmp_path: Path) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text("x\n")
    module = str(virtual_card.module().path)
    result = eid(
        "sign", str(letter), "--module", module, "--json", home=tmp_path,
        env={"SOFTHSM2_CONF": str(virtual_card.config)},
    )  # fmt: skip
    assert (result.returncode, as_json(result)["error"]["code"]) == (3, "pin_cancelled")
    assert not (tmp_path / "letter.txt.p7s").exists()


def test_the_pin_is_asked_on_the_terminal_and_not_echoed(
    virtual_card: VirtualCard, tmp_path: Path
) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text("x\n")
    module = str(virtual_card.module().path)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "eid", "sign", str(letter), "--module", module],
        stdin=terminal, stdout=terminal, stderr=terminal,
        env=_env(virtual_card, tmp_path), close_fds=True,
    )  # fmt: skip
    os.close(terminal)
    seen = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the terminal closed: the command ended
                    break
                seen += chunk
            if not answered and b"PIN of BELPIC" in seen:
                os.write(controller, b"1234\n")
                answered = True
            if process.poll() is not None and not ready:
                break
        assert process.wait(timeout=10) == 0, seen.decode(errors="replace")
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
    assert answered, seen.decode(errors="replace")
    assert b"1234" not in seen  # the typed PIN is not echoed
    assert (tmp_path / "letter.txt.p7s").stat().st_size > 0
