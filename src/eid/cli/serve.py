"""`eid serve`: run the identity provider (``--dev``: on the virtual eID, with a generated config).

``--with-examples`` (development only) also runs the example portals the package ships
(`eid.examples`): an OIDC "My Enterprise" and a SAML "Tax-on-web", registered at the provider.
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from eid.cli.output import Output, json_option
from eid.cli.testpki import test_pki_services
from eid.errors import UsageError
from eid.web import create_app, load_config

__all__ = ["UVICORN_SETTINGS", "serve"]

UVICORN_SETTINGS: dict[str, Any] = {
    "log_level": "warning",
    "access_log": False,
    "proxy_headers": False,
    "server_header": False,
}
"""How the provider runs under uvicorn: no access log (the audit log says what matters),
client addresses from ``X-Forwarded-For`` only as the service's ``trusted_proxies`` allow
(uvicorn would otherwise take them from any proxy on 127.0.0.1 first), and no ``Server``
header naming the software."""


def _development(host: str, port: int, with_examples: bool, stack: ExitStack) -> list[Any]:
    """The provider (and example portals) as (name, app, port) for development."""
    from eid.tokens.virtual import create_virtual_card
    from eid.web.dev import development_config, example_portals, write_toml

    try:
        card, _made = create_virtual_card()
    except UsageError:
        card, _made = create_virtual_card(replace=True)
    stack.enter_context(test_pki_services(card.pki()))
    folder = card.directory.parent / "serve-dev"
    provider = f"http://{host}:{port}"
    oidc_url, saml_url = f"http://{host}:{port + 1}", f"http://{host}:{port + 2}"
    portals: list[dict[str, Any]] = []
    tables: dict[str, dict[str, Any]] = {}
    builds: dict[str, str] = {}
    if with_examples:
        portals, oidc, builds = example_portals(card, folder, oidc_url=oidc_url, saml_url=saml_url)
        tables["oidc"] = oidc
    data = development_config(
        card, directory=folder, host=host, port=port, portals=portals, tables=tables
    )
    config = write_toml(data, folder / "config.toml")
    apps: list[Any] = [("provider", create_app(config), port)]
    if with_examples:
        from eid.examples import my_enterprise, tax_on_web

        oidc_portal = my_enterprise.create_portal(
            provider=provider, base_url=oidc_url,
            client_id=builds["client_id"], client_secret=builds["client_secret"],
        )  # fmt: skip
        saml_portal = tax_on_web.create_portal(
            provider=provider, base_url=saml_url, entity_id=builds["entity_id"]
        )
        apps += [("oidc-portal", oidc_portal, port + 1), ("saml-portal", saml_portal, port + 2)]
    return apps


async def _serve_all(host: str, apps: list[Any]) -> None:
    import uvicorn

    servers = [
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, **UVICORN_SETTINGS))
        for _name, app, port in apps
    ]
    await asyncio.gather(*(server.serve() for server in servers))


def _serve_config(config_path: Path, workers: int) -> None:
    """Run the configured provider in ``workers`` processes (uvicorn's own event loop and parser)."""
    import os

    import uvicorn

    from eid.web.asgi import CONFIG_ENV

    config = load_config(config_path)
    if workers > 1 and not config.redis:
        raise UsageError("several workers share their state through Redis: set server.redis")
    os.environ[CONFIG_ENV] = str(config_path.resolve())
    create_app(config)  # fail here, with the configuration's error, rather than in a worker
    click.echo(f"provider {config.base_url}/")
    uvicorn.run(
        "eid.web.asgi:app",
        factory=True,
        host=config.host,
        port=config.port,
        workers=workers,
        **UVICORN_SETTINGS,
    )


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
    "--with-examples",
    is_flag=True,
    help="With --dev: also run the example OIDC and SAML portals (on the next two ports).",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (--dev)."
)
@click.option("--port", default=8080, show_default=True, help="Port to listen on (--dev).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    help="With --config: worker processes (more than one needs server.redis).",
)
@json_option
def serve(
    config_path: Path | None,
    dev: bool,
    with_examples: bool,
    host: str,
    port: int,
    workers: int,
    as_json: bool,
) -> None:
    """Run the identity provider over HTTP until interrupted; print one line per service."""
    out = Output(as_json)
    with out.errors_to_exit_codes(), ExitStack() as stack:
        if dev == (config_path is not None):
            raise UsageError("give either --config FILE or --dev")
        if with_examples and not dev:
            raise UsageError("--with-examples runs with --dev only")
        if config_path is not None:
            _serve_config(config_path, workers)
            return
        apps = _development(host, port, with_examples, stack)
        urls = {name: f"http://{host}:{app_port}/" for name, _app, app_port in apps}
        if as_json:
            out.json(urls)
        else:
            for name, url in urls.items():
                click.echo(f"{name} {url}")
        asyncio.run(_serve_all(host, apps))
