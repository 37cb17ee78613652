"""The tests' npm packages (tests/node/package.json, installed by `make test` into the venv)
and the Node scripts in tests/node/ that drive the JavaScript clients."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NODE = "/usr/bin/node"
SCRIPTS = Path(__file__).resolve().parent / "node"
NODE_MODULES = Path(__file__).resolve().parent.parent / ".venv" / "node" / "node_modules"
"""Where `make test` installs tests/node/package-lock.json (`npm ci`)."""


class NodeRefused(Exception):
    """A Node script's client refused something: its error (name, code, message, server's error)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(json.dumps(error))
        self.error = error


@dataclass(frozen=True)
class Node:
    """Runs the scripts of tests/node with the installed packages, JSON in and JSON out."""

    modules: Path

    def run(self, script: str, *args: str, data: dict[str, Any], timeout: float = 60) -> Any:
        """``script``'s printed JSON for ``data`` on its standard input; `NodeRefused` if it
        exits 1 with an ``error``; any other failure fails the test."""
        done = subprocess.run(
            [NODE, str(SCRIPTS / script), *args],
            input=json.dumps(data),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={"PATH": os.environ.get("PATH", ""), "NODE_PATH": str(self.modules)},
            check=False,
        )
        if done.returncode == 1 and done.stdout.startswith('{"error"'):
            raise NodeRefused(json.loads(done.stdout)["error"])
        assert done.returncode == 0, f"{script} failed ({done.returncode}): {done.stderr}"
        return json.loads(done.stdout)


MINIMUM = (20, 19)
"""openid-client 6 needs Node 20; the CommonJS scripts require its ES modules (Node 20.19)."""


@pytest.fixture(scope="session")
def node() -> Node:
    """The Node runner; Node.js 20.19+ and the packages of tests/node/package.json must be
    installed (no skip)."""
    assert Path(NODE).exists(), "Node.js is not installed: /usr/bin/node (20.19+) is needed"
    shown = subprocess.run(
        [NODE, "-p", "process.versions.node"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    version = tuple(int(part) for part in shown.split(".")[:2])
    assert version >= MINIMUM, f"Node.js {shown} is too old: the tests need 20.19 or newer"
    wanted = json.loads((SCRIPTS / "package.json").read_text())["dependencies"]
    missing = [name for name in wanted if not (NODE_MODULES / name / "package.json").exists()]
    assert not missing, f"npm packages {missing} are not installed: run `make test`"
    return Node(NODE_MODULES)
