"""HTTP for revocation information: one keep-alive session per thread, bounded answers."""

from __future__ import annotations

import threading

import requests

from eid.pki.revocation import RevInfoError

__all__ = ["get", "post"]

_MAX_BYTES = 16 * 1024 * 1024
_local = threading.local()


def _session() -> requests.Session:
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        _local.session = session
    return session


def get(url: str, *, timeout: float) -> tuple[bytes, str]:
    """GET ``url``; return the body and content type, or raise `RevInfoError`."""
    return _request("GET", url, None, None, timeout)


def post(url: str, body: bytes, content_type: str, *, timeout: float) -> tuple[bytes, str]:
    """POST ``body`` to ``url``; return the body and content type, or raise `RevInfoError`."""
    return _request("POST", url, body, content_type, timeout)


def _request(
    method: str, url: str, body: bytes | None, content_type: str | None, timeout: float
) -> tuple[bytes, str]:
    if not url.startswith(("http://", "https://")):
        raise RevInfoError(f"{url}: only http(s) URLs are fetched")
    headers = {"Content-Type": content_type} if content_type else {}
    try:
        response = _session().request(
            method, url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.RequestException as error:
        raise RevInfoError(f"{url}: {type(error).__name__}: {error}") from error
    if response.status_code != 200:
        raise RevInfoError(f"{url}: HTTP {response.status_code}")
    content = response.content
    if len(content) > _MAX_BYTES:
        raise RevInfoError(f"{url}: answer larger than {_MAX_BYTES} bytes")
    return content, response.headers.get("Content-Type", "")
