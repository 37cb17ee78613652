"""Canonical XML (1.0, inclusive or exclusive, always without comments) of an element.

lxml's own C14N (libxml2) does the work. Comments are never part of canonical output:
`eid` signs without them and refuses signed content that holds any (`eid.xmlsig.verify`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from lxml import etree

__all__ = ["canonicalize", "detached"]


def canonicalize(
    element: etree._Element, *, exclusive: bool = True, inclusive_prefixes: Collection[str] = ()
) -> bytes:
    """The canonical form of ``element`` and its descendants, without comments.

    ``inclusive_prefixes`` is exclusive canonicalisation's InclusiveNamespaces PrefixList;
    inclusive canonicalisation renders every namespace in scope, the ancestors' too.
    """
    return etree.tostring(
        element,
        method="c14n",
        exclusive=exclusive,
        with_comments=False,
        inclusive_ns_prefixes=list(inclusive_prefixes)
        if exclusive and inclusive_prefixes
        else None,
    )


@contextmanager
def detached(node: etree._Element) -> Iterator[None]:
    """Take ``node`` out of its parent for the ``with`` block, leaving the text after it.

    This is the enveloped-signature transform: only the signature element leaves, the
    text that follows it stays where it was. The node and the text are put back after.
    """
    parent = node.getparent()
    if parent is None:
        yield
        return
    index = parent.index(node)
    tail = node.tail
    previous = node.getprevious()
    node.tail = None
    parent.remove(node)
    before = previous.tail if previous is not None else parent.text
    if tail:
        if previous is not None:
            previous.tail = (before or "") + tail
        else:
            parent.text = (before or "") + tail
    try:
        yield
    finally:
        if previous is not None:
            previous.tail = before
        else:
            parent.text = before
        parent.insert(index, node)
        node.tail = tail
