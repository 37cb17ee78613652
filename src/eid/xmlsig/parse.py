"""Hardened XML parsing: the only way `eid` reads XML from outside.

No DTD (internal or external), so no entity of any kind (XXE, billion laughs); no network,
no XInclude; a limit on size and on element depth. Comments and processing instructions
are kept so that signature verification can see (and refuse) them in signed content.
"""

from __future__ import annotations

import threading
from functools import cache

from lxml import etree

from eid.errors import MalformedInput, XmlForbidden

__all__ = ["MAX_DEPTH", "MAX_SIZE", "parse_xml"]

MAX_SIZE = 1 << 20
"""Default size limit of an XML document: 1 MiB (a SAML response is a few KiB)."""
MAX_DEPTH = 64
"""Default limit of element nesting (SAML nests about ten deep)."""

_DOCTYPE_MARKS = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
_local = threading.local()


class _Refuse(etree.Resolver):
    """Refuses every external resource (DTD, entity, stylesheet) libxml2 would load."""

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> None:
        raise XmlForbidden("XML may not refer to external resources")


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            load_dtd=False,
            dtd_validation=False,
            no_network=True,
            huge_tree=False,
            collect_ids=False,
            remove_blank_text=False,
        )
        parser.resolvers.add(_Refuse())
        _local.parser = parser
    return parser


@cache
def _too_deep(depth: int) -> etree.XPath:
    return etree.XPath("boolean(/" + "*/" * depth + "*)")


def parse_xml(
    data: bytes, *, source: str = "XML", max_size: int = MAX_SIZE, max_depth: int = MAX_DEPTH
) -> etree._Element:
    """The root element of ``data``, parsed without DTDs, entities or network.

    `XmlForbidden` for a DTD, an entity reference or a document past ``max_size`` bytes or
    ``max_depth`` levels of elements; `MalformedInput` for XML that is not well-formed.
    """
    if not isinstance(data, bytes):
        raise MalformedInput("XML must be given as bytes", source=source)
    if len(data) > max_size:
        raise XmlForbidden(
            f"XML of {len(data)} bytes exceeds the limit of {max_size}", source=source
        )
    try:
        root = etree.fromstring(data, _parser())
    except XmlForbidden as error:
        raise XmlForbidden(error.message, source=source) from None
    except etree.XMLSyntaxError as error:
        if error.code == etree.ErrorTypes.ERR_UNDECLARED_ENTITY or any(
            mark in data for mark in _DOCTYPE_MARKS
        ):
            raise XmlForbidden("XML entities are not allowed", source=source) from None
        raise MalformedInput(f"not well-formed XML: {error}", source=source) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlForbidden("a document type declaration (DTD) is not allowed", source=source)
    if _too_deep(max_depth)(root):
        raise XmlForbidden(f"XML nests deeper than {max_depth} elements", source=source)
    return root
