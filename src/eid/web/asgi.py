"""The application for ASGI servers that start it themselves (several worker processes).

``uvicorn --factory eid.web.asgi:app`` with ``EID_WEB_CONFIG`` naming the TOML file;
`eid serve --config FILE --workers N` does this. Workers share state only through Redis
(``server.redis``), so several workers need it.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from eid.errors import UsageError

from .app import create_app
from .config import load_config

__all__ = ["CONFIG_ENV", "app"]

CONFIG_ENV = "EID_WEB_CONFIG"
"""The environment variable that names the configuration file."""


def app() -> Starlette:
    """The provider for the configuration ``EID_WEB_CONFIG`` names."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise UsageError(f"set {CONFIG_ENV} to the configuration file")
    return create_app(load_config(Path(path)))
