"""Public pages for listeners, served from ready bytes (see ready_bytes).

An anonymous GET of a public page is rendered once per content state (the
revision plus the visible set, so a scheduled episode appears on time) and
then served from memory, gzip-compressed when the client accepts it, with an
ETag and Last-Modified, and a 304 without rendering. It sits before the
session, CSRF and auth middleware, which a cached page does not need.

Never cached: a request with a session or messages cookie (staff, an editor
previewing drafts), anything but GET and HEAD, pages not listed in PAGES
(the letters form and search among them), query strings other than `?page=N`,
and any response that used a CSRF token, set a cookie or asked not to be stored.
"""

import re

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from . import ready_asgi
from .ready_bytes import PER_REQUEST_HEADERS, Ready, Store, current_state

PAGES = frozenset(
    {
        "episodes:home",
        "episodes:shows",
        "episodes:show",
        "episodes:actor",
        "episodes:archive",
        "episodes:archive_month",
        "episodes:episode",
        "episodes:subscribe",
        "episodes:show_subscribe",
    }
)
# Other query strings would only multiply the entries (tracking parameters and the like).
_QUERY = re.compile(r"(page=\d{1,6})?")

store = Store("page", timeout=24 * 3600)
ready_asgi.register(store)
# Settings changed while running (tests only) must not serve pages rendered under the old ones.
_settings_generation = 0


@receiver(setting_changed)
def _forget_on_settings_change(**kwargs) -> None:
    global _settings_generation
    _settings_generation += 1


class PageCacheMiddleware:
    """Serve listed public pages to anonymous GETs from ready bytes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._cacheable_request(request):
            return self.get_response(request)
        request.get_host()  # an unknown Host is refused (400) as CommonMiddleware would
        key = f"{request.get_full_path()}|{settings.SITE_URL}|{_settings_generation}"
        state = current_state()
        ready = store.get(key, state)
        if ready is None:
            if not_modified := state.not_modified(request, key):
                return not_modified
            response = self.get_response(request)
            if not self._cacheable_response(request, response):
                return response
            headers = [(name, value) for name, value in response.items() if name.lower() not in PER_REQUEST_HEADERS]
            ready = Ready.make(state=state, key=key, headers=headers, body=response.content)
            store.put(key, ready)
        return ready_asgi.mark(request, ready.respond(request), store, key)

    @staticmethod
    def _cacheable_request(request: HttpRequest) -> bool:
        if request.method not in ("GET", "HEAD"):
            return False
        if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
            return False
        if not _QUERY.fullmatch(request.META.get("QUERY_STRING", "")):
            return False
        try:
            return resolve(request.path_info).view_name in PAGES
        except Resolver404:
            return False

    @staticmethod
    def _cacheable_response(request: HttpRequest, response: HttpResponse) -> bool:
        cache_control = response.get("Cache-Control", "")
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_USED")
            and "private" not in cache_control
            and "no-store" not in cache_control
        )
