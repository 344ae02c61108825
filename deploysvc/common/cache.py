"""A per-process cache of byte strings within a byte budget."""

import collections
import threading

from deploysvc.common import metrics


class BytesCache(object):
    """Immutable byte strings by key; least recently used dropped first.

    For values that never change once their key exists (a document named
    by its ETag, the JSON of an immutable config by its id), so nothing is
    ever invalidated: the budget alone bounds the memory.
    """

    def __init__(self, budget, name=None):
        self.budget = budget
        # Lookups are counted (deploysvc_cache_*) under this name.
        self.name = name
        self.size = 0
        self._values = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
        if self.name is not None:
            metrics.cache_lookup(self.name, value is not None)
        return value

    def put(self, key, value):
        with self._lock:
            if key not in self._values and len(value) <= self.budget:
                self._values[key] = value
                self.size += len(value)
                while self.size > self.budget:
                    _, dropped = self._values.popitem(last=False)
                    self.size -= len(dropped)
        return value
