"""The atheris (libFuzzer) driver every target in ``fuzz/targets`` shares.

``python -m fuzz.targets.NAME [libFuzzer options] CORPUS_DIR`` fuzzes `fuzz.checks.CHECKS`
[NAME] with coverage of ``eid`` and the parsers it relies on. A check that lets a
non-`EidError` exception through, or breaks an invariant, is a crash: the input is written
to ``-artifact_prefix`` as ``crash-<sha1>`` and the fuzzer stops. ``make fuzz``
(`fuzz.run`) runs every target.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["main"]

_INSTRUMENTED = ["eid", "asn1crypto", "pyhanko", "pyhanko_certvalidator", "joserfc", "fuzz"]


def _keeping_crashes(check: Callable[[bytes], None], prefix: str) -> Callable[[bytes], None]:
    """``check``, writing an input that crashes it before the exception goes on.

    libFuzzer writes crash inputs itself, but not when the process dies while Python
    prints the exception; the file name is the one libFuzzer would give.
    """

    def one_input(data: bytes) -> None:
        try:
            check(data)
        except Exception:
            Path(f"{prefix}crash-{hashlib.sha1(data).hexdigest()}").write_bytes(data)
            raise

    return one_input


def main(name: str) -> None:
    """Fuzz the check called ``name`` with libFuzzer's command line (``sys.argv``)."""
    import atheris

    # pyHanko logs every malformed PDF it meets; the verdict is what counts here.
    logging.disable(logging.CRITICAL)
    with atheris.instrument_imports(include=_INSTRUMENTED):
        from fuzz.checks import CHECKS, prepare

    prepare()  # the signed material is made before the clock of the first input starts
    prefixes = [arg.split("=", 1)[1] for arg in sys.argv if arg.startswith("-artifact_prefix=")]
    atheris.Setup(sys.argv, _keeping_crashes(CHECKS[name], prefixes[-1] if prefixes else "./"))
    atheris.Fuzz()
