"""Canonical XML (1.0, inclusive or exclusive, always without comments) of an element.

lxml's own C14N (libxml2) does the work. Comments are never part of canonical output:
`eid` signs without them and refuses signed content that holds any (`eid.xmlsig.verify`).
"""

from __future__ import annotations

from collections.abc import Collection

from lxml import etree

from eid.errors import MalformedInput

__all__ = ["canonicalize"]


def canonicalize(
    element: etree._Element, *, exclusive: bool = True, inclusive_prefixes: Collection[str] = ()
) -> bytes:
    """The canonical form of ``element`` and its descendants, without comments.

    ``inclusive_prefixes`` is exclusive canonicalisation's InclusiveNamespaces PrefixList;
    inclusive canonicalisation renders every namespace in scope, the ancestors' too.
    `MalformedInput` for what has no canonical form (a relative namespace URI, which
    Canonical XML refuses).
    """
    try:
        return etree.tostring(
            element,
            method="c14n",
            exclusive=exclusive,
            with_comments=False,
            inclusive_ns_prefixes=list(inclusive_prefixes)
            if exclusive and inclusive_prefixes
            else None,
        )
    except etree.C14NError:
        raise MalformedInput(
            "the XML has no canonical form (a namespace URI is relative?)", source="XML"
        ) from None
