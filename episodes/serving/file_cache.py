"""The embedded default's cache: Django's file cache, shared by every process on the machine.

`make run` starts one process per core; the letters rate limit and the ready
feeds and pages must be one for all of them, without a cache server. Django's
FileBasedCache is that, except that its `add()` checks and then writes, so two
processes can both take the same rate-limit slot. Here `add()` holds an
exclusive lock on a file beside the entries while it does so.
"""

import fcntl
import os
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache


class FileCache(FileBasedCache):
    """FileBasedCache whose add() is atomic across threads and processes."""

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._exclusive():
            return super().add(key, value, timeout, version)

    @contextmanager
    def _exclusive(self):
        os.makedirs(self._dir, 0o700, exist_ok=True)
        # Not a *.djcache file: clear() and culling leave it alone.
        with open(os.path.join(self._dir, "add.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
