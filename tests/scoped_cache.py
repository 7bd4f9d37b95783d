"""A Redis cache whose clear() removes only its own keys.

Django's RedisCache.clear() is FLUSHDB: on a Redis shared by two test runs (or
a developer's site) it would wipe what others wrote. Tests clear between
cases, so the test settings use this backend with a per-run key prefix.
"""

from django.core.cache.backends.redis import RedisCache


class ScopedRedisCache(RedisCache):
    def clear(self) -> bool:
        if not self.key_prefix:
            raise RuntimeError("ScopedRedisCache needs a KEY_PREFIX: without one it would clear every key")
        client = self._cache.get_client(write=True)
        pattern = f"{self.key_prefix}:*"
        for batch in _batches(client.scan_iter(match=pattern, count=500), 500):
            client.delete(*batch)
        return True


def _batches(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
