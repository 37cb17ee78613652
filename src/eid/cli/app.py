"""The `eid` command group."""

from __future__ import annotations

import click

from eid import __version__
from eid.cli.auth import auth
from eid.cli.demo import demo
from eid.cli.serve import serve
from eid.cli.sign import sign
from eid.cli.sso import sso
from eid.cli.tokens import certs, identity, tokens
from eid.cli.verify import verify
from eid.cli.virtual import virtual_card
from eid.cli.webeid import webeid

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eid")
def cli() -> None:
    """Electronic identity: read Belgian eID cards and PKCS#11 tokens, log in, sign, verify, single sign-on.

    Without a card, the virtual eID (`eid virtual-card create`, `eid demo`) stands in for one.

    Exit codes: 0 success, 1 a verification said no, 2 bad usage or malformed
    input, 3 a token or card problem.
    """


cli.add_command(tokens)
cli.add_command(certs)
cli.add_command(identity)
cli.add_command(virtual_card)
cli.add_command(webeid)
cli.add_command(auth)
cli.add_command(sign)
cli.add_command(verify)
cli.add_command(sso)
cli.add_command(demo)
cli.add_command(serve)


def main() -> None:
    """Run the command line."""
    cli(prog_name="eid")
