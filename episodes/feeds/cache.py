"""Feeds served from ready bytes: built once per content state and path, by one builder.

A full-archive feed is megabytes and takes a second or more to build, and
about as long to gzip; podcast apps ask for it all day, many without
`If-None-Match`. So each (path, state) is built and compressed once; a request
while another process or thread builds it gets the previous version at once
(its own ETag, so the app asks again later), or, when there is none yet,
waits briefly for the builder.

The builder holds a lease of BUILD_LEASE_SECONDS that it renews while it
works; a builder that dies stops renewing, the lease runs out within those
seconds and the next request builds. So an unpublished or deleted episode
leaves every feed within the lease plus one build, never the five minutes a
fixed lock held. While the database is out, the freshest feed at hand is
served (stale, logged).
"""

import logging
import secrets
import threading
import time
from contextlib import contextmanager
from xml.parsers import expat

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

from episodes.serving import outage, ready_asgi
from episodes.serving.free_memory import give_back_free_memory
from episodes.serving.ready_bytes import Ready, State, Store, current_state

logger = logging.getLogger(__name__)
store = Store("feed", timeout=settings.FEED_CACHE_SECONDS)
ready_asgi.register(store)

# How long a builder's lease lasts without renewal (a dead builder's is free this long after it died).
BUILD_LEASE_SECONDS = 2
# How long a request with no previous version to give waits for the builder.
BUILD_WAIT_SECONDS = 10


def serve(request, *, key: str, build, content_type: str) -> HttpResponse:
    """A 304, the ready bytes, or a build by `build()` (bytes) when this state has none yet.

    A body that is not well-formed XML is served once and never stored: the next request builds again.
    """
    try:
        state = current_state()
    except outage.DatabaseUnavailable:
        stale = store.stale(request, key)
        return _with_cache_control(stale) if stale else outage.unavailable()
    ready = store.get(key, state)
    if ready is None:
        if not_modified := state.not_modified(request, key):  # the client has it: nothing to build
            return _with_cache_control(not_modified)
        ready = _build_once(key, state, build, content_type)
    return ready_asgi.mark(request, _with_cache_control(ready.respond(request)), store, key)


def _with_cache_control(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=settings.FEED_MAX_AGE)
    return response


def _build_once(key: str, state: State, build, content_type: str) -> Ready:
    lease = store.cache_key(key) + ":building"
    token = secrets.token_hex(8)
    if not _take(lease, token):
        previous = store.latest(key)
        if previous is not None:
            return previous
        deadline = time.monotonic() + BUILD_WAIT_SECONDS
        while time.monotonic() < deadline and _held(lease):
            time.sleep(0.05)
            ready = store.get(key, state)
            if ready is not None:
                return ready
        # The builder is gone (its lease ran out) or slow: build anyway rather than fail.
        return _build(key, state, build, content_type)
    with _renewing(lease, token):
        return _build(key, state, build, content_type)


def _take(lease: str, token: str) -> bool:
    """Take the lease; a cache that cannot answer lets every request build on its own."""
    if not outage.shared_cache.allows():
        return True
    try:
        return cache.add(lease, token, BUILD_LEASE_SECONDS)
    except outage.CACHE_ERRORS as error:
        outage.shared_cache.trip(error)
        return True


def _held(lease: str) -> bool:
    if not outage.shared_cache.allows():
        return False
    try:
        return cache.get(lease) is not None
    except outage.CACHE_ERRORS as error:
        outage.shared_cache.trip(error)
        return False


@contextmanager
def _renewing(lease: str, token: str):
    """Keep the lease while the build runs (a thread renews it thrice a lease), then give it back if still ours."""
    done = threading.Event()

    def renew() -> None:
        while not done.wait(BUILD_LEASE_SECONDS / 3):
            try:
                if cache.get(lease) == token:
                    cache.touch(lease, BUILD_LEASE_SECONDS)
            except outage.CACHE_ERRORS:
                return

    renewer = threading.Thread(target=renew, name="feed-lease", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()
        if outage.shared_cache.allows():
            try:
                if cache.get(lease) == token:
                    cache.delete(lease)
            except outage.CACHE_ERRORS as error:
                outage.shared_cache.trip(error)


def is_well_formed(body: bytes) -> bool:
    """Whether a strict XML parser (expat) reads the body to its end."""
    try:
        expat.ParserCreate().Parse(body, True)
    except expat.ExpatError:
        return False
    return True


def _build(key: str, state: State, build, content_type: str) -> Ready:
    body = build()
    ready = Ready.make(state=state, key=key, headers=[("Content-Type", content_type)], body=body)
    if is_well_formed(body):
        store.put(key, ready)
    else:
        logger.error("feed %s is not well-formed XML; served uncached", key.split("|")[0])
    # The build's objects are gone; without this each process kept their pages (+50 MB after a few edits).
    give_back_free_memory()
    return ready
