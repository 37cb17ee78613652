"""Ctrl-C on the command line: exit 130 with one line, after every worker has let go.

A PIN may be asked in a worker thread (signing keeps token calls off the event loop), where
Ctrl-C cannot reach it, and asyncio waits for that thread before it lets the interrupt
through. So the `eid` entry point takes SIGINT itself (`catch_interrupts`): it sets
`interrupted`, which the PIN prompt polls (`read_hidden`), and raises `KeyboardInterrupt`
in the main thread as Python does. The command group turns it into `exit_interrupted`.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import termios
import threading
from types import FrameType
from typing import NoReturn

import click

from eid.errors import PinCancelled

__all__ = [
    "INTERRUPTED_EXIT",
    "catch_interrupts",
    "exit_interrupted",
    "interrupted",
    "read_hidden",
]

INTERRUPTED_EXIT = 130
"""Exit code after Ctrl-C (SIGINT): 128 + the signal's number, as shells report it."""

interrupted = threading.Event()
"""Set once the user pressed Ctrl-C; prompts in any thread give up when they see it."""

_POLL_SECONDS = 0.1


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    interrupted.set()
    raise KeyboardInterrupt


def catch_interrupts() -> None:
    """Make Ctrl-C set `interrupted` and raise `KeyboardInterrupt` in the main thread."""
    signal.signal(signal.SIGINT, _on_sigint)


def exit_interrupted() -> NoReturn:
    """Say so in one line on stderr and exit with `INTERRUPTED_EXIT`."""
    click.echo("eid: interrupted", err=True)
    sys.exit(INTERRUPTED_EXIT)


def read_hidden(prompt: str) -> str:
    """A line typed on the terminal (standard input) without echo, after ``prompt`` on stderr.

    Raises `PinCancelled` when the terminal closes (Ctrl-D) or the command is `interrupted`,
    from whichever thread it is called; the terminal's echo is always restored.
    """
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    quiet = list(saved)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
    try:
        click.echo(prompt, nl=False, err=True)
        typed = b""
        while not typed.endswith(b"\n"):
            if interrupted.is_set():
                raise PinCancelled("the PIN prompt was interrupted")
            ready, _, _ = select.select([fd], [], [], _POLL_SECONDS)
            if ready:
                chunk = os.read(fd, 1024)
                if not chunk:
                    raise PinCancelled("no PIN was typed: the terminal closed")
                typed += chunk
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
        click.echo(err=True)
    return typed.decode(errors="replace").rstrip("\r\n")
