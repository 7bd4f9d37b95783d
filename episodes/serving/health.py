"""`/healthz`: can this app server reach its database, cache and media storage, and is the worker keeping up?

For a load balancer: 200 when all three answer, 503 naming the part that did
not. Quick by design: one query, one cache round trip, one storage lookup, one
query for overdue jobs. A stalled worker is reported (`"worker": {"ok": false}`)
but keeps the 200, as taking every web server out of rotation would not help;
`/healthz?worker=1` (for a monitor) answers 503 then too.

While the database's circuit is open (outage.py) the database check fails at
once, without asking: 503, though cached pages are still served. A load
balancer that took every server out on that 503 would stop those pages too,
so `/healthz?live=1` answers 200 whenever the process answers, checking
nothing: the balancer's health check uses it, a monitor watches `/healthz`
(docs/deploy.md).

A load balancer or a local check asks by address (`curl 127.0.0.1:8000/healthz`),
with no public Host and no https: `InternalHealthzMiddleware` answers such a
request from loopback or `HEALTHZ_ALLOWED_NETWORKS` before the host check and
the https redirect, and only for this path, so ALLOWED_HOSTS stays as strict
for everyone else.
"""

import ipaddress
import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from episodes.serving import outage

logger = logging.getLogger(__name__)


class CircuitOpen(Exception):
    """The database failed a moment ago; it is not asked again until its circuit allows a trial."""


def _database() -> None:
    if outage.database.is_open and not outage.database.trial_due():
        raise CircuitOpen
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


def _worker() -> dict:
    from episodes.operations.job_health import stalled_jobs

    late = stalled_jobs()
    return {"ok": not late, "late": late}


@never_cache
@require_safe
def healthz(request):
    if request.GET.get("live") == "1":
        return JsonResponse({"status": "live"})  # the process answers: that is all a liveness check asks
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
    try:
        worker = _worker() if results["database"]["ok"] else {"ok": False, "late": []}
    except Exception as exc:  # noqa: BLE001 - e.g. the worker's tables not migrated yet
        logger.warning("healthz: worker check failed: %s", exc)
        worker = {"ok": False, "error": type(exc).__name__}
    if not worker["ok"] and worker.get("late"):
        logger.warning("healthz: background jobs overdue (is the worker running?): %s", ", ".join(worker["late"]))
    results["worker"] = worker
    if request.GET.get("worker") == "1":
        healthy = healthy and worker["ok"]
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results}, status=200 if healthy else 503
    )


def _internal_networks() -> list:
    return [ipaddress.ip_network(net, strict=False) for net in settings.HEALTHZ_ALLOWED_NETWORKS]


class InternalHealthzMiddleware:
    """Answer `/healthz` for loopback and HEALTHZ_ALLOWED_NETWORKS whatever their Host header, over plain http.

    Sits before SecurityMiddleware (no https redirect) and before anything that
    calls `request.get_host()` (no ALLOWED_HOSTS refusal). Other paths and other
    clients go through every check as before.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.networks = _internal_networks()

    def __call__(self, request):
        if request.path_info == "/healthz" and self._internal(request.META.get("REMOTE_ADDR", "")):
            return healthz(request)
        return self.get_response(request)

    def _internal(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return ip.is_loopback or any(ip in network for network in self.networks)
