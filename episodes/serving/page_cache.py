"""Public pages for listeners, served from ready bytes (see ready_bytes).

An anonymous GET of a public page is rendered once per content state (the
revision plus the visible set, so a scheduled episode appears on time) and
then served from memory, gzip-compressed when the client accepts it, with an
ETag and Last-Modified, and a 304 without rendering. It sits before the
session, CSRF and auth middleware, which a cached page does not need.

Never cached: a request with a session or messages cookie (staff, an editor
previewing drafts), anything but GET and HEAD, pages not listed in PAGES
(the letters form and search among them), a `page` that is not a number,
and any response that used a CSRF token, set a cookie or asked not to be stored.

The key space is bounded by what exists: the key holds the path and the page
number only (other query parameters, such as tracking tags, change nothing on
the page and are left out), only 200s are stored, and the views answer 404
for a page past the last and 301 for a zero-padded number.

While the database is out, a page is served from the freshest bytes at hand
(stale, logged); one never rendered gets the 503 page.
"""

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from episodes.serving import outage, ready_asgi
from episodes.serving.ready_bytes import PER_REQUEST_HEADERS, Ready, Store, current_state

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
# The pages with `?page=`; every other page ignores it, so their key leaves it out too.
PAGINATED = frozenset({"episodes:home", "episodes:show", "episodes:actor", "episodes:archive_month"})
# Pages past this are not kept (no listing has a million pages).
MAX_PAGE_DIGITS = 6

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
        view_name = self._cacheable_view(request)
        if view_name is None:
            return self.get_response(request)
        request.get_host()  # an unknown Host is refused (400) as CommonMiddleware would
        query = _page_query(request) if view_name in PAGINATED else ""
        key = f"{request.path}{query}|{settings.SITE_URL}|{_settings_generation}"
        try:
            state = current_state()
        except outage.DatabaseUnavailable:
            return store.stale(request, key) or outage.unavailable()
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
    def _cacheable_view(request: HttpRequest) -> str | None:
        """The page's view name when the request may be answered from ready bytes, else None."""
        if request.method not in ("GET", "HEAD"):
            return None
        if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
            return None
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            return None
        if view_name not in PAGES or (view_name in PAGINATED and _page_query(request) is None):
            return None
        return view_name

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


def _page_query(request: HttpRequest) -> str | None:
    """The part of the query string a page depends on, written one way: "" or "?page=N"; None: not kept."""
    page = request.GET.get("page")
    if not page:
        return ""
    if not (page.isascii() and page.isdigit() and len(page) <= MAX_PAGE_DIGITS):
        return None
    return "" if int(page) == 1 else f"?page={int(page)}"
