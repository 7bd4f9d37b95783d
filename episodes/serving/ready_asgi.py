"""Ready bytes straight from the ASGI server: a hit skips Django's request handling.

Django's request cycle (request object, signals, middleware, the hop to the
thread that runs synchronous code) costs several times what sending a ready
page does. So `make run`'s application answers a request for bytes that are
already ready here, in the event loop, and hands everything else to Django.
Within a tenth of a second of its last reading of the revision, and with no
edit made in this process since, it trusts that reading and this process's
memory: a hit then costs no thread and no query.

What is "ready" is learned from Django itself: a response made from ready
bytes (page_cache, feed_cache) carries a private header naming its store and
key; this layer removes it, and remembers the final headers Django sent for
that address. A later request for the same address, scheme and host,
without a session or messages cookie, whose content state still has its
bytes, gets the same headers and the same bytes, or a 304. Anything else
(a miss, staff, a POST, a changed state with nothing built yet) goes to
Django, which builds and stores as before.

The scheme is the one Django would see (SECURE_PROXY_SSL_HEADER included),
and a request SecurityMiddleware would send to https (SECURE_SSL_REDIRECT)
always goes to Django, which redirects it: bytes learned over https are
never answered over plain http. While the database is out the freshest bytes
at hand are served (stale, logged), without waiting for it.
"""

import asyncio
import logging
import re
import threading
from dataclasses import dataclass
from urllib.parse import quote, unquote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.core.signals import setting_changed
from django.db import DatabaseError, connection
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.cookie import parse_cookie

from episodes.serving import outage
from episodes.serving.ready_bytes import PER_REQUEST_HEADERS, Ready, Store, current_state, recent_state

logger = logging.getLogger(__name__)

MARK = "X-Zundapod-Ready"
_MARK = MARK.lower().encode()
# Headers Ready.respond sets for each request itself, and the private one.
_PER_REQUEST = {name.encode() for name in PER_REQUEST_HEADERS} | {_MARK}
# Addresses remembered per process; a plain dict, emptied when full.
MAX_ROUTES = 4096

_stores: dict[str, Store] = {}
_routes: dict[tuple, tuple[Store, str, list]] = {}
_lock = threading.Lock()


def register(store: Store) -> None:
    """Let this layer serve `store`'s entries."""
    _stores[store.prefix] = store


def mark(request, response, store: Store, key: str):
    """Name the entry a response was made from; under this layer only, which takes it off."""
    if isinstance(request, ASGIRequest):
        # Quoted: a key holding a Japanese slug would be MIME-encoded by Django (no space left to split on).
        response[MARK] = f"{store.prefix} {quote(key, safe='')}"
    return response


@dataclass(frozen=True)
class _Settings:
    """The settings every hit reads, read once (Django's settings object costs a lookup each time)."""

    ssl_redirect: bool
    proxy_ssl_header: tuple[str, str] | None
    session_cookie: str


_settings: _Settings | None = None


def _read() -> _Settings:
    global _settings
    if _settings is None:
        _settings = _Settings(
            settings.SECURE_SSL_REDIRECT, settings.SECURE_PROXY_SSL_HEADER, settings.SESSION_COOKIE_NAME
        )
    return _settings


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    global _settings
    _settings = None


def wrap(django_app):
    """`django_app` with ready bytes answered before it."""

    async def application(scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return await django_app(scope, receive, send)
        headers = dict(scope["headers"])
        scheme = request_scheme(scope, headers)
        if _read().ssl_redirect and scheme != "https":
            return await django_app(scope, receive, send)  # SecurityMiddleware redirects it (or knows it is exempt)
        address = (scheme, headers.get(b"host"), scope["path"], scope["query_string"])
        route = _routes.get(address)
        if route is not None and _anonymous(headers):
            store, key, learned = route
            # A revision read a moment ago and this process's memory: no thread, no query.
            state = recent_state()
            ready = store.remembered(key, state) if state is not None else None
            if ready is None and outage.database.is_open and not outage.database.trial_due():
                # The database is out: what this process holds, at once, queued behind nobody's timeout.
                ready = _stale(store, store.remembered_any(key), scope["path"])
            elif ready is None:
                ready = await _lookup_within_deadline(store, key, scope["path"])
            if ready is not None:
                return await _send_ready(send, scope, headers, ready, learned)
        if outage.database.is_open:
            return await _within_deadline(django_app, scope, receive, _learning(send, address, headers))
        return await django_app(scope, receive, _learning(send, address, headers))

    return application


# A database that keeps its connections open and never answers (frozen, SIGSTOP) gets this long.
DEADLINE_SECONDS = 1.5


async def _lookup_within_deadline(store: Store, key: str, path: str) -> Ready | None:
    """The lookup, or the bytes at hand once the database has not answered within DEADLINE_SECONDS."""
    try:
        return await asyncio.wait_for(sync_to_async(_lookup)(store, key, path), DEADLINE_SECONDS)
    except TimeoutError:
        # The thread stays blocked until the server answers; the circuit keeps others from queuing behind it.
        outage.database.trip(TimeoutError(f"no answer within {DEADLINE_SECONDS} s"))
        return _stale(store, store.remembered_any(key), path)


async def _within_deadline(django_app, scope, receive, send) -> None:
    """While the database is out, a GET that needs it (a trial) gets the 503 page after DEADLINE_SECONDS."""
    started = False

    async def tracking(message):
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await asyncio.wait_for(django_app(scope, receive, tracking), DEADLINE_SECONDS)
    except TimeoutError:
        if started:
            raise
        outage.database.trip(TimeoutError(f"no answer within {DEADLINE_SECONDS} s"))
        page = outage.unavailable()
        headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in page.items()]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": page.content if scope["method"] == "GET" else b""})


