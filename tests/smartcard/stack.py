"""pcscd + vsmartcard-vpcd + the PIV emulator, started and stopped by PID.

pcscd 1.9 always listens on ``/run/pcscd/pcscd.comm``: there is one stack per machine, so
the stack refuses to start while another pcscd runs. vpcd listens on every interface, so
pcscd runs in a private network namespace (``unshare -n``, only loopback up) and the
emulator joins that namespace (``nsenter --net=/proc/<pcscd>/ns/net``): nothing is reachable
from outside. Our process talks to pcscd over its unix socket, which is not in the
network namespace.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
OPENSC = Path(f"/usr/lib/{sysconfig.get_config_var('MULTIARCH')}/opensc-pkcs11.so")
EMULATOR = Path(__file__).resolve().parent / "emulator.py"
VPCD_PORT = 35963
READER = "Virtual PCD 00 00"
PACKAGES = "pcscd opensc opensc-pkcs11 vsmartcard-vpcd"

# 0x8C7B is 35963: vpcd's first reader listens on this port, the second on the next one.
READER_CONF = f"""FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x{VPCD_PORT:04X}
LIBPATH      {VPCD_DRIVER}
CHANNELID    0x{VPCD_PORT:04X}
"""


class StackUnavailable(Exception):
    """The stack cannot run here (a reason to skip, not a failure)."""


class StackBroken(Exception):
    """The stack should run here but does not (a failure)."""


def _pcscd_running() -> str | None:
    """Who holds pcscd's socket, if anyone: a description, or None when it is free."""
    if not PCSCD_SOCKET.exists():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(PCSCD_SOCKET))
        except OSError:
            return None  # a stale socket: pcscd removes it when it starts
    pid = Path("/run/pcscd/pcscd.pid")
    number = (
        "".join(ch for ch in pid.read_text(errors="replace") if ch.isdigit())
        if pid.exists()
        else ""
    )
    return f"pid {number}" if number else "unknown pid"


def check_available() -> None:
    """Raise `StackUnavailable` (skip) or `StackBroken` (fail) when the stack cannot start."""
    if not sys.platform.startswith("linux"):
        raise StackUnavailable("the smart-card tier needs Linux (pcscd, network namespaces)")
    if os.geteuid() != 0:
        raise StackUnavailable(
            "not root: pcscd needs root for /run/pcscd, and vpcd (which listens on every "
            "interface) must run in a private network namespace (unshare -n), which needs root"
        )
    missing = [
        name
        for name, present in (
            ("pcscd", shutil.which("pcscd")),
            ("unshare", shutil.which("unshare")),
            ("nsenter", shutil.which("nsenter")),
            ("ip", shutil.which("ip")),
            (str(VPCD_DRIVER), VPCD_DRIVER.is_file()),
            (str(OPENSC), OPENSC.is_file()),
        )
        if not present
    ]
    if missing:
        raise StackBroken(
            f"missing {', '.join(missing)}: run `make test`, which installs {PACKAGES}"
        )
    other = _pcscd_running()
    if other:
        raise StackUnavailable(
            f"another pcscd ({other}) holds {PCSCD_SOCKET}; pcscd 1.9 has one socket per "
            "machine, so the smart-card tier needs it stopped"
        )


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise StackBroken(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class Stack:
    """pcscd (in its own network namespace) and at most one emulated card in vpcd's reader."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pcscd: subprocess.Popen[bytes] | None = None
        self.emulator: subprocess.Popen[bytes] | None = None
        self.card: Path | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "reader.conf").write_text(READER_CONF)

    @property
    def running(self) -> bool:
        return self.pcscd is not None and self.pcscd.poll() is None

    def start_pcscd(self) -> None:
        """Start pcscd in a new network namespace with only loopback up."""
        if self.running:
            return
        check_available()
        log = (self.workdir / "pcscd.log").open("ab")
        # unshare execs sh, which execs pcscd: the PID we hold is pcscd's.
        self.pcscd = subprocess.Popen(
            [
                "unshare",
                "--net",
                "--",
                "sh",
                "-c",
                'ip link set lo up && exec pcscd --foreground --config "$0"',
                str(self.workdir / "reader.conf"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        try:
            _wait(
                lambda: (
                    self.pcscd is not None
                    and (self.pcscd.poll() is not None or _pcscd_running() is not None)
                ),
                10,
                "pcscd to listen",
            )
        except StackBroken:
            self.stop_pcscd()
            raise
        if self.pcscd.poll() is not None:
            self.pcscd = None
            raise StackBroken(f"pcscd exited at once; see {self.workdir / 'pcscd.log'}")

    def stop_pcscd(self) -> None:
        """Stop the emulator and pcscd (by PID) and wait until pcscd's socket is gone."""
        self.remove()
        _stop(self.pcscd)
        self.pcscd = None
        _wait(lambda: _pcscd_running() is None, 5, "pcscd to release its socket")

    def insert(self, card: Path) -> None:
        """Start the emulator with the card in ``card`` (see `emulator.write_card`)."""
        self.remove()
        self.start_pcscd()
        assert self.pcscd is not None
        log = (self.workdir / "emulator.log").open("ab")
        self.emulator = subprocess.Popen(
            [
                "nsenter",
                f"--net=/proc/{self.pcscd.pid}/ns/net",
                "--",
                sys.executable,
                str(EMULATOR),
                str(card),
                "--port",
                str(VPCD_PORT),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self.card = card

    def remove(self) -> None:
        """Stop the emulator (the card leaves the reader)."""
        _stop(self.emulator)
        self.emulator = None
        self.card = None

    def close(self) -> None:
        """Stop everything this stack started."""
        self.stop_pcscd()
