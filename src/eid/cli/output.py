"""How commands speak: JSON on request, rich text otherwise, errors mapped to exit codes.

Text for a person is printed with rich markup, but only the command's own templates are
markup: every value that comes from a card, a file, a certificate or the network goes
through `shown` (markup escaped, control characters removed), so data is printed as data.
An exception that is not an `EidError` is a bug: it exits with `INTERNAL_ERROR_EXIT` (70)
and one line, with the traceback only when asked for (``--debug`` or ``EID_DEBUG=1``).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from eid.errors import EidError, one_line

__all__ = [
    "DEBUG_ENV",
    "INTERNAL_ERROR_EXIT",
    "Output",
    "debug_requested",
    "exit_internal_error",
    "json_option",
    "set_debug",
    "shown",
]

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")

INTERNAL_ERROR_EXIT = 70
"""Exit code of an internal error (a bug), as ``EX_SOFTWARE`` in sysexits.h."""
DEBUG_ENV = "EID_DEBUG"
"""Set to 1 to see the traceback of an internal error (same as ``eid --debug``)."""
_DEBUG_META = "eid.debug"
# Unicode format characters that reorder or hide text (bidirectional overrides and
# isolates, marks): like control characters, they let data disguise itself on a terminal.
_HIDING = {
    "\u061c",
    "\u200e",
    "\u200f",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
}


def shown(value: object) -> str:
    """``value`` as text safe to put in a rich markup template: markup escaped, controls removed.

    Line breaks and tabs become spaces; other control characters (escape sequences) and
    bidirectional overrides are dropped, so a value is one line that cannot restyle or
    rewrite the terminal.
    """
    return escape(_plain(str(value)))


def debug_requested() -> bool:
    """Whether a traceback is wanted for internal errors (``--debug`` or ``EID_DEBUG=1``)."""
    if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        return True
    context = click.get_current_context(silent=True)
    return bool(context is not None and context.find_root().meta.get(_DEBUG_META))


def set_debug(context: click.Context, value: bool) -> None:
    """Remember ``--debug`` for the rest of the command."""
    context.find_root().meta[_DEBUG_META] = value


def exit_internal_error(error: BaseException, *, as_json: bool = False) -> NoReturn:
    """Report ``error`` (a bug) in one line, or JSON, and exit with `INTERNAL_ERROR_EXIT`."""
    message = one_line(f"{type(error).__name__}: {error}")
    if debug_requested():
        traceback.print_exception(error, file=sys.stderr)
    if as_json:
        click.echo(
            json.dumps(
                {"error": {"code": "internal_error", "message": message}}, ensure_ascii=False
            )
        )
    else:
        hint = "" if debug_requested() else f" (run with --debug or {DEBUG_ENV}=1 for details)"
        click.echo(f"eid: internal error: {_plain(message)}{hint}", err=True)
    sys.exit(INTERNAL_ERROR_EXIT)


def _plain(text: str) -> str:
    """``text`` on one line without control characters: line breaks and tabs become spaces."""
    return "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch not in _HIDING and (ch.isspace() or unicodedata.category(ch) != "Cc")
    )


class Output:
    """A command's output channel: JSON to stdout, or text for a person."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.console = Console(highlight=False, soft_wrap=True)
        self.errors = Console(stderr=True, highlight=False, soft_wrap=True)

    def json(self, data: Any) -> None:
        """Print ``data`` as JSON."""
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def emit(self, data: Any, text: Callable[[], None]) -> None:
        """Print ``data`` as JSON in JSON mode, else call ``text`` to print it for a person."""
        if self.as_json:
            self.json(data)
        else:
            text()

    def section(self, title: str) -> None:
        """A heading for a person (nothing in JSON mode)."""
        if not self.as_json:
            self.console.rule(title)

    def say(self, message: str) -> None:
        """A line for a person (nothing in JSON mode); ``message`` is markup, values in it `shown`."""
        if not self.as_json:
            self.console.print(message)

    def data_line(self, text: str, style: str = "") -> None:
        """Print ``text`` (data, not markup) as one line in ``style``; nothing in JSON mode."""
        if not self.as_json:
            self.console.print(Text(_plain(text), style=style))

    @contextmanager
    def errors_to_exit_codes(self) -> Iterator[None]:
        """Turn `EidError` into its message and exit code (JSON on stdout in JSON mode).

        Any other exception is a bug: one line (or JSON) and exit `INTERNAL_ERROR_EXIT`.
        """
        try:
            yield
        except EidError as error:
            if self.as_json:
                self.json({"error": error.to_dict()})
            else:
                self.errors.print(
                    f"[bold red]eid: {shown(error.code)}:[/bold red] {shown(error.message)}"
                )
            sys.exit(error.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as error:
            exit_internal_error(error, as_json=self.as_json)