def _lookup(store: Store, key: str, path: str) -> Ready | None:
    # In asgiref's one thread for synchronous code outside a request: the database, perhaps a
    # cache file. That thread keeps its one connection; one the server dropped is replaced.
    try:
        return store.get(key, current_state())
    except outage.DatabaseUnavailable:
        connection.close()
        return _stale(store, store.latest(key), path)
    except DatabaseError:
        connection.close()
        return None


def _stale(store: Store, ready: Ready | None, path: str) -> Ready | None:
    if ready is not None:
        logger.warning("stale %s served: the database is unavailable", path)
    return ready


def request_scheme(scope, headers: dict) -> str:
    """ "http" or "https" as Django's HttpRequest.scheme reads it (SECURE_PROXY_SSL_HEADER, else the server's)."""
    proxy_header = _read().proxy_ssl_header
    if proxy_header:
        meta, secure_value = proxy_header
        value = headers.get(meta.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1"))
        if value is not None:
            value, *_ = value.decode("latin-1").split(",", 1)
            return "https" if value.strip() == secure_value else "http"
    return scope["scheme"]


def request_cookies(headers: dict) -> dict[str, str]:
    """The cookies of raw ASGI headers, read as Django reads them.

    http.cookies stops at the first malformed pair (and raises on some), so it
    would miss a session a browser does send; Django's own parser does not.
    """
    cookie = headers.get(b"cookie")
    return parse_cookie(cookie.decode("latin-1")) if cookie else {}


def _anonymous(headers: dict) -> bool:
    names = request_cookies(headers)
    return _read().session_cookie not in names and "messages" not in names


def _learning(send, address: tuple, headers: dict):
    """`send` that takes the private header off and remembers what came with it."""

    async def learning_send(message):
        if message["type"] == "http.response.start":
            # Django keeps its headers' case; HTTP/1.1 and ASGI servers ignore it.
            sent = [(name.lower(), value) for name, value in message["headers"]]
            marked = [value for name, value in sent if name == _MARK]
            if marked:
                message = {**message, "headers": [(n, v) for n, v in sent if n != _MARK]}
                sets_cookie = any(name == b"set-cookie" for name, _ in message["headers"])
                if message["status"] == 200 and not sets_cookie and _anonymous(headers):
                    prefix, key = marked[0].decode("latin-1").split(" ", 1)
                    key = unquote(key)
                    learned = [(n, v) for n, v in message["headers"] if n not in _PER_REQUEST]
                    with _lock:
                        if len(_routes) >= MAX_ROUTES:
                            _routes.clear()
                        _routes[address] = (_stores[prefix], key, learned)
        await send(message)

    return learning_send


_ACCEPTS_GZIP = re.compile(rb"\bgzip\b")  # Django's re_accepts_gzip, on the raw header
_CONDITIONAL = (b"if-none-match", b"if-modified-since")


def _plain_hit(ready: Ready, headers: dict) -> tuple[list, bytes]:
    """The headers and body of a 200 for a request that asks nothing conditional: what `Ready.respond`
    answers, without building a request and a response (a hit is a lookup and a send)."""
    if _ACCEPTS_GZIP.search(headers.get(b"accept-encoding", b"")) is not None:
        return ready.raw_headers[1], ready.gzipped
    return ready.raw_headers[0], ready.plain


async def _send_ready(send, scope, headers: dict, ready: Ready, learned: list) -> None:
    if not any(name in headers for name in _CONDITIONAL):
        own, body = _plain_hit(ready, headers)
        await send({"type": "http.response.start", "status": 200, "headers": learned + own})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
        return
    request = HttpRequest()
    request.method = scope["method"]
    for name, meta in ((b"if-none-match", "HTTP_IF_NONE_MATCH"), (b"if-modified-since", "HTTP_IF_MODIFIED_SINCE")):
        if name in headers:
            request.META[meta] = headers[name].decode("latin-1")
    request.META["HTTP_ACCEPT_ENCODING"] = headers.get(b"accept-encoding", b"").decode("latin-1")
    response = ready.respond(request)
    own = [
        (name.lower().encode(), value.encode("latin-1"))
        for name, value in response.items()
        if name.lower().encode() in _PER_REQUEST
    ]
    if response.status_code == 304:
        learned = [(n, v) for n, v in learned if n in (b"cache-control", b"vary", b"content-location", b"expires")]
    await send({"type": "http.response.start", "status": response.status_code, "headers": learned + own})
    body = b"" if scope["method"] == "HEAD" else response.content
    await send({"type": "http.response.body", "body": body})
