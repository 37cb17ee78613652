"""PKCS#11 modules: where to find them, and loading each one once per process.

A module can be initialised only once per process, and python-pkcs11 initialises
it without locking callbacks (``C_Initialize(NULL)``), which tells the module that
no two threads call it at once. So every module is loaded once, kept, and every
call into it is made under its own lock.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pkcs11

from eid.errors import NoModule

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Pkcs11Library

__all__ = ["MODULE_ENV", "Module", "candidate_modules", "load_module"]

MODULE_ENV = "EID_PKCS11_MODULE"
"""Environment variable naming the PKCS#11 module to use."""


def _linux_libdirs() -> list[str]:
    multiarch = sysconfig.get_config_var("MULTIARCH")
    dirs = [f"/usr/lib/{multiarch}"] if multiarch else []
    return [*dirs, "/usr/lib", "/usr/lib64", "/usr/local/lib"]


def candidate_modules() -> list[Path]:
    """Known install places of the Belgian eID middleware and OpenSC, in order of preference."""
    if sys.platform == "darwin":
        names = [
            "/Library/Belgium Identity Card/Pkcs11/beid-pkcs11.bundle/Contents/MacOS/libbeidpkcs11.dylib",
            "/usr/local/lib/libbeidpkcs11.dylib",
            "/Library/OpenSC/lib/opensc-pkcs11.so",
            "/opt/homebrew/lib/opensc-pkcs11.so",
            "/usr/local/lib/opensc-pkcs11.so",
        ]
    elif sys.platform == "win32":
        system = Path(os.environ.get("SYSTEMROOT", r"C:\Windows")) / "System32"
        names = [str(system / "beidpkcs11.dll"), str(system / "opensc-pkcs11.dll")]
    else:
        libdirs = _linux_libdirs()
        names = [f"{d}/libbeidpkcs11.so.0" for d in libdirs]
        names += [f"{d}/opensc-pkcs11.so" for d in libdirs]
        names += [f"{d}/pkcs11/opensc-pkcs11.so" for d in libdirs]
    found: dict[Path, None] = {}  # a module reached through several links counts once
    for name in names:
        if Path(name).is_file():
            found.setdefault(Path(name).resolve())
    return list(found)


class Module:
    """One loaded PKCS#11 module and the lock that serialises calls into it."""

    def __init__(self, path: Path, lib: Pkcs11Library, environment: Mapping[str, str]) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._lib = lib
        self._environment = dict(environment)

    def __repr__(self) -> str:
        return f"Module({str(self.path)!r})"

    @property
    def description(self) -> str:
        """The library description the module reports, with its manufacturer."""
        with self.lock:
            return f"{self._lib.manufacturer_id.strip()} {self._lib.library_description.strip()}"

    def slots(self, *, token_present: bool = False) -> list[pkcs11.Slot]:
        """The module's slots (readers), optionally only those holding a token."""
        with self.lock:
            return list(self._lib.get_slots(token_present=token_present))

    @property
    def environment(self) -> Mapping[str, str]:
        """The environment variables the module was initialised with (SoftHSM2's configuration)."""
        return dict(self._environment)

    def _reinitialize(self, environment: Mapping[str, str]) -> None:
        with self.lock:
            os.environ.update(environment)
            self._lib.reinitialize()
            self._environment = dict(environment)


_loaded: dict[Path, Module] = {}
_loading = threading.Lock()


def load_module(
    path: str | os.PathLike[str], *, environment: Mapping[str, str] | None = None
) -> Module:
    """Load the module at ``path`` (once per process) and return it.

    ``environment`` holds variables the module reads when it initialises (SoftHSM2
    reads ``SOFTHSM2_CONF``); when they differ from those of an earlier load, the
    module is finalised and initialised again, which closes its earlier sessions.
    """
    resolved = Path(path).expanduser().resolve()
    environment = dict(environment or {})
    with _loading:
        module = _loaded.get(resolved)
        if module is not None:
            if environment and environment != module._environment:
                module._reinitialize(environment)
            return module
        if not resolved.is_file():
            raise NoModule(f"no PKCS#11 module at {resolved}")
        os.environ.update(environment)
        try:
            lib = pkcs11.lib(str(resolved))
        except pkcs11.PKCS11Error as error:
            raise NoModule(f"cannot load the PKCS#11 module {resolved}: {error}") from error
        module = Module(resolved, lib, environment)
        _loaded[resolved] = module
        return module
