"""XML written directly in its exclusive canonical form (C14N 1.0, no comments).

For elements `eid` makes itself (signatures, SAML assertions), writing the canonical form
at once saves building a tree and canonicalising it. The rules kept here: namespace
declarations before attributes, each sorted (declarations by prefix, attributes by name,
which is the C14N order for attributes without a namespace); an empty element has an end
tag; text escapes ``& < >`` and CR, attribute values ``& < "`` and TAB, LF, CR. A prefix
must be declared on the outermost element that uses it, and nowhere below: then the
output is its own exclusive canonical form (the tests check this against lxml's C14N).
Characters XML cannot carry are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from eid.errors import UsageError

__all__ = ["attribute_value", "element", "start_tag", "text"]

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})
_ATTRIBUTE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;"}
)


def _checked(value: str) -> str:
    if _NOT_XML.search(value):
        raise UsageError("text holds a character XML cannot carry")
    return value


def text(value: str) -> str:
    """``value`` as canonical character data."""
    return _checked(value).translate(_TEXT)


def attribute_value(value: str) -> str:
    """``value`` as a canonical attribute value (without the quotes)."""
    return _checked(value).translate(_ATTRIBUTE)


def start_tag(
    name: str,
    attributes: Mapping[str, str] | None = None,
    *,
    namespaces: Mapping[str, str] | None = None,
) -> str:
    """The canonical start tag of element ``name`` (``prefix:local``)."""
    parts = [f"<{name}"]
    for prefix, uri in sorted((namespaces or {}).items()):
        parts.append(f' xmlns:{prefix}="{attribute_value(uri)}"')
    for key, value in sorted((attributes or {}).items()):
        parts.append(f' {key}="{attribute_value(value)}"')
    parts.append(">")
    return "".join(parts)


def element(
    name: str,
    attributes: Mapping[str, str] | None = None,
    content: str | Iterable[str] = "",
    *,
    namespaces: Mapping[str, str] | None = None,
) -> str:
    """The canonical form of element ``name`` (``prefix:local``) with escaped ``attributes``.

    ``content`` is canonical text already (from `text` or other `element` calls);
    ``namespaces`` are the prefix declarations this element makes.
    """
    body = content if isinstance(content, str) else "".join(content)
    return f"{start_tag(name, attributes, namespaces=namespaces)}{body}</{name}>"
