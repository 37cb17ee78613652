"""The atheris (libFuzzer) driver every target in ``fuzz/targets`` shares.

``python -m fuzz.targets.NAME [libFuzzer options] CORPUS_DIR`` fuzzes `fuzz.checks.CHECKS`
[NAME] with coverage of ``eid`` and the parsers it relies on. A check that lets a
non-`EidError` exception through, or breaks an invariant, is a crash: libFuzzer writes the
input to ``-artifact_prefix`` and stops. ``make fuzz`` (`fuzz.run`) runs every target.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["main"]

_INSTRUMENTED = ["eid", "asn1crypto", "pyhanko", "pyhanko_certvalidator", "fuzz"]


def main(name: str) -> None:
    """Fuzz the check called ``name`` with libFuzzer's command line (``sys.argv``)."""
    import atheris

    # pyHanko logs every malformed PDF it meets; the verdict is what counts here.
    logging.disable(logging.CRITICAL)
    with atheris.instrument_imports(include=_INSTRUMENTED):
        from fuzz.checks import CHECKS, prepare

    prepare()  # the signed material is made before the clock of the first input starts
    atheris.Setup(sys.argv, CHECKS[name])
    atheris.Fuzz()
