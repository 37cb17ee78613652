"""Bounded, thread-safe caches for validation: built paths, OCSP answers, CRLs."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

__all__ = ["LruCache", "ValidationCache", "default_cache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A least-recently-used map of at most ``maxsize`` entries, safe between threads."""

    def __init__(self, maxsize: int) -> None:
        """Make an empty cache holding at most ``maxsize`` entries."""
        self._maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The entry for ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Store ``value`` under ``key``, dropping the least recently used beyond the bound."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def discard(self, key: K) -> None:
        """Forget ``key`` if present."""
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        """The number of entries."""
        return len(self._data)


class ValidationCache:
    """What `validate_certificate` remembers between calls.

    ``paths``: validated paths and classification by (leaf, trust store, extra certificates),
    reused while the validation time lies in every certificate's validity. ``ocsp``: verified
    OCSP answers by CertID, ``crls``: verified CRLs by URL; both reused until their nextUpdate
    (re-checked against the settings on every use). ``results``: whole validations that
    passed cleanly, by everything they depend on, reused while their path is valid at the
    validation time and their revocation answers are still usable now.
    """

    def __init__(
        self, *, paths: int = 4096, ocsp: int = 4096, crls: int = 64, results: int = 4096
    ) -> None:
        """Make empty caches with these bounds."""
        self.paths: LruCache[Hashable, Any] = LruCache(paths)
        self.ocsp: LruCache[Hashable, Any] = LruCache(ocsp)
        self.crls: LruCache[str, Any] = LruCache(crls)
        self.results: LruCache[Hashable, Any] = LruCache(results)

    def clear(self) -> None:
        """Forget every path, OCSP answer, CRL and validation result."""
        self.paths.clear()
        self.ocsp.clear()
        self.crls.clear()
        self.results.clear()


_DEFAULT = ValidationCache()


def default_cache() -> ValidationCache:
    """The process-wide cache used when none is given."""
    return _DEFAULT
