"""Running the `eid` command as a real process, for the command-line tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def eid(
    *args: str, home: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("EID_PIN", "EID_PKCS11_MODULE")}
    environment.update({"EID_HOME": str(home), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "eid", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)
