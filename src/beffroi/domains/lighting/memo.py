"""Figures kept by the digest of everything they were computed from.

A dashboard asks for the same figures on every load, while the rows they come from change
far less often. ``ContentMemo`` keeps a computed value under a key that holds a digest of
every row the computation reads (``digest``), so an entry is never stale and nothing has
to be invalidated: whatever changes — an asset, a meter reading, a setting, what the scope
may see — is read again on the next call and gives another key. Reading the rows and
hashing them costs a fraction of the computation; old entries are dropped least recently
used first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock
from typing import Any

import numpy as np
import orjson


def digest(*parts: Any) -> bytes:
    """A fingerprint of JSON-able values (lists of rows as read, numbers, texts) and numpy
    arrays (their exact bytes)."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        if isinstance(part, np.ndarray):
            data = b"%s%r" % (part.dtype.str.encode(), part.shape) + part.tobytes()
        else:
            data = orjson.dumps(part)
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.digest()


class ContentMemo:
    """Values by key (which must hold the digest of their inputs), least recently used
    dropped first beyond ``size`` entries; safe across the server's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable) -> Any:
        """The value kept for ``key``, or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
