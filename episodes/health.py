"""`/healthz`: can this app server reach its database, cache and media storage?

For a load balancer: 200 when all three answer, 503 naming the part that did
not. Quick by design: one query, one cache round trip, one storage lookup.
"""

import logging
import time
import uuid

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key, value = f"zundapod:healthz:{uuid.uuid4().hex}", "ok"
    cache.set(key, value, 10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was just stored")
    cache.delete(key)


def _storage() -> None:
    # A lookup, not a write: local disk or one HEAD request to the bucket.
    default_storage.exists("healthz-probe")


CHECKS = {"database": _database, "cache": _cache, "storage": _storage}


@never_cache
@require_safe
def healthz(request):
    results, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy, and says which part
            logger.warning("healthz: %s failed: %s", name, exc)
            results[name] = {"ok": False, "error": type(exc).__name__}
            healthy = False
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results}, status=200 if healthy else 503
    )
