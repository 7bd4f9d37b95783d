"""When the database or the shared cache cannot answer: a circuit for each, and the 503 page.

A dead dependency is an input like any other. A request that finds the
database or the cache gone trips that dependency's circuit; for the next few
seconds nobody asks it again: cached pages and feeds are served from the
bytes at hand (ready_bytes), other requests get the Japanese 503 page with
`Retry-After` at once instead of each waiting for a timeout. When the time
is up a single request tries again (the others keep the fast answer), and
its success closes the circuit.
"""

import logging
import sys
import threading
import time

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

logger = logging.getLogger(__name__)

# How long a tripped circuit answers without asking (and what Retry-After says).
OPEN_SECONDS = 3.0
RETRY_AFTER_SECONDS = 5

# What "the database cannot answer" looks like (a refused connection, a pool that timed out,
# SQLite's "disk I/O error" or "database or disk is full"); an IntegrityError is not an outage.
DATABASE_ERRORS = (OperationalError, InterfaceError)
try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is in requirements.txt
    RedisError = OSError
# Redis refused or timed out; the file cache's disk is full or gone.
CACHE_ERRORS = (RedisError, OSError)
try:
    from psycopg_pool import PoolTimeout
except ImportError:  # pragma: no cover - psycopg[pool] is in requirements.txt
    PoolTimeout = None


def is_outage(error: BaseException) -> bool:
    """Whether a database error means the database is out, not merely busy (every pooled connection in use).

    A burst that outwaits the pool gets the 503 page, but must not open the circuit and refuse
    everyone; a stopped server opens it as its first refused connection is noted (episodes/serving/postgresql).
    """
    if not isinstance(error, DATABASE_ERRORS):
        return False
    return PoolTimeout is None or not isinstance(error.__cause__, PoolTimeout) or database.is_open


class Circuit:
    """Stops asking a dependency that just failed, then lets one request at a time find out if it is back."""

    def __init__(self, name: str, *, open_seconds: float = OPEN_SECONDS):
        self.name = name
        self.open_seconds = open_seconds
        self._opened_at: float | None = None
        self._trial_at: float | None = None
        self._lock = threading.Lock()

    def allows(self) -> bool:
        """Whether to ask the dependency now: always while it answers, once per OPEN_SECONDS after a failure."""
        opened = self._opened_at
        if opened is None:
            return True
        now = time.monotonic()
        with self._lock:
            if now - self._opened_at < self.open_seconds:
                return False
            # One trial at a time; a trial that never reported back is given up after the same time.
            if self._trial_at is not None and now - self._trial_at < self.open_seconds:
                return False
            self._trial_at = now
            return True

    def trial_due(self) -> bool:
        """Whether allows() would let a trial through now (without taking it)."""
        opened, trial = self._opened_at, self._trial_at
        now = time.monotonic()
        if opened is None:
            return True
        return now - opened >= self.open_seconds and (trial is None or now - trial >= self.open_seconds)

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def trip(self, error: BaseException) -> None:
        """The dependency failed: stop asking it for OPEN_SECONDS."""
        with self._lock:
            first = self._opened_at is None
            self._opened_at = time.monotonic()
            self._trial_at = None
        if first:
            logger.warning("%s unavailable (%s: %s): answering without it", self.name, type(error).__name__, error)

    def succeeded(self) -> None:
        """The dependency answered: close the circuit."""
        if self._opened_at is None:
            return
        with self._lock:
            self._opened_at = self._trial_at = None
        logger.warning("%s answers again", self.name)

    def reset(self) -> None:
        """Forget any failure (tests)."""
        with self._lock:
            self._opened_at = self._trial_at = None


database = Circuit("database")
shared_cache = Circuit("shared cache")


class DatabaseUnavailable(Exception):
    """The database did not answer (or its circuit is open): answer from what is at hand."""


def unavailable(*, retry_after: int = RETRY_AFTER_SECONDS) -> HttpResponse:
    """The Japanese 503 page, rendered without a request: no context processor asks the database."""
    response = HttpResponse(render_to_string("503.html", {"retry_after": retry_after}), status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


@receiver(got_request_exception)
def _note_outage(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Sent while Django handles a view's uncaught exception, in its thread: the exception is at hand."""
    error = sys.exc_info()[1]
    if request is None or error is None:
        return
    if isinstance(error, DATABASE_ERRORS):
        if is_outage(error):
            database.trip(error)
        request.dependency_failed = True
    elif isinstance(error, RedisError):
        shared_cache.trip(error)
        request.dependency_failed = True


# Views that answer an outage themselves rather than being refused here: feeds from stale bytes
# (feed_cache), and a letter sent, which gets every word back (views.letter_form).
_FEEDS = frozenset({"episodes:feed", "episodes:show_feed"})
OWN_ANSWER_VIEWS = {"GET": _FEEDS, "HEAD": _FEEDS, "POST": frozenset({"episodes:letters"})}


def _answers_itself(request: HttpRequest) -> bool:
    try:
        return resolve(request.path_info).view_name in OWN_ANSWER_VIEWS.get(request.method, ())
    except Resolver404:
        return False


class OutageMiddleware:
    """Just inside the page cache: a 503 at once while the database's circuit is open, and for a view that hit an outage.

    Cached pages were answered before this (stale if need be); what reaches here needs the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if database.is_open and _answers_itself(request):
            return self.get_response(request)  # a stale answer says nothing of the database: the circuit stays
        if not database.allows():
            return unavailable()
        response = self.get_response(request)
        if getattr(request, "dependency_failed", False) and response.status_code >= 500:
            logger.warning("503 for %s: a dependency is down", request.path)
            return unavailable()
        if response.status_code < 500:
            database.succeeded()  # the trial got through (a no-op while the circuit is closed)
        return response
