"""Outputs that appear whole or not at all.

An output is written to a temporary file beside it and renamed over the
destination only when everything succeeded; on any failure (a wrong PIN, a card
removed, a TSA down) the temporary file is removed and nothing else changes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from eid.errors import UsageError

__all__ = ["atomic_output", "check_distinct", "open_input"]


def check_distinct(output: Path, *inputs: Path) -> None:
    """Refuse an output that is one of the inputs: an input is never written to."""
    for source in inputs:
        if output.resolve() == source.resolve() or (
            output.exists() and source.exists() and os.path.samefile(output, source)
        ):
            raise UsageError(f"the output {output} is an input; choose another output file")


def open_input(path: Path) -> BinaryIO:
    """Open an input for reading; `UsageError` naming it when it cannot be read."""
    try:
        return path.open("rb")
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from error


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """A file opened read-write (``w+b``) that becomes ``path`` when the block succeeds."""
    directory = path.resolve().parent
    if not directory.is_dir():
        raise UsageError(f"the output directory {directory} does not exist")
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed on success
        mode="w+b", dir=directory, prefix=f".{path.name}.", suffix=".part", delete=False
    )
    temporary = Path(handle.name)
    try:
        yield handle  # type: ignore[misc]
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        temporary.chmod(0o644 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        handle.close()
        temporary.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
