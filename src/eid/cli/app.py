"""The `eid` command group."""

from __future__ import annotations

from typing import Any

import click

from eid import __version__
from eid.cli.auth import auth
from eid.cli.demo import demo
from eid.cli.output import DEBUG_ENV, exit_internal_error, set_debug
from eid.cli.sign import sign
from eid.cli.tokens import certs, identity, tokens
from eid.cli.verify import verify
from eid.cli.virtual import virtual_card
from eid.cli.webeid import webeid

__all__ = ["cli", "main"]


class _Eid(click.Group):
    """The command group; an exception no command turned into an exit code is a bug (exit 70)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; report a bug in one line while ``--debug`` is still known."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as error:
            exit_internal_error(error)


@click.group(cls=_Eid, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eid")
@click.option(
    "--debug",
    is_flag=True,
    help=f"Show the traceback of an internal error (also: {DEBUG_ENV}=1).",
)
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Electronic identity: read Belgian eID cards and PKCS#11 tokens, log in, sign and verify.

    Without a card, the virtual eID (`eid virtual-card create`, `eid demo`) stands in for one.

    Exit codes: 0 success, 1 a verification said no, 2 bad usage or malformed
    input, 3 a token or card problem, 70 an internal error (a bug; --debug shows where).
    """
    set_debug(context, debug)


cli.add_command(tokens)
cli.add_command(certs)
cli.add_command(identity)
cli.add_command(virtual_card)
cli.add_command(webeid)
cli.add_command(auth)
cli.add_command(sign)
cli.add_command(verify)
cli.add_command(demo)


def main() -> None:
    """Run the command line; an exception no command turned into an exit code exits 70."""
    try:
        cli(prog_name="eid")
    except Exception as error:
        exit_internal_error(error)
