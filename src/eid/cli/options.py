"""Options shared by the commands that use a token."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from eid.cli.interrupt import read_hidden
from eid.errors import PinCancelled
from eid.tokens import PIN_ENV, PinRequest, Token, open_default

__all__ = ["open_cli_token", "prompt_pin", "token_options"]

F = TypeVar("F", bound=Callable[..., Any])


def token_options(function: F) -> F:
    """Add ``--module`` and ``--label`` to a command."""
    function = click.option(
        "--label", help="Label of the token to use (default: the first, BELPIC first)."
    )(function)
    return click.option(
        "--module",
        type=click.Path(dir_okay=False, path_type=Path),
        help="PKCS#11 module to load (default: $EID_PKCS11_MODULE, the eID middleware, OpenSC, the virtual card).",
    )(function)


def prompt_pin(request: PinRequest, /) -> str:
    """The PIN from ``EID_PIN``, else asked on the terminal (hidden); never echoed or logged."""
    pin = os.environ.get(PIN_ENV)
    if pin:
        return pin
    if not sys.stdin.isatty():
        raise PinCancelled(
            f"a PIN is needed for {request.purpose}; set {PIN_ENV} or run in a terminal"
        )
    hint = " (last try before the PIN is blocked)" if request.state.tries_left == 1 else ""
    # Not click.prompt: it may run in a worker thread, which Ctrl-C must also stop.
    return read_hidden(f"PIN of {request.token_label}{hint}: ")


def open_cli_token(module: Path | None, label: str | None) -> Token:
    """Open the token the command line should use."""
    return open_default(module=module, label=label, pin_provider=prompt_pin)
