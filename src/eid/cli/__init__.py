"""The `eid` command line."""

from eid.cli.app import cli, main

__all__ = ["cli", "main"]
