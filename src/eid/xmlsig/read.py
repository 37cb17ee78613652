"""Reading a parsed element: its children grouped by tag in one pass.

One pass over the children is cheaper than one ``find`` per name (lxml's ``find`` goes
through ElementPath in Python), and it counts every child of a name at once, so that
"exactly one" checks see duplicates.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["Children", "children_by_tag"]

Children = dict[object, list[etree._Element]]
"""The children of an element by tag (``{namespace}name``; comments and processing
instructions under lxml's ``Comment`` / ``ProcessingInstruction`` factories)."""


def children_by_tag(element: etree._Element) -> Children:
    """The children of ``element`` grouped by tag, each group in document order."""
    children: Children = {}
    for child in element:
        group = children.get(child.tag)
        if group is None:
            children[child.tag] = [child]
        else:
            group.append(child)
    return children
