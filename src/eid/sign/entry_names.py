"""ZIP entry names as file systems see them: names that escape, and names that collide.

A container is unpacked by tools that write each entry to a file. A name that climbs out
of the target folder (``..``, an absolute path, a drive letter, a backslash) writes
elsewhere; two names that a file system takes for the same file (``doc.txt`` and
``DOC.TXT``, ``./doc.txt``, ``doc.txt.``, ``doc.txt `` with a trailing space, the NFC and
NFD spellings of one name, a directory entry ``doc.txt/``) let an unsigned entry replace
the signed one on disk. `unsafe_names` and `colliding_names` find both kinds.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["colliding_names", "file_system_key", "unsafe_name", "unsafe_names"]

_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_name(name: str) -> bool:
    """Whether a ZIP entry name could point outside the folder it is unpacked into."""
    parts = name.replace("\\", "/").split("/")
    return (
        "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or _DRIVE.match(name) is not None
        or any(part == ".." for part in parts)
    )


def unsafe_names(names: Iterable[str]) -> list[str]:
    """The names of ``names`` that `unsafe_name` refuses, sorted, each once."""
    return sorted({name for name in names if unsafe_name(name)})


def file_system_key(name: str) -> str:
    r"""The file a name becomes on the most forgiving common file system.

    Unicode NFC, case folded (after upper-casing, as NTFS does), ``\`` as ``/``, empty and
    ``.`` segments dropped (``./a``, ``a//b``, a directory's trailing ``/``), trailing dots
    and spaces of each segment dropped (Windows).
    """
    text = unicodedata.normalize("NFC", name).replace("\\", "/")
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text.upper()).casefold())
    segments = (segment.rstrip(". ") for segment in text.split("/") if segment not in ("", "."))
    return "/".join(segment for segment in segments if segment)


def colliding_names(names: Iterable[str]) -> list[list[str]]:
    """Groups of entry names that would land on the same file (or on a file and a folder)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(file_system_key(name), []).append(name)
    found = [sorted(group) for group in groups.values() if len(group) > 1]
    keys = sorted(groups)
    for key, group in groups.items():
        files = [name for name in group if not name.endswith("/")]
        folder = key + "/"
        at = bisect.bisect_left(keys, folder)
        if files and at < len(keys) and keys[at].startswith(folder):
            found.append([*sorted(files), groups[keys[at]][0]])
    return sorted(found)
