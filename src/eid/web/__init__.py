"""The identity-provider service: login pages in four languages and the OIDC and SAML endpoints.

`create_app` builds the ASGI application from a `WebConfig` (`load_config` reads
one from TOML); `eid serve` runs it with uvicorn.
"""

from eid.web.app import create_app
from eid.web.config import WebConfig, load_config

__all__ = ["WebConfig", "create_app", "load_config"]
