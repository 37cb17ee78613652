"""Ctrl-C through the real `eid` entry point: exit 130 with one line, files and terminal intact.

`eid sign` on the virtual card opened through --module asks the PIN as for a real card, in
the worker thread that holds the token; SIGINT is sent while it waits at that prompt.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eid.cli.interrupt import INTERRUPTED_EXIT
from eid.tokens.virtual import VirtualCard


@contextmanager
def _signing_at_the_prompt(
    virtual_card: VirtualCard, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`eid sign` on a terminal of its own, once it shows the PIN prompt: (process, terminal)."""
    letter = tmp_path / "letter.txt"
    letter.write_text("x\n")
    environment = {k: v for k, v in os.environ.items() if k not in ("EID_PIN", "EID_PKCS11_MODULE")}
    environment.update({"EID_HOME": str(tmp_path), "SOFTHSM2_CONF": str(virtual_card.config)})
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "eid", "sign", str(letter), "--module",
         str(virtual_card.module().path)],
        stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=environment, start_new_session=True,
    )  # fmt: skip
    assert process.stderr is not None
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"PIN of BELPIC: " not in seen:
            assert time.monotonic() < deadline, seen
            assert process.poll() is None, seen
            ready, _, _ = select.select([process.stderr], [], [], 0.2)
            if ready:
                seen += os.read(process.stderr.fileno(), 4096)
        yield process, controller
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        os.close(controller)
        os.close(terminal)


def test_ctrl_c_at_the_pin_prompt_exits_130(virtual_card: VirtualCard, tmp_path: Path) -> None:
    with _signing_at_the_prompt(virtual_card, tmp_path) as (process, terminal):
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
        assert process.returncode == INTERRUPTED_EXIT, stderr
        assert termios.tcgetattr(terminal)[3] & termios.ECHO  # echo is back on
    assert stdout == b""
    assert stderr.decode().strip().splitlines()[-1] == "eid: interrupted"
    assert b"Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letter.txt"]  # no output, no leftovers


def test_end_of_input_at_the_pin_prompt_is_pin_cancelled(
    virtual_card: VirtualCard, tmp_path: Path
) -> None:
    with _signing_at_the_prompt(virtual_card, tmp_path) as (process, terminal):
        os.write(terminal, b"\x04")  # Ctrl-D on an empty line: the terminal says end of input
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 3, stderr
    assert b"eid: pin_cancelled:" in stderr
    assert not (tmp_path / "letter.txt.p7s").exists()
