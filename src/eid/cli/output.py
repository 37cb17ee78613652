"""How commands speak: JSON on request, rich text otherwise, errors mapped to exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console

from eid.errors import EidError

__all__ = ["Output", "json_option"]

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


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
        """A line for a person (nothing in JSON mode)."""
        if not self.as_json:
            self.console.print(message)

    @contextmanager
    def errors_to_exit_codes(self) -> Iterator[None]:
        """Turn `EidError` into its message and exit code (JSON on stdout in JSON mode)."""
        try:
            yield
        except EidError as error:
            if self.as_json:
                self.json({"error": error.to_dict()})
            else:
                self.errors.print(
                    f"[bold red]eid: {error.code}:[/bold red] {error.message}", markup=True
                )
            sys.exit(error.exit_code)
