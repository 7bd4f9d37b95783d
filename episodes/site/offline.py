"""Offline listening: the service worker, served from the site's root so its scope is every page.

Static files live under /static/ with hashed names; a service worker needs a stable URL whose
path covers the pages it serves, so this view renders it at /sw.js (never cached for long,
so a new version reaches listeners on their next visit).
"""

from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=0, no_cache=True)
def service_worker(request):
    """`/sw.js`: keeps queued episodes (page and audio) for offline play (templates/offline/sw.js)."""
    response = render(request, "offline/sw.js", content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response
