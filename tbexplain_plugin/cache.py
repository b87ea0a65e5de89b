"""A small thread-safe LRU cache, bounded in entries and in bytes.

The plugin keeps two: the raw manifest of each event it has read, keyed by
(experiment, run, tag, step, wall time), and whole answers, keyed by the
provider's listing facts of what they answer about. Both keys name data that
never changes (a rewritten step has a later wall time), so entries are never
invalidated, only evicted.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Hashable
from typing import Any


class LRUCache:
    """Keeps the most recently used values within `max_entries` and `max_bytes`.

    Sizes are given by the caller with each value. A value larger than
    `max_bytes` is not kept.
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError(
                "max_entries and max_bytes must be positive. "
                f"Received: max_entries={max_entries}, max_bytes={max_bytes}"
            )
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._entries: collections.OrderedDict[Hashable, tuple[Any, int]] = (
            collections.OrderedDict()
        )
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value of `key` (now the most recently used), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        """Stores `value`, evicting the least recently used entries as needed."""
        if size > self._max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while (
                len(self._entries) > self._max_entries or self._bytes > self._max_bytes
            ):
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
