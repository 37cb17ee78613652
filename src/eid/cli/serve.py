"""`eid serve`: run the identity provider (``--dev``: on the virtual eID, with a generated config)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from eid.cli.output import Output
from eid.cli.testpki import test_pki_services
from eid.errors import UsageError
from eid.web import WebConfig, create_app, load_config

__all__ = ["serve"]


@contextmanager
def _development(port: int, host: str, stack: ExitStack) -> Iterator[WebConfig]:
    from eid.tokens.virtual import create_virtual_card
    from eid.web.dev import development_config, write_toml

    try:
        card, _made = create_virtual_card()
    except UsageError:
        card, _made = create_virtual_card(replace=True)
    stack.enter_context(test_pki_services(card.pki()))
    folder = card.directory.parent / "serve-dev"
    data = development_config(card, directory=folder, host=host, port=port)
    yield write_toml(data, folder / "config.toml")


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The TOML configuration file.",
)
@click.option(
    "--dev",
    is_flag=True,
    help="Development mode: the virtual eID as a login method, a generated configuration.",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (--dev)."
)
@click.option("--port", default=8080, show_default=True, help="Port to listen on (--dev).")
def serve(config_path: Path | None, dev: bool, host: str, port: int) -> None:
    """Run the identity provider over HTTP until interrupted."""
    import uvicorn

    out = Output(False)
    with out.errors_to_exit_codes(), ExitStack() as stack:
        if dev == (config_path is not None):
            raise UsageError("give either --config FILE or --dev")
        if config_path is not None:
            config = load_config(config_path)
        else:
            config = stack.enter_context(_development(port, host, stack))
        app = create_app(config)
        click.echo(f"provider {config.base_url}/", nl=True)
        server = uvicorn.Server(
            uvicorn.Config(app, host=config.host, port=config.port, log_level="warning")
        )
        server.run()
